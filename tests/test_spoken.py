"""Contact data said aloud or dictated (issue 12, batches rp-2256..rp-2455): digits said in
Russian or written as Chinese characters, handles and mailboxes said with "underscore",
a Chinese mobile number that ends in zeros, a phone number right after a label's colon.
The passes are unit-tested on their edits; the scanner tests use the real engine."""

from __future__ import annotations

import pytest
from privacy_fixtures import (  # noqa: F401 - pytest fixture
    assert_found_and_redacted,
    scan_text,
    scanner,
)

from edge_router.privacy.normalize import normalise
from edge_router.privacy.scanner import PrivacyScanner
from edge_router.privacy.spelled import han_digits, underscores


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("回个电话 一五五 五五五 零一二三 谢谢", "回个电话 155 555 0123 谢谢"),
        ("перезвоните мне пять пять пять ноль один два три", "перезвоните мне 5550123"),
        ("email f underscore alzahra at example dot org", "email f_alzahra@example.org"),
        ("follow at luna underscore makes underscore pots", "follow @luna_makes_pots"),
        ("mail jo underscore smith at example dot com", "mail jo_smith@example.com"),
    ],
)
def test_said_values_are_folded(text: str, expected: str) -> None:
    assert normalise(text).text == expected


@pytest.mark.parametrize(
    "text",
    ["统一一下一个问题", "我们三三两两地走", "一二三四五六", "the variable is max len"],
)
def test_prose_is_left_alone(text: str) -> None:
    assert han_digits(text) == []
    assert underscores(text) == []


@pytest.mark.parametrize(
    ("text", "value", "kind"),
    [
        ("帮我总结语音留言：我是楼下的邻居，回个电话 一五五 五五五 零一二三 谢谢",
         "一五五 五五五 零一二三", "PHONE_NUMBER"),
        ("перезвоните мне пожалуйста пять пять пять ноль один два три четыре",
         "пять пять пять ноль один два три четыре", "PHONE_NUMBER"),
        ("llámame al cinco cinco cinco cero uno nueve dos siete tres vale",
         "cinco cinco cinco cero uno nueve dos siete tres", "PHONE_NUMBER"),
        ("把这段翻译成英文：您好，电话13800138000，想预约体检。", "13800138000", "PHONE_NUMBER"),
        ("联系电话：13800138000", "13800138000", "PHONE_NUMBER"),
        ("open instagram and follow at luna underscore makes underscore pots, my cousin",
         "at luna underscore makes underscore pots", "USERNAME"),
    ],
)  # fmt: skip
def test_said_contact_data_is_found_and_redacted(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
    value: str,
    kind: str,
) -> None:
    assert_found_and_redacted(scanner, text, value, kind)


@pytest.mark.parametrize(
    "text",
    [
        "the variable is called max underscore len, why is it zero",
        "the town used 13800138000 liters of water last year",  # no phone cue
        "meeting at 14:30, room 2",
    ],
)
def test_look_alikes_stay_clean(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
) -> None:
    assert not scan_text(scanner, text).sensitive


def test_at_before_a_said_mailbox_stays_a_word() -> None:
    text = "reach her at jo underscore smith at example dot com"
    assert normalise(text).text == "reach her at jo_smith@example.com"


def test_underscore_said_in_any_case_is_joined() -> None:
    assert normalise("follow at luna UnDeRsCoRe pots").text == "follow @luna_pots"
