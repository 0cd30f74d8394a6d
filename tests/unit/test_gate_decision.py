"""The decision logic, with an in-memory registry standing in for Podium.

This is the one place a fake registry is used: it lets the rules be tested for metric values and
stages exhaustively. The end-to-end tests run the same code against a real `podium server`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from ci.approvals import ApprovalTally
from ci.decision import (
    ChangeAssessment,
    ModelAssessment,
    Verdict,
    assess_change,
    decide,
    failed_closed,
)
from ci.metric_rules import Direction, MetricRule
from ci.policy import Rules
from ci.registry_port import (
    Evidence,
    ModelState,
    PromotionRequest,
    Registry,
    VersionInfo,
)
from ci.targets import Change
from registry.domain.policies import Target, alias_target, stage_target
from registry.domain.stages import Stage

RULES = Rules(
    metrics=(
        MetricRule("r2", Direction.HIGHER, minimum=0.8, tolerance=0.01),
        MetricRule("rmse", Direction.LOWER, maximum=5.0, tolerance=0.1),
    )
)
CHAMPION = alias_target("champion")


@dataclass
class FakeRegistry:
    versions: dict[int, VersionInfo] = field(default_factory=dict)
    run_metrics: dict[int, dict[str, float]] = field(default_factory=dict)
    metric_reads: list[int] = field(default_factory=list)

    def add(
        self, version: int, stage: Stage = Stage.NONE, tags: Mapping[str, str] | None = None, **metrics: float
    ) -> None:
        self.versions[version] = VersionInfo(
            "house-prices", version, stage, f"run{version}", dict(tags or {})
        )
        self.run_metrics[version] = dict(metrics)

    def model_state(self, model: str) -> ModelState | None:
        return ModelState(model)

    def version(self, model: str, version: int) -> VersionInfo | None:
        return self.versions.get(version)

    def metrics(self, model: str, version: int) -> Mapping[str, float]:
        self.metric_reads.append(version)
        return self.run_metrics.get(version, {})

    def request_promotion(self, change: Change, evidence: Evidence, comment: str) -> PromotionRequest:
        raise AssertionError("the decision never writes")

    def apply_promotion(self, request: PromotionRequest) -> PromotionRequest:
        raise AssertionError("the decision never writes")


def assess(
    registry: Registry, to: int, holder: int | None, rules: Rules = RULES, target: Target = CHAMPION
) -> ChangeAssessment:
    return assess_change(Change("house-prices", target, holder, to), rules, registry, holder)


def test_better_than_the_champion_passes() -> None:
    registry = FakeRegistry()
    registry.add(6, r2=0.905, rmse=4.2)
    registry.add(7, r2=0.91, rmse=4.0)
    result = assess(registry, 7, 6)
    assert result.passed
    assert result.reasons == []
    assert [(m.metric, m.candidate, m.holder) for m in result.metrics] == [
        ("r2", 0.91, 0.905),
        ("rmse", 4.0, 4.2),
    ]


def test_worse_than_the_champion_beyond_tolerance_fails_with_the_reason() -> None:
    registry = FakeRegistry()
    registry.add(6, r2=0.905, rmse=4.2)
    registry.add(7, r2=0.85, rmse=4.0)
    result = assess(registry, 7, 6)
    assert not result.passed
    assert result.reasons == [
        "house-prices @champion: v6 → v7: r2: 0.85 is worse than the holder's 0.905 by more than 0.01"
    ]


def test_below_the_absolute_bound_fails() -> None:
    registry = FakeRegistry()
    registry.add(7, r2=0.75, rmse=4.0)
    result = assess(registry, 7, None)
    assert result.reasons == ["house-prices @champion: nothing → v7: r2: 0.75 is below the minimum 0.8"]
    assert result.notes == ("nothing holds the target yet: absolute bounds only",)


def test_missing_and_nan_metrics_fail() -> None:
    registry = FakeRegistry()
    registry.add(6, r2=0.9, rmse=4.0)
    registry.add(7, rmse=math.nan)
    result = assess(registry, 7, 6)
    assert result.reasons == [
        "house-prices @champion: v6 → v7: r2: missing on the candidate",
        "house-prices @champion: v6 → v7: rmse: candidate value is nan",
    ]


def test_a_version_podium_does_not_have_fails() -> None:
    registry = FakeRegistry()
    result = assess(registry, 9, None)
    assert result.reasons == ["house-prices @champion: nothing → v9: version 9 does not exist in Podium"]
    assert registry.metric_reads == []


def test_an_archived_version_cannot_become_champion() -> None:
    registry = FakeRegistry()
    registry.add(5, Stage.ARCHIVED, r2=0.95, rmse=3.0)
    result = assess(registry, 5, None)
    assert result.reasons == ["house-prices @champion: nothing → v5: version 5 is Archived"]


def test_the_candidate_already_holding_the_target_is_no_change() -> None:
    registry = FakeRegistry()
    registry.add(7, r2=0.1)
    result = assess(registry, 7, 7)
    assert result.passed
    assert result.notes == ("already holds the target: no change",)
    assert registry.metric_reads == []


def test_archiving_takes_no_metric_rules() -> None:
    registry = FakeRegistry()
    registry.add(4, r2=0.1)
    result = assess(registry, 4, None, target=stage_target(Stage.ARCHIVED))
    assert result.passed
    assert registry.metric_reads == []


def test_compare_tag_must_match() -> None:
    rules = Rules(compare_tag="eval_dataset", metrics=RULES.metrics)
    registry = FakeRegistry()
    registry.add(6, tags={"eval_dataset": "holdout-2026q2"}, r2=0.9, rmse=4.0)
    registry.add(7, tags={"eval_dataset": "holdout-2026q3"}, r2=0.95, rmse=3.0)
    result = assess(registry, 7, 6, rules)
    assert result.reasons == [
        "house-prices @champion: v6 → v7: tag eval_dataset differs (v7: holdout-2026q3, "
        "v6: holdout-2026q2); scores from different evaluations do not compare"
    ]
    registry.add(7, tags={"eval_dataset": "holdout-2026q2"}, r2=0.95, rmse=3.0)
    assert assess(registry, 7, 6, rules).passed


def test_decide_combines_models_and_approvals() -> None:
    registry = FakeRegistry()
    registry.add(6, r2=0.9, rmse=4.0)
    registry.add(7, r2=0.92, rmse=3.9)
    change = assess_change(Change("house-prices", CHAMPION, 6, 7), RULES, registry, 6)
    approved = ApprovalTally(1, ("alice",))
    unapproved = ApprovalTally(1, ())

    passing = decide([ModelAssessment("house-prices", "promotions/house-prices.yaml", (change,), approved)])
    assert passing.verdict is Verdict.PASS
    assert passing.headline == "1 change approved and within the metric rules"
    assert passing.changed_models == ["house-prices"]

    failing = decide([ModelAssessment("house-prices", "promotions/house-prices.yaml", (change,), unapproved)])
    assert failing.verdict is Verdict.FAIL
    assert failing.reasons == ("house-prices: approvals: 0 of 1 required approvals",)

    problems = decide([ModelAssessment("x", "promotions/x.yaml", problems=("promotions/x.yaml:3: bad",))])
    assert problems.reasons == ("promotions/x.yaml:3: bad",)

    assert decide([]).verdict is Verdict.SKIP
    assert decide([], ["policy missing"]).verdict is Verdict.FAIL
    assert failed_closed("Podium unreachable").verdict is Verdict.ERROR


def test_a_version_already_in_a_shared_stage_holds_it() -> None:
    """Several versions can be in Staging; the latest is the holder, but v7 being there is enough."""
    registry = FakeRegistry()
    registry.add(7, Stage.STAGING, r2=0.1)
    registry.add(8, Stage.STAGING, r2=0.9, rmse=1.0)
    result = assess(registry, 7, 8, target=stage_target(Stage.STAGING))
    assert result.passed
    assert result.notes == ("already holds the target: no change",)
    assert registry.metric_reads == []
