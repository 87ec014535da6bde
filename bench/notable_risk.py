"""How often would a private person's name be taken for a notable one?

    .venv/bin/python bench/notable_risk.py [--data ../shared/data]

The notable-name list (``privacy/notables.py``) makes a full name weak with no cue at
all, so its one risk is a private person who shares a listed name. This counts, for
names known to be private, how many are on that list:

* the private values of ``bench/data/real_prompts.jsonl`` (both halves; values of two
  or three words), and
* the PERSON spans of the two synthetic Presidio sets in ../shared/data (names drawn
  from Faker's common-name lists: the namesakes most likely in real traffic).

It prints counts only; with ``--show`` it also prints the matched dev-half and synthetic
names (never held-out ones), to see what kind of name slips through.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from edge_router.privacy.notables import NAME_PART, load_notables  # noqa: E402
from edge_router.privacy.settings import ScannerSettings  # noqa: E402

SYNTHETIC = ("presidio_synth_dataset_v2.json", "presidio_generated_large.json")


def _full_name(value: str) -> bool:
    parts = NAME_PART.findall(value)
    return 2 <= len(parts) <= 3 and not any(c.isdigit() for c in value)


def real_prompt_values(path: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"dev": [], "heldout": []}
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["private"]:
            out[row["split"]] += [v for v in row["values"] if _full_name(v)]
    return out


def synthetic_names(data: Path) -> list[str]:
    names = []
    for file in SYNTHETIC:
        for sample in json.loads((data / file).read_text(encoding="utf-8")):
            text = sample.get("full_text") or sample.get("text") or ""
            for span in sample.get("spans", []):
                if span.get("entity_type") in ("PERSON", "PER"):
                    value = (
                        span.get("entity_value")
                        or text[span["start_position"] : span["end_position"]]
                    )
                    if _full_name(value):
                        names.append(value)
    return names


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--show", action="store_true", help="print dev/synthetic matches")
    args = parser.parse_args()
    notables = load_notables(ScannerSettings().notable_names)
    if notables is None:
        print("list missing: run ./install.sh", file=sys.stderr)
        return 1
    real = real_prompt_values(REPO / "bench" / "data" / "real_prompts.jsonl")
    sets = {
        "real prompts, dev private values": real["dev"],
        "real prompts, held-out private values": real["heldout"],
        "synthetic PERSON spans (Faker names)": synthetic_names(args.data),
    }
    print("| private names | n | on the notable list |")
    print("|---|---:|---:|")
    for label, names in sets.items():
        hits = [n for n in names if notables.has_name(n)]
        print(f"| {label} | {len(names)} | {len(hits)} ({100 * len(hits) / len(names):.1f}%) |")
        if args.show and "held-out" not in label and hits:
            print(f"  {label}: {sorted(set(hits))}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
