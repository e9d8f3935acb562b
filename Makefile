# The usual tasks, as CI runs them (.ci/run). `make setup` once, then `make lint test`.
PYTHON := .venv/bin/python

.PHONY: setup lint test test-postgres eval policy-reference

# The test extra and the real servers the tests need (Synapse, PostgreSQL, Chromium, Draupnir's library).
setup:
	.venv/bin/pip install -e '.[test]'
	scripts/bootstrap-test-servers

# ruff, mypy, and the one-way layers with no import cycle (docs/architecture.md).
lint:
	.venv/bin/ruff check .
	.venv/bin/mypy
	.venv/bin/lint-imports

# The whole suite on SQLite; a test skipped for a missing server fails (README.md, "Run the tests").
test:
	GROUPSCAN_REQUIRE_SERVERS=1 $(PYTHON) -m pytest

# The whole suite again on PostgreSQL: a server the tests start, a fresh database wherever a test makes a SQLite one.
test-postgres:
	GROUPSCAN_TEST_DATABASE=postgres $(PYTHON) -m pytest

# The evaluation figures on the synthetic data set (README.md, "Measured on sample_groups/").
eval:
	.venv/bin/groupscan eval sample_groups/

# docs/policy.md from the policy's models and the commented default policy.
policy-reference:
	$(PYTHON) scripts/policy_reference.py
