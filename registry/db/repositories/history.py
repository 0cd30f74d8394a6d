"""Queries over the append-only audit history (`audit_events`).

Every query is bounded to one model by `model_key` (the model's id, which survives renames) and
walks the `(model_key, occurred_at)` index backwards from a point in time, so "what held @champion
at T" reads the few rows just before T instead of scanning the table. Per-model writes are
serialised and stamped after the model's lock is taken, so (occurred_at, id) orders a model's rows
as they happened.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from registry.db.tables import AuditEventRow, RegisteredModelRow
from registry.domain import events

ALIAS_ACTIONS = (events.MODEL_VERSION_ALIAS_SET, events.MODEL_VERSION_ALIAS_DELETED)
BATCH = 200


class HistoryRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def model_key(self, name: str) -> int | None:
        """The id of the model called `name` now or, for a deleted model, when it last had that name."""
        current = self.session.scalar(select(RegisteredModelRow.id).where(RegisteredModelRow.name == name))
        if current is not None:
            return int(current)
        past = self.session.scalar(
            select(AuditEventRow.model_key)
            .where(AuditEventRow.model == name, AuditEventRow.model_key.is_not(None))
            .order_by(AuditEventRow.occurred_at.desc(), AuditEventRow.id.desc())
            .limit(1)
        )
        return int(past) if past is not None else None

    def position(self, model_key: int, row_id: int) -> tuple[int, int] | None:
        """(occurred_at, id) of one of the model's rows: where a page of its history ended."""
        found = self.session.execute(
            select(AuditEventRow.occurred_at, AuditEventRow.id).where(
                AuditEventRow.id == row_id, AuditEventRow.model_key == model_key
            )
        ).one_or_none()
        return (int(found[0]), int(found[1])) if found is not None else None

    def entries(
        self,
        model_key: int,
        *,
        actions: Sequence[str] | None,
        before: int | None,
        after: tuple[int, int] | None,
        limit: int,
    ) -> list[AuditEventRow]:
        """A model's history, newest first: up to `before` (ms) if given, and past the position
        `after` (the last row of the previous page) if given."""
        stmt = select(AuditEventRow).where(AuditEventRow.model_key == model_key)
        if actions:
            stmt = stmt.where(AuditEventRow.action.in_(list(actions)))
        if before is not None:
            stmt = stmt.where(AuditEventRow.occurred_at <= before)
        if after is not None:
            at, row_id = after
            stmt = stmt.where(
                or_(
                    AuditEventRow.occurred_at < at,
                    and_(AuditEventRow.occurred_at == at, AuditEventRow.id < row_id),
                )
            )
        stmt = stmt.order_by(AuditEventRow.occurred_at.desc(), AuditEventRow.id.desc()).limit(limit)
        return list(self.session.scalars(stmt))

    def _alias_query(self, model_key: int, alias: str, at: int) -> Select[AuditEventRow]:
        """Rows that can decide who held `alias` at `at`, newest first: its sets and deletes, and
        deletions of versions or of the model (which take the alias with them)."""
        return (
            select(AuditEventRow)
            .where(
                AuditEventRow.model_key == model_key,
                AuditEventRow.occurred_at <= at,
                or_(
                    and_(
                        AuditEventRow.action.in_(ALIAS_ACTIONS),
                        AuditEventRow.data["alias"].as_string() == alias,
                    ),
                    AuditEventRow.action.in_([events.MODEL_VERSION_DELETED, events.REGISTERED_MODEL_DELETED]),
                ),
            )
            .order_by(AuditEventRow.occurred_at.desc(), AuditEventRow.id.desc())
        )

    def alias_events(self, model_key: int, alias: str, at: int) -> Iterator[AuditEventRow]:
        """`_alias_query`'s rows in batches, for a caller that stops at the first deciding row."""
        offset = 0
        while True:
            rows = list(
                self.session.scalars(self._alias_query(model_key, alias, at).offset(offset).limit(BATCH))
            )
            yield from rows
            if len(rows) < BATCH:
                return
            offset += BATCH

    def stage_events(self, model_key: int, stage: str, at: int) -> list[AuditEventRow]:
        """Rows that moved a version into or out of `stage` up to `at` (with version and model
        deletions), oldest first."""
        stmt = (
            select(AuditEventRow)
            .where(
                AuditEventRow.model_key == model_key,
                AuditEventRow.occurred_at <= at,
                or_(
                    and_(
                        AuditEventRow.action == events.MODEL_VERSION_STAGE_TRANSITIONED,
                        or_(
                            AuditEventRow.data["to_stage"].as_string() == stage,
                            AuditEventRow.data["from_stage"].as_string() == stage,
                        ),
                    ),
                    AuditEventRow.action.in_([events.MODEL_VERSION_DELETED, events.REGISTERED_MODEL_DELETED]),
                ),
            )
            .order_by(AuditEventRow.occurred_at.asc(), AuditEventRow.id.asc())
        )
        return list(self.session.scalars(stmt))

    def applied_event(self, model_key: int, promotion_request_id: int) -> AuditEventRow | None:
        """The `promotion_request.applied` row of a request (it lists the approvals counted)."""
        return self.session.scalars(
            select(AuditEventRow).where(
                AuditEventRow.model_key == model_key,
                AuditEventRow.promotion_request_id == promotion_request_id,
                AuditEventRow.action == events.PROMOTION_REQUEST_APPLIED,
            )
        ).first()
