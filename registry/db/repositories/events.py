"""Writes events to the outbox and the audit history (both in the caller's transaction)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.db.tables import AuditEventRow, OutboxEventRow
from registry.domain.events import Event


def new_event_id() -> str:
    # Standard Webhooks asks for ids without '.', stable per event: a uuid4 in hex is both.
    return "evt_" + uuid.uuid4().hex


class EventRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def append(
        self,
        event: Event,
        *,
        actor: str,
        now: int,
        sequence: int | None,
        model_key: int | None,
        request_id: str | None,
    ) -> str:
        event_id = new_event_id()
        data: dict[str, Any] = dict(event.data)
        self.session.add(
            OutboxEventRow(
                event_id=event_id,
                type=event.type,
                model=event.model,
                sequence=sequence,
                actor=actor,
                occurred_at=now,
                data=data,
            )
        )
        self.session.add(
            AuditEventRow(
                event_id=event_id,
                occurred_at=now,
                actor=actor,
                action=event.type,
                model=event.model,
                model_key=model_key,
                version=event.version,
                before=dict(event.before) if event.before is not None else None,
                after=dict(event.after) if event.after is not None else None,
                data=data,
                request_id=request_id,
                promotion_request_id=event.promotion_request_id,
            )
        )
        return event_id

    def history(
        self, model_key: int, *, limit: int = 100, before_id: int | None = None
    ) -> list[AuditEventRow]:
        stmt = select(AuditEventRow).where(AuditEventRow.model_key == model_key)
        if before_id is not None:
            stmt = stmt.where(AuditEventRow.id < before_id)
        return list(self.session.scalars(stmt.order_by(AuditEventRow.id.desc()).limit(limit)))
