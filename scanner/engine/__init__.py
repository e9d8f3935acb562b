"""One scan, orchestrated: read a source, store new snapshots, assess every group (signals, graph, scores),
persist, and tell whoever asked. Also where the signals run (here or on Ray), the one-scan-at-a-time lock, the
incremental-scan cache and the scope of a rescan."""
