"""Data the estimators cannot use, caught before they run: coding, degenerate columns, collinearity.

Each function either returns what the pipeline needs or raises a
:class:`~causalkit.errors.DataError` that names the column(s) and says what to
do; :func:`constant_outcome` returns a ``fail`` check instead (a constant outcome
is a finding about the data, not a malformed input).

* :func:`treatment_coding` — a treatment with two values must be coded 0/1; one
  value is an error; three or more values make it continuous (the effect of one
  more unit).
* :func:`constant_outcome` — an outcome with no variation (to float64 rounding)
  has no effect to estimate and no p-value.
* :func:`require_full_rank` — the columns a model regresses on must not be
  collinear (a duplicated covariate, a dummy that equals another, a mediator that
  copies the treatment).
* :func:`require_arm_rank` — the per-arm outcome models need, within each arm,
  covariates that vary and are not collinear (a level present in one arm only
  is a lack of overlap).

Example:
    >>> import numpy as np
    >>> treatment_coding(np.array([0.0, 1, 1, 0]), "promo"), \\
    ...     treatment_coding(np.array([0.5, 1.0, 2.0]), "dose")
    (True, False)
    >>> treatment_coding(np.array([3.0, 5, 5, 3]), "promo", "d.csv")
    Traceback (most recent call last):
    ...
    causalkit.errors.DataError: d.csv: column 'promo': a treatment with two values must be coded 0/1; found {3, 5} (...)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from causalkit.errors import DataError
from causalkit.observational.learners import Array, dependent_columns
from causalkit.report.model import Check, Status

INTERCEPT = "(intercept)"
"""The name of the constant column in messages about collinearity."""

MIN_ARM = 2
"""Rows each arm of a 0/1 treatment needs at least."""


def treatment_coding(t: Array, name: str, source: str = "data") -> bool:
    """Whether the treatment is binary (0/1, both present); raise for codings causalkit cannot read.

    Two distinct values other than 0 and 1 (``{3, 5}``, ``{1, 2}``, ``{-1, 1}``)
    are an error naming the values found, since which one is "treated" is not
    for causalkit to guess; one value is an error (nothing varies); an arm of a
    0/1 treatment with fewer than :data:`MIN_ARM` rows is an error. Three or more
    values make the treatment continuous.

    Example:
        >>> treatment_coding(np.array([1.0, 1.0]), "promo")
        Traceback (most recent call last):
        ...
        causalkit.errors.DataError: data: column 'promo': the treatment does not vary (every row is 1) (...)
    """
    if t.size == 0:
        raise DataError("the treatment has no rows", column=name, source=source)
    lo, hi = float(t.min()), float(t.max())
    if lo == hi:
        raise DataError(f"the treatment does not vary (every row is {lo:g})", column=name,
                        source=source, hint="an effect needs treated and untreated rows")
    if not bool(np.all((t == lo) | (t == hi))):
        return False
    if (lo, hi) != (0.0, 1.0):
        raise DataError(
            f"a treatment with two values must be coded 0/1; found {{{lo:g}, {hi:g}}}",
            column=name, source=source,
            hint=f"recode it so 1 marks the treated rows, e.g. ({name} == {hi:g}) as 0/1; "
                 f"which of {lo:g} and {hi:g} is the treatment is not for causalkit to guess")
    n1 = int(np.sum(t == 1))
    n0 = t.size - n1
    if min(n1, n0) < MIN_ARM:
        raise DataError(f"{n1} treated and {n0} control row(s); each arm needs at least "
                        f"{MIN_ARM}", column=name, source=source)
    return True


def constant_outcome(y: Array, name: str) -> Check | None:
    """A ``fail`` check when the outcome does not vary (to float64 rounding); else None.

    Such an outcome has no effect to estimate: the estimators would return
    rounding noise (an effect of 3e-15 with p = 2e-39), so the pipeline reports
    this check and no estimate.

    Example:
        >>> constant_outcome(np.full(5, 3.0), "spend").detail[:49]
        "the outcome 'spend' is constant (3 in every row):"
        >>> constant_outcome(np.array([1.0, 2.0]), "spend") is None
        True
    """
    if y.size == 0:
        return None
    lo, hi = float(y.min()), float(y.max())
    if hi - lo > 64 * np.finfo(np.float64).eps * max(abs(lo), abs(hi)):
        return None
    exact = "" if hi == lo else " up to float64 rounding"
    return Check(
        "outcome_variance", Status.FAIL,
        f"the outcome {name!r} is constant ({lo:g} in every row{exact}): with zero variance "
        f"there is no effect to estimate and no p-value, so no estimate is reported; check "
        f"the column (a join or a filter that left one value, the wrong column)",
        value=0.0)


def _join(names: Sequence[str]) -> str:
    return ", ".join(n for n in names if n != INTERCEPT)


ADJUSTMENT_HINT = ("drop or combine the redundant column(s): remove one from the data and the "
                   "graph, or list the columns to adjust for under `adjustment:` without it")


def require_full_rank(design: Array, names: Sequence[str], *, what: str,
                      source: str = "data", hint: str = ADJUSTMENT_HINT) -> None:
    """Raise a :class:`DataError` naming the collinear columns of ``design``, if any.

    ``design`` holds the columns a model regresses on (with :data:`INTERCEPT`
    when it has one); ``what`` says which model in the message, ``hint`` what to do.

    Example:
        >>> age = np.array([20.0, 30, 40, 50]); ones = np.ones(4)
        >>> require_full_rank(np.column_stack([ones, age, 12 * age]),
        ...                   [INTERCEPT, "age", "age_months"], what="the adjustment set")
        Traceback (most recent call last):
        ...
        causalkit.errors.DataError: data: the adjustment set: age, age_months are collinear (one is an exact linear combination of the others) (...)
    """
    bad = dependent_columns(design, names)
    if not bad:
        return
    if design.shape[0] < design.shape[1]:
        raise DataError(f"{what}: {design.shape[0]} row(s) for {design.shape[1]} model "
                        f"columns", source=source, hint="use more rows or fewer covariates")
    listed = _join(bad)
    if not listed:  # only the intercept: cannot happen with centred columns, kept for safety
        listed = ", ".join(bad)
    if len(bad) == 1 or (INTERCEPT in bad and len(bad) == 2):
        message = f"{what}: {listed} does not vary"
    else:
        message = (f"{what}: {listed} are collinear (one is an exact linear combination of "
                   f"the others)")
    raise DataError(message, source=source, hint=hint)


def require_arm_rank(design: Array, t: Array, names: Sequence[str], *, treatment: str,
                     source: str = "data") -> None:
    """Within each arm of a 0/1 treatment, the outcome model's columns must vary and not be collinear.

    ``design`` is the outcome model's design with its intercept (all rows).

    Example:
        >>> t = np.array([0.0, 0, 0, 1, 1, 1]); male = np.array([0.0, 1, 0, 1, 1, 1])
        >>> require_arm_rank(np.column_stack([np.ones(6), male]), t, [INTERCEPT, "male"],
        ...                  treatment="t")
        Traceback (most recent call last):
        ...
        causalkit.errors.DataError: data: among the treated rows (t = 1, 3 rows) male does not vary, so the treated arm's outcome model cannot be fitted (...)
    """
    for arm, label in ((1.0, "treated"), (0.0, "control")):
        rows = t == arm
        sub = design[rows]
        bad = dependent_columns(sub, names)
        if not bad:
            continue
        n_arm = int(rows.sum())
        where = f"among the {label} rows ({treatment} = {arm:g}, {n_arm} rows)"
        if n_arm < sub.shape[1]:
            problem = f"{where} there are fewer rows than the {sub.shape[1]} model columns"
        elif len(bad) == 1 or (len(bad) == 2 and INTERCEPT in bad):
            problem = f"{where} {_join(bad) or ', '.join(bad)} does not vary"
        else:
            problem = f"{where} {_join(bad)} are collinear"
        raise DataError(
            f"{problem}, so the {label} arm's outcome model cannot be fitted", source=source,
            hint="the arms may not overlap on these covariates (a level or value seen in one "
                 "arm only): coarsen or drop them, or keep only the rows where both arms occur")
