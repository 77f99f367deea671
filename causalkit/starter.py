"""``causalkit init``: a starter spec written from a data file's columns.

:func:`profile` reads a CSV or Parquet file through DuckDB, with the same reader
``causalkit run`` uses (the path is an SQL literal, quotes doubled): each column's
type, how many values it holds and how many distinct ones, its range, whether it
holds only 0 and 1, and the levels of the columns with few of them. The
``guess_*`` rules pick the columns a kind needs by their names and types, and
:func:`starter_spec` writes the spec: YAML whose top comments list what was
guessed and the alternatives, with ``# EDIT`` next to every field a person must
check. The text is validated before it is returned, so a starter spec always
passes ``causalkit validate``.

Example:
    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "t.csv").write_text("user_id,variant,converted\\n1,control,0\\n"
    ...                              "2,treatment,1\\n3,control,1\\n4,treatment,0\\n")
    >>> text = starter_spec("ab", d / "t.csv", base=d)
    >>> "unit: user_id" in text and "variant_column: variant" in text
    True
    >>> prof = profile(d / "t.csv")  # a Profile of Column descriptions
    >>> prof.rows, prof.column("converted").binary
    (4, True)
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from causalkit.errors import CausalkitError, DataError

KINDS = ("ab", "switchback", "observational", "aha")
"""The kinds ``causalkit init`` writes."""

MAX_LEVELS = 20
"""Columns with at most this many distinct values have their levels read."""

MAX_STARTER_METRICS = 12
"""Metrics a starter spec lists (the other candidates are named in a comment)."""

_PERIODS = (60, 300, 600, 900, 1200, 1800, 3600, 7200, 10800, 14400, 21600, 28800, 43200,
            86400)


@dataclass(frozen=True)
class Column:
    """One column of a data file: its type and what its values look like.

    ``kind`` is ``numeric``, ``boolean``, ``string``, ``timestamp`` or ``other``;
    ``low``/``high`` are the range (epoch seconds for timestamps); ``levels`` the
    values and their rows, most frequent first, for columns with few distinct values.
    """

    name: str
    sql_type: str
    kind: str
    count: int
    distinct: int
    binary: bool = False
    whole: bool = False
    low: float | None = None
    high: float | None = None
    levels: tuple[tuple[str, int], ...] = ()

    @property
    def words(self) -> tuple[str, ...]:
        """The name's words, lower case (``userID`` and ``user-id`` give ``user``, ``id``)."""
        return words(self.name)


@dataclass(frozen=True)
class Profile:
    """The columns of a data file and its number of rows."""

    path: str
    rows: int
    columns: tuple[Column, ...]

    def column(self, name: str) -> Column | None:
        """The column called ``name``, if any."""
        return next((c for c in self.columns if c.name == name), None)


def words(name: str) -> tuple[str, ...]:
    """The lower-case words of a column name.

    Example:
        >>> words("userID"), words("Pre-Revenue ($)"), words("signup_at")
        (('user', 'id'), ('pre', 'revenue'), ('signup', 'at'))
    """
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return tuple(w for w in re.split(r"[^0-9a-zA-Z]+|(?<=[a-zA-Z])(?=[0-9])", spaced.lower())
                 if w)


def _kind_of(sql_type: str) -> str:
    t = sql_type.upper()
    if "[" in t or t.startswith(("STRUCT", "MAP", "UNION", "LIST")):
        return "other"
    if t == "BOOLEAN":
        return "boolean"
    if t.startswith(("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT",
                     "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE",
                     "DECIMAL", "REAL")):
        return "numeric"
    if t.startswith(("VARCHAR", "STRING", "TEXT", "ENUM")):
        return "string"
    if t.startswith(("TIMESTAMP", "DATE")):
        return "timestamp"
    return "other"


def _check_file(path: Path) -> None:
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise DataError("no such file", source=str(path), hint="check the data path") from None
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read the file: {exc}", source=str(path)) from None
    if stat.S_ISDIR(info.st_mode):
        if not str(path).lower().rstrip("/").endswith((".parquet", ".pq")):
            raise DataError("is a folder, not a data file", source=str(path),
                            hint="give a CSV or Parquet file (or a folder named *.parquet)")
        return
    if not stat.S_ISREG(info.st_mode):
        raise DataError("is not a regular file", source=str(path),
                        hint="give a CSV or Parquet file")
    if info.st_size == 0:
        raise DataError("the file is empty (0 bytes)", source=str(path),
                        hint="give a CSV with a header line and rows, or a Parquet file")


def profile(path: str | Path) -> Profile:
    """Read a CSV or Parquet file's columns and what their values look like (two scans).

    Raises:
        DataError: for a missing, empty, unreadable or row-less file.

    Example:
        >>> import pathlib, tempfile
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "d.csv"
        >>> _ = p.write_text("id,arm,y\\n1,a,0\\n2,b,1\\n3,a,1\\n")
        >>> prof = profile(p)
        >>> prof.rows, [(c.name, c.kind, c.binary) for c in prof.columns]
        (3, [('id', 'numeric', False), ('arm', 'string', False), ('y', 'numeric', True)])
        >>> prof.column("arm").levels
        (('a', 2), ('b', 1))
    """
    import duckdb

    from causalkit.data import DuckDBEngine, Source, quote_ident

    p = Path(path)
    _check_file(p)
    source = Source.from_path(p)
    engine = DuckDBEngine(threads=2)
    rel = engine.relation_sql(source)
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET TimeZone = 'UTC'")

        def run(sql: str) -> list[tuple[object, ...]]:
            try:
                return con.execute(sql).fetchall()
            except duckdb.Error as exc:
                msg = str(exc).strip().splitlines()[0] if str(exc).strip() else "unknown"
                raise DataError(f"cannot read the file: {msg}", source=str(p),
                                hint="give a CSV with a header line, or a Parquet file") from None

        described = [(str(r[0]), str(r[1])) for r in run(f"DESCRIBE SELECT * FROM {rel}")]
        if not described:
            raise DataError("the file has no columns", source=str(p))
        parts = ["COUNT(*)"]
        for name, sql_type in described:
            q, kind = quote_ident(name), _kind_of(sql_type)
            parts += [f"COUNT({q})", f"APPROX_COUNT_DISTINCT({q})"]
            if kind == "numeric":
                d = f"CAST({q} AS DOUBLE)"
                parts += [f"MIN({d})", f"MAX({d})", f"COUNT_IF({d} NOT IN (0, 1))",
                          f"COUNT_IF({d} <> FLOOR({d}))"]
            elif kind == "timestamp":
                e = f"epoch(CAST({q} AS TIMESTAMPTZ))"
                parts += [f"MIN({e})", f"MAX({e})", "0", "0"]
            else:
                parts += ["NULL", "NULL", "0", "0"]
        row = run(f"SELECT {', '.join(parts)} FROM {rel}")[0]
        rows = int(row[0])  # type: ignore[call-overload]
        if rows == 0:
            raise DataError("the file has a header but no rows", source=str(p),
                            hint="init reads the values to guess the columns; give rows")
        columns = []
        for i, (name, sql_type) in enumerate(described):
            count, distinct, low, high, not01, frac = row[1 + 6 * i: 7 + 6 * i]
            kind = _kind_of(sql_type)
            n = int(count)  # type: ignore[call-overload]
            nd = min(int(distinct), n)  # type: ignore[call-overload]
            levels: tuple[tuple[str, int], ...] = ()
            if 0 < nd <= MAX_LEVELS + 2 and kind in ("numeric", "boolean", "string"):
                q = quote_ident(name)
                got = run(f"SELECT CAST({q} AS VARCHAR), COUNT(*) FROM {rel} WHERE {q} IS NOT "
                          f"NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {MAX_LEVELS + 1}")
                levels = tuple((str(v), int(k)) for v, k in got)  # type: ignore[call-overload]
                if len(levels) <= MAX_LEVELS:
                    nd = len(levels)
                else:
                    levels = ()
            columns.append(Column(
                name=name, sql_type=sql_type, kind=kind, count=n, distinct=nd,
                binary=(kind == "boolean" and n > 0)
                or (kind == "numeric" and n > 0 and not not01),
                whole=kind == "numeric" and not frac,
                low=None if low is None else float(low),  # type: ignore[arg-type]
                high=None if high is None else float(high),  # type: ignore[arg-type]
                levels=levels))
    finally:
        con.close()
        engine.close()
    return Profile(path=str(p), rows=rows, columns=tuple(columns))


# -- guesses ----------------------------------------------------------------------------------

_ID_WORDS = {"id", "uid", "uuid", "key", "user", "users", "customer", "account", "member",
             "visitor", "device", "session", "person", "client", "guid"}
_ARM_WORDS = {"variant", "variation", "arm", "group", "bucket", "cohort", "treatment",
              "treated", "condition", "experiment", "version", "test", "branch", "flag"}
_CONTROL_WORDS = ("control", "ctrl", "baseline", "base", "default", "a", "0", "false", "off",
                  "old", "current", "holdout", "c", "no", "none")
_TIME_WORDS = {"time", "timestamp", "ts", "date", "datetime", "at", "exposed", "exposure",
               "assigned", "first", "created", "start", "when", "hour", "day", "period"}
_REGION_WORDS = {"region", "city", "market", "country", "area", "zone", "geo", "location",
                 "store", "site", "cluster", "unit", "territory"}
_EVENT_WORDS = {"event", "action", "activity", "name", "type", "what", "verb", "step"}
_SIGNUP_WORDS = {"signup", "signed", "registered", "registration", "joined", "join", "created",
                 "install", "installed", "first", "start", "onboarded"}
_TREAT_WORDS = {"treatment", "treated", "treat", "exposed", "exposure", "received", "program",
                "intervention", "promo", "campaign", "got", "used", "smoker", "quit", "policy",
                "t", "d"}
_OUTCOME_WORDS = {"outcome", "y", "result", "target", "response", "label", "revenue", "spend",
                  "sales", "gain", "weight", "score", "retained", "churn", "converted",
                  "conversion", "purchase", "value"}
_NOT_ACTIONS = {"open", "opened", "session", "login", "signup", "launch", "install", "visit",
                "pageview", "heartbeat", "start", "started"}
_PRE_WORDS = {"pre", "before", "prior", "baseline", "previous", "last"}
_PRIMARY_WORDS = {"conversion", "converted", "convert", "revenue", "purchase", "purchased",
                  "retained", "retention", "orders", "paid", "spend", "minutes", "outcome"}


def _hits(col: Column, vocab: set[str]) -> int:
    return sum(1 for w in col.words if w in vocab)


def _pick(cands: Sequence[Column], score: Mapping[str, float]) -> list[Column]:
    """Candidates, best first (a stable sort on the score, then the file's order)."""
    return sorted(cands, key=lambda c: -score[c.name])


def guess_unit(prof: Profile, *, unique: bool = True) -> list[Column]:
    """Columns that could hold the unit id, best first (named like an id; unique when asked).

    Example:
        >>> cols = (Column("n", "DOUBLE", "numeric", 4, 4), Column("UserID", "BIGINT",
        ...         "numeric", 4, 4, whole=True))
        >>> [c.name for c in guess_unit(Profile("p", 4, cols))]
        ['UserID']
    """
    score: dict[str, float] = {}
    out = []
    for c in prof.columns:
        if c.kind not in ("numeric", "string") or (c.kind == "numeric" and not c.whole):
            continue
        named = _hits(c, _ID_WORDS)
        ratio = c.distinct / max(c.count, 1)
        if unique and ratio < 0.9:
            continue
        if not named and (ratio < 0.9 or c.binary):
            continue
        score[c.name] = 3 * named + ratio + ("id" in c.words or "uid" in c.words)
        out.append(c)
    return _pick(out, score)


def guess_arm(prof: Profile, exclude: Sequence[str] = ()) -> list[Column]:
    """Low-cardinality columns (2 to 20 values) that could hold the arm, best first.

    Example:
        >>> cols = (Column("plan", "VARCHAR", "string", 9, 3, levels=(("x", 3),) * 3),
        ...         Column("variant", "VARCHAR", "string", 9, 2, levels=(("A", 5), ("B", 4))))
        >>> [c.name for c in guess_arm(Profile("p", 9, cols))]
        ['variant', 'plan']
    """
    score: dict[str, float] = {}
    out = []
    for c in prof.columns:
        if c.name in exclude or not 2 <= len(c.levels) <= MAX_LEVELS or c.kind == "other":
            continue
        if c.kind == "numeric" and not (c.whole and _hits(c, _ARM_WORDS)):
            continue
        score[c.name] = 3 * _hits(c, _ARM_WORDS) + (c.kind == "string") - len(c.levels) / 100
        out.append(c)
    return _pick(out, score)


def guess_control(levels: Sequence[str]) -> str:
    """The level that looks like the control arm (else the first in sorted order).

    Example:
        >>> guess_control(["treatment", "Control"]), guess_control(["B", "A"]), guess_control(["x", "y"])
        ('Control', 'A', 'x')
    """
    lower = {lv.lower().strip(): lv for lv in levels}
    for word in _CONTROL_WORDS:
        if word in lower:
            return lower[word]
    for lv in levels:
        if any(w in ("control", "ctrl", "baseline") for w in words(lv)):
            return lv
    return sorted(levels)[0]


def guess_time(prof: Profile, vocab: set[str] = _TIME_WORDS,
               exclude: Sequence[str] = ()) -> list[Column]:
    """Timestamp columns, best named first.

    Example:
        >>> cols = (Column("a", "TIMESTAMP", "timestamp", 1, 1),
        ...         Column("exposed_at", "TIMESTAMP", "timestamp", 1, 1))
        >>> [c.name for c in guess_time(Profile("p", 1, cols))]
        ['exposed_at', 'a']
    """
    cands = [c for c in prof.columns if c.kind == "timestamp" and c.name not in exclude]
    return _pick(cands, {c.name: _hits(c, vocab) for c in cands})


def metric_candidates(prof: Profile, exclude: Sequence[str]) -> list[Column]:
    """Numeric and boolean columns that can be metrics, in the file's order.

    Example:
        >>> cols = (Column("id", "BIGINT", "numeric", 3, 3, whole=True),
        ...         Column("y", "DOUBLE", "numeric", 3, 3))
        >>> [c.name for c in metric_candidates(Profile("p", 3, cols), ["id"])]
        ['y']
    """
    return [c for c in prof.columns if c.name not in exclude and c.count > 0
            and (c.kind == "numeric" or c.kind == "boolean") and c.distinct >= 1]


def _metric_type(col: Column) -> str:
    return "proportion" if col.binary else "mean"


def _is_pre(col: Column) -> bool:
    return bool(col.words) and (col.words[0] in _PRE_WORDS or col.words[-1] in _PRE_WORDS)


# -- YAML -------------------------------------------------------------------------------------

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_RESERVED = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"}


def yaml_text(value: str) -> str:
    """A YAML scalar for text: plain when safe, else double-quoted (JSON escapes).

    Example:
        >>> yaml_text("user_id"), yaml_text("Revenue ($)"), yaml_text("no"), yaml_text("1")
        ('user_id', '"Revenue ($)"', '"no"', '"1"')
        >>> yaml_text("a\\x85b")  # a C1 control: an escape the spec loader reads back
        '"a\\\\u0085b"'
    """
    if _PLAIN.match(value) and value.lower() not in _RESERVED:
        return value
    return "".join(ch if ch.isprintable() or ch == "\\" else
                   f"\\u{ord(ch):04x}" if ord(ch) < 0x10000 else f"\\U{ord(ch):08x}"
                   for ch in json.dumps(value, ensure_ascii=False))


def _comment(text: str) -> str:
    """One comment line's text: newlines and control characters shown as escapes."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode()
                   for ch in text)


def _names(cols: Sequence[Column], limit: int = 6) -> str:
    shown = ", ".join(_comment(repr(c.name)) for c in cols[:limit])
    more = len(cols) - limit
    return (shown + (f" and {more} more" if more > 0 else "")) or "none"


def _name_of(path: Path) -> str:
    stem = re.sub(r"[^0-9A-Za-z_-]+", "-", path.stem).strip("-") or "experiment"
    return stem


def _rel(path: Path, base: Path | None) -> str:
    target = path.resolve()
    if base is None:
        return str(target)
    try:
        return os.path.relpath(target, base.resolve())
    except ValueError:  # another drive on Windows
        return str(target)


@dataclass
class _Doc:
    """A starter spec being written: top comments and body lines."""

    kind: str
    data: Path
    top: list[str]
    body: list[str]

    def note(self, text: str) -> None:
        self.top.append(f"#   {_comment(text)}")

    def line(self, text: str, comment: str | None = None) -> None:
        self.body.append(text + (f"  # {_comment(comment)}" if comment else ""))

    def text(self) -> str:
        head = [f"# Starter {self.kind} spec written by `causalkit init` from "
                f"{_comment(self.data.name)}.",
                "# Lines marked EDIT are guesses: check them, then run",
                "#   causalkit validate THIS.yaml && causalkit run THIS.yaml --format html "
                "--out report.html",
                "# What init guessed (and the alternatives it saw):"]
        return "\n".join(head + self.top + [""] + self.body) + "\n"


def _levels_text(col: Column) -> str:
    return ", ".join(f"{_comment(repr(v))} ({n:,} rows)" for v, n in col.levels)


def _need(cands: Sequence[Column], what: str, prof: Profile, hint: str) -> Column:
    if not cands:
        raise DataError(f"no column looks like {what} (columns: "
                        f"{_names(prof.columns, 12)})", source=prof.path, hint=hint)
    return cands[0]


def _metrics_block(doc: _Doc, cands: Sequence[Column], prof: Profile,
                   *, covariates: bool) -> None:
    pre = {c.name for c in cands if _is_pre(c)} if covariates else set()
    main = [c for c in cands if c.name not in pre]
    if not main:
        raise DataError(f"no numeric column is left for a metric (columns: "
                        f"{_names(prof.columns, 12)})", source=prof.path,
                        hint="a metric is a numeric or true/false column per unit")
    ranked = sorted(main, key=lambda c: -_hits(c, _PRIMARY_WORDS))
    primary = ranked[0]
    shown = main[:MAX_STARTER_METRICS]
    if primary not in shown:
        shown = [primary, *shown[:-1]]
    doc.note(f"metrics: {_names(shown, 12)} (0/1 values -> proportion, others -> mean); "
             f"primary: {primary.name!r} (EDIT: the one metric the decision is about)")
    if len(main) > len(shown):
        doc.note(f"also numeric, left out: {_names(main[len(shown):], 12)}")
    doc.line("metrics:")
    for c in shown:
        role = "primary" if c is primary else "secondary"
        bits = [f"name: {yaml_text(c.name)}", f"type: {_metric_type(c)}",
                f"column: {yaml_text(c.name)}", f"role: {role}"]
        if c is primary:
            bits.append("direction: increase")
        cov = next((p for p in pre if set(words(p)) - _PRE_WORDS == set(c.words) - _PRE_WORDS
                    and p != c.name), None)
        if cov is not None:
            bits.append(f"covariate: {yaml_text(cov)}")
        why = f"{c.sql_type}, {'0/1 values' if c.binary else f'{c.distinct:,} distinct values'}"
        if cov is not None:
            why += f"; CUPED on {cov!r}"
        if c is primary:
            why = "EDIT: primary, and which way is better; " + why
        doc.line(f"  - {{{', '.join(bits)}}}", why)


def _ab(doc: _Doc, prof: Profile) -> None:
    arms = guess_arm(prof)
    arm = _need(arms, "the arm (a column with 2 to 20 values, e.g. variant)", prof,
                "add a column naming each unit's arm (control, treatment)")
    units = [c for c in guess_unit(prof) if c.name != arm.name]
    unit = _need(units, "the unit id (one row per unit, e.g. user_id)", prof,
                 "the A/B analysis reads one row per randomized unit, with its id")
    times = guess_time(prof)
    levels = [v for v, _ in arm.levels]
    control = guess_control(levels)
    doc.note(f"unit: {unit.name!r} ({unit.distinct:,} distinct of {prof.rows:,} rows); "
             f"other candidates: {_names(units[1:])}")
    doc.note(f"arm: {arm.name!r} with {_levels_text(arm)}; control: {control!r}; "
             f"other candidates: {_names(arms[1:])}")
    if times:
        doc.note(f"exposure time: {times[0].name!r}; others: {_names(times[1:])}")
    doc.line(f"name: {yaml_text(_name_of(doc.data))}", "EDIT: the experiment's name")
    doc.line("kind: ab")
    doc.line("hypothesis: null", "EDIT: what the change should do, in words")
    doc.line(f"unit: {yaml_text(unit.name)}")
    doc.line(f"variant_column: {yaml_text(arm.name)}")
    if times:
        doc.line(f"timestamp_column: {yaml_text(times[0].name)}")
    total = sum(n for _, n in arm.levels)
    shares = {v: n / total for v, n in arm.levels}
    even = all(abs(s - 1 / len(shares)) < 0.05 for s in shares.values())
    doc.line("variants:", "EDIT: planned traffic weights (the sample-ratio check compares the "
                          "data with them)" + ("" if even else "; written as observed"))
    for v in sorted(levels, key=lambda x: (x != control, x)):
        weight = 1.0 if even else max(round(shares[v] * 20) / 20, 0.05)
        doc.line(f"  {yaml_text(v)}: {weight:g}", f"observed {shares[v]:.1%}")
    doc.line(f"control: {yaml_text(control)}", "EDIT: the control arm")
    doc.line("check_duplicates: true")
    _metrics_block(doc, metric_candidates(prof, [unit.name, arm.name]), prof, covariates=True)
    doc.line("analysis: {alpha: 0.05, correction: holm}")


def _switchback(doc: _Doc, prof: Profile) -> None:
    times = guess_time(prof)
    time = _need(times, "the time (a timestamp column)", prof,
                 "a switch-back needs each row's time; write ISO 8601 timestamps with a zone")
    regions_c = [c for c in prof.columns
                 if c.kind in ("string", "numeric") and c.levels
                 and not (c.kind == "numeric" and not c.whole) and c.name != time.name]
    score = {c.name: 3 * _hits(c, _REGION_WORDS) + (c.kind == "string")
             - 2 * _hits(c, _ARM_WORDS) - c.binary for c in regions_c}
    regions_c = [c for c in _pick(regions_c, score) if score[c.name] > -1]
    region = _need(regions_c, "the region (a column with at most 20 values)", prof,
                   "a switch-back randomizes whole regions over time; add a region column")
    arms = [c for c in guess_arm(prof, exclude=[region.name, time.name])
            if len(c.levels) == 2 and _hits(c, _ARM_WORDS)]
    arm = arms[0] if arms else None
    low, high = time.low or 0.0, time.high or 0.0
    period = _guess_period(prof, region, time, arm)
    start = math.floor(low / period) * period
    end = max(math.floor(high / period) * period + period, start + period)
    doc.note(f"time: {time.name!r}; others: {_names(times[1:])}")
    doc.note(f"region: {region.name!r} with {len(region.levels)} regions; others: "
             f"{_names(regions_c[1:])}")
    doc.note(f"logged arm: {arm.name!r} (checked against the schedule)" if arm else
             "logged arm: none found (the schedule alone says which arm each period had)")
    doc.note("schedule: from the data's first and last times; period " +
             _duration(period) + (" (the shortest run between arm switches)" if arm else
                                  " (a default)"))
    doc.note("EDIT schedule: the analysis reads the randomization from the spec, so start, "
             "end, period, carryover, design and seed must be those of the schedule your test "
             "ran (`causalkit schedule` prints it); init cannot know the seed")
    doc.line(f"name: {yaml_text(_name_of(doc.data))}", "EDIT: the experiment's name")
    doc.line("kind: switchback")
    doc.line("hypothesis: null", "EDIT: what the change should do, in words")
    doc.line(f"unit: {yaml_text(region.name)}", "the region column")
    doc.line(f"time_column: {yaml_text(time.name)}")
    doc.line(f"arm_column: {yaml_text(arm.name) if arm else 'null'}")
    doc.line("regions:", "EDIT: in the design's order (it draws the schedule), with each "
                         "region's IANA time zone, e.g. {name: KR, tz: Asia/Seoul}")
    rows = dict(region.levels)
    for v in _first_seen(prof.path, region.name) or sorted(rows):
        doc.line(f"  - {{name: {yaml_text(v)}}}", f"{rows.get(v, 0):,} rows")
    doc.line("schedule:")
    doc.line(f"  start: {_iso(start)}", "EDIT")
    doc.line(f"  end: {_iso(end)}", "EDIT")
    doc.line(f"  period: {_duration(period)}", "EDIT")
    doc.line("  carryover: 1", "EDIT: periods an arm's effect lasts after a switch")
    doc.line("  design: optimal", "EDIT")
    doc.line("  seed: 0", "EDIT: the seed of the schedule your test ran")
    _metrics_block(doc, metric_candidates(prof, [region.name] + ([arm.name] if arm else [])),
                   prof, covariates=False)
    doc.line("analysis: {alpha: 0.05, correction: holm}")


def _guess_period(prof: Profile, region: Column, time: Column, arm: Column | None) -> int:
    """The largest usual period that divides every gap between a region's arm switches."""
    if arm is None:
        return 3600
    import duckdb

    from causalkit.data import DuckDBEngine, Source, quote_ident

    rel = DuckDBEngine(threads=1).relation_sql(Source.from_path(prof.path))
    r, t, a = quote_ident(region.name), quote_ident(time.name), quote_ident(arm.name)
    sql = (f"WITH x AS (SELECT {r} AS r, epoch(CAST({t} AS TIMESTAMPTZ)) AS t, "
           f"CAST({a} AS VARCHAR) AS a FROM {rel} WHERE {t} IS NOT NULL AND {a} IS NOT NULL), "
           "y AS (SELECT r, t, a, lag(a) OVER (PARTITION BY r ORDER BY t) AS b FROM x), "
           "z AS (SELECT r, t FROM y WHERE b IS NOT NULL AND a <> b), "
           "g AS (SELECT t - lag(t) OVER (PARTITION BY r ORDER BY t) AS d FROM z) "
           "SELECT DISTINCT ROUND(d) FROM g WHERE d > 0 LIMIT 1000")
    con = duckdb.connect(":memory:")
    try:
        gaps = [float(v) for (v,) in con.execute(sql).fetchall()]
    except duckdb.Error:
        return 3600
    finally:
        con.close()
    if not gaps:
        return 3600
    for p in sorted(_PERIODS, reverse=True):
        if p <= min(gaps) * 1.05 and all(abs(g / p - round(g / p)) * p <= max(0.05 * p, 60)
                                         for g in gaps):
            return p
    return 3600


def _first_seen(path: str, column: str) -> list[str]:
    """The values of a column in the order they first appear in the file."""
    import duckdb

    from causalkit.data import DuckDBEngine, Source, quote_ident

    rel = DuckDBEngine(threads=1).relation_sql(Source.from_path(path))
    sql = (f"SELECT v FROM (SELECT CAST({quote_ident(column)} AS VARCHAR) AS v, "
           f"row_number() OVER () AS i FROM {rel}) WHERE v IS NOT NULL GROUP BY v "
           f"ORDER BY MIN(i) LIMIT {MAX_LEVELS + 1}")
    con = duckdb.connect(":memory:")
    try:
        return [str(v) for (v,) in con.execute(sql).fetchall()]
    except duckdb.Error:
        return []
    finally:
        con.close()


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _duration(seconds: int) -> str:
    if seconds % 86400 == 0:
        return f"{seconds // 86400}d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    if seconds % 60 == 0:
        return f"{seconds // 60}m"
    return f"{seconds}s"


def _observational(doc: _Doc, prof: Profile) -> None:
    ids = {c.name for c in guess_unit(prof)}
    binary = [c for c in prof.columns if c.binary and c.name not in ids]
    score = {c.name: 3 * _hits(c, _TREAT_WORDS) - 2 * _hits(c, _OUTCOME_WORDS) for c in binary}
    treats = _pick(binary, score)
    treat = _need(treats, "the treatment (a 0/1 or true/false column)", prof,
                  "the observational analysis estimates the effect of a 0/1 treatment")
    nums = list(metric_candidates(prof, [treat.name, *ids]))
    oscore = {c.name: 3 * _hits(c, _OUTCOME_WORDS) - 2 * _hits(c, _TREAT_WORDS) - _is_pre(c)
              for c in nums}
    outcomes = _pick(nums, oscore)
    if outcomes and oscore[outcomes[0].name] <= 0:
        outcomes = [nums[-1], *[c for c in outcomes if c is not nums[-1]]]
    outcome = _need(outcomes, "the outcome (a numeric column)", prof,
                    "add the outcome column, numeric or 0/1")
    confs = [c for c in prof.columns
             if c.name not in (treat.name, outcome.name) and c.name not in ids
             and (c.kind in ("numeric", "boolean") or (c.kind == "string" and c.levels))]
    skipped = [c for c in prof.columns if c.name not in (treat.name, outcome.name)
               and c not in confs]
    doc.note(f"treatment: {treat.name!r} (0/1); others: {_names(treats[1:])}")
    doc.note(f"outcome: {outcome.name!r}; others: {_names(outcomes[1:])}")
    doc.note(f"confounders: every other usable column ({len(confs)}): {_names(confs, 12)}")
    doc.note(f"left out (ids, times, free text): {_names(skipped)}")
    doc.note("EDIT graph: init drew every other column as a cause of both the treatment and "
             "the outcome; that is a starting point, not a causal model. Remove the edges "
             "that do not exist, and never keep a column the treatment itself changes (a "
             "mediator or a collider) as a confounder")
    doc.line(f"name: {yaml_text(_name_of(doc.data))}", "EDIT: the study's name")
    doc.line("kind: observational")
    doc.line("hypothesis: null", "EDIT: what the treatment should do, in words")
    doc.line(f"treatment: {yaml_text(treat.name)}")
    doc.line(f"outcome: {yaml_text(outcome.name)}")
    doc.line("graph:", "EDIT: the causal diagram (every confounder -> treatment and outcome)")
    t, o = yaml_text(treat.name), yaml_text(outcome.name)
    doc.line(f"  - {{from: {t}, to: {o}}}")
    for c in confs:
        n = yaml_text(c.name)
        doc.line(f"  - {{from: {n}, to: {t}}}")
        doc.line(f"  - {{from: {n}, to: {o}}}")
    doc.line("estimand: ate")
    doc.line("estimators: [aipw, ipw, regression]")
    doc.line("refuters: [placebo, random_common_cause, subset, sensitivity]")
    doc.line("simulations: 20", "refuter simulations; more for the final run")
    doc.line("analysis: {alpha: 0.05, seed: 0}")


def _aha(doc: _Doc, prof: Profile, users: Path | None, base: Path | None) -> None:
    ids = guess_unit(prof, unique=False)
    user = _need(ids, "the user id (e.g. user_id)", prof,
                 "an event log holds one row per event: user id, event name, time")
    times = guess_time(prof)
    time = _need(times, "the event time (a timestamp column)", prof,
                 "write ISO 8601 timestamps with a zone")
    evs = [c for c in prof.columns if c.kind == "string" and c.name != user.name]
    escore = {c.name: 3 * _hits(c, _EVENT_WORDS) + bool(c.levels) for c in evs}
    event = _need(_pick(evs, escore), "the event name (a text column)", prof,
                  "an event log holds one row per event: user id, event name, time")
    evs = _pick(evs, escore)
    span_days = ((time.high or 0.0) - (time.low or 0.0)) / 86400
    doc.note(f"user: {user.name!r}; others: {_names(ids[1:])}")
    doc.note(f"event: {event.name!r}"
             + (f" with {len(event.levels)} kinds" if event.levels else "")
             + f"; others: {_names(evs[1:])}")
    doc.note(f"time: {time.name!r}; others: {_names(times[1:])}; the log spans "
             f"{span_days:.0f} days")
    signup_col = "signup_at"
    covs: list[str] = []
    if users is not None:
        uprof = profile(users)
        if uprof.column(user.name) is None:
            raise DataError(f"the users file has no column {user.name!r}, the user id of the "
                            f"event log (columns: {_names(uprof.columns, 12)})",
                            source=uprof.path, hint="name the user id the same in both files")
        signups = guess_time(uprof, _SIGNUP_WORDS)
        signup = _need(signups, "the signup time (a timestamp column)", uprof,
                       "the users file needs each user's signup time")
        signup_col = signup.name
        covs = [c.name for c in uprof.columns
                if c.kind in ("numeric", "boolean") and c.name != user.name
                and c.count == uprof.rows and not (c.whole and c.distinct >= 0.9 * uprof.rows)]
        doc.note(f"users file: {users.name}; signup: {signup.name!r}; others: "
                 f"{_names(signups[1:])}")
        doc.note(f"covariates (numeric, no missing values): {_names([uprof.column(n) for n in covs if uprof.column(n)], 12)}")  # type: ignore[misc]
    else:
        doc.note("users: no --users file, so each user's signup is the time of their first "
                 "event (EDIT: give a users table with signup times and covariates)")
    start_day, end_day, windows = _aha_windows(span_days)
    doc.note(f"retention: active in days [{start_day}, {end_day}) after signup; condition "
             f"windows {windows} days (fitted to the log's {span_days:.0f} days)")
    doc.line(f"name: {yaml_text(_name_of(doc.data))}", "EDIT: the study's name")
    doc.line("kind: aha")
    doc.line("hypothesis: null", "EDIT: which early action should make users stay")
    doc.line(f"events: {{path: {yaml_text(_rel(doc.data, base))}}}")
    if users is not None:
        doc.line(f"users: {{path: {yaml_text(_rel(users, base))}}}")
    else:
        from causalkit.data import DuckDBEngine, Source, quote_ident

        rel = DuckDBEngine(threads=1).relation_sql(Source.from_path(doc.data.resolve()))
        sql = (f"SELECT {quote_ident(user.name)}, MIN({quote_ident(time.name)}) AS "
               f"{quote_ident(signup_col)} FROM {rel} GROUP BY 1")
        doc.line(f"users: {{sql: {yaml_text(sql)}}}", "EDIT: signup = first event")
    doc.line("columns:")
    doc.line(f"  user: {yaml_text(user.name)}")
    doc.line(f"  event: {yaml_text(event.name)}")
    doc.line(f"  timestamp: {yaml_text(time.name)}")
    doc.line(f"  signup: {yaml_text(signup_col)}")
    doc.line(f"covariates: [{', '.join(yaml_text(c) for c in covs)}]",
             "numeric signup covariates of the users table")
    doc.line(f"retention: {{start_day: {start_day}, end_day: {end_day}}}", "EDIT")
    doc.line(f"windows: [{', '.join(map(str, windows))}]", "EDIT: condition windows, days")
    doc.line("thresholds: [1, 2, 3, 5, 10]")
    noise = [v for v, _ in event.levels if set(words(v)) & _NOT_ACTIONS]
    doc.line(f"actions: {{exclude: [{', '.join(yaml_text(v) for v in noise)}]}}",
             "EDIT: events never to search (app opens, sessions, the signup itself)")
    doc.line("check: {simulations: 20}")
    doc.line("analysis: {alpha: 0.05, seed: 0}")


def _aha_windows(span_days: float) -> tuple[int, int, list[int]]:
    """Retention window and condition windows that leave users eligible in a log this long."""
    if span_days >= 70:
        return 28, 35, [1, 3, 7, 14]
    end = max(int(span_days * 0.5), 2)
    start = max(end - max(end // 5, 1), 1)
    windows = sorted({w for w in (1, 3, 7, 14) if w <= start} or {1})
    return start, end, windows


def starter_spec(kind: str, data: str | Path, *, users: str | Path | None = None,
                 base: str | Path | None = None) -> str:
    """The text of a starter spec of ``kind`` for a data file (validated before it returns).

    Args:
        kind: ``ab``, ``switchback``, ``observational`` or ``aha``.
        data: the CSV or Parquet file (for ``aha``: the event log).
        users: ``aha`` only: the users file (user id, signup time, covariates).
        base: the folder the spec will be saved in (data paths are written relative to
            it); None writes absolute paths.

    Raises:
        CausalkitError: for an unknown kind, or a file without the columns the kind needs
            (a :class:`~causalkit.errors.DataError` naming the file and its columns).

    Example:
        >>> import pathlib, tempfile
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (d / "s.csv").write_text("t,y\\n1,0.5\\n0,0.1\\n1,0.7\\n0,0.2\\n")
        >>> body = starter_spec("observational", d / "s.csv", base=d).split("\\n\\n")[1]
        >>> print("\\n".join(body.splitlines()[3:5]))
        treatment: t
        outcome: "y"
    """
    if kind not in KINDS:
        raise CausalkitError(f"unknown kind {kind!r}", hint=f"use one of {', '.join(KINDS)}")
    if users is not None and kind != "aha":
        raise CausalkitError("--users goes with init aha (the users table of an event log)")
    path = Path(data)
    prof = profile(path)
    doc = _Doc(kind, path, [], [])
    base_path = Path(base) if base is not None else None
    if kind == "ab":
        _ab(doc, prof)
    elif kind == "switchback":
        _switchback(doc, prof)
    elif kind == "observational":
        _observational(doc, prof)
    else:
        _aha(doc, prof, Path(users) if users is not None else None, base_path)
    if kind != "aha":
        doc.line(f"data: {{path: {yaml_text(_rel(path, base_path))}}}",
                 "or pass --data FILE to causalkit run")
    text = doc.text()
    _self_check(text, base_path)
    return text


def _self_check(text: str, base: Path | None) -> None:
    """A starter spec must validate; one that does not is a bug in init, said plainly."""
    from causalkit import registry
    from causalkit.spec.loader import load_spec_text

    try:
        registry.validate(load_spec_text(text, file="<starter spec>", base=base))
    except CausalkitError as exc:
        raise CausalkitError(f"init wrote a spec that does not validate: {exc}",
                             hint="this is a bug in causalkit init; please report it with the "
                                  "column names and types of the file") from None

