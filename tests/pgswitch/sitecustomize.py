"""Loaded by every Python process a test starts when the suite runs on PostgreSQL (conftest puts this folder on
PYTHONPATH): SQLite paths under the test folder open the same PostgreSQL database as in the test process
(pg_redirect.py). Then runs the interpreter's own sitecustomize, if any, which this file shadows."""

import importlib.machinery
import importlib.util
import os
import sys

_here = os.path.dirname(os.path.abspath(__file__))

if os.environ.get("GROUPSCAN_TEST_PG_SERVER"):
    sys.path.insert(0, _here)
    try:
        import pg_redirect

        pg_redirect.install()
    finally:
        sys.path.remove(_here)

_others = [p for p in sys.path if os.path.abspath(p or ".") != _here]
_spec = importlib.machinery.PathFinder.find_spec("sitecustomize", _others)
if _spec is not None and _spec.loader is not None:
    _spec.loader.exec_module(importlib.util.module_from_spec(_spec))
