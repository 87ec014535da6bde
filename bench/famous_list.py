"""Make and check the famous-name list (``edge_router/privacy/famous_surnames.txt``).

    .venv/bin/python bench/famous_list.py                  # check the committed list
    .venv/bin/python bench/famous_list.py --write FAMILY.txt... --full FULL.txt...

The drafts are general knowledge written by helper sessions (see ``privacy/famous.py``):
family names (``--write``) and full names (``--full``). ``--write`` merges them, drops
what a namesake could too easily share, and writes the list. Family names: fewer than
four letters (three Han characters), names among the ``COMMON_RANK`` commonest given or
family names of any country in names-dataset (downloaded from the registry, read as
data), and multi-word forms whose parts rank together in one country. Full names: a
given and a family name both among the ``PAIR_RANK`` commonest of one country, or a part
among the ``TOP_RANK`` commonest anywhere. Being an English word is no filter: WordNet
lists most famous people ("Kafka", "Einstein"), and an ordinary word is harmful here only
as a common surname, which the ranks catch.

Without ``--write`` it prints how many names known to be private are on the list: the
private name values of ``bench/data/real_prompts.jsonl`` (their last word, and the whole
value; counts only for the held-out half, like ``notable_risk.py``) and the synthetic
Presidio sets' full names (Faker's), from ../shared/data.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from edge_router.privacy.famous import _FILE, famous_surnames, is_famous_surname  # noqa: E402
from edge_router.privacy.namelists import fold  # noqa: E402
from edge_router.privacy.notables_build import Ranks, common, read_ranks  # noqa: E402
from edge_router.wheels import download  # noqa: E402

# A family or given name ranked this high in any country names too many people.
COMMON_RANK = 300
# Full names: both parts this common in one country, or one part this common anywhere.
PAIR_RANK = 500
TOP_RANK = 3
NAMES_PACKAGE = "names-dataset==3.3.1"
_HAN = re.compile(r"[\u3400-\u9fff]")
_HEADER = """\
# Names that mean one famous person or character when used with no private cue: family
# names used alone ("Kafka"), short forms ("de Gaulle") and full names ("Tom Daley").
# General knowledge written for edge-router by helper sessions that read no prompt of
# the project's sets; filtered by bench/famous_list.py --write (what a namesake could
# too easily share is left out: see that script). See edge_router/privacy/famous.py.
"""


def _best(part: str, first: Ranks, last: Ranks) -> int:
    """The best rank of ``part`` as a given or family name in any country."""
    return min([*first.get(part, {}).values(), *last.get(part, {}).values()], default=10**9)


def _pair(parts: list[str], first: Ranks, last: Ranks) -> bool:
    """Are the first and last part a given and a family name both among the
    ``PAIR_RANK`` commonest of one country (either order)?"""
    for given, family in ((parts[0], parts[-1]), (parts[-1], parts[0])):
        countries = {c for c, r in first.get(given, {}).items() if r <= PAIR_RANK}
        if any(r <= PAIR_RANK and c in countries for c, r in last.get(family, {}).items()):
            return True
    return False


def _read(drafts: list[Path]) -> dict[str, str]:
    entries: dict[str, str] = {}
    for draft in drafts:
        for line in draft.read_text(encoding="utf-8").splitlines():
            name = " ".join(line.split())
            if name and not name.startswith("#"):
                entries.setdefault(fold(name), name)
    return entries


def write(drafts: list[Path], full: list[Path]) -> None:
    """``drafts``: family names (one word or a short form); ``full``: full names of
    famous people and characters, kept unless a part is a top name somewhere."""
    entries = _read(drafts)
    full_names = {k: v for k, v in _read(full).items() if " " in k and k not in entries}
    with tempfile.TemporaryDirectory() as tmp:
        wheel = next(w for w in download([NAMES_PACKAGE], Path(tmp)) if "names_dataset" in w.name)
        with zipfile.ZipFile(wheel) as names:
            first = read_ranks(names, "names_dataset/v3/first_names.pkl.gz")
            last = read_ranks(names, "names_dataset/v3/last_names.pkl.gz")
    dropped = {"short": 0, "common": 0, "full, common": 0}
    kept = []
    for key, name in sorted(entries.items()):
        letters = [c for c in key if c.isalpha()]
        # Two Han characters are a common full name as often as a famous one (李娜).
        if len(letters) < (3 if _HAN.search(key) else 4):
            dropped["short"] += 1
        elif any(r <= COMMON_RANK for t in (first, last) for r in t.get(key, {}).values()):
            dropped["common"] += 1
        elif " " in key and common(key.split(), first, last):
            dropped["common"] += 1  # "Rosa Parks" stays; two common parts together do not
        else:
            kept.append(name)
    for key, name in sorted(full_names.items()):
        # A whole famous name is rarer than its parts ("Tom Daley", "Hannah Arendt"),
        # unless its given and family name are both among the PAIR_RANK commonest of one
        # country (John Williams, Martin Lewis, Walter White) or a part is among the
        # TOP_RANK commonest anywhere (Marie, Maria, Mohammed, Kim, Nguyen).
        parts = [p for p in key.split() if len(p) > 1]
        ranks = [_best(p, first, last) for p in parts]
        if len(parts) < 2 or _pair(parts, first, last) or min(ranks) <= TOP_RANK:
            dropped["full, common"] += 1
        else:
            kept.append(name)
    _FILE.write_text(_HEADER + "\n".join(kept) + "\n", encoding="utf-8")
    print(f"{len(entries) + len(full_names)} drafted, {len(kept)} kept; dropped {dropped}")


def _synthetic_people(data: Path) -> list[str]:
    """The PERSON spans of the synthetic Presidio sets (Faker's names)."""
    out = []
    for name in ("presidio_synth_dataset_v2.json", "presidio_generated_large.json"):
        for sample in json.loads((data / name).read_text()):
            text = sample.get("full_text", "")
            for span in sample.get("spans", []):
                if span.get("entity_type") == "PERSON":
                    out.append(text[span["start_position"] : span["end_position"]])
    return out


def check(data: Path) -> None:
    print(f"{len(famous_surnames())} entries in {_FILE.relative_to(REPO)}")
    rows = [json.loads(x) for x in (REPO / "bench/data/real_prompts.jsonl").open()]
    counts: dict[str, list[int]] = {"dev": [0, 0, 0], "heldout": [0, 0, 0]}
    shown = []
    for row in (r for r in rows if r["private"]):
        for value in row["values"]:
            words = re.findall(r"[^\W\d_]+", value)
            if not words or any(c.isdigit() for c in value):
                continue
            tally = counts[row["split"]]
            tally[0] += 1
            tally[1] += is_famous_surname(words[-1])
            tally[2] += len(words) > 1 and is_famous_surname(" ".join(words))
            if row["split"] == "dev" and is_famous_surname(words[-1]):
                shown.append(value)
    for split, (n, last, whole) in counts.items():
        print(f"{split}: of {n} private name values, {last} end in a listed name, {whole} are one")
    if shown:
        print("dev values on the list:", ", ".join(sorted(set(shown))))
    people = _synthetic_people(data)
    listed = sorted({p for p in people if " " in p.strip() and is_famous_surname(p.strip())})
    print(f"synthetic (Faker) full names listed: {len(listed)} of {len(set(people))}: {listed}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--write", nargs="+", type=Path, metavar="DRAFT", help="family names")
    p.add_argument("--full", nargs="*", type=Path, default=[], metavar="DRAFT", help="full names")
    p.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    args = p.parse_args()
    if args.write:
        write(args.write, args.full)
    check(args.data)


if __name__ == "__main__":
    main()
