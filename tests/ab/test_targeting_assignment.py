"""Targeting in `assign`: ineligible units get no arm, widening a rule or growing a rollout share
moves nobody already enrolled, and the file path (DuckDB SQL) equals the in-memory path.

Independent check: the rollout bucket is recomputed with hashlib (`rollout_value`), the arm
with `variant_of`, and eligibility by evaluating the rule in plain Python.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from causalkit.ab.assignment import (
    HOLDOUT,
    assign,
    assign_file,
    rollout_value,
    share_buckets,
    variant_of,
)
from causalkit.spec.ab import ABSpec
from causalkit.spec.targeting import INELIGIBLE, NOT_ENROLLED, Targeting

WEIGHTS = {"control": 0.5, "treatment": 0.5}
N = 3_000
RNG = np.random.default_rng(7)
UNITS = pd.DataFrame({
    "user_id": np.arange(N),
    "country": RNG.choice(["KR", "JP", "US", "BR"], N),
    "days_since_signup": RNG.integers(0, 30, N),
})
ARMS = set(WEIGHTS)


def _run(targeting: Targeting | None, holdout: float = 0.0) -> np.ndarray:
    return assign(UNITS["user_id"].to_numpy(), WEIGHTS, salt="exp", holdout=holdout,
                  targeting=targeting, attributes=UNITS)


def test_rule_and_rollout_against_hashlib_and_plain_python():
    t = Targeting.model_validate({"rule": 'country in ["KR", "JP"] and days_since_signup >= 7',
                                  "rollout": {"by": "country",
                                              "shares": {"KR": 0.1, "JP": 0.5}}})
    got = _run(t)
    for i in range(0, N, 7):
        row = UNITS.iloc[i]
        ok = row.country in ("KR", "JP") and row.days_since_signup >= 7
        share = {"KR": 0.1, "JP": 0.5}.get(row.country, 0.0)
        enrolled = rollout_value(int(row.user_id), "exp") % 10_000 < share_buckets(share, 10_000)
        want = (INELIGIBLE if not ok else NOT_ENROLLED if not enrolled
                else variant_of(int(row.user_id), WEIGHTS, salt="exp"))
        assert got[i] == want, (i, row.to_dict())
    kr = (UNITS.country == "KR") & (UNITS.days_since_signup >= 7)
    share_kr = np.isin(got[kr.to_numpy()], list(ARMS)).mean()
    se = np.sqrt(0.1 * 0.9 / kr.sum())
    assert abs(share_kr - 0.1) < 4 * se


@settings(max_examples=40, deadline=None)
@given(narrow=st.sets(st.sampled_from(["KR", "JP", "US", "BR"]), min_size=1),
       extra=st.sets(st.sampled_from(["KR", "JP", "US", "BR"])),
       s1=st.floats(0, 1), grow=st.floats(0, 1), holdout=st.sampled_from([0.0, 0.1]))
def test_widening_a_rule_or_growing_a_share_moves_no_enrolled_unit(narrow, extra, s1, grow,
                                                                    holdout):
    s2 = s1 + (1 - s1) * grow
    countries = sorted(narrow)

    def targeting(cs, share):
        listed = ", ".join(f'"{c}"' for c in cs)
        return Targeting.model_validate({"rule": f"country in [{listed}]",
                                         "rollout": {"by": "country", "default": share,
                                                     "shares": {"KR": share}}})

    before = _run(targeting(countries, s1), holdout)
    after = _run(targeting(sorted(narrow | extra), s2), holdout)
    enrolled = np.isin(before, [*ARMS, HOLDOUT])
    assert (after[enrolled] == before[enrolled]).all()
    assert np.isin(after, [*ARMS, HOLDOUT]).sum() >= enrolled.sum()


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_the_file_path_equals_the_in_memory_path(tmp_path, fmt):
    spec = ABSpec(name="exp", kind="ab", unit="user_id", data={"simulate": "ab"},
                  targeting={"rule": 'country != "US" and days_since_signup >= 3',
                             "rollout": {"by": "country", "shares": {"KR": 0.3},
                                         "default": 0.8}},
                  metrics=[{"name": "m", "type": "mean", "column": "m", "role": "primary"}])
    src = tmp_path / f"units.{fmt}"
    if fmt == "csv":
        UNITS.to_csv(src, index=False)
    else:
        UNITS.to_parquet(src)
    out = tmp_path / "out.csv"
    assert assign_file(spec, src, out) == N
    written = pd.read_csv(out)
    assert written["variant"].tolist() == _run(spec.targeting).tolist()
    assert set(written["variant"]) == {*ARMS, INELIGIBLE, NOT_ENROLLED}


def test_a_rule_on_a_missing_or_mistyped_column_is_a_clean_error(tmp_path):
    from causalkit.errors import CausalkitError

    src = tmp_path / "units.csv"
    UNITS.to_csv(src, index=False)
    for rule, words in [('platform == "ios"', "no column 'platform'"),
                        ('days_since_signup >= "7"', "write 7 without quotes")]:
        spec = ABSpec(name="exp", kind="ab", unit="user_id", data={"simulate": "ab"},
                      targeting=rule,
                      metrics=[{"name": "m", "type": "mean", "column": "m", "role": "primary"}])
        with pytest.raises(CausalkitError, match=words):
            assign_file(spec, src, tmp_path / "out.csv")
        assert not (tmp_path / "out.csv").exists()
