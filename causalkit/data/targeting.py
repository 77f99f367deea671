"""Targeting rules compiled: quoted SQL for DuckDB and Spark, a vectorized predicate, type checks.

The rule's tree (:mod:`causalkit.spec.targeting`) becomes SQL in which every column
is quoted by :func:`~causalkit.data.engine.quote_ident` and every text value by
:func:`~causalkit.data.engine.quote_literal` (the Spark engine re-spells quoted
tokens with :func:`~causalkit.data.sql.to_spark`), so no name or value can change
the query. The same tree evaluates on columns in memory with SQL's three-valued
logic (a comparison with a missing value is unknown; ``not`` unknown is unknown;
a unit is eligible only when its rule is true), so ``assign`` and the analysis
agree with the engines unit by unit.

Example:
    >>> from causalkit.spec.targeting import parse
    >>> rule = parse('country in ["KR", "JP"] and not platform == "ios"')
    >>> to_sql(rule)
    '("country" IN (\\'KR\\', \\'JP\\') AND (NOT ("platform" = \\'ios\\')))'
    >>> eligible(rule, {"country": ["KR", "US", None, "JP"],
    ...                 "platform": ["android", "ios", "ios", None]}).tolist()
    [True, False, False, False]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from causalkit.data import Source, get_engine
from causalkit.data.engine import quote_ident, quote_literal
from causalkit.data.sql import dialect_of, to_spark
from causalkit.spec.common import Engine
from causalkit.spec.targeting import (
    And,
    Compare,
    InList,
    Not,
    Or,
    Rule,
    TargetingError,
    Value,
    columns,
    comparisons,
)

_SQL_OP = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


def _sql_value(v: Value) -> str:
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, str):
        return quote_literal(v)
    if isinstance(v, int):
        return str(v)
    return f"CAST({float(v)!r} AS DOUBLE)"


def to_sql(rule: Rule) -> str:
    """The rule as a SQL boolean expression (NULL where SQL's logic says unknown).

    Use ``COALESCE((...), FALSE)`` to select the eligible rows, as :func:`where_sql` does.

    Example:
        >>> from causalkit.spec.targeting import parse
        >>> print(to_sql(parse('`a"b` >= 2.5 or c != "it\\'s"')))
        ("a""b" >= CAST(2.5 AS DOUBLE) OR "c" <> 'it''s')
    """
    if isinstance(rule, Compare):
        return f"{quote_ident(rule.column)} {_SQL_OP[rule.op]} {_sql_value(rule.value)}"
    if isinstance(rule, InList):
        word = "NOT IN" if rule.negated else "IN"
        vals = ", ".join(_sql_value(v) for v in rule.values)
        return f"{quote_ident(rule.column)} {word} ({vals})"
    if isinstance(rule, Not):
        return f"(NOT ({to_sql(rule.item)}))"
    joiner = " AND " if isinstance(rule, And) else " OR "
    return "(" + joiner.join(to_sql(i) for i in rule.items) + ")"


def where_sql(rule: Rule | None) -> str:
    """A condition true exactly for the eligible rows (``TRUE`` without a rule).

    Example:
        >>> from causalkit.spec.targeting import parse
        >>> where_sql(parse("age >= 18")), where_sql(None)
        ('COALESCE(("age" >= 18), FALSE)', 'TRUE')
    """
    return "TRUE" if rule is None else f"COALESCE(({to_sql(rule)}), FALSE)"


Tri = tuple[NDArray[np.bool_], NDArray[np.bool_]]
"""A three-valued result: (true, unknown); false is neither."""


def _column(data: Any, name: str) -> pd.Series:
    try:
        col = data[name]
    except (KeyError, IndexError, TypeError):
        raise TargetingError(f"the data has no column {name!r}",
                             hint="targeting rules read unit attributes in the data") from None
    return col if isinstance(col, pd.Series) else pd.Series(list(col) if not isinstance(
        col, np.ndarray) else col)


def _compare(s: pd.Series, op: str, v: Value) -> NDArray[np.bool_]:
    values = s.to_numpy()
    if op in ("==", "!="):
        eq = np.fromiter((x == v and isinstance(x, str) == isinstance(v, str)
                          for x in values), bool, len(values)) if s.dtype == object \
            else (values == v)
        return np.asarray(eq if op == "==" else ~np.asarray(eq, bool), bool)
    with np.errstate(invalid="ignore"):
        if s.dtype == object:
            res = np.fromiter((_order(x, op, v) for x in values), bool, len(values))
        else:
            res = {"<": values < v, "<=": values <= v, ">": values > v,
                   ">=": values >= v}[op]
    return np.asarray(res, bool)


def _order(x: Any, op: str, v: Value) -> bool:
    if x is None or (isinstance(x, float) and x != x):
        return False
    try:
        return bool({"<": x < v, "<=": x <= v, ">": x > v, ">=": x >= v}[op])
    except TypeError:
        return False


def _eval(rule: Rule, data: Any, n: int) -> Tri:
    if isinstance(rule, Compare | InList):
        s = _column(data, rule.column)
        unknown = s.isna().to_numpy()
        if isinstance(rule, Compare):
            hit = _compare(s, rule.op, rule.value)
        else:
            hit = s.isin(list(rule.values)).to_numpy()
            if rule.negated:
                hit = ~hit
        return np.asarray(hit & ~unknown, bool), np.asarray(unknown, bool)
    if isinstance(rule, Not):
        t, u = _eval(rule.item, data, n)
        return ~t & ~u, u
    parts = [_eval(i, data, n) for i in rule.items]
    trues = np.vstack([p[0] for p in parts])
    unknowns = np.vstack([p[1] for p in parts])
    falses = ~trues & ~unknowns
    if isinstance(rule, And):
        t = np.asarray(trues.all(axis=0), bool)
        f = np.asarray(falses.any(axis=0), bool)
    else:
        assert isinstance(rule, Or)
        t = np.asarray(trues.any(axis=0), bool)
        f = np.asarray(falses.all(axis=0), bool)
    return t, ~t & ~f


def eligible(rule: Rule | None, data: Mapping[str, Sequence[Any]] | pd.DataFrame
             ) -> NDArray[np.bool_]:
    """Which rows the rule makes eligible (true; false and unknown are not eligible).

    Args:
        rule: the parsed rule, or ``None`` (everyone is eligible).
        data: columns by name (a DataFrame, or a mapping of sequences of equal length).

    Example:
        >>> from causalkit.spec.targeting import parse
        >>> eligible(parse("not age < 18"), {"age": [12.0, 30.0, float("nan")]}).tolist()
        [False, True, False]
    """
    frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(dict(data))
    n = len(frame)
    if rule is None:
        return np.ones(n, bool)
    t, _ = _eval(rule, frame, n)
    return np.asarray(t, bool)


TEXT, NUMBER, BOOLEAN, TIME = "text", "number", "boolean", "time"


def kind_of_type(sql_type: str) -> str:
    """The kind of value a column holds, from its SQL or Arrow type name.

    Example:
        >>> kind_of_type("VARCHAR"), kind_of_type("BIGINT"), kind_of_type("double")
        ('text', 'number', 'number')
    """
    t = sql_type.upper()
    if "CHAR" in t or "STRING" in t or "TEXT" in t or t == "UTF8" or "ENUM" in t:
        return TEXT
    if t.startswith("BOOL"):
        return BOOLEAN
    if "TIME" in t or "DATE" in t:
        return TIME
    return NUMBER


def check_types(rule: Rule, schema: Mapping[str, str], *, source: str = "the data") -> None:
    """Every column the rule reads exists and holds the kind of value it is compared with.

    Args:
        rule: the parsed rule.
        schema: column name -> SQL type name (as DuckDB's ``DESCRIBE`` gives it).
        source: the data's name, for the error message.

    Raises:
        TargetingError: naming the column, its type and the value that does not fit.

    Example:
        >>> from causalkit.spec.targeting import parse
        >>> check_types(parse('age >= "18"'), {"age": "BIGINT"})
        Traceback (most recent call last):
        ...
        causalkit.spec.targeting.TargetingError: targeting: column 'age' of the data \
holds numbers (BIGINT) but the rule compares it with text '18' (write 18 without quotes)
    """
    missing = sorted(c for c in columns(rule) if c not in schema)
    if missing:
        near = ", ".join(sorted(schema)[:12])
        raise TargetingError(f"{source} has no column {missing[0]!r}",
                             hint=f"columns are: {near}")
    for cmp in comparisons(rule):
        sql_type = schema[cmp.column]
        kind = kind_of_type(sql_type)
        values = (cmp.value,) if isinstance(cmp, Compare) else cmp.values
        for v in values:
            vk = BOOLEAN if isinstance(v, bool) else TEXT if isinstance(v, str) else NUMBER
            if kind == TIME and vk == TEXT:
                continue
            if vk != kind:
                words = {TEXT: "text", NUMBER: "numbers", BOOLEAN: "true/false values",
                         TIME: "times"}
                hint = (f"write {v} without quotes" if vk == TEXT and _numeric_text(str(v))
                        else f'quote it: "{v}"' if vk == NUMBER and kind == TEXT else None)
                shown = f"text {v!r}" if vk == TEXT else repr(v)
                raise TargetingError(f"column {cmp.column!r} of {source} holds "
                                     f"{words[kind]} ({sql_type}) but the rule compares it "
                                     f"with {shown}", hint=hint)


def _numeric_text(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def filter_source(source: Source, rule: Rule, *, what: str = "the data"
                  ) -> tuple[Source, int, int]:
    """The rows of ``source`` the rule makes eligible, and how many rows are kept of how many.

    The rule is type-checked against the data's columns (:func:`check_types`), then
    compiled to SQL (:func:`where_sql`) and applied by the engine: the result is a
    filtered relation over the same data (DuckDB or Spark), never a copy in memory.
    One light query counts the rows kept and the rows in all. The filtered source
    keeps ``source`` (and so its registered frame) alive, and its fingerprint derives
    from the data's and the rule's.

    Args:
        source: the data.
        rule: the parsed rule.
        what: what the data are, for error messages ("the users table").

    Returns:
        ``(filtered, kept, total)``.

    Raises:
        TargetingError: (a ``SpecError``) naming a rule column the data lack, or whose
            values do not fit the rule's, and the data.

    Example:
        >>> import pandas as pd
        >>> from causalkit.spec.targeting import parse
        >>> df = pd.DataFrame({"country": ["KR", "JP", None], "y": [1.0, 2.0, 3.0]})
        >>> src, kept, total = filter_source(Source.from_frame(df), parse('country == "KR"'))
        >>> kept, total, get_engine(src).arrays(src, ["y"])["y"].tolist()
        (1, 3, [1.0])
        >>> filter_source(Source.from_frame(df, name="d.csv"), parse("age >= 7"))
        Traceback (most recent call last):
        ...
        causalkit.spec.targeting.TargetingError: targeting: the data (d.csv) has no column \
'age' (columns are: country, y)
    """
    engine = get_engine(source)
    kinds = engine.schema(source)
    check_types(rule, {c: k.value.upper() for c, k in kinds.items()},
                source=f"{what} ({source.describe()})")
    cond = where_sql(rule)
    row = engine.query(source, f"SELECT COUNT(*) AS n, COALESCE(SUM(CASE WHEN {cond} THEN 1 "
                               "ELSE 0 END), 0) AS kept FROM src").to_pylist()[0]
    filtered = where_source(source, cond,
                            fingerprint_seed=f"{source.fingerprint()}|targeting {rule}")
    return filtered, int(row["kept"]), int(row["n"])


def where_source(source: Source, condition: str, *, fingerprint_seed: str) -> Source:
    """The rows of ``source`` where the portable SQL ``condition`` holds, as a new source read
    by the same engine (re-spelled for Spark); the parent is kept alive with it.

    Example:
        >>> import pandas as pd
        >>> src = Source.from_frame(pd.DataFrame({"a": [1, 2, 3]}))
        >>> sub = where_source(src, '"a" >= 2', fingerprint_seed="x")
        >>> get_engine(sub).query(sub, 'SELECT COUNT(*) AS "n" FROM src').to_pylist()
        [{'n': 2}]
    """
    engine = get_engine(source)
    body = f"SELECT * FROM {engine.relation_sql(source)} WHERE {condition}"
    return Source(kind="sql", sql=to_spark(body) if dialect_of(engine) is Engine.SPARK
                  else body, engine=source.engine, name=source.describe(),
                  truth=source.truth, fingerprint_seed=fingerprint_seed,
                  frame=source)  # unused by a sql source: keeps the parent's view alive


__all__ = ["check_types", "eligible", "filter_source", "kind_of_type", "to_sql", "where_source",
           "where_sql"]
