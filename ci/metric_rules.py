"""The policy file's metric rules, judged by the registry's own evaluator.

`.github/promotion-policy.yaml` writes one rule per metric: `{direction, min, max, tolerance}`. This
module owns only that format: it translates each rule into the registry's rules
(`registry.domain.gate`: `at_least`, `at_most`, `no_worse_than_current`), and words the registry's
verdict per metric for the pull-request comment. It judges nothing itself: `ci.decision` hands the
translated rules to `registry.domain.gate.evaluate`, the function Podium runs when it applies a
promotion request (DESIGN.md §3), so the gate and the registry cannot disagree on a number.

`tolerance` is an allowed *regression*: higher-is-better passes when `new ≥ holder - tolerance`,
lower-is-better when `new ≤ holder + tolerance`. (MLflow's `min_absolute_change` means the opposite, a
required improvement, so Podium does not reuse that name.) Equality passes, compared as the decimals
people write. A metric that is missing, NaN or infinite on the candidate fails; the same on the
holder makes the comparison impossible, which fails too: the remedy is a reviewed policy change.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from registry.domain import gate


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

    def gate_rules(self) -> tuple[gate.MetricRule, ...]:
        """The registry's rules this file rule stands for: its bounds, then the holder comparison
        (`r2 >= 0.8`, `r2 >= current - 0.01`), which the registry skips when nothing holds the target."""
        rules: list[gate.MetricRule] = []
        if self.minimum is not None:
            rules.append(gate.at_least(self.metric, self.minimum))
        if self.maximum is not None:
            rules.append(gate.at_most(self.metric, self.maximum))
        rules.append(
            gate.no_worse_than_current(
                self.metric, higher_is_better=self.direction is Direction.HIGHER, tolerance=self.tolerance
            )
        )
        return tuple(rules)


@dataclass(frozen=True)
class MetricOutcome:
    """The verdict on one metric, with the rule written out with its numbers for the PR comment."""

    metric: str
    candidate: float | None
    holder: float | None
    rule: str
    passed: bool
    reason: str = ""


def metric_outcome(
    rule: MetricRule,
    result: gate.GateResult,
    candidate: Mapping[str, float],
    holder: Mapping[str, float] | None,
) -> MetricOutcome:
    """One row of the comment's table from the registry's `result` for `rule.gate_rules()`.
    `holder` is None when nothing holds the target (only the bounds were judged)."""
    new = candidate.get(rule.metric)
    old = holder.get(rule.metric) if holder is not None else None
    parts = [_rule_text(o, holder is not None) for o in result.outcomes]
    text = " and ".join(p for p in parts if p) or f"{rule.direction.value} is better (no bound)"
    reasons = dict.fromkeys(_explain(o, new, old) for o in result.failures)
    return MetricOutcome(rule.metric, new, old, text, result.passed, "; ".join(reasons))


_SYMBOLS = {">=": "≥", "<=": "≤", ">": ">", "<": "<"}


def _rule_text(outcome: gate.RuleOutcome, has_holder: bool) -> str:
    rule = outcome.rule
    symbol = _SYMBOLS[rule.op]
    if not rule.relative:
        return f"{symbol} {_fmt(float(rule.value))}"
    if not has_holder:
        return ""
    held = outcome.current_value
    sign = "-" if rule.higher_is_better else "+"
    return f"{symbol} {_fmt(held) if held is not None else 'holder'} {sign} {_fmt(abs(float(rule.value)))}"


def _explain(outcome: gate.RuleOutcome, new: float | None, old: float | None) -> str:
    """Why a rule failed, in the comment's words, from the numbers the registry compared."""
    rule = outcome.rule
    value = outcome.candidate_value
    if value is None:
        return "missing on the candidate" if new is None else f"candidate value is {new}"
    if not rule.relative:
        limit = "below the minimum" if rule.higher_is_better else "above the maximum"
        return f"{_fmt(value)} is {limit} {_fmt(float(rule.value))}"
    held = outcome.current_value
    if held is None:
        if old is None:
            return "missing on the current holder, so the comparison is impossible"
        return f"the current holder's value is {old}, so the comparison is impossible"
    tolerance = _fmt(abs(float(rule.value)))
    return f"{_fmt(value)} is worse than the holder's {_fmt(held)} by more than {tolerance}"


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    if not math.isfinite(value):
        return str(value)
    return f"{value:.6g}"
