"""Double machine learning and heterogeneous effects through EconML (the ``causal`` extra).

``dml`` fits EconML's ``LinearDML`` (effects linear in the effect modifiers,
with inference on the coefficients); ``causal_forest`` fits ``CausalForestDML``
(nonparametric effects, with feature importances). Both use cross-fitting with
the nuisance learners causalkit also uses (linear/logistic by default, gradient
boosting on request). EconML is imported only here; without it the estimators
raise :class:`~causalkit.errors.CausalkitError` with the install command.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(600, 1)); t = (rng.random(600) < 0.5).astype(float)
    >>> y = t * (1 + x[:, 0]) + x[:, 0] + rng.normal(size=600)
    >>> res, table = econml_estimate("dml", t, y, x, x, ("x",), seed=0)  # doctest: +SKIP
    >>> round(res.estimate)  # doctest: +SKIP
    1
"""

from __future__ import annotations

from typing import Any

import numpy as np

from causalkit.errors import CausalkitError
from causalkit.observational.estimators import EffectResult
from causalkit.observational.learners import Array
from causalkit.progress import track
from causalkit.report.model import Table


def _require() -> Any:
    try:
        import econml  # noqa: F401
        from econml import dml
    except ImportError as exc:
        raise CausalkitError(
            f"the dml and causal_forest estimators need EconML ({exc})",
            hint="pip install -e '.[causal]' in a causalkit checkout, or drop them from estimators",
        ) from None
    return dml


def _learners(gradient_boosting: bool, seed: int) -> tuple[Any, Any]:
    if gradient_boosting:
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

        return (HistGradientBoostingRegressor(random_state=seed),
                HistGradientBoostingClassifier(random_state=seed))
    from sklearn.linear_model import LinearRegression, LogisticRegression

    return LinearRegression(), LogisticRegression(max_iter=1000)


def econml_estimate(method: str, t: Array, y: Array, w: Array, x: Array | None,
                    names: tuple[str, ...], *, target: str = "ate", folds: int = 5,
                    seed: int = 0, alpha: float = 0.05,
                    gradient_boosting: bool = False) -> tuple[EffectResult, Table | None]:
    """Fit ``LinearDML`` (``method="dml"``) or ``CausalForestDML`` (``"causal_forest"``).

    ``w`` holds the adjustment covariates (controls), ``x`` the effect modifiers
    (``None``: a constant effect). Returns the average effect over the target
    population and a table of heterogeneity (coefficients with intervals, or
    feature importances) plus the spread of the individual effects.

    Raises:
        CausalkitError: when EconML is not installed.

    Example:
        >>> econml_estimate("nope", np.zeros(2), np.zeros(2), np.zeros((2, 0)), None, ())
        Traceback (most recent call last):
        ...
        causalkit.errors.CausalkitError: unknown EconML estimator 'nope' (use dml or causal_forest)
    """
    if method not in ("dml", "causal_forest"):
        raise CausalkitError(f"unknown EconML estimator {method!r} (use dml or causal_forest)")
    dml = _require()
    model_y, model_t = _learners(gradient_boosting, seed)
    if method == "dml":
        model = dml.LinearDML(model_y=model_y, model_t=model_t, discrete_treatment=True,
                              cv=folds, random_state=seed)
    else:
        model = dml.CausalForestDML(model_y=model_y, model_t=model_t, discrete_treatment=True,
                                    cv=folds, random_state=seed, n_estimators=200)
    x_fit = x if x is not None and x.shape[1] else None
    w_fit = w if w.shape[1] else None
    if method == "causal_forest" and x_fit is None:
        x_fit = w_fit if w_fit is not None else np.zeros((len(t), 1))
    with track(f"fitting EconML {method}"):
        model.fit(y, t.astype(int), X=x_fit, W=w_fit)
    rows = t == 1 if target == "att" else np.ones(len(t), dtype=bool)
    x_eval = None if x_fit is None else x_fit[rows]
    if method == "causal_forest":
        # the forest's doubly robust average effect and its standard error
        if target == "att":
            est = float(np.ravel(model.att_(T=1))[0])
            se = float(np.ravel(model.att_stderr_(T=1))[0])
        else:
            est = float(np.ravel(model.ate_)[0])
            se = float(np.ravel(model.ate_stderr_)[0])
    else:
        inf = model.ate_inference(X=x_eval)
        est = float(np.ravel(inf.mean_point)[0])
        se = float(np.ravel(inf.stderr_mean)[0])
    n1 = int(t.sum())
    extra: dict[str, float | str | int | bool] = {"backend": "econml", "model": type(model).__name__}
    table: Table | None = None
    if x_fit is not None:
        cate = np.ravel(model.effect(x_fit))
        q = np.quantile(cate, [0.1, 0.5, 0.9])
        extra.update({"cate_p10": float(q[0]), "cate_median": float(q[1]),
                      "cate_p90": float(q[2])})
        if method == "dml":
            coef = np.ravel(model.coef_)
            lo, hi = (np.ravel(v) for v in model.coef__interval(alpha=alpha))
            label = names if len(names) == len(coef) else tuple(f"x{i}" for i in range(len(coef)))
            table = Table("heterogeneity", "Effect modifiers (LinearDML: change of the effect "
                          "per unit of each modifier)", ("modifier", "coefficient", "ci_low",
                                                         "ci_high"),
                          tuple((n, float(c), float(a), float(b))
                                for n, c, a, b in zip(label, coef, lo, hi)))
        else:
            imp = np.ravel(model.feature_importances_)
            label = names if len(names) == len(imp) else tuple(f"x{i}" for i in range(len(imp)))
            table = Table("heterogeneity", "Effect modifiers (causal forest feature importance)",
                          ("modifier", "importance"),
                          tuple((n, float(v)) for n, v in zip(label, imp)))
    return EffectResult(method, target, est, se, alpha, n1, len(t) - n1, None, extra), table
