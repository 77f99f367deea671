"""Regenerate docs/img/<design>.png: the first screens of each example design's HTML report.

Runs every design in designs/ (seed 7), renders its HTML report and photographs it in
headless Chromium (the system's ``chromium`` and ``chromium-driver`` packages, driven by
selenium) at 1280 px wide, and docs/img/<design>-figures.png: the report's figures opened,
from the first one on. The PNGs are quantized to 256 colours to stay small.

Usage (from the repository root):

    .venv/bin/python scripts/screenshots.py                 # every design -> docs/img/
    .venv/bin/python scripts/screenshots.py designs/ab_three_arms.yaml --height 1200
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
CHROMEDRIVER = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--force-device-scale-factor=1")


OPEN_FIGURES = """
const figs = [...document.querySelectorAll('details.ck-sub-section')].filter(
  d => d.querySelector('figure'));
if (!figs.length) return false;
figs.forEach(d => { d.open = true; });
figs[0].scrollIntoView();
return true;
"""
"""Opens every figure of the report and scrolls to the first (true when there is one)."""


def _first(paths: tuple[str, ...], name: str) -> str:
    for p in (*paths, shutil.which(name) or ""):
        if p and Path(p).exists():
            return p
    sys.exit(f"error: {name} not found; install the Debian packages chromium and chromium-driver")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("designs", nargs="*", type=Path,
                        help="design files (default: every designs/*.yaml)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=1400, help="pixels photographed")
    parser.add_argument("--no-figures", dest="figures", action="store_false",
                        help="skip the second picture (<design>-figures.png: the figures opened)")
    args = parser.parse_args(argv)

    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        sys.exit("error: selenium is not installed; pip install -e '.[test]'")
    from PIL import Image

    import causalkit
    from causalkit.report.render import render

    designs = args.designs or sorted((ROOT / "designs").glob("*.yaml"))
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="causalkit-shots-") as tmp:
        options = Options()
        options.binary_location = _first(CHROMIUM, "chromium")
        for flag in (*FLAGS, f"--user-data-dir={tmp}/profile"):
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service(_first(CHROMEDRIVER, "chromedriver")),
                                  options=options)
        try:
            driver.set_window_rect(width=args.width, height=args.height)
            inner = driver.execute_script("return [window.innerWidth, window.innerHeight]")
            driver.set_window_rect(width=2 * args.width - inner[0],
                                   height=2 * args.height - inner[1])
            for spec in designs:
                page = Path(tmp) / f"{spec.stem}.html"
                page.write_text(render(causalkit.analyze(spec, seed=7), "html"), encoding="utf-8")
                driver.get(page.as_uri())
                raw = Path(tmp) / f"{spec.stem}.png"
                driver.save_screenshot(str(raw))
                target = args.out / f"{spec.stem}.png"
                with Image.open(raw) as im:
                    im.convert("RGB").quantize(colors=256).save(target, optimize=True)
                shots = [target]
                (args.out / f"{spec.stem}-figures.png").unlink(missing_ok=True)  # none stale
                if args.figures and driver.execute_script(OPEN_FIGURES):
                    raw2 = Path(tmp) / f"{spec.stem}-figures.png"
                    driver.save_screenshot(str(raw2))
                    shots.append(args.out / f"{spec.stem}-figures.png")
                    with Image.open(raw2) as im:
                        im.convert("RGB").quantize(colors=256).save(shots[-1], optimize=True)
                for shot in shots:
                    name = shot.relative_to(ROOT) if shot.is_relative_to(ROOT) else shot
                    print(f"wrote {name} ({shot.stat().st_size // 1024} KB)")
        finally:
            driver.quit()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
