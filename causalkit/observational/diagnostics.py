"""Diagnostics of an adjusted comparison: propensity overlap and covariate balance.

Both use the weights of the estimand: ATE weights ``1/e`` and ``1/(1-e)``, or
ATT weights 1 (treated) and ``e/(1-e)`` (controls).

Example:
    >>> import numpy as np
    >>> t = np.array([0.0, 0, 1, 1]); e = np.array([0.2, 0.4, 0.6, 0.8])
    >>> ov = overlap(t, e)
    >>> ov.status.value, round(ov.ess_treated, 2)
    ('pass', 1.96)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from causalkit.observational.learners import Array
from causalkit.report.model import Status


@dataclass(frozen=True)
class Overlap:
    """Propensity overlap: effective sample sizes of the estimand's weights, extreme-score shares.

    ``target`` is the estimand whose weights are summarized: ``ate`` (``1/e`` and
    ``1/(1-e)``) or ``att`` (1 for the treated, ``e/(1-e)`` for the controls, so
    ``ess_treated == n_treated``). ``ess_ratio`` is what the status reads: the
    smaller arm's ``ess/n`` under the ATE; under the ATT the control arm's effective
    sample size over the smaller of the two arms (reweighted to look like the
    treated, a control arm cannot usefully exceed the treated arm).

    Example:
        >>> t = np.array([0.0, 0, 0, 1, 1, 1]); e = np.array([0.2, 0.3, 0.5, 0.5, 0.7, 0.8])
        >>> ov = overlap(t, e)
        >>> ov.n_treated, round(ov.ess_treated, 2), ov.min_treated, ov.status.value
        (3, 2.88, 0.5, 'pass')
        >>> overlap(t, np.array([0.2, 0.3, 0.5, 0.5, 0.7, 1.0])).status.value  # a score of 1
        'fail'
        >>> att = overlap(t, e, target="att")
        >>> att.ess_treated, round(att.ess_control, 2), round(att.ess_ratio, 2)
        (3.0, 2.26, 0.75)
    """

    n_treated: int
    n_control: int
    ess_treated: float
    ess_control: float
    share_extreme: float
    share_very_extreme: float
    min_treated: float
    max_control: float
    status: Status
    detail: str
    target: str = "ate"
    ess_ratio: float = 1.0


def effective_sample_size(weights: Array) -> float:
    """Kish's effective sample size ``(Σw)² / Σw²`` (0 for no weights).

    Example:
        >>> effective_sample_size(np.ones(5)), effective_sample_size(np.array([1.0, 0, 0]))
        (5.0, 1.0)
    """
    if weights.size == 0:
        return 0.0
    top = float(np.sum(weights ** 2))
    return float(np.sum(weights) ** 2 / top) if top > 0 else 0.0


def overlap(t: Array, e: Array, *, target: str = "ate", extreme: float = 0.05,
            very_extreme: float = 0.01) -> Overlap:
    """Summarize propensity overlap for the ATE or the ATT.

    Under the ATE ``share_extreme`` is the share of all units with a score
    outside ``[extreme, 1 - extreme]``; under the ATT, where a control with a
    score near 0 only gets a weight near 0, the share of *treated* units with a
    score above ``1 - extreme`` (treated units with hardly any comparable
    control). Status: ``fail`` when a score is 0 or 1 or ``ess_ratio`` falls
    below 0.1; ``warn`` when the very-extreme share exceeds 1% or ``ess_ratio``
    falls below 0.5; else ``pass``.

    Example:
        >>> t = np.array([0.0, 1, 0, 1]); e = np.array([0.001, 0.999, 0.5, 0.5])
        >>> overlap(t, e).status.value, overlap(t, e, target="att").status.value
        ('warn', 'warn')
    """
    t1 = t == 1
    n1, n0 = int(t1.sum()), int((~t1).sum())
    att = target == "att"
    if att:
        w1 = np.ones(n1)
        w0 = e[~t1] / (1 - e[~t1])
    else:
        w1 = 1 / e[t1]
        w0 = 1 / (1 - e[~t1])
    ess1, ess0 = effective_sample_size(w1), effective_sample_size(w0)
    if att:
        share = float(np.mean(e[t1] > 1 - extreme)) if n1 else 0.0
        share_very = float(np.mean(e[t1] > 1 - very_extreme)) if n1 else 0.0
        ratio = ess0 / max(min(n0, n1), 1)
    else:
        share = float(np.mean((e < extreme) | (e > 1 - extreme)))
        share_very = float(np.mean((e < very_extreme) | (e > 1 - very_extreme)))
        ratio = min(ess1 / max(n1, 1), ess0 / max(n0, 1))
    min_t = float(e[t1].min()) if n1 else float("nan")
    max_c = float(e[~t1].max()) if n0 else float("nan")
    if np.any((e <= 0) | (e >= 1)) or ratio < 0.1:
        status = Status.FAIL
    elif share_very > 0.01 or ratio < 0.5:
        status = Status.WARN
    else:
        status = Status.PASS
    if att:
        max_t = float(e[t1].max()) if n1 else float("nan")
        detail = (f"ATT weights (1 for the treated, e/(1-e) for the controls): treated "
                  f"{n1:,} of {n1:,} (every weight 1), control effective sample size "
                  f"{ess0:,.0f} of {n0:,} ({ratio:.0%} of the smaller arm); {share:.1%} of "
                  f"treated scores above {1 - extreme} ({share_very:.1%} above "
                  f"{1 - very_extreme}); largest treated score {max_t:.3g}, largest control "
                  f"score {max_c:.3g}")
    else:
        detail = (f"effective sample size of the ATE weights: treated {ess1:,.0f} of {n1:,}, "
                  f"control {ess0:,.0f} of {n0:,}; {share:.1%} of propensity scores outside "
                  f"[{extreme}, {1 - extreme}] ({share_very:.1%} outside [{very_extreme}, "
                  f"{1 - very_extreme}]); smallest treated score {min_t:.3g}, largest control "
                  f"score {max_c:.3g}")
    if status is not Status.PASS:
        detail += ("; estimates lean on few units: consider trim (e.g. 0.01) or a narrower "
                   "population, and prefer aipw")
    return Overlap(n1, n0, ess1, ess0, share, share_very, min_t, max_c, status, detail,
                   "att" if att else "ate", float(ratio))


@dataclass(frozen=True)
class BalanceRow:
    """One covariate: arm means and standardized mean differences before/after weighting.

    Example:
        >>> t = np.array([0.0, 0, 1, 1]); x = np.array([[20.0], [30.0], [30.0], [40.0]])
        >>> row = balance(t, x, ["age"], np.array([0.25, 0.5, 0.5, 0.75]))[0]
        >>> row.covariate, row.mean_treated, row.mean_control
        ('age', 35.0, 25.0)
        >>> round(row.smd_before, 2), round(row.smd_after, 2)  # weighting shrinks the gap
        (1.41, 1.13)
    """

    covariate: str
    mean_treated: float
    mean_control: float
    smd_before: float
    smd_after: float


def balance(t: Array, x: Array, names: Sequence[str], e: Array, *,
            target: str = "ate") -> tuple[BalanceRow, ...]:
    """Standardized mean differences before and after inverse probability weighting.

    The SMD divides the difference of (weighted) arm means by the unweighted
    pooled standard deviation ``sqrt((s1² + s0²)/2)``, so before and after are on
    the same scale. ATE weights are ``1/e`` and ``1/(1-e)``; ATT weights are 1 and
    ``e/(1-e)``.

    Example:
        >>> t = np.array([0.0, 0, 1, 1]); x = np.array([[0.0], [1.0], [1.0], [2.0]])
        >>> row = balance(t, x, ["x"], np.full(4, 0.5))[0]
        >>> round(row.smd_before, 3), round(row.smd_after, 3)
        (1.414, 1.414)
    """
    t1 = t == 1
    w = np.where(t1, 1.0, e / (1 - e)) if target == "att" else np.where(t1, 1 / e, 1 / (1 - e))
    rows = []
    for j, name in enumerate(names):
        col = x[:, j]
        a, b = col[t1], col[~t1]
        sd = float(np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2)) if len(a) > 1 and len(b) > 1 \
            else 0.0
        wa, wb = w[t1], w[~t1]
        ma, mb = float(np.average(a, weights=wa)), float(np.average(b, weights=wb))
        before = (a.mean() - b.mean()) / sd if sd > 0 else 0.0
        after = (ma - mb) / sd if sd > 0 else 0.0
        rows.append(BalanceRow(name, float(a.mean()), float(b.mean()), float(before),
                               float(after)))
    return tuple(rows)


def balance_status(rows: Sequence[BalanceRow], *, weights: str = "") -> tuple[Status, str]:
    """Status from the largest absolute SMD after weighting: < 0.1 pass, < 0.25 warn, else fail.

    ``weights`` names the weighting in the detail (``ATE`` or ``ATT``).

    Example:
        >>> balance_status([BalanceRow("a", 1, 0, 0.8, 0.05)])
        (<Status.PASS: 'pass'>, 'largest |SMD| after weighting 0.05 (a), before 0.8 (a); ...')
        >>> balance_status([BalanceRow("a", 1, 0, 0.8, 0.3)], weights="ATT")[1][:34]
        'largest |SMD| after ATT weighting '
    """
    if not rows:
        return Status.PASS, "no covariates to balance"
    worst = max(rows, key=lambda r: abs(r.smd_after))
    worst_b = max(rows, key=lambda r: abs(r.smd_before))
    m = abs(worst.smd_after)
    status = Status.PASS if m < 0.1 else Status.WARN if m < 0.25 else Status.FAIL
    after = f"after {weights} weighting" if weights else "after weighting"
    detail = (f"largest |SMD| {after} {m:.2g} ({worst.covariate}), before "
              f"{abs(worst_b.smd_before):.2g} ({worst_b.covariate}); rule: below 0.1 is "
              f"balanced, 0.1-0.25 warns, above 0.25 fails")
    return status, detail
