"""One-word names that are no given name (issue 12): the given-name rule of the build,
the list lookup, framing's ``lone_name`` verdict, and the real scanner with the list
install.sh builds."""

from __future__ import annotations

import gzip
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest
from privacy_fixtures import check_pinned_data, scan_text, scanner  # noqa: F401 - pytest fixture

from edge_router.privacy.framing import Framer
from edge_router.privacy.lone_names import LoneNames
from edge_router.privacy.namelists import load_name_lists
from edge_router.privacy.notables import key
from edge_router.privacy.notables_build import build_given, given
from edge_router.privacy.scanner import PrivacyScanner
from edge_router.privacy.settings import ScannerSettings

# ---- the build rule -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        (12, 40, True),  # high as a first name: given, even if a family name too
        (1716, None, True),  # low, but never a family name ("Elspeth")
        (1368, 3996, True),  # better as a first than as a family name
        (784, 24, False),  # "Hashimoto": a family name that some use as a first name
        (1620, 301, False),
        (None, 7, False),  # only a family name
        (None, None, False),
    ],
)
def test_given_name_rule(first: int | None, last: int | None, expected: bool) -> None:
    assert given(first, last) is expected


def test_build_keeps_only_given_names(tmp_path: Path) -> None:
    def pickled(data: dict[str, object]) -> bytes:
        return gzip.compress(pickle.dumps(data))

    first = {"Zorawar": {"rank": {"IN": 900}}, "Quillon": {"rank": {"US": 3000}}}
    last = {"Quillon": {"rank": {"US": 15}}}
    wheel = tmp_path / "names.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("names_dataset/v3/first_names.pkl.gz", pickled(first))
        zf.writestr("names_dataset/v3/last_names.pkl.gz", pickled(last))
    assert build_given(wheel).tolist() == [key(["zorawar"])]


# ---- the verdict, with a small list ---------------------------------------------------


@pytest.fixture
def framer(tmp_path: Path) -> Framer:
    # Made-up words, so only this list (not the built-in first names) decides.
    keys = np.array(sorted({key(["zorawar"]), key(["quillonette"])}), dtype=np.uint64)
    path = tmp_path / "given.u64"
    keys.astype("<u8").tofile(path)
    # The notable list is off so that it cannot decide any of these; the English words
    # tell a question's first word from a given name NER left off.
    english = frozenset({"did", "why", "is", "was"})
    settings = ScannerSettings(given_names=str(path), notable_names=None, weak_lone_names=True)
    return Framer(settings, english)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Did Vantorsky really write the treaty alone?", "Vantorsky"),
        ("why do people still read vantorsky's letters", "vantorsky's"),
        ("Vantorsky and Brell, why did they fall out?", "Vantorsky"),
    ],
)
def test_a_lone_non_given_name_is_weak(framer: Framer, text: str, name: str) -> None:
    assert framer.verdicts([text], [name]) == ["lone_name"]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("is zorawar still coming tonight", "zorawar"),  # a given name on the list
        ("ask Mary if she has my keys", "Mary"),  # a built-in first name
        ("write to mr.Vantorsky that we accept the quote", "Vantorsky"),  # a title
        ("Frau Dr. Vantorsky hat abgesagt, was nun?", "Vantorsky"),
        ("Thanks,\nJ. Vantorsky", "Vantorsky"),  # an initial
        ("Mr. Vantorsky phoned. Vantorsky wants the report", "Vantorsky"),  # one titled place
        ("is Вантор coming tonight", "Вантор"),  # not Latin script: lists too thin to judge
        ("did Vantorsky-Brell win", "Vantorsky-Brell Smith"),  # not one word
        ("Maha Vantorsky\n12 Calle Mayor", "Vantorsky"),  # a first name NER left off
        ("The form says Vantorsky", "Vantorsky"),  # a speaker or a name given
        ("What's your last name? Vantorsky", "Vantorsky"),
        ("where is the Vantorsky file", "Vantorsky"),  # someone's things or errands
        ("Vantorsky's van comes tomorrow", "Vantorsky's"),
    ],
)
def test_names_that_stay_unframed(framer: Framer, text: str, name: str) -> None:
    assert framer.verdicts([text], [name]) == ["none"]


def test_a_private_cue_still_wins(framer: Framer) -> None:
    assert framer.verdicts(["Dear Vantorsky, the invoice is late."], ["Vantorsky"]) == ["private"]


def test_without_the_list_every_lone_name_stays_unframed(tmp_path: Path) -> None:
    lone = LoneNames(str(tmp_path / "absent.u64"))
    assert not lone.enabled
    assert not lone.is_lone("Did Vantorsky write it?", 4, 13)
    framer = Framer(ScannerSettings(given_names=None, notable_names=None, weak_lone_names=True))
    assert framer.verdicts(["Did Vantorsky write it?"], ["Vantorsky"]) == ["none"]


# ---- the real list (built by install.sh) and the real scanner ---------------------------

# The rule is opt-in: the daemon's default leaves every one-word name possibly private.
ON = ScannerSettings(weak_lone_names=True)


@pytest.fixture(scope="module")
def real() -> LoneNames:
    check_pinned_data("given-names")
    lone = LoneNames(ON.given_names)
    assert lone.enabled
    return lone


@pytest.fixture(scope="module")
def scanner_on() -> PrivacyScanner:
    return PrivacyScanner(ON)


@pytest.mark.parametrize(
    "word",
    # Given names from many places, several of them missing from the built-in lists.
    ["Elspeth", "Lachlan", "Eilidh", "Rhiannon", "Ikenna", "ezinne", "Itziar", "Aroha",
     "Caoimhe", "Deshawn", "Gwenaëlle", "Kalani", "marcy"],
)  # fmt: skip
def test_given_names_are_known(real: LoneNames, word: str) -> None:
    assert real.is_given(word)


@pytest.mark.parametrize("word", ["Clausewitz", "Nabokov", "Hashimoto", "Bernoulli", "Kwaśniewski"])
def test_family_names_are_not_given_names(real: LoneNames, word: str) -> None:
    assert real.is_given(word) is False
    lists = load_name_lists()
    assert lists is not None and word.lower() not in lists.first


def test_scanner_weakens_a_lone_family_name_when_on(
    scanner_on: PrivacyScanner,
    scanner: PrivacyScanner,  # noqa: F811
) -> None:
    text = "Did Jomini ever say war is politics by other means?"
    result = scan_text(scanner_on, text)
    assert not result.sensitive
    assert "weak:PERSON(not_a_given_name)" in result.reasons
    # Off by default: the same name stays possibly private.
    assert not ScannerSettings().weak_lone_names
    assert scan_text(scanner, text).sensitive


@pytest.mark.parametrize(
    "text",
    [
        "can you ask Lachlan if he still has my drill",
        "remind Herr Clausewitz that the rent is due on Friday",
        "Clausewitz, my neighbour, keeps parking in front of our garage. write him a note",
    ],
)
def test_scanner_keeps_private_lone_names(scanner_on: PrivacyScanner, text: str) -> None:
    assert scan_text(scanner_on, text).sensitive
