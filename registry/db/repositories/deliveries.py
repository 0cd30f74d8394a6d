"""Deliveries: the relay's fan-out, the dispatcher's claims and outcomes, and the delivery log.

The claim follows the outbox pattern for several consumers: on PostgreSQL the due rows are selected
`FOR UPDATE SKIP LOCKED`, so concurrent dispatchers take disjoint rows without waiting on each other,
and marked in flight with a lease in the same short transaction, committed before any HTTP call. A
dispatcher that dies leaves its rows in flight; once the lease expires any dispatcher reclaims them.
SQLite has one writer at a time (BEGIN IMMEDIATE) and one dispatcher, so the same statements need
no row locks there. Every statement touches one table, as the claim must (joins and SKIP LOCKED
combine badly).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, or_, select, text, update
from sqlalchemy.orm import Session

from registry.db.tables import DeliveryAttemptRow, DeliveryRow, OutboxEventRow, WebhookRow
from registry.domain.errors import NotFound
from registry.domain.webhooks import DeliveryStatus

PENDING = DeliveryStatus.PENDING.value
IN_FLIGHT = DeliveryStatus.IN_FLIGHT.value
DELIVERED = DeliveryStatus.DELIVERED.value
FAILED = DeliveryStatus.FAILED.value
WAKE_CHANNEL = "podium_webhooks"


@dataclass(frozen=True)
class Claimed:
    """A delivery this dispatcher now holds, until `lease_until` or its outcome is recorded."""

    id: int
    webhook_id: int
    event_id: int
    attempts: int
    round_attempts: int
    redeliveries: int
    test: bool
    # The attempt before this one was lost (its dispatcher stopped before recording an outcome).
    reclaimed: bool


@dataclass(frozen=True)
class Finished:
    """A delivery after an attempt, as its row records it."""

    delivery_id: int
    claim: str
    status: str
    next_attempt_at: int
    attempted_at: int
    status_code: int | None
    error: str | None
    delivered_at: int | None = None

    def params(self) -> dict[str, Any]:
        return {
            "o_id": self.delivery_id,
            "o_claim": self.claim,
            "o_status": self.status,
            "o_next": self.next_attempt_at,
            "o_delivered": self.delivered_at,
            "o_attempted": self.attempted_at,
            "o_code": self.status_code,
            "o_error": self.error,
        }


@dataclass(frozen=True)
class LogRow:
    delivery: DeliveryRow
    event_id: str
    event_type: str
    model: str | None
    webhook_id: str


def _due(now: int) -> Any:
    return or_(
        and_(DeliveryRow.status == PENDING, DeliveryRow.next_attempt_at <= now),
        and_(DeliveryRow.status == IN_FLIGHT, DeliveryRow.lease_until < now),
    )


def _log_select() -> Any:
    """Deliveries with their event's id, type and model and their subscription's public id."""
    return (
        select(
            DeliveryRow,
            OutboxEventRow.event_id,
            OutboxEventRow.type,
            OutboxEventRow.model,
            WebhookRow.public_id,
        )
        .join(OutboxEventRow, OutboxEventRow.id == DeliveryRow.event_id)
        .join(WebhookRow, WebhookRow.id == DeliveryRow.webhook_id)
    )


class DeliveryRepository:
    def __init__(self, session: Session, dialect: str) -> None:
        self.session = session
        self.dialect = dialect

    def wake_dispatchers(self) -> None:
        """On PostgreSQL, wake LISTENing dispatchers at commit (inserts wake them by trigger)."""
        if self.dialect == "postgresql":
            self.session.execute(text("SELECT pg_notify(:channel, 'deliveries')"), {"channel": WAKE_CHANNEL})

    # -- the relay ---------------------------------------------------------------------------
    def has_unrelayed(self) -> bool:
        stmt = select(OutboxEventRow.id).where(OutboxEventRow.relayed_at.is_(None)).limit(1)
        return self.session.execute(stmt).first() is not None

    def unrelayed(self, limit: int) -> list[OutboxEventRow]:
        """The oldest events not yet fanned out, locked (PostgreSQL) against other relays."""
        stmt = select(OutboxEventRow).where(OutboxEventRow.relayed_at.is_(None)).order_by(OutboxEventRow.id)
        stmt = stmt.limit(limit)
        if self.dialect == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        return list(self.session.scalars(stmt))

    def fan_out(self, pairs: Sequence[tuple[int, int]], now: int) -> None:
        """One pending delivery per (event row id, webhook row id), due now."""
        if not pairs:
            return
        self.session.execute(
            insert(DeliveryRow),
            [
                {
                    "event_id": event_id,
                    "webhook_id": webhook_id,
                    "status": PENDING,
                    "test": False,
                    "attempts": 0,
                    "round_attempts": 0,
                    "redeliveries": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
                for event_id, webhook_id in pairs
            ],
        )

    def mark_relayed(self, event_row_ids: Sequence[int], now: int) -> None:
        if event_row_ids:
            self.session.execute(
                update(OutboxEventRow)
                .where(OutboxEventRow.id.in_(list(event_row_ids)))
                .values(relayed_at=now)
            )

    # -- the dispatcher ----------------------------------------------------------------------
    def has_due(self, now: int) -> bool:
        return self.session.execute(select(DeliveryRow.id).where(_due(now)).limit(1)).first() is not None

    def next_due_at(self) -> int | None:
        """When the earliest pending delivery falls due (to sleep until then, not longer)."""
        stmt = select(func.min(DeliveryRow.next_attempt_at)).where(DeliveryRow.status == PENDING)
        value = self.session.execute(stmt).scalar_one_or_none()
        return int(value) if value is not None else None

    def claim(self, now: int, lease_until: int, claim: str, limit: int) -> list[Claimed]:
        """Take up to `limit` due deliveries: in flight, leased to `claim` until `lease_until`."""
        pick = select(DeliveryRow.id, DeliveryRow.status).where(_due(now))
        pick = pick.order_by(DeliveryRow.next_attempt_at, DeliveryRow.id).limit(limit)
        if self.dialect == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        picked = {int(row_id): status for row_id, status in self.session.execute(pick)}
        if not picked:
            return []
        result = self.session.execute(
            update(DeliveryRow)
            .where(DeliveryRow.id.in_(list(picked)), _due(now))
            .values(
                status=IN_FLIGHT,
                lease_until=lease_until,
                claim=claim,
                attempts=DeliveryRow.attempts + 1,
                round_attempts=DeliveryRow.round_attempts + 1,
            )
            .returning(
                DeliveryRow.id,
                DeliveryRow.webhook_id,
                DeliveryRow.event_id,
                DeliveryRow.attempts,
                DeliveryRow.round_attempts,
                DeliveryRow.redeliveries,
                DeliveryRow.test,
            )
            .execution_options(synchronize_session=False)
        )
        return [
            Claimed(
                id=row.id,
                webhook_id=row.webhook_id,
                event_id=row.event_id,
                attempts=row.attempts,
                round_attempts=row.round_attempts,
                redeliveries=row.redeliveries,
                test=bool(row.test),
                reclaimed=picked[row.id] == IN_FLIGHT,
            )
            for row in result
        ]

    def release_all_in_flight(self, now: int) -> int:
        """Make every in-flight delivery due again. Only for a dispatcher that knows it is the only
        one (SQLite's, holding the dispatcher lock): whoever held them has stopped."""
        result = self.session.execute(
            update(DeliveryRow).where(DeliveryRow.status == IN_FLIGHT).values(lease_until=now - 1)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def events(self, ids: Sequence[int]) -> dict[int, OutboxEventRow]:
        if not ids:
            return {}
        rows = self.session.scalars(select(OutboxEventRow).where(OutboxEventRow.id.in_(list(set(ids)))))
        return {row.id: row for row in rows}

    def finish(self, delivery_id: int, claim: str, values: dict[str, Any]) -> bool:
        """Record an outcome, if this dispatcher still holds the delivery (its lease was not taken)."""
        result = self.session.execute(
            update(DeliveryRow)
            .where(DeliveryRow.id == delivery_id, DeliveryRow.claim == claim, DeliveryRow.status == IN_FLIGHT)
            .values(lease_until=None, claim=None, **values)
        )
        return int(result.rowcount) == 1  # type: ignore[attr-defined]

    def finish_many(self, outcomes: Sequence[Finished]) -> bool:
        """Record many attempts' outcomes in one statement (executemany), each only if its claim
        still holds: a delivery whose lease another dispatcher took is left to that one. True when
        every row was updated (the usual case)."""
        if not outcomes:
            return True
        stmt = (
            update(DeliveryRow)
            .where(
                DeliveryRow.id == bindparam("o_id"),
                DeliveryRow.claim == bindparam("o_claim"),
                DeliveryRow.status == IN_FLIGHT,
            )
            .values(
                status=bindparam("o_status"),
                next_attempt_at=bindparam("o_next"),
                delivered_at=func.coalesce(bindparam("o_delivered"), DeliveryRow.delivered_at),
                last_attempt_at=bindparam("o_attempted"),
                last_status_code=bindparam("o_code"),
                last_error=bindparam("o_error"),
                lease_until=None,
                claim=None,
            )
        )
        result = self.session.connection().execute(stmt, [o.params() for o in outcomes])
        return result.rowcount == len(outcomes)

    def existing(self, ids: Sequence[int]) -> set[int]:
        """Which of these deliveries still exist (a subscription's deletion takes its deliveries)."""
        if not ids:
            return set()
        return {
            int(i) for i in self.session.scalars(select(DeliveryRow.id).where(DeliveryRow.id.in_(list(ids))))
        }

    def add_attempts(self, attempts: Sequence[dict[str, Any]]) -> None:
        if attempts:
            self.session.execute(insert(DeliveryAttemptRow), list(attempts))

    def fail_pending_of(self, webhook_id: int, now: int, reason: str) -> None:
        """Stop the queued deliveries of a disabled subscription (redelivery can revive them)."""
        self.session.execute(
            update(DeliveryRow)
            .where(
                DeliveryRow.webhook_id == webhook_id,
                DeliveryRow.status == PENDING,
                DeliveryRow.test.is_(False),
            )
            .values(status=FAILED, last_error=reason, next_attempt_at=now)
        )

    # -- the delivery log --------------------------------------------------------------------
    def add_test(self, webhook_id: int, event_row_id: int, now: int) -> DeliveryRow:
        row = DeliveryRow(
            webhook_id=webhook_id,
            event_id=event_row_id,
            status=PENDING,
            test=True,
            attempts=0,
            round_attempts=0,
            redeliveries=0,
            next_attempt_at=now,
            created_at=now,
        )
        self.session.add(row)
        self.session.flush()
        return row

    def page(
        self,
        *,
        webhook_id: int | None,
        statuses: Sequence[str],
        event_type: str | None,
        event_id: str | None,
        since: int | None,
        offset: int,
        limit: int,
    ) -> list[LogRow]:
        """Deliveries, newest first, with their event's id, type and model."""
        stmt = _log_select()
        if webhook_id is not None:
            stmt = stmt.where(DeliveryRow.webhook_id == webhook_id)
        if statuses:
            stmt = stmt.where(DeliveryRow.status.in_(list(statuses)))
        if event_type is not None:
            stmt = stmt.where(OutboxEventRow.type == event_type)
        if event_id is not None:
            stmt = stmt.where(OutboxEventRow.event_id == event_id)
        if since is not None:
            stmt = stmt.where(DeliveryRow.created_at >= since)
        stmt = stmt.order_by(DeliveryRow.id.desc()).offset(offset).limit(limit)
        return [LogRow(d, e, t, m, w) for d, e, t, m, w in self.session.execute(stmt)]

    def log_row(self, delivery_id: int) -> LogRow:
        stmt = _log_select().where(DeliveryRow.id == delivery_id)
        found = self.session.execute(stmt).one_or_none()
        if found is None:
            raise NotFound(f"Delivery {delivery_id} not found")
        return LogRow(*found)

    def attempts_of(self, delivery_ids: Sequence[int]) -> dict[int, list[DeliveryAttemptRow]]:
        out: dict[int, list[DeliveryAttemptRow]] = {i: [] for i in delivery_ids}
        if not delivery_ids:
            return out
        stmt = (
            select(DeliveryAttemptRow)
            .where(DeliveryAttemptRow.delivery_id.in_(list(delivery_ids)))
            .order_by(DeliveryAttemptRow.delivery_id, DeliveryAttemptRow.number, DeliveryAttemptRow.id)
        )
        for row in self.session.scalars(stmt):
            out[row.delivery_id].append(row)
        return out

    def redeliver(self, ids: Sequence[int], now: int) -> int:
        """Queue finished deliveries again, now, keeping their ids; returns how many."""
        if not ids:
            return 0
        result = self.session.execute(
            update(DeliveryRow)
            .where(DeliveryRow.id.in_(list(ids)), DeliveryRow.status.in_([DELIVERED, FAILED]))
            .values(
                status=PENDING,
                next_attempt_at=now,
                round_attempts=0,
                redeliveries=DeliveryRow.redeliveries + 1,
                lease_until=None,
                claim=None,
            )
        )
        self.wake_dispatchers()
        return int(result.rowcount)  # type: ignore[attr-defined]

    def failed_since(self, webhook_id: int, since: int) -> list[int]:
        stmt = select(DeliveryRow.id).where(
            DeliveryRow.webhook_id == webhook_id,
            DeliveryRow.status == FAILED,
            DeliveryRow.test.is_(False),
            DeliveryRow.created_at >= since,
        )
        return [int(i) for i in self.session.scalars(stmt)]
