"""Bots that watch groups where they live (Matrix, Telegram). One core (``core.BotCore``: snapshots in, the same
scan path as ``groupscan scan``, alert decisions out) and a thin adapter per platform."""
