"""The limits of the spec format: what a spec file and its values may be at most.

A spec is a small, hand-written file. These limits keep a hostile or broken one from
using gigabytes of memory or hours of time: the loader refuses it at once, with the
file, line, column and field, the size it found and the limit. They are documented in
the spec reference (``docs/spec-reference.md``, section *Limits*), generated from
:data:`LIMITS`.

Example:
    >>> MAX_SPEC_BYTES, MAX_ALIASES, MAX_DEPTH
    (1048576, 100, 64)
    >>> grid_size_problem(n_actions=200, n_windows=30, n_thresholds=20)
    'the condition grid has 200 actions x 30 windows x 20 thresholds = 120,000 conditions, over the limit of 100,000'
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

MAX_SPEC_BYTES = 1 << 20
"""Size of a spec file or text, in bytes (1 MiB)."""
MAX_ALIASES = 100
"""YAML aliases (``*name``, merge keys included) in one spec."""
MAX_NODES = 50_000
"""YAML nodes (values, lists, mappings) in one spec, counted with every alias expanded."""
MAX_DEPTH = 64
"""Nesting depth of lists and mappings, aliases expanded."""
MAX_INTEGER = 2**63 - 1
"""Any whole number in a spec, anywhere (also in simulator ``params``): |n| fits 64 bits."""
MAX_NUMBER = 1e15
"""Any number-typed field: finite, and at most this in absolute value."""
MAX_SEED = 2**31 - 1
"""Seeds (``schedule.seed``, ``analysis.seed``, ``data.seed``): whole numbers 0 to 2**31 - 1."""
MAX_COUNT = 10**12
"""Sample sizes and other counts of units."""
MAX_LOOKS = 100
"""``analysis.looks`` of a group-sequential plan."""
MAX_DRAWS = 1_000_000
"""``analysis.draws`` (randomization tests, bootstraps)."""
MAX_REPLAYS = 100_000
"""``power_replays`` of a switch-back power analysis."""
MAX_SIMULATIONS = 10_000
"""Refuter simulations (``simulations``, ``check.simulations``)."""
MAX_ARMS = 100
"""Variants of an A/B test."""
MAX_METRICS = 1_000
"""Metrics of one spec."""
MAX_REGIONS = 1_000
"""Regions of a switch-back test."""
MAX_PERIODS = 100_000
"""Periods of a switch-back schedule ((end - start) / period)."""
MAX_CELLS = 1_000_000
"""Region-periods of a switch-back schedule (regions x periods)."""
MAX_CANDIDATE_PERIODS = 50
"""``candidate_periods`` of a switch-back power analysis."""
MAX_CONDITIONS = 100_000
"""Conditions of an Aha grid: actions x windows x thresholds."""
MAX_DAYS = 3660
"""Days of an Aha window or retention window (about ten years)."""
MAX_THRESHOLD = 10**9
"""An Aha threshold Z (times an action was done)."""
MAX_LIST = 10_000
"""Items of any other list or mapping a spec field holds (names, columns, edges, ...)."""
MAX_DURATION = timedelta(days=3660)
"""Any duration (about ten years)."""
MIN_TIME = datetime(1900, 1, 1, tzinfo=UTC)
"""The earliest timestamp."""
MAX_TIME = datetime(2200, 1, 1, tzinfo=UTC)
"""Timestamps lie before this; with durations of at most ten years every time causalkit
computes stays inside the range of 64-bit nanoseconds since 1970 (1677 to 2262)."""

LIMITS: tuple[tuple[str, str, str], ...] = (
    ("spec size", f"{MAX_SPEC_BYTES:,} bytes (1 MiB)",
     "a larger file or text is refused before it is parsed"),
    ("spec file type", "a regular file",
     "a directory, FIFO, socket or device is refused (checked with `stat` before opening; "
     "never waits on a FIFO)"),
    ("text", "UTF-8, no control characters",
     "NUL and other control characters (except tab, line feed and carriage return), "
     "C1 controls and lone surrogates are refused with their line and column"),
    ("YAML aliases", f"{MAX_ALIASES}", "`*name` references, merge keys (`<<: *name`) included"),
    ("YAML values", f"{MAX_NODES:,}",
     "values, lists and mappings counted with every alias expanded: a \"billion laughs\" "
     "file fails at once, never expanding"),
    ("nesting depth", f"{MAX_DEPTH}", "lists and mappings inside each other, aliases expanded"),
    ("YAML tags", "none", "explicit tags other than the core ones (`!!str`, `!!int`, "
     "`!!float`, `!!bool`, `!!null`, `!!seq`, `!!map`) are refused"),
    ("whole numbers", "-2**63 to 2**63 - 1",
     "anywhere in a spec; integer fields have their own, smaller ranges (see the tables)"),
    ("numbers", "finite, at most 1e15 in size",
     "`.nan`, `.inf` and `1.0e+999` are refused anywhere in a spec (simulator `params` "
     "too); number fields also refuse anything beyond ±1e15"),
    ("types", "strict", "text is not a number (`alpha: '0.05'`), a number is not a whole "
     "number (`draws: 1.0e+4`), only `true`/`false` are booleans (`no` is text)"),
    ("seeds", f"0 to {MAX_SEED:,}", "`schedule.seed`, `analysis.seed`, `data.seed`"),
    ("timestamps", f"{MIN_TIME:%Y-%m-%d} to {MAX_TIME:%Y-%m-%d} (UTC)",
     "so that nanoseconds since 1970 fit 64 bits whatever is added to them"),
    ("durations", f"at most {MAX_DURATION.days} days, at least 1 microsecond", ""),
    ("sample sizes", f"at most {MAX_COUNT:,} per arm", "`min_sample_per_arm`, "
     "`horizon_sample_per_arm`, `plan.sample_per_arm`"),
    ("`analysis.looks`", f"1 to {MAX_LOOKS}", "looks of a group-sequential plan"),
    ("`analysis.draws`", f"100 to {MAX_DRAWS:,}", "randomization tests and bootstraps"),
    ("`power_replays`", f"50 to {MAX_REPLAYS:,}", "switch-back power"),
    ("refuter simulations", f"at most {MAX_SIMULATIONS:,}",
     "`simulations`, `check.simulations`"),
    ("variants", f"2 to {MAX_ARMS}", "arms of an A/B test"),
    ("metrics", f"at most {MAX_METRICS:,}", ""),
    ("regions", f"at most {MAX_REGIONS:,}", "regions of a switch-back test"),
    ("schedule periods", f"at most {MAX_PERIODS:,}, and at most {MAX_CELLS:,} "
     "region-periods", "(end - start) / period, times the regions"),
    ("`candidate_periods`", f"at most {MAX_CANDIDATE_PERIODS}", ""),
    ("Aha grid", f"at most {MAX_CONDITIONS:,} conditions",
     "actions x windows x thresholds; checked at `validate` when the actions are listed "
     "(`actions.include`) or counted (`actions.top`), else when the data are scanned"),
    ("Aha days", f"at most {MAX_DAYS:,}", "windows and the retention window"),
    ("Aha thresholds", f"at most {MAX_THRESHOLD:,}", ""),
    ("other lists and mappings", f"at most {MAX_LIST:,} items",
     "names, columns, edges, terms, ..."),
)
"""(what, limit, notes) rows of the *Limits* table of the spec reference."""


def grid_size_problem(n_actions: int | None, n_windows: int, n_thresholds: int) -> str | None:
    """Why an Aha grid is too large, or None when it fits :data:`MAX_CONDITIONS`.

    ``n_actions`` is None when the spec does not say how many actions are searched
    (the grid per action is checked then); the Aha scan calls it again once the data
    tell how many actions there are.

    Example:
        >>> grid_size_problem(10, 4, 5) is None
        True
        >>> grid_size_problem(None, 60, 3000)
        'the condition grid has 60 windows x 3,000 thresholds = 180,000 conditions per action, over the limit of 100,000'
    """
    if n_actions is None:
        total = n_windows * n_thresholds
        what = f"{n_windows:,} windows x {n_thresholds:,} thresholds = {total:,} conditions " \
               "per action"
    else:
        total = n_actions * n_windows * n_thresholds
        what = (f"{n_actions:,} actions x {n_windows:,} windows x {n_thresholds:,} thresholds "
                f"= {total:,} conditions")
    if total <= MAX_CONDITIONS:
        return None
    return f"the condition grid has {what}, over the limit of {MAX_CONDITIONS:,}"
