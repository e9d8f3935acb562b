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


def main() -> None:
    from sklearn.linear_model import LogisticRegression

    from models.text.e5_finetune import training_rows
    from scanner.text.model.gate import GATE_FILE
    from scanner.text.model.static import StaticEncoder

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("--data", type=Path, default=HERE)
    parser.add_argument("--blind", type=Path, action="append", default=None)
    parser.add_argument("--exclude", action="append", default=None, help="default: l_scam_names, as e5.4's encoder")
    parser.add_argument("--regularisation", type=float, default=4.0, help="sklearn's C")
    args = parser.parse_args()
    blind_dirs = args.blind or [HERE / "blind_train", HERE / "blind_train" / "round3", HERE / "blind_train" / "round4"]
    exclude = tuple(args.exclude or ["l_scam_names"])
    # the encoder's own rows (every synthetic training row, not its seeded sample), harm against benign
    texts, targets, weights, *_ = training_rows(args.data / "base_corpus.tsv.gz", blind_dirs, 10**9, 3.0, 0, exclude)
    harmful = targets != 0  # LABELS[0] is benign
    vectors = StaticEncoder(args.out).encode(texts)
    head = LogisticRegression(C=args.regularisation, max_iter=2000).fit(vectors, harmful, sample_weight=weights)
    path = args.out / GATE_FILE
    np.savez(path, weights=head.coef_[0].astype(np.float32), bias=np.float32(head.intercept_[0]))
    scores = head.predict_proba(vectors)[:, 1]
    report = {"rows": len(texts), "harmful": int(harmful.sum()), "regularisation": args.regularisation,
              "blind_dirs": [str(d) for d in blind_dirs], "excluded": sorted(exclude),
              "training_pass_rate_at_0.3": {"harmful": round(float((scores[harmful] >= 0.3).mean()), 3),
                                            "benign": round(float((scores[~harmful] >= 0.3).mean()), 3)},
              "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
