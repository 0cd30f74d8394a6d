"""Metric rules: absolute bounds, tolerance against the holder, missing/NaN/inf fail."""

from __future__ import annotations

import math

import pytest

from ci.metric_rules import Direction, MetricRule, evaluate_metric_rules

R2 = MetricRule("r2", Direction.HIGHER, minimum=0.80, tolerance=0.01)
RMSE = MetricRule("rmse", Direction.LOWER, maximum=5.0, tolerance=0.10)


def judge(rule: MetricRule, new: float | None, old: float | None, holder: bool = True) -> tuple[bool, str]:
    candidate = {} if new is None else {rule.metric: new}
    current = ({} if old is None else {rule.metric: old}) if holder else None
    [outcome] = evaluate_metric_rules([rule], candidate, current)
    return outcome.passed, outcome.reason


@pytest.mark.parametrize(
    ("new", "old", "passed"),
    [
        (0.91, 0.905, True),  # better
        (0.90, 0.905, True),  # worse, within tolerance
        (0.895, 0.905, True),  # exactly at the tolerance boundary: 0.905 - 0.01 (float rounding)
        (0.894, 0.905, False),  # beyond tolerance
        (0.79, 0.70, False),  # better than the holder but under the absolute minimum
        (0.80, 0.70, True),  # at the minimum
    ],
)
def test_higher_is_better(new: float, old: float, passed: bool) -> None:
    assert judge(R2, new, old)[0] is passed


@pytest.mark.parametrize(
    ("new", "old", "passed"),
    [
        (4.0, 4.2, True),
        (4.3, 4.2, True),  # worse by 0.1: at the boundary
        (4.31, 4.2, False),
        (5.01, 6.0, False),  # above the maximum
        (5.0, 6.0, True),
    ],
)
def test_lower_is_better(new: float, old: float, passed: bool) -> None:
    assert judge(RMSE, new, old)[0] is passed


def test_reasons_and_rule_text_carry_the_numbers() -> None:
    [outcome] = evaluate_metric_rules([R2], {"r2": 0.85}, {"r2": 0.905})
    assert outcome.rule == "≥ 0.8 and ≥ 0.905 - 0.01"
    assert outcome.reason == "0.85 is worse than the holder's 0.905 by more than 0.01"
    [outcome] = evaluate_metric_rules([R2], {"r2": 0.7}, None)
    assert outcome.rule == "≥ 0.8"
    assert outcome.reason == "0.7 is below the minimum 0.8"
    [outcome] = evaluate_metric_rules([RMSE], {"rmse": 4.0}, {"rmse": 4.2})
    assert outcome.rule == "≤ 5 and ≤ 4.2 + 0.1"


def test_no_holder_means_absolute_bounds_only() -> None:
    assert judge(R2, 0.81, None, holder=False) == (True, "")


def test_a_missing_metric_on_the_candidate_fails() -> None:
    assert judge(R2, None, 0.9) == (False, "missing on the candidate")


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_candidate_values_fail(value: float) -> None:
    passed, reason = judge(R2, value, 0.9)
    assert not passed
    assert reason.startswith("candidate value is")


def test_a_holder_without_the_metric_makes_comparison_impossible() -> None:
    assert judge(R2, 0.95, None) == (
        False,
        "missing on the current holder, so the comparison is impossible",
    )
    passed, reason = judge(R2, 0.95, math.nan)
    assert not passed
    assert "comparison is impossible" in reason


def test_a_rule_without_bounds_still_compares() -> None:
    rule = MetricRule("mae", Direction.LOWER)
    assert judge(rule, 2.0, 2.0)[0] is True
    assert judge(rule, 2.01, 2.0)[0] is False
    [outcome] = evaluate_metric_rules([rule], {"mae": 1.0}, None)
    assert outcome.rule == "lower is better (no bound)"
    assert outcome.passed


def test_several_rules_each_get_an_outcome() -> None:
    outcomes = evaluate_metric_rules([R2, RMSE], {"r2": 0.9, "rmse": 9.0}, None)
    assert [(o.metric, o.passed) for o in outcomes] == [("r2", True), ("rmse", False)]
