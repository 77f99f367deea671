"""Every example design's HTML report in a real browser (headless Chromium), at 1280 and 390 px.

Asserted on each page: the headline is within the first screen; no console errors; with
every section opened, the page never scrolls sideways (wide tables and figures scroll
inside their own frames) and every text of every figure is at least 11 px as rendered
(glyph size times the figure's on-screen scale). Screenshots go to
``$CAUSALKIT_SCREENSHOTS`` (CI keeps them as artifacts). One browser session and one run
of each design serve the whole module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import set_viewport

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[2]
DESIGNS = sorted((ROOT / "designs").glob("*.yaml"))
WIDTHS = (1280, 390)
HEIGHT = 900
MIN_TEXT_PX = 11.0

MEASURE = """
const root = document.documentElement;
const head = document.getElementById('ck-headline');
const out = {inner: window.innerWidth, innerHeight: window.innerHeight,
             headTop: head ? head.getBoundingClientRect().top + window.scrollY : null,
             estimatesOpen: !!document.querySelector('details.ck-section[open] h2')};
document.querySelectorAll('details').forEach(d => { d.open = true; });
out.scrollWidth = root.scrollWidth;
out.pageHeight = root.scrollHeight;
const right = window.innerWidth + 0.5;
out.outside = [...document.querySelectorAll('.ck-report table, .ck-report figure, .ck-report p, '
                                              + '.ck-report li, .ck-report dl')]
  .filter(e => e.getBoundingClientRect().right > right)
  .map(e => e.tagName + ' ' + e.textContent.slice(0, 40));
out.texts = [];
for (const fig of document.querySelectorAll('.ck-report figure')) {
  const name = (fig.querySelector('figcaption') || {}).textContent || '?';
  for (const g of fig.querySelectorAll('svg g[id^="text_"] g[transform*="scale"]')) {
    const m = g.getScreenCTM();
    if (m) out.texts.push([name.slice(0, 50), Math.hypot(m.c, m.d) * 100]);
  }
}
out.figures = document.querySelectorAll('.ck-report figure svg').length;
return out;
"""


@pytest.fixture(scope="module")
def pages(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each design run once (seed 7) and written as an HTML report."""
    import causalkit
    from causalkit.report.render import render

    folder = tmp_path_factory.mktemp("reports")
    out = {}
    for spec in DESIGNS:
        path = folder / f"{spec.stem}.html"
        path.write_text(render(causalkit.analyze(spec, seed=7), "html"), encoding="utf-8")
        out[spec.stem] = path
    return out


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("design", [p.stem for p in DESIGNS])
def test_report_reads_well_in_a_browser(browser: Any, pages: dict[str, Path],
                                        screenshots: Path, design: str, width: int) -> None:
    driver = browser
    set_viewport(driver, width, HEIGHT)
    driver.get_log("browser")  # forget what earlier pages logged
    driver.get(pages[design].as_uri())
    driver.save_screenshot(str(screenshots / f"{design}-{width}.png"))
    m = driver.execute_script(MEASURE)

    errors = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
    assert not errors, errors
    assert m["inner"] == width
    assert m["headTop"] is not None, "the page has no headline"
    assert m["headTop"] < m["innerHeight"] / 2, f"headline starts at {m['headTop']} px"
    assert m["estimatesOpen"], "the Estimates section is not open by default"
    assert m["scrollWidth"] <= m["inner"], (
        f"the page scrolls sideways: {m['scrollWidth']} px wide in a {width} px window")
    assert not m["outside"], m["outside"]
    assert m["figures"] >= 1
    assert m["texts"], "no figure text found (the figures are not text-as-path SVG?)"
    small = [(fig, round(px, 1)) for fig, px in m["texts"] if px < MIN_TEXT_PX]
    assert not small, f"figure text under {MIN_TEXT_PX} px: {small[:10]}"
