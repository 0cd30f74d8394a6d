"""The delivery log and what an admin does with it: list, inspect, redeliver, send a test ping.

Deliveries are made by the relay and sent by the dispatcher (the `webhooks` package); these use
cases only read and requeue rows, so the API and the CLI work whether the dispatcher runs in the
server or in `podium worker` processes. A test ping is queued like any delivery, to one subscription,
and the caller waits for its one attempt: it goes through the same signing, SSRF guard and log.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from sqlalchemy import select

from registry.db.repositories.deliveries import DeliveryRepository, LogRow
from registry.db.repositories.webhooks import WebhookRepository
from registry.db.tables import DeliveryAttemptRow, OutboxEventRow
from registry.db.uow import UnitOfWork
from registry.domain import webhooks as wh
from registry.domain.entities import Page
from registry.domain.errors import Conflict, InvalidParameter
from registry.domain.events import Event
from registry.domain.paging import decode_page_token, encode_page_token, fingerprint, page_size
from registry.domain.webhooks import Attempt, Delivery, DeliveryStatus, PingOutcome

MAX_RESULTS_DEFAULT = 100
MAX_RESULTS_LIMIT = 1000
FINISHED = (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED)


def _deliveries(uow: UnitOfWork) -> DeliveryRepository:
    return DeliveryRepository(uow.session, uow.database.dialect)


def _attempt(row: DeliveryAttemptRow) -> Attempt:
    return Attempt(
        number=row.number,
        redelivery=row.redelivery,
        started_at=row.started_at,
        duration_ms=row.duration_ms,
        status_code=row.status_code,
        error=row.error,
        response_excerpt=row.response_excerpt,
        dispatcher=row.dispatcher,
    )


def _entity(log: LogRow, attempts: Sequence[DeliveryAttemptRow] = ()) -> Delivery:
    d = log.delivery
    status = DeliveryStatus(d.status)
    return Delivery(
        id=d.id,
        webhook_id=log.webhook_id,
        event_id=log.event_id,
        event_type=log.event_type,
        model=log.model,
        status=status,
        test=d.test,
        attempts=d.attempts,
        redeliveries=d.redeliveries,
        created_at=d.created_at,
        next_attempt_at=d.next_attempt_at if status is DeliveryStatus.PENDING else None,
        last_attempt_at=d.last_attempt_at,
        delivered_at=d.delivered_at,
        last_status_code=d.last_status_code,
        last_error=d.last_error,
        attempt_log=[_attempt(a) for a in attempts],
    )


def _statuses(status: object) -> list[str]:
    if status is None or status == "" or status == []:
        return []
    values = status if isinstance(status, list | tuple) else str(status).split(",")
    out: list[str] = []
    for value in values:
        try:
            out.append(DeliveryStatus(str(value).strip().lower()).value)
        except ValueError:
            valid = ", ".join(s.value for s in DeliveryStatus)
            raise InvalidParameter(
                f"Unknown delivery status {value!r}; use {valid}.", field="status"
            ) from None
    return out


def list_deliveries(
    uow: UnitOfWork,
    *,
    webhook_id: str | None = None,
    status: object = None,
    event_type: str | None = None,
    event_id: str | None = None,
    since: int | None = None,
    max_results: object = None,
    page_token: str | None = None,
) -> Page[Delivery]:
    """Deliveries newest first, narrowed by subscription, status(es), event type or id, and time."""
    statuses = _statuses(status)
    if event_type is not None and event_type not in wh.event_types():
        raise InvalidParameter(f"Unknown event type {event_type!r}.", field="event_type")
    limit = page_size(
        max_results, default=MAX_RESULTS_DEFAULT, maximum=MAX_RESULTS_LIMIT, cap=MAX_RESULTS_LIMIT
    )
    query = fingerprint("deliveries", webhook_id, statuses, event_type, event_id, since)
    offset = decode_page_token(page_token, query)
    with uow.reading():
        webhook = WebhookRepository(uow.session, uow.database.dialect).get(webhook_id) if webhook_id else None
        rows = _deliveries(uow).page(
            webhook_id=webhook.id if webhook else None,
            statuses=statuses,
            event_type=event_type,
            event_id=event_id,
            since=since,
            offset=offset,
            limit=limit + 1,
        )
        items = [_entity(r) for r in rows[:limit]]
    return Page(items, encode_page_token(offset + limit, query) if len(rows) > limit else None)


def parse_delivery_id(value: object) -> int:
    """A delivery id from a client: a positive integer (or its decimal string)."""
    text = str(value)
    # At most 18 digits (like version numbers): larger ids overflow the database's BIGINT and would
    # fail the query instead of naming the bad input.
    if isinstance(value, bool) or not text.isdigit() or len(text) > 18 or int(text) < 1:
        raise InvalidParameter(
            f"Invalid delivery id {value!r}: expected a positive integer.", field="delivery_id"
        )
    return int(text)


def get_delivery(uow: UnitOfWork, delivery_id: object) -> Delivery:
    """One delivery with every attempt, oldest first."""
    delivery_id = parse_delivery_id(delivery_id)
    with uow.reading():
        repo = _deliveries(uow)
        log = repo.log_row(delivery_id)
        return _entity(log, repo.attempts_of([delivery_id])[delivery_id])


def _require_active(uow: UnitOfWork, webhook_id: int) -> None:
    row = WebhookRepository(uow.session, uow.database.dialect).by_ids([webhook_id])[webhook_id]
    if not row.active:
        raise Conflict(
            f"Webhook {row.public_id} is disabled ({row.disabled_reason or 'no reason recorded'}); "
            "enable it before redelivering."
        )


def redeliver(uow: UnitOfWork, delivery_id: object) -> Delivery:
    """Send a finished delivery again, now, with the same webhook-id; its attempts are marked as a
    redelivery. A delivery still queued or in flight is refused (it is going out already)."""
    delivery_id = parse_delivery_id(delivery_id)
    with uow:
        repo = _deliveries(uow)
        log = repo.log_row(delivery_id)
        if log.delivery.status not in FINISHED:
            raise Conflict(
                f"Delivery {delivery_id} is {log.delivery.status}; only finished deliveries are redelivered."
            )
        if not log.delivery.test:
            _require_active(uow, log.delivery.webhook_id)
        if repo.redeliver([delivery_id], uow.now) == 0:
            raise Conflict(f"Delivery {delivery_id} is being redelivered already.")
        uow.session.refresh(log.delivery)
        return _entity(log)


def redeliver_failed(uow: UnitOfWork, webhook_id: str, since: int) -> int:
    """Requeue every failed delivery of a subscription created at or after `since` (ms); returns how many."""
    with uow:
        webhook = WebhookRepository(uow.session, uow.database.dialect).get(webhook_id)
        _require_active(uow, webhook.id)
        repo = _deliveries(uow)
        return repo.redeliver(repo.failed_since(webhook.id, since), uow.now)


def _tested_type(patterns: Sequence[str], requested: str | None) -> str:
    if requested is not None:
        if requested not in wh.event_types():
            raise InvalidParameter(f"Unknown event type {requested!r}.", field="event_type")
        return requested
    for pattern in patterns:
        for event_type in wh.event_types():
            if wh.pattern_matches(pattern, event_type) and event_type != wh.TEST_EVENT:
                return event_type
    return wh.TEST_EVENT


def send_ping(uow: UnitOfWork, webhook_id: str, event_type: str | None = None) -> tuple[int, str]:
    """Queue a test ping to one subscription (active or not); returns (delivery id, event id).

    The ping is a `webhook.test` event whose data is the example of `event_type` (by default the
    first type the subscription wants), so receivers can exercise their parsing. It goes to this
    subscription only.
    """
    with uow:
        webhook = WebhookRepository(uow.session, uow.database.dialect).get(webhook_id)
        tested = _tested_type(webhook.events, event_type)
        data = {"test": True, "webhook_id": webhook.public_id, "event_type": tested}
        data.update({k: v for k, v in wh.example_data(tested).items() if k not in data})
        event_id = uow.record(Event(wh.TEST_EVENT, None, data))
        repo = _deliveries(uow)
        uow.session.flush()
        event_row = uow.session.scalars(
            select(OutboxEventRow).where(OutboxEventRow.event_id == event_id)
        ).one()
        # Relayed already: the relay must not fan the ping out to every `webhook.*` subscriber.
        repo.mark_relayed([event_row.id], uow.now)
        delivery = repo.add_test(webhook.id, event_row.id, uow.now)
        return delivery.id, event_id


def ping_outcome(uow: UnitOfWork, delivery_id: int, event_id: str) -> PingOutcome:
    """The test ping's outcome so far (`sent` is False while no attempt is recorded)."""
    with uow.reading():
        repo = _deliveries(uow)
        attempts = repo.attempts_of([delivery_id])[delivery_id]
    if not attempts:
        return PingOutcome(delivery_id, event_id, False, False, None, None, None)
    last = attempts[-1]
    ok = last.status_code is not None and 200 <= last.status_code < 300
    return PingOutcome(delivery_id, event_id, True, ok, last.status_code, last.duration_ms, last.error)


def await_ping(
    uow: UnitOfWork, delivery_id: int, event_id: str, timeout: float, poll: float = 0.05
) -> PingOutcome:
    """Wait up to `timeout` seconds for the dispatcher's attempt at a test ping (read-only polls)."""
    deadline = time.monotonic() + timeout
    while True:
        outcome = ping_outcome(uow, delivery_id, event_id)
        if outcome.sent or time.monotonic() >= deadline:
            if not outcome.sent:
                return PingOutcome(
                    delivery_id,
                    event_id,
                    False,
                    False,
                    None,
                    None,
                    f"No dispatcher sent the ping within {timeout:g} s. It stays queued; check that "
                    "`podium server` runs its dispatcher (PODIUM_WEBHOOK_DISPATCHER=thread) or that a "
                    "`podium worker` is running.",
                )
            return outcome
        time.sleep(poll)
