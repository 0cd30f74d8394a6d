"""Promotion requests: create, list, read, approve, reject, cancel, apply.

Every use case that changes a request takes the model's lock first and re-reads the request after
it, so concurrent approvals of one request are decided one after another: the one that makes the
request ready applies it, and the others find it applied (exactly one apply, one set of events).
A request is applied as soon as it is ready (on creation, on an approval, or on an explicit apply),
and applying re-evaluates everything (approvals, metrics, the current holder) in that transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from registry.db.tables import PromotionRequestRow, RegisteredModelRow
from registry.db.uow import UnitOfWork
from registry.domain import events
from registry.domain.entities import Page
from registry.domain.errors import Conflict, InvalidParameter, NotFound, PermissionDenied
from registry.domain.identity import Role
from registry.domain.names import parse_version, validate_model_name
from registry.domain.paging import decode_page_token, encode_page_token, fingerprint, page_size
from registry.domain.policies import parse_target
from registry.domain.promotions import (
    PODIUM_SOURCE,
    Approval,
    Decision,
    PromotionRequest,
    RequestStatus,
    parse_evidence,
    parse_external_approvals,
    validate_comment,
)
from registry.services import applying, policies
from registry.services.evaluation import approval_row, current_holder, holds_target

MAX_RESULTS_DEFAULT = 100
MAX_RESULTS_LIMIT = 1000


def parse_request_id(value: object) -> int:
    try:
        return parse_version(value, field="request_id")
    except InvalidParameter:
        raise NotFound(f"Promotion request {value!r} not found.") from None


def _locked(uow: UnitOfWork, request_id: int) -> tuple[PromotionRequestRow, RegisteredModelRow]:
    """The request, read again after taking its model's lock (so its status is the latest)."""
    found = uow.promotions.find(request_id)
    if found is None:
        raise NotFound(f"Promotion request {request_id} not found.")
    model = uow.models.lock(found[1])
    again = uow.promotions.find(request_id)
    if again is None:
        raise NotFound(f"Promotion request {request_id} not found.")
    return again[0], model


def _require_pending(row: PromotionRequestRow) -> None:
    if row.status != RequestStatus.PENDING.value:
        raise Conflict(f"Promotion request {row.id} is already {row.status}.")


def create_request(
    uow: UnitOfWork,
    model: str,
    version: object,
    target: object,
    comment: object = None,
    external_approvals: Sequence[Mapping[str, Any]] | None = None,
    evidence: Mapping[str, Any] | None = None,
) -> PromotionRequest:
    """Ask for `version` of `model` to take `target`. It is applied at once if it is ready (an
    unprotected target, or a promoter's request whose evidence satisfies the policy)."""
    name = validate_model_name(model, field="model")
    number = parse_version(version)
    wanted = parse_target(target)
    text = validate_comment(comment)
    if (external_approvals or evidence) and not uow.actor.may(Role.PROMOTER):
        raise PermissionDenied(
            "Only a promoter token (the CI identity) may attach external approvals or evidence."
        )
    external = parse_external_approvals(external_approvals)
    proof = parse_evidence(evidence)
    with uow:
        model_row = uow.models.lock(name)
        candidate = uow.versions.get(model_row, number)
        if holds_target(candidate, current_holder(uow, model_row, wanted), wanted):
            raise Conflict(f"Version {number} of model '{name}' already holds {wanted.label}.")
        existing = uow.promotions.open_request(model_row.id, str(wanted), number)
        if existing is not None:
            raise Conflict(
                f"Promotion request {existing.id} for version {number} of '{name}' to {wanted} is "
                f"already open; see `podium promote status {existing.id}`."
            )
        row = uow.promotions.add(
            PromotionRequestRow(
                registered_model_id=model_row.id,
                version=number,
                target=str(wanted),
                status=RequestStatus.PENDING.value,
                requested_by=uow.actor.name,
                comment=text,
                evidence=proof or None,
                created_at=uow.now,
                updated_at=uow.now,
            )
        )
        applying.record(uow, events.PROMOTION_REQUEST_CREATED, row, name, after={"status": row.status})
        for approval in external:
            uow.promotions.add_approval(approval_row(row.id, approval, uow.actor.name, uow.now))
            applying.record(
                uow,
                events.PROMOTION_REQUEST_APPROVED,
                row,
                name,
                reviewer=approval.reviewer,
                source=approval.source,
                url=approval.url,
                decision_comment=approval.comment,
            )
        return applying.settle(uow, model_row, row)


def _decide(uow: UnitOfWork, request_id: object, decision: Decision, comment: object) -> PromotionRequest:
    rid = parse_request_id(request_id)
    text = validate_comment(comment)
    actor = uow.actor
    verb = "approve" if decision is Decision.APPROVE else "reject"
    if not actor.may(Role.REVIEWER):
        raise PermissionDenied(
            f"To {verb} a promotion needs the reviewer role; '{actor.name}' is {actor.role.value}."
        )
    with uow:
        row, model = _locked(uow, rid)
        _require_pending(row)
        if actor.name == row.requested_by or actor.name == (row.evidence or {}).get("author"):
            raise PermissionDenied(
                f"'{actor.name}' requested promotion request {rid} and cannot {verb} it; another "
                "reviewer must (the requester may cancel it instead)."
            )
        policy = policies.effective(uow, model)
        if not policy.allows_reviewer(actor.name, actor.role, external=False):
            raise PermissionDenied(
                f"'{actor.name}' is not among the reviewers allowed by the policy of model "
                f"'{model.name}' ({', '.join(policy.allowed_reviewers)})."
            )
        mine = Approval(actor.name, decision, PODIUM_SOURCE, actor.role, text)
        uow.promotions.add_approval(approval_row(row.id, mine, actor.name, uow.now))
        row.updated_at = uow.now
        if decision is Decision.REJECT:
            row.status = RequestStatus.REJECTED.value
            row.closed_at = uow.now
            row.closed_by = actor.name
            applying.record(
                uow,
                events.PROMOTION_REQUEST_REJECTED,
                row,
                model.name,
                before={"status": RequestStatus.PENDING.value},
                after={"status": row.status},
                reviewer=actor.name,
                decision_comment=text,
            )
            approvals = uow.promotions.approvals([row.id])[row.id]
            return applying.request_entity(row, model.name, approvals)
        applying.record(
            uow,
            events.PROMOTION_REQUEST_APPROVED,
            row,
            model.name,
            reviewer=actor.name,
            source=PODIUM_SOURCE,
            decision_comment=text,
        )
        return applying.settle(uow, model, row)


def approve(uow: UnitOfWork, request_id: object, comment: object = None) -> PromotionRequest:
    """Approve as the caller (a reviewer who is not the requester, once); applies it if ready."""
    return _decide(uow, request_id, Decision.APPROVE, comment)


def reject(uow: UnitOfWork, request_id: object, comment: object = None) -> PromotionRequest:
    """Reject as the caller: the request is closed and can no longer be applied."""
    return _decide(uow, request_id, Decision.REJECT, comment)


def cancel(uow: UnitOfWork, request_id: object, comment: object = None) -> PromotionRequest:
    """Withdraw a pending request (its requester, or an admin)."""
    rid = parse_request_id(request_id)
    text = validate_comment(comment)
    actor = uow.actor
    with uow:
        row, model = _locked(uow, rid)
        _require_pending(row)
        if actor.name != row.requested_by and not actor.may(Role.ADMIN):
            raise PermissionDenied(
                f"Only its requester ({row.requested_by}) or an admin may cancel promotion request {rid}."
            )
        row.status = RequestStatus.CANCELLED.value
        row.closed_at = row.updated_at = uow.now
        row.closed_by = actor.name
        applying.record(
            uow,
            events.PROMOTION_REQUEST_CANCELLED,
            row,
            model.name,
            before={"status": RequestStatus.PENDING.value},
            after={"status": row.status},
            decision_comment=text,
        )
        return applying.request_entity(row, model.name, uow.promotions.approvals([row.id])[row.id])


def apply(uow: UnitOfWork, request_id: object) -> PromotionRequest:
    """Apply a ready request now. An applied request is returned as it is (applying twice is
    harmless); one that is not ready is refused with the reasons."""
    rid = parse_request_id(request_id)
    with uow:
        row, model = _locked(uow, rid)
        if row.status == RequestStatus.APPLIED.value:
            return applying.stored_entity(uow, row, model.name)
        _require_pending(row)
        request = applying.settle(uow, model, row)
        if request.status is not RequestStatus.APPLIED:
            assert request.evaluation is not None
            blockers = request.evaluation.blockers
            raise Conflict(
                f"Promotion request {rid} cannot be applied yet: {'; '.join(blockers)}.",
                details={"blockers": blockers},
            )
        return request


def get_request(uow: UnitOfWork, request_id: object) -> PromotionRequest:
    """A request with its evaluation: live while pending, as it was when applied afterwards."""
    rid = parse_request_id(request_id)
    with uow.reading():
        found = uow.promotions.find(rid)
        if found is None:
            raise NotFound(f"Promotion request {rid} not found.")
        row, name = found
        if row.status != RequestStatus.PENDING.value:
            return applying.stored_entity(uow, row, name)
        model = uow.models.get(name)
        evaluation, _, approvals = applying.evaluate(uow, model, row)
        return applying.request_entity(row, name, approvals, evaluation)


def list_requests(
    uow: UnitOfWork,
    *,
    model: str | None = None,
    status: str | None = None,
    target: str | None = None,
    version: object = None,
    requested_by: str | None = None,
    max_results: object = None,
    page_token: str | None = None,
) -> Page[PromotionRequest]:
    """Requests matching every given filter, newest first (without evaluations)."""
    name = validate_model_name(model, field="model") if model else None
    if status:
        try:
            status = RequestStatus(status.lower()).value
        except ValueError:
            valid = ", ".join(s.value for s in RequestStatus)
            raise InvalidParameter(
                f"Unknown status {status!r}; use one of {valid}.", field="status"
            ) from None
    wanted = str(parse_target(target)) if target else None
    number = parse_version(version) if version not in (None, "") else None
    limit = page_size(
        max_results, default=MAX_RESULTS_DEFAULT, maximum=MAX_RESULTS_LIMIT, cap=MAX_RESULTS_LIMIT
    )
    query = fingerprint("promotions", name, status, wanted, number, requested_by)
    offset = decode_page_token(page_token, query)
    with uow.reading():
        rows = uow.promotions.search(
            model=name,
            status=status or None,
            target=wanted,
            version=number,
            requested_by=requested_by or None,
            offset=offset,
            limit=limit + 1,
        )
        page = rows[:limit]
        approvals = uow.promotions.approvals([r.id for r, _ in page])
        items = [applying.request_entity(r, n, approvals[r.id]) for r, n in page]
    token = encode_page_token(offset + limit, query) if len(rows) > limit else None
    return Page(items, token)
