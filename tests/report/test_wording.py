"""Wording (issue 14, item 8): verdicts that read right when wrapped, the non-inferiority
p-value of guardrails (and its equivalence with the interval), counts that name their unit."""

from __future__ import annotations

import math
import re

from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats

from causalkit.report import Estimate, Experiment, Report
from causalkit.report.assessment import WORDS, Assessment, noninferiority_p
from causalkit.report.render._format import (
    P_MARK,
    P_NONINFERIORITY,
    fmt_assessment,
    fmt_n,
    fmt_n_short,
    fmt_p_for,
    n_label,
    p_column,
)
from causalkit.spec.common import Direction
from causalkit.stats.sequential import msprt

# -- verdicts that cannot be misread when wrapped ------------------------------------------


def _norm(text: str) -> str:
    return re.sub(r"[^\w\- ]", "", text).strip().lower()


READS = {_norm(w): a for a, w in WORDS.items()} | {"inferior": Assessment.INFERIOR}
"""What a line reads as, alone: the words of a verdict (and the bare adjective 'inferior')."""

IMPLIED = {Assessment.WORSE_WITHIN_MARGIN: {Assessment.WORSE},
           Assessment.INFERIOR: {Assessment.WORSE},
           Assessment.BETTER_BELOW_THRESHOLD: {Assessment.BETTER}}
"""A line may read as another verdict only when the whole verdict implies it."""


def _lines(words: str) -> list[str]:
    """Every line a wrap at spaces can make: each prefix and each suffix of the tokens."""
    tokens = words.split(" ")
    return [" ".join(tokens[:i]) for i in range(1, len(tokens))] + [
        " ".join(tokens[i:]) for i in range(1, len(tokens))]


def test_no_wrapped_line_of_a_verdict_reads_as_another_verdict():
    for a in Assessment:
        for margin in (None, 0.002):
            e = Estimate(metric="m", arm="t", reference="c", method="z", estimate=0.0,
                         assessment=a, margin=margin, direction="increase",
                         practical_threshold=0.5)
            for line in _lines(fmt_assessment(e)):
                seen = READS.get(_norm(line))
                assert seen is None or seen == a or seen in IMPLIED.get(a, set()), (a, line)


def test_the_old_misreadable_words_are_gone():
    words = set(WORDS.values())
    assert "not shown non-inferior" not in words
    assert "not significant" not in words  # wraps to "not / significant"
    assert WORDS[Assessment.NOT_SHOWN_NON_INFERIOR] == "non-inferiority not shown"
    assert Assessment.NOT_SIGNIFICANT.value == "not_significant"  # the JSON contract stays


# -- the non-inferiority p-value ------------------------------------------------------------

finite = st.floats(-10, 10, allow_nan=False)
positive = st.floats(1e-3, 10, allow_nan=False)
levels = st.floats(1e-4, 0.5)


def _good(estimate: float, direction: Direction) -> float:
    return estimate if direction is Direction.INCREASE else -estimate


@settings(max_examples=300, deadline=None)
@given(est=finite, se=positive, margin=st.floats(0, 5), a=levels,
       direction=st.sampled_from(list(Direction)),
       df=st.one_of(st.none(), st.floats(1, 500)))
def test_p_below_alpha_exactly_when_the_interval_excludes_the_margin(est, se, margin, a,
                                                                      direction, df):
    """The interval of the same family (normal, or t with df) at level 1 - a has its harmful
    end inside the margin exactly when the non-inferiority p-value is below a."""
    p = noninferiority_p(estimate=est, se=se, margin=margin, direction=direction, df=df)
    assert p is not None
    assert 0 <= p <= 1
    q = stats.norm.isf(a / 2) if df is None else stats.t.isf(a / 2, df)
    g_low = _good(est, direction) - q * se
    assume(abs(g_low + margin) > 1e-9 * max(1.0, abs(margin), q * se))  # not on the edge
    assert (p < a) == (g_low > -margin)


@settings(max_examples=200, deadline=None)
@given(est=finite, se=positive, margin=st.floats(0, 5), a=levels,
       direction=st.sampled_from(list(Direction)), ratio=st.floats(0.01, 100))
def test_always_valid_p_matches_the_confidence_sequence(est, se, margin, a, direction, ratio):
    tau2 = ratio * se * se
    p = noninferiority_p(estimate=est, se=se, margin=margin, direction=direction, tau2=tau2)
    assert p is not None
    assert 0 <= p <= 1
    g = _good(est, direction)
    cs = msprt(g, se * se, tau2, a)
    g_low = float(cs.ci_low)
    assume(abs(g_low + margin) > 1e-7 * max(1.0, abs(margin), se))
    assert (p < a) == (g_low > -margin)


def test_p_against_an_independent_computation():
    # decrease: g = -0.001; t = (g + 0.004) / 0.0015 = 2; two-sided-equivalent p = 2 P(Z > 2)
    p = noninferiority_p(estimate=0.001, se=0.0015, margin=0.004, direction=Direction.DECREASE)
    assert math.isclose(p, 2 * stats.norm.sf(2.0), rel_tol=1e-12)
    p = noninferiority_p(estimate=0.001, se=0.0015, margin=0.004, direction=Direction.DECREASE,
                         df=7)
    assert math.isclose(p, 2 * stats.t.sf(2.0, 7), rel_tol=1e-12)
    assert noninferiority_p(estimate=-1.0, se=0.1, margin=0.5,
                            direction=Direction.INCREASE) == 1.0
    for bad in ({"se": None}, {"se": 0.0}, {"se": math.nan}, {"margin": None},
                {"direction": None}, {"estimate": math.inf}):
        args = {"estimate": 0.1, "se": 0.1, "margin": 0.5, "direction": Direction.INCREASE} | bad
        assert noninferiority_p(**args) is None  # type: ignore[arg-type]


GUARD = {"metric": "refund_rate", "arm": "treatment", "reference": "control", "method": "z",
             "role": "guardrail", "direction": "decrease", "margin": 0.004}


def test_the_estimate_carries_it_and_json_keeps_it():
    e = Estimate(estimate=0.001, ci_low=-0.0019, ci_high=0.0039, se=0.0015, p_value=0.5,
                 extra={"df": 7.0}, **GUARD)
    assert math.isclose(e.p_noninferiority, 2 * stats.t.sf(2.0, 7))
    assert e.to_dict()["p_noninferiority"] == e.p_noninferiority
    back = Estimate.from_dict(e.to_dict())
    assert back == e
    old = {k: v for k, v in e.to_dict().items() if k != "p_noninferiority"}
    assert Estimate.from_dict(old).p_noninferiority == e.p_noninferiority  # older reports
    given_p = Estimate(estimate=0.001, se=0.0015, p_noninferiority=0.01, **GUARD)
    assert given_p.p_noninferiority == 0.01  # a shape that knows its family sets it
    assert Estimate(metric="m", arm="t", reference="c", method="z", estimate=1.0,
                    se=0.1).p_noninferiority is None


def test_guardrails_show_the_noninferiority_p():
    g = Estimate(estimate=0.001, ci_low=-0.0019, ci_high=0.0039, se=0.0015, p_value=0.51,
                 **GUARD)
    m = Estimate(metric="m", arm="treatment", reference="control", method="welch",
                 estimate=0.4, ci_low=0.1, ci_high=0.7, p_value=0.0202, role="primary",
                 direction="increase")
    assert fmt_p_for(g) == "0.0455"
    assert fmt_p_for(m) == "0.0202"
    assert p_column([g]) == (P_NONINFERIORITY, False, None)
    label, mark, note = p_column([m, g])
    assert (label, mark) == ("p-value", True)
    assert note
    assert note.startswith(P_MARK)
    assert fmt_p_for(g, mark=True) == "0.0455" + P_MARK
    # a primary metric with a margin is still read for superiority
    primary = Estimate(**{**GUARD, "role": "primary"}, estimate=0.001, se=0.0015, p_value=0.51)
    assert fmt_p_for(primary) == "0.51"


def test_md_table_heads_the_guardrail_column_and_marks_mixed():
    from causalkit.report.render import render

    g = Estimate(estimate=0.001, ci_low=-0.0019, ci_high=0.0039, se=0.0015, p_value=0.51,
                 **GUARD)
    only = render(Report(experiment=Experiment(name="x", kind="ab"), estimates=(g,)), "md")
    head = next(ln for ln in only.splitlines() if ln.startswith("| estimate"))
    assert "| p (non-inf.) |" in head
    assert "| 0.0455 |" in only
    m = Estimate(metric="m", arm="treatment", reference="control", method="welch",
                 estimate=0.4, ci_low=0.1, ci_high=0.7, p_value=0.0202)
    both = render(Report(experiment=Experiment(name="x", kind="ab"), estimates=(m, g)), "md")
    assert "| 0.0455† |" in both
    assert "| 0.0202 |" in both
    assert "_† guardrail with a margin: the non-inferiority p-value" in both


# -- units named -----------------------------------------------------------------------------


def test_every_count_names_its_unit():
    e = Estimate(metric="m", arm="treatment", reference="control", method="hajek",
                 estimate=1.0, n=144, n_reference=138, n_unit="region-periods")
    assert fmt_n(e) == "control 138 region-periods · treatment 144 region-periods"
    assert fmt_n(e, sep="\n").splitlines() == ["control 138 region-periods",
                                              "treatment 144 region-periods"]
    assert fmt_n_short(e) == "144 / 138 region-periods"
    assert n_label([e]) == "n (region-periods)"
    generic = Estimate(metric="m", arm="b", reference="a", method="z", estimate=1.0, n=5,
                       n_reference=6)
    assert fmt_n(generic) == "a 6 units · b 5 units"
    assert n_label([e, generic]) == "n"
    for line in fmt_n(e, sep="\n").splitlines():  # no bare count on any line
        assert re.search(r"\d [a-z]", line)
