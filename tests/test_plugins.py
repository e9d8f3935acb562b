"""The plugin seam: every registered signal keeps the signal contract, the built-ins are registered through the
same entry points as anyone's, a policy section belongs to the signal of that name (old keys still read), and a
third-party signal, source and action (``tests/plugin_example``) join a scan with no edit anywhere else."""

from __future__ import annotations

import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import BaseModel

from scanner.engine.notify import notify
from scanner.engine.pipeline import run_scan
from scanner.plugins import registry
from scanner.plugins.actions import decision_made
from scanner.policy import PolicyError, default_policy, load_policy
from scanner.schema import GroupSnapshot
from scanner.signals.base import CacheKeyed, ScanContext, SignalPlugin, SignalSetup
from scanner.store.db import open_database
from scanner.store.queries import group_detail
from tests.plugin_example import action as example_action
from tests.support.factories import ROOT

SIGNALS = sorted(registry.registered("signals"))


@pytest.mark.parametrize("name", SIGNALS)
def test_every_registered_signal_keeps_the_signal_contract(name, tmp_path):
    plugin = registry.registered("signals")[name]
    assert isinstance(plugin, SignalPlugin) and plugin.name == name and isinstance(plugin.order, int)
    assert plugin.config_model is None or issubclass(plugin.config_model, BaseModel)
    if plugin.config_model is not None:
        assert isinstance(default_policy().signals.section(name), plugin.config_model)
    examples = plugin.examples()
    assert len(examples) >= 2 and all(isinstance(e, GroupSnapshot) for e in examples)
    assert len({e.group_id for e in examples}) == len(examples)
    confirmed = {e.group_id: {"category": "child_safety", "case_id": "c-1", "at": "2026-01-01"} for e in examples[:1]}
    signal = plugin.from_policy(default_policy(), SignalSetup(confirmed=confirmed))
    assert signal is not None and signal.name == name and str(signal.version)
    context = ScanContext(tmp_path)
    results = signal.score(examples, context)
    assert [r.group_id for r in results] == [e.group_id for e in examples]
    assert all(r.signal == name and all(0 <= v <= 1 for v in r.scores.values()) for r in results)
    assert any(r.scores for r in results), "an example the signal has something to say about"
    # Results do not depend on batch order or size.
    again = plugin.from_policy(default_policy(), SignalSetup(confirmed=confirmed))
    assert again is not None
    backwards = {r.group_id: r for r in again.score(list(reversed(examples)), context)}
    assert all(backwards[r.group_id].scores == r.scores for r in results)
    if isinstance(signal, CacheKeyed):
        assert signal.cache_key() == again.cache_key()


def test_the_built_in_plugins_are_registered_through_entry_points_like_anyone_elses():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["entry-points"]
    for kind, group in registry.GROUPS.items():
        assert list(registry.registered(kind)) == list(declared[group]), kind
    assert {"lexicon", "icon", "text_model", "review"} <= set(declared["groupscan.signals"])
    assert set(declared["groupscan.actions"]) == {"webhooks", "matrix-notice", "policy-list"}


def test_a_signal_weight_is_read_from_its_own_section_and_from_the_old_key(tmp_path):
    assert default_policy().signals.review.weight == default_policy().review.confirmed_weight == 0.99
    new = tmp_path / "new.yaml"
    new.write_text("signals:\n  review:\n    weight: 0.5\n", encoding="utf-8")
    old = tmp_path / "old.yaml"
    old.write_text("review:\n  confirmed_weight: 0.4\n", encoding="utf-8")
    both = tmp_path / "both.yaml"
    both.write_text("signals:\n  review:\n    weight: 0.7\nreview:\n  confirmed_weight: 0.2\n", encoding="utf-8")
    for path, weight in ((new, 0.5), (old, 0.4), (both, 0.7)):
        policy = load_policy(path)
        assert policy.signals.review.weight == policy.review.confirmed_weight == weight, path.name


def test_a_policy_section_nobody_registered_is_refused(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("signals:\n  no_such_signal:\n    weight: 1\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="unknown signal 'no_such_signal'"):
        load_policy(path)


@pytest.fixture
def example_plugin(tmp_path):
    """tests/plugin_example installed the way pip installs a package: a dist-info with its entry points."""
    site = tmp_path / "site"
    info = site / "groupscan_example_plugin-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: groupscan-example-plugin\nVersion: 0.1\n",
                                   encoding="utf-8")
    (info / "entry_points.txt").write_text(
        "[groupscan.signals]\nwatchword = tests.plugin_example.signal:WatchwordSignal\n\n"
        "[groupscan.sources]\ntsv = tests.plugin_example.source:TsvSource\n\n"
        "[groupscan.actions]\nrecorder = tests.plugin_example.action:RecordingAction\n", encoding="utf-8")
    sys.path.insert(0, str(site))
    registry.refresh()
    example_action.SEEN.clear()
    yield
    sys.path.remove(str(site))
    registry.refresh()


def test_a_third_party_signal_source_and_action_join_a_scan_with_no_edit_elsewhere(example_plugin, tmp_path):
    assert "watchword" in registry.registered("signals") and "tsv" in registry.registered("sources")
    data = tmp_path / "data"
    data.mkdir()
    (data / "export.groups.tsv").write_text("tg:1\tpaid new link\ntg:2\tcricket club\n", encoding="utf-8")
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text("signals:\n  watchword:\n    word: paid\n    weight: 0.35\n", encoding="utf-8")
    policy = load_policy(policy_file)
    assert policy.signals.section("watchword").weight == 0.35  # validated by the plugin's own model

    engine = open_database(str(tmp_path / "p.db"))
    summary = run_scan(engine, data / "export.groups.tsv", policy)
    assert summary.records_read == 2 and summary.models["watchword"] == "1"
    reasons = group_detail(engine, "tg:1")["reasons"]
    assert any(r["signal"] == "watchword" and r["weight"] == 0.35 for r in reasons)
    assert not any(r["signal"] == "watchword" for r in group_detail(engine, "tg:2")["reasons"])

    assert notify(engine, policy, summary) == []
    decision_made(None, policy, "decision", {"case_id": "c-1"}, datetime.now(UTC))  # type: ignore[arg-type]
    assert [kind for kind, _ in example_action.SEEN] == ["scan", "decision"]
    assert example_action.SEEN[0][1]["scan_id"] == summary.scan_id


def test_a_bad_policy_section_of_a_plugin_names_the_key(example_plugin, tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("signals:\n  watchword:\n    weight: 3\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="signals"):
        load_policy(path)


def test_the_plugin_is_gone_when_its_package_is(tmp_path):
    assert "watchword" not in registry.registered("signals")
    assert Path(registry.__file__).is_file()
