"""What the dispatcher does when receivers misbehave: Retry-After, 410, redirects, hangs, resets,
long failure runs and outages, against real HTTP servers on loopback (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest
import requests
from sqlalchemy import select

from registry.db.engine import Database
from registry.db.tables import OutboxEventRow
from registry.db.uow import UnitOfWork
from registry.domain import webhooks as wh
from registry.services import deliveries as delivery_service
from registry.services import models
from registry.services import webhooks as webhook_service
from registry.services.webhooks import Keys
from tests.fixtures.databases import UowFactory
from tests.fixtures.receivers import Canary, Receiver, Reply, verify_delivery
from tests.fixtures.webhooks import DispatcherFactory, fast_settings, wait_until
from webhooks.relay import DISPATCHER, relay

METADATA = "169.254.169.254"


def _subscribe(uow: UowFactory, keys: Keys, receiver: Receiver, **kwargs: Any) -> wh.NewSecret:
    return webhook_service.create_webhook(
        uow(), keys, url=receiver.url, events=["registered_model.*", "registered_model_tag.*"], **kwargs
    )


def _deliveries(uow: UowFactory, hook: wh.NewSecret, status: str | None = None) -> list[wh.Delivery]:
    return delivery_service.list_deliveries(uow(), webhook_id=hook.webhook.id, status=status).items


def _only_delivery(uow: UowFactory, hook: wh.NewSecret) -> wh.Delivery:
    (delivery,) = wait_until(lambda: _deliveries(uow, hook), what="the event to be relayed")
    return delivery


def _attempts(uow: UowFactory, delivery_id: int, count: int) -> list[wh.Attempt]:
    def probe() -> list[wh.Attempt]:
        log = delivery_service.get_delivery(uow(), delivery_id).attempt_log
        return log if len(log) >= count else []

    return wait_until(probe, what=f"{count} attempts")


def test_retry_after_is_honoured(
    uow: UowFactory, webhook_keys: Keys, receiver: Receiver, start_dispatcher: DispatcherFactory
) -> None:
    hook = _subscribe(uow, webhook_keys, receiver)
    receiver.reply(Reply(status=503, headers={"Retry-After": "2"}))
    start_dispatcher()  # its schedule would retry after 0.05 s
    models.create_registered_model(uow(), "m")
    first, second = receiver.wait_for(2)
    assert first.webhook_id == second.webhook_id
    assert second.wall - first.wall >= 1.9
    # A fresh timestamp per attempt, the same id.
    assert second.timestamp >= first.timestamp
    verify_delivery(second, hook.secret or "")


def test_gone_disables_the_subscription_and_says_so(
    uow: UowFactory, webhook_keys: Keys, receiver: Receiver, start_dispatcher: DispatcherFactory
) -> None:
    hook = _subscribe(uow, webhook_keys, receiver)
    owner = Receiver()
    try:
        webhook_service.create_webhook(uow(), webhook_keys, url=owner.url, events=["webhook.disabled"])
        receiver.default = Reply(status=410)
        start_dispatcher()
        models.create_registered_model(uow(), "m")
        (notice,) = owner.wait_for(1)
        data = json.loads(notice.body)["data"]
        assert data["id"] == hook.webhook.id and data["status_code"] == 410
        assert "410" in data["reason"]
        current = webhook_service.get_webhook(uow(), hook.webhook.id)
        assert not current.active and "410" in (current.disabled_reason or "")
        (delivery,) = _deliveries(uow, hook)
        assert delivery.status is wh.DeliveryStatus.FAILED and delivery.attempts == 1
        # Nothing more goes to it: later events are not fanned out to a disabled subscription.
        models.set_registered_model_tag(uow(), "m", "k", "v")
        wait_until(lambda: _relayed(uow, "registered_model_tag.set"), what="the later event to be relayed")
        assert len(_deliveries(uow, hook)) == 1 and len(receiver.requests()) == 1
    finally:
        owner.stop()


def _relayed(uow: UowFactory, event_type: str) -> bool:
    with uow().reading() as u:
        row = u.session.scalars(select(OutboxEventRow).where(OutboxEventRow.type == event_type)).one()
        return row.relayed_at is not None


def test_deliveries_queued_for_a_subscription_disabled_meanwhile_are_not_sent(
    database: Database,
    uow: UowFactory,
    webhook_keys: Keys,
    receiver: Receiver,
    start_dispatcher: DispatcherFactory,
) -> None:
    hook = _subscribe(uow, webhook_keys, receiver)
    models.create_registered_model(uow(), "m")
    # Relay without sending: the delivery is queued, then the admin disables the subscription.
    with UnitOfWork(database, DISPATCHER) as u:
        assert relay(u) == 2
    webhook_service.update_webhook(uow(), webhook_keys, hook.webhook.id, active=False)
    start_dispatcher()
    (delivery,) = wait_until(lambda: _deliveries(uow, hook, "failed"), what="the delivery to fail")
    assert delivery.attempts == 0 and "disabled" in (delivery.last_error or "")
    assert receiver.requests() == []
    # Enabled again, the admin redelivers it.
    webhook_service.update_webhook(uow(), webhook_keys, hook.webhook.id, active=True)
    delivery_service.redeliver(uow(), delivery.id)
    (got,) = receiver.wait_for(1)
    assert got.webhook_id == delivery.event_id


@pytest.fixture
def metadata_route(monkeypatch: pytest.MonkeyPatch, canary: Canary) -> Canary:
    """Resolve 169.254.169.254 to a loopback canary (which the test allowlist lets through), so a
    sender that followed a redirect to the metadata address would be seen connecting."""
    real = socket.getaddrinfo

    def resolve(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == METADATA:
            return real(canary.host, canary.port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    return canary


@pytest.mark.parametrize("status", [302, 307])
def test_redirects_are_never_followed(
    status: int,
    uow: UowFactory,
    webhook_keys: Keys,
    receiver: Receiver,
    start_dispatcher: DispatcherFactory,
    metadata_route: Canary,
) -> None:
    hook = _subscribe(uow, webhook_keys, receiver)
    receiver.default = Reply(status=status, headers={"Location": f"http://{METADATA}/latest/meta-data/"})
    start_dispatcher()
    models.create_registered_model(uow(), "m")
    receiver.wait_for(3)
    delivery = _only_delivery(uow, hook)
    attempts = _attempts(uow, delivery.id, 3)
    assert all(a.status_code == status and "not followed" in (a.error or "") for a in attempts)
    assert metadata_route.connections == 0
    # The route is real: a client that follows redirects does reach the canary.
    with pytest.raises(requests.RequestException):
        requests.post(receiver.url, data=b"{}", timeout=0.5)
    assert metadata_route.connections >= 1


def test_a_receiver_that_hangs_times_out(
    uow: UowFactory, webhook_keys: Keys, receiver: Receiver, start_dispatcher: DispatcherFactory
) -> None:
    hook = _subscribe(uow, webhook_keys, receiver)
    receiver.reply(Reply(delay=3.0))
    start_dispatcher(fast_settings(timeout=0.5))
    models.create_registered_model(uow(), "m")
    delivery = _only_delivery(uow, hook)
    first, second = _attempts(uow, delivery.id, 2)
    assert first.status_code is None and (first.error or "").startswith("timeout")
    assert second.status_code == 200


def test_a_receiver_that_drips_bytes_is_cut_off_at_the_deadline(
    uow: UowFactory, webhook_keys: Keys, receiver: Receiver, start_dispatcher: DispatcherFactory
) -> None:
    """Each byte arrives well within the socket timeout; only the attempt's deadline stops it."""
    hook = _subscribe(uow, webhook_keys, receiver)
    receiver.reply(Reply(drip=0.1))
    start_dispatcher(fast_settings(timeout=1.0))
    models.create_registered_model(uow(), "m")
    delivery = _only_delivery(uow, hook)
    first, second = _attempts(uow, delivery.id, 2)
    assert (first.error or "").startswith("timeout")
    assert first.duration_ms < 10_000  # the drip would have gone on for 30 s
    assert second.status_code == 200


def test_a_reset_connection_is_retried_with_the_same_id(
    uow: UowFactory, webhook_keys: Keys, receiver: Receiver, start_dispatcher: DispatcherFactory
) -> None:
    hook = _subscribe(uow, webhook_keys, receiver)
    receiver.reply(Reply(reset=True))
    start_dispatcher()
    models.create_registered_model(uow(), "m")
    first, second = receiver.wait_for(2)
    assert first.webhook_id == second.webhook_id
    delivery = _only_delivery(uow, hook)
    failed, ok = _attempts(uow, delivery.id, 2)
    assert failed.status_code is None and failed.error
    assert ok.status_code == 200


def test_a_subscription_failing_for_the_configured_period_is_disabled(
    uow: UowFactory, webhook_keys: Keys, receiver: Receiver, start_dispatcher: DispatcherFactory
) -> None:
    hook = _subscribe(uow, webhook_keys, receiver)
    receiver.default = Reply(status=500)
    # A day of failures, compressed: every attempt fails for "1 day" = 1 s at this time scale.
    start_dispatcher(fast_settings(schedule=(0.2,) * 20, disable_after=86400.0, time_scale=1 / 86400))
    models.create_registered_model(uow(), "m")

    def disabled() -> wh.Webhook | None:
        current = webhook_service.get_webhook(uow(), hook.webhook.id)
        return current if not current.active else None

    current = wait_until(disabled, what="the subscription to be disabled")
    assert "every attempt failed since" in (current.disabled_reason or "")
    assert current.failing_since is not None
    with uow().reading() as u:
        notice = u.session.scalars(
            select(OutboxEventRow).where(OutboxEventRow.type == wh.DISABLED_EVENT)
        ).one()
        assert notice.data["id"] == hook.webhook.id and notice.data["failing_since"]
    (delivery,) = _deliveries(uow, hook)
    assert delivery.status is wh.DeliveryStatus.FAILED
    # Re-enabling clears the failure run; the admin can then redeliver what failed.
    webhook_service.update_webhook(uow(), webhook_keys, hook.webhook.id, active=True)
    again = webhook_service.get_webhook(uow(), hook.webhook.id)
    assert again.active and again.failing_since is None and again.disabled_reason is None


def test_an_outage_loses_nothing(
    uow: UowFactory, webhook_keys: Keys, receiver: Receiver, start_dispatcher: DispatcherFactory
) -> None:
    """The receiver is down while 200 events are produced, then comes back: all 200 arrive, and any
    repeat is a retry of the same webhook-id."""
    hook = _subscribe(uow, webhook_keys, receiver)
    receiver.stop()
    start_dispatcher(fast_settings(schedule=(0.2,) * 50))
    models.create_registered_model(uow(), "m")
    for i in range(199):
        models.set_registered_model_tag(uow(), "m", f"k{i}", str(i))
    with uow().reading() as u:
        produced = set(u.session.scalars(select(OutboxEventRow.event_id)))
    assert len(produced) == 201  # 200 changes and the subscription's own webhook.created
    wait_until(lambda: any(d.attempts >= 2 for d in _deliveries(uow, hook)), what="failed attempts")
    receiver.start()
    got = receiver.wait_for(200, timeout=60)
    ids = [r.webhook_id for r in got]
    assert set(ids) <= produced and len(set(ids)) == 200
    for r in got:
        verify_delivery(r, hook.secret or "")
    wait_until(
        lambda: (
            len(delivery_service.list_deliveries(uow(), status="delivered", max_results=1000).items) == 200
        ),
        timeout=60,
        what="every delivery to be recorded as delivered",
    )


def test_deleting_a_subscription_while_its_delivery_is_in_flight_stops_nothing_else(
    uow: UowFactory, webhook_keys: Keys, receiver: Receiver, start_dispatcher: DispatcherFactory
) -> None:
    slow = _subscribe(uow, webhook_keys, receiver)
    other = Receiver()
    try:
        webhook_service.create_webhook(uow(), webhook_keys, url=other.url, events=["registered_model_tag.*"])
        receiver.default = Reply(delay=1.0)
        start_dispatcher()
        models.create_registered_model(uow(), "m")
        receiver.wait_for(1)  # the attempt is in flight
        webhook_service.delete_webhook(uow(), slow.webhook.id)
        models.set_registered_model_tag(uow(), "m", "after", "1")
        (got,) = other.wait_for(1)
        assert json.loads(got.body)["data"]["key"] == "after"
        assert delivery_service.list_deliveries(uow(), webhook_id=None).items[0].status is not None
    finally:
        other.stop()
