"""Events as written by the unit of work: the outbox (for webhooks) and the audit history."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from registry.db.base import Base, BigId


class OutboxEventRow(Base):
    """One event waiting to be turned into webhook deliveries; written in the change's transaction."""

    __tablename__ = "outbox_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    type: Mapped[str] = mapped_column(String(64))
    model: Mapped[str | None] = mapped_column(String(256))
    sequence: Mapped[int | None] = mapped_column(BigInteger)
    actor: Mapped[str] = mapped_column(String(256))
    occurred_at: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[dict[str, Any]] = mapped_column()
    # Set once the relay has fanned the event out to deliveries.
    relayed_at: Mapped[int | None] = mapped_column(BigInteger, index=True)


class AuditEventRow(Base):
    """Append-only history: who did what, before → after, when, under which request."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_model_key_time", "model_key", "occurred_at"),
        Index("ix_audit_events_model_time", "model", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    occurred_at: Mapped[int] = mapped_column(BigInteger)
    actor: Mapped[str] = mapped_column(String(256))
    action: Mapped[str] = mapped_column(String(64))
    # The model's name at the time, and its stable id (survives renames; no FK: survives deletes).
    model: Mapped[str | None] = mapped_column(String(256))
    model_key: Mapped[int | None] = mapped_column(BigInteger)
    version: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[dict[str, Any] | None] = mapped_column()
    after: Mapped[dict[str, Any] | None] = mapped_column()
    data: Mapped[dict[str, Any]] = mapped_column()
    request_id: Mapped[str | None] = mapped_column(String(64))
    promotion_request_id: Mapped[int | None] = mapped_column(BigInteger)
