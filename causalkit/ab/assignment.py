"""Deterministic assignment of units to variants by hashing (documented bit for bit).

The algorithm (``docs/assignment.md`` has test vectors):

1. Text of the unit id: a string is used as is; an integer is written in
   decimal (no leading zeros, ``-`` for negatives, e.g. ``42``, ``-7``); ids read
   from a CSV file are hashed as the text written in the file.
2. ``digest = SHA-256(UTF-8(f"{salt}:{id_text}"))`` (32 bytes); the salt
   defaults to the experiment name.
3. ``u = uint64(digest[0:8], big-endian)``, ``h = uint64(digest[8:16], big-endian)``;
   ``bucket = u % buckets`` and ``holdout_bucket = h % buckets``.
4. Holdout: the unit is held out when ``holdout_bucket < H`` with
   ``H = floor(buckets * holdout + 0.5)``.
5. Variant: with weights ``w_1..w_K`` in spec order, ``cum_k = w_1 + ... + w_k``
   (IEEE double, left to right), boundaries ``b_k = floor(buckets * cum_k / cum_K + 0.5)``
   for ``k < K`` and ``b_K = buckets``; the unit gets the variant ``k`` with
   ``b_{k-1} <= bucket < b_k`` (``b_0 = 0``).

6. Targeting (``targeting:`` in the spec, :mod:`causalkit.spec.targeting`): a unit whose
   rule is not true gets ``ineligible`` instead of an arm. With a staged rollout, an
   eligible unit is enrolled when ``r = uint64(digest[16:24], big-endian) % buckets`` is
   below ``floor(buckets * share + 0.5)`` for the share of its segment; otherwise it gets
   ``not_enrolled``. Eligibility is checked first, then enrolment, then the holdout.

Because the holdout uses its own 64 bits, adding or growing a holdout only
removes units from the arms (nobody switches arm); because variants own
contiguous bucket ranges, changing weights moves only the units whose bucket
lies between an old and a new boundary (moving traffic from ``control`` to
``treatment`` in a two-arm test moves exactly the share that changed, all of it
from control to treatment). The arm never depends on the targeting: widening a
rule (``KR`` to ``KR`` and ``JP``) or growing a rollout share only enrols more units,
and every unit already enrolled keeps its arm.

Arrays are hashed inside DuckDB (vectorized, multi-threaded SHA-256): about
0.7 s per million ids on two cores; :func:`variant_of` hashes one id with
:mod:`hashlib` for serving-style lookups.

Example:
    >>> import numpy as np
    >>> assign([1, 2, 3, "alice"], {"control": 0.5, "treatment": 0.5}, salt="exp").tolist()
    ['control', 'treatment', 'treatment', 'treatment']
    >>> variant_of("alice", {"control": 0.5, "treatment": 0.5}, salt="exp")
    'treatment'
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from causalkit.data.engine import quote_ident, quote_literal
from causalkit.data.targeting import eligible as rule_holds
from causalkit.data.targeting import where_sql
from causalkit.errors import DataError, SpecError
from causalkit.report.write import atomic_target
from causalkit.spec.targeting import INELIGIBLE, NOT_ENROLLED, Targeting

if TYPE_CHECKING:
    from causalkit.spec.ab import ABSpec

HOLDOUT = "holdout"
"""Label written for held-out units."""
OUTPUT_COLUMN = "variant"
"""Name of the arm column :func:`assign_file` writes next to the id column."""


@dataclass(frozen=True)
class Layout:
    """Bucket layout: variant names, their upper bucket boundaries and the holdout size.

    Example:
        >>> Layout.from_weights({"a": 1, "b": 1, "c": 2}, 100).boundaries
        (25, 50, 100)
    """

    variants: tuple[str, ...]
    boundaries: tuple[int, ...]
    buckets: int
    holdout_buckets: int = 0

    @classmethod
    def from_weights(
        cls, weights: Mapping[str, float], buckets: int = 10_000, holdout: float = 0.0
    ) -> Layout:
        """Lay out bucket ranges (step 5 of the algorithm) and the holdout (step 4).

        Raises:
            SpecError: for fewer than two variants, non-positive weights, a bad
                bucket count or holdout.
        """
        names = tuple(weights)
        w = [float(weights[n]) for n in names]
        if len(names) < 2 or any(not (x > 0 and math.isfinite(x)) for x in w):
            raise SpecError("variants need two or more positive weights", field="variants")
        if not 2 <= buckets <= 2**32:
            raise SpecError("buckets must lie in [2, 2**32]", field="assignment.buckets")
        if not 0 <= holdout < 1:
            raise SpecError("holdout must lie in [0, 1)", field="assignment.holdout")
        cum = 0.0
        cums = []
        for x in w:
            cum += x
            cums.append(cum)
        bounds = [math.floor(buckets * c / cum + 0.5) for c in cums[:-1]] + [buckets]
        return cls(names, tuple(bounds), int(buckets), math.floor(buckets * holdout + 0.5))


def layout_for(spec: ABSpec) -> tuple[Layout, str]:
    """The bucket layout and salt of an A/B spec.

    Example:
        >>> from causalkit.spec.ab import ABSpec
        >>> spec = ABSpec(name="x", kind="ab", unit="u", data={"simulate": "ab"},
        ...               metrics=[{"name": "m", "type": "mean", "column": "m", "role": "primary"}])
        >>> layout_for(spec)[1]
        'x'
    """
    a = spec.assignment
    return Layout.from_weights(spec.variants, a.buckets, a.holdout), a.salt or spec.name


def digest_values(unit_id: str | int, salt: str) -> tuple[int, int]:
    """``(u, h)`` of one id by :mod:`hashlib` (steps 1-3; the reference implementation).

    Example:
        >>> digest_values(1, "exp")[0] % 10_000
        4457
    """
    if isinstance(unit_id, bool) or not isinstance(unit_id, int | str | np.integer | np.str_):
        raise DataError(f"unit id {unit_id!r} is not an integer or a string")
    text = str(int(unit_id)) if isinstance(unit_id, int | np.integer) else str(unit_id)
    d = hashlib.sha256(f"{salt}:{text}".encode()).digest()
    return int.from_bytes(d[:8], "big"), int.from_bytes(d[8:16], "big")


def rollout_value(unit_id: str | int, salt: str) -> int:
    """The 64-bit rollout value of one id (step 6; its bucket is ``value % buckets``).

    Example:
        >>> rollout_value(1, "exp") % 10_000 == int(buckets_of([1], "exp")[2][0])
        True
    """
    text = str(int(unit_id)) if isinstance(unit_id, int | np.integer) else str(unit_id)
    d = hashlib.sha256(f"{salt}:{text}".encode()).digest()
    return int.from_bytes(d[16:24], "big")


def variant_of(
    unit_id: str | int,
    weights: Mapping[str, float],
    *,
    salt: str,
    buckets: int = 10_000,
    holdout: float = 0.0,
) -> str:
    """The variant of one unit (``"holdout"`` when held out); O(1), no engine.

    Example:
        >>> variant_of(2, {"control": 0.5, "treatment": 0.5}, salt="exp")
        'treatment'
    """
    layout = Layout.from_weights(weights, buckets, holdout)
    u, h = digest_values(unit_id, salt)
    if h % layout.buckets < layout.holdout_buckets:
        return HOLDOUT
    b = u % layout.buckets
    for name, bound in zip(layout.variants, layout.boundaries):
        if b < bound:
            return name
    raise AssertionError("unreachable")  # pragma: no cover


def share_buckets(share: float, buckets: int) -> int:
    """Rollout buckets enrolled for a share: ``floor(buckets * share + 0.5)``.

    Example:
        >>> share_buckets(0.1, 10_000), share_buckets(1.0, 10_000)
        (1000, 10000)
    """
    return math.floor(buckets * share + 0.5)


def _targeting_sql(targeting: Targeting | None, roll: str, buckets: int) -> list[str]:
    if targeting is None:
        return []
    parts = []
    if targeting.rule is not None:
        parts.append(f"WHEN NOT {where_sql(targeting.tree)} THEN {quote_literal(INELIGIBLE)}")
    if targeting.rollout is not None:
        ro = targeting.rollout
        by = quote_ident(ro.by)
        whens = " ".join(f"WHEN CAST({by} AS VARCHAR) = {quote_literal(k)} "
                         f"THEN {share_buckets(v, buckets)}" for k, v in ro.shares.items())
        share = (f"(CASE WHEN {by} IS NULL THEN 0 {whens} "
                 f"ELSE {share_buckets(ro.default, buckets)} END)")
        parts.append(f"WHEN {roll} >= {share} THEN {quote_literal(NOT_ENROLLED)}")
    return parts


def _case_sql(layout: Layout, bucket: str, hold: str, first: Sequence[str] = ()) -> str:
    parts = [*first, f"WHEN {hold} < {layout.holdout_buckets} THEN {quote_literal(HOLDOUT)}"]
    for name, bound in zip(layout.variants[:-1], layout.boundaries[:-1]):
        parts.append(f"WHEN {bucket} < {bound} THEN {quote_literal(name)}")
    return f"CASE {' '.join(parts)} ELSE {quote_literal(layout.variants[-1])} END"


def _hash_sql(id_text: str, salt: str, buckets: int) -> tuple[str, str, str]:
    h = f"sha256({quote_literal(salt + ':')} || {id_text})"
    u = f"(CAST('0x' || substr({h}, 1, 16) AS UBIGINT) % {buckets})"
    v = f"(CAST('0x' || substr({h}, 17, 16) AS UBIGINT) % {buckets})"
    r = f"(CAST('0x' || substr({h}, 33, 16) AS UBIGINT) % {buckets})"
    return u, v, r


def _id_text(col: str, type_name: str, where: str) -> str:
    t = type_name.upper()
    if t in ("VARCHAR", "STRING", "TEXT") or t.startswith("VARCHAR"):
        return col
    if any(t.startswith(p) for p in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
                                      "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT")):
        return f"CAST({col} AS VARCHAR)"
    raise DataError(
        f"unit ids of type {type_name} cannot be hashed", source=where,
        hint="unit ids must be integers or strings; cast floats or dates first",
    )


def buckets_of(unit_ids: Sequence[Any] | NDArray[Any], salt: str, buckets: int = 10_000
               ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Vectorized steps 1-3 and 6: ``(bucket, holdout_bucket, rollout_bucket)`` of many ids.

    Example:
        >>> b, h, r = buckets_of([1, 2, 3], "exp")
        >>> b.tolist()
        [4457, 8951, 6032]
    """
    table = _id_table(unit_ids)
    import duckdb

    con = duckdb.connect()
    try:
        con.register("ids", table)
        type_name = con.execute("SELECT typeof(id) FROM ids LIMIT 1").fetchone()
        text = _id_text('"id"', type_name[0] if type_name else "VARCHAR", "unit ids")
        u, v, r = _hash_sql(text, salt, buckets)
        res = con.execute(f"SELECT {u} AS b, {v} AS h, {r} AS r FROM ids").fetchnumpy()
    finally:
        con.close()
    return (np.asarray(res["b"], dtype=np.int64), np.asarray(res["h"], dtype=np.int64),
            np.asarray(res["r"], dtype=np.int64))


def _id_table(unit_ids: Sequence[Any] | NDArray[Any]) -> Any:
    import pyarrow as pa

    arr = np.asarray(unit_ids)
    if arr.dtype.kind in "iu":
        return pa.table({"id": pa.array(arr)})
    if arr.dtype.kind in "US":
        return pa.table({"id": pa.array(arr.astype(str).tolist(), type=pa.string())})
    if arr.dtype.kind == "O":
        items = arr.tolist()
        if any(isinstance(x, bool) or not isinstance(x, int | str) for x in items):
            raise DataError("unit ids must be integers or strings (found other values)",
                            hint="cast the ids, and drop missing ones")
        if all(isinstance(x, int) for x in items):
            return pa.table({"id": pa.array(items, type=pa.int64())})
        return pa.table({"id": pa.array([str(x) for x in items], type=pa.string())})
    raise DataError(f"unit ids of dtype {arr.dtype} cannot be hashed",
                    hint="unit ids must be integers or strings")


def assign(
    unit_ids: Sequence[Any] | NDArray[Any],
    weights: Mapping[str, float],
    *,
    salt: str,
    buckets: int = 10_000,
    holdout: float = 0.0,
    targeting: Targeting | None = None,
    attributes: Any = None,
) -> NDArray[np.str_]:
    """Variants of many ids at once (``"holdout"``, ``"ineligible"``, ``"not_enrolled"``).

    Mixed integer and string ids are all hashed as text (integers in decimal).

    Args:
        targeting: who is eligible and enrolled (step 6); needs ``attributes``.
        attributes: the units' attribute columns (a DataFrame or a mapping of
            sequences, in the order of ``unit_ids``) that the targeting reads.

    Example:
        >>> assign(np.arange(15, 20), {"a": 1, "b": 1}, salt="s", holdout=0.2).tolist()
        ['holdout', 'holdout', 'a', 'b', 'holdout']
        >>> t = Targeting.model_validate('country == "KR"')
        >>> assign([1, 2, 3], {"a": 1, "b": 1}, salt="s", targeting=t,
        ...        attributes={"country": ["KR", "JP", None]}).tolist()
        ['b', 'ineligible', 'ineligible']
    """
    layout = Layout.from_weights(weights, buckets, holdout)
    b, h, r = buckets_of(unit_ids, salt, layout.buckets)
    idx = np.searchsorted(np.asarray(layout.boundaries), b, side="right")
    names = np.asarray([*layout.variants, HOLDOUT, INELIGIBLE, NOT_ENROLLED])
    idx = np.where(h < layout.holdout_buckets, len(layout.variants), idx)
    if targeting is not None:
        if attributes is None:
            raise DataError("targeting needs the units' attributes",
                            hint=f"pass the columns {sorted(targeting.columns)}")
        import pandas as pd

        frame = attributes if isinstance(attributes, pd.DataFrame) else pd.DataFrame(
            dict(attributes))
        if len(frame) != len(b):
            raise DataError(f"{len(frame)} attribute rows for {len(b)} unit ids")
        if targeting.rollout is not None:
            ro = targeting.rollout
            if ro.by not in frame:
                raise DataError("column is missing", column=ro.by,
                                hint="the rollout's `by` names a unit attribute")
            col = frame[ro.by]
            text = [None if v is None or (isinstance(v, float) and v != v) else str(v)
                    for v in col.tolist()]
            limit = np.asarray([0 if t is None else share_buckets(ro.share(t), layout.buckets)
                                for t in text], dtype=np.int64)
            idx = np.where(r >= limit, len(layout.variants) + 2, idx)
        if targeting.rule is not None:
            ok = rule_holds(targeting.tree, frame)
            idx = np.where(~ok, len(layout.variants) + 1, idx)
    return names[idx]


def _check_targeting(targeting: Targeting, schema: Mapping[str, str], where: str) -> None:
    from causalkit.data.targeting import check_types

    if targeting.rule is not None:
        check_types(targeting.tree, schema, source=where)  # type: ignore[arg-type]
    if targeting.rollout is not None and targeting.rollout.by not in schema:
        raise DataError("column is missing", column=targeting.rollout.by, source=where,
                        hint="targeting.rollout.by names a unit attribute column")


def _read_sql(path: Path, typed_except: str | None = None) -> str:
    """The file as a relation; CSV columns as text (ids are hashed as written), or with
    their sniffed types except the id column ``typed_except`` (targeting compares numbers)."""
    lower = path.name.lower()
    if lower.endswith((".parquet", ".pq")):
        return f"read_parquet({quote_literal(str(path))})"
    if lower.endswith((".csv", ".csv.gz")):
        if typed_except is not None:
            return (f"read_csv({quote_literal(str(path))}, header = true, "
                    f"types = {{{quote_literal(typed_except)}: 'VARCHAR'}})")
        return f"read_csv({quote_literal(str(path))}, header = true, all_varchar = true)"
    raise DataError("cannot tell the file format from the name", source=str(path),
                    hint="use a .csv or .parquet file")


def assign_file(spec: ABSpec, units_path: str | Path, out_path: str | Path,
                column: str | None = None) -> int:
    """Assign every unit of a CSV or Parquet file and write ``<unit>, variant`` atomically.

    The id column may not itself be called ``variant`` (any case): the output would
    hold two columns of that name.

    The output format follows the suffix of ``out_path`` (``.csv`` or
    ``.parquet``); the file appears whole or not at all. Ids in a CSV file are
    hashed as the text written in the file.

    Returns:
        The number of units written.

    Raises:
        DataError: for a missing file or column, missing ids, ids that are
            neither integers nor strings, or an id column named ``variant``.

    Example:
        >>> import pathlib, tempfile
        >>> from causalkit.spec.ab import ABSpec
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (d / "u.csv").write_text("user_id\\n1\\n2\\n3\\n")
        >>> spec = ABSpec(name="x", kind="ab", unit="user_id", data={"simulate": "ab"},
        ...               assignment={"salt": "exp"},
        ...               metrics=[{"name": "m", "type": "mean", "column": "m", "role": "primary"}])
        >>> assign_file(spec, d / "u.csv", d / "out.csv")
        3
        >>> (d / "out.csv").read_text().splitlines()[:3]
        ['user_id,variant', '1,control', '2,treatment']
    """
    import duckdb

    src, out = Path(units_path), Path(out_path)
    if not src.exists():
        raise DataError("no such file", source=str(src), hint="check --units")
    out_lower = out.name.lower()
    if out_lower.endswith((".parquet", ".pq")):
        fmt = "(FORMAT parquet)"
    elif out_lower.endswith(".csv"):
        fmt = "(FORMAT csv, HEADER true)"
    else:
        raise DataError("cannot tell the output format from the name", source=str(out),
                        hint="use a .csv or .parquet suffix for --out")
    col = column or spec.unit
    layout, salt = layout_for(spec)
    targeting: Targeting | None = getattr(spec, "targeting", None)
    rel = _read_sql(src, typed_except=col if targeting is not None else None)
    con = duckdb.connect()
    try:
        try:
            schema = dict(con.execute(f"SELECT column_name, column_type FROM "
                                      f"(DESCRIBE SELECT * FROM {rel})").fetchall())
        except duckdb.Error as exc:
            raise DataError(f"cannot read the file: {str(exc).splitlines()[0]}",
                            source=str(src)) from None
        if col not in schema:
            raise DataError("column is missing", column=col, source=str(src),
                            hint=f"columns are: {', '.join(schema)}; pick one with --column")
        if col.casefold() == OUTPUT_COLUMN.casefold():
            raise DataError(
                f"the id column has the name of the output column {OUTPUT_COLUMN!r}",
                column=col, source=str(src),
                hint=f"the output holds the id column and {OUTPUT_COLUMN!r}; rename the id "
                     "column in the units file")
        q = quote_ident(col)
        nulls = con.execute(f"SELECT COUNT(*) - COUNT({q}) FROM {rel}").fetchone()
        if nulls and nulls[0]:
            raise DataError(f"{nulls[0]} missing unit id(s)", column=col, source=str(src),
                            hint="drop rows without an id")
        u, h, r = _hash_sql(_id_text(q, schema[col], str(src)), salt, layout.buckets)
        if targeting is not None:
            _check_targeting(targeting, schema, str(src))
        case = _case_sql(layout, u, h, _targeting_sql(targeting, r, layout.buckets))
        with atomic_target(out) as tmp:  # a regular file or a new path; umask respected
            con.execute(f"COPY (SELECT {q}, {case} AS {quote_ident(OUTPUT_COLUMN)} FROM {rel}) "
                        f"TO {quote_literal(str(tmp))} {fmt}")
        row = con.execute(f"SELECT COUNT(*) FROM {rel}").fetchone()
    finally:
        con.close()
    return int(row[0]) if row else 0
