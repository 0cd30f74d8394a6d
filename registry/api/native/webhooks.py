"""/api/v1/webhooks and /api/v1/deliveries: subscriptions, the delivery log, redelivery, test pings.

Admin only, except the event catalogue, which any reader may consult. Signing secrets appear in the
answer that creates or rotates them and nowhere else.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import jsonify
from flask.views import MethodView
from flask_smorest import Blueprint

from registry.api.auth import requires
from registry.api.context import runtime, uow
from registry.api.native.webhook_schemas import (
    DeliveryArgs,
    DeliveryDetailSchema,
    DeliveryPageSchema,
    DeliverySchema,
    EventTypeListSchema,
    NewWebhookSchema,
    PageArgs,
    PingArgs,
    PingSchema,
    RedeliveredSchema,
    RedeliverFailedArgs,
    RotateArgs,
    WebhookCreateArgs,
    WebhookPageSchema,
    WebhookSchema,
    WebhookUpdateArgs,
)
from registry.domain import webhooks as wh
from registry.domain.entities import Page
from registry.domain.identity import Role
from registry.domain.webhooks import Delivery, NewSecret, PingOutcome, Webhook
from registry.services import deliveries, webhooks
from registry.services.webhooks import GitHubSpec, Keys

blp = Blueprint(
    "webhooks", __name__, url_prefix="/api/v1", description="Webhook subscriptions and deliveries"
)


def keys() -> Keys:
    return Keys.from_settings(runtime().settings)


def _shown(created: NewSecret) -> dict[str, Any]:
    return {**created.webhook.__dict__, "secret": created.secret}


def _ms(when: datetime | None) -> int | None:
    return int(when.timestamp() * 1000) if when is not None else None


@blp.route("/webhooks")
class Webhooks(MethodView):
    @requires(Role.ADMIN)
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, WebhookPageSchema)
    def get(self, args: dict[str, Any]) -> Page[Webhook]:
        """List subscriptions, oldest first (never their secrets)."""
        return webhooks.list_webhooks(uow(), args.get("max_results"), args.get("page_token"))

    @requires(Role.ADMIN)
    @blp.arguments(WebhookCreateArgs)
    @blp.response(201, NewWebhookSchema)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Subscribe a receiver URL, or a GitHub repository (`github`). A generated signing secret
        is in this response only. Standard Webhooks receivers verify with
        `standardwebhooks.Webhook(secret)`; a secret you supply without the `whsec_` prefix is used
        as its UTF-8 bytes (verify with `Webhook(secret.encode())`). `X-MLflow-Signature` is keyed
        with the secret's UTF-8 bytes as given, as MLflow does."""
        github = GitHubSpec(**args["github"]) if args.get("github") else None
        created = webhooks.create_webhook(
            uow(),
            keys(),
            url=args.get("url"),
            events=args["events"],
            name=args.get("name"),
            description=args.get("description"),
            model_filter=args.get("model"),
            secret=args.get("secret"),
            active=args["active"],
            github=github,
        )
        return _shown(created)


@blp.route("/webhooks/event-types")
class EventTypes(MethodView):
    @requires(Role.READER)
    @blp.response(200, EventTypeListSchema)
    def get(self) -> dict[str, Any]:
        """Every event type a subscription may ask for, with MLflow's name where MLflow has one."""
        out = []
        for event_type in wh.event_types():
            mlflow = wh.to_mlflow_event(event_type)
            out.append(
                {
                    "type": event_type,
                    "description": wh.event_schema(event_type).get("description", ""),
                    "mlflow_event": ".".join(mlflow) if mlflow else None,
                }
            )
        return {"event_types": out}


@blp.route("/webhooks/event-types/<event_type>")
class EventTypeDocument(MethodView):
    @requires(Role.READER)
    def get(self, event_type: str) -> Any:
        """The JSON Schema of an event type's body (`envelope` for the common envelope)."""
        return jsonify(wh.event_schema(event_type))


@blp.route("/webhooks/<webhook_id>")
class WebhookById(MethodView):
    @requires(Role.ADMIN)
    @blp.response(200, WebhookSchema)
    def get(self, webhook_id: str) -> Webhook:
        """One subscription."""
        return webhooks.get_webhook(uow(), webhook_id)

    @requires(Role.ADMIN)
    @blp.arguments(WebhookUpdateArgs)
    @blp.response(200, WebhookSchema)
    def patch(self, args: dict[str, Any], webhook_id: str) -> Webhook:
        """Change what is given. `active: true` re-enables a disabled subscription."""
        if "model" in args:
            args["model_filter"] = args.pop("model")
        return webhooks.update_webhook(uow(), keys(), webhook_id, **args)

    @requires(Role.ADMIN)
    @blp.response(204)
    def delete(self, webhook_id: str) -> None:
        """Delete the subscription with its delivery log."""
        webhooks.delete_webhook(uow(), webhook_id)


@blp.route("/webhooks/<webhook_id>/secret")
class WebhookSecret(MethodView):
    @requires(Role.ADMIN)
    @blp.arguments(RotateArgs)
    @blp.response(200, NewWebhookSchema)
    def post(self, args: dict[str, Any], webhook_id: str) -> dict[str, Any]:
        """Rotate the signing secret; for 24 hours deliveries are signed with both."""
        return _shown(webhooks.rotate_secret(uow(), keys(), webhook_id, args.get("secret")))


@blp.route("/webhooks/<webhook_id>/test")
class WebhookPing(MethodView):
    @requires(Role.ADMIN)
    @blp.arguments(PingArgs)
    @blp.response(200, PingSchema)
    def post(self, args: dict[str, Any], webhook_id: str) -> PingOutcome:
        """Send a test ping through the dispatcher and wait for its one attempt. The answer has the
        status code, duration and error, never the receiver's body."""
        delivery_id, event_id = deliveries.send_ping(uow(), webhook_id, args.get("event_type"))
        return deliveries.await_ping(uow(), delivery_id, event_id, keys().settings.ping_wait)


@blp.route("/webhooks/<webhook_id>/deliveries")
class WebhookDeliveries(MethodView):
    @requires(Role.ADMIN)
    @blp.arguments(DeliveryArgs, location="query")
    @blp.response(200, DeliveryPageSchema)
    def get(self, args: dict[str, Any], webhook_id: str) -> Page[Delivery]:
        """This subscription's deliveries, newest first."""
        args["webhook"] = webhook_id
        return _list(args)


@blp.route("/webhooks/<webhook_id>/redeliver")
class WebhookRedeliver(MethodView):
    @requires(Role.ADMIN)
    @blp.arguments(RedeliverFailedArgs)
    @blp.response(200, RedeliveredSchema)
    def post(self, args: dict[str, Any], webhook_id: str) -> dict[str, int]:
        """Send again every failed delivery created since `since` (same webhook-ids)."""
        since = _ms(args["since"])
        assert since is not None
        return {"queued": deliveries.redeliver_failed(uow(), webhook_id, since)}


def _list(args: dict[str, Any]) -> Page[Delivery]:
    return deliveries.list_deliveries(
        uow(),
        webhook_id=args.get("webhook"),
        status=args.get("status"),
        event_type=args.get("event_type"),
        event_id=args.get("event_id"),
        since=_ms(args.get("since")),
        max_results=args.get("max_results"),
        page_token=args.get("page_token"),
    )


@blp.route("/deliveries")
class Deliveries(MethodView):
    @requires(Role.ADMIN)
    @blp.arguments(DeliveryArgs, location="query")
    @blp.response(200, DeliveryPageSchema)
    def get(self, args: dict[str, Any]) -> Page[Delivery]:
        """Deliveries of every subscription, newest first; narrow by webhook, status, event."""
        return _list(args)


@blp.route("/deliveries/<delivery_id>")
class DeliveryById(MethodView):
    @requires(Role.ADMIN)
    @blp.response(200, DeliveryDetailSchema)
    def get(self, delivery_id: str) -> Delivery:
        """One delivery with every attempt (time, status, duration, error, response excerpt)."""
        return deliveries.get_delivery(uow(), delivery_id)


@blp.route("/deliveries/<delivery_id>/redeliver")
class DeliveryRedeliver(MethodView):
    @requires(Role.ADMIN)
    @blp.response(200, DeliverySchema)
    def post(self, delivery_id: str) -> Delivery:
        """Send a finished delivery again, now, with the same webhook-id."""
        return deliveries.redeliver(uow(), delivery_id)
