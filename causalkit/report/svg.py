"""Matplotlib figures as self-contained SVG text (for :class:`~causalkit.report.Figure`).

matplotlib is imported lazily, with the non-interactive Agg backend, so the CLI
starts fast and nothing needs a screen.

Example:
    >>> fig, ax = new_figure(4, 3)
    >>> _ = ax.plot([0, 1], [0, 1])
    >>> figure_to_svg(fig).lstrip().startswith("<svg")
    True
"""

from __future__ import annotations

import io
import re
from typing import Any


def new_figure(width: float = 6.0, height: float = 4.0) -> tuple[Any, Any]:
    """A new (figure, axes) pair on the Agg backend, not registered with pyplot.

    Example:
        >>> fig, ax = new_figure(3, 2)
        >>> [round(v) for v in fig.get_size_inches()]
        [3, 2]
    """
    from matplotlib.figure import Figure as MplFigure

    fig = MplFigure(figsize=(width, height), layout="constrained")
    ax = fig.add_subplot(1, 1, 1)
    return fig, ax


def figure_to_svg(fig: Any) -> str:
    """Render a matplotlib figure to SVG text without the XML prolog or DOCTYPE.

    Text stays as glyph paths, so the SVG needs no fonts and holds no script.

    Example:
        >>> fig, ax = new_figure(2, 2)
        >>> _ = ax.set_title("hello")
        >>> svg = figure_to_svg(fig)
        >>> svg.startswith("<svg"), "<script" in svg
        (True, False)
    """
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": "causalkit"}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    text = re.sub(r"^<\?xml[^>]*>\s*", "", text)
    text = re.sub(r"^<!DOCTYPE[^>]*>\s*", "", text, flags=re.DOTALL)
    return text


_SCALE = re.compile(r"scale\(\s*([-+0-9.eE]+)(?:[\s,]+([-+0-9.eE]+))?\s*\)")
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
GLYPH_UNITS = 100.0
"""matplotlib draws text-as-path glyphs at 100 units per em (``scale(size/100 -size/100)``)."""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def text_sizes(svg: str) -> list[float]:
    """The font size of every text in a matplotlib SVG, in the SVG's user units (its viewBox).

    matplotlib writes each text (with ``svg.fonttype: path``) as a ``<g id="text_N">``
    whose glyph group is scaled by ``size / 100``; this reads those scales back.

    Example:
        >>> fig, ax = new_figure(3, 2)
        >>> _ = ax.set_title("hello", fontsize=12)
        >>> 12.0 in [round(s, 3) for s in text_sizes(figure_to_svg(fig))]
        True
    """
    import xml.etree.ElementTree as ET

    sizes: list[float] = []
    root = ET.fromstring(svg)
    for g in root.iter():
        if _local(g.tag) != "g" or not g.get("id", "").startswith("text_"):
            continue
        for inner in g.iter():
            m = _SCALE.search(inner.get("transform", "")) if _local(inner.tag) == "g" else None
            if m:
                y = float(m.group(2)) if m.group(2) is not None else float(m.group(1))
                sizes.append(abs(y) * GLYPH_UNITS)
    return sizes


def view_box_width(svg: str) -> float | None:
    """The width of the SVG's viewBox (its user units), or None when it has none.

    Example:
        >>> view_box_width('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 504 360"/>')
        504.0
    """
    m = re.search(r"<svg\b[^>]*?\bviewBox\s*=\s*[\"']([^\"']*)[\"']", svg)
    if not m:
        return None
    nums = _NUMBER.findall(m.group(1))
    return float(nums[2]) if len(nums) == 4 and float(nums[2]) > 0 else None


def readable_width(svg: str, min_px: float = 11.0) -> float | None:
    """The narrowest width (CSS pixels) at which the SVG's smallest text is ``min_px`` tall.

    Shown narrower than this (scaled to a phone's column), some text would be
    smaller than ``min_px``: the HTML report gives each figure this minimum width
    and lets it scroll inside its own frame instead. None when the SVG has no
    text-as-path or no viewBox.

    Example:
        >>> fig, ax = new_figure(6, 2)   # 6 in = 432 user units
        >>> _ = ax.set_title("t", fontsize=11)
        >>> _ = ax.set_xticks([0, 1], ["a", "b"], fontsize=9)
        >>> round(readable_width(figure_to_svg(fig), 12.0))  # 432 * 12 / 9
        576
    """
    width = view_box_width(svg)
    try:
        sizes = [s for s in text_sizes(svg) if s > 0]
    except Exception:  # not XML matplotlib wrote: no minimum
        return None
    if width is None or not sizes:
        return None
    return width * min_px / min(sizes)


_UNITS_PX = {"": 1.0, "px": 1.0, "pt": 4.0 / 3.0, "in": 96.0, "cm": 96.0 / 2.54, "mm": 9.6 / 2.54}


def natural_width(svg: str) -> float | None:
    """The SVG's own width in CSS pixels (its ``width`` attribute; matplotlib writes points),
    or the viewBox width when it has none, or None.

    Example:
        >>> natural_width('<svg xmlns="http://www.w3.org/2000/svg" width="504pt" height="1pt"/>')
        672.0
    """
    m = re.search(r"<svg\b[^>]*?\swidth\s*=\s*[\"']\s*([0-9.]+)\s*([a-z]*)\s*[\"']", svg)
    if m and m.group(2) in _UNITS_PX:
        try:
            value = float(m.group(1)) * _UNITS_PX[m.group(2)]
        except ValueError:
            value = 0.0
        if value > 0:
            return value
    return view_box_width(svg)


def _luminance(color: Any) -> float:
    from matplotlib.colors import to_rgb

    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(c) for c in to_rgb(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(foreground: Any, background: Any) -> float:
    """The WCAG 2 contrast ratio of two colours (1 to 21; 4.5 is the minimum for text).

    Example:
        >>> round(contrast_ratio("black", "white"), 1), round(contrast_ratio("#777", "#777"), 1)
        (21.0, 1.0)
    """
    a, b = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def text_color_on(background: Any) -> str:
    """Black or white, whichever contrasts more with ``background`` (for labels on cells).

    Example:
        >>> text_color_on("#67001f"), text_color_on("#f7f7f7")
        ('white', 'black')
    """
    return "white" if contrast_ratio("white", background) > contrast_ratio("black",
                                                                           background) else "black"
