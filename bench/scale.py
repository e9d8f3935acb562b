"""Scale benchmark: the stages of a scan at N groups, the fast graph backend against a networkx baseline.

    .venv/bin/python -m bench.scale --groups 1000000
    .venv/bin/python -m bench.scale --groups 100000 --workdir /tmp/scale-data      # keep and reuse the data
    .venv/bin/python -m bench.scale --groups 1000000 --data /tmp/scale-data/groups-100000-seed-11 --tile

Not a test: it prints figures for the scale issue. Stages, with the calls ``scanner.engine.assess`` makes and the
default policy (``scanner.policy.default_policy()``):

- generate: ``python -m sample_groups.generate --seed S --groups N --out DIR --quiet`` in a subprocess. The
  generator has no option to skip icons (drawing them and saving them as optimised PNG is most of its time). If
  a projection from a 2,000-group probe says N will take longer than ``--generate-budget``, the largest round
  size that fits is generated instead, and said so. ``--workdir`` keeps generated folders and reuses them.
- read+validate (``scanner.sources.resolve`` then ``source.read``), fold (``scanner.graph.groups.fold``), icon PDQ
  (the icon signal's hashing, without the moderator thumbnails), graph build (``scanner.graph.build.project``,
  with the faiss near-duplicate icon search also timed on its own).
- GRAPH STAGE: the whole graph stage of ``assess`` with the fast backend (projection, Leiden, each group's ties
  into its harmful network (``scanner.graph.ties.network_support``) and, per category, to groups with evidence
  of it (``category_support``), PageRank per category on the directed
  walk), cold (with the near-duplicate icon search) and with the icon pairs known (as in an incremental scan,
  ``scanner.graph.icons``); with ``--tile`` also at the tiled size, which is the issue's 1M target.
- per backend, from the ``Projection``: backend graph (scipy CSR or ``networkx.Graph``), components,
  communities (``FastBackend``: Leiden CPM; networkx has no Leiden, so its baseline is
  ``networkx.community.louvain_communities``, a cost baseline only) and PageRank x5 (``proximity`` with
  ``backend.personalized_rank``, once per policy category, as ``assess`` does; seeds are the ring members of
  ``labels.csv``, standing in for direct evidence, since the text and icon signals are not run here).
  networkx communities are skipped above ``--nx-communities-max`` groups and all networkx stages above
  ``--nx-max``; every backend stage runs in a forked child and is stopped after ``--stage-budget`` seconds.
- ``--tile``: when the data holds fewer groups than ``--groups`` (fallback, or ``--data``), the graph stages run
  again on K disjoint copies of the folded groups (ids, admins and invite links suffixed per copy, PDQ hashes
  XOR-ed with a per-copy mask, which keeps distances inside a copy). The projection of the copies is the base
  projection repeated block-diagonally; the GRAPH STAGE is timed on the copied groups in a child (with the
  icon pairs known: each copy's pairs are the base pairs under its mask).
- full scan (``--full-scan-groups``, default 20000, 0 skips): ``scanner.engine.pipeline.run_scan`` into a temporary
  SQLite database, in a subprocess, with the scan's own stage timings.

Output: one line per stage as it finishes, then a table (seconds, groups/s, peak RSS, RSS added by the stage)
and the fast/networkx ratio per graph stage. Peak RSS is ``ru_maxrss``: for in-process stages after resetting
the high-water mark (``/proc/self/clear_refs``), so it is the stage's peak including what the process already
held ("+MB" is the part the stage added); for subprocesses it is the child's own rusage from ``os.wait4``.
Timings are wall clock on whatever else the machine is doing.
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path

import networkx as nx
import numpy as np

from bench.scale_report import GRAPH_STAGES, Report, Row, forked, measure, reset_peak, run_child
from bench.scale_tiling import tile_icon_pairs, tile_projection, tile_states
from scanner.graph.backend import FastBackend, GraphBackend, NetworkxBackend
from scanner.graph.build import Projection, project
from scanner.graph.groups import GroupState, fold
from scanner.graph.icons import near_duplicate_hash_pairs
from scanner.graph.propagate import proximity
from scanner.graph.ties import category_support, network_support
from scanner.images.hashbank import near_duplicate_pairs
from scanner.images.pdq import IconError, IconHash, hash_icon_file
from scanner.policy import Policy, default_policy
from scanner.schema import GroupSnapshot, Located
from scanner.sources import resolve

ROOT = Path(__file__).resolve().parents[1]
PROBE_GROUPS = 2000
MIN_GROUPS = 800  # sample_groups.networks.MIN_GROUPS
SEED_RISK = 0.9
# Generation grows a little faster than linearly (the icon bank checks each new icon against all issued ones):
# 100,000 groups took 1.2x the linear projection from a 2,000-group probe here.
GENERATE_GROWTH = 1.25
# ------------------------------------------------------------------------------------------------ generate
def complete(folder: Path) -> bool:
    return (folder / "labels.csv").is_file() and (folder / "hashlists" / "demo_known_icons.pdq").is_file()


def generate(report: Report, groups: int, seed: int, out: Path, stage: str = "generate") -> None:
    if complete(out):
        report.add(Row(stage, groups, note=f"reused {out} (not timed in this run)"))
        return
    seconds, peak, _ = run_child([sys.executable, "-m", "sample_groups.generate", "--seed", str(seed),
                                  "--groups", str(groups), "--out", str(out), "--quiet"])
    report.add(Row(stage, groups, seconds, peak, None, "subprocess, icons included (no option to skip them)"))


def affordable_size(requested: int, seed: int, budget: float, workdir: Path) -> int:
    """``requested``, or the largest round size a linear projection from a small probe puts within budget."""
    probe = workdir / f"probe-{PROBE_GROUPS}-seed-{seed}"
    seconds, _, _ = run_child([sys.executable, "-m", "sample_groups.generate", "--seed", str(seed),
                               "--groups", str(PROBE_GROUPS), "--out", str(probe), "--quiet"])
    shutil.rmtree(probe, ignore_errors=True)
    per_group = GENERATE_GROWTH * seconds / PROBE_GROUPS
    projected = per_group * requested
    print(f"generate probe: {PROBE_GROUPS:,} groups in {seconds:.1f} s; {requested:,} groups projected at "
          f"~{projected:,.0f} s", flush=True)
    if projected <= budget:
        return requested
    fits = int(budget / per_group)
    step = 10 ** max(len(str(fits)) - 2, 0)
    size = max(fits // step * step, MIN_GROUPS)
    print(f"generate: {requested:,} groups is over the {budget:.0f} s budget; generating {size:,} instead",
          flush=True)
    return size


# ---------------------------------------------------------------------------------------------- the stages
def read_snapshots(data: Path) -> tuple[list[GroupSnapshot], int]:
    source, path = resolve(data)
    snapshots: list[GroupSnapshot] = []
    rejected = 0
    for record in source.read(path):
        if isinstance(record, Located):
            snapshots.append(record.snapshot)
        else:
            rejected += 1
    return snapshots, rejected


def icon_hashes(states: Mapping[str, GroupState], data_root: Path, policy: Policy
                ) -> tuple[dict[str, str], dict[str, tuple[str, ...]], int]:
    """``pdq_by_group`` and dihedral ``variants`` as ``assess`` builds them from the icon signal's features
    (a computed PDQ of enough quality, else the upstream one); files hashed once per path, no thumbnails."""
    settings = policy.signals.icon
    cache: dict[Path, IconHash | IconError] = {}
    pdq_by_group: dict[str, str] = {}
    variants: dict[str, tuple[str, ...]] = {}
    for gid, state in states.items():
        snap = state.latest
        pdq = None
        if snap.icon is not None:
            path = data_root / snap.icon.path
            if path not in cache:
                try:
                    cache[path] = hash_icon_file(path, settings.max_image_bytes, settings.max_image_pixels)
                except IconError as error:
                    cache[path] = error
            found = cache[path]
            if isinstance(found, IconHash) and found.quality >= settings.min_pdq_quality:
                pdq = found.pdq
                variants[pdq] = found.dihedral
        if pdq is None and snap.icon_signals is not None and snap.icon_signals.pdq:
            pdq = snap.icon_signals.pdq
        if pdq:
            pdq_by_group[gid] = pdq
    return pdq_by_group, variants, len(cache)


def seeds_from_labels(data: Path, groups: Sequence[str], categories: Sequence[str]) -> dict[str, np.ndarray]:
    """Direct risk per category: ``SEED_RISK`` for the ring members labelled with it, else 0."""
    with open(data / "labels.csv", newline="", encoding="utf-8") as handle:
        label = {row["group_id"]: row["label"] for row in csv.DictReader(handle)}
    return {c: np.array([SEED_RISK if label.get(g) == c else 0.0 for g in groups]) for c in categories}


def rank_all(projection: Projection, seeds: Mapping[str, np.ndarray], policy: Policy, backend: GraphBackend) -> str:
    """The propagation step of ``assess``: graph proximity per category through ``backend.personalized_rank``."""
    prop = policy.graph.propagation
    if not (policy.graph.enabled and projection.edges):
        return "no edges"
    adjacency = projection.walk()  # as assess: the directed walk (scanner.graph.ties)
    reached = 0
    for category in policy.categories:
        values = proximity(adjacency, seeds[category], prop.seed_min_risk, prop.restart, prop.max_iter,
                           backend.components(projection),
                           lambda s: backend.personalized_rank(projection, s, prop.restart, prop.max_iter))
        reached += int((values >= 0.01).sum())
    return f"{len(policy.categories)} categories, {sum(int((s > 0).sum()) for s in seeds.values()):,} seeds, " \
           f"{reached:,} group-categories >= 0.01"


def graph_stages(report: Report, projection: Projection, seeds: Mapping[str, np.ndarray], policy: Policy,
                 args: argparse.Namespace) -> None:
    n = len(projection.groups)
    community = policy.graph.community
    fast, baseline = FastBackend(), NetworkxBackend()

    def count(labels: np.ndarray) -> str:
        return f"{len(np.unique(labels)):,} components"

    def fast_graph() -> str:
        return f"{projection.adjacency().nnz // 2:,} edges (CSR)"

    def fast_communities() -> str:
        return f"{len(fast.communities(projection, community.resolution, community.seed)):,} (Leiden CPM)"

    forked(report, "backend graph", "fast", n, args.stage_budget, fast_graph)
    forked(report, "components", "fast", n, args.stage_budget, lambda: count(fast.components(projection)))
    forked(report, "communities", "fast", n, args.stage_budget, fast_communities)
    forked(report, "pagerank x5", "fast", n, args.stage_budget, lambda: rank_all(projection, seeds, policy, fast))

    if n > args.nx_max:
        for stage in GRAPH_STAGES:
            report.add(Row(stage, n, note=f"skipped (> budget: over --nx-max {args.nx_max:,})", backend="networkx"))
        return

    def nx_graph() -> str:
        graph = NetworkxBackend.graph(projection)
        return f"{graph.number_of_edges():,} edges"

    def nx_communities() -> str:
        graph = NetworkxBackend.graph(projection)
        found = nx.community.louvain_communities(graph, weight="weight", seed=community.seed)
        return f"{len(found):,} (Louvain modularity, a cost baseline)"

    forked(report, "backend graph", "networkx", n, args.stage_budget, nx_graph)
    forked(report, "components", "networkx", n, args.stage_budget, lambda: count(baseline.components(projection)))
    if n > args.nx_communities_max:
        report.add(Row("communities", n, note=f"skipped (> budget: Louvain over {args.nx_communities_max:,} groups)",
                       backend="networkx"))
    else:
        forked(report, "communities", "networkx", n, args.stage_budget, nx_communities)
    forked(report, "pagerank x5", "networkx", n, args.stage_budget,
           lambda: rank_all(projection, seeds, policy, baseline))


def graph_stage(states: Mapping[str, GroupState], pdq_by_group: Mapping[str, str],
                variants: Mapping[str, Sequence[str]], icon_pairs: set[tuple[str, str]] | None,
                seeds: Mapping[str, np.ndarray] | None, policy: Policy) -> str:
    """The whole graph stage of ``assess`` with the fast backend: projection (with the icon pairs known, as in
    an incremental scan, or searched when None), Leiden CPM communities, and PageRank per category. The inputs
    are frozen out of the cyclic garbage collector's sight first, as ``scan_records`` does."""
    gc.freeze()
    known = (set(pdq_by_group.values()), icon_pairs) if icon_pairs is not None else None
    pairs = near_duplicate_hash_pairs(pdq_by_group.values(), policy.graph.near_duplicate_radius, variants,
                                      *(known or ((), ())))
    projection, _ = project(states, pdq_by_group, policy.graph, variants, sorted(pairs))
    community = policy.graph.community
    found = FastBackend().communities(projection, community.resolution, community.seed)
    supported = ""
    if seeds is not None:
        # Each group's ties into its harmful network (scanner.graph.ties), as assess computes them.
        membership = np.full(len(projection.groups), -1, dtype=np.int64)
        for number, members in enumerate(found):
            membership[members] = number
        worth = (np.max(np.stack(list(seeds.values())), axis=0) >= policy.graph.propagation.seed_min_risk)
        network = network_support(projection, membership, len(found), worth.astype(np.int64), (),
                                  policy.graph.edge_weights, policy.graph.ties)
        # Per category, the ties to groups with evidence of it (scanner.graph.ties.category_support), as assess.
        for values in seeds.values():
            category_support(projection, network, values, policy.graph.ties, values >= SEED_RISK)
        supported = f", {int((network.support >= policy.graph.ties.member_min).sum()):,} groups with member support"
    ranked = rank_all(projection, seeds, policy, FastBackend()) if seeds is not None else "no seeds"
    return f"{projection.edges:,} edges, {len(pairs):,} icon pairs, {len(found):,} communities{supported}; {ranked}"


# --------------------------------------------------------------------------------------------- full scan
def timed_scan(location: Path, db: str, cache_dir: Path | None = None) -> dict:
    """``run_scan`` of ``location`` into the SQLite file ``db`` with the default policy, the bundled lexicon
    and the data's hash lists, as ``groupscan scan`` would; returns seconds and the scan's own figures."""
    from scanner.engine.pipeline import run_scan
    from scanner.engine.runner import LocalRunner
    from scanner.images.hashbank import read_bank
    from scanner.images.icon_pool import available_cpus
    from scanner.store.db import open_database
    from scanner.text.lexicon import load_lexicon

    data = location if location.is_dir() else location.parent
    policy = default_policy()
    settings = policy.signals.hash_banks
    banks = [read_bank(p, settings.default_category, settings.default_threshold)
             for p in sorted((data / "hashlists").glob("*.pdq"))]
    engine = open_database(db)
    started = time.perf_counter()
    # As `groupscan scan` runs it: icons hashed in one worker process per CPU.
    summary = run_scan(engine, location, policy, banks, load_lexicon(None), cache_dir=cache_dir,
                       runner=LocalRunner(workers=available_cpus()))
    seconds = time.perf_counter() - started
    engine.dispose()
    return {"seconds": seconds, "groups": summary.groups, "records": summary.records_read,
            "changed": summary.groups_changed, "timings": summary.timings,
            "cache_written": summary.cache_written, "reused": summary.groups_reused,
            "scored": summary.groups_scored}


def full_scan_child() -> None:
    """Entry point of the full-scan subprocess: ``run_scan`` of argv[1] into the SQLite file argv[2]."""
    print(json.dumps(timed_scan(Path(sys.argv[1]), sys.argv[2])))


def full_scan(report: Report, groups: int, seed: int, workdir: Path) -> None:
    data = workdir / f"groups-{groups}-seed-{seed}"
    generate(report, groups, seed, data, stage="generate (full-scan data)")
    with tempfile.TemporaryDirectory(prefix="groupscan-scale-db-") as tmp:
        seconds, peak, output = run_child([sys.executable, "-c", "from bench.scale import full_scan_child; "
                                           "full_scan_child()", str(data), str(Path(tmp) / "scan.db")])
    result = json.loads(output.strip().splitlines()[-1])
    parts = ", ".join(f"{k} {v:.1f}" for k, v in result["timings"].items())
    per_group = 1000 * result["seconds"] / max(result["groups"], 1)
    report.add(Row("full scan (run_scan, SQLite)", result["groups"], result["seconds"], peak, None,
                   f"{per_group:.2f} ms/group; {parts}; process {seconds:.1f} s incl. imports"))


# --------------------------------------------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=1_000_000, help="groups to benchmark (default 1,000,000)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--workdir", type=Path, help="keep generated folders here and reuse them (default: temp)")
    parser.add_argument("--data", type=Path, help="an already generated folder to use instead of generating")
    parser.add_argument("--generate-budget", type=float, default=600, help="seconds allowed for generating")
    parser.add_argument("--tile", action="store_true", help="also run the graph stages at --groups by tiling")
    parser.add_argument("--stage-budget", type=float, default=600, help="seconds allowed per graph stage")
    parser.add_argument("--nx-max", type=int, default=1_000_000, help="no networkx stages above this size")
    parser.add_argument("--nx-communities-max", type=int, default=100_000,
                        help="no networkx Louvain above this size")
    parser.add_argument("--full-scan-groups", type=int, default=20_000, help="size of the full scan (0: skip)")
    args = parser.parse_args()

    policy = default_policy()
    temporary = None if args.workdir else tempfile.TemporaryDirectory(prefix="groupscan-scale-")
    workdir = args.workdir if temporary is None else Path(temporary.name)
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"groupscan scale bench: --groups {args.groups:,}, seed {args.seed}, {os.cpu_count()} CPUs, "
          f"peak RSS per stage {'reset per stage' if reset_peak() else 'CUMULATIVE (no clear_refs)'}", flush=True)
    report = Report()
    try:
        if args.data:
            data = args.data
            print(f"generate: --data {data}, not generated in this run", flush=True)
        else:
            size = args.groups
            data = workdir / f"groups-{size}-seed-{args.seed}"
            if not complete(data) and size > 25 * PROBE_GROUPS:
                size = affordable_size(size, args.seed, args.generate_budget, workdir)
                data = workdir / f"groups-{size}-seed-{args.seed}"
            generate(report, size, args.seed, data)

        (snapshots, rejected), taken = measure(lambda: read_snapshots(data))
        records = len(snapshots)
        states, fold_taken = measure(partial(fold, snapshots))
        n = len(states)
        report.add(Row("read+validate", n, taken.seconds, taken.peak_mb, taken.added_mb,
                       f"{records:,} records, {rejected} rejected"))
        report.add(Row("fold", n, fold_taken.seconds, fold_taken.peak_mb, fold_taken.added_mb))
        del snapshots

        (pdq_by_group, variants, files), taken = measure(lambda: icon_hashes(states, data, policy))
        report.add(Row("icon PDQ (no thumbnails)", n, taken.seconds, taken.peak_mb, taken.added_mb,
                       f"{files:,} files, {len(pdq_by_group):,} groups with a PDQ"))
        distinct = sorted(set(pdq_by_group.values()))
        pairs, taken = measure(lambda: near_duplicate_pairs(distinct, policy.graph.near_duplicate_radius, variants))
        report.add(Row("  icon near-duplicates (in project)", n, taken.seconds, taken.peak_mb, taken.added_mb,
                       f"{len(distinct):,} hashes x8 dihedral queries (faiss flat), {len(pairs):,} pairs"))
        (projection, _), taken = measure(lambda: project(states, pdq_by_group, policy.graph, variants))
        report.add(Row("graph build (project)", n, taken.seconds, taken.peak_mb, taken.added_mb,
                       f"{projection.edges:,} edges, {len(projection.hubs)} hubs"))

        seeds = seeds_from_labels(data, projection.groups, list(policy.categories))
        base_pairs = near_duplicate_hash_pairs(distinct, policy.graph.near_duplicate_radius, variants)
        forked(report, "GRAPH STAGE (cold: icon search)", "fast", n, args.stage_budget,
               lambda: graph_stage(states, pdq_by_group, variants, None, seeds, policy))
        forked(report, "GRAPH STAGE (icon pairs known)", "fast", n, args.stage_budget,
               lambda: graph_stage(states, pdq_by_group, variants, base_pairs, seeds, policy))
        graph_stages(report, projection, seeds, policy, args)

        copies = round(args.groups / n)
        if args.tile and copies > 1:
            total = copies * n
            print(f"tiling: {copies} copies of {n:,} groups = {total:,} groups for the graph stages", flush=True)
            inputs: dict[str, tuple] = {}

            big_seeds = {c: np.tile(s, copies) for c, s in seeds.items()}

            def prepare() -> None:  # in the child, untimed
                inputs["tiled"] = (*tile_states(states, pdq_by_group, variants, copies, args.seed),
                                   tile_icon_pairs(base_pairs, copies, args.seed))

            def stage_tiled() -> str:
                tiled_states, tiled_pdq, tiled_variants, tiled_pairs = inputs["tiled"]
                return graph_stage(tiled_states, tiled_pdq, tiled_variants, tiled_pairs, big_seeds, policy)

            forked(report, "GRAPH STAGE (icon pairs known)", "fast", total, args.stage_budget, stage_tiled, prepare)
            big, taken = measure(lambda: tile_projection(projection, copies))
            report.add(Row("  tile projection (bench setup)", total, taken.seconds, taken.peak_mb, taken.added_mb,
                           f"{big.edges:,} edges"))
            del projection
            graph_stages(report, big, big_seeds, policy, args)

        if args.full_scan_groups > 0:
            full_scan(report, args.full_scan_groups, args.seed, workdir)
    finally:
        if temporary is not None:
            temporary.cleanup()
    report.table()
    print("\nWall-clock figures on a shared machine: other work running at the same time distorts them.")


if __name__ == "__main__":
    main()
