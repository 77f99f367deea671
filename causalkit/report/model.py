"""The report contract: frozen ``Report``, ``Estimate``, ``Check``, ``Decision`` types.

The JSON form (``schema_version: 2``) is the stable contract that CI jobs and
dashboards read; it is documented field by field in ``docs/report.md``.
Non-finite numbers are written as the strings ``"NaN"``, ``"Infinity"`` and
``"-Infinity"`` (JSON has no such numbers), so a round trip is exact.

Example:
    >>> est = Estimate(metric="m", arm="treatment", reference="control", method="welch",
    ...                estimate=0.29, ci_low=0.045, ci_high=0.535, p_value=0.02,
    ...                n=3461, n_reference=3407, role="primary")
    >>> rep = Report(experiment=Experiment(name="x", kind="ab"), estimates=(est,))
    >>> Report.from_json(rep.to_json()) == rep
    True
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from causalkit.errors import ReportError
from causalkit.report.assessment import (
    Assessment,
    IntervalKind,
    assess,
    contrast_text,
    is_harm,
    noninferiority_p,
)
from causalkit.spec.common import DecisionState, Direction, Role, Sequential

if TYPE_CHECKING:
    import pandas as pd

SCHEMA_VERSION = 2
"""The report contract's version; version 1 reports still load (:func:`migrate_v1`)."""

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


def _dec_scalar(value: Any) -> Scalar:
    if isinstance(value, str) and value in _SPECIAL:
        return _SPECIAL[value]
    return value


# -- checked JSON decoding: a wrong type or a missing field is a ReportError naming where ----

Decoder = Callable[[Any, str], Any]


def _bad(where: str, what: str) -> ReportError:
    return ReportError(f"report: {where}: {what}",
                       hint="the report JSON does not follow the report contract "
                            "(docs/report.md); was it written by causalkit?")


def _type(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false",
            type(None): "null"}.get(type(value), type(value).__name__)


def _obj(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _bad(where, f"must be an object, not {_type(value)}")
    return value


def _seq(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise _bad(where, f"must be a list, not {_type(value)}")
    return list(value)


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise _bad(where, f"must be text, not {_type(value)}")
    return value


def _number(value: Any, where: str) -> float:
    if isinstance(value, str) and value in _SPECIAL:
        return _SPECIAL[value]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad(where, f"must be a number (or \"NaN\", \"Infinity\", \"-Infinity\"), "
                          f"not {_type(value)}")
    try:
        return float(value)
    except OverflowError:
        raise _bad(where, "is too large for a float") from None


def _integer(value: Any, where: str) -> int:
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(where, f"must be a whole number, not {_type(value)}")
    return value


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise _bad(where, f"must be true or false, not {_type(value)}")
    return value


def _scalar(value: Any, where: str) -> Scalar:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return _dec_scalar(value)
    raise _bad(where, f"must be a number, text, true/false or null, not {_type(value)}")


def _scalars(value: Any, where: str) -> dict[str, Scalar]:
    return {str(k): _scalar(v, f"{where}.{k}") for k, v in _obj(value, where).items()}


def _optional(decode: Decoder) -> Decoder:
    return lambda value, where: None if value is None else decode(value, where)


def _choice(enum: type[StrEnum]) -> Decoder:
    def decode(value: Any, where: str) -> Any:
        try:
            return enum(value)
        except ValueError:
            allowed = ", ".join(m.value for m in enum)
            raise _bad(where, f"{value!r} is not one of {allowed}") from None
    return decode


def _list_of(decode: Decoder) -> Decoder:
    return lambda value, where: tuple(decode(v, f"{where}[{i}]")
                                      for i, v in enumerate(_seq(value, where)))


def _build(cls: Any, data: Any, where: str, kinds: Mapping[str, Decoder],
           defaults: Mapping[str, Any] | None = None) -> Any:
    """``cls(**fields)`` from a JSON object: each known field decoded by its kind;
    unknown keys are ignored (newer causalkit versions may add fields)."""
    obj = _obj(data, where)
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        if not f.init or f.name not in kinds:
            continue
        if f.name in obj:
            kwargs[f.name] = kinds[f.name](obj[f.name], f"{where}.{f.name}")
        elif defaults is not None and f.name in defaults:
            kwargs[f.name] = defaults[f.name]
        elif f.default is MISSING and f.default_factory is MISSING:
            raise _bad(where, f"missing field {f.name!r}")
    try:
        return cls(**kwargs)
    except ReportError:
        raise
    except (TypeError, ValueError) as exc:
        raise _bad(where, str(exc)) from None


_OPT_NUMBER = _optional(_number)
_OPT_TEXT = _optional(_text)
_OPT_INT = _optional(_integer)


def _text_or_empty(value: Any, where: str) -> str:
    return "" if value is None else _text(value, where)


def _scalars_or_empty(value: Any, where: str) -> dict[str, Scalar]:
    return {} if value is None else _scalars(value, where)


@dataclass(frozen=True)
class Estimate:
    """One effect estimate (``arm`` minus ``reference``) with its interval and assessment.

    ``estimate``, ``ci_low`` and ``ci_high`` are in the metric's units;
    ``relative*`` are relative to the reference level. ``n`` and ``n_reference``
    count what ``n_unit`` names (users, region-periods, ...) in the arm and the
    reference; ``level`` and ``level_reference`` are the metric's level there.

    The *decision interval* (``decision_ci_low``/``decision_ci_high``, of kind
    ``interval_kind``) is the interval the decision reads; when not given it is the
    reported interval. ``assessment`` is computed from it by
    :func:`causalkit.report.assessment.assess` when not given (so it is always
    consistent with the other fields). ``calibrated`` is False for a model-based
    interval whose coverage was not shown by simulation (renderers mark it; the
    gate never decides from it). ``extra`` carries method-specific numbers
    (scalars only); nothing decides from it.

    ``segment`` names the segment of a per-segment estimate (``country=KR``), whose
    ``p_value`` is adjusted over the family of all segment tests of the report and whose
    interval is at the family-adjusted level ``alpha``; ``None`` for the overall estimates.

    ``p_noninferiority`` is the p-value of the non-inferiority test (the harm reaches the
    ``margin``), for estimates with a margin and a direction, read against ``alpha`` like
    the interval (below ``alpha`` exactly when the interval excludes the margin); when not
    given it is computed by :func:`causalkit.report.assessment.noninferiority_p` from
    ``estimate``, ``se``, ``margin`` and ``direction`` (Student t with ``extra["df"]`` when
    the estimate has a finite one, else normal). Renderers show it instead of ``p_value``
    for guardrails.

    Example:
        >>> e = Estimate(metric="m", arm="treatment", reference="control", method="welch",
        ...              estimate=0.4, ci_low=0.1, ci_high=0.7, role="primary",
        ...              direction="increase")
        >>> e.contrast, e.assessment.value, e.harm
        ('treatment - control', 'better', False)
    """

    metric: str
    arm: str
    reference: str
    method: str
    estimate: float
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    p_noninferiority: float | None = None
    relative: float | None = None
    relative_ci_low: float | None = None
    relative_ci_high: float | None = None
    n: int | None = None
    n_reference: int | None = None
    n_unit: str = "units"
    level: float | None = None
    level_reference: float | None = None
    role: Role = Role.SECONDARY
    direction: Direction | None = None
    se: float | None = None
    margin: float | None = None
    practical_threshold: float | None = None
    alpha: float | None = None
    interval_kind: IntervalKind = IntervalKind.FIXED
    decision_ci_low: float | None = None
    decision_ci_high: float | None = None
    assessment: Assessment = None  # type: ignore[assignment]
    calibrated: bool = True
    segment: str | None = None
    extra: Mapping[str, Scalar] = field(default_factory=dict)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "role", Role(self.role))
        if self.direction is not None:
            set_(self, "direction", Direction(self.direction))
        set_(self, "interval_kind", IntervalKind(self.interval_kind))
        if self.decision_ci_low is None and self.decision_ci_high is None:
            set_(self, "decision_ci_low", self.ci_low)
            set_(self, "decision_ci_high", self.ci_high)
        if self.p_noninferiority is None and self.margin is not None:
            df = self.extra.get("df") if self.extra else None
            set_(self, "p_noninferiority", noninferiority_p(
                estimate=self.estimate, se=self.se, margin=self.margin,
                direction=self.direction,
                df=float(df) if isinstance(df, int | float) and not isinstance(df, bool)
                else None))
        if self.assessment is None:
            set_(self, "assessment", assess(
                estimate=self.estimate, low=self.decision_ci_low, high=self.decision_ci_high,
                direction=self.direction, margin=self.margin,
                practical_threshold=self.practical_threshold))
        else:
            set_(self, "assessment", Assessment(self.assessment))

    def with_decision_interval(self, low: float, high: float, kind: IntervalKind) -> Estimate:
        """A copy whose decision interval is ``[low, high]`` of ``kind`` (assessment recomputed).

        Example:
            >>> e = Estimate(metric="m", arm="t", reference="c", method="welch", estimate=1.0,
            ...              ci_low=0.5, ci_high=1.5, direction="increase")
            >>> e.with_decision_interval(-0.5, 2.5, IntervalKind.ALWAYS_VALID).assessment.value
            'not_significant'
        """
        return replace(self, decision_ci_low=low, decision_ci_high=high, interval_kind=kind,
                       assessment=None)  # type: ignore[arg-type]

    @property
    def contrast(self) -> str:
        """``"arm - reference"`` (built by :func:`~causalkit.report.assessment.contrast_text`)."""
        return contrast_text(self.arm, self.reference)

    @property
    def label(self) -> str:
        """A row label naming the metric, the contrast and the method (unique in a report).

        Example:
            >>> Estimate(metric="m", arm="b", reference="a", method="welch", estimate=1.0).label
            'm: b - a (welch)'
        """
        where = f" [{self.segment}]" if self.segment else ""
        return f"{self.metric}{where}: {self.contrast} ({self.method})"

    @property
    def harm(self) -> bool:
        """Whether this estimate shows harm on a deciding metric (gate rollback, JUnit failure).

        Segment estimates (``segment`` set) are never harm: a segment is read through its
        family correction, and only the opt-in ``segment_guardrails`` gate rule acts on it.
        """
        return self.segment is None and is_harm(self.assessment, self.role)

    @property
    def deciding(self) -> bool:
        """Whether the estimate takes part in the decision: a ``primary`` or ``guardrail``
        metric's overall estimate (segment estimates never decide)."""
        return self.role is not Role.SECONDARY and self.segment is None

    @property
    def finite(self) -> bool:
        """Whether the estimate and its decision interval are finite numbers."""
        return self.assessment is not Assessment.NOT_COMPUTABLE

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form (with the derived ``contrast`` text).

        Example:
            >>> Estimate(metric="m", arm="t", reference="c", method="welch",
            ...          estimate=1.0).to_dict()["contrast"]
            't - c'
        """
        out = {f.name: _enc(getattr(self, f.name)) for f in fields(self)}
        out["contrast"] = self.contrast
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Estimate:
        """Rebuild from :meth:`to_dict` output.

        Example:
            >>> e = Estimate(metric="m", arm="t", reference="c", method="welch", estimate=1.0)
            >>> Estimate.from_dict(e.to_dict()) == e
            True
        """
        return _decode(cls, data, "estimate")


_FLOATS = frozenset({"estimate", "ci_low", "ci_high", "p_value", "p_noninferiority", "relative",
                     "relative_ci_low", "relative_ci_high", "se", "level", "level_reference", "margin",
                     "practical_threshold", "alpha", "decision_ci_low", "decision_ci_high"})

_ESTIMATE_KINDS: dict[str, Decoder] = {
    **dict.fromkeys(_FLOATS, _OPT_NUMBER),
    "estimate": _number,
    "metric": _text, "arm": _text, "reference": _text, "method": _text, "n_unit": _text,
    "n": _OPT_INT, "n_reference": _OPT_INT,
    "role": _choice(Role), "direction": _optional(_choice(Direction)),
    "interval_kind": _choice(IntervalKind), "assessment": _optional(_choice(Assessment)),
    "calibrated": _flag, "extra": _scalars, "segment": _OPT_TEXT,
}


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
        return _decode(cls, data, "check")


@dataclass(frozen=True)
class Decision:
    """A decision (:class:`~causalkit.spec.common.DecisionState`) with its reasons in words.

    ``needs_history`` says that the decision depends on earlier looks that only the
    gate's state file remembers (a group-sequential boundary after the first look).

    Example:
        >>> Decision(state="hold", reasons=("too little data",)).to_dict()
        {'state': 'hold', 'reasons': ['too little data'], 'needs_history': False}
    """

    state: DecisionState
    reasons: tuple[str, ...] = ()
    needs_history: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "state", DecisionState(self.state))
        object.__setattr__(self, "reasons", tuple(self.reasons))

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form."""
        return {"state": self.state.value, "reasons": list(self.reasons),
                "needs_history": self.needs_history}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Decision:
        """Rebuild from :meth:`to_dict` output."""
        return _decode(cls, data, "decision")


@dataclass(frozen=True)
class DecisionBasis:
    """What a gated shape hands the decision rules, besides its estimates and checks.

    The decision settings of the spec (``min_sample_per_arm``, ``min_runtime``,
    ``horizon``, ``horizon_sample_per_arm``, ``fail_on``), the experiment's ``start``
    (the spec's, else the first exposure), the data's extent, the sequential method
    the decision intervals follow, and for group-sequential plans the current look
    (``information_fraction``, ``boundary_z`` at ``alpha``, ``spent_alpha``,
    ``look``; ``history_known`` is False when the earlier looks were not given, as
    in ``causalkit run``). ``problem`` says why the decision intervals could not be
    built (no planned information for a group-sequential look, say): the report keeps
    its fixed-horizon intervals and the decision is ``error``. Times are ISO 8601 UTC text; durations are seconds. ``notes`` are
    said in the decision's reasons (for example that ``sequential: none`` was read
    with always-valid intervals). ``segment_guardrails`` (the spec's
    ``decision.segment_guardrails``) turns on the gate rule that holds while a guardrail
    is shown harmed in some segment.

    Example:
        >>> b = DecisionBasis(sequential="msprt", alpha=0.05, min_n_per_arm=120)
        >>> DecisionBasis.from_dict(b.to_dict()) == b
        True
    """

    sequential: Sequential
    alpha: float
    min_n_per_arm: int
    n_unit: str = "units"
    min_sample_per_arm: int = 0
    min_runtime: float | None = None
    horizon: float | None = None
    horizon_sample_per_arm: int | None = None
    start: str | None = None
    first_exposure: str | None = None
    last_exposure: str | None = None
    now: str | None = None
    information_fraction: float | None = None
    boundary_z: float | None = None
    spent_alpha: float | None = None
    look: int | None = None
    look_key: str | None = None
    history_known: bool = True
    problem: str | None = None
    fail_on: tuple[DecisionState, ...] = (DecisionState.ROLLBACK, DecisionState.INVALID,
                                          DecisionState.ERROR)
    notes: tuple[str, ...] = ()
    segment_guardrails: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "sequential", Sequential(self.sequential))
        object.__setattr__(self, "fail_on", tuple(DecisionState(x) for x in self.fail_on))
        object.__setattr__(self, "notes", tuple(self.notes))

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form."""
        return {f.name: _enc(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DecisionBasis:
        """Rebuild from :meth:`to_dict` output."""
        return _decode(cls, data, "decision_basis")


_BASIS_KINDS: dict[str, Decoder] = {
    "sequential": _choice(Sequential), "alpha": _number, "min_n_per_arm": _integer,
    "n_unit": _text, "min_sample_per_arm": _integer, "min_runtime": _OPT_NUMBER,
    "horizon": _OPT_NUMBER, "horizon_sample_per_arm": _OPT_INT, "start": _OPT_TEXT,
    "first_exposure": _OPT_TEXT, "last_exposure": _OPT_TEXT, "now": _OPT_TEXT,
    "information_fraction": _OPT_NUMBER, "boundary_z": _OPT_NUMBER, "spent_alpha": _OPT_NUMBER,
    "look": _OPT_INT, "look_key": _OPT_TEXT, "history_known": _flag, "problem": _OPT_TEXT,
    "fail_on": _list_of(_choice(DecisionState)), "notes": _list_of(_text),
    "segment_guardrails": _flag,
}


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
        return _decode(cls, data, "experiment")


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
            from causalkit._version import __version__

            object.__setattr__(self, "causalkit_version", __version__)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form."""
        return {f.name: _enc(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Meta:
        """Rebuild from :meth:`to_dict` output."""
        return _decode(cls, data, "meta")


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
    priority: tuple[int, ...] = ()
    """Per column, how much it matters when space is short: 0 is a key column (always
    shown), higher numbers are hidden first. Empty: all columns 0 except none hidden."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form."""
        out: dict[str, Any] = {"name": self.name, "title": self.title,
                               "columns": list(self.columns),
                               "rows": [[_enc(v) for v in row] for row in self.rows]}
        if self.priority:
            out["priority"] = list(self.priority)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Table:
        """Rebuild from :meth:`to_dict` output."""
        return _decode(cls, data, "table")


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
        return _decode(cls, data, "figure")


_KINDS: dict[type, tuple[dict[str, Decoder], dict[str, Any]]] = {
    Estimate: (_ESTIMATE_KINDS, {}),
    Check: ({"name": _text, "status": _choice(Status), "detail": _text_or_empty,
             "metric": _OPT_TEXT, "value": _OPT_NUMBER}, {}),
    Decision: ({"state": _choice(DecisionState), "reasons": _list_of(_text),
                "needs_history": _flag}, {}),
    DecisionBasis: (_BASIS_KINDS, {}),
    Experiment: ({"name": _text, "kind": _text, "spec_sha256": _OPT_TEXT,
                  "data_fingerprint": _OPT_TEXT, "hypothesis": _OPT_TEXT}, {}),
    Meta: ({"causalkit_version": _text_or_empty, "created_at": _text_or_empty,
            "seed": _OPT_INT, "alpha": _OPT_NUMBER, "extra": _scalars_or_empty},
           {"causalkit_version": "", "created_at": ""}),
    Table: ({"name": _text, "title": _text_or_empty, "columns": _list_of(_text),
             "rows": _list_of(_list_of(_scalar)), "priority": _list_of(_integer)},
            {"title": "", "priority": ()}),
    Figure: ({"name": _text, "title": _text_or_empty, "svg": _text}, {"title": ""}),
}
"""How each part of a report is decoded from JSON: field -> decoder, and defaults."""


def _decode(cls: type, data: Any, where: str) -> Any:
    kinds, defaults = _KINDS[cls]
    return _build(cls, data, where, kinds, defaults)


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
    decision_basis: DecisionBasis | None = None
    findings: tuple[str, ...] = ()
    """The answer in sentences, for kinds without a decision (the Aha winner and its causal
    verdict; the observational effect with its identification and sensitivity). Renderers
    put them first, in the headline."""
    schema_version: int = SCHEMA_VERSION

    @property
    def failed_checks(self) -> tuple[Check, ...]:
        """The checks whose status is ``fail``."""
        return tuple(c for c in self.checks if c.failed)

    def with_decision(self, decision: Decision) -> Report:
        """A copy with ``decision`` set.

        Example:
            >>> Report(experiment=Experiment(name="x", kind="ab")).with_decision(
            ...     Decision("hold")).decision.state.value
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
            "decision_basis": self.decision_basis.to_dict() if self.decision_basis else None,
            "findings": list(self.findings),
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

        A version 1 report is migrated first (:func:`migrate_v1`). Unknown keys are
        ignored; a wrong type, a missing field or an unknown ``schema_version`` is a
        :class:`~causalkit.errors.ReportError` naming where (never a ``KeyError``).

        Raises:
            ReportError: (a ``ValueError``) on anything that is not a report.

        Example:
            >>> Report.from_dict({"schema_version": 2, "experiment": {"name": "x"}})
            Traceback (most recent call last):
            ...
            causalkit.errors.ReportError: report: experiment: missing field 'kind' (...)
        """
        obj = _obj(data, "the report")
        version = obj.get("schema_version")
        if version == 1 and not isinstance(version, bool):
            try:
                obj = migrate_v1(obj)
            except ReportError:
                raise
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise _bad("schema_version 1 report", f"cannot be migrated: {exc!r}") from None
        elif version != SCHEMA_VERSION or isinstance(version, bool):
            raise ReportError(
                f"report schema_version {version!r} is not 1 or {SCHEMA_VERSION}",
                hint="a newer causalkit wrote it: upgrade causalkit" if isinstance(version, int)
                and not isinstance(version, bool) and version > SCHEMA_VERSION
                else "is this a causalkit report?")
        if "experiment" not in obj:
            raise _bad("the report", "missing field 'experiment'")

        def items(key: str) -> list[Any]:
            value = obj.get(key)
            return [] if value is None else _seq(value, key)

        decision, basis = obj.get("decision"), obj.get("decision_basis")
        return cls(
            decision_basis=None if basis is None else _decode(DecisionBasis, basis,
                                                              "decision_basis"),
            experiment=_decode(Experiment, obj["experiment"], "experiment"),
            estimates=tuple(_decode(Estimate, e, f"estimates[{i}]")
                            for i, e in enumerate(items("estimates"))),
            checks=tuple(_decode(Check, c, f"checks[{i}]")
                         for i, c in enumerate(items("checks"))),
            decision=None if decision is None else _decode(Decision, decision, "decision"),
            meta=_decode(Meta, obj.get("meta") or {}, "meta"),
            tables=tuple(_decode(Table, t, f"tables[{i}]") for i, t in enumerate(items("tables"))),
            figures=tuple(_decode(Figure, f, f"figures[{i}]")
                          for i, f in enumerate(items("figures"))),
            findings=tuple(_text(f, f"findings[{i}]") for i, f in enumerate(items("findings"))),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> Report:
        """Rebuild a report from :meth:`to_json` output.

        Raises:
            ReportError: (a ``ValueError``) when the text is not JSON, nests too
                deeply, or is not a report (see :meth:`from_dict`).

        Example:
            >>> Report.from_json("[1, 2]")
            Traceback (most recent call last):
            ...
            causalkit.errors.ReportError: report: the report: must be an object, not a list (...)
        """
        if not isinstance(text, str | bytes | bytearray):
            raise ReportError(f"a report is JSON text, not {type(text).__name__}")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ReportError(f"report is not valid JSON: {exc.msg} at line {exc.lineno} "
                              f"column {exc.colno}") from None
        except RecursionError:
            raise ReportError("report JSON nests too deeply") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise ReportError(f"report is not valid JSON: {exc}") from None
        return cls.from_dict(data)

    def to_frame(self) -> pd.DataFrame:
        """The estimates as a pandas DataFrame, one row per estimate.

        Example:
            >>> rep = Report(experiment=Experiment(name="x", kind="ab"), estimates=(
            ...     Estimate(metric="m", arm="t", reference="c", method="welch", estimate=1.0),))
            >>> rep.to_frame()[["metric", "estimate"]].to_dict("records")
            [{'metric': 'm', 'estimate': 1.0}]
        """
        import pandas as pd

        cols = ["contrast", *(f.name for f in fields(Estimate) if f.name != "extra")]
        rows = [{c: (v.value if isinstance(v := getattr(e, c), StrEnum) else v) for c in cols}
                for e in self.estimates]
        return pd.DataFrame(rows, columns=cols)

    def _repr_html_(self) -> str:
        """The HTML view notebooks show: a self-contained ``<div>`` with scoped CSS.

        Example:
            >>> Report(experiment=Experiment(name="x", kind="ab"))._repr_html_()[:23]
            '<div class="ck-report">'
        """
        from causalkit.report.render.html import render_body

        return render_body(self)


_V1_SCALAR_MOVES = {"margin": "margin", "practical_threshold": "practical_threshold",
                    "alpha": "alpha"}
_V1_VERDICT_KEYS = frozenset({"better", "worse", "significant", "noninferior",
                              "worse_than_margin", "gate_verdict", "ci_kind", "control_level",
                              "treatment_level", "control_mean", "treatment_mean",
                              "fixed_ci_low", "fixed_ci_high"})


_V1_ARM_WORDS = ("treated", "treatment", "reached")
_V1_REFERENCE_WORDS = ("control", "untreated", "not_reached", "not reached")


def _split_contrast(text: str) -> tuple[str | None, str, str]:
    """``(prefix, arm, reference)`` of a v1 contrast (``"cond: a - b"``, ``"a − b"``)."""
    prefix = None
    if ": " in text:
        prefix, text = text.rsplit(": ", 1)
    for sep in (" - ", " − ", " vs "):
        if sep in text:
            arm, ref = text.split(sep, 1)
            return prefix, arm.strip(), ref.strip()
    return prefix, text.strip() or "treatment", "control"


def _split_counts(n: Mapping[str, Any], arm: str, ref: str) -> tuple[Any, Any]:
    """The arm's and the reference's count in a v1 ``n`` mapping."""
    by_name = {str(k).replace("_", " "): v for k, v in n.items()}
    if arm in by_name and ref in by_name:
        return by_name[arm], by_name[ref]
    arm_key = next((k for k in n if k in _V1_ARM_WORDS), None)
    ref_key = next((k for k in n if k in _V1_REFERENCE_WORDS), None)
    if arm_key is not None or ref_key is not None:
        return n.get(arm_key) if arm_key else None, n.get(ref_key) if ref_key else None
    keys = list(n)
    if len(keys) == 2:  # v1 wrote the reference first
        return n[keys[1]], n[keys[0]]
    return None, None


def migrate_v1(data: Mapping[str, Any]) -> dict[str, Any]:
    """A schema-1 report as a schema-2 one: typed fields from the v1 contrast text and ``extra``.

    Version 1 kept the arm in the contrast text, counts as ``n: {arm: count}``, and
    the margin, threshold, interval kind and verdict flags in ``extra``. The
    assessment is recomputed from the interval (the v1 verdict flags are dropped).

    Example:
        >>> v1 = {"schema_version": 1, "experiment": {"name": "x", "kind": "ab"},
        ...       "estimates": [{"metric": "m", "contrast": "b - control", "method": "welch",
        ...                      "estimate": 0.4, "ci_low": 0.1, "ci_high": 0.7,
        ...                      "n": {"control": 10, "b": 12}, "role": "primary",
        ...                      "direction": "increase",
        ...                      "extra": {"ci_kind": "always_valid", "better": True}}]}
        >>> e = migrate_v1(v1)["estimates"][0]
        >>> e["arm"], e["reference"], e["n"], e["n_reference"], e["interval_kind"]
        ('b', 'control', 12, 10, 'always_valid')
    """
    out = dict(data)
    out["schema_version"] = SCHEMA_VERSION
    ests = []
    for raw in data.get("estimates", ()):
        e = dict(raw)
        n = dict(e.pop("n", None) or {})
        prefix, arm, ref = _split_contrast(str(e.pop("contrast", "")))
        if prefix:
            e["metric"] = f"{e.get('metric', '')} by {prefix}"
        v1_extra = dict(e.get("extra") or {})
        e["arm"], e["reference"] = arm, ref
        e["n"], e["n_reference"] = _split_counts(n, arm, ref)
        for old, new in _V1_SCALAR_MOVES.items():
            if old in v1_extra and v1_extra[old] is not None and new not in e:
                e[new] = v1_extra[old]
        if e.get("margin") is not None:
            e["margin"] = abs(float(e["margin"]))
        e["level"] = v1_extra.get("treatment_level", v1_extra.get("treatment_mean"))
        e["level_reference"] = v1_extra.get("control_level", v1_extra.get("control_mean"))
        kind = v1_extra.get("ci_kind")
        e["interval_kind"] = kind if kind in {k.value for k in IntervalKind} else "fixed"
        e["extra"] = {k: v for k, v in v1_extra.items()
                      if k not in _V1_VERDICT_KEYS and k not in _V1_SCALAR_MOVES}
        e.pop("assessment", None)
        ests.append(e)
    out["estimates"] = ests
    decision = data.get("decision")
    if decision:
        out["decision"] = {"state": decision["state"], "reasons": decision.get("reasons", [])}
    out["decision_basis"] = None
    return out
