"""Promotion policies: set, read and delete a model's policy or the server-wide default (admins)."""

from __future__ import annotations

from collections.abc import Iterable

from registry.db.tables import PolicyRow, RegisteredModelRow
from registry.db.tables.governance import DEFAULT_SCOPE, MODEL_SCOPE
from registry.db.uow import UnitOfWork
from registry.domain import events
from registry.domain.errors import NotFound
from registry.domain.gate import MetricRule, parse_rule
from registry.domain.names import validate_model_name
from registry.domain.policies import NO_POLICY, Policy, build_policy, parse_target


def policy_entity(row: PolicyRow, model: str | None) -> Policy:
    return Policy(
        protected=tuple(parse_target(t) for t in row.protected),
        required_approvals=row.required_approvals,
        allowed_reviewers=tuple(row.allowed_reviewers),
        rules=tuple(parse_rule(r) for r in row.rules),
        archive_previous=row.archive_previous,
        model=model,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
        scope=row.scope,
    )


def effective(uow: UnitOfWork, model: RegisteredModelRow) -> Policy:
    """The policy that governs `model` now (inside the caller's transaction)."""
    row = uow.policies.effective(model.id)
    if row is None:
        return NO_POLICY
    return policy_entity(row, model.name if row.scope == MODEL_SCOPE else None)


def policy_data(policy: Policy) -> dict[str, object]:
    """A policy as JSON-ready values (for events and the audit history)."""
    return {
        "model": policy.model,
        "scope": policy.scope,
        "protected": [str(t) for t in policy.protected],
        "required_approvals": policy.required_approvals,
        "allowed_reviewers": list(policy.allowed_reviewers),
        "rules": [str(r) for r in policy.rules],
        "archive_previous": policy.archive_previous,
    }


def set_policy(
    uow: UnitOfWork,
    model: str | None,
    *,
    protected: Iterable[object] = (),
    required_approvals: object = 0,
    allowed_reviewers: Iterable[object] = (),
    rules: Iterable[object | MetricRule] = (),
    archive_previous: object = False,
) -> Policy:
    """Create or replace the policy of `model` (None: the server-wide default)."""
    name = validate_model_name(model, field="model") if model is not None else None
    policy = build_policy(
        protected=protected,
        required_approvals=required_approvals,
        allowed_reviewers=allowed_reviewers,
        rules=rules,
        archive_previous=archive_previous,
        model=name,
    )
    with uow:
        model_row = uow.models.lock(name) if name is not None else None
        row = uow.policies.for_model(model_row.id) if model_row is not None else uow.policies.default()
        before = policy_data(policy_entity(row, name)) if row is not None else None
        if row is None:
            row = PolicyRow(
                scope=MODEL_SCOPE if model_row is not None else DEFAULT_SCOPE,
                registered_model_id=model_row.id if model_row is not None else None,
            )
        row.protected = [str(t) for t in policy.protected]
        row.required_approvals = policy.required_approvals
        row.allowed_reviewers = list(policy.allowed_reviewers)
        row.rules = [str(r) for r in policy.rules]
        row.archive_previous = policy.archive_previous
        row.updated_at = uow.now
        row.updated_by = uow.actor.name
        if row.id is None:
            uow.policies.add(row)
        stored = policy_entity(row, name)
        after = policy_data(stored)
        uow.record(events.Event(events.POLICY_SET, name, after, before=before, after=after))
        return stored


def get_policy(uow: UnitOfWork, model: str | None) -> Policy | None:
    """The policy stored for `model` (None: the default), or None when there is none."""
    name = validate_model_name(model, field="model") if model is not None else None
    with uow.reading():
        row = uow.policies.default() if name is None else uow.policies.for_model(uow.models.get(name).id)
        return policy_entity(row, name) if row is not None else None


def get_effective_policy(uow: UnitOfWork, model: str) -> Policy:
    """The policy that governs `model`: its own, else the default, else NO_POLICY (scope "none")."""
    name = validate_model_name(model, field="model")
    with uow.reading():
        return effective(uow, uow.models.get(name))


def list_policies(uow: UnitOfWork) -> list[Policy]:
    with uow.reading():
        return [policy_entity(row, name) for row, name in uow.policies.all()]


def delete_policy(uow: UnitOfWork, model: str | None) -> None:
    """Remove the policy of `model` (or the default). Its targets are unprotected from now on
    (a model without a policy of its own falls back to the default)."""
    name = validate_model_name(model, field="model") if model is not None else None
    with uow:
        model_row = uow.models.lock(name) if name is not None else None
        row = uow.policies.for_model(model_row.id) if model_row is not None else uow.policies.default()
        if row is None:
            what = f"model {name!r}" if name is not None else "the server (default policy)"
            raise NotFound(f"No policy is set for {what}.")
        before = policy_data(policy_entity(row, name))
        uow.policies.delete(row)
        uow.record(events.Event(events.POLICY_DELETED, name, {"model": name}, before=before))
