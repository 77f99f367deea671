"""Design matrices and nuisance models: linear, logistic (own IRLS) and gradient boosting.

Linear and logistic fits are plain numpy (least squares and Newton-Raphson
iteratively reweighted least squares on standardized columns), so they are fast
on a million rows and expose what the influence-function standard errors need:
the fitted means, the derivative of the mean, and the Hessian. Gradient
boosting (scikit-learn's histogram boosting) is imported only when asked for.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(2000, 1))
    >>> t = (rng.random(2000) < 1 / (1 + np.exp(-(0.5 + x[:, 0])))).astype(float)
    >>> fit = fit_glm(add_intercept(x), t, logistic=True)
    >>> np.round(fit.coef, 1).tolist()
    [0.5, 1.0]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from causalkit.errors import DataError

Array = NDArray[np.float64]


class Term(StrEnum):
    """How a covariate enters the nuisance models."""

    LINEAR = "linear"
    QUADRATIC = "quadratic"
    CUBIC = "cubic"
    CATEGORICAL = "categorical"


@dataclass(frozen=True)
class Design:
    """Covariate matrix (no intercept) with one name per column."""

    matrix: Array
    names: tuple[str, ...]


def design_matrix(columns: Mapping[str, NDArray[np.generic]],
                  terms: Mapping[str, Term | str] | None = None,
                  *, source: str = "data", rows: int | None = None) -> Design:
    """Build the covariate matrix: numbers as they are (plus powers), categories as dummies.

    Text columns are categorical automatically (first level dropped); a
    covariate with one value is dropped. Missing, NaN or infinite values, and
    numbers outside what float64 arithmetic can square and sum (see
    :func:`check_range`), are a :class:`DataError`. ``rows`` sets the number of
    rows when there are no columns.

    Example:
        >>> import numpy as np
        >>> d = design_matrix({"age": np.array([20.0, 30.0, 40.0]),
        ...                    "edu": np.array(["a", "b", "b"], dtype=object)},
        ...                   {"age": "quadratic"})
        >>> d.names, d.matrix[:, 1].tolist()
        (('age', 'age^2', 'edu=b'), [400.0, 900.0, 1600.0])
    """
    terms = dict(terms or {})
    cols: list[Array] = []
    names: list[str] = []
    n = len(next(iter(columns.values()))) if columns else (rows or 0)
    for name, raw in columns.items():
        kind = Term(terms.get(name, Term.LINEAR))
        values = np.asarray(raw)
        numeric = values.dtype.kind in "biuf"
        if numeric:
            as_float = values.astype(np.float64)
            bad = int(np.isnan(as_float).sum())
        else:
            bad = int(sum(v is None or (isinstance(v, float) and np.isnan(v)) for v in values))
        if bad:
            raise DataError(f"{bad} missing or NaN value(s)", column=name, source=source,
                            hint="fill or drop them before the analysis")
        if numeric:
            check_finite(as_float, name, source)
            check_range(as_float, name, source)
        if kind is Term.CATEGORICAL or not numeric:
            levels, codes = np.unique(values.astype(str) if not numeric else values,
                                      return_inverse=True)
            for j in range(1, len(levels)):
                cols.append((codes == j).astype(np.float64))
                names.append(f"{name}={levels[j]}")
            continue
        if np.ptp(as_float) == 0:
            continue
        cols.append(as_float)
        names.append(name)
        if kind in (Term.QUADRATIC, Term.CUBIC):
            cols.append(as_float ** 2)
            names.append(f"{name}^2")
        if kind is Term.CUBIC:
            cols.append(as_float ** 3)
            names.append(f"{name}^3")
    matrix = np.column_stack(cols) if cols else np.empty((n, 0))
    return Design(matrix, tuple(names))


def term_columns(names: Sequence[str], covariate: str) -> list[int]:
    """The design columns of one covariate as entered linearly: itself, or its dummies.

    Powers (``age^2``) are not included: an interaction with ``age`` is with its
    linear term only.

    Example:
        >>> term_columns(("age", "age^2", "edu=b", "edu=c"), "edu")
        [2, 3]
        >>> term_columns(("age", "age^2"), "age")
        [0]
    """
    return [j for j, n in enumerate(names) if n == covariate or n.startswith(f"{covariate}=")]


def add_intercept(x: Array) -> Array:
    """``[1, standardized x]``: an intercept column and centred, scaled covariates.

    Standardizing leaves fitted values of linear and logistic models unchanged
    and keeps Newton steps well conditioned.

    Example:
        >>> add_intercept(np.array([[1.0], [3.0]])).tolist()
        [[1.0, -1.0], [1.0, 1.0]]
    """
    if x.shape[1] == 0:
        return np.ones((x.shape[0], 1))
    centred = x - x.mean(axis=0)
    scale = np.max(np.abs(centred), axis=0)
    scale[~(scale > 0)] = 1.0
    sd = (centred / scale).std(axis=0) * scale  # no underflow for tiny spreads
    sd[~(sd > 0)] = 1.0
    return np.column_stack([np.ones(x.shape[0]), centred / sd])


@dataclass(frozen=True)
class GlmFit:
    """A fitted linear (identity link) or logistic (logit link) model.

    ``hessian`` is ``Σ w_i h'(η_i) d_i d_iᵀ`` over the rows it was fitted on.

    Example:
        >>> d = add_intercept(np.array([[0.0], [1.0], [2.0], [3.0]]))
        >>> lin = fit_glm(d, np.array([1.0, 3.0, 5.0, 7.0]), logistic=False)
        >>> lin.logistic, np.round(lin.mean(d), 6).tolist(), lin.dmean(d).tolist()
        (False, [1.0, 3.0, 5.0, 7.0], [1.0, 1.0, 1.0, 1.0])
        >>> sep = fit_glm(d, np.array([0.0, 0, 1, 1]), logistic=True)  # perfectly separated
        >>> sep.logistic, sep.converged, sep.hessian.shape
        (True, False, (2, 2))
    """

    coef: Array
    logistic: bool
    hessian: Array
    converged: bool = True

    def mean(self, design: Array) -> Array:
        """Fitted means on ``design`` (with intercept column)."""
        eta = design @ self.coef
        return _expit(eta) if self.logistic else eta

    def dmean(self, design: Array) -> Array:
        """Derivative of the mean with respect to the linear predictor."""
        if not self.logistic:
            return np.ones(design.shape[0])
        p = self.mean(design)
        return p * (1 - p)


def _expit(eta: Array) -> Array:
    return 0.5 * (1.0 + np.tanh(0.5 * eta))


def _solve(h: Array, g: Array) -> Array:
    try:
        return np.asarray(np.linalg.solve(h, g), dtype=np.float64)
    except np.linalg.LinAlgError:
        return np.asarray(np.linalg.lstsq(h, g, rcond=None)[0], dtype=np.float64)


def fit_glm(design: Array, y: Array, *, logistic: bool, weights: Array | None = None,
            max_iter: int = 100, tol: float = 1e-10) -> GlmFit:
    """Least squares or logistic regression by Newton-Raphson (IRLS).

    Example:
        >>> d = add_intercept(np.array([[0.0], [1.0], [2.0], [3.0]]))
        >>> np.round(fit_glm(d, np.array([1.0, 3.0, 5.0, 7.0]), logistic=False).mean(d), 6).tolist()
        [1.0, 3.0, 5.0, 7.0]
    """
    w = np.ones(design.shape[0]) if weights is None else weights
    if not logistic:
        dw = design * w[:, None]
        h = dw.T @ design
        coef = _solve(h, dw.T @ y)
        return GlmFit(coef, False, h)
    coef = np.zeros(design.shape[1])
    converged = False
    h = np.eye(design.shape[1])
    for _ in range(max_iter):
        p = _expit(design @ coef)
        v = w * p * (1 - p)
        h = (design * v[:, None]).T @ design
        step = _solve(h + 1e-12 * np.eye(len(coef)), design.T @ (w * (y - p)))
        coef = coef + step
        if not np.all(np.isfinite(coef)):
            break
        if np.max(np.abs(step)) < tol * (1 + np.max(np.abs(coef))):
            converged = True
            break
    p = _expit(design @ coef)
    h = (design * (w * p * (1 - p))[:, None]).T @ design
    return GlmFit(coef, True, h, converged)


LARGEST = 1e100
"""The largest magnitude accepted in a numeric column (its squares summed over rows must stay finite)."""

SMALLEST_SPREAD = 1e-100
"""The smallest spread (max - min) of a varying column: below it, squares of deviations underflow."""


def check_finite(values: Array, name: str, source: str = "data") -> None:
    """Reject infinite values (NaN is checked, and named, before).

    Example:
        >>> check_finite(np.array([1.0, np.inf, -np.inf]), "x")
        Traceback (most recent call last):
        ...
        causalkit.errors.DataError: data: column 'x': 2 infinite value(s) (replace or drop them before the analysis)
    """
    bad = int(np.isinf(values).sum())
    if bad:
        raise DataError(f"{bad} infinite value(s)", column=name, source=source,
                        hint="replace or drop them before the analysis")


def check_range(values: Array, name: str, source: str = "data") -> None:
    """Reject numbers float64 arithmetic cannot square and sum without overflow or underflow.

    A value above :data:`LARGEST` in magnitude, or a column that varies by less
    than :data:`SMALLEST_SPREAD`, is a :class:`DataError` that says to rescale it.
    Values must already be finite.

    Example:
        >>> check_range(np.array([1.0, 2.0]), "age")
        >>> check_range(np.array([1.0, 3e300]), "income", "d.csv")
        Traceback (most recent call last):
        ...
        causalkit.errors.DataError: d.csv: column 'income': values up to 3e+300 are too large for float64 sums of squares (rescale the column, e.g. to thousands or millions, so its values stay below 1e+100)
    """
    if values.size == 0:
        return
    big = float(np.max(np.abs(values)))
    if big > LARGEST:
        raise DataError(f"values up to {big:.3g} are too large for float64 sums of squares",
                        column=name, source=source,
                        hint=f"rescale the column, e.g. to thousands or millions, so its values "
                             f"stay below {LARGEST:.0e}")
    spread = float(np.max(values) - np.min(values))
    if 0 < spread < SMALLEST_SPREAD:
        raise DataError(f"values vary by only {spread:.3g}, below what float64 arithmetic "
                        f"resolves once squared", column=name, source=source,
                        hint="rescale the column (multiply it by a large power of ten)")


def dependent_columns(design: Array, names: Sequence[str], *, tol: float = 1e-8) -> tuple[str, ...]:
    """The columns of ``design`` that take part in an exact (to ``tol``) linear dependence.

    Columns are scaled to unit length first; a zero column, or too few rows for
    the columns, names every column concerned. The dependence is read from the
    right singular vectors whose singular values fall below ``tol`` times the
    largest (the estimators solve normal equations, whose condition number is the
    square of the design's, so 1e-8 is where they stop being solvable in float64).
    Empty when the design has full column rank.

    Example:
        >>> a = np.array([1.0, 2, 3, 4]); b = np.array([5.0, 3, 1, 0])
        >>> dependent_columns(np.column_stack([np.ones(4), a, 2 * a, b]),
        ...                   ["(intercept)", "a", "twice a", "b"])
        ('a', 'twice a')
        >>> dependent_columns(np.column_stack([np.ones(4), a, b]), ["(intercept)", "a", "b"])
        ()
    """
    n, k = design.shape
    if k == 0:
        return ()
    norms = np.sqrt(np.sum(design ** 2, axis=0))
    zero = ~(norms > 0)
    if zero.any():
        return tuple(nm for nm, z in zip(names, zero, strict=True) if z)
    if n < k:
        return tuple(names)
    _, s, vt = np.linalg.svd(design / norms, full_matrices=False)
    small = s < tol * s[0]
    if not small.any():
        return ()
    null = vt[small]
    involved = np.max(np.abs(null), axis=0) > 1e-6
    return tuple(nm for nm, flag in zip(names, involved, strict=True) if flag)


def is_binary(values: NDArray[np.generic]) -> bool:
    """Whether an array holds only 0 and 1 (or booleans), with both present.

    Example:
        >>> is_binary(np.array([0, 1, 1])), is_binary(np.array([0.0, 0.5]))
        (True, False)
    """
    v = np.asarray(values, dtype=np.float64)
    return bool(np.all((v == 0) | (v == 1)) and v.min() == 0 and v.max() == 1)


def fold_ids(n: int, folds: int, seed: int) -> NDArray[np.int64]:
    """Random fold labels ``0..folds-1`` of (nearly) equal size.

    Example:
        >>> np.bincount(fold_ids(10, 5, seed=1)).tolist()
        [2, 2, 2, 2, 2]
    """
    rng = np.random.default_rng(seed)
    return rng.permutation(np.arange(n) % folds).astype(np.int64)


def boosting_predict(x: Array, y: Array, train: NDArray[np.bool_], *, classify: bool,
                     seed: int) -> Array:
    """Fit scikit-learn histogram gradient boosting on ``train`` rows; predict all rows.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(400, 1)); y = x[:, 0] ** 2
        >>> pred = boosting_predict(x, y, np.ones(400, bool), classify=False, seed=0)
        >>> bool(np.corrcoef(pred, y)[0, 1] > 0.8)
        True
    """
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    # one OpenMP thread: on a shared or busy machine more threads oversubscribe badly
    with threadpool_limits(limits=1, user_api="openmp"):
        if classify:
            clf = HistGradientBoostingClassifier(random_state=seed, max_iter=150,
                                                 early_stopping=False)
            clf.fit(x[train], y[train].astype(int))
            return np.asarray(clf.predict_proba(x)[:, 1], dtype=np.float64)
        reg = HistGradientBoostingRegressor(random_state=seed, max_iter=150,
                                            early_stopping=False)
        reg.fit(x[train], y[train])
        return np.asarray(reg.predict(x), dtype=np.float64)


def names_of(terms: Sequence[str]) -> str:
    """Join covariate names for messages.

    Example:
        >>> names_of(["a", "b"])
        'a, b'
    """
    return ", ".join(terms)
