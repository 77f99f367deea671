"""stats (work in progress)."""
