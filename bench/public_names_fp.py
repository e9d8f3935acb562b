"""False-positive side of the text signals on real public group names nobody on the team wrote.

    .venv/bin/python bench/public_names_fp.py [--path ../shared/eval/public_group_names.tsv] [--json]

Prints the flagged share (target <= 1.0 %) and every flagged name with its category, score and strongest reason,
so a change that starts flagging real names shows which words did it. Measured only: never write a rule or a
lexicon entry for one of these rows.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

from scanner.policy import load_policy
from scanner.scoring.names import classify_names

DEFAULT = Path(__file__).resolve().parents[1].parent.parent / "shared" / "eval" / "public_group_names.tsv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--path", type=Path, default=DEFAULT if DEFAULT.is_file() else Path(
        "/work/shared/eval/public_group_names.tsv"))
    parser.add_argument("--policy", type=Path, default=None, help="a policy file (e.g. another text model path)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with args.path.open(encoding="utf-8", newline="") as handle:
        names = [row["name"] for row in csv.DictReader(handle, delimiter="\t")]
    results = classify_names(names, load_policy(args.policy))
    flagged = [{"name": r["text"], "category": r["flagged"][0], "score": r["categories"][r["flagged"][0]],
                "reason": r["reasons"][0]["sentence"] if r["reasons"] else ""} for r in results if r["flagged"]]
    share = len(flagged) / len(names) if names else 0.0
    if args.json:
        print(json.dumps({"names": len(names), "flagged": len(flagged), "flagged_share": round(share, 4),
                          "flagged_names": flagged}, ensure_ascii=False, indent=2))
        return
    print(f"{len(flagged)} of {len(names)} public names flagged ({share:.2%}; target <= 1.0 %)")
    for f in flagged:
        print(f"  {f['category']:20s} {f['score']:.2f}  {f['name']!r}: {f['reason']}")


if __name__ == "__main__":
    main()
