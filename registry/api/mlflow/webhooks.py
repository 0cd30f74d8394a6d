"""MLflow 3's webhook endpoints (/api/2.0/mlflow/webhooks), for the stock client's `create_webhook`,
`list_webhooks`, `get_webhook`, `update_webhook`, `delete_webhook` and `test_webhook`.

They call the same services as the native API. Subscriptions made here are MLflow-flavoured: they
subscribe with MLflow's event names (`model_version_alias.created` is Podium's
`model_version_alias.set`), their bodies use MLflow's entity/action names, and they have no secret
unless one is given (MLflow signs only then). Every subscription is listed here, its events shown as
the MLflow events it covers. Errors are rendered by the MLflow adapter's one table (errors.py). The
test endpoint reports success only for 2xx and never returns the receiver's body.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from registry.api.auth import requires
from registry.api.context import uow
from registry.api.native.webhooks import keys
from registry.domain import webhooks as wh
from registry.domain.errors import InvalidParameter
from registry.domain.identity import Role
from registry.domain.webhooks import Flavor, Webhook
from registry.services import deliveries, webhooks

PREFIX = "/api/2.0/mlflow/webhooks"
bp = Blueprint("mlflow_webhooks", __name__, url_prefix=PREFIX)


# -- wire format ---------------------------------------------------------------------------------
def _wire(w: Webhook) -> dict[str, Any]:
    out: dict[str, Any] = {
        "webhook_id": w.id,
        "name": w.name,
        "url": w.url,
        "events": [{"entity": ent.upper(), "action": act.upper()} for ent, act in wh.mlflow_events(w.events)],
        "status": "ACTIVE" if w.active else "DISABLED",
        "creation_timestamp": w.created_at,
        "last_updated_timestamp": w.updated_at,
    }
    if w.description:
        out["description"] = w.description
    return out


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise InvalidParameter("The request body must be a JSON object.")
    return body


def _events(value: object) -> list[str]:
    if not isinstance(value, list) or not value:
        raise InvalidParameter("'events' must be a non-empty list of {entity, action}.", field="events")
    return [_event(item) for item in value]


def _event(item: object) -> str:
    if (
        not isinstance(item, dict)
        or not isinstance(item.get("entity"), str)
        or not isinstance(item.get("action"), str)
    ):
        raise InvalidParameter("Each event must be an object with 'entity' and 'action'.", field="events")
    return wh.from_mlflow_event(item["entity"], item["action"])


def _active(status: object) -> bool:
    if status not in ("ACTIVE", "DISABLED"):
        raise InvalidParameter(f"Invalid webhook status {status!r}; use ACTIVE or DISABLED.", field="status")
    return status == "ACTIVE"


def _string(body: dict[str, Any], key: str, required: bool = False) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            raise InvalidParameter(f"Missing value for required parameter '{key}'.", field=key)
        return None
    if not isinstance(value, str):
        raise InvalidParameter(f"Invalid value {value!r} for parameter '{key}': must be a string.", field=key)
    return value


# -- views ---------------------------------------------------------------------------------------
@bp.post("")
@requires(Role.ADMIN)
def create_webhook() -> Any:
    body = _body()
    created = webhooks.create_webhook(
        uow(),
        keys(),
        name=_string(body, "name", required=True),
        url=_string(body, "url", required=True),
        events=_events(body.get("events")),
        description=_string(body, "description"),
        secret=_string(body, "secret") or None,
        active=_active(body["status"]) if body.get("status") else True,
        flavor=Flavor.MLFLOW,
    )
    return jsonify({"webhook": _wire(created.webhook)})


@bp.get("")
@requires(Role.ADMIN)
def list_webhooks() -> Any:
    page = webhooks.list_webhooks(uow(), request.args.get("max_results"), request.args.get("page_token"))
    out: dict[str, Any] = {"webhooks": [_wire(w) for w in page.items]}
    if page.next_page_token:
        out["next_page_token"] = page.next_page_token
    return jsonify(out)


@bp.get("/<webhook_id>")
@requires(Role.ADMIN)
def get_webhook(webhook_id: str) -> Any:
    return jsonify({"webhook": _wire(webhooks.get_webhook(uow(), webhook_id))})


@bp.patch("/<webhook_id>")
@requires(Role.ADMIN)
def update_webhook(webhook_id: str) -> Any:
    body = _body()
    changes: dict[str, Any] = {}
    if body.get("name"):
        changes["name"] = _string(body, "name")
    if "description" in body:
        changes["description"] = _string(body, "description") or ""
    if body.get("url"):
        changes["url"] = _string(body, "url")
    if body.get("events"):
        changes["events"] = _events(body["events"])
    if "secret" in body:
        changes["secret"] = _string(body, "secret") or None
    if body.get("status"):
        changes["active"] = _active(body["status"])
    return jsonify({"webhook": _wire(webhooks.update_webhook(uow(), keys(), webhook_id, **changes))})


@bp.delete("/<webhook_id>")
@requires(Role.ADMIN)
def delete_webhook(webhook_id: str) -> Any:
    webhooks.delete_webhook(uow(), webhook_id)
    return jsonify({})


@bp.post("/<webhook_id>/test")
@requires(Role.ADMIN)
def test_webhook(webhook_id: str) -> Any:
    body = _body()
    event_type = _event(body["event"]) if body.get("event") else None
    if event_type is None:
        # MLflow tests with the webhook's first event.
        covered = wh.mlflow_events(webhooks.get_webhook(uow(), webhook_id).events)
        event_type = wh.from_mlflow_event(*covered[0]) if covered else None
    delivery_id, event_id = deliveries.send_ping(uow(), webhook_id, event_type)
    outcome = deliveries.await_ping(uow(), delivery_id, event_id, keys().settings.ping_wait)
    result: dict[str, Any] = {"success": outcome.success}
    if outcome.status_code is not None:
        result["response_status"] = outcome.status_code
    if outcome.error:
        result["error_message"] = outcome.error
    return jsonify({"result": result})
