"""Applying a promotion request, and the request as the registry shows it and records it.

`settle` evaluates a pending request and applies it when it is ready; `apply_now` moves the target
(and archives the previous holder if the policy says so), closes the request and records it, all in
the caller's transaction, after the caller took the model's lock.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from registry.db.tables import ApprovalRow, PromotionRequestRow, RegisteredModelRow
from registry.db.uow import UnitOfWork
from registry.domain import events
from registry.domain.policies import Policy, TargetKind, parse_target
from registry.domain.promotions import (
    Evaluation,
    PromotionRequest,
    RequestStatus,
    evaluation_data,
    evaluation_from_data,
)
from registry.domain.stages import Stage
from registry.services import aliases, policies, versions
from registry.services.evaluation import approval_entity, evaluate_request


def request_entity(
    row: PromotionRequestRow,
    model: str,
    approvals: list[ApprovalRow],
    evaluation: Evaluation | None = None,
) -> PromotionRequest:
    return PromotionRequest(
        id=row.id,
        model=model,
        version=row.version,
        target=parse_target(row.target),
        status=RequestStatus(row.status),
        requested_by=row.requested_by,
        comment=row.comment or "",
        created_at=row.created_at,
        updated_at=row.updated_at,
        approvals=tuple(approval_entity(a) for a in approvals),
        evidence=dict(row.evidence or {}),
        closed_at=row.closed_at,
        closed_by=row.closed_by,
        previous_version=row.previous_version,
        evaluation=evaluation,
    )


def event_data(row: PromotionRequestRow, model: str, **more: Any) -> dict[str, Any]:
    """What every promotion_request.* event carries."""
    return {
        "request_id": row.id,
        "model": model,
        "version": str(row.version),
        "target": row.target,
        "status": row.status,
        "requested_by": row.requested_by,
        "comment": row.comment or "",
        **({"evidence": dict(row.evidence)} if row.evidence else {}),
        **more,
    }


def record(
    uow: UnitOfWork,
    kind: str,
    row: PromotionRequestRow,
    model: str,
    *,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    **more: Any,
) -> None:
    uow.record(
        events.Event(
            kind,
            model,
            event_data(row, model, **more),
            before=before,
            after=after,
            version=row.version,
            promotion_request_id=row.id,
        )
    )


def evaluate(
    uow: UnitOfWork, model: RegisteredModelRow, row: PromotionRequestRow
) -> tuple[Evaluation, Policy, list[ApprovalRow]]:
    approvals = uow.promotions.approvals([row.id])[row.id]
    policy = policies.effective(uow, model)
    return evaluate_request(uow, model, row, approvals, policy), policy, approvals


def settle(uow: UnitOfWork, model: RegisteredModelRow, row: PromotionRequestRow) -> PromotionRequest:
    """Evaluate a pending request and apply it if it is ready; the request as it stands after."""
    evaluation, policy, approvals = evaluate(uow, model, row)
    if evaluation.ready:
        apply_now(uow, model, row, evaluation, policy)
    return request_entity(row, model.name, approvals, evaluation)


def apply_now(
    uow: UnitOfWork,
    model: RegisteredModelRow,
    row: PromotionRequestRow,
    evaluation: Evaluation,
    policy: Policy,
) -> None:
    """Move the target, archive the previous holder if the policy says so, close the request and
    record it all (inside the caller's transaction)."""
    target = parse_target(row.target)
    candidate = uow.versions.find(model.id, row.version)
    assert candidate is not None  # the evaluation checked it exists
    extra = {"promotion_request_id": row.id}
    archived: list[int] = []
    if target.kind is TargetKind.ALIAS:
        previous = aliases.move_alias(
            uow, model, target.name, candidate, promotion_request_id=row.id, extra=extra
        )
        if policy.archive_previous and previous is not None and previous != candidate.version:
            holder = uow.versions.find(model.id, previous)
            if holder is not None and holder.stage != Stage.ARCHIVED.value:
                versions.move_stage(
                    uow, model, holder, Stage.ARCHIVED, promotion_request_id=row.id, extra=extra
                )
                archived.append(previous)
    else:
        previous = evaluation.current_version
        archive = policy.archive_previous and target.stage in versions.ACTIVE_STAGES
        archived = versions.move_stage(
            uow, model, candidate, target.stage, archive, promotion_request_id=row.id, extra=extra
        )
    row.status = RequestStatus.APPLIED.value
    row.closed_at = row.updated_at = uow.now
    row.closed_by = uow.actor.name
    row.previous_version = previous
    row.evaluation = evaluation_data(evaluation)
    record(
        uow,
        events.PROMOTION_REQUEST_APPLIED,
        row,
        model.name,
        before={"target": row.target, "version": previous},
        after={"target": row.target, "version": row.version},
        previous_version=str(previous) if previous is not None else None,
        archived_versions=[str(v) for v in archived],
        approved_by=list(evaluation.approvals.counted),
        evaluation=row.evaluation,
    )


def stored_entity(uow: UnitOfWork, row: PromotionRequestRow, model: str) -> PromotionRequest:
    evaluation = evaluation_from_data(row.evaluation) if row.evaluation else None
    return request_entity(row, model, uow.promotions.approvals([row.id])[row.id], evaluation)
