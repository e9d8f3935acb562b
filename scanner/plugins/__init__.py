"""Plugins: signals, sources and actions, found through entry points (``groupscan.signals``,
``groupscan.sources``, ``groupscan.actions``). groupscan's own are registered the same way, in its
``pyproject.toml``; a third-party package adds one with a module and one entry point, and no edit here."""
