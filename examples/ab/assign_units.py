"""Assign users to variants by hashing, and see who moves when the plan changes.

Run: python examples/ab/assign_units.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from causalkit.ab import assign, assign_file, variant_of
from causalkit.spec import load_spec_file

ids = np.arange(1, 100_001)
salt = "match-filter-v2"

# The serving path: one id at a time (hashlib, no engine).
print("user 42 ->", variant_of(42, {"control": 0.5, "treatment": 0.5}, salt=salt))

# The batch path: many ids at once (SHA-256 inside DuckDB).
before = assign(ids, {"control": 0.9, "treatment": 0.1}, salt=salt)
after = assign(ids, {"control": 0.5, "treatment": 0.5}, salt=salt)   # ramp up to 50 %
moved = before != after
print(f"ramp 10% -> 50%: {moved.mean():.1%} of users moved, all of them "
      f"{ {(str(a), str(b)) for a, b in zip(before[moved], after[moved])} }")

held = assign(ids, {"control": 0.5, "treatment": 0.5}, salt=salt, holdout=0.1)
kept = held != "holdout"
print(f"adding a 10% holdout: {(~kept).mean():.1%} held out, "
      f"{(held[kept] != after[kept]).sum()} users switched arms")

# The file path used by `causalkit assign SPEC --units FILE --out FILE`.
spec = load_spec_file(Path(__file__).resolve().parents[2] / "designs" / "ab_match_filter.yaml")
with tempfile.TemporaryDirectory() as tmp:
    units = Path(tmp) / "units.parquet"
    pd.DataFrame({"user_id": ids}).to_parquet(units)
    out = Path(tmp) / "assignment.csv"
    n = assign_file(spec.spec, units, out)
    print(f"wrote {n} rows:", pd.read_csv(out)["variant"].value_counts().to_dict())
