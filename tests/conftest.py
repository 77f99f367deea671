"""Test-wide settings: progress lines off, no inherited terminal width, reproducible properties.

click's ``CliRunner`` result mixes standard error into ``output``; a step that happens to take
more than two seconds on a slow machine would print a progress line there. Tests of progress
itself (tests/test_progress.py) set their own mode.

The text renderer fits ``COLUMNS``; a width inherited from the shell or the test runner's
workers (pytest-xdist sets one) would change what tests without an explicit width see. Tests
of width fitting pass the width or set ``COLUMNS`` themselves.

Property tests (hypothesis) draw their examples from a fixed seed per test (``derandomize``),
so a developer's run and the CI run check the same cases and a red CI is reproducible.
``HYPOTHESIS_PROFILE=explore`` draws fresh random examples (more of them) to hunt for new edge
cases: fix what it finds and keep the case as an explicit example.
"""

from __future__ import annotations

import os

from hypothesis import settings

os.environ.setdefault("CAUSALKIT_PROGRESS", "off")
os.environ.pop("COLUMNS", None)
os.environ.pop("LINES", None)

settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
