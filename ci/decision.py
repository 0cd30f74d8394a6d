"""The gate's verdict: each requested change judged against the registry, then all of them together.

`judge_change` is pure (versions and metrics in, assessment out); `assess_change` fetches its inputs
through the `Registry` port. Both `podium gate check` and `podium gate apply` use them, so the pull
request and the merge are judged by the same rules. Metric rules are judged by the registry's own
evaluator (`registry.domain.gate.evaluate`), the one Podium runs when it applies a promotion request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from ci.approvals import ApprovalTally
from ci.metric_rules import MetricOutcome, MetricRule, metric_outcome
from ci.policy import Rules
from ci.registry_port import Registry, VersionInfo
from ci.targets import Change
from registry.domain.gate import evaluate
from registry.domain.policies import Target, TargetKind
from registry.domain.stages import Stage


@dataclass(frozen=True)
class ChangeAssessment:
    change: Change
    holder: int | None
    problems: tuple[str, ...] = ()
    metrics: tuple[MetricOutcome, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.problems and all(m.passed for m in self.metrics)

    @property
    def reasons(self) -> list[str]:
        failed = [f"{m.metric}: {m.reason}" for m in self.metrics if not m.passed]
        return [f"{self.change}: {text}" for text in (*self.problems, *failed)]


def judge_change(
    change: Change,
    rules: Rules,
    *,
    candidate: VersionInfo | None,
    holder: VersionInfo | None,
    candidate_metrics: Mapping[str, float],
    holder_metrics: Mapping[str, float] | None,
) -> ChangeAssessment:
    """Judge one change from what the registry knows. `holder` is the version holding the target now."""
    holder_number = holder.version if holder is not None else None
    if candidate is None:
        return ChangeAssessment(
            change, holder_number, (f"version {change.to_version} does not exist in Podium",)
        )
    if holds(change.target, candidate, holder):
        return ChangeAssessment(change, holder_number, notes=("already holds the target: no change",))
    if not change.target.takes_metric_rules:
        return ChangeAssessment(change, holder_number, notes=("retiring a version: no metric rules",))
    problems: list[str] = []
    notes: list[str] = []
    if candidate.stage is Stage.ARCHIVED and change.target in rules.gated_targets:
        problems.append(f"version {candidate.version} is Archived")
    if holder is None:
        notes.append("nothing holds the target yet: absolute bounds only")
    elif rules.compare_tag is not None:
        mine, theirs = candidate.tags.get(rules.compare_tag), holder.tags.get(rules.compare_tag)
        if mine is None or mine != theirs:
            problems.append(
                f"tag {rules.compare_tag} differs (v{candidate.version}: {mine or 'unset'}, "
                f"v{holder.version}: {theirs or 'unset'}); scores from different evaluations do not compare"
            )
    outcomes = judge_metrics(rules.metrics, candidate_metrics, holder_metrics if holder is not None else None)
    return ChangeAssessment(change, holder_number, tuple(problems), outcomes, tuple(notes))


def judge_metrics(
    rules: Sequence[MetricRule], candidate: Mapping[str, float], holder: Mapping[str, float] | None
) -> tuple[MetricOutcome, ...]:
    """Each file rule judged by the registry's evaluator; `holder` is None when nothing holds the
    target (then only the absolute bounds apply, as in Podium)."""
    judged = ((rule, evaluate(rule.gate_rules(), candidate, holder)) for rule in rules)
    return tuple(metric_outcome(rule, result, candidate, holder) for rule, result in judged)


def holds(target: Target, candidate: VersionInfo, holder: VersionInfo | None) -> bool:
    """Whether the candidate already has the target. A stage can hold several versions (only the
    latest is the "holder" compared against), so a version already in the stage holds it too."""
    if target.kind is TargetKind.STAGE:
        return candidate.stage.value == target.name
    return holder is not None and holder.version == candidate.version


def assess_change(
    change: Change, rules: Rules, registry: Registry, holder_version: int | None
) -> ChangeAssessment:
    """Fetch what `judge_change` needs from the registry. Registry errors propagate (fail closed)."""
    candidate = registry.version(change.model, change.to_version)
    holder = registry.version(change.model, holder_version) if holder_version is not None else None
    judge_metrics = (
        candidate is not None
        and change.target.takes_metric_rules
        and bool(rules.metrics)
        and not holds(change.target, candidate, holder)
    )
    candidate_metrics = registry.metrics(change.model, change.to_version) if judge_metrics else {}
    holder_metrics = (
        registry.metrics(change.model, holder.version) if judge_metrics and holder is not None else None
    )
    return judge_change(
        change,
        rules,
        candidate=candidate,
        holder=holder,
        candidate_metrics=candidate_metrics,
        holder_metrics=holder_metrics,
    )


@dataclass(frozen=True)
class ModelAssessment:
    """One promotion file's changes, with the approvals its gated targets needed (None: none did)."""

    model: str
    path: str
    changes: tuple[ChangeAssessment, ...] = ()
    approvals: ApprovalTally | None = None
    problems: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        approved = self.approvals is None or self.approvals.passed
        return not self.problems and approved and all(c.passed for c in self.changes)

    @property
    def reasons(self) -> list[str]:
        reasons = list(self.problems)
        if self.approvals is not None and not self.approvals.passed:
            reasons.append(f"{self.model}: approvals: {self.approvals.reason}")
        for change in self.changes:
            reasons.extend(change.reasons)
        return reasons


class Verdict(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"
    ERROR = "error"


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    headline: str
    models: tuple[ModelAssessment, ...] = ()
    reasons: tuple[str, ...] = field(default_factory=tuple)

    @property
    def changed_models(self) -> list[str]:
        return sorted({m.model for m in self.models})


def decide(models: Sequence[ModelAssessment], problems: Sequence[str] = ()) -> Decision:
    """Pass iff every model passes; reasons name every failure."""
    reasons = [*problems, *(r for m in models for r in m.reasons)]
    if not models and not problems:
        return Decision(Verdict.SKIP, "no promotion in this pull request")
    if reasons:
        return Decision(Verdict.FAIL, reasons[0], tuple(models), tuple(reasons))
    count = sum(len(m.changes) for m in models)
    return Decision(
        Verdict.PASS,
        f"{count} change{'s' if count != 1 else ''} approved and within the metric rules",
        tuple(models),
    )


def skipped(headline: str) -> Decision:
    return Decision(Verdict.SKIP, headline)


def failed_closed(reason: str) -> Decision:
    """Anything that stopped the gate from judging: never a pass."""
    return Decision(Verdict.ERROR, reason, reasons=(reason,))
