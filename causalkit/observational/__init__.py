"""observational (work in progress)."""
