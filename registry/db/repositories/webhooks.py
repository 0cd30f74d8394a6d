"""Webhook subscriptions."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.db.tables import WebhookRow
from registry.domain.errors import NotFound

# What a subscription id can look like (`wh_` and hex, at most the column's 40 characters).
_PUBLIC_ID = re.compile(r"[A-Za-z0-9_\-]{1,40}")


def webhook_not_found(public_id: str) -> NotFound:
    return NotFound(f"Webhook with id={public_id} not found")


class WebhookRepository:
    def __init__(self, session: Session, dialect: str) -> None:
        self.session = session
        self.dialect = dialect

    def add(self, row: WebhookRow) -> WebhookRow:
        self.session.add(row)
        self.session.flush()
        return row

    def find(self, public_id: str) -> WebhookRow | None:
        # Anything but an id-shaped string names no subscription (and NUL cannot reach PostgreSQL).
        if not isinstance(public_id, str) or not _PUBLIC_ID.fullmatch(public_id):
            return None
        return self.session.scalars(select(WebhookRow).where(WebhookRow.public_id == public_id)).one_or_none()

    def get(self, public_id: str) -> WebhookRow:
        row = self.find(public_id)
        if row is None:
            raise webhook_not_found(public_id)
        return row

    def lock(self, public_id: str) -> WebhookRow:
        """Get the subscription and hold its row lock (PostgreSQL) until the transaction ends, so an
        admin's change and the dispatcher's auto-disable never overwrite each other."""
        stmt = select(WebhookRow).where(WebhookRow.public_id == public_id)
        if self.dialect == "postgresql":
            stmt = stmt.with_for_update()
        row = self.session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()
        if row is None:
            raise webhook_not_found(public_id)
        return row

    def by_ids(self, ids: Sequence[int]) -> dict[int, WebhookRow]:
        if not ids:
            return {}
        rows = self.session.scalars(select(WebhookRow).where(WebhookRow.id.in_(list(set(ids)))))
        return {row.id: row for row in rows}

    def lock_many(self, ids: Sequence[int]) -> list[WebhookRow]:
        """Rows locked in id order (PostgreSQL), so dispatchers recording outcomes never deadlock.

        FOR NO KEY UPDATE: only non-key columns change, so inserts of deliveries (whose foreign key
        takes KEY SHARE on the subscription) do not wait for it."""
        if not ids:
            return []
        stmt = select(WebhookRow).where(WebhookRow.id.in_(list(set(ids)))).order_by(WebhookRow.id)
        if self.dialect == "postgresql":
            stmt = stmt.with_for_update(key_share=True)
        return list(self.session.scalars(stmt.execution_options(populate_existing=True)))

    def page(self, offset: int, limit: int) -> list[WebhookRow]:
        stmt = select(WebhookRow).order_by(WebhookRow.created_at, WebhookRow.id).offset(offset).limit(limit)
        return list(self.session.scalars(stmt))

    def active(self) -> list[WebhookRow]:
        return list(self.session.scalars(select(WebhookRow).where(WebhookRow.active.is_(True))))

    def delete(self, row: WebhookRow) -> None:
        self.session.delete(row)
        self.session.flush()
