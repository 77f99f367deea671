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
