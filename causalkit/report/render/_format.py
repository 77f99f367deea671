"""Number and label formatting shared by the human-readable renderers.

Numbers keep a few significant digits; p-values read like ``0.0202`` or
``3.1e-20`` and never ``0``; a missing value (``None``) is an em dash.

Example:
    >>> fmt_num(0.123456), fmt_num(50112.0), fmt_num(None), fmt_p(3.1e-20)
    ('0.1235', '50112', '—', '3.1e-20')
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from causalkit.report.model import Estimate, Scalar

MISSING = "—"


def _sci(x: float, digits: int) -> str:
    mantissa, exp = f"{x:.{max(digits - 1, 0)}e}".split("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exp)}"


def fmt_num(x: float | int | None, digits: int = 4) -> str:
    """A number with ``digits`` significant digits, plain or scientific.

    Integers above 1e6 and tiny values switch to scientific notation; trailing
    zeros after the point are dropped.

    Example:
        >>> [fmt_num(v) for v in (0.29, 1234.5678, 2.5e-7, -3e9, 0.0, float("nan"),
        ...                       float("inf"), 7)]
        ['0.29', '1235', '2.5e-7', '-3e9', '0', 'NaN', '∞', '7']
    """
    if x is None:
        return MISSING
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return str(x) if abs(x) < 10**9 else _sci(float(x), digits)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    if x == 0:
        return "0"
    a = abs(x)
    if a >= 1e6 or a < 1e-4:
        return _sci(x, digits)
    decimals = max(0, digits - 1 - math.floor(math.log10(a)))
    text = f"{x:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def fmt_int(n: int) -> str:
    """A count with thousands separators.

    Example:
        >>> fmt_int(50112)
        '50,112'
    """
    return f"{n:,}"


def fmt_p(p: float | None) -> str:
    """A p-value: three significant digits, scientific below 1e-4, never ``0``.

    Example:
        >>> [fmt_p(v) for v in (0.0202, 0.43, 1.0, 3.1e-20, 0.0, None)]
        ['0.0202', '0.43', '1', '3.1e-20', '<1e-300', '—']
    """
    if p is None:
        return MISSING
    if math.isnan(p):
        return "NaN"
    if p <= 0:
        return "<1e-300"
    if p < 1e-4:
        return _sci(p, 2)
    text = f"{p:.3g}"
    return text if "e" not in text else _sci(p, 2)


def fmt_pct(x: float | None, digits: int = 3) -> str:
    """A relative change as a signed percentage.

    Example:
        >>> fmt_pct(0.034), fmt_pct(-0.0012), fmt_pct(None), fmt_pct(0.0)
        ('+3.4%', '-0.12%', '—', '0%')
    """
    if x is None:
        return MISSING
    if math.isnan(x):
        return "NaN"
    text = fmt_num(100.0 * x, digits)
    sign = "+" if x > 0 and not text.startswith("+") else ""
    return f"{sign}{text}%"


def fmt_ci(low: float | None, high: float | None, *, pct: bool = False) -> str:
    """An interval ``[low, high]``; ``—`` when both ends are missing.

    Example:
        >>> fmt_ci(0.045, 0.535), fmt_ci(0.01, 0.058, pct=True), fmt_ci(None, None)
        ('[0.045, 0.535]', '[+1%, +5.8%]', '—')
    """
    if low is None and high is None:
        return MISSING
    f = fmt_pct if pct else fmt_num
    return f"[{f(low)}, {f(high)}]"


def fmt_relative(e: Estimate) -> str:
    """The relative effect with its interval, e.g. ``+3.4% [+1%, +5.8%]``.

    Example:
        >>> fmt_relative(Estimate(metric="m", contrast="t - c", method="welch",
        ...     estimate=0.4, relative=0.034, relative_ci_low=0.01, relative_ci_high=0.058))
        '+3.4% [+1%, +5.8%]'
    """
    if e.relative is None:
        return MISSING
    ci = fmt_ci(e.relative_ci_low, e.relative_ci_high, pct=True)
    return fmt_pct(e.relative) if ci == MISSING else f"{fmt_pct(e.relative)} {ci}"


def fmt_n(n: Mapping[str, int], sep: str = " · ") -> str:
    """Units per arm, e.g. ``control 3,407 · treatment 3,461``.

    Example:
        >>> fmt_n({"control": 3407, "treatment": 3461})
        'control 3,407 · treatment 3,461'
    """
    if not n:
        return MISSING
    return sep.join(f"{arm} {fmt_int(count)}" for arm, count in n.items())


def fmt_scalar(v: Scalar) -> str:
    """A table cell: numbers formatted, ``None`` as ``—``, booleans as yes/no.

    Example:
        >>> fmt_scalar(None), fmt_scalar(True), fmt_scalar(0.123456), fmt_scalar("KR")
        ('—', 'yes', '0.1235', 'KR')
    """
    if v is None:
        return MISSING
    if isinstance(v, bool | int | float):
        return fmt_num(v)
    return str(v)


def numeric_columns(columns: Sequence[str], rows: Sequence[Sequence[Scalar]]) -> list[bool]:
    """For each column, whether every non-missing cell is a number (so it is right-aligned).

    Example:
        >>> numeric_columns(("arm", "units"), (("control", 19979), ("treatment", None)))
        [False, True]
    """
    out = []
    for j in range(len(columns)):
        cells = [row[j] for row in rows if j < len(row) and row[j] is not None]
        out.append(bool(cells) and all(isinstance(v, int | float) and not isinstance(v, bool)
                                       for v in cells))
    return out


def estimate_verdict(e: Estimate) -> str:
    """A short word on what the estimate shows, from its ``extra`` flags.

    ``worse than margin`` beats ``worse``, which beats ``better``; then non-inferiority; then
    ``significant``; an estimate without those flags gets ``""``.

    Example:
        >>> estimate_verdict(Estimate(metric="m", contrast="t - c", method="welch",
        ...     estimate=1.0, role="guardrail", extra={"worse_than_margin": True}))
        'worse than margin'
    """
    x = e.extra
    if x.get("worse_than_margin") is True:
        return "worse than margin"
    if x.get("worse") is True:
        return "worse"
    if x.get("better") is True:
        return "better"
    if x.get("noninferior") is True:
        return "non-inferior"
    if x.get("noninferior") is False:
        return "not shown non-inferior"
    if x.get("significant") is True:
        return "significant"
    if x.get("significant") is False:
        return "not significant"
    return ""


def is_failure(e: Estimate) -> bool:
    """Whether an estimate counts as a failed test (JUnit, colours).

    A guardrail that is significantly worse or worse than its margin, or a
    primary metric that is significantly worse, fails (see GATE_CONTRACT).

    Example:
        >>> is_failure(Estimate(metric="m", contrast="t - c", method="welch", estimate=1.0,
        ...                     role="guardrail", extra={"worse": True}))
        True
    """
    if e.role == "guardrail":
        return e.extra.get("worse") is True or e.extra.get("worse_than_margin") is True
    if e.role == "primary":
        return e.extra.get("worse") is True
    return False


def is_error(e: Estimate) -> bool:
    """Whether an estimate could not be computed (its point estimate is not finite).

    Example:
        >>> is_error(Estimate(metric="m", contrast="t - c", method="welch", estimate=float("nan")))
        True
    """
    return not math.isfinite(e.estimate)
