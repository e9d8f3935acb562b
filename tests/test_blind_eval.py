"""bench/text_blind_eval.py prints aggregate figures only: no text, id or reason of any row, so a blind set
stays blind when its figures are shared."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROWS = [
    ("r1", "name", "scam", "0", "en", "roman", "zqxv guaranteed profit double money"),
    ("r2", "name", "benign", "1", "en", "roman", "zqxv teen patti club"),
    ("r3", "description", "incitement", "0", "hi", "native", "zqxv जला दो उनकी दुकान"),
    ("r4", "name", "benign", "0", "te", "native", "zqxv పిల్లల పాటలు"),
]


def test_figures_without_rows(tmp_path):
    path = tmp_path / "set.tsv"
    lines = ["id\tkind\tlabel\thard_negative\tlanguage\tscript\ttext"] + ["\t".join(r) for r in ROWS]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for extra in ([], ["--json"]):
        out = subprocess.run([sys.executable, str(ROOT / "bench" / "text_blind_eval.py"), str(path), *extra],
                             capture_output=True, text=True, check=True, cwd=ROOT).stdout
        assert "zqxv" not in out and "r1" not in out.split() and "patti" not in out
        assert "scam" in out and "hard negatives" in out.replace("_", " ")
