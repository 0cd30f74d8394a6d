"""The policy file's metric rules: translated to the registry's rules and judged by its evaluator.

Bounds, tolerance against the holder, missing/NaN/inf, and (property-based) that a file rule decides
exactly as the registry policy rules the README says it stands for.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ci.decision import judge_metrics
from ci.metric_rules import Direction, MetricOutcome, MetricRule
from registry.domain.gate import evaluate, parse_rule

R2 = MetricRule("r2", Direction.HIGHER, minimum=0.80, tolerance=0.01)
RMSE = MetricRule("rmse", Direction.LOWER, maximum=5.0, tolerance=0.10)


def outcome(rule: MetricRule, new: float | None, old: float | None, holder: bool = True) -> MetricOutcome:
    candidate = {} if new is None else {rule.metric: new}
    current = ({} if old is None else {rule.metric: old}) if holder else None
    [judged] = judge_metrics([rule], candidate, current)
    return judged


def judge(rule: MetricRule, new: float | None, old: float | None, holder: bool = True) -> tuple[bool, str]:
    judged = outcome(rule, new, old, holder)
    return judged.passed, judged.reason


def test_file_rules_translate_to_the_registrys_rules() -> None:
    assert [str(r) for r in R2.gate_rules()] == ["r2 >= 0.8", "r2 >= current - 0.01"]
    assert [str(r) for r in RMSE.gate_rules()] == ["rmse <= 5.0", "rmse <= current + 0.1"]
    both = MetricRule("auc", Direction.HIGHER, minimum=0.5, maximum=1, tolerance=0)
    assert [str(r) for r in both.gate_rules()] == ["auc >= 0.5", "auc <= 1", "auc >= current"]
    # The registry reads these back as the same rules (what `podium promote policy set --rule` takes).
    assert [parse_rule(str(r)) for r in R2.gate_rules()] == list(R2.gate_rules())


@pytest.mark.parametrize(
    ("new", "old", "passed"),
    [
        (0.91, 0.905, True),  # better
        (0.90, 0.905, True),  # worse, within tolerance
        (0.895, 0.905, True),  # exactly at the boundary 0.905 - 0.01, compared as written
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
    judged = outcome(R2, 0.85, 0.905)
    assert judged.rule == "≥ 0.8 and ≥ 0.905 - 0.01"
    assert judged.reason == "0.85 is worse than the holder's 0.905 by more than 0.01"
    assert (judged.candidate, judged.holder) == (0.85, 0.905)
    judged = outcome(R2, 0.7, None, holder=False)
    assert judged.rule == "≥ 0.8"
    assert judged.reason == "0.7 is below the minimum 0.8"
    assert outcome(RMSE, 4.0, 4.2).rule == "≤ 5 and ≤ 4.2 + 0.1"
    judged = outcome(RMSE, 6.0, 4.0)
    assert judged.reason == ("6 is above the maximum 5; 6 is worse than the holder's 4 by more than 0.1")


def test_no_holder_means_absolute_bounds_only() -> None:
    assert judge(R2, 0.81, None, holder=False) == (True, "")


def test_a_missing_metric_on_the_candidate_fails_once() -> None:
    assert judge(R2, None, 0.9) == (False, "missing on the candidate")
    assert judge(R2, None, None, holder=False) == (False, "missing on the candidate")


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_candidate_values_fail(value: float) -> None:
    passed, reason = judge(R2, value, 0.9)
    assert not passed
    assert reason == f"candidate value is {value}"


def test_a_holder_without_the_metric_makes_comparison_impossible() -> None:
    assert judge(R2, 0.95, None) == (
        False,
        "missing on the current holder, so the comparison is impossible",
    )
    assert judge(R2, 0.95, math.nan) == (
        False,
        "the current holder's value is nan, so the comparison is impossible",
    )
    assert outcome(R2, 0.95, None).rule == "≥ 0.8 and ≥ holder - 0.01"


def test_a_rule_without_bounds_still_compares() -> None:
    rule = MetricRule("mae", Direction.LOWER)
    assert judge(rule, 2.0, 2.0)[0] is True
    assert judge(rule, 2.01, 2.0)[0] is False
    judged = outcome(rule, 1.0, None, holder=False)
    assert judged.rule == "lower is better (no bound)"
    assert judged.passed


def test_several_rules_each_get_an_outcome() -> None:
    judged = judge_metrics([R2, RMSE], {"r2": 0.9, "rmse": 9.0}, None)
    assert [(o.metric, o.passed) for o in judged] == [("r2", True), ("rmse", False)]


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
unusable = st.sampled_from([None, math.nan, math.inf, -math.inf])


@st.composite
def cases(draw: st.DrawFn) -> tuple[float | None, float | None, float | None, float]:
    """(new, old, bound, tolerance) with new and the bound near `old` and `old ± tolerance`, where
    the verdict flips, and now and then a missing or non-finite value."""
    old = draw(st.floats(min_value=-1e4, max_value=1e4, allow_nan=False))
    tolerance = draw(st.sampled_from([0.0, 0.01, 0.1, 0.5, 3.0]))
    near = st.builds(lambda k: old + k * tolerance, st.sampled_from([-2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2]))
    new = draw(st.one_of(near, finite, unusable))
    bound = draw(st.one_of(st.none(), near, finite))
    return new, draw(st.one_of(st.just(old), unusable)), bound, tolerance


@given(direction=st.sampled_from(list(Direction)), case=cases(), has_holder=st.booleans())
def test_a_file_rule_decides_as_the_registry_policy_rules_it_stands_for(
    direction: Direction,
    case: tuple[float | None, float | None, float | None, float],
    has_holder: bool,
) -> None:
    """README: `{direction: higher, min: m, tolerance: t}` means the registry rules `x >= m` and
    `x >= current - t` (lower: `x <= m`, `x <= current + t`), as `podium promote policy set` takes them."""
    new, old, bound, tolerance = case
    higher = direction is Direction.HIGHER
    rule = MetricRule(
        "x",
        direction,
        minimum=bound if higher else None,
        maximum=None if higher else bound,
        tolerance=tolerance,
    )
    op, sign = (">=", "-") if higher else ("<=", "+")
    written = [f"x {op} {bound!r}"] if bound is not None else []
    written.append(f"x {op} current {sign} {tolerance!r}")
    candidate = {} if new is None else {"x": new}
    holder = ({} if old is None else {"x": old}) if has_holder else None
    [judged] = judge_metrics([rule], candidate, holder)
    registry = evaluate([parse_rule(text) for text in written], candidate, holder)
    assert judged.passed is registry.passed
