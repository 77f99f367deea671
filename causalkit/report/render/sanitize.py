"""Make SVG text safe to embed inline in an HTML report.

Figures in a report are SVG text made by causalkit's own plotting code, but a
report can also be read back from a JSON file someone else wrote. Before an
SVG goes inline it is parsed as XML and rebuilt with only what a static
picture needs: no ``<script>``, no ``<foreignObject>`` (which can hold HTML),
no animation elements, no ``on*`` event attributes, no ``javascript:`` or
external links (only ``#fragment`` links and ``data:image/png|jpeg|gif|webp``
survive), and no CSS that imports or fetches anything. Documents with a
DOCTYPE or entity declarations are refused outright (no entity expansion), and
so are documents beyond :data:`MAX_SVG_CHARS`, :data:`MAX_DEPTH` or
:data:`MAX_ELEMENTS` (a hostile report cannot exhaust the renderer); the HTML
renderer then shows a note instead of the figure.

Example:
    >>> sanitize_svg('<svg xmlns="http://www.w3.org/2000/svg" onload="x()">'
    ...              '<script>alert(1)</script><rect width="1" height="1"/></svg>')
    '<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1" /></svg>'
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from causalkit.errors import RenderError

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"

_DROP_ELEMENTS = frozenset({
    "script", "foreignobject", "iframe", "object", "embed", "handler", "listener",
    "set", "animate", "animatemotion", "animatetransform", "animatecolor", "discard",
    "audio", "video", "canvas", "link", "meta", "base", "metadata",
})
_LINK_ATTRS = frozenset({"href", "src", "action", "formaction", "from", "to", "values", "by"})
_SAFE_DATA = re.compile(r"^data:image/(png|jpeg|jpg|gif|webp)[;,]", re.IGNORECASE)
_BAD_CSS = re.compile(r"@import|expression\s*\(|javascript:|behavior\s*:|-moz-binding|"
                      r"url\s*\(\s*(?!['\"]?#)", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x20\x7f]+")

MAX_SVG_CHARS = 20_000_000
"""The largest SVG text embedded (characters)."""
MAX_DEPTH = 256
"""The deepest element nesting embedded (matplotlib's figures nest fewer than 20 deep)."""
MAX_ELEMENTS = 500_000
"""The most elements embedded in one figure."""


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1].rsplit(":", 1)[-1].lower()


def _ns(name: str) -> str:
    return name[1:].split("}", 1)[0] if name.startswith("{") else ""


def _safe_link(value: str) -> bool:
    v = _CONTROL.sub("", value)
    return v.startswith("#") or bool(_SAFE_DATA.match(v))


def _clean_one(elem: ET.Element) -> None:
    """Drop the unsafe children and attributes of one element (not recursive)."""
    for child in list(elem):
        if (not isinstance(child.tag, str) or _local(child.tag) in _DROP_ELEMENTS
                or _ns(child.tag) not in ("", SVG_NS)):
            tail = child.tail
            elem.remove(child)
            if tail and tail.strip():
                elem.text = (elem.text or "") + tail
            continue
        if _local(child.tag) == "style" and _BAD_CSS.search("".join(child.itertext())):
            elem.remove(child)
    for name in list(elem.attrib):
        local = _local(name)
        value = elem.attrib[name]
        if (local.startswith("on") or _ns(name) not in ("", XLINK_NS, XML_NS)
                or (local in _LINK_ATTRS and not _safe_link(value))
                or (local == "style" and _BAD_CSS.search(value))
                or _CONTROL.sub("", value).lower().startswith(("javascript:", "vbscript:"))):
            del elem.attrib[name]


def _check_shape(root: ET.Element) -> None:
    """Refuse trees deeper than :data:`MAX_DEPTH` or larger than :data:`MAX_ELEMENTS`
    (walked without recursion, so the walk itself cannot overflow)."""
    count = 0
    stack: list[tuple[ET.Element, int]] = [(root, 1)]
    while stack:
        elem, depth = stack.pop()
        count += 1
        if depth > MAX_DEPTH:
            raise RenderError(f"figure SVG nests deeper than {MAX_DEPTH} elements; "
                              "it is not embedded")
        if count > MAX_ELEMENTS:
            raise RenderError(f"figure SVG has more than {MAX_ELEMENTS} elements; "
                              "it is not embedded")
        stack.extend((child, depth + 1) for child in elem)


def _clean(root: ET.Element) -> None:
    stack = [root]
    while stack:
        elem = stack.pop()
        _clean_one(elem)
        stack.extend(elem)


def sanitize_svg(svg: str) -> str:
    """Parse ``svg`` and return it without scripts, event handlers or external links.

    Args:
        svg: SVG text (one ``<svg>`` root element; an XML prolog is allowed).

    Returns:
        The cleaned SVG, serialized with the SVG namespace as the default; elements
        in other namespaces are dropped.

    Raises:
        RenderError: when the text is not well-formed XML, declares a DOCTYPE or
            entities, its root is not ``<svg>``, or it is larger or deeper than
            the limits above.

    Example:
        >>> sanitize_svg('<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:x()">'
        ...              '<text>t</text></a></svg>')
        '<svg xmlns="http://www.w3.org/2000/svg"><a><text>t</text></a></svg>'
    """
    if not isinstance(svg, str):
        raise RenderError(f"figure SVG is {type(svg).__name__}, not text")
    if len(svg) > MAX_SVG_CHARS:
        raise RenderError(f"figure SVG has more than {MAX_SVG_CHARS} characters; "
                          "it is not embedded")
    if re.search(r"<!DOCTYPE|<!ENTITY", svg, re.IGNORECASE):
        raise RenderError("figure SVG declares a DOCTYPE or entities; it is not embedded")
    try:
        root = ET.fromstring(svg)
    except ET.ParseError as exc:
        raise RenderError(f"figure SVG is not well-formed XML: {exc}") from exc
    except RecursionError:
        raise RenderError("figure SVG nests too deeply; it is not embedded") from None
    if _local(root.tag) != "svg":
        raise RenderError(f"figure SVG has root <{_local(root.tag)}>, not <svg>")
    _check_shape(root)
    _clean(root)
    # plain tag names and a literal xmlns: what the HTML parser expects of inline SVG
    for el in root.iter():
        el.tag = el.tag.rsplit("}", 1)[-1]
    root.set("xmlns", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)  # the conventional prefix, not ns0:
    return ET.tostring(root, encoding="unicode", short_empty_elements=True)
