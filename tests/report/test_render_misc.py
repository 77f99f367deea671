"""The render dispatcher, number formatting, plots, to_frame and import cost."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from causalkit.errors import RenderError
from causalkit.report import Estimate, Experiment, Report
from causalkit.report.render import FORMATS, render
from causalkit.report.render._format import fmt_num, fmt_p


def test_unknown_format_raises_render_error(report):
    for fmt in ("pdf", "", "HTML", "markdown", "xml"):
        with pytest.raises(RenderError, match="unknown report format"):
            render(report, fmt)


def test_non_report_raises_render_error():
    with pytest.raises(RenderError, match="needs a causalkit Report"):
        render({"schema_version": 2}, "json")  # type: ignore[arg-type]


def test_every_format_renders_and_ends_with_newline(report):
    for fmt in FORMATS:
        out = render(report, fmt)
        assert out.endswith("\n"), fmt
        assert not out.endswith("\n\n"), fmt


def test_json_format_is_the_contract(report):
    out = render(report, "json")
    assert out == report.to_json() + "\n"

    def no_constants(name: str) -> float:
        raise AssertionError(f"bare {name} in JSON")

    data = json.loads(out, parse_constant=no_constants)
    assert data["schema_version"] == 2
    assert data["estimates"][5]["estimate"] == "NaN"
    assert data["estimates"][3]["assessment"] == "worse_within_margin"
    assert data["estimates"][0]["contrast"] == "treatment - control"
    assert data["decision_basis"]["sequential"] == "msprt"
    assert Report.from_json(out).to_json() == report.to_json()


def test_json_of_unserializable_extra_is_a_render_error():
    rep = Report(experiment=Experiment(name="x", kind="ab"),
                 estimates=(Estimate(metric="m", arm="t", reference="c", method="w",
                                     estimate=1.0, extra={"k": np.int64(3)}),))  # type: ignore[dict-item]
    with pytest.raises(RenderError, match="cannot be written as JSON"):
        render(rep, "json")


@pytest.mark.parametrize(
    ("p", "text"),
    [(0.0202, "0.0202"), (3.1e-20, "3.1e-20"), (0.43, "0.43"), (1.0, "1"), (0.05, "0.05"),
     (0.00012, "0.00012"), (9.5e-5, "9.5e-5"), (0.0, "<1e-300"), (5e-324, "<1e-300"), (1e-300, "1e-300"),
     (None, "—"), (math.nan, "NaN")],
)
def test_p_values(p, text):
    assert fmt_p(p) == text


def test_p_values_are_never_zero_and_stay_close():
    ps = np.concatenate([np.logspace(-320, 0, 2000), np.linspace(0, 1, 1001)])
    for p in ps:
        s = fmt_p(float(p))
        assert s not in ("0", "0.0", "0.00", "0e0")
        if s.startswith("<"):
            assert p < 1e-300
        else:
            assert math.isclose(float(s), p, rel_tol=0.06 if p < 1e-4 else 0.006), (p, s)


def test_numbers_keep_four_significant_digits():
    rng = np.random.default_rng(3)
    xs = rng.standard_normal(3000) * 10.0 ** rng.integers(-12, 12, 3000)
    for x in xs:
        s = fmt_num(float(x))
        assert math.isclose(float(s), x, rel_tol=6e-4), (x, s)
    assert fmt_num(None) == "—"
    assert fmt_num(math.inf) == "∞"
    assert fmt_num(-0.0) == "0"


def _est(metric: str, **kw: object) -> Estimate:
    return Estimate(metric=metric, arm="t", reference="c", method="w", **kw)  # type: ignore[arg-type]


def test_forest_plot_rows_scales_and_missing_intervals(report):
    from causalkit.report.plots import forest_plot
    from causalkit.report.svg import figure_to_svg

    odd = (
        _est("$x^{", estimate=1.0),  # bad mathtext
        _est("a", estimate=1.0, ci_low=-math.inf, ci_high=math.inf, relative=None),
        _est("b", estimate=math.nan, ci_low=math.nan, ci_high=2.0),
        _est("c", estimate=0.0, ci_low=None, ci_high=1.0, role="guardrail",
             direction="increase", margin=0.5, decision_ci_low=-math.inf, decision_ci_high=3.0),
    )
    # no decision interval differs and every estimate has a relative effect: one relative axis
    plain = (replace(report.estimates[0], decision_ci_low=None, decision_ci_high=None,
                     interval_kind="fixed", assessment=None), report.estimates[1])
    for ests, scale, panels in ((report.estimates, "absolute", 6), (plain, "auto", 1),
                                (report.estimates, "auto", 6), (odd, "auto", 4),
                                (odd, "relative", 1)):
        fig = forest_plot(ests, scale=scale, title="t$")
        assert len(fig.axes) == panels, (scale, len(fig.axes))
        if ests is plain:
            assert fig.axes[0].get_xlabel().startswith("relative")
        rows = sum(len(ax.get_yticks()) for ax in fig.axes)
        assert rows == len(ests)
        assert figure_to_svg(fig).lstrip().startswith("<svg")
    empty = forest_plot(())
    assert "no estimates" in [t.get_text() for t in empty.axes[0].texts]
    labels = [t.get_text() for t in forest_plot(report.estimates[:5], scale="relative").axes[0]
              .get_yticklabels()]
    assert labels == [e.label for e in report.estimates[:5]]
    fig = forest_plot(report.estimates, scale="absolute")
    assert [ax.get_title(loc="left") for ax in fig.axes] == [e.metric for e in report.estimates]
    assert [t.get_text() for ax in fig.axes for t in ax.get_yticklabels()] == [
        f"treatment - control ({e.method})" for e in report.estimates]
    with pytest.raises(RenderError, match="scale"):
        forest_plot(report.estimates, scale="log")  # type: ignore[arg-type]


def test_forest_plot_colours_follow_the_assessment(report):
    from matplotlib.colors import to_hex

    from causalkit.report.plots import forest_plot

    fig = forest_plot(report.estimates, scale="absolute")
    colours = {}
    for ax in fig.axes:
        lines = [ln for ln in ax.get_lines() if ln.get_marker() in ("o", "D")]
        if not lines:  # revenue: not estimable
            continue
        (point,) = lines
        colours[ax.get_title(loc="left")] = (to_hex(point.get_markeredgecolor()),
                                             point.get_marker(),
                                             point.get_markerfacecolor() != "white")
    assert colours["chat_minutes"] == ("#1a7f37", "o", True)      # better, filled
    assert colours["report_rate"] == ("#cf222e", "D", True)       # inferior: red
    assert colours["session_length"] == ("#bf8700", "D", True)    # worse within margin: amber
    assert colours["refund_rate"] == ("#1a7f37", "D", False)      # non-inferior, covers 0
    assert colours["matches_per_session"] == ("#24292f", "o", False)
    # the margin tick and the decision interval are drawn (absolute panels)
    rr = next(ax for ax in fig.axes if ax.get_title(loc="left") == "report_rate")
    assert "margin" in [t.get_text() for t in rr.texts]
    xs = {round(x, 6) for ln in rr.get_lines() for x in ln.get_xdata()}
    assert {0.0022, 0.0058} <= xs
    assert round(rr.get_xlim()[1], 6) > 0.0058


def test_forest_plot_axis_covers_zero_and_every_finite_bound(report):
    from causalkit.report.plots import forest_plot

    ests = report.estimates[:3]
    ax = forest_plot(ests, scale="relative").axes[0]
    lo, hi = ax.get_xlim()
    bounds = [v for e in ests for v in (e.relative_ci_low, e.relative_ci_high) if v is not None]
    assert lo < min([0.0, *bounds])
    assert hi > max([0.0, *bounds])


def test_confidence_sequence_plot():
    from causalkit.report.plots import confidence_sequence_plot

    t = np.arange("2026-12-01", "2026-12-15", dtype="datetime64[D]")
    n = np.arange(1, 15)
    lows = 0.3 - 3 / np.sqrt(n)
    lows[0] = -np.inf
    fig = confidence_sequence_plot(t, 0.3 + 0.5 / n, lows, 0.3 + 3 / np.sqrt(n), "chat $ minutes")
    ax = fig.axes[0]
    assert ax.get_title() == r"chat \$ minutes"
    assert np.all(np.isfinite(ax.get_ylim()))
    with pytest.raises(RenderError, match="same length"):
        confidence_sequence_plot([1, 2], [1.0], [0.0], [2.0], "x")


def test_to_frame(report):
    df = report.to_frame()
    assert len(df) == len(report.estimates)
    assert list(df["metric"]) == [e.metric for e in report.estimates]
    assert {"arm", "reference", "n", "n_reference", "ci_low", "p_value", "role", "assessment",
            "decision_ci_low", "interval_kind"} <= set(df.columns)
    assert df["n_reference"].tolist() == [50112] * 6
    assert df["assessment"].tolist()[:4] == ["better", "not_significant", "inferior",
                                             "worse_within_margin"]
    assert math.isnan(df.loc[5, "estimate"])
    assert df.loc[5, "ci_low"] is None or math.isnan(df.loc[5, "ci_low"])
    assert df.loc[0, "relative_ci_high"] == pytest.approx(0.058)
    empty = Report(experiment=Experiment(name="x", kind="ab")).to_frame()
    assert len(empty) == 0
    assert "estimate" in empty.columns


def test_importing_the_report_layer_is_light():
    code = ("import sys, causalkit.report, causalkit.report.render, causalkit.report.plots, "
            "causalkit.report.render.html, causalkit.report.render.junit, "
            "causalkit.report.render.markdown, causalkit.report.render.text\n"
            "heavy = [m for m in ('rich', 'matplotlib', 'pandas', 'scipy') if m in sys.modules]\n"
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
