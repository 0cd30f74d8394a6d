"""Metric rules and their evaluation: the one judgement both the registry and the GitHub gate use.

A rule compares one metric of the candidate version with a bound: an absolute number
(`r2_score >= 0.40`, `mse <= 3500`) or the same metric of the version that currently holds the
target, with a tolerance (`r2_score >= current - 0.01`, `mse <= current + 10`). The comparison
operator gives the direction: `>=`/`>` mean higher is better, `<=`/`<` lower is better.

Numbers are compared as decimals built from their shortest text form, so a boundary people write
(`0.905 - 0.01` against `0.895`) behaves as written instead of as binary floating point would.
A metric that is missing, NaN or infinite fails: a gate that cannot judge must not pass.

Pure standard library; `ci` imports this module, so keep it free of registry state.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from registry.domain.errors import InvalidParameter

CURRENT = "current"
OPERATORS: dict[str, Callable[[Decimal, Decimal], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
}
# MLflow metric keys: alphanumerics, '_', '-', '.', ' ' and '/'.
_METRIC = r"[A-Za-z0-9_\-./ ]{1,250}"
_RULE = re.compile(
    rf"^\s*(?P<metric>{_METRIC}?)\s*(?P<op>>=|<=|>|<)\s*"
    rf"(?:(?P<current>{CURRENT})\s*(?:(?P<sign>[+-])\s*(?P<offset>\S+))?|(?P<bound>\S+))\s*$"
)


def _decimal(text: str, rule: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InvalidParameter(f"Metric rule {rule!r}: {text!r} is not a number.", field="rules") from None
    if not value.is_finite():
        raise InvalidParameter(f"Metric rule {rule!r}: the bound must be a finite number.", field="rules")
    return value


@dataclass(frozen=True)
class MetricRule:
    """`metric op bound` (absolute) or `metric op current + offset` (relative to the holder)."""

    metric: str
    op: str
    value: Decimal
    relative: bool = False

    def __post_init__(self) -> None:
        if self.op not in OPERATORS:
            raise InvalidParameter(f"Unknown comparison {self.op!r}; use >=, >, <= or <.", field="rules")
        if not re.fullmatch(_METRIC, self.metric) or self.metric != self.metric.strip():
            raise InvalidParameter(f"Invalid metric name {self.metric!r}.", field="rules")

    @property
    def higher_is_better(self) -> bool:
        return self.op in (">=", ">")

    def __str__(self) -> str:
        if not self.relative:
            return f"{self.metric} {self.op} {self.value}"
        if self.value == 0:
            return f"{self.metric} {self.op} {CURRENT}"
        sign = "-" if self.value < 0 else "+"
        return f"{self.metric} {self.op} {CURRENT} {sign} {abs(self.value)}"


def parse_rule(text: object) -> MetricRule:
    """Parse `r2_score >= 0.40`, `mse <= 3500`, `r2_score >= current - 0.01`, `mse <= current`."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidParameter("A metric rule must be a non-empty string.", field="rules")
    match = _RULE.match(text)
    if match is None:
        raise InvalidParameter(
            f"Cannot read metric rule {text!r}: write `<metric> <op> <number>` or "
            "`<metric> <op> current [+|- <number>]` with op one of >=, >, <=, <.",
            field="rules",
        )
    metric, op = match["metric"].strip(), match["op"]
    if match["current"]:
        offset = _decimal(match["offset"], text) if match["offset"] else Decimal(0)
        if offset < 0:
            raise InvalidParameter(
                f"Metric rule {text!r}: write the sign once (current - 0.01).", field="rules"
            )
        return MetricRule(metric, op, -offset if match["sign"] == "-" else offset, relative=True)
    return MetricRule(metric, op, _decimal(match["bound"], text))


def at_least(metric: str, bound: float | str) -> MetricRule:
    """Higher is better, with a floor: `metric >= bound`."""
    return MetricRule(metric, ">=", Decimal(str(bound)))


def at_most(metric: str, bound: float | str) -> MetricRule:
    """Lower is better, with a ceiling: `metric <= bound`."""
    return MetricRule(metric, "<=", Decimal(str(bound)))


def no_worse_than_current(metric: str, *, higher_is_better: bool, tolerance: float | str = 0) -> MetricRule:
    """`metric >= current - tolerance` (or `<= current + tolerance`): the regression allowed."""
    allowed = Decimal(str(tolerance))
    if not allowed.is_finite() or allowed < 0:
        raise InvalidParameter(f"Tolerance for {metric!r} must be a number >= 0.", field="rules")
    if higher_is_better:
        return MetricRule(metric, ">=", -allowed, relative=True)
    return MetricRule(metric, "<=", allowed, relative=True)


@dataclass(frozen=True)
class RuleOutcome:
    """One rule judged: the values compared, the bound they were compared with, and why."""

    rule: MetricRule
    passed: bool
    candidate_value: float | None
    current_value: float | None
    bound: float | None
    reason: str


@dataclass(frozen=True)
class GateResult:
    outcomes: tuple[RuleOutcome, ...]

    @property
    def passed(self) -> bool:
        return all(o.passed for o in self.outcomes)

    @property
    def failures(self) -> list[RuleOutcome]:
        return [o for o in self.outcomes if not o.passed]


def _usable(values: Mapping[str, float] | None, metric: str) -> float | None:
    if values is None:
        return None
    value = values.get(metric)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _describe(value: object) -> str:
    if value is None:
        return "missing"
    return f"{value!r} (not a finite number)"


def _exact(value: float) -> Decimal:
    # repr gives the shortest text that reads back as the same float: what was logged, as written.
    return Decimal(repr(value))


def evaluate_rule(
    rule: MetricRule,
    candidate: Mapping[str, float],
    current: Mapping[str, float] | None,
    *,
    candidate_holds_target: bool = False,
) -> RuleOutcome:
    """Judge one rule. `current` is None when nothing holds the target yet."""
    raw = candidate.get(rule.metric)
    value = _usable(candidate, rule.metric)
    if value is None:
        return RuleOutcome(
            rule, False, None, None, None, f"{rule.metric} of the candidate is {_describe(raw)}"
        )
    if not rule.relative:
        ok = OPERATORS[rule.op](_exact(value), rule.value)
        verdict = "passes" if ok else "fails"
        return RuleOutcome(
            rule, ok, value, None, float(rule.value), f"{value!r} {rule.op} {rule.value} {verdict}"
        )
    if candidate_holds_target:
        return RuleOutcome(rule, True, value, value, None, "the candidate already holds the target")
    if current is None:
        return RuleOutcome(
            rule, True, value, None, None, "nothing holds the target yet: only absolute rules apply"
        )
    raw_current = current.get(rule.metric)
    held = _usable(current, rule.metric)
    if held is None:
        return RuleOutcome(
            rule,
            False,
            value,
            None,
            None,
            f"{rule.metric} of the current holder is {_describe(raw_current)}: cannot compare",
        )
    bound = _exact(held) + rule.value
    ok = OPERATORS[rule.op](_exact(value), bound)
    verdict = "passes" if ok else "fails"
    return RuleOutcome(
        rule,
        ok,
        value,
        held,
        float(bound),
        f"{value!r} {rule.op} {bound} ({CURRENT} {held!r}"
        + (f" {'+' if rule.value > 0 else '-'} {abs(rule.value)}" if rule.value else "")
        + f") {verdict}",
    )


def evaluate(
    rules: Iterable[MetricRule],
    candidate: Mapping[str, float],
    current: Mapping[str, float] | None,
    *,
    candidate_holds_target: bool = False,
) -> GateResult:
    """Judge every rule against the candidate's metrics (and the current holder's, if any)."""
    return GateResult(
        tuple(
            evaluate_rule(r, candidate, current, candidate_holds_target=candidate_holds_target) for r in rules
        )
    )
