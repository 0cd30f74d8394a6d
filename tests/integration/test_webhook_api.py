"""The native webhook API (/api/v1/webhooks, /api/v1/deliveries) and MLflow's webhook endpoints,
over the Flask app on SQLite and PostgreSQL; a dispatcher thread answers test pings."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from registry.app import create_app
from registry.db.tables import WebhookRow
from registry.domain.identity import SYSTEM, Role
from registry.runtime import Runtime
from tests.fixtures.apps import TokenMaker
from tests.fixtures.receivers import Receiver, Reply, verify_delivery
from tests.fixtures.webhooks import TEST_SECRET_KEY, DispatcherFactory, wait_until

WEBHOOK_ENV = {
    "PODIUM_WEBHOOK_ALLOWED_SCHEMES": "https,http",
    "PODIUM_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
    "PODIUM_WEBHOOK_TIMEOUT": "2s",
}
SRC = "mlflow-artifacts:/1/models/m-" + "4" * 32 + "/artifacts"


def _configured(runtime: Runtime, auth: bool = False, key: str | None = TEST_SECRET_KEY) -> Runtime:
    settings = replace(runtime.settings, secret_key=key, auth=auth, extra=WEBHOOK_ENV)
    return Runtime(settings, runtime.database, runtime.store)


@pytest.fixture
def api(runtime: Runtime) -> FlaskClient:
    return create_app(runtime=_configured(runtime)).test_client()


def test_create_shows_the_secret_once_and_stores_it_encrypted(
    api: FlaskClient, runtime: Runtime, receiver: Receiver
) -> None:
    r = api.post(
        "/api/v1/webhooks",
        json={
            "url": receiver.url,
            "events": ["model_version.*"],
            "model": "fraud-*",
            "description": "deploy",
        },
    )
    assert r.status_code == 201, r.json
    created = r.json
    assert created["secret"].startswith("whsec_") and created["has_secret"]
    assert created["model"] == "fraud-*" and created["active"] and created["kind"] == "http"
    hook_id = created["id"]
    shown = api.get(f"/api/v1/webhooks/{hook_id}").json
    assert "secret" not in shown and shown["has_secret"]
    listed = api.get("/api/v1/webhooks").json["webhooks"]
    assert [w["id"] for w in listed] == [hook_id] and "secret" not in listed[0]
    with runtime.uow(SYSTEM).reading() as u:
        row = u.session.scalars(select(WebhookRow)).one()
    assert row.secret_sealed is not None and created["secret"] not in row.secret_sealed
    assert created["secret"][6:] not in row.secret_sealed


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({"url": "http://127.0.0.1:1/x"}, "events", "Missing data"),
        ({"url": "ftp://x.example.com", "events": ["*"]}, "url", "must use"),
        ({"url": "https://169.254.169.254/", "events": ["*"]}, "url", "not a public address"),
        ({"url": "https://ok.example.com", "events": ["nope.created"]}, "events", "Unknown event type"),
        ({"url": "https://ok.example.com", "events": ["*"], "secret": "short"}, "secret", "16-512"),
        ({"url": "https://ok.example.com", "events": ["*"], "model": "a/b"}, "model", "cannot contain"),
        ({"url": "https://ok.example.com", "events": ["*"], "colour": "red"}, "colour", "Unknown field"),
        ({"events": ["*"]}, "url", "Missing value"),
        (
            {
                "url": "https://x.example.com",
                "events": ["*"],
                "github": {"owner": "a", "repo": "b", "token": "t"},
            },
            "url",
            "either",
        ),
    ],
)
def test_bad_subscriptions_get_a_clear_4xx_and_write_nothing(
    api: FlaskClient, body: dict[str, Any], field: str, fragment: str
) -> None:
    r = api.post("/api/v1/webhooks", json=body)
    assert r.status_code in (400, 422), r.json
    assert field in r.json["errors"], r.json
    assert fragment in r.json["message"] or fragment in str(r.json["errors"])
    assert api.get("/api/v1/webhooks").json["webhooks"] == []


def test_without_a_server_key_secrets_cannot_be_stored(runtime: Runtime) -> None:
    client = create_app(runtime=_configured(runtime, key=None)).test_client()
    r = client.post("/api/v1/webhooks", json={"url": "https://ok.example.com/h", "events": ["*"]})
    assert r.status_code == 503
    assert r.json["code"] == "NOT_CONFIGURED" and "PODIUM_SECRET_KEY" in r.json["message"]
    assert client.get("/api/v1/webhooks").json["webhooks"] == []
    # The rest of the registry works without it.
    assert client.post("/api/v1/models", json={"name": "m"}).status_code == 201


def test_update_rotate_and_delete(api: FlaskClient, receiver: Receiver) -> None:
    hook = api.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["*"]}).json
    r = api.patch(f"/api/v1/webhooks/{hook['id']}", json={"active": False, "events": ["model_version.*"]})
    assert r.status_code == 200 and not r.json["active"] and r.json["events"] == ["model_version.*"]
    assert r.json["disabled_reason"] == "disabled by local"
    r = api.patch(f"/api/v1/webhooks/{hook['id']}", json={"active": True})
    assert r.json["active"] and r.json["disabled_reason"] is None
    rotated = api.post(f"/api/v1/webhooks/{hook['id']}/secret", json={}).json
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != hook["secret"]
    assert rotated["secret_rotation_ends_at"] is not None
    assert api.delete(f"/api/v1/webhooks/{hook['id']}").status_code == 204
    assert api.get(f"/api/v1/webhooks/{hook['id']}").status_code == 404


def test_event_catalogue_is_public_to_readers(api: FlaskClient) -> None:
    types = api.get("/api/v1/webhooks/event-types").json["event_types"]
    alias = next(t for t in types if t["type"] == "model_version_alias.set")
    assert alias["mlflow_event"] == "model_version_alias.created" and alias["description"]
    schema = api.get("/api/v1/webhooks/event-types/model_version_alias.set").json
    assert schema["properties"]["type"]["const"] == "model_version_alias.set"
    assert api.get("/api/v1/webhooks/event-types/nope").status_code == 404
    paths = api.get("/api/v1/openapi.json").json["paths"]
    assert "/api/v1/webhooks" in paths and "/api/v1/deliveries/{delivery_id}/redeliver" in paths


def test_only_admins_manage_webhooks(runtime: Runtime, make_token: TokenMaker, receiver: Receiver) -> None:
    client = create_app(runtime=_configured(runtime, auth=True)).test_client()
    reviewer = {"Authorization": f"Bearer {make_token('rita', Role.REVIEWER)}"}
    admin = {"Authorization": f"Bearer {make_token('ada', Role.ADMIN)}"}
    body = {"url": receiver.url, "events": ["*"]}
    assert client.post("/api/v1/webhooks", json=body, headers=reviewer).status_code == 403
    assert client.get("/api/v1/deliveries", headers=reviewer).status_code == 403
    assert client.get("/api/v1/webhooks/event-types", headers=reviewer).status_code == 200
    assert client.post("/api/v1/webhooks", json=body).status_code == 401
    assert client.post("/api/v1/webhooks", json=body, headers=admin).status_code == 201
    r = client.post("/api/2.0/mlflow/webhooks", json={"name": "n", "url": receiver.url}, headers=reviewer)
    assert r.status_code == 403 and r.json["error_code"] == "PERMISSION_DENIED"


def test_delivery_log_redelivery_and_ping_over_the_api(
    api: FlaskClient, receiver: Receiver, start_dispatcher: DispatcherFactory
) -> None:
    hook = api.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["registered_model.*"]}).json
    start_dispatcher()
    assert api.post("/api/v1/models", json={"name": "m"}).status_code == 201
    (got,) = receiver.wait_for(1)
    verify_delivery(got, hook["secret"])

    def delivered() -> list[dict[str, Any]]:
        page = api.get(f"/api/v1/webhooks/{hook['id']}/deliveries?status=delivered").json
        return page["deliveries"]  # type: ignore[no-any-return]

    (d,) = wait_until(delivered)
    assert d["event_id"] == got.webhook_id and d["event_type"] == "registered_model.created"
    detail = api.get(f"/api/v1/deliveries/{d['id']}").json
    assert detail["attempt_log"][0]["status_code"] == 200 and detail["attempt_log"][0]["dispatcher"]
    assert (
        api.get("/api/v1/deliveries?event_type=registered_model.created").json["deliveries"][0]["id"]
        == d["id"]
    )
    assert api.get("/api/v1/deliveries?status=bogus").status_code == 400
    r = api.get("/api/v1/deliveries/abc")
    assert r.status_code == 400 and "delivery_id" in r.json["errors"]
    assert api.get("/api/v1/deliveries/999999").status_code == 404
    assert api.get("/api/v1/deliveries?event_type=bogus.type").status_code == 400
    r = api.post(f"/api/v1/deliveries/{d['id']}/redeliver")
    assert r.status_code == 200 and r.json["status"] == "pending" and r.json["redeliveries"] == 1
    assert api.post(f"/api/v1/deliveries/{d['id']}/redeliver").status_code == 409  # already queued
    assert receiver.wait_for(2)[1].webhook_id == got.webhook_id
    r = api.post(f"/api/v1/webhooks/{hook['id']}/redeliver", json={"since": "2000-01-01T00:00:00Z"})
    assert r.status_code == 200 and r.json == {"queued": 0}
    assert api.post(f"/api/v1/webhooks/{hook['id']}/redeliver", json={}).status_code == 422

    receiver.reply(Reply(status=418, body=b"secret internals"))
    ping = api.post(
        f"/api/v1/webhooks/{hook['id']}/test", json={"event_type": "registered_model.created"}
    ).json
    assert ping["sent"] and not ping["success"] and ping["status_code"] == 418
    assert "secret internals" not in str(ping)
    ping = api.post(f"/api/v1/webhooks/{hook['id']}/test", json={}).json
    assert ping["success"] and ping["status_code"] == 200 and ping["duration_ms"] >= 0
    assert api.post("/api/v1/webhooks/wh_nope/test", json={}).status_code == 404


def test_mlflow_webhook_endpoints(
    runtime: Runtime, receiver: Receiver, start_dispatcher: DispatcherFactory
) -> None:
    app: Flask = create_app(runtime=_configured(runtime))
    client = app.test_client()
    base = "/api/2.0/mlflow/webhooks"
    body = {
        "name": "ci",
        "url": receiver.url,
        "events": [{"entity": "MODEL_VERSION_ALIAS", "action": "CREATED"}],
        "secret": "mlflow-style-secret-0001",
    }
    r = client.post(base, json=body)
    assert r.status_code == 200, r.json
    hook = r.json["webhook"]
    assert hook["status"] == "ACTIVE" and hook["events"] == body["events"] and "secret" not in hook
    assert client.get(f"{base}/{hook['webhook_id']}").json["webhook"]["name"] == "ci"
    assert [w["webhook_id"] for w in client.get(base).json["webhooks"]] == [hook["webhook_id"]]
    r = client.patch(f"{base}/{hook['webhook_id']}", json={"status": "DISABLED", "description": "d"})
    assert r.json["webhook"]["status"] == "DISABLED" and r.json["webhook"]["description"] == "d"
    client.patch(f"{base}/{hook['webhook_id']}", json={"status": "ACTIVE"})
    start_dispatcher()
    r = client.post(f"{base}/{hook['webhook_id']}/test", json={})
    assert r.json == {"result": {"success": True, "response_status": 200}}
    (got,) = receiver.wait_for(1)
    payload = verify_delivery(got, body["secret"])
    assert isinstance(payload, dict)
    assert (payload["entity"], payload["action"]) == ("model_version_alias", "created")
    # MLflow's error shape, with MLflow's codes.
    r = client.post(base, json={**body, "events": [{"entity": "PROMPT", "action": "CREATED"}]})
    assert r.status_code == 400 and r.json["error_code"] == "INVALID_PARAMETER_VALUE"
    r = client.post(base, json={"url": receiver.url, "events": body["events"]})
    assert r.status_code == 400 and "name" in r.json["message"]
    r = client.get(f"{base}/nope")
    assert r.status_code == 404 and r.json["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert client.delete(f"{base}/{hook['webhook_id']}").json == {}
    assert client.get(base).json == {"webhooks": []}
