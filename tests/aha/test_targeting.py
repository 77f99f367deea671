"""Targeting in an Aha spec: the rule reads the users table and restricts the cohort.

A search with ``targeting:`` must equal the search on the users the rule selects and
their events, both filtered independently in pandas; the data end stays the whole log's.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd
import pytest

from causalkit.aha.analysis import AhaResult, discover
from causalkit.data import Source
from causalkit.errors import SpecError
from causalkit.simulate.event_log import simulate_event_log
from causalkit.spec.aha import AhaSpec

RULE = "ios == 1 and age >= 25"


@pytest.fixture(scope="module")
def tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    sim = simulate_event_log(seed=4, n_users=3_000)
    return sim.tables["events"], sim.tables["users"]


def _spec(**extra: Any) -> AhaSpec:
    return AhaSpec.model_validate({
        "name": "aha", "kind": "aha", "data": {"simulate": "event_log"}, "windows": [3, 7],
        "thresholds": [1, 3], "actions": {"include": ["add_friend", "like_post", "share_link"]},
        "check": {"top": 1, "simulations": 2, "refuters": []}, "heatmaps": 0, **extra})


@pytest.fixture(scope="module")
def pair(tables: tuple[pd.DataFrame, pd.DataFrame]) -> tuple[AhaResult, AhaResult, int]:
    events, users = tables
    keep = (users["ios"] == 1) & (users["age"] >= 25)
    out_ids = set(users.loc[~keep, "user_id"])
    end = events["timestamp"].max().to_pydatetime()  # the data end of the whole log
    targeted = discover(_spec(targeting=RULE), Source.from_frame(events),
                        Source.from_frame(users), seed=1)
    plain = discover(_spec(observed_until=end),
                     Source.from_frame(events[~events["user_id"].isin(out_ids)]
                                       .reset_index(drop=True)),
                     Source.from_frame(users[keep].reset_index(drop=True)), seed=1)
    return targeted, plain, int((~keep).sum())


def test_search_equals_the_prefiltered_search(pair: tuple[AhaResult, AhaResult, int]) -> None:
    targeted, plain, _ = pair
    # the same users and events (none of a left-out user reaches the orphan-events count)
    assert dataclasses.replace(targeted.summary, observed_until_given=True,
                               observed_until=plain.summary.observed_until) == plain.summary
    assert targeted.summary.events_unknown_user == 0
    assert targeted.summary.observed_until == pytest.approx(plain.summary.observed_until,
                                                           abs=1e-6)
    assert (targeted.n_discovery, targeted.n_holdout) == (plain.n_discovery, plain.n_holdout)
    a, b = targeted.to_frame(), plain.to_frame()
    pd.testing.assert_frame_equal(a, b, rtol=1e-12, atol=1e-12)
    assert targeted.winner == plain.winner
    assert targeted.winner is not None
    assert len(targeted.causal) == len(plain.causal) == 1
    ca, cb = targeted.causal[0], plain.causal[0]
    assert ca.effect == pytest.approx(cb.effect, rel=1e-12, abs=1e-12)
    assert (ca.ci_low, ca.ci_high) == pytest.approx((cb.ci_low, cb.ci_high), rel=1e-12)


def test_targeting_check_counts_the_users_left_out(
        pair: tuple[AhaResult, AhaResult, int]) -> None:
    targeted, plain, excluded = pair
    check = next(c for c in targeted.notes if c.name == "targeting")
    assert check.status.value == "pass"
    assert check.value == excluded
    assert f"leaves out {excluded:,} of 3,000 users" in check.detail
    assert targeted.population is not None
    assert plain.population is None
    assert 0 < excluded < 3_000
    assert targeted.summary.eligible_users < 3_000 - excluded + 1


def test_the_data_end_is_the_whole_logs(tables: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    events, users = tables
    # target a cohort whose events end early: the data are still observed to the log's end
    first = users.nsmallest(50, "signup_at")["user_id"].tolist()
    res = discover(_spec(targeting=f"user_id in [{', '.join(map(str, first))}]",
                         check={"enabled": False}, holdout=0.0),
                   Source.from_frame(events), Source.from_frame(users))
    last = events["timestamp"].max().timestamp()
    assert res.summary.observed_until == pytest.approx(last, abs=1e-6)
    assert not res.summary.observed_until_given
    assert res.summary.eligible_users == 50


@pytest.mark.parametrize(("rule", "words"), [
    ('country == "KR"', "the users table (<users>) has no column 'country'"),
    ('ios == "yes"', "column 'ios' of the users table (<users>) holds numbers"),
])
def test_bad_rule_column_is_a_clean_error(tables: tuple[pd.DataFrame, pd.DataFrame],
                                          rule: str, words: str) -> None:
    events, users = tables
    with pytest.raises(SpecError) as info:
        discover(_spec(targeting=rule), Source.from_frame(events.head(100), name="<events>"),
                 Source.from_frame(users.head(100), name="<users>"))
    assert str(info.value).startswith("targeting: ")
    assert words in str(info.value)


def test_rollout_is_refused() -> None:
    with pytest.raises(ValueError, match="not randomized by causalkit"):
        _spec(targeting={"rule": "ios == 1", "rollout": {"by": "paid", "shares": {"1": 0.5}}})
