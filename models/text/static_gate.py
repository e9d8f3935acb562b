"""Build time: the word gate's logistic head on the static e5 table (``static_gate.npz``).

    python -m models.text.static_gate [--out models/text] [--blind DIR ...] [--exclude STEM]

Why: ``scanner.text.model.gate`` explains the gate. The head is harm (any of the five categories) against benign,
on the mean static e5 vector of each text, fitted on the same rows as the fine-tuned encoder: the synthetic
corpus's training split (weight 1) and the blind authors' training rows (weight 3). Never on an evaluation set,
the synthetic held-out splits or the public names. Deterministic (lbfgs on a fixed row order).
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def training_rows(data: Path, blind_dirs: list[Path], exclude: set[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    from scanner.text.model.blind import read_blind
    from scanner.text.model.corpus import read_corpus
    from scanner.text.normalize import normalize

    train = [e for e in read_corpus(data / "base_corpus.tsv.gz") if e.split == "train"]
    blind = [r for d in blind_dirs for r in read_blind(d) if r.group.split(":")[0] not in exclude]
    texts = [normalize(e.text).text for e in train] + [normalize(r.text).text for r in blind]
    harmful = np.array([e.label != "benign" for e in train] + [r.label != "benign" for r in blind])
    weights = np.array([1.0] * len(train) + [3.0] * len(blind))
    return texts, harmful, weights


def main() -> None:
    from sklearn.linear_model import LogisticRegression

    from scanner.text.model.gate import GATE_FILE
    from scanner.text.model.static import StaticEncoder

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("--data", type=Path, default=HERE)
    parser.add_argument("--blind", type=Path, action="append", default=None)
    parser.add_argument("--exclude", action="append", default=[])
    parser.add_argument("--regularisation", type=float, default=4.0, help="sklearn's C")
    args = parser.parse_args()
    blind_dirs = args.blind or [HERE / "blind_train", HERE / "blind_train" / "round3", HERE / "blind_train" / "round4"]
    texts, harmful, weights = training_rows(args.data, blind_dirs, set(args.exclude or ["l_scam_names"]))
    vectors = StaticEncoder(args.out).encode(texts)
    head = LogisticRegression(C=args.regularisation, max_iter=2000).fit(vectors, harmful, sample_weight=weights)
    path = args.out / GATE_FILE
    np.savez(path, weights=head.coef_[0].astype(np.float32), bias=np.float32(head.intercept_[0]))
    scores = head.predict_proba(vectors)[:, 1]
    report = {"rows": len(texts), "harmful": int(harmful.sum()), "regularisation": args.regularisation,
              "blind_dirs": [str(d) for d in blind_dirs], "excluded": sorted(set(args.exclude or ["l_scam_names"])),
              "training_pass_rate_at_0.3": {"harmful": round(float((scores[harmful] >= 0.3).mean()), 3),
                                            "benign": round(float((scores[~harmful] >= 0.3).mean()), 3)},
              "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
