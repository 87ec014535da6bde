"""Chinese names that no cue marks (issue 12), found by jieba's tagger in
``privacy/han_names.py``: the tagger alone, then the real scanner. Every sentence here
is written for this file; none comes from bench/data."""

from __future__ import annotations

import marshal
import tempfile
from pathlib import Path

import pytest
from privacy_fixtures import scan_text, scanner  # noqa: F401 - pytest fixture

from edge_router.privacy.foreign_cues import HAN_COMMON_SURNAMES, HAN_EVERYDAY_WORDS
from edge_router.privacy.han_names import HanTagger
from edge_router.privacy.scanner import PrivacyScanner


@pytest.fixture(scope="module")
def tagger() -> HanTagger:
    return HanTagger(HAN_COMMON_SURNAMES, HAN_EVERYDAY_WORDS)


def _names(tagger: HanTagger, text: str) -> list[str]:
    return [text[s:e] for s, e in tagger.names(text)]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("陈静怡下周要去上海出差，帮我订酒店", "陈静怡"),
        ("请把这句话翻译成英文：韩梅梅明天会把合同寄给你。", "韩梅梅"),
        ("宋雨辰在群里说周五不能来加班了", "宋雨辰"),
    ],
)
def test_a_name_with_no_cue_is_found(tagger: HanTagger, text: str, name: str) -> None:
    assert _names(tagger, text) == [name]


def test_offsets_survive_mixed_scripts_and_punctuation(tagger: HanTagger) -> None:
    text = "Hi all，会议由 冯雪 主持, 10:00 开始。"
    assert _names(tagger, text) == ["冯雪"]


@pytest.mark.parametrize(
    "text",
    [
        "周末我们去爬山吧",  # a family-name character starting an everyday word
        "请解释一下量子力学的基本原理",
        "东京の田中さんに連絡してください",  # kana: Japanese, not read
    ],
)
def test_no_person_no_name(tagger: HanTagger, text: str) -> None:
    assert _names(tagger, text) == []


@pytest.mark.parametrize("text", ["请介绍一下鲁迅的代表作", "王府井很热闹，谢谢你带我去"])
def test_frequent_dictionary_words_are_left_to_the_cue_rules(tagger: HanTagger, text: str) -> None:
    # Famous names, and words jieba's dictionary wrongly tags as names.
    assert _names(tagger, text) == []


@pytest.mark.parametrize(
    "text",
    [
        "陈静怡下周要去上海出差，帮我订酒店",
        "帮我润色这段话：黄晓燕负责这次活动的预算，请大家配合她。",
    ],
)
def test_scanner_keeps_uncued_chinese_names_sensitive(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
) -> None:
    result = scan_text(scanner, text)
    assert result.sensitive and "entity:PERSON" in result.reasons


def test_scanner_lets_a_famous_writer_through(scanner: PrivacyScanner) -> None:  # noqa: F811
    assert not scan_text(scanner, "请介绍一下鲁迅的生平和代表作").sensitive


def test_a_dictionary_cache_planted_in_the_shared_temp_dir_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # jieba would load this cache (it marks 陈静怡 as a famous word) from the shared
    # temp dir; the tagger builds its own in a private directory instead.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with (tmp_path / "jieba.cache").open("wb") as f:
        marshal.dump(({"陈静怡": 10_000, "陈": 1}, 10_001), f)
    tagger = HanTagger(HAN_COMMON_SURNAMES, HAN_EVERYDAY_WORDS)
    assert _names(tagger, "陈静怡下周要去上海出差") == ["陈静怡"]
