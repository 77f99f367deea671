"""Switch-back tests: schedule design, real-time arm lookup, analysis and power.

Whole regions switch between treatment and control over time, so users who
interfere with each other (a shared matching pool) are always in the same arm.
Designs follow Bojinov, Simchi-Levi & Zhao (2023, Management Science): the
minimax ``optimal`` design, ``bernoulli`` and ``balanced`` designs, the Hajek
(headline by default) and Horvitz-Thompson estimators of the lag-m effect with
their conservative variance, and an exact randomization test; the fixed-effects
regression is shown as model-based and uncalibrated; see ``docs/switchback.md``. Simulated data are
made at the entry on the spec's own schedule (the registered simulation context).

Example:
    >>> from causalkit.spec.switchback import ScheduleSpec, Region
    >>> s = design_schedule(ScheduleSpec(start="2026-12-01T00:00Z", end="2026-12-01T12:00Z",
    ...                                  period="1h", carryover=2), [Region(name="KR")])
    >>> s.randomization_points
    (1, 5, 7, 9)
"""

from __future__ import annotations

from causalkit.registry import register
from causalkit.switchback.analysis import analyze, analyze_source, schedule_of
from causalkit.switchback.power import plan
from causalkit.switchback.schedule import CONTROL, TREATMENT, Schedule, design_schedule

register("switchback", analyze=analyze, power=plan,
         simulation_context=lambda spec: {"schedule": schedule_of(spec)})

__all__ = [
    "CONTROL",
    "TREATMENT",
    "Schedule",
    "analyze",
    "analyze_source",
    "design_schedule",
    "plan",
    "schedule_of",
]
