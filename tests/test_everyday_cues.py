"""Private people named by one word in everyday requests (issue 12): someone doing
everyday things, someone's work or things, work handed to someone, a gift for someone,
a timestamped chat line, a Russian name before what only a person does. Unit tests on
the cue patterns, then the real scanner on prompts shaped like real ones."""

from __future__ import annotations

import pytest
from privacy_fixtures import scan_text, scanner  # noqa: F401 - pytest fixture

from edge_router.privacy import name_cues as nc
from edge_router.privacy.exercises import is_exercise
from edge_router.privacy.scanner import PrivacyScanner
from edge_router.privacy.siblings import siblings


@pytest.mark.parametrize(
    ("regex", "text", "name"),
    [
        (nc.SUBJECT, "ok so tomasz said the venue wants a deposit", "tomasz"),
        (nc.SUBJECT, "Achterberg wants the slides by noon", "Achterberg"),
        (nc.SUBJECT, "and Keziah just texted me", "Keziah"),  # the adverb is no name
        (nc.SUBJECT, "Mbeki is out sick so cover her shift", "Mbeki"),
        (nc.SUBJECT, "Ruairí left the call early again", "Ruairí"),
        (nc.SUBJECT, "minutes:\n- Eluned volunteered to redo the posters", "Eluned"),
        (nc.OWNED, "Pietersen's slides are a mess", "Pietersen"),
        (nc.OWNED, "fix the maths in Gonzaga' spreadsheet", "Gonzaga"),
        (nc.GIFT_FOR, "what do i get Tavita for her 40th", "Tavita"),
        (nc.FOR_SOMEONE, "what can i cook for Ifeanyi, he hates onions", "Ifeanyi"),
        (nc.HAND_TO, "bug 4411 assigned to Wróblewska yesterday", "Wróblewska yesterday"),
        (nc.HAND_TO, "should i invite siobhan to the launch", "siobhan to the"),
        (nc.HAND_TO, "big shout-out to Ngaio for the cakes", "Ngaio for the"),
    ],
)
def test_cue_captures_the_candidate(regex: object, text: str, name: str) -> None:
    match = regex.search(text)  # type: ignore[attr-defined]
    assert match is not None and match.group(1) == name


@pytest.mark.parametrize(
    ("regex", "text"),
    [
        (nc.SUBJECT, "the report said that sales fell"),  # no clause-opening name
        (nc.OWNED, "Pietersen's theorem is elegant"),  # no work or thing of a person's
        (nc.GIFT_FOR, "get the cake for the party"),
        (nc.FOR_SOMEONE, "cook rice for dinner, then serve"),
    ],
)
def test_cue_needs_its_shape(regex: object, text: str) -> None:
    match = regex.search(text)  # type: ignore[attr-defined]
    assert match is None or match.group(1) in ("the report", "report")


def test_a_question_about_ones_own_life_is_no_word_problem() -> None:
    assert not is_exercise("how long should i rest Ifeanyi's sprained ankle")
    assert not is_exercise("how many eggs do i need for Tavita's cake")
    assert is_exercise("Tavita has 12 eggs. How many are left if she uses 5?")


@pytest.mark.parametrize(
    "text",
    [
        "ok so tomasz said the venue wants a deposit by friday, draft a reply",
        "Achterberg wants the slides by noon, make the intro shorter",
        "Pietersen's slides are a mess, tidy the wording on slide 3",
        "what do i get Tavita for her 40th? she loves gardening",
        "what can i cook for Ifeanyi, he hates onions and garlic",
        "bug 4411 assigned to Wróblewska. write the customer an update",
        "is it rude to invite siobhan but not her sister",
        "newsletter blurb: big shout-out to Ngaio who baked 60 cupcakes for the fair",
        "[14:02] Tadhg: who took my charger from the meeting room\n\nwrite a funny reply",
        "переведи: 'Гоша опять опоздал на планёрку'",
        # the same in other languages
        "Delacourt va être en retard demain, préviens l'équipe",
        "Loulou a encore oublié son sac à la crèche, écris un mot pour la nounou",
        "Oberhuber hat die Rechnung noch nicht geschickt, schreib eine Erinnerung",
        "kannst du Annikas Entwurf kürzen, bitte",
        "Echeverría dijo que la reunión se mueve al jueves, avisa al equipo",
        "Тёма опять не сдал отчёт, напиши ему вежливо",
        "[09:20] Лена: кто забрал мой зарядник?\nкак ответить с юмором?",
        "小周明天请假，帮我写个通知",
        "阿杰说他下周要搬家，帮我写段话",
        "شكراً يا Karim على المساعدة",
        "قررت رنا الحلبي تأجيل الاجتماع",
        "نگار گفت فایل رو امشب می‌فرسته، یه پیام بنویس",
    ],
)
def test_private_people_named_by_one_word_are_sensitive(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
) -> None:
    assert scan_text(scanner, text).sensitive


@pytest.mark.parametrize(
    "text",
    [
        "assign it to the backend team and close the duplicate",
        "the report said that sales fell in Q3, summarise it",
        "how many apples are left if 3 of 12 are eaten",
        "[14:02] system: build finished",
        "I try to be kind, but I usually understand people's needs late",
        "Die Firma hat die Zahlen noch nicht geschickt, was nun?",
        "小说明天出版吗",
        "老师说作业明天交",
    ],
)
def test_look_alikes_stay_clean(scanner: PrivacyScanner, text: str) -> None:  # noqa: F811
    assert not scan_text(scanner, text).sensitive


def test_a_rota_pairs_people_with_a_slash() -> None:
    text = "rota: Bronwen/Gruffydd"
    found = siblings(text, [("PERSON", 6, 13, 0.6)], frozenset({"rota"}))
    assert [text[s:e] for _, s, e, _ in found] == ["Gruffydd"]
