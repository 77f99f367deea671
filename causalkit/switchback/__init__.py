"""switchback (work in progress)."""
