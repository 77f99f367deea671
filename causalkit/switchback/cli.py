"""``causalkit schedule SPEC --out FILE [--heatmap FILE]``: design and export a schedule.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> from causalkit.spec.switchback import SwitchbackSpec
    >>> spec = SwitchbackSpec(name="x", kind="switchback", regions=["A"],
    ...     schedule={"start": "2026-01-01T00:00Z", "end": "2026-01-02T00:00Z",
    ...               "period": "1h"}, metrics=[{"name": "m", "type": "mean",
    ...     "column": "m"}], data={"simulate": "matching_market"})
    >>> out = Path(tempfile.mkdtemp()) / "s.json"
    >>> schedule_command(spec, out, None)
    >>> out.read_text().startswith("{")
    True
"""

from __future__ import annotations

from pathlib import Path

from causalkit.spec.switchback import SwitchbackSpec


def schedule_command(spec: SwitchbackSpec, out: Path, heatmap: Path | None) -> None:
    """Draw the spec's schedule; write it to ``out`` (.csv/.parquet/.json) and the heatmap.

    Raises:
        CausalkitError: for an unknown output suffix or a design that cannot be built.

    Example:
        >>> import tempfile
        >>> from causalkit.spec.switchback import SwitchbackSpec
        >>> spec = SwitchbackSpec(name="x", kind="switchback", regions=["A"],
        ...     schedule={"start": "2026-01-01T00:00Z", "end": "2026-01-01T12:00Z",
        ...               "period": "1h"}, metrics=[{"name": "m", "type": "mean",
        ...     "column": "m"}], data={"path": "rows.csv"})
        >>> folder = Path(tempfile.mkdtemp())
        >>> schedule_command(spec, folder / "s.csv", folder / "s.svg")
        >>> rows = (folder / "s.csv").read_text().splitlines()
        >>> len(rows), rows[0].split(",")[:5]  # header + one row per region-period
        (13, ['region', 'period', 'start', 'end', 'arm'])
        >>> (folder / "s.svg").read_text().startswith("<svg")
        True
    """
    from causalkit.report.write import write_atomic
    from causalkit.switchback.analysis import schedule_of

    schedule = schedule_of(spec)
    schedule.write(out)
    if heatmap is not None:
        from causalkit.switchback.figures import heatmap_svg

        write_atomic(heatmap, heatmap_svg(schedule))
