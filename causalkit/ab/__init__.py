"""ab (work in progress)."""
