"""The simulator's encouragement arm and its two worlds.

Known answers: the population CACE (:func:`encouragement_truth`, exact Poisson chances
averaged over latent users) against the experiments' Wald estimates; coverage of the
CACE's robust interval within the binomial band in both worlds (the confounded world's
CACE is 0); the Aha check's observational estimate is biased away from 0 in the
confounded world; the simulated per-user table runs an ``ab`` spec with ``received:``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import causalkit
from causalkit.simulate.encouragement import simulate_encouragement
from causalkit.simulate.event_log import encouragement_truth, simulate_event_log
from causalkit.stats.iv import IVSums, iv_fit

N_EXP = 400
N_USERS = 4000


def wald(z: np.ndarray, d: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Wald CACE and its HC0 standard error per experiment (rows), written out independently:
    var = sum over arms of mean((e - mean_arm e)^2) / n_arm / first_stage^2, e = y - b d."""
    def mean(a: np.ndarray, w: np.ndarray) -> np.ndarray:
        return (a * w).sum(1) / w.sum(1)

    fs = mean(d, z) - mean(d, ~z)
    b = (mean(y, z) - mean(y, ~z)) / fs
    e = y - b[:, None] * d
    var = sum(((e - mean(e, w)[:, None]) ** 2 * w).sum(1) / w.sum(1) ** 2 for w in (z, ~z))
    return b, np.sqrt(var) / np.abs(fs)


def band(p: float, n: int) -> float:
    return 3 * math.sqrt(p * (1 - p) / n)


@pytest.fixture(scope="module", params=["causal", "confounded"])
def world(request: pytest.FixtureRequest) -> tuple[str, object, np.ndarray, np.ndarray]:
    sim = simulate_encouragement(seed=11, n_users=N_USERS, experiments=N_EXP,
                                 scenario=request.param)
    b, se = wald(sim.nudged, sim.reached.astype(float), sim.retained.astype(float))
    return request.param, sim, b, se


def test_wald_matches_iv_fit(world: tuple[str, object, np.ndarray, np.ndarray]) -> None:
    _, sim, b, se = world
    for i in range(3):
        z = sim.nudged[i]  # type: ignore[attr-defined]
        d, y = sim.reached[i].astype(float), sim.retained[i].astype(float)  # type: ignore[attr-defined]
        fit = iv_fit(IVSums.from_data(y[~z], d[~z]), IVSums.from_data(y[z], d[z]),
                     cov_type="HC0")
        assert fit.beta == pytest.approx(b[i], abs=1e-9)
        assert fit.se == pytest.approx(se[i], abs=1e-9)


def test_cace_interval_covers_the_known_effect(
        world: tuple[str, object, np.ndarray, np.ndarray]) -> None:
    """Coverage of the 95% interval of the CACE over 400 experiments: within 0.95 +- 3 sd
    (0.917 to 0.983); the target is the population CACE (0 in the confounded world)."""
    scenario, sim, b, se = world
    truth = sim.truth["cace"]  # type: ignore[attr-defined]
    if scenario == "confounded":
        assert truth == 0.0
    else:
        assert 0.25 < truth < 0.35
    z = stats.norm.isf(0.025)
    cover = float(np.mean(np.abs(b - truth) <= z * se))
    assert abs(cover - 0.95) <= band(0.95, N_EXP), cover
    # the population truth is the experiments' mean (3 standard errors of the mean)
    assert abs(b.mean() - truth) < 3 * b.std() / math.sqrt(N_EXP)
    fs = sim.reached[:, :][sim.nudged].mean() - sim.reached[~sim.nudged].mean()  # type: ignore[attr-defined]
    assert fs == pytest.approx(sim.truth["first_stage"], abs=0.005)  # type: ignore[attr-defined]


def test_nudge_changes_only_the_nudged_users() -> None:
    """The nudge has its own random stream: the users, the control users' reached and
    retained, and every user's actions other than add_friend in the condition period are
    those of the log without a nudge; only nudged users gain add_friend events, and no
    user loses the condition (monotonicity)."""
    plain = simulate_event_log(seed=4, n_users=3000)
    nudged = simulate_event_log(seed=4, n_users=3000, encouragement=1.0)
    assert plain.tables["users"].equals(nudged.tables["users"])

    def counts(sim: object, action: str | None) -> object:
        ev = sim.tables["events"].merge(sim.tables["users"][["user_id", "signup_at"]])  # type: ignore[attr-defined]
        early = ev[(ev["timestamp"] - ev["signup_at"]) < np.timedelta64(14, "D")]
        pick = early["event"] == action if action else ~early["event"].isin(
            ["add_friend", "app_open"])
        return early[pick].groupby(["user_id", "event"], observed=True).size()

    assert counts(plain, None).equals(counts(nudged, None))  # type: ignore[attr-defined]
    extra = counts(nudged, "add_friend").sub(counts(plain, "add_friend"), fill_value=0)  # type: ignore[attr-defined]
    assert (extra >= 0).all()
    main = nudged.tables["main"].set_index("user_id")
    base = plain.tables["main"].set_index("user_id")
    grew = extra[extra > 0].index.get_level_values("user_id")
    assert (main.loc[main.index.intersection(grew), "variant"] == "nudge").all()
    assert (base["variant"] == "control").all()
    control = main.index[main["variant"] == "control"]
    assert main.loc[control, ["reached", "retained"]].equals(
        base.loc[control, ["reached", "retained"]])
    assert (main["reached"] >= base.loc[main.index, "reached"]).all()
    assert main.loc[main["variant"] == "nudge", "reached"].mean() > \
        base.loc[main.index[main["variant"] == "nudge"], "reached"].mean() + 0.2


def test_event_log_truth_states_the_complier_effect() -> None:
    sim = simulate_event_log(seed=2, n_users=4000, encouragement=0.5)
    t = sim.truth
    same = encouragement_truth(encouragement=0.5, effect=1.5)
    assert t["cace"] == same["cace"]
    assert t["first_stage"] == same["first_stage"]
    assert t["itt"] == pytest.approx(t["cace"] * t["first_stage"])
    conf = simulate_event_log(seed=2, n_users=4000, encouragement=0.5, scenario="confounded")
    assert conf.truth["cace"] == 0.0
    assert conf.truth["itt"] == 0.0


@pytest.mark.parametrize(("bad", "words"), [
    ({"encouragement": 9}, "encouragement must be between 0 and 3"),
    ({"encouraged_share": 1.0}, "encouraged_share"),
    ({"received_window": 40}, "received_window"),
])
def test_bad_encouragement_parameters_are_spec_errors(bad: dict[str, float], words: str) -> None:
    with pytest.raises(causalkit.SpecError, match=words):
        simulate_event_log(seed=0, n_users=100, **bad)  # type: ignore[arg-type]


def test_ab_spec_with_received_runs_on_the_simulated_experiment() -> None:
    rep = causalkit.analyze({
        "name": "nudge", "kind": "ab", "unit": "user_id",
        "variants": {"control": 0.5, "nudge": 0.5},
        "metrics": [{"name": "retained", "type": "proportion", "column": "retained",
                     "received": "reached", "role": "primary", "direction": "increase"}],
        "data": {"simulate": "event_log", "seed": 3,
                 "params": {"n_users": 6000, "encouragement": 0.5, "scenario": "confounded",
                            "observed_days": 65}}})
    est = {e.metric: e for e in rep.estimates}
    first, cace = est["retained [first stage]"], est["retained [CACE]"]
    assert first.ci_low is not None
    assert first.ci_low > 0.05
    assert cace.role.value == "secondary"
    assert math.isfinite(cace.estimate)
    assert cace.ci_low is not None
    assert cace.ci_high is not None
    assert cace.ci_low < cace.ci_high


def test_observational_check_is_fooled_in_the_confounded_world() -> None:
    """The Aha check's adjusted estimate on the confounded log is far from the true 0 (its
    interval excludes 0), while the experiments' CACE covers 0 (the coverage test above)."""
    rep = causalkit.analyze(
        "name: x\nkind: aha\ndata: {simulate: event_log, seed: 7, params: {n_users: 6000, "
        "scenario: confounded}}\ncovariates: [age, ios, paid, referred]\nwindows: [7, 14]\n"
        "thresholds: [3]\nactions: {include: [add_friend]}\nheatmaps: 0\n"
        "check: {top: 1, simulations: 2, refuters: [placebo]}\n")
    main = next(e for e in rep.estimates if e.role.value == "primary")
    assert main.ci_low is not None
    assert main.ci_low > 0.1, main
