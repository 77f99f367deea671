"""Text for terminals and CI logs: control characters shown, newlines folded, CI commands inert.

Every user string causalkit prints to a terminal or a CI log (the CLI's
``error:`` lines, ``validate``'s lines, the gate's console lines and GitHub
annotations, the text report) goes through :func:`visible` at the printing
boundary:

* control characters (C0 including tab, CR and LF, DEL, C1), Unicode line and
  paragraph separators, bidirectional overrides and isolates, and lone
  surrogates are shown as escapes (``\\x1b``, ``\\n``, ``\\u202e``), so text can
  neither drive the terminal (colours, OSC titles, hyperlinks, cursor moves) nor
  start a new log line;
* CI workflow commands are neutralized: GitHub Actions reads a line whose first
  non-blank characters are ``::`` as a command (``::error``, ``::add-mask::``,
  ``::stop-commands::``) and ``##[`` anywhere in a line as a legacy one, on
  standard output and standard error alike. Every ``::`` becomes ``:\\x3a`` and
  every ``##[`` becomes ``##\\x5b``, so no user text can form either.

Markdown and HTML keep their own escaping (they use :data:`UNSAFE` for the same
characters); JSON output escapes the same characters as JSON ``\\u`` escapes, so
its values are unchanged (:func:`json_safe`).

Example:
    >>> visible("rate\\n::error::pwned\\x1b]0;title\\x07")
    'rate\\\\n:\\\\x3aerror:\\\\x3apwned\\\\x1b]0;title\\\\x07'
"""

from __future__ import annotations

import re

UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e"
                    "\u2066-\u2069\ud800-\udfff]")
"""Characters that are never printed as they are (see the module docstring)."""

_COMMAND = re.compile(r"::|##\[")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e"
                          "\u2066-\u2069\ud800-\udfff]|::|##\\[")


def escape_char(ch: str) -> str:
    """The visible form of one unsafe character: ``\\n``, ``\\x1b``, ``\\u202e``.

    Example:
        >>> escape_char("\\x1b"), escape_char("\\n"), escape_char("\\u2028")
        ('\\\\x1b', '\\\\n', '\\\\u2028')
    """
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def neutralize(text: str) -> str:
    """Make CI workflow commands inert: ``::`` becomes ``:\\x3a``, ``##[`` becomes ``##\\x5b``.

    Example:
        >>> neutralize("::add-mask::x ##[error]y")
        ':\\\\x3aadd-mask:\\\\x3ax ##\\\\x5berror]y'
    """
    return _COMMAND.sub(lambda m: ":\\x3a" if m.group() == "::" else "##\\x5b", text)


def visible(text: object) -> str:
    """``text`` as one safe line for a terminal or a CI log (see the module docstring).

    Example:
        >>> visible("chat\\tminutes\\r\\n##[warning]x"), visible(3)
        ('chat\\\\tminutes\\\\r\\\\n##\\\\x5bwarning]x', '3')
    """
    return neutralize(UNSAFE.sub(lambda m: escape_char(m.group()), str(text)))


def safe_lines(text: str) -> str:
    """A rendered block (whose line breaks are its own) with every CI command neutralized.

    Use it on output assembled from strings already passed through :func:`visible`,
    as a last guard: wrapping can bring text that ends in ``:`` next to a ``:``.

    Example:
        >>> safe_lines("a\\n  ::error::x\\n")
        'a\\n  :\\\\x3aerror:\\\\x3ax\\n'
    """
    return neutralize(text)


def json_safe(text: str) -> str:
    """Serialized JSON with the unsafe characters and CI commands as ``\\u`` escapes.

    JSON escapes C0 control characters itself; this escapes the rest of
    :data:`UNSAFE` and the ``:`` of ``::`` and the ``[`` of ``##[`` (which only
    occur inside strings), so the document still decodes to the same values.

    Example:
        >>> import json
        >>> s = json_safe(json.dumps({"m": "::error::x\\u2028"}, ensure_ascii=False))
        >>> s, json.loads(s)["m"] == "::error::x\\u2028"
        ('{"m": ":\\\\u003aerror:\\\\u003ax\\\\u2028"}', True)
    """
    def sub(m: re.Match[str]) -> str:
        s = m.group()
        if s == "::":
            return ":\\u003a"
        if s == "##[":
            return "##\\u005b"
        return f"\\u{ord(s):04x}"

    return _JSON_UNSAFE.sub(sub, text)


__all__ = ["UNSAFE", "escape_char", "json_safe", "neutralize", "safe_lines", "visible"]
