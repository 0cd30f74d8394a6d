"""The pure metric gate: rule parsing and judgement (shared with the GitHub gate)."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from registry.domain.errors import InvalidParameter
from registry.domain.gate import (
    MetricRule,
    at_least,
    at_most,
    evaluate,
    evaluate_rule,
    no_worse_than_current,
    parse_rule,
)


@pytest.mark.parametrize(
    ("text", "rule", "canonical"),
    [
        ("r2_score >= 0.40", MetricRule("r2_score", ">=", Decimal("0.40")), "r2_score >= 0.40"),
        ("mse<=3500", MetricRule("mse", "<=", Decimal("3500")), "mse <= 3500"),
        ("loss < -1e-3", MetricRule("loss", "<", Decimal("-0.001")), "loss < -0.001"),
        (
            "r2_score >= current - 0.01",
            MetricRule("r2_score", ">=", Decimal("-0.01"), relative=True),
            "r2_score >= current - 0.01",
        ),
        ("mse <= current+10", MetricRule("mse", "<=", Decimal("10"), relative=True), "mse <= current + 10"),
        ("auc > current", MetricRule("auc", ">", Decimal(0), relative=True), "auc > current"),
        (
            "val/top-1 acc.x >= 0.9",
            MetricRule("val/top-1 acc.x", ">=", Decimal("0.9")),
            "val/top-1 acc.x >= 0.9",
        ),
    ],
)
def test_rules_parse_and_print_back(text: str, rule: MetricRule, canonical: str) -> None:
    parsed = parse_rule(text)
    assert parsed == rule
    assert str(parsed) == canonical
    assert parse_rule(str(parsed)) == parsed


@pytest.mark.parametrize(
    "text",
    [
        "",
        "r2_score",
        "r2_score = 0.4",
        "r2_score >= nan",
        "r2_score >= inf",
        ">= 0.4",
        "r2 >= current * 2",
        "r2 >= current - -0.1",
        "r2 >= 0x10",
        "r2 >= current - ",
    ],
)
def test_bad_rules_are_refused_with_the_rule_named(text: str) -> None:
    with pytest.raises(InvalidParameter) as info:
        parse_rule(text)
    assert info.value.field == "rules"


def test_constructors_for_the_github_gate_spell_the_same_rules() -> None:
    assert at_least("r2", 0.8) == parse_rule("r2 >= 0.8")
    assert at_most("rmse", "5.0") == parse_rule("rmse <= 5.0")
    assert no_worse_than_current("r2", higher_is_better=True, tolerance=0.01) == parse_rule(
        "r2 >= current - 0.01"
    )
    assert no_worse_than_current("rmse", higher_is_better=False, tolerance="0.1") == parse_rule(
        "rmse <= current + 0.1"
    )
    with pytest.raises(InvalidParameter):
        no_worse_than_current("r2", higher_is_better=True, tolerance=-1)


def test_absolute_rules_in_both_directions() -> None:
    assert evaluate_rule(parse_rule("r2 >= 0.4"), {"r2": 0.41}, None).passed
    assert evaluate_rule(parse_rule("r2 >= 0.4"), {"r2": 0.4}, None).passed  # equality passes
    failed = evaluate_rule(parse_rule("r2 >= 0.4"), {"r2": 0.39}, None)
    assert not failed.passed
    assert (failed.candidate_value, failed.bound) == (0.39, 0.4)
    assert "0.39 >= 0.4 fails" in failed.reason
    assert evaluate_rule(parse_rule("mse <= 3500"), {"mse": 3499.5}, None).passed
    assert not evaluate_rule(parse_rule("mse <= 3500"), {"mse": 3500.01}, None).passed
    assert not evaluate_rule(parse_rule("mse < 3500"), {"mse": 3500}, None).passed


def test_relative_rules_compare_with_the_current_holder_with_tolerance() -> None:
    higher = parse_rule("r2 >= current - 0.01")
    assert evaluate_rule(higher, {"r2": 0.90}, {"r2": 0.905}).passed
    boundary = evaluate_rule(higher, {"r2": 0.895}, {"r2": 0.905})
    assert boundary.passed  # equality at the tolerance passes
    assert boundary.bound == 0.895
    assert boundary.current_value == 0.905
    assert not evaluate_rule(higher, {"r2": 0.8949}, {"r2": 0.905}).passed
    # The boundary as people write it: 0.4 - 0.1 is 0.3. In binary floating point it is
    # 0.30000000000000004, and a candidate at exactly 0.3 would wrongly fail.
    assert 0.4 - 0.1 > 0.3
    assert evaluate_rule(parse_rule("r2 >= current - 0.1"), {"r2": 0.3}, {"r2": 0.4}).passed
    lower = parse_rule("rmse <= current + 0.1")
    assert evaluate_rule(lower, {"rmse": 5.1}, {"rmse": 5.0}).passed
    assert not evaluate_rule(lower, {"rmse": 5.2}, {"rmse": 5.0}).passed


def test_relative_rules_without_a_holder_or_with_the_candidate_holding_pass() -> None:
    rule = parse_rule("r2 >= current + 0.05")  # requires an improvement
    alone = evaluate_rule(rule, {"r2": 0.1}, None)
    assert alone.passed
    assert "nothing holds the target" in alone.reason
    itself = evaluate_rule(rule, {"r2": 0.1}, {"r2": 0.1}, candidate_holds_target=True)
    assert itself.passed
    assert "already holds" in itself.reason


@pytest.mark.parametrize("bad", [None, math.nan, math.inf, -math.inf, "0.5", True])
def test_a_missing_or_non_finite_candidate_metric_fails(bad: object) -> None:
    values = {} if bad is None else {"r2": bad}
    for rule in ("r2 >= 0.1", "r2 >= current - 1"):
        outcome = evaluate_rule(parse_rule(rule), values, {"r2": 0.5})  # type: ignore[arg-type]
        assert not outcome.passed
        assert outcome.candidate_value is None
        assert "of the candidate is" in outcome.reason


@pytest.mark.parametrize("bad", [None, math.nan, math.inf])
def test_a_missing_or_non_finite_holder_metric_makes_the_comparison_fail(bad: float | None) -> None:
    current = {} if bad is None else {"r2": bad}
    outcome = evaluate_rule(parse_rule("r2 >= current - 0.01"), {"r2": 0.9}, current)
    assert not outcome.passed
    assert "cannot compare" in outcome.reason


def test_evaluate_judges_every_rule() -> None:
    rules = [
        parse_rule("r2_score >= 0.40"),
        parse_rule("r2_score >= current - 0.01"),
        parse_rule("mse <= 3500"),
    ]
    result = evaluate(rules, {"r2_score": 0.45, "mse": 3600.0}, {"r2_score": 0.47})
    assert [o.passed for o in result.outcomes] == [True, False, False]
    assert not result.passed
    assert [str(o.rule) for o in result.failures] == ["r2_score >= current - 0.01", "mse <= 3500"]
    assert evaluate([], {}, None).passed
