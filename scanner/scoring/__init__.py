"""Scoring: pure functions from signal results and the graph to per-category risk with reasons, and the
evaluation of those scores against ground truth."""
