"""Targeting rules: who is eligible, as one small expression language for every kind.

A rule is text in the spec (``targeting: 'country in ["KR", "JP"] and platform == "ios"'``)
that causalkit parses itself into a typed tree of frozen nodes: it is never passed
to ``eval`` and never pasted into SQL. The data layer compiles the tree to quoted
SQL for DuckDB and Spark and to a vectorized predicate
(:mod:`causalkit.data.targeting`).

Grammar (keywords are lower case; ``and`` binds tighter than ``or``)::

    rule       := or
    or         := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | "(" rule ")" | comparison
    comparison := column op value | column ["not"] "in" "[" value ("," value)* "]"
    op         := "==" | "!=" | "<" | "<=" | ">" | ">="
    column     := name | `any text` (backquotes; a backquote inside is doubled)
    value      := "text" | 'text' (backslash escapes \\\\ \\" \\' \\n \\t \\uXXXX)
                  | number | true | false

Missing values follow SQL: a comparison with a missing value is neither true nor
false, and a unit whose rule is not true is not eligible.

Example:
    >>> rule = parse('country in ["KR", "JP"] and days_since_signup >= 7')
    >>> rule
    And(items=(InList(column='country', values=('KR', 'JP'), negated=False), \
Compare(column='days_since_signup', op='>=', value=7)))
    >>> sorted(columns(rule))
    ['country', 'days_since_signup']
    >>> str(rule)
    '(`country` in ["KR", "JP"] and `days_since_signup` >= 7)'
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import Field, field_validator, model_validator

from causalkit.errors import SpecError
from causalkit.spec.common import StrictModel
from causalkit.spec.types import Float, Text

Value = str | int | float | bool
OPS = ("==", "!=", "<=", ">=", "<", ">")
MAX_RULE_LENGTH = 10_000
"""Longest rule text accepted (characters)."""
MAX_DEPTH = 50
"""Deepest nesting of ``not`` and parentheses accepted."""
MAX_LIST = 10_000
"""Most values in one ``in [...]`` list."""


@dataclass(frozen=True)
class Compare:
    """``column op value``."""

    column: str
    op: str
    value: Value

    def __str__(self) -> str:
        return f"{_col(self.column)} {self.op} {_lit(self.value)}"


@dataclass(frozen=True)
class InList:
    """``column in [values]`` (or ``not in`` when ``negated``)."""

    column: str
    values: tuple[Value, ...]
    negated: bool = False

    def __str__(self) -> str:
        word = "not in" if self.negated else "in"
        return f"{_col(self.column)} {word} [{', '.join(_lit(v) for v in self.values)}]"


@dataclass(frozen=True)
class And:
    """Every item holds."""

    items: tuple[Rule, ...]

    def __str__(self) -> str:
        return "(" + " and ".join(str(i) for i in self.items) + ")"


@dataclass(frozen=True)
class Or:
    """At least one item holds.

    Example:
        >>> rule = parse('platform == "ios" or country in ["KR", "JP"]')
        >>> rule
        Or(items=(Compare(column='platform', op='==', value='ios'), \
InList(column='country', values=('KR', 'JP'), negated=False)))
        >>> str(rule)
        '(`platform` == "ios" or `country` in ["KR", "JP"])'
    """

    items: tuple[Rule, ...]

    def __str__(self) -> str:
        return "(" + " or ".join(str(i) for i in self.items) + ")"


@dataclass(frozen=True)
class Not:
    """The item does not hold.

    Example:
        >>> rule = parse('not days_since_signup < 7')
        >>> rule
        Not(item=Compare(column='days_since_signup', op='<', value=7))
        >>> str(rule)
        'not `days_since_signup` < 7'
    """

    item: Rule

    def __str__(self) -> str:
        return f"not {self.item}"


Rule = Compare | InList | And | Or | Not


def _col(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _lit(v: Value) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    return repr(v)


class TargetingError(SpecError):
    """A targeting rule that cannot be parsed, with the character position in the rule.

    Example:
        >>> try:
        ...     parse("country = 'KR'")
        ... except TargetingError as exc:
        ...     print(exc)
        targeting: character 9: expected a comparison (==, !=, <, <=, >, >=, in, not in) \
after `country`, found '=' (write == to compare)
    """

    def __init__(self, message: str, *, position: int | None = None,
                 hint: str | None = None) -> None:
        self.position = position
        where = f"character {position + 1}: " if position is not None else ""
        super().__init__(where + message, field="targeting", hint=hint)


_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<op>==|!=|<=|>=|<|>|=)
  | (?P<punct>[()\[\],])
  | (?P<num>[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![A-Za-z_]))
  | (?P<name>[A-Za-z_][A-Za-z0-9_.]*)
  | (?P<bq>`(?:[^`]|``)*`)
  | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
""", re.VERBOSE | re.DOTALL)

_ESCAPES = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "t": "\t", "r": "\r", "0": "\0"}
KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false"})


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    pos: int


def _unescape(body: str, pos: int) -> str:
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        nxt = body[i + 1] if i + 1 < len(body) else ""
        if nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
        elif nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", body[i + 2:i + 6]):
            out.append(chr(int(body[i + 2:i + 6], 16)))
            i += 6
        else:
            raise TargetingError(f"unknown escape \\{nxt} in a text value", position=pos + i + 1,
                                 hint="use \\\\ for a backslash")
    return "".join(out)


def _tokens(text: str) -> Iterator[_Tok]:
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            snippet = text[pos:pos + 10]
            hint = ("close the text value with the quote it opened with"
                    if text[pos] in "\"'`" else "see the targeting grammar in docs/spec.md")
            raise TargetingError(f"cannot read {snippet!r}", position=pos, hint=hint)
        kind = m.lastgroup or ""
        if kind != "ws":
            yield _Tok(kind, m.group(), pos)
        pos = m.end()


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = list(_tokens(text))
        self.i = 0
        self.depth = 0

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def _end(self) -> int:
        return len(self.text)

    def take(self) -> _Tok:
        tok = self.peek()
        if tok is None:
            raise TargetingError("the rule ends too early", position=self._end())
        self.i += 1
        return tok

    def word(self, w: str) -> bool:
        tok = self.peek()
        if tok is not None and tok.kind == "name" and tok.text == w:
            self.i += 1
            return True
        return False

    def punct(self, p: str) -> bool:
        tok = self.peek()
        if tok is not None and tok.kind == "punct" and tok.text == p:
            self.i += 1
            return True
        return False

    def rule(self) -> Rule:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            tok = self.peek()
            raise TargetingError(f"the rule nests deeper than {MAX_DEPTH} levels",
                                 position=tok.pos if tok else self._end())
        items = [self.conj()]
        while self.word("or"):
            items.append(self.conj())
        self.depth -= 1
        return items[0] if len(items) == 1 else Or(tuple(items))

    def conj(self) -> Rule:
        items = [self.neg()]
        while self.word("and"):
            items.append(self.neg())
        return items[0] if len(items) == 1 else And(tuple(items))

    def neg(self) -> Rule:
        if self.word("not"):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise TargetingError(f"the rule nests deeper than {MAX_DEPTH} levels",
                                     position=self.toks[self.i - 1].pos)
            item = self.neg()
            self.depth -= 1
            return Not(item)
        if self.punct("("):
            inner = self.rule()
            if not self.punct(")"):
                tok = self.peek()
                raise TargetingError("expected ')'" + (f", found {tok.text!r}" if tok else ""),
                                     position=tok.pos if tok else self._end())
            return inner
        return self.comparison()

    def column(self) -> str:
        tok = self.take()
        if tok.kind == "bq":
            name = tok.text[1:-1].replace("``", "`")
            if not name:
                raise TargetingError("empty column name ``", position=tok.pos)
            return name
        if tok.kind == "name" and tok.text not in KEYWORDS:
            return tok.text
        raise TargetingError(f"expected a column name, found {tok.text!r}", position=tok.pos,
                             hint="quote unusual column names with backquotes: `my column`")

    def value(self) -> Value:
        tok = self.take()
        if tok.kind == "str":
            return _unescape(tok.text[1:-1], tok.pos + 1)
        if tok.kind == "num":
            txt = tok.text
            if re.fullmatch(r"[-+]?\d+", txt):
                return int(txt)
            val = float(txt)
            if val != val or val in (float("inf"), float("-inf")):
                raise TargetingError(f"number {txt} is out of range", position=tok.pos)
            return val
        if tok.kind == "name" and tok.text in ("true", "false"):
            return tok.text == "true"
        hint = None
        if tok.kind == "name":
            hint = f'text values are quoted: "{tok.text}"'
        raise TargetingError(f"expected a value (a quoted text, a number, true or false), "
                             f"found {tok.text!r}", position=tok.pos, hint=hint)

    def comparison(self) -> Rule:
        col = self.column()
        tok = self.peek()
        if tok is not None and tok.kind == "op" and tok.text != "=":
            self.i += 1
            return Compare(col, tok.text, self.value())
        negated = False
        if tok is not None and tok.kind == "name" and tok.text == "not":
            self.i += 1
            negated = True
            tok = self.peek()
        if tok is not None and tok.kind == "name" and tok.text == "in":
            self.i += 1
            return InList(col, self.values(), negated)
        found = "the end of the rule" if tok is None else repr(tok.text)
        hint = "write == to compare" if tok is not None and tok.text.startswith("=") else None
        pos = self._end() if tok is None else tok.pos
        raise TargetingError(f"expected a comparison (==, !=, <, <=, >, >=, in, not in) after "
                             f"`{col}`, found {found}", position=pos, hint=hint)

    def values(self) -> tuple[Value, ...]:
        start = self.peek()
        if not self.punct("["):
            raise TargetingError("expected '[' to open the list after `in`",
                                 position=start.pos if start else self._end())
        vals = [self.value()]
        while self.punct(","):
            if self.peek() is not None and self.peek().text == "]":  # type: ignore[union-attr]
                break
            vals.append(self.value())
            if len(vals) > MAX_LIST:
                raise TargetingError(f"a list holds more than {MAX_LIST} values",
                                     position=start.pos if start else 0)
        if not self.punct("]"):
            tok = self.peek()
            raise TargetingError("expected ',' or ']' in the list" +
                                 (f", found {tok.text!r}" if tok else ""),
                                 position=tok.pos if tok else self._end())
        kinds = {_kind(v) for v in vals}
        if len(kinds) > 1:
            raise TargetingError("a list mixes text and numbers",
                                 position=start.pos if start else 0,
                                 hint="quote every value, or none")
        return tuple(dict.fromkeys(vals))


def _kind(v: Value) -> str:
    if isinstance(v, bool):
        return "bool"
    return "text" if isinstance(v, str) else "number"


def parse(text: str) -> Rule:
    """Parse a targeting rule into its typed tree.

    Raises:
        TargetingError: (a :class:`~causalkit.errors.SpecError`) naming the character
            where the rule stops making sense and what to write instead.

    Example:
        >>> parse('not (platform == "ios" or `my col` != 3.5)')
        Not(item=Or(items=(Compare(column='platform', op='==', value='ios'), \
Compare(column='my col', op='!=', value=3.5))))
    """
    if not isinstance(text, str):
        raise TargetingError(f"a rule is text, not {type(text).__name__}")
    if len(text) > MAX_RULE_LENGTH:
        raise TargetingError(f"the rule is longer than {MAX_RULE_LENGTH:,} characters")
    if not text.strip():
        raise TargetingError("the rule is empty", hint="leave targeting out for everyone")
    p = _Parser(text)
    rule = p.rule()
    tok = p.peek()
    if tok is not None:
        raise TargetingError(f"unexpected {tok.text!r} after a complete rule", position=tok.pos,
                             hint="join conditions with `and` / `or`")
    return rule


def columns(rule: Rule) -> frozenset[str]:
    """The columns a rule reads.

    Example:
        >>> sorted(columns(parse('a == 1 or (b in ["x"] and not c > 2)')))
        ['a', 'b', 'c']
    """
    if isinstance(rule, Compare | InList):
        return frozenset({rule.column})
    if isinstance(rule, Not):
        return columns(rule.item)
    return frozenset().union(*(columns(i) for i in rule.items))


def comparisons(rule: Rule) -> Iterator[Compare | InList]:
    """Every comparison in the rule, left to right.

    Example:
        >>> [c.column for c in comparisons(parse('a == 1 and not b in [2]'))]
        ['a', 'b']
    """
    if isinstance(rule, Compare | InList):
        yield rule
    elif isinstance(rule, Not):
        yield from comparisons(rule.item)
    else:
        for item in rule.items:
            yield from comparisons(item)


__all__ = ["MAX_DEPTH", "MAX_LIST", "MAX_RULE_LENGTH", "OPS", "And", "Compare", "InList", "Not",
           "Or", "Rule", "TargetingError", "columns", "comparisons", "parse"]


# --- the spec fields -------------------------------------------------------------------------

INELIGIBLE = "ineligible"
"""What ``causalkit assign`` writes for a unit the targeting rule leaves out."""
NOT_ENROLLED = "not_enrolled"
"""What ``causalkit assign`` writes for an eligible unit beyond its segment's rollout share."""


class Rollout(StrictModel):
    """Staged rollout: the share of eligible units enrolled, per value of one column.

    A unit is enrolled when its rollout bucket (64 bits of its hash that neither the
    arm nor the holdout uses) lies below ``share × buckets``, so growing a share only
    adds units: nobody enrolled leaves, and nobody changes arm.

    Example:
        >>> Rollout(by="country", shares={"KR": 0.1, "JP": 0.5}).share("JP")
        0.5
    """

    by: Text = Field(min_length=1, description="unit attribute column whose values have shares")
    shares: dict[Text, Float] = Field(min_length=1, max_length=MAX_LIST,
                                      description="value -> share of eligible units enrolled")
    default: Float = Field(0.0, ge=0.0, le=1.0,
                           description="share for values not listed (0: not enrolled)")

    @field_validator("shares")
    @classmethod
    def _shares(cls, v: dict[str, float]) -> dict[str, float]:
        bad = [k for k, s in v.items() if not 0.0 <= s <= 1.0]
        if bad:
            raise ValueError(f"share of {bad[0]!r} must lie in [0, 1]")
        return v

    def share(self, value: object) -> float:
        """The share for one value of ``by`` (``default`` when not listed)."""
        return self.shares.get(str(value), self.default) if value is not None else 0.0


class Targeting(StrictModel):
    """Who is eligible (``rule``) and how much of them is enrolled (``rollout``).

    In a spec, ``targeting:`` is either the rule as text or a mapping with ``rule``
    and ``rollout``.

    Example:
        >>> t = Targeting.model_validate('country in ["KR", "JP"] and platform == "ios"')
        >>> sorted(t.columns)
        ['country', 'platform']
        >>> sorted(Targeting.model_validate({"rule": "age >= 7", "rollout": {
        ...     "by": "country", "shares": {"KR": 0.1}}}).columns)
        ['age', 'country']
    """

    rule: Text | None = Field(None, description="targeting rule (docs/segments.md has the grammar)")
    rollout: Rollout | None = Field(None, description="staged rollout shares per segment")

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: Any) -> Any:
        return {"rule": data} if isinstance(data, str) else data

    @field_validator("rule")
    @classmethod
    def _parse(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                parse(v)
            except TargetingError as exc:
                raise ValueError(str(exc).removeprefix("targeting: ")) from None
        return v

    @property
    def tree(self) -> Rule | None:
        """The parsed rule (``None``: everyone is eligible)."""
        return None if self.rule is None else parse(self.rule)

    @property
    def columns(self) -> frozenset[str]:
        """Every unit attribute the targeting reads (the rule's and the rollout's column)."""
        tree = self.tree
        cols = columns(tree) if tree is not None else frozenset()
        return cols | ({self.rollout.by} if self.rollout is not None else frozenset())


__all__ += ["INELIGIBLE", "NOT_ENROLLED", "Rollout", "Targeting"]
