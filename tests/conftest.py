"""Test-wide settings: progress lines off by default.

click's ``CliRunner`` result mixes standard error into ``output``; a step that happens to take
more than two seconds on a slow machine would print a progress line there. Tests of progress
itself (tests/test_progress.py) set their own mode.
"""

from __future__ import annotations

import os

os.environ.setdefault("CAUSALKIT_PROGRESS", "off")
