"""Framing per name (issues 11 and 12): task verbs weaken no one; only invented,
public or cited names are weak, each judged where it stands. Real scanner end to end,
then the rules on their own."""

from __future__ import annotations

import pytest
from privacy_fixtures import scan_text, scanner  # noqa: F401 - pytest fixture

from edge_router.privacy.context import SensitivityRules
from edge_router.privacy.framing import Framer, sentence_bounds
from edge_router.privacy.scanner import PrivacyScanner
from edge_router.privacy.settings import ScannerSettings


@pytest.mark.parametrize(
    "text",
    [
        # pasted material to summarise, translate, rewrite or answer: real people
        "Summarize this note: Katarina Horvat will move out of the flat next month.",
        "Translate: Jonas failed the exam again.",
        "Summarize this email in one sentence:\nDear Olivia, the meeting moved to Monday.",
        "Rewrite this message to be more polite:\nHi Tom, you forgot the keys again.\nBest, Lena",
        "Translate into German:\nThe project lead, Dragomir Okonkwo, approved the budget.",
        "Proofread my cover letter:\nDear Mr. Okafor, I am applying for the analyst role.",
        "Answer this message for me: Can you cover my shift on Friday? Thanks, Priyanka",
        'Make this sound friendlier: "Branimira Zdravkovic did not submit the form."',
        # greetings, salutations, sign-offs, "write to X"
        "Write an email to Ms. Okafor about the delayed shipment.",
        "Draft a short note for Katarina Horvat about tomorrow's meeting.",
        "Hi Anna, can you send the slides?",
        "Thanks for the help!\nCheers,\nMagnus",
        "Привет, Наталья!",
        # a stray 'story' or 'essay' elsewhere in the prompt weakens no other name
        "Write a short essay on climate policy. Also, remind Katarina Horvat that the "
        "report is due.",
        "I need a story for the kids tonight. Before that, tell Dragomir Okonkwo I will be late.",
        # a name with no framing of its own
        "What do you think of Branimira Zdravkovic?",
    ],
)
def test_names_in_pasted_or_addressed_text_are_sensitive(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
) -> None:
    result = scan_text(scanner, text)
    assert "PERSON" in result.entity_types
    assert result.sensitive, result.reasons
    assert "entity:PERSON" in result.reasons


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        # invented people: stories the user asks to be made up, role play, exercises
        ("Write a story about a dragon named Ember.", "weak:PERSON(public_context)"),
        ("Write a short story about John Smith, a famous detective.", None),
        ("Play the character of Branimira Zdravkovic in our chat.", None),
        ("Suppose Benjamin decides to sell each of these books at a 25% markup.", None),
        (
            "Roger has 5 tennis balls. He buys 2 more cans of 3 balls each. "
            "How many tennis balls does he have now?",
            None,
        ),
        # public figures under public framing in their own sentence
        ("What did Barack Obama say in his 2009 inaugural address?", None),
        ("Have you read the latest novel by Charles Dickens?", None),
        (
            "Pretend to be Elon Musk in the following chat. Speak like Elon Musk as much "
            "as possible.",
            None,
        ),
        # cited authors
        ("Smith et al., 2020 showed that larger models generalise better.", None),
        ("As Hinton and Bengio (2019) argued, depth matters.", None),
    ],
)
def test_invented_public_and_cited_names_are_weak(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
    reason: str | None,
) -> None:
    result = scan_text(scanner, text)
    assert not result.sensitive, result.reasons
    if reason is not None:
        assert reason in result.reasons


def test_a_name_no_public_figure_bears_stays_private_under_public_framing(
    scanner: PrivacyScanner,  # noqa: F811
) -> None:
    result = scan_text(scanner, "Have you read the latest novel by Branimira Zdravkovic?")
    assert result.sensitive, result.reasons


# ---- the rules on their own (no NER) --------------------------------------------------


def _rules(**kw: object) -> SensitivityRules:
    return SensitivityRules(ScannerSettings(**kw), frozenset({"musk", "dickens", "smith"}))


@pytest.mark.parametrize(
    ("text", "names", "sensitive"),
    [
        ("Summarize this note: Anna will move out.", ["Anna"], True),
        ("Write an email to Ms. Okafor.", ["Okafor"], True),
        ("Dear Olivia,\nthe meeting moved.", ["Olivia"], True),
        ("Pretend to be Elon Musk.", ["Elon Musk"], False),
        ("Pretend to be John Smith. Then write to John Smith.", ["John Smith"], True),
        # A well-known full name (privacy/public_names.py) is public even as an addressee.
        ("Write to Elon Musk about the recall.", ["Elon Musk"], False),
        ("Write a poem for Anna.", ["Anna"], True),
        ("Write a story. Anna goes to the market.", ["Anna"], True),
        ("Write a story in which Anna goes to the market.", ["Anna"], False),
        ("Which novel did Dickens write first?", ["Dickens"], False),
        ("Smith et al. (2020) found no effect.", ["Smith"], False),
        # the public cue of one sentence does not reach another sentence's name
        ("Name a famous novel. Then ask Radka what she thinks.", ["Radka"], True),
    ],
)
def test_rules_decide_per_name(text: str, names: list[str], sensitive: bool) -> None:
    assert _rules().decide([text], {"PERSON"}, names=names)[0] is sensitive


def test_task_verbs_never_give_task_framing() -> None:
    _, reasons = _rules().decide(["Translate: Jonas failed."], {"PERSON"}, names=["Jonas"])
    assert reasons == ["entity:PERSON"]
    assert not any("task_framing" in r for r in reasons)


def test_pasted_names_are_private_even_when_lone_names_are_not() -> None:
    lenient = _rules(person_alone_sensitive=False)
    pasted = ["Summarize this note:\nAnna will move out next month."]
    assert lenient.decide(pasted, {"PERSON"}, names=["Anna"])[0] is True
    alone = ["Why is Anna so impulsive?"]
    assert lenient.decide(alone, {"PERSON"}, names=["Anna"]) == (
        False,
        ["weak:PERSON(no_personal_context)"],
    )


def test_one_private_person_makes_the_request_sensitive() -> None:
    text = ["Pretend to be Elon Musk and reply to this:\nHi Elon, Katrin here."]
    assert _rules().decide(text, {"PERSON"}, names=["Elon Musk", "Katrin"])[0] is True


def test_names_without_places_fail_closed() -> None:
    # A name the rules cannot find in the texts is judged as unframed, not weak.
    assert _rules().decide(["no name here"], {"PERSON"}, names=["Zed Qux"])[0] is True
    assert _rules().decide(["Pretend to be Elon Musk"], {"PERSON"})[0] is True


def test_sentences_skip_abbreviations_and_initials() -> None:
    text = "Dr. Smith met J. Doe. Then they left!\nNew line"
    starts = sentence_bounds(text)
    assert [text[s : s + 4] for s in starts] == ["Dr. ", "Then", "New "]


def test_framer_groups_short_forms_with_the_full_name() -> None:
    framer = Framer(ScannerSettings(), frozenset({"musk"}))
    text = ["Pretend to be Elon Musk. Hi Musk, how are you?"]
    assert framer.verdicts(text, ["Elon Musk", "Musk"]) == ["private"]


@pytest.mark.parametrize(
    ("text", "sensitive"),
    [
        # a known name with a theory, a Nobel or a public office in its sentence
        ("Explica la teoría de la relatividad de Einstein para niños", False),
        ("what did Obama actually do as president of the United States?", False),
        # the same words around a private person stay private
        ("Mi compañera Lucía Fernández tiene una teoría sobre el presupuesto", True),
        ("Dana Kowalczyk served as president of our book club for years", True),
    ],
)
def test_theories_and_offices_frame_only_known_names(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
    sensitive: bool,
) -> None:
    assert scan_text(scanner, text).sensitive is sensitive
