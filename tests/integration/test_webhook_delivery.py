"""Deliveries end to end in the test process: real services write events, a real dispatcher sends
them to a real HTTP receiver on loopback, on SQLite and on PostgreSQL. Every delivery is verified
with the `standardwebhooks` library and an MLflow-style HMAC check, and every body is validated
against the JSON Schema shipped for its type."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from registry.db.tables import DeliveryRow, OutboxEventRow
from registry.domain import webhooks as wh
from registry.domain.errors import NotFound
from registry.domain.events import REGISTRY_EVENT_TYPES, Event
from registry.domain.identity import SYSTEM, Actor, Role
from registry.services import aliases, models, tokens, versions
from registry.services import deliveries as delivery_service
from registry.services import webhooks as webhook_service
from registry.services.webhooks import GitHubSpec, Keys
from tests.fixtures.databases import UowFactory
from tests.fixtures.receivers import Receiver, Reply, verify_delivery
from tests.fixtures.webhooks import DispatcherFactory, fast_settings, validate_event, wait_until

SRC = "mlflow-artifacts:/1/models/m-" + "3" * 32 + "/artifacts"
PROMOTION_TYPES = [
    f"promotion_request.{a}" for a in ("created", "approved", "rejected", "cancelled", "applied")
]


def _count(uow: UowFactory, stmt: Any) -> int:
    with uow().reading() as u:
        return int(u.session.execute(stmt).scalar_one())


def _every_registry_change(uow: UowFactory) -> None:
    alice = Actor("alice", Role.ADMIN)
    models.create_registered_model(uow(alice), "fraud", "trees", {"team": "risk"})
    models.update_registered_model(uow(alice), "fraud", "gradient boosted trees")
    models.set_registered_model_tag(uow(alice), "fraud", "owner", "risk-ml")
    models.delete_registered_model_tag(uow(alice), "fraud", "owner")
    for _ in range(3):
        versions.create_model_version(uow(alice), "fraud", SRC, tags={"stage": "candidate"})
    versions.update_model_version(uow(alice), "fraud", 1, "first")
    versions.set_model_version_tag(uow(alice), "fraud", 1, "validated", "true")
    versions.delete_model_version_tag(uow(alice), "fraud", 1, "validated")
    versions.transition_stage(uow(alice), "fraud", 1, "Production")
    versions.transition_stage(uow(alice), "fraud", 2, "Production", archive_existing_versions=True)
    aliases.set_alias(uow(alice), "fraud", "champion", 1)
    aliases.set_alias(uow(alice), "fraud", "champion", 2)
    aliases.delete_alias(uow(alice), "fraud", "champion")
    versions.delete_model_version(uow(alice), "fraud", 3)
    models.rename_registered_model(uow(alice), "fraud", "fraud-v2")
    # Governance records promotion events the same way (feature/governance); the relay and the
    # schemas treat them like any other event.
    for event_type in PROMOTION_TYPES:
        with uow(alice) as u:
            u.record(
                Event(
                    event_type,
                    "fraud-v2",
                    {
                        "id": 7,
                        "name": "fraud-v2",
                        "version": "2",
                        "target": "alias:champion",
                        "actor": "alice",
                    },
                )
            )
    models.delete_registered_model(uow(alice), "fraud-v2")
    tokens.create_token(uow(SYSTEM), "ci", Role.PROMOTER)
    tokens.revoke_token(uow(SYSTEM), "ci")


def test_every_event_is_delivered_signed_and_matches_its_schema(
    uow: UowFactory, webhook_keys: Keys, receiver: Receiver, start_dispatcher: DispatcherFactory
) -> None:
    created = webhook_service.create_webhook(uow(), webhook_keys, url=receiver.url, events=["*"])
    assert created.secret is not None
    start_dispatcher()
    _every_registry_change(uow)
    expected = _count(uow, select(func.count()).select_from(OutboxEventRow))
    got = receiver.wait_for(expected)
    payloads: list[dict[str, Any]] = []
    for r in got:
        payload = verify_delivery(r, created.secret)
        assert isinstance(payload, dict)
        validate_event(payload)
        assert payload["id"] == r.webhook_id
        payloads.append(payload)
    seen = {p["type"] for p in payloads}
    assert set(REGISTRY_EVENT_TYPES) <= seen
    assert {*PROMOTION_TYPES, "token.created", "token.revoked", "webhook.created"} <= seen
    assert len({p["id"] for p in payloads}) == expected  # each event once
    # One model's events carry 1, 2, 3, ... across its rename, so receivers can order them.
    sequences = sorted(p["sequence"] for p in payloads if p["model"] is not None)
    assert sequences == list(range(1, len(sequences) + 1))
    moved = [p for p in payloads if p["type"] == "model_version_alias.set"]
    assert sorted((p["data"]["version"], p["data"]["previous_version"]) for p in moved) == [
        ("1", None),
        ("2", "1"),
    ]
    assert all(p["actor"] == "alice" for p in payloads if p["model"] is not None)
    archived = [p["data"] for p in payloads if p["type"] == "model_version.stage_transitioned"]
    assert {
        "name": "fraud",
        "version": "1",
        "from_stage": "Production",
        "to_stage": "Archived",
        "archived_because_version": "2",
    } in archived


def test_a_change_that_rolls_back_produces_no_event(
    uow: UowFactory, webhook_keys: Keys, receiver: Receiver, start_dispatcher: DispatcherFactory
) -> None:
    webhook_service.create_webhook(uow(), webhook_keys, url=receiver.url, events=["registered_model.*"])
    start_dispatcher()

    class Boom(Exception):
        pass

    with pytest.raises(Boom), uow() as u:
        u.models.add("ghost", "", u.now, "alice")
        u.record(Event("registered_model.created", "ghost", {"name": "ghost", "description": "", "tags": {}}))
        raise Boom
    with pytest.raises(NotFound):
        models.update_registered_model(uow(), "ghost", "never")
    models.create_registered_model(uow(), "real")
    got = receiver.wait_for(1)
    assert json.loads(got[0].body)["data"]["name"] == "real"
    # Had the rolled-back event existed, it would have been relayed with or before the later one.
    assert (
        _count(uow, select(func.count()).select_from(OutboxEventRow).where(OutboxEventRow.model == "ghost"))
        == 0
    )
    assert _count(uow, select(func.count()).select_from(DeliveryRow)) == 1


def test_subscriptions_get_only_what_they_ask_for(
    uow: UowFactory, webhook_keys: Keys, start_dispatcher: DispatcherFactory
) -> None:
    aliases_only, fraud_only = Receiver(), Receiver()
    try:
        webhook_service.create_webhook(
            uow(), webhook_keys, url=aliases_only.url, events=["model_version_alias.*"]
        )
        webhook_service.create_webhook(
            uow(), webhook_keys, url=fraud_only.url, events=["*"], model_filter="fraud-*"
        )
        start_dispatcher()
        for name in ("fraud-eu", "churn"):
            models.create_registered_model(uow(), name)
            versions.create_model_version(uow(), name, SRC)
            aliases.set_alias(uow(), name, "champion", 1)
        got = aliases_only.wait_for(2)
        assert sorted(json.loads(r.body)["model"] for r in got) == ["churn", "fraud-eu"]
        got = fraud_only.wait_for(3)
        assert {json.loads(r.body)["model"] for r in got} == {"fraud-eu"}
        # Both are complete: the relay has fanned out every event.
        assert _count(uow, select(func.count()).select_from(DeliveryRow)) == 5
    finally:
        aliases_only.stop()
        fraud_only.stop()


def test_mlflow_flavoured_subscription_gets_mlflow_names_and_raw_secret_signatures(
    uow: UowFactory, webhook_keys: Keys, receiver: Receiver, start_dispatcher: DispatcherFactory
) -> None:
    secret = "an-mlflow-style-raw-secret"
    webhook_service.create_webhook(
        uow(),
        webhook_keys,
        url=receiver.url,
        events=["model_version_alias.set"],
        secret=secret,
        flavor=wh.Flavor.MLFLOW,
    )
    start_dispatcher()
    models.create_registered_model(uow(), "m")
    versions.create_model_version(uow(), "m", SRC)
    aliases.set_alias(uow(), "m", "champion", 1)
    (got,) = receiver.wait_for(1)
    payload = verify_delivery(got, secret)
    assert isinstance(payload, dict)
    assert (payload["entity"], payload["action"], payload["type"]) == (
        "model_version_alias",
        "created",
        "model_version_alias.set",
    )
    assert {"name": "m", "alias": "champion", "version": "1"}.items() <= payload["data"].items()


def test_redeliver_one_and_all_failed_since(
    uow: UowFactory, webhook_keys: Keys, receiver: Receiver, start_dispatcher: DispatcherFactory
) -> None:
    hook = webhook_service.create_webhook(
        uow(), webhook_keys, url=receiver.url, events=["registered_model.*", "registered_model_tag.*"]
    )
    start_dispatcher(fast_settings(schedule=(0.05,)))
    models.create_registered_model(uow(), "ok")
    (first,) = receiver.wait_for(1)
    (delivered,) = wait_until(
        lambda: delivery_service.list_deliveries(uow(), webhook_id=hook.webhook.id, status="delivered").items
    )
    delivery_service.redeliver(uow(), delivered.id)
    again = receiver.wait_for(2)[1]
    assert again.webhook_id == first.webhook_id
    assert again.headers["x-podium-redelivery"] == "true"
    assert again.timestamp >= first.timestamp
    detail = _wait_status(uow, delivered.id, "delivered", attempts=2)
    assert [a.redelivery for a in detail.attempt_log] == [False, True]

    # Two events fail for good (two attempts each), then the receiver recovers.
    receiver.default = Reply(status=500)
    since = detail.created_at
    models.set_registered_model_tag(uow(), "ok", "a", "1")
    models.set_registered_model_tag(uow(), "ok", "b", "2")
    receiver.wait_for(2 + 4)
    failed = _wait_failed(uow, hook.webhook.id, 2)
    receiver.default = Reply()
    assert delivery_service.redeliver_failed(uow(), hook.webhook.id, since) == 2
    got = receiver.wait_for(2 + 4 + 2)
    assert {r.webhook_id for r in got[-2:]} == {f.event_id for f in failed}
    for f in failed:
        _wait_status(uow, f.id, "delivered", attempts=3)


def _wait_status(uow: UowFactory, delivery_id: int, status: str, attempts: int) -> wh.Delivery:
    def probe() -> wh.Delivery | None:
        d = delivery_service.get_delivery(uow(), delivery_id)
        return d if d.status.value == status and len(d.attempt_log) >= attempts else None

    return wait_until(probe, what=f"delivery {delivery_id} to be {status} after {attempts} attempts")


def _wait_failed(uow: UowFactory, webhook_id: str, count: int) -> list[wh.Delivery]:
    def probe() -> list[wh.Delivery]:
        items = delivery_service.list_deliveries(uow(), webhook_id=webhook_id, status="failed").items
        return items if len(items) >= count else []

    return wait_until(probe, what=f"{count} failed deliveries")


def test_ping_goes_to_one_subscription_once_and_reports_the_status(
    uow: UowFactory, webhook_keys: Keys, receiver: Receiver, start_dispatcher: DispatcherFactory
) -> None:
    pinged = webhook_service.create_webhook(uow(), webhook_keys, url=receiver.url, events=["model_version.*"])
    bystander = Receiver()
    try:
        webhook_service.create_webhook(uow(), webhook_keys, url=bystander.url, events=["*"])
        start_dispatcher()
        delivery_id, event_id = delivery_service.send_ping(uow(), pinged.webhook.id)
        outcome = delivery_service.await_ping(uow(), delivery_id, event_id, timeout=20)
        assert (outcome.sent, outcome.success, outcome.status_code) == (True, True, 200)
        (got,) = receiver.requests()
        payload = verify_delivery(got, pinged.secret or "")
        assert isinstance(payload, dict)
        validate_event(payload)
        assert payload["type"] == "webhook.test"
        assert payload["data"]["event_type"] == "model_version.created"
        assert payload["data"]["name"] == "fraud-detector"  # the example, for parsers to exercise

        # A failing ping is reported, not retried, and does not count against the subscription.
        receiver.default = Reply(status=500, body=b"internal details that must not be reflected")
        delivery_id, event_id = delivery_service.send_ping(
            uow(), pinged.webhook.id, "model_version_alias.set"
        )
        outcome = delivery_service.await_ping(uow(), delivery_id, event_id, timeout=20)
        assert (outcome.success, outcome.status_code) == (False, 500)
        assert "internal details" not in (outcome.error or "")
        d = delivery_service.get_delivery(uow(), delivery_id)
        assert d.status.value == "failed" and d.attempts == 1 and d.test
        assert webhook_service.get_webhook(uow(), pinged.webhook.id).failing_since is None
        # The bystander subscribed to everything, yet got none of the pings.
        assert all(json.loads(r.body)["type"] != "webhook.test" for r in bystander.requests())
    finally:
        bystander.stop()


def test_ping_without_a_dispatcher_says_so(uow: UowFactory, webhook_keys: Keys, receiver: Receiver) -> None:
    hook = webhook_service.create_webhook(uow(), webhook_keys, url=receiver.url, events=["*"])
    delivery_id, event_id = delivery_service.send_ping(uow(), hook.webhook.id)
    outcome = delivery_service.await_ping(uow(), delivery_id, event_id, timeout=0.2)
    assert not outcome.sent and not outcome.success
    assert "podium worker" in (outcome.error or "")


def test_github_target_sends_repository_dispatch(
    uow: UowFactory, webhook_keys: Keys, start_dispatcher: DispatcherFactory
) -> None:
    # A local stub in GitHub's shapes: 204 No Content on success, JSON errors otherwise.
    github = Receiver(path="")
    try:
        github.default = Reply(status=204, body=b"")
        ok = webhook_service.create_webhook(
            uow(),
            webhook_keys,
            events=["model_version_alias.set"],
            github=GitHubSpec("acme", "deploy", "ghp_" + "x" * 36, "podium-champion", github.url + "/api/v3"),
        )
        assert ok.webhook.url == github.url + "/api/v3/repos/acme/deploy/dispatches"
        assert ok.secret is None and not ok.webhook.has_secret
        start_dispatcher()
        models.create_registered_model(uow(), "m")
        versions.create_model_version(uow(), "m", SRC)
        aliases.set_alias(uow(), "m", "champion", 1)
        (got,) = github.wait_for(1)
        assert got.path == "/api/v3/repos/acme/deploy/dispatches"
        assert got.headers["authorization"] == "Bearer ghp_" + "x" * 36
        assert got.headers["accept"] == "application/vnd.github+json"
        assert got.headers["x-github-api-version"] == "2022-11-28"
        body = json.loads(got.body)
        assert set(body) == {"event_type", "client_payload"}
        assert body["event_type"] == "podium-champion"
        assert len(body["client_payload"]) <= 10  # GitHub's limit on top-level properties
        validate_event(body["client_payload"])
        assert body["client_payload"]["data"]["alias"] == "champion"
        (d,) = wait_until(
            lambda: (
                delivery_service.list_deliveries(uow(), webhook_id=ok.webhook.id, status="delivered").items
            )
        )
        assert d.last_status_code == 204

        # A token GitHub refuses: 401 with GitHub's body, logged (excerpt) and retried.
        github.reply(
            Reply(
                status=401,
                headers={"Content-Type": "application/json"},
                body=b'{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest"}',
            ),
            path="/api/v3/repos/acme/deploy/dispatches",
        )
        aliases.set_alias(uow(), "m", "champion", 1)
        github.wait_for(3)

        def retried() -> list[wh.Delivery]:
            page = delivery_service.list_deliveries(uow(), webhook_id=ok.webhook.id, status="delivered")
            return [d for d in page.items if d.attempts == 2]

        (refused,) = wait_until(retried, what="the refused dispatch to be retried")
        detail = delivery_service.get_delivery(uow(), refused.id)
        assert [a.status_code for a in detail.attempt_log] == [401, 204]
        assert "Bad credentials" in (detail.attempt_log[0].response_excerpt or "")
    finally:
        github.stop()
