"""aha (work in progress)."""
