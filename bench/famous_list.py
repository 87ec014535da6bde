"""Make and check the famous family-name list (``edge_router/privacy/famous_surnames.txt``).

    .venv/bin/python bench/famous_list.py                      # check the committed list
    .venv/bin/python bench/famous_list.py --write DRAFT.txt... # filter drafts into it

The drafts are general knowledge written by helper sessions (see ``privacy/famous.py``).
``--write`` merges them, drops what a namesake could too easily share, and writes the
list: entries of fewer than four letters (three Han characters), and names that rank among
the ``COMMON_RANK`` commonest given or family names of any country in names-dataset
(downloaded from the registry, read as data), or whose parts rank together as a given
and a family name of one country. Being an English word is no filter: WordNet lists most
famous people ("Kafka", "Einstein"), and an ordinary word is harmful here only as a
common surname, which the ranks catch.
Without ``--write`` it prints how many names known to be private are on the list: the
one-word private values and the family names of full private values in
``bench/data/real_prompts.jsonl`` (counts only for the held-out half, like
``notable_risk.py``). The entries are checked and counted, never the held-out values.
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
from edge_router.privacy.notables_build import common, read_ranks  # noqa: E402
from edge_router.wheels import download  # noqa: E402

# A family or given name ranked this high in any country names too many people.
COMMON_RANK = 300
NAMES_PACKAGE = "names-dataset==3.3.1"
_HAN = re.compile(r"[\u3400-\u9fff]")
_HEADER = """\
# Family names (and a few one-word names) that mean one famous person or character when
# used alone. General knowledge written for edge-router by helper sessions that read no
# prompt of the project's sets; filtered by bench/famous_list.py --write (fewer than
# four letters or three Han characters, and names among the {rank} commonest given or
# family names of any country in names-dataset, left out). See privacy/famous.py.
"""


def write(drafts: list[Path]) -> None:
    entries: dict[str, str] = {}
    for draft in drafts:
        for line in draft.read_text(encoding="utf-8").splitlines():
            name = " ".join(line.split())
            if name and not name.startswith("#"):
                entries.setdefault(fold(name), name)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = next(w for w in download([NAMES_PACKAGE], Path(tmp)) if "names_dataset" in w.name)
        with zipfile.ZipFile(wheel) as names:
            first = read_ranks(names, "names_dataset/v3/first_names.pkl.gz")
            last = read_ranks(names, "names_dataset/v3/last_names.pkl.gz")
    dropped = {"short": 0, "common": 0}
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
    _FILE.write_text(_HEADER.format(rank=COMMON_RANK) + "\n".join(kept) + "\n", encoding="utf-8")
    print(f"{len(entries)} drafted, {len(kept)} kept; dropped {dropped}")


def check() -> None:
    print(f"{len(famous_surnames())} entries in {_FILE.relative_to(REPO)}")
    rows = [json.loads(x) for x in (REPO / "bench/data/real_prompts.jsonl").open()]
    counts: dict[str, list[int]] = {"dev": [0, 0], "heldout": [0, 0]}
    shown = []
    for row in (r for r in rows if r["private"]):
        for value in row["values"]:
            words = re.findall(r"[^\W\d_]+", value)
            if not words or any(c.isdigit() for c in value):
                continue
            counts[row["split"]][0] += 1
            if is_famous_surname(words[-1]):
                counts[row["split"]][1] += 1
                if row["split"] == "dev":
                    shown.append(value)
    for split, (n, hit) in counts.items():
        print(f"{split}: {hit} of {n} private name values end in a listed family name")
    if shown:
        print("dev values on the list:", ", ".join(sorted(set(shown))))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--write", nargs="+", type=Path, metavar="DRAFT")
    args = p.parse_args()
    if args.write:
        write(args.write)
    check()


if __name__ == "__main__":
    main()
