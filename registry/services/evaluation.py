"""Evaluating a promotion request inside a transaction: policy, approvals, metrics, current holder.

The judgement itself is pure (registry.domain.gate and .promotions); this module gathers what it
needs from the database: the effective policy, the version that holds the target now, and both
versions' metrics (see registry.db.repositories.version_metrics for where metrics come from).
"""

from __future__ import annotations

from registry.db.tables import ApprovalRow, ModelVersionRow, PromotionRequestRow, RegisteredModelRow
from registry.db.uow import UnitOfWork
from registry.domain.gate import GateResult, evaluate
from registry.domain.identity import Role
from registry.domain.policies import Policy, Target, TargetKind, parse_target, stage_target
from registry.domain.promotions import (
    Approval,
    ApprovalTally,
    Check,
    Decision,
    Evaluation,
    tally,
)
from registry.domain.stages import Stage


def approval_entity(row: ApprovalRow) -> Approval:
    return Approval(
        reviewer=row.reviewer,
        decision=Decision(row.decision),
        source=row.source,
        role=Role(row.role) if row.role else None,
        comment=row.comment or "",
        url=row.url,
        recorded_by=row.recorded_by,
        created_at=row.created_at,
    )


def approval_row(request_id: int, a: Approval, recorded_by: str, now: int) -> ApprovalRow:
    return ApprovalRow(
        request_id=request_id,
        reviewer=a.reviewer,
        source=a.source,
        role=a.role.value if a.role is not None else None,
        decision=a.decision.value,
        comment=a.comment,
        url=a.url,
        recorded_by=recorded_by,
        created_at=now,
    )


def version_metrics(uow: UnitOfWork, row: ModelVersionRow) -> tuple[dict[str, float], str]:
    """A version's metrics and where they were read: its source run's latest values, then its
    logged model's for keys the run lacks; `podium.metric.*` tags only when it has neither."""
    values: dict[str, float] = {}
    sources: list[str] = []
    if row.run_id and (run := uow.metrics.run_metrics(row.run_id)) is not None:
        values.update(run)
        sources.append(f"run {row.run_id}")
    if row.logged_model_id and (logged := uow.metrics.logged_model_metrics(row.logged_model_id)) is not None:
        for key, value in logged.items():
            values.setdefault(key, value)
        sources.append(f"logged model {row.logged_model_id}")
    if not sources:
        return uow.metrics.tag_metrics(row.id), "version tags podium.metric.*"
    return values, " and ".join(sources)


def current_holder(uow: UnitOfWork, model: RegisteredModelRow, target: Target) -> ModelVersionRow | None:
    """The version holding `target` now; for a stage, the newest version in it."""
    if target.kind is TargetKind.ALIAS:
        return uow.versions.by_alias(model.id, target.name)
    newest = uow.versions.latest_per_stage([model.id], [target.name])[model.id]
    return newest[0] if newest else None


def holds_target(candidate: ModelVersionRow, holder: ModelVersionRow | None, target: Target) -> bool:
    """Does `candidate` hold `target` already (for a stage: is it in that stage)?"""
    if target.kind is TargetKind.STAGE:
        return candidate.stage == target.name
    return holder is not None and holder.id == candidate.id


def evaluate_request(
    uow: UnitOfWork,
    model: RegisteredModelRow,
    request: PromotionRequestRow,
    approvals: list[ApprovalRow],
    policy: Policy,
) -> Evaluation:
    """Judge `request` against `policy` and the registry as it is now."""
    target = parse_target(request.target)
    candidate = uow.versions.find(model.id, request.version)
    evidence = request.evidence or {}
    if candidate is None:
        gone = Check("candidate exists", False, f"version {request.version} has been deleted")
        return Evaluation(
            True, ApprovalTally(policy.required_approvals), GateResult(()), (gone,), evaluated_at=uow.now
        )
    entering = policy.protects(target)
    leaving = (
        target.kind is TargetKind.STAGE
        and candidate.stage != target.name
        and policy.protects(stage_target(candidate.stage))
    )
    protected = entering or leaving
    counted = tally(
        policy,
        policy.required_approvals if protected else 0,
        request.requested_by,
        evidence.get("author"),
        [approval_entity(a) for a in approvals],
    )
    holder = current_holder(uow, model, target)
    holds = holds_target(candidate, holder, target)
    checks: list[Check] = []
    gate = GateResult(())
    sources: dict[str, str] = {}
    if entering:
        if target != stage_target(Stage.ARCHIVED):
            archived = candidate.stage == Stage.ARCHIVED.value
            checks.append(
                Check(
                    "candidate not archived",
                    not archived,
                    f"version {candidate.version} is Archived" if archived else "ok",
                )
            )
        if policy.rules:
            mine, sources[str(candidate.version)] = version_metrics(uow, candidate)
            theirs: dict[str, float] | None = None
            if holder is not None and not holds:
                theirs, sources[str(holder.version)] = version_metrics(uow, holder)
            gate = evaluate(policy.rules, mine, theirs, candidate_holds_target=holds)
    return Evaluation(
        protected=protected,
        approvals=counted,
        gate=gate,
        checks=tuple(checks),
        current_version=holder.version if holder is not None else None,
        metric_sources=sources,
        evaluated_at=uow.now,
    )
