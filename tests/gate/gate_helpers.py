"""Hand-built reports for the gate's unit tests (no analysis needed)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from causalkit.report import Check, Estimate, Experiment, Meta, Report, Status


def est(metric: str = "m", *, role: str = "primary", direction: str | None = "increase",
        estimate: float = 0.0, low: float = -1.0, high: float = 1.0, arm: str = "treatment",
        margin: float | None = None, threshold: float | None = None, n: int = 5000,
        se: float | None = None, ci_kind: str = "always_valid", alpha: float = 0.05,
        control: str = "control") -> Estimate:
    extra: dict[str, float | str | None] = {"ci_kind": ci_kind, "alpha": alpha}
    if margin is not None:
        extra["margin"] = margin
    if threshold is not None:
        extra["practical_threshold"] = threshold
    if se is None:
        se = (high - low) / (2 * 1.96)
    return Estimate(metric=metric, contrast=f"{arm} - {control}", method="welch",
                    estimate=estimate, ci_low=low, ci_high=high, role=role,
                    direction=direction, se=se, n={control: n, arm: n}, extra=extra)


def report(*estimates: Estimate, checks: Sequence[Check] = (),
           extra: Mapping[str, object] | None = None, name: str = "exp") -> Report:
    srm = Check("sample_ratio_mismatch", Status.PASS, "p = 0.43")
    return Report(experiment=Experiment(name=name, kind="ab", spec_sha256="abc",
                                        data_fingerprint="sha256:data"),
                  estimates=tuple(estimates), checks=(srm, *checks),
                  meta=Meta(alpha=0.05, extra=dict(extra or {})))  # type: ignore[arg-type]
