"""Test-wide settings: progress lines off by default, no inherited terminal width.

click's ``CliRunner`` result mixes standard error into ``output``; a step that happens to take
more than two seconds on a slow machine would print a progress line there. Tests of progress
itself (tests/test_progress.py) set their own mode.

The text renderer fits ``COLUMNS``; a width inherited from the shell or the test runner's
workers (pytest-xdist sets one) would change what tests without an explicit width see. Tests
of width fitting pass the width or set ``COLUMNS`` themselves.
"""

from __future__ import annotations

import os

os.environ.setdefault("CAUSALKIT_PROGRESS", "off")
os.environ.pop("COLUMNS", None)
os.environ.pop("LINES", None)
