"""Names the small NER model misses or mislabels: transliterated lists, name-shaped
unknown words, names in a person's slot, and public framing that vouches only for
known family names. Unit tests on small lists, then the real scanner end to end."""

from __future__ import annotations

import pytest
import spacy
from presidio_analyzer.nlp_engine import NlpArtifacts
from spacy.lang.en.stop_words import STOP_WORDS

from edge_router.privacy.context import SensitivityRules
from edge_router.privacy.gazetteer import GazetteerNameRecognizer
from edge_router.privacy.namelists import NameLists, fold
from edge_router.privacy.nameshape import NameShape
from edge_router.privacy.nametext import not_a_name
from edge_router.privacy.scanner import PrivacyScanner
from edge_router.privacy.settings import ScannerSettings
from edge_router.privacy.translit import latin_variants
from tests.privacy_fixtures import scan_text, scanner  # noqa: F401  (fixture)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Ефимов", {"efimov", "yefimov"}),
        ("Дмитрий", {"dmitriy", "dmitry", "dmitri"}),
        ("Юлия", {"yulia", "yuliya"}),
        ("Шевченко", {"shevchenko"}),
        ("Παπαδάκης", {"papadakis"}),
    ],
)
def test_latin_variants_cover_common_spellings(name: str, expected: set[str]) -> None:
    assert expected <= latin_variants(name)


def test_latin_variants_leave_other_scripts_alone() -> None:
    assert latin_variants("Smith") == frozenset()
    assert latin_variants("李") == frozenset()
    # A mixed-script word is not a name we can spell.
    assert latin_variants("Иванov中") == frozenset()


_SHAPE = NameShape.train(
    ["sokolov", "ivanov", "petrov", "smirnov", "kuznetsov", "popov", "volkov", "orlova"],
    ["position", "motion", "station", "nation", "lotion", "potion", "ration", "notion"],
)


def test_name_shape_separates_spellings() -> None:
    assert _SHAPE.score("Morozov") > 0 > _SHAPE.score("Devotion")


_LISTS = NameLists(
    first=frozenset(map(fold, ["Radka", "Lucas", "Shelly", "Ravil"])),
    last=frozenset(map(fold, ["Yefimov", "Mitchell", "Lugo"])),
    places=frozenset({"lugo"}),
)
_ENGLISH = frozenset({"lucas", "mitchell", "novel", "holding", "zombie", "song", "lugo", "note"})


def _spans(text: str, ents: tuple[tuple[int, int, str], ...] = ()) -> list[str]:
    nlp = spacy.blank("en")
    doc = nlp.make_doc(text)
    doc.ents = [doc.char_span(s, e, label=label) for s, e, label in ents]
    rec = GazetteerNameRecognizer(_LISTS, _ENGLISH, frozenset(STOP_WORDS), score=0.55, shape=_SHAPE)
    artifacts = NlpArtifacts([], doc, [t.idx for t in doc], [t.lower_ for t in doc], None, "en")
    return [text[r.start : r.end] for r in rec.analyze(text, ["PERSON"], artifacts)]


@pytest.mark.parametrize(
    ("text", "ents", "expected"),
    [
        # An unlisted word spelled like a name, which NER called an organisation.
        ("Unlike the Morozov novel, it is short.", ((11, 18, "ORG"),), ["Morozov"]),
        # ... also at the end of a longer one, but not at the start of a company name.
        ("A song by ex-Zombie Morozov.", ((10, 27, "ORG"),), ["Morozov"]),
        ("Is Radka Holdings hiring?", ((3, 17, "ORG"),), []),
        # Spelled like a word, it stays clean.
        ("The Devotion was released.", ((4, 12, "ORG"),), []),
        # A listed first name with an unlisted surname, or the reverse.
        ("Maybe it is under Shelly Popova", (), ["Shelly Popova"]),
        # Spoken to: a listed name that is also an English word counts there only.
        ("Lucas, can you send me the file?", (), ["Lucas"]),
        ("Lucas arrived late.", (), []),
        # Without capitals: a listed first name, even an English word, then a surname.
        ("can you add lucas morozov to the list", (), ["lucas morozov"]),
        ("can you add lucas to the song list", (), []),
        # Named after a speech verb, even when a listed name is also a place's.
        ('"We are ready," says Morozov.', (), ["Morozov"]),
        ('"We are ready," says Lugo.', (), ["Lugo"]),
        ('"We are ready," says the team.', (), []),
        # No capital anywhere (not prose: quoting): a lower-case name in the same slots.
        ('\\"we are ready,\\" says morozov.', (), ["morozov"]),
        # A line of dialogue labelled with a listed name, even an English word.
        ("Lucas: who is it?\nRadka: me.", (), ["Lucas", "Radka"]),
        ("Note: who is it?", (), []),
        # Surnames with a capital inside.
        ("A song by ex-Zombie McMorozov.", ((10, 29, "ORG"),), ["McMorozov"]),
    ],
)
def test_gazetteer_finds_names_ner_mislabels(
    text: str, ents: tuple[tuple[int, int, str], ...], expected: list[str]
) -> None:
    assert _spans(text, ents) == expected


def test_public_framing_vouches_only_for_known_family_names() -> None:
    rules = SensitivityRules(ScannerSettings(), frozenset({"james", "austen"}))
    framed = ["Have you seen the film directed by James Okonkwo?"]
    assert rules.decide(framed, {"PERSON"}, names=["James Okonkwo"])[0] is True
    framed = ["Have you seen the film about James Austen?"]
    assert rules.decide(framed, {"PERSON"}, names=["James Austen"])[0] is False


def test_a_name_never_spans_lines() -> None:
    assert not_a_name("A. Buffers\nB. Decoders")
    assert not not_a_name("Ada Lovelace\n")


@pytest.mark.parametrize(
    ("span", "noise"),
    [
        # form labels, a religion alone, places named by their kind
        ("Problem", True),
        ("List:", True),
        ("Islam", True),
        ("Mount Rainier", True),
        ("Anavilhanas Archipelago", True),
        # people stay people
        ("Job Smith", False),
        ("Lake Bell", True),  # the cost: a rare name read as a lake
        ("Rainier Wolfcastle", False),
        ("Natasja", False),
    ],
)
def test_labels_religions_and_places_are_not_names(span: str, noise: bool) -> None:
    assert not_a_name(span) is noise


def test_the_verb_of_a_who_question_is_no_name() -> None:
    # Re-cased, "who said 'the only thing...'" reads "Said" (a given name) as a person.
    assert not_a_name("Said", "quote: who ")
    assert not not_a_name("Said", "ask ")
    assert not not_a_name("Said Benali", "who ")


def test_named_entities_is_no_naming_cue(scanner: PrivacyScanner) -> None:  # noqa: F811
    # "named" before "entities" is NLP jargon, not a name being given.
    result = scan_text(scanner, "Identify the named entities in the given news article.")
    assert "PERSON" not in result.entity_types, result.entities


def test_a_cue_is_followed_by_whole_words_only(scanner: PrivacyScanner) -> None:  # noqa: F811
    # "It is evident that": the self-introduction cue must not cut "that" to "th" + "at".
    result = scan_text(scanner, "Sales fell. It is evident that we must advertise more.")
    assert "PERSON" not in result.entity_types, result.entities


def test_bare_example_is_no_invented_framing(scanner: PrivacyScanner) -> None:  # noqa: F811
    # "example" in "a perfect example of" does not make the people in it made up.
    text = "This track by Dragomir Okonkwo-Lindqvist is a perfect example of the genre."
    assert scan_text(scanner, text).sensitive


@pytest.mark.parametrize(
    "text",
    [
        "what's your name? tomasz wierzbicki",
        "Why is Wierzbicka so impulsive? You can always depend on her.",
        "Unlike the Wierzbicki novel, this one is short.",
        "Katarzyna, can I please speak to your manager?",
    ],
)
def test_scanner_flags_names_ner_misses(scanner: PrivacyScanner, text: str) -> None:  # noqa: F811
    result = scan_text(scanner, text)
    assert result.sensitive, result.reasons
    assert "entity:PERSON" in result.reasons


@pytest.mark.parametrize(
    "text",
    [
        "Which of these is a virus?\nA. Staphylococcus\nB. Leukemia\nC. Scoliosis",
        "Explain how Positronium differs from hydrogen.",
        "Children typically take their first steps around the age of one.",
        "Which unit fits?\nA. Centimeter\nB. Gram\nC. Pound",
    ],
)
def test_scanner_keeps_terms_clean(scanner: PrivacyScanner, text: str) -> None:  # noqa: F811
    assert not scan_text(scanner, text).sensitive


def test_context_names_reuse_the_scans_entities() -> None:
    from edge_router.privacy.namecheck import spans_in

    doc = spacy.blank("en").make_doc("Hi, this is Radka Novak from Acme.")
    doc.ents = [doc.char_span(12, 23, label="PERSON"), doc.char_span(29, 33, label="ORG")]
    # NER's person inside the candidate decides; so does a name-like label after a cue.
    assert spans_in(doc.ents, 12, 23, ner_only=False) == [(12, 23)]
    assert spans_in(doc.ents, 29, 33, ner_only=False) == [(29, 33)]
    assert spans_in(doc.ents, 29, 33, ner_only=True) == []
    # Nothing there: the tagger must look (None), unless only NER may confirm.
    assert spans_in(doc.ents, 0, 2, ner_only=False) is None
    assert spans_in(doc.ents, 0, 2, ner_only=True) == []


@pytest.mark.parametrize(
    "text",
    [
        "def merge(arr, lo, mid, hi):\n    tmp = arr[lo:mid]\n    return arr",
        "select name, email from users where id = 42 and status = 'active';",
        "kubectl get pods -n kube-system | grep coredns",
        'fn main() { let ali = vec![1,2,3]; println!("{:?}", ali); }',
        # Lower-case words NER calls people in text that otherwise uses capitals.
        "Which word does not belong with the others?\ntyre, steering wheel, car, engine",
    ],
)
def test_code_and_lowercase_words_are_no_names(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
) -> None:
    result = scan_text(scanner, text)
    assert not result.sensitive, result.reasons


def test_lowercase_prose_still_finds_names(scanner: PrivacyScanner) -> None:  # noqa: F811
    result = scan_text(scanner, "can you ask maria gonzalez to call me back about the lease")
    assert "entity:PERSON" in result.reasons


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("my name is amer (call me at 555)", False),
        ("hi, this is maria from hr; call me back", False),
        ("x = [a for a in b]", True),
        ("docker run -it --rm -v $(pwd):/app node:18", True),
    ],
)
def test_looks_like_code(text: str, code: bool) -> None:
    from edge_router.privacy.nametext import looks_like_code

    assert looks_like_code(text) is code
