"""The ``kind: observational`` spec: a causal diagram, a treatment and an outcome.

Example:
    >>> spec = ObservationalSpec(name="x", kind="observational",
    ...     graph="digraph { z -> t; z -> y; t -> y }", treatment="t", outcome="y",
    ...     data={"simulate": "scm"})
    >>> spec.estimand.value, [e.value for e in spec.estimators]
    ('ate', ['aipw', 'ipw', 'regression'])
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import Field, field_validator, model_validator

from causalkit.spec.common import Analysis, DataSource, StrictModel
from causalkit.spec.limits import MAX_LIST, MAX_SIMULATIONS
from causalkit.spec.targeting import Targeting, columns
from causalkit.spec.types import Bool, FieldError, Float, Int, Text, unique_choices


class Estimand(StrEnum):
    """Target causal quantity."""

    ATE = "ate"
    ATT = "att"


class EstimatorName(StrEnum):
    """Estimators of a causal effect."""

    REGRESSION = "regression"
    IPW = "ipw"
    AIPW = "aipw"
    DML = "dml"
    CAUSAL_FOREST = "causal_forest"
    PLM = "plm"


class RefuterName(StrEnum):
    """Refutation and sensitivity analyses."""

    PLACEBO = "placebo"
    RANDOM_COMMON_CAUSE = "random_common_cause"
    SUBSET = "subset"
    DUMMY_OUTCOME = "dummy_outcome"
    SENSITIVITY = "sensitivity"
    E_VALUE = "e_value"


class Learner(StrEnum):
    """Nuisance learners for propensity and outcome models."""

    LINEAR = "linear"
    GRADIENT_BOOSTING = "gradient_boosting"


class Adjustment(StrEnum):
    """Which backdoor adjustment set the estimators use."""

    OPTIMAL = "optimal"
    MINIMAL = "minimal"


class CovariateTerm(StrEnum):
    """How a covariate enters the linear and logistic nuisance models."""

    LINEAR = "linear"
    QUADRATIC = "quadratic"
    CUBIC = "cubic"
    CATEGORICAL = "categorical"


class OutcomeModel(StrEnum):
    """The outcome regression: linear, logistic, or chosen from the data (logistic for 0/1)."""

    AUTO = "auto"
    LINEAR = "linear"
    LOGISTIC = "logistic"


class CrossCheck(StrEnum):
    """Optional peer libraries that re-run the analysis for comparison."""

    DOWHY = "dowhy"


class Edge(StrictModel):
    """One edge of a graph given as a list (``bidirected`` marks latent confounding)."""

    source: Text = Field(alias="from", description="the cause")
    target: Text = Field(alias="to", description="the effect")
    bidirected: Bool = Field(False, description="a latent common cause of both ends")


class ObservationalSpec(StrictModel):
    """DAG-based estimation of a causal effect on observational data."""

    name: Text = Field(min_length=1, description="experiment name, shown in reports")
    kind: Literal["observational"] = Field(description="the shape of the experiment")
    hypothesis: Text | None = Field(None, description="what the change should do, in words")
    owner: Text | None = Field(None, description="who to ask about the experiment")
    graph: Text | Annotated[list[Edge], Field(max_length=MAX_LIST * 10)] = Field(
        description="DOT text or a list of edges")
    latent: list[Text] = Field(default_factory=list, max_length=MAX_LIST,
                               description="unobserved nodes")
    treatment: Text = Field(min_length=1, description="treatment node and data column")
    outcome: Text = Field(min_length=1, description="outcome node and data column")
    estimand: Estimand = Field(Estimand.ATE, description="average effect on all or on the treated")
    targeting: Targeting | None = Field(
        None, description="the population: a rule over pre-treatment columns (docs/segments.md); "
        "rows it leaves out are dropped before identification and estimation, and the effect "
        "is the targeted population's (a rule only: no rollout)")
    estimators: list[EstimatorName] = Field(
        description="estimators to run",
        default_factory=lambda: [EstimatorName.AIPW, EstimatorName.IPW, EstimatorName.REGRESSION]
    )
    refuters: list[RefuterName] = Field(
        description="refutation and sensitivity analyses",
        default_factory=lambda: [RefuterName.PLACEBO, RefuterName.RANDOM_COMMON_CAUSE,
                                 RefuterName.SUBSET, RefuterName.SENSITIVITY]
    )
    outcome_learner: Learner = Field(Learner.LINEAR, description="outcome model")
    propensity_learner: Learner = Field(Learner.LINEAR, description="propensity model")
    folds: Int = Field(5, ge=2, le=100, description="cross-fitting folds")
    trim: Float | None = Field(
        None, gt=0, lt=0.5, description="drop units with propensity outside [trim, 1-trim]"
    )
    simulations: Int = Field(100, ge=1, le=MAX_SIMULATIONS, description="simulations per refuter")
    adjustment: Adjustment | Annotated[list[Text], Field(max_length=MAX_LIST)] = Field(
        Adjustment.OPTIMAL,
        description="backdoor set: optimal (Henckel et al.; falls back to minimal when it holds "
                    "latent nodes), minimal, or an explicit list of columns (checked)",
    )
    terms: dict[Text, CovariateTerm] = Field(
        default_factory=dict, max_length=MAX_LIST,
        description="covariate -> linear | quadratic | cubic | categorical in the nuisance "
                    "models (text columns are categorical automatically)",
    )
    outcome_model: OutcomeModel = Field(
        OutcomeModel.AUTO, description="outcome regression for regression adjustment and AIPW"
    )
    outcome_interactions: list[Text] | None = Field(
        None, max_length=MAX_LIST,
        description="regression adjustment: covariates that interact with the treatment in one "
                    "outcome model ([] = constant effect); default: one model per arm",
    )
    effect_modifiers: list[Text] = Field(
        default_factory=list, max_length=MAX_LIST,
        description="columns along which dml / causal_forest report heterogeneous effects "
                    "(default: the adjustment set)",
    )
    implications: Bool = Field(
        True, description="test the conditional independences the graph implies"
    )
    max_implications: Int = Field(
        50, ge=1, le=MAX_LIST, description="at most this many implied independences are tested"
    )
    subset_fraction: Float = Field(
        0.8, gt=0, lt=1, description="share of the data kept by the subset refuter"
    )
    cross_check: list[CrossCheck] = Field(
        default_factory=list, description="peer libraries that re-run the estimate (dowhy)"
    )
    analysis: Analysis = Field(default_factory=Analysis)
    data: DataSource | None = Field(
        None, description="where the data are; may be omitted when data are passed "
        "(causalkit.analyze(spec, data=...) or --data)")

    @field_validator("estimators", "refuters", "cross_check")
    @classmethod
    def _once(cls, value: list[Any]) -> list[Any]:
        return unique_choices(value)

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.treatment == self.outcome:
            raise ValueError("treatment and outcome must differ")
        refuse_rollout(self.targeting, "observational data")
        tree = self.targeting.tree if self.targeting is not None else None
        if tree is not None:
            bad = sorted(columns(tree) & {self.treatment, self.outcome})
            if bad:
                role = "treatment" if bad[0] == self.treatment else "outcome"
                raise FieldError(
                    f"the rule reads {bad[0]!r}, the {role}: "
                    "selecting rows on it biases the effect; target on pre-treatment columns "
                    "(country, platform, signup cohort)", "targeting")
        return self


def refuse_rollout(targeting: Targeting | None, what: str) -> None:
    """Refuse a staged ``rollout`` on a kind whose units causalkit does not randomize.

    Example:
        >>> refuse_rollout(Targeting.model_validate({"rule": "age >= 7", "rollout": {
        ...     "by": "country", "shares": {"KR": 0.1}}}), "observational data")
        Traceback (most recent call last):
        ...
        causalkit.spec.types.FieldError: observational data are not randomized by causalkit: \
a rollout share has nothing to enroll; give targeting as a rule only (the population filter)
    """
    if targeting is not None and targeting.rollout is not None:
        raise FieldError(f"{what} are not randomized by causalkit: a rollout share has nothing "
                         "to enroll; give targeting as a rule only (the population filter)",
                         "targeting", "rollout")
