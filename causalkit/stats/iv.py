"""Instrumental variables from sufficient statistics: 2SLS/Wald, robust SE, first stage, AR set.

The model of an encouragement experiment with two arms (``z = 0`` control, ``z = 1``
the encouraged arm), outcome ``y``, received treatment ``d`` (0/1 or a dose) and
optional exogenous covariates ``x`` (pre-period, e.g. the CUPED covariate)::

    y = a + beta d + g'x + e,    instruments (1, z, x)

It is just identified, so 2SLS is the IV estimator ``b = (Q'W)^-1 Q'y`` with
``W = (1, d, x)`` and ``Q = (1, z, x)``; ``beta`` equals the ratio of the
reduced-form (intent-to-treat) and first-stage coefficients of ``z`` in the OLS
regressions of ``y`` and ``d`` on ``(1, z, x)`` (without covariates, the Wald
ratio ``(ybar_1 - ybar_0) / (dbar_1 - dbar_0)``).

Everything is computed from per-arm sums (:class:`IVSums`): ``n``, ``sum v``,
``sum v v'`` and, with covariates, ``sum v v' x_l`` and ``sum v v' x_l x_m`` for
``v = (y, d, x)`` -- because ``z`` is constant within an arm, these are all the
robust sandwich needs. So the estimator runs on a warehouse scan.

* **Robust (sandwich) covariance**: ``(Q'W)^-1 (sum e^2 q q') (Q'W)^-T``, HC0 (the
  default of linearmodels' ``IV2SLS.fit(cov_type="robust")``) or HC1 (times
  ``n / (n - k)``, ``k`` the number of regressors; linearmodels' ``debiased=True``).
* **First stage**: the coefficient of ``z`` in the OLS of ``d`` on ``(1, z, x)`` and its
  robust F statistic ``pi^2 / var(pi)`` (one instrument: the squared robust t).
  :data:`WEAK_F` = 10 is the weak-instrument threshold (Staiger and Stock, 1997):
  below it the Wald interval of ``beta`` can undercover badly.
* **Anderson-Rubin confidence set**: all ``beta0`` for which the coefficient of ``z``
  in the OLS of ``y - beta0 d`` on ``(1, z, x)`` is not significant (robust Wald test
  at level ``alpha``). Its coverage does not depend on the first stage's strength. The
  test statistic is a ratio of two quadratics in ``beta0``, so the set is found in
  closed form (:func:`ar_set`): an interval, the union of two rays, a single ray, the
  whole line (the data say nothing about ``beta``), or empty.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> z = np.repeat([0, 1], 500)
    >>> d = (rng.random(1000) < 0.2 + 0.5 * z).astype(float)
    >>> y = 2.0 * d + rng.normal(size=1000)
    >>> r = iv_fit(IVSums.from_data(y[z == 0], d[z == 0]), IVSums.from_data(y[z == 1], d[z == 1]))
    >>> r.ci_low < 2.0 < r.ci_high, r.first_stage_f > WEAK_F, r.ar.kind, r.ar.contains(2.0)
    (True, True, 'interval', True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

FloatArray = NDArray[np.float64]

WEAK_F = 10.0
"""First-stage F below which the instrument is called weak (Staiger and Stock's rule of thumb)."""

SetKind = Literal["interval", "two_rays", "ray_up", "ray_down", "whole_line", "empty"]


@dataclass(frozen=True)
class IVSums:
    """Sums over the units of one arm of ``v = (y, d, x_1, ..., x_k)``.

    Attributes:
        n: units.
        v: ``sum v`` (length ``p = k + 2``).
        vv: ``sum v v'`` (``p x p``).
        vvx: ``sum v_i v_j x_l`` (``p x p x k``).
        vvxx: ``sum v_i v_j x_l x_m`` (``p x p x k x k``).

    Example:
        >>> s = IVSums.from_data([1.0, 2.0], [0.0, 1.0], [[3.0], [5.0]])
        >>> s.n, s.v.tolist(), float(s.vvxx[0, 0, 0, 0])
        (2, [3.0, 1.0, 8.0], 109.0)
    """

    n: int
    v: FloatArray
    vv: FloatArray
    vvx: FloatArray
    vvxx: FloatArray

    @property
    def k(self) -> int:
        """The number of covariates."""
        return int(self.v.shape[0]) - 2

    @classmethod
    def from_data(cls, y: ArrayLike, d: ArrayLike, x: ArrayLike | None = None) -> IVSums:
        """The sums of unit-level arrays (``x``: ``n x k`` or None).

        Example:
            >>> IVSums.from_data([1.0, 3.0], [1.0, 1.0]).vv.tolist()
            [[10.0, 4.0], [4.0, 2.0]]
        """
        yy = np.asarray(y, dtype=np.float64).reshape(-1)
        cols = [yy, np.asarray(d, dtype=np.float64).reshape(-1)]
        xx = np.zeros((yy.size, 0)) if x is None else \
            np.asarray(x, dtype=np.float64).reshape(yy.size, -1)
        v = np.column_stack([*cols, xx])
        return cls(int(yy.size), v.sum(axis=0), v.T @ v,
                   np.einsum("ni,nj,nl->ijl", v, v, xx),
                   np.einsum("ni,nj,nl,nm->ijlm", v, v, xx, xx))


@dataclass(frozen=True)
class ARSet:
    """An Anderson-Rubin confidence set for ``beta``.

    ``kind``: ``interval`` ``[low, high]``; ``two_rays`` ``(-inf, low] U [high, inf)``;
    ``ray_up`` ``[low, inf)``; ``ray_down`` ``(-inf, high]``; ``whole_line``; ``empty``.
    Unused ends are NaN.

    Example:
        >>> ARSet("two_rays", -1.0, 2.0).contains(3.0), ARSet("two_rays", -1.0, 2.0).text()
        (True, 'everything outside (-1, 2): unbounded, the union of two rays')
    """

    kind: SetKind
    low: float = math.nan
    high: float = math.nan

    @property
    def bounded(self) -> bool:
        """Whether the set is a bounded interval (or empty)."""
        return self.kind in ("interval", "empty")

    def contains(self, beta: float) -> bool:
        """Whether ``beta`` is in the set.

        Example:
            >>> ARSet("interval", 0.0, 1.0).contains(0.5), ARSet("empty").contains(0.0)
            (True, False)
        """
        if self.kind == "interval":
            return self.low <= beta <= self.high
        if self.kind == "two_rays":
            return beta <= self.low or beta >= self.high
        if self.kind == "ray_up":
            return beta >= self.low
        if self.kind == "ray_down":
            return beta <= self.high
        return self.kind == "whole_line"

    def text(self, digits: int = 4) -> str:
        """The set in words.

        Example:
            >>> ARSet("whole_line").text()
            'the whole line: the data rule out no value (the first stage is too weak)'
        """
        lo, hi = f"{self.low:.{digits}g}", f"{self.high:.{digits}g}"
        return {
            "interval": f"[{lo}, {hi}]",
            "two_rays": f"everything outside ({lo}, {hi}): unbounded, the union of two rays",
            "ray_up": f"[{lo}, +inf): unbounded above",
            "ray_down": f"(-inf, {hi}]: unbounded below",
            "whole_line": "the whole line: the data rule out no value (the first stage is too "
                          "weak)",
            "empty": "empty: no value of the effect fits both arms (the model is rejected)",
        }[self.kind]


@dataclass(frozen=True)
class IVResult:
    """The IV fit of two arms (see the module docstring).

    Attributes:
        beta: the 2SLS (Wald) estimate of the effect of ``d`` on ``y``.
        se: its robust standard error.
        ci_low, ci_high: the Wald interval ``beta +- z se``.
        p_value: the Wald test of ``beta = 0``.
        params: all 2SLS coefficients ``(a, beta, g)``; cov: their robust covariance.
        itt, itt_se: the reduced-form coefficient of ``z`` (intent to treat, adjusted for
            ``x``) and its robust SE.
        first_stage, first_stage_se: the coefficient of ``z`` in the first stage.
        first_stage_f: the robust first-stage F (``(first_stage / first_stage_se)^2``).
        weak: ``first_stage_f < WEAK_F``.
        ar: the Anderson-Rubin set at ``alpha``; ar_p0: the AR p-value of ``beta = 0``
            (the robust test of the intent to treat).
        ar_quadratic: ``(v_yy, v_yd, v_dd)``, the robust covariance of the reduced-form and
            first-stage coefficients (the AR statistic's denominator is
            ``v_yy - 2 b v_yd + b^2 v_dd``).
        n: units in both arms; alpha; cov_type (``HC0`` or ``HC1``).

    Example:
        >>> s0 = IVSums.from_data([1.0, 2.0, 3.0, 2.0], [0.0, 0.0, 1.0, 0.0])
        >>> s1 = IVSums.from_data([3.0, 4.0, 2.0, 5.0], [1.0, 1.0, 0.0, 1.0])
        >>> r = iv_fit(s0, s1)
        >>> r.beta, r.itt, r.first_stage, round(r.first_stage_f, 3), r.weak
        (3.0, 1.5, 0.5, 2.667, True)
        >>> r.ar.kind, r.n, r.cov_type  # a weak first stage: an unbounded AR set
        ('two_rays', 8, 'HC0')
    """

    beta: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    params: FloatArray
    cov: FloatArray
    itt: float
    itt_se: float
    first_stage: float
    first_stage_se: float
    first_stage_f: float
    weak: bool
    ar: ARSet
    ar_p0: float
    ar_quadratic: tuple[float, float, float]
    n: int
    alpha: float
    cov_type: str

    def ar_statistic(self, beta0: float) -> float:
        """The robust Anderson-Rubin statistic of ``beta = beta0`` (chi-square, 1 df).

        Example:
            >>> import numpy as np
            >>> s0 = IVSums.from_data([0.0, 1.0, 0.0], [0.0, 1.0, 0.0])
            >>> s1 = IVSums.from_data([1.0, 2.0, 1.0], [1.0, 1.0, 0.0])
            >>> r = iv_fit(s0, s1)
            >>> round(r.ar_statistic(r.beta), 12)
            0.0
        """
        vyy, vyd, vdd = self.ar_quadratic
        num = (self.itt - beta0 * self.first_stage) ** 2
        den = vyy - 2.0 * beta0 * vyd + beta0 * beta0 * vdd
        return float(num / den) if den > 0 else (0.0 if num == 0 else math.inf)


def _s2(s: IVSums, j: int, k: int) -> float:
    """``sum V_j V_k`` with ``V = (1, y, d, x)``."""
    if j == 0 and k == 0:
        return float(s.n)
    if j == 0 or k == 0:
        return float(s.v[max(j, k) - 1])
    return float(s.vv[j - 1, k - 1])


def _s3(s: IVSums, j: int, k: int, a: int) -> float:
    """``sum V_j V_k x_a`` (``a`` from 0)."""
    if j == 0 and k == 0:
        return float(s.v[2 + a])
    if j == 0 or k == 0:
        return float(s.vv[max(j, k) - 1, 2 + a])
    return float(s.vvx[j - 1, k - 1, a])


def _s4(s: IVSums, j: int, k: int, a: int, b: int) -> float:
    """``sum V_j V_k x_a x_b``."""
    if j == 0 and k == 0:
        return float(s.vv[2 + a, 2 + b])
    if j == 0 or k == 0:
        return float(s.vvx[max(j, k) - 1, 2 + a, b])
    return float(s.vvxx[j - 1, k - 1, a, b])


def _tensor(s: IVSums) -> FloatArray:
    """``T[j, k, a, b] = sum V_j V_k q_a q_b`` with ``V = (1, y, d, x)``, ``q = (1, x)``."""
    k = s.k
    p, r = k + 3, k + 1
    t = np.empty((p, p, r, r))
    for j in range(p):
        for i in range(j, p):
            for a in range(r):
                for b in range(a, r):
                    if a == 0 and b == 0:
                        val = _s2(s, j, i)
                    elif a == 0:
                        val = _s3(s, j, i, b - 1)
                    else:
                        val = _s4(s, j, i, a - 1, b - 1)
                    t[j, i, a, b] = t[i, j, a, b] = t[j, i, b, a] = t[i, j, b, a] = val
    return t


def _lift(z: float, k: int) -> FloatArray:
    """The map from ``q = (1, x)`` to the instruments ``(1, z, x)`` in an arm with ``z``."""
    a = np.zeros((k + 2, k + 1))
    a[0, 0] = 1.0
    a[1, 0] = z
    a[2:, 1:] = np.eye(k)
    return a


def iv_fit(control: IVSums, treatment: IVSums, *, alpha: float = 0.05,
           cov_type: Literal["HC0", "HC1"] = "HC0") -> IVResult:
    """2SLS of ``y`` on ``(1, d, x)`` with instruments ``(1, z, x)``, from per-arm sums.

    Args:
        control: sums of the arm with ``z = 0``.
        treatment: sums of the encouraged arm (``z = 1``).
        alpha: level of the Wald interval and the Anderson-Rubin set.
        cov_type: ``HC0`` (linearmodels' robust default) or ``HC1`` (``n / (n - k)``).

    Raises:
        ValueError: for arms with different covariates, or a singular design (no
            variation in ``d`` or collinear covariates).

    Example:
        >>> s0 = IVSums.from_data([1.0, 2.0, 3.0, 2.0], [0.0, 0.0, 1.0, 0.0])
        >>> s1 = IVSums.from_data([3.0, 4.0, 2.0, 5.0], [1.0, 1.0, 0.0, 1.0])
        >>> r = iv_fit(s0, s1)
        >>> r.beta, r.itt, r.first_stage  # the Wald ratio 1.5 / 0.5
        (3.0, 1.5, 0.5)
    """
    k = control.k
    if treatment.k != k:
        raise ValueError("both arms need the same covariates")
    t0, t1 = _tensor(control), _tensor(treatment)
    lifts = (_lift(0.0, k), _lift(1.0, k))
    tensors = (t0, t1)
    w_idx = [0, 2, *range(3, 3 + k)]  # W = (1, d, x) in V
    n = control.n + treatment.n
    qw = sum(a @ t[w_idx, 0, :, 0].T for a, t in zip(lifts, tensors))
    qy = sum(a @ t[1, 0, :, 0] for a, t in zip(lifts, tensors))
    qq = sum(a @ t[0, 0] @ a.T for a, t in zip(lifts, tensors))
    qd = sum(a @ t[2, 0, :, 0] for a, t in zip(lifts, tensors))
    if not (np.all(np.isfinite(qw)) and np.linalg.cond(qw) < 1e14):
        raise ValueError("the design is singular: the arms do not move the received "
                         "treatment, or the covariates are collinear")
    params = np.asarray(np.linalg.solve(qw, qy), dtype=np.float64)
    scale = n / (n - (k + 2)) if cov_type == "HC1" else 1.0
    if cov_type not in ("HC0", "HC1"):
        raise ValueError(f"cov_type must be HC0 or HC1, not {cov_type!r}")

    c = np.zeros(k + 3)  # e = V . c
    c[0], c[1], c[2], c[3:] = -params[0], 1.0, -params[1], -params[2:]
    meat = sum(a @ np.einsum("j,k,jkab->ab", c, c, t) @ a.T for a, t in zip(lifts, tensors))
    inv = np.linalg.inv(qw)
    cov = np.asarray(scale * inv @ meat @ inv.T, dtype=np.float64)

    # reduced form (y) and first stage (d): OLS on Q, robust joint covariance of the z terms
    qq_inv = np.linalg.inv(qq)
    pi_y, pi_d = qq_inv @ qy, qq_inv @ qd

    def resid(pi: FloatArray, col: int, z: float) -> FloatArray:
        r = np.zeros(k + 3)
        r[0], r[col], r[3:] = -(pi[0] + z * pi[1]), 1.0, -pi[2:]
        return r

    def robust(ca: int, pa: FloatArray, cb: int, pb: FloatArray) -> float:
        m = sum(a @ np.einsum("j,k,jkab->ab", resid(pa, ca, z), resid(pb, cb, z), t) @ a.T
                for a, t, z in zip(lifts, tensors, (0.0, 1.0)))
        return float(scale * (qq_inv @ m @ qq_inv)[1, 1])

    vyy, vyd, vdd = robust(1, pi_y, 1, pi_y), robust(1, pi_y, 2, pi_d), robust(2, pi_d, 2, pi_d)
    beta = float(params[1])
    se = float(math.sqrt(cov[1, 1])) if cov[1, 1] >= 0 else math.nan
    zq = float(stats.norm.isf(alpha / 2))
    itt, fs = float(pi_y[1]), float(pi_d[1])
    f = fs * fs / vdd if vdd > 0 else math.inf
    p = float(2 * stats.norm.sf(abs(beta / se))) if se > 0 else math.nan
    ar = ar_set(itt, fs, (vyy, vyd, vdd), alpha)
    p0 = float(stats.chi2.sf(itt * itt / vyy, 1)) if vyy > 0 else math.nan
    return IVResult(beta, se, beta - zq * se, beta + zq * se, p, params, cov, itt,
                    math.sqrt(vyy), fs, math.sqrt(vdd), float(f), bool(f < WEAK_F), ar, p0,
                    (vyy, vyd, vdd), n, alpha, cov_type)


def ar_set(itt: float, first_stage: float, quadratic: tuple[float, float, float],
           alpha: float = 0.05) -> ARSet:
    """The Anderson-Rubin set: every ``b`` with ``(itt - b fs)^2 <= c (v_yy - 2 b v_yd + b^2 v_dd)``.

    ``c`` is the chi-square (1 df) quantile at ``1 - alpha``. The inequality is
    ``A b^2 - 2 B b + C <= 0`` with ``A = fs^2 - c v_dd`` (``A > 0`` exactly when the
    first stage is significant at ``alpha``), ``B = itt fs - c v_yd``,
    ``C = itt^2 - c v_yy``: a bounded interval when ``A > 0``; when ``A < 0`` the union
    of two rays (real roots) or the whole line; a ray when ``A = 0``.

    Example:
        >>> ar_set(1.0, 0.5, (0.01, 0.0, 0.01)).kind
        'interval'
        >>> ar_set(1.0, 0.05, (0.01, 0.0, 0.01)).text(3)
        'everything outside (-6.75, 3.97): unbounded, the union of two rays'
        >>> ar_set(0.01, 0.01, (0.01, 0.0, 0.01)).kind
        'whole_line'
    """
    vyy, vyd, vdd = quadratic
    c = float(stats.chi2.isf(alpha, 1))
    a = first_stage * first_stage - c * vdd
    b = itt * first_stage - c * vyd
    cc = itt * itt - c * vyy
    disc = b * b - a * cc
    scale = max(first_stage * first_stage, c * vdd, 1e-300)
    if abs(a) <= 1e-14 * scale:  # linear: -2 B b + C <= 0
        if b > 0:
            return ARSet("ray_up", low=cc / (2 * b))
        if b < 0:
            return ARSet("ray_down", high=cc / (2 * b))
        return ARSet("whole_line") if cc <= 0 else ARSet("empty")
    if disc < 0:
        return ARSet("empty") if a > 0 else ARSet("whole_line")
    root = math.sqrt(disc)
    # stable roots: q = B + sign(B) sqrt(disc); roots q / A and C / q
    q = b + math.copysign(root, b) if b != 0 else root
    r1 = q / a
    r2 = cc / q if q != 0 else -r1
    lo, hi = min(r1, r2), max(r1, r2)
    return ARSet("interval", lo, hi) if a > 0 else ARSet("two_rays", lo, hi)
