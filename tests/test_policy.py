from __future__ import annotations

import pytest

from scanner.policy import PolicyError, default_policy, load_policy


def test_default_policy_matches_the_taxonomy():
    policy = default_policy()
    assert policy.categories["child_safety"].severity == "P0"
    assert policy.categories["child_safety"].deadline_hours == 1
    assert policy.categories["scam"].severity == "P3"
    assert policy.severity_of("incitement", evasion=True) == "P0"
    assert policy.severity_of("child_safety", evasion=True) == "P0"


def test_override_merges_over_defaults(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text("review_threshold: 0.7\ncategories:\n  scam: {severity: P2, deadline_hours: 24}\n")
    policy = load_policy(path)
    assert policy.review_threshold == 0.7
    assert policy.categories["scam"].severity == "P2"
    assert policy.categories["child_safety"].severity == "P0"


def test_errors_name_file_and_line(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text("# comment\nreview_threshold: 0.5\ngraph:\n  community:\n    resolution: 7\n")
    with pytest.raises(PolicyError) as error:
        load_policy(path)
    assert f"{path}:5" in str(error.value)
    assert "graph.community.resolution" in str(error.value)


def test_unknown_indicator_class_and_key_are_refused(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text("signals:\n  lexicon:\n    rules:\n      scam:\n        - {all_of: [scamm], weight: 0.5}\n")
    with pytest.raises(PolicyError, match="unknown indicator classes"):
        load_policy(path)
    path.write_text("reveiw_threshold: 0.5\n")
    with pytest.raises(PolicyError, match="reveiw_threshold"):
        load_policy(path)


def test_unreadable_policy(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text("a: [unclosed\n")
    with pytest.raises(PolicyError, match="cannot read policy"):
        load_policy(path)


def test_policy_command_prints_effective_policy_and_fails_with_line(tmp_path):
    import yaml
    from typer.testing import CliRunner

    from scanner.cli import app

    runner = CliRunner()
    path = tmp_path / "p.yaml"
    path.write_text("review_threshold: 0.6\n")
    shown = runner.invoke(app, ["policy", str(path)])
    assert shown.exit_code == 0 and yaml.safe_load(shown.stdout)["review_threshold"] == 0.6
    path.write_text("review_threshold: 0.6\ngraph:\n  community:\n    resolution: 9\n")
    failed = runner.invoke(app, ["policy", str(path)])
    assert failed.exit_code == 2 and "p.yaml:4" in failed.output


def test_graph_ties_and_category_context_are_validated(tmp_path):
    policy = default_policy()
    assert policy.graph.ties.posted_to_it < policy.graph.ties.posted_by_it  # direction matters by default
    assert policy.fusion.category_context["child_safety"].markers == ["explicit_icon", "minor_indicator"]
    path = tmp_path / "policy.yaml"
    path.write_text("fusion:\n  category_context:\n    child_abuse: {markers: [explicit_icon], weight: 0.9}\n")
    with pytest.raises(PolicyError, match="child_abuse"):
        load_policy(path)
    path.write_text("graph:\n  ties:\n    posted_to_it: 0\n")
    with pytest.raises(PolicyError, match="posted_to_it"):
        load_policy(path)
    path.write_text("fusion:\n  category_context:\n    child_safety: {markers: [explicit_icon], weight: 0}\n")
    assert load_policy(path).fusion.category_context["child_safety"].weight == 0  # the rule turned off
