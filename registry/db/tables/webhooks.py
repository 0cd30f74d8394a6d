"""Webhook subscriptions, the deliveries the relay fans events out to, and every attempt's record.

An outbox event (tables/events.py) becomes one `deliveries` row per subscription that wants it. A
delivery is the unit the dispatcher claims, sends and retries; its `webhook-id` is the event's id, so
it stays the same across retries and redeliveries. `delivery_attempts` is append-only: one row per
HTTP attempt, kept for the delivery log.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from registry.db.base import Base, BigId, JsonType


class WebhookRow(Base):
    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # What both APIs call the webhook's id ("wh_" + hex), stable and unguessable.
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(256))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(Text)
    # GitHub targets: {"owner", "repo", "event_type", "api_url"}.
    target: Mapped[dict[str, Any] | None] = mapped_column()
    events: Mapped[list[str]] = mapped_column(JsonType)
    model_filter: Mapped[str | None] = mapped_column(String(256))
    flavor: Mapped[str] = mapped_column(String(16), default="podium")
    # Fernet tokens (registry.db.secrets): the signing secret, the one it replaced during a rotation,
    # and a GitHub target's token. Never stored in clear.
    secret_sealed: Mapped[str | None] = mapped_column(Text)
    previous_secret_sealed: Mapped[str | None] = mapped_column(Text)
    previous_secret_until: Mapped[int | None] = mapped_column(BigInteger)
    credential_sealed: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    disabled_at: Mapped[int | None] = mapped_column(BigInteger)
    # Start of the current run of failed attempts (None after a success): drives auto-disabling.
    failing_since: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[str] = mapped_column(String(256))


class DeliveryRow(Base):
    __tablename__ = "deliveries"
    __table_args__ = (
        # The dispatcher's claim: due pending rows, and in-flight rows whose lease expired.
        Index("ix_deliveries_due", "status", "next_attempt_at"),
        Index("ix_deliveries_webhook", "webhook_id", "id"),
        Index("ix_deliveries_event", "event_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("outbox_events.id"))
    status: Mapped[str] = mapped_column(String(16))
    # A test ping: one attempt, sent even to a disabled subscription, never counted against it.
    test: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Attempts since the last (re)delivery: the position in the retry schedule.
    round_attempts: Mapped[int] = mapped_column(Integer, default=0)
    redeliveries: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[int] = mapped_column(BigInteger)
    # The dispatcher holding an in-flight delivery, and until when; another may take it after.
    lease_until: Mapped[int | None] = mapped_column(BigInteger)
    claim: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[int] = mapped_column(BigInteger)
    last_attempt_at: Mapped[int | None] = mapped_column(BigInteger)
    delivered_at: Mapped[int | None] = mapped_column(BigInteger)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)


class DeliveryAttemptRow(Base):
    __tablename__ = "delivery_attempts"
    __table_args__ = (Index("ix_delivery_attempts_delivery", "delivery_id", "number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    redelivery: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[int] = mapped_column(BigInteger)
    duration_ms: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    # At most a short excerpt, shown only to admins: a receiver's body is never reflected further.
    response_excerpt: Mapped[str | None] = mapped_column(Text)
    dispatcher: Mapped[str] = mapped_column(String(128))
