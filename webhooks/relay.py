"""The outbox relay: committed events become deliveries, one per subscription that wants them.

Services write each event to `outbox_events` in the transaction of the change, so an event exists
exactly when its change committed. The relay reads events not yet relayed, creates a pending
delivery for every active subscription whose patterns and model filter match and which existed when
the event happened, and marks the events relayed, all in one short transaction: a crash before the
commit leaves the events unrelayed (they are relayed again), a crash after it leaves the deliveries.
On PostgreSQL the events are locked with SKIP LOCKED, so relays in several dispatchers share the
work and never fan one event out twice.
"""

from __future__ import annotations

from registry.db.repositories.deliveries import DeliveryRepository
from registry.db.repositories.webhooks import WebhookRepository
from registry.db.uow import UnitOfWork
from registry.domain import webhooks as wh
from registry.domain.identity import Actor, Role

# Who the dispatcher acts as when it records events (a subscription it disabled).
DISPATCHER = Actor(name="webhook-dispatcher", role=Role.ADMIN)
BATCH = 500


def relay(uow: UnitOfWork, batch: int = BATCH) -> int:
    """Fan out up to `batch` events inside `uow` (an open writing unit of work); returns how many
    events were relayed."""
    dialect = uow.database.dialect
    deliveries = DeliveryRepository(uow.session, dialect)
    events = deliveries.unrelayed(batch)
    if not events:
        return 0
    subscriptions = WebhookRepository(uow.session, dialect).active()
    pairs = [
        (event.id, sub.id)
        for event in events
        for sub in subscriptions
        if sub.created_at <= event.occurred_at
        and wh.wants(sub.events, event.type)
        and wh.model_matches(sub.model_filter, event.model)
    ]
    deliveries.fan_out(pairs, uow.now)
    deliveries.mark_relayed([e.id for e in events], uow.now)
    return len(events)
