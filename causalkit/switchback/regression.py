"""Two-way fixed-effects regression on region x period outcomes (statsmodels, lazy).

``y[r, t] = a_r + g_t + sum_{j=0..m} b_j w[r, t-j] + e[r, t]``: region and period
fixed effects (removed by the two-way within transformation on a balanced panel;
with one region only the region effect is removed), a distributed lag of ``m``
periods, and the effect ``sum_j b_j`` (the effect of being treated for the last
``m + 1`` periods, i.e. the lag-m effect under a linear model). Periods ``t < m``,
burn-in (already dropped in the outcomes) and periods missing in any region are
left out. Standard errors: cluster-robust by region (t with ``G - 1`` degrees of
freedom) and panel HAC (Newey-West within region, ``max(m + 1, 4 (T/100)^(2/9))`` lags).

Example:
    >>> rng = np.random.default_rng(0)
    >>> arms = rng.integers(0, 2, (4, 80)).astype(np.int8)
    >>> y = 10 + np.arange(80)[None, :] * 0.1 + 2.0 * arms + rng.normal(0, 0.1, (4, 80))
    >>> res = fe_regression(y, arms, 0)
    >>> round(res.estimate, 1), res.n_obs
    (2.0, 320)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class FEResult:
    """Effect ``sum_j b_j`` with cluster-robust and HAC standard errors.

    Example:
        >>> arms = np.array([[0, 1, 1, 0, 1, 0, 0, 1, 0, 1]], np.int8)
        >>> res = fe_regression(5.0 + 3.0 * arms + np.linspace(0, 0.1, 10), arms, 0)
        >>> round(res.estimate, 2), res.n_obs, res.df_cluster, res.note
        (3.0, 10, 0, 'one region: period fixed effects dropped')
    """

    estimate: float
    se_cluster: float
    se_hac: float
    df_cluster: int
    n_obs: int
    hac_lags: int
    note: str = ""


def _within(x: NDArray[np.float64], two_way: bool) -> NDArray[np.float64]:
    out = x - x.mean(axis=1, keepdims=True)
    if two_way:
        out = out - x.mean(axis=0, keepdims=True) + x.mean()
    return out


def fe_regression(y: NDArray[np.float64], arms: NDArray[np.int8], lags: int) -> FEResult:
    """Fit the distributed-lag two-way FE model and return the summed effect.

    Args:
        y: ``(R, T)`` outcomes, NaN where missing.
        arms: ``(R, T)`` realized arms.
        lags: ``m``.

    Example:
        >>> fe_regression(np.ones((1, 3)), np.zeros((1, 3), np.int8), 0).note
        'no variation in the treatment after fixed effects'
    """
    import statsmodels.api as sm

    n_r, n_t = y.shape
    w = arms.astype(np.float64)
    cols = [np.pad(w, ((0, 0), (j, 0)))[:, :n_t] for j in range(lags + 1)]
    keep_t = np.arange(n_t) >= lags
    keep_t &= ~np.isnan(y).any(axis=0)
    yk = y[:, keep_t]
    xs = [c[:, keep_t] for c in cols]
    two_way = n_r >= 2
    n_obs = int(yk.size)
    nan = float("nan")
    if yk.shape[1] < 3:
        return FEResult(nan, nan, nan, n_r - 1, n_obs, 0, "too few complete periods")
    yd = _within(yk, two_way).ravel()
    xd = np.column_stack([_within(x, two_way).ravel() for x in xs])
    if np.allclose(xd, 0):
        return FEResult(nan, nan, nan, n_r - 1, n_obs, 0,
                        "no variation in the treatment after fixed effects")
    groups = np.repeat(np.arange(n_r), yk.shape[1])
    model = sm.OLS(yd, xd)
    contrast = np.ones(xd.shape[1])
    t_len = yk.shape[1]
    hac_lags = int(max(lags + 1, np.floor(4 * (t_len / 100) ** (2 / 9))))
    fit = model.fit()
    est = float(contrast @ fit.params)
    se_c = nan
    if n_r >= 2:
        fc = model.fit(cov_type="cluster", cov_kwds={"groups": groups})
        se_c = float(np.sqrt(max(contrast @ fc.cov_params() @ contrast, 0.0)))
    fh = model.fit(cov_type="hac-panel", cov_kwds={"groups": groups, "maxlags": hac_lags})
    se_h = float(np.sqrt(max(contrast @ fh.cov_params() @ contrast, 0.0)))
    note = "" if two_way else "one region: period fixed effects dropped"
    return FEResult(est, se_c, se_h, n_r - 1, n_obs, hac_lags, note)
