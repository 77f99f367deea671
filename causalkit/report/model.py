"""The report contract: frozen ``Report``, ``Estimate``, ``Check``, ``Decision`` types.

The JSON form (``schema_version: 1``) is the stable contract that CI jobs and
dashboards read; it is documented field by field in ``docs/report.md``.
Non-finite numbers are written as the strings ``"NaN"``, ``"Infinity"`` and
``"-Infinity"`` (JSON has no such numbers), so a round trip is exact.

Example:
    >>> est = Estimate(metric="m", contrast="treatment - control", method="welch",
    ...                estimate=0.29, ci_low=0.045, ci_high=0.535, p_value=0.02,
    ...                n={"control": 3407, "treatment": 3461}, role="primary")
    >>> rep = Report(experiment=Experiment(name="x", kind="ab"), estimates=(est,))
    >>> Report.from_json(rep.to_json()) == rep
    True
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

SCHEMA_VERSION = 1

Scalar = str | int | float | bool | None


class Status(StrEnum):
    """Outcome of a check."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"


def _enc(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): _enc(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_enc(v) for v in value]
    return value


_SPECIAL = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _dec_float(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):
        return _SPECIAL[value]
    return float(value)


def _dec_scalar(value: Any) -> Scalar:
    if isinstance(value, str) and value in _SPECIAL:
        return _SPECIAL[value]
    return value


@dataclass(frozen=True)
class Estimate:
    """One effect estimate with its interval.

    ``estimate``, ``ci_low`` and ``ci_high`` are in the metric's units;
    ``relative*`` are relative to the control (or reference) level. ``n`` counts
    units per arm. ``extra`` carries method-specific numbers (scalars only).
    """

    metric: str
    contrast: str
    method: str
    estimate: float
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    relative: float | None = None
    relative_ci_low: float | None = None
    relative_ci_high: float | None = None
    n: Mapping[str, int] = field(default_factory=dict)
    role: str = "secondary"
    se: float | None = None
    direction: str | None = None
    extra: Mapping[str, Scalar] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form.

        Example:
            >>> Estimate(metric="m", contrast="t - c", method="welch", estimate=1.0).to_dict()["estimate"]
            1.0
        """
        return {f.name: _enc(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Estimate:
        """Rebuild from :meth:`to_dict` output.

        Example:
            >>> e = Estimate(metric="m", contrast="t - c", method="welch", estimate=1.0)
            >>> Estimate.from_dict(e.to_dict()) == e
            True
        """
        floats = {"estimate", "ci_low", "ci_high", "p_value", "relative", "relative_ci_low",
                  "relative_ci_high", "se"}
        kwargs: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in data:
                continue
            v = data[f.name]
            if f.name in floats:
                v = _dec_float(v)
            elif f.name == "n":
                v = {str(k): int(x) for k, x in v.items()}
            elif f.name == "extra":
                v = {str(k): _dec_scalar(x) for k, x in v.items()}
            kwargs[f.name] = v
        return cls(**kwargs)


@dataclass(frozen=True)
class Check:
    """A diagnostic with a status: ``pass``, ``warn`` or ``fail``.

    Example:
        >>> Check(name="sample_ratio_mismatch", status=Status.PASS, detail="p = 0.43").failed
        False
    """

    name: str
    status: Status
    detail: str = ""
    metric: str | None = None
    value: float | None = None

    @property
    def failed(self) -> bool:
        """Whether the check failed."""
        return self.status is Status.FAIL

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form."""
        return {f.name: _enc(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Check:
        """Rebuild from :meth:`to_dict` output."""
        return cls(
            name=data["name"],
            status=Status(data["status"]),
            detail=data.get("detail", ""),
            metric=data.get("metric"),
            value=_dec_float(data.get("value")),
        )


@dataclass(frozen=True)
class Decision:
    """A decision (``ship``, ``hold``, ``inconclusive``, ``rollback``, ``invalid``, ``error``)
    with its reasons in words.

    Example:
        >>> Decision(state="hold", reasons=("too little data",)).to_dict()
        {'state': 'hold', 'reasons': ['too little data']}
    """

    state: str
    reasons: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form."""
        return {"state": str(self.state), "reasons": list(self.reasons)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Decision:
        """Rebuild from :meth:`to_dict` output."""
        return cls(state=data["state"], reasons=tuple(data.get("reasons", ())))


@dataclass(frozen=True)
class Experiment:
    """What was analysed: the spec's name and kind, the spec hash and a data fingerprint."""

    name: str
    kind: str
    spec_sha256: str | None = None
    data_fingerprint: str | None = None
    hypothesis: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Experiment:
        """Rebuild from :meth:`to_dict` output."""
        return cls(**{f.name: data.get(f.name) for f in fields(cls)})  # type: ignore[arg-type]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Meta:
    """Provenance: the causalkit version, the creation time, the seed and alpha.

    Example:
        >>> m = Meta(seed=7, alpha=0.05, created_at="2026-12-01T00:00:00Z")
        >>> Meta.from_dict(m.to_dict()) == m
        True
    """

    causalkit_version: str = ""
    created_at: str = field(default_factory=_now)
    seed: int | None = None
    alpha: float | None = None
    extra: Mapping[str, Scalar] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.causalkit_version:
            from causalkit import __version__

            object.__setattr__(self, "causalkit_version", __version__)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form."""
        return {f.name: _enc(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Meta:
        """Rebuild from :meth:`to_dict` output."""
        return cls(
            causalkit_version=data.get("causalkit_version", ""),
            created_at=data.get("created_at", ""),
            seed=data.get("seed"),
            alpha=_dec_float(data.get("alpha")),
            extra={str(k): _dec_scalar(v) for k, v in (data.get("extra") or {}).items()},
        )


@dataclass(frozen=True)
class Table:
    """A small named table (a balance table, ranked conditions, a carryover diagnostic).

    Example:
        >>> t = Table(name="balance", title="Covariate balance", columns=("covariate", "smd"),
        ...           rows=(("age", 0.02),))
        >>> Table.from_dict(t.to_dict()) == t
        True
    """

    name: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Scalar, ...], ...]

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form."""
        return {"name": self.name, "title": self.title, "columns": list(self.columns),
                "rows": [[_enc(v) for v in row] for row in self.rows]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Table:
        """Rebuild from :meth:`to_dict` output."""
        return cls(name=data["name"], title=data.get("title", ""),
                   columns=tuple(data["columns"]),
                   rows=tuple(tuple(_dec_scalar(v) for v in row) for row in data["rows"]))


@dataclass(frozen=True)
class Figure:
    """A plot made by an analysis, kept as SVG text (rendered inline in HTML).

    Example:
        >>> f = Figure(name="forest", title="Effects", svg="<svg></svg>")
        >>> Figure.from_dict(f.to_dict()) == f
        True
    """

    name: str
    title: str
    svg: str

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form."""
        return {"name": self.name, "title": self.title, "svg": self.svg}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Figure:
        """Rebuild from :meth:`to_dict` output."""
        return cls(name=data["name"], title=data.get("title", ""), svg=data["svg"])


@dataclass(frozen=True)
class Report:
    """The result of every analysis: estimates, checks, a decision, tables and figures.

    Example:
        >>> rep = Report(experiment=Experiment(name="x", kind="ab"),
        ...              checks=(Check("srm", Status.FAIL, "p < 0.001"),))
        >>> [c.name for c in rep.failed_checks]
        ['srm']
    """

    experiment: Experiment
    estimates: tuple[Estimate, ...] = ()
    checks: tuple[Check, ...] = ()
    decision: Decision | None = None
    meta: Meta = field(default_factory=Meta)
    tables: tuple[Table, ...] = ()
    figures: tuple[Figure, ...] = ()
    schema_version: int = SCHEMA_VERSION

    @property
    def failed_checks(self) -> tuple[Check, ...]:
        """The checks whose status is ``fail``."""
        return tuple(c for c in self.checks if c.failed)

    def with_decision(self, decision: Decision) -> Report:
        """A copy with ``decision`` set.

        Example:
            >>> Report(experiment=Experiment(name="x", kind="ab")).with_decision(
            ...     Decision("hold")).decision.state
            'hold'
        """
        return replace(self, decision=decision)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form of the contract (``schema_version`` first)."""
        return {
            "schema_version": self.schema_version,
            "experiment": self.experiment.to_dict(),
            "estimates": [e.to_dict() for e in self.estimates],
            "checks": [c.to_dict() for c in self.checks],
            "decision": self.decision.to_dict() if self.decision else None,
            "meta": self.meta.to_dict(),
            "tables": [t.to_dict() for t in self.tables],
            "figures": [f.to_dict() for f in self.figures],
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """The JSON contract as text; non-finite floats become ``"NaN"``/``"Infinity"``."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Report:
        """Rebuild a report from its JSON-ready form.

        Raises:
            ValueError: on a ``schema_version`` this causalkit does not know.
        """
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise ValueError(f"report schema_version {version!r} is not {SCHEMA_VERSION}")
        decision = data.get("decision")
        return cls(
            experiment=Experiment.from_dict(data["experiment"]),
            estimates=tuple(Estimate.from_dict(e) for e in data.get("estimates", ())),
            checks=tuple(Check.from_dict(c) for c in data.get("checks", ())),
            decision=Decision.from_dict(decision) if decision else None,
            meta=Meta.from_dict(data.get("meta", {})),
            tables=tuple(Table.from_dict(t) for t in data.get("tables", ())),
            figures=tuple(Figure.from_dict(f) for f in data.get("figures", ())),
        )

    @classmethod
    def from_json(cls, text: str) -> Report:
        """Rebuild a report from :meth:`to_json` output."""
        return cls.from_dict(json.loads(text))

    def to_frame(self) -> pd.DataFrame:
        """The estimates as a pandas DataFrame, one row per estimate.

        Example:
            >>> rep = Report(experiment=Experiment(name="x", kind="ab"), estimates=(
            ...     Estimate(metric="m", contrast="t - c", method="welch", estimate=1.0),))
            >>> rep.to_frame()[["metric", "estimate"]].to_dict("records")
            [{'metric': 'm', 'estimate': 1.0}]
        """
        import pandas as pd

        cols = [f.name for f in fields(Estimate) if f.name not in ("n", "extra")]
        rows = []
        for e in self.estimates:
            row = {c: getattr(e, c) for c in cols}
            for arm, count in e.n.items():
                row[f"n_{arm}"] = count
            rows.append(row)
        return pd.DataFrame(rows, columns=None if rows else cols)

    def _repr_html_(self) -> str:
        """The HTML view notebooks show: a self-contained ``<div>`` with scoped CSS.

        Example:
            >>> Report(experiment=Experiment(name="x", kind="ab"))._repr_html_()[:23]
            '<div class="ck-report">'
        """
        from causalkit.report.render.html import render_body

        return render_body(self)
