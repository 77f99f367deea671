"""The causalkit version (its own module, so any layer can read it without importing the door)."""

__version__ = "0.1.0"
