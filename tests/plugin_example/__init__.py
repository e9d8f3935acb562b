"""A third-party plugin as a deployer would write one: a signal, a source and an action, each a module of its
own, registered only by entry points (``tests/test_plugins.py`` writes them into a temporary ``*.dist-info``).
Nothing in ``scanner/`` names them."""
