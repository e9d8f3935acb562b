"""Icons: reading images defensively, PDQ hashes and hash banks, the icon classifiers (open_nsfw, NudeNet), the
worker pool that runs them, the icon signal, and the classifier's backlog."""
