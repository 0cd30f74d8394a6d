"""Metric rules: absolute bounds, and no regression beyond a tolerance against the current holder.

A pure function of numbers. DESIGN.md §3 wants the gate and the registry to judge alike, so when the
governance rules land in `registry.domain`, `evaluate_metric_rules` is the one function to replace with
the registry's evaluator (same inputs: rules, candidate metrics, holder metrics or None).

`tolerance` is an allowed *regression*: higher-is-better passes when `new ≥ holder - tolerance`,
lower-is-better when `new ≤ holder + tolerance`. (MLflow's `min_absolute_change` means the opposite, a
required improvement, so Podium does not reuse that name.) Equality passes. A metric that is missing,
NaN or infinite on the candidate fails; the same on the holder makes the comparison impossible, which
fails too: the remedy is a reviewed policy change, not a silent pass.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum


class Direction(StrEnum):
    HIGHER = "higher"
    LOWER = "lower"


@dataclass(frozen=True)
class MetricRule:
    """One metric's rule. `minimum`/`maximum` are absolute bounds; `tolerance` is against the holder."""

    metric: str
    direction: Direction
    minimum: float | None = None
    maximum: float | None = None
    tolerance: float = 0.0


@dataclass(frozen=True)
class MetricOutcome:
    """The verdict on one metric, with the rule written out with its numbers for the PR comment."""

    metric: str
    candidate: float | None
    holder: float | None
    rule: str
    passed: bool
    reason: str = ""


def evaluate_metric_rules(
    rules: Sequence[MetricRule],
    candidate: Mapping[str, float],
    holder: Mapping[str, float] | None,
) -> list[MetricOutcome]:
    """Judge the candidate's metrics. `holder` is None when nothing holds the target yet."""
    return [_evaluate(rule, candidate, holder) for rule in rules]


def _evaluate(
    rule: MetricRule, candidate: Mapping[str, float], holder: Mapping[str, float] | None
) -> MetricOutcome:
    new = candidate.get(rule.metric)
    old = holder.get(rule.metric) if holder is not None else None
    parts: list[str] = []
    failures: list[str] = []
    if rule.minimum is not None:
        parts.append(f"≥ {_fmt(rule.minimum)}")
    if rule.maximum is not None:
        parts.append(f"≤ {_fmt(rule.maximum)}")
    if holder is not None:
        sign, op = ("-", "≥") if rule.direction is Direction.HIGHER else ("+", "≤")
        holder_text = _fmt(old) if old is not None and math.isfinite(old) else "holder"
        parts.append(f"{op} {holder_text} {sign} {_fmt(rule.tolerance)}")
    text = " and ".join(parts) or f"{rule.direction.value} is better (no bound)"

    if new is None:
        return MetricOutcome(rule.metric, None, old, text, False, "missing on the candidate")
    if not math.isfinite(new):
        return MetricOutcome(rule.metric, new, old, text, False, f"candidate value is {new}")
    if rule.minimum is not None and not _at_least(new, rule.minimum):
        failures.append(f"{_fmt(new)} is below the minimum {_fmt(rule.minimum)}")
    if rule.maximum is not None and not _at_least(rule.maximum, new):
        failures.append(f"{_fmt(new)} is above the maximum {_fmt(rule.maximum)}")
    if holder is not None:
        if old is None:
            failures.append("missing on the current holder, so the comparison is impossible")
        elif not math.isfinite(old):
            failures.append(f"the current holder's value is {old}, so the comparison is impossible")
        elif not _within_tolerance(rule, new, old):
            failures.append(
                f"{_fmt(new)} is worse than the holder's {_fmt(old)} by more than {_fmt(rule.tolerance)}"
            )
    return MetricOutcome(rule.metric, new, old, text, not failures, "; ".join(failures))


def _within_tolerance(rule: MetricRule, new: float, old: float) -> bool:
    if rule.direction is Direction.HIGHER:
        return _at_least(new, old - rule.tolerance)
    return _at_least(old + rule.tolerance, new)


def _at_least(value: float, bound: float) -> bool:
    """`value ≥ bound`, where a difference of float rounding (0.905 - 0.01) still counts as equal."""
    return value >= bound or math.isclose(value, bound, rel_tol=1e-9, abs_tol=1e-12)


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.6g}"
