"""The audit history: a model's changes, and which version held a target at a point in time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from registry.db.tables import AuditEventRow
from registry.db.uow import UnitOfWork
from registry.domain import events
from registry.domain.entities import Page
from registry.domain.errors import InvalidPageToken, InvalidParameter, NotFound
from registry.domain.history import AuditEntry, Holding, TargetHolders, parse_time
from registry.domain.names import validate_model_name
from registry.domain.paging import decode_page_token, encode_page_token, fingerprint, page_size
from registry.domain.policies import TargetKind, parse_target

MAX_RESULTS_DEFAULT = 100
MAX_RESULTS_LIMIT = 1000
_ACTION = set(events.REGISTRY_EVENT_TYPES) | set(events.GOVERNANCE_EVENT_TYPES)


def entry(row: AuditEventRow) -> AuditEntry:
    return AuditEntry(
        event_id=row.event_id,
        occurred_at=row.occurred_at,
        actor=row.actor,
        action=row.action,
        model=row.model,
        version=row.version,
        before=row.before,
        after=row.after,
        data=row.data,
        promotion_request_id=row.promotion_request_id,
        request_id=row.request_id,
    )


def _model_key(uow: UnitOfWork, name: str) -> int:
    key = uow.history.model_key(name)
    if key is None:
        raise NotFound(f"No history for a model named '{name}'.")
    return key


def model_history(
    uow: UnitOfWork,
    name: str,
    *,
    actions: Sequence[str] | None = None,
    before: object = None,
    max_results: object = None,
    page_token: str | None = None,
) -> Page[AuditEntry]:
    """A model's changes, newest first, across renames (and after its deletion, by its last name).

    `actions` keeps only those event types; `before` (ISO 8601 or ms) only what happened up to then.
    """
    name = validate_model_name(name)
    wanted = sorted(set(actions or ()))
    unknown = [a for a in wanted if a not in _ACTION]
    if unknown:
        raise InvalidParameter(f"Unknown action(s): {', '.join(unknown)}.", field="action")
    until = parse_time(before, field="before") if before not in (None, "") else None
    limit = page_size(
        max_results, default=MAX_RESULTS_DEFAULT, maximum=MAX_RESULTS_LIMIT, cap=MAX_RESULTS_LIMIT
    )
    query = fingerprint("history", name, wanted, until)
    after_id = decode_page_token(page_token, query)
    with uow.reading():
        key = _model_key(uow, name)
        cursor = None
        if after_id:
            cursor = uow.history.position(key, after_id)
            if cursor is None:
                raise InvalidPageToken("Invalid page token: its position is not in this history.")
        rows = uow.history.entries(key, actions=wanted, before=until, after=cursor, limit=limit + 1)
        items = [entry(r) for r in rows[:limit]]
    # Keyset paging (the last row's position), so events recorded meanwhile never shift a page.
    token = encode_page_token(rows[limit - 1].id, query) if len(rows) > limit else None
    return Page(items, token)


def _holding(uow: UnitOfWork, key: int, row: AuditEventRow, version: int) -> Holding:
    data: dict[str, Any] = dict(row.data or {})
    approved_by: tuple[str, ...] = ()
    evidence: dict[str, Any] = {}
    if row.promotion_request_id is not None:
        applied = uow.history.applied_event(key, row.promotion_request_id)
        if applied is not None:
            approved_by = tuple(applied.data.get("approved_by", ()))
            evidence = dict(applied.data.get("evidence") or {})
    return Holding(
        version=version,
        since=row.occurred_at,
        set_by=row.actor,
        event_id=row.event_id,
        promotion_request_id=row.promotion_request_id,
        forced=bool(data.get("forced")),
        reason=data.get("reason"),
        approved_by=approved_by,
        evidence=evidence,
    )


def holders_at(uow: UnitOfWork, name: str, target: object, at: object = None) -> TargetHolders:
    """Which version held `target` of model `name` at `at` (ISO 8601 or ms; default now), since
    when, set by whom, and who approved it."""
    name = validate_model_name(name)
    wanted = parse_target(target)
    with uow.reading():
        moment = parse_time(at) if at not in (None, "") else uow.now
        key = _model_key(uow, name)
        holders: list[Holding] = []
        if wanted.kind is TargetKind.ALIAS:
            for row in uow.history.alias_events(key, wanted.name, moment):
                if row.action == events.MODEL_VERSION_ALIAS_SET:
                    holders.append(_holding(uow, key, row, int(row.data["version"])))
                    break
                if row.action == events.MODEL_VERSION_DELETED and wanted.name not in row.data.get(
                    "aliases", ()
                ):
                    continue  # another version went; the alias stayed where it was
                break  # deleted alias, deleted holder, deleted model: nothing held it
        else:
            inside: dict[int, AuditEventRow] = {}
            for row in uow.history.stage_events(key, wanted.name, moment):
                if row.action == events.REGISTERED_MODEL_DELETED:
                    inside.clear()
                elif row.action == events.MODEL_VERSION_DELETED:
                    inside.pop(int(row.data["version"]), None)
                elif row.data.get("to_stage") == wanted.name:
                    inside[int(row.data["version"])] = row
                else:
                    inside.pop(int(row.data["version"]), None)
            holders = [_holding(uow, key, row, v) for v, row in sorted(inside.items(), reverse=True)]
        return TargetHolders(name, wanted, moment, tuple(holders))
