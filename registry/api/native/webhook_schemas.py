"""Marshmallow schemas of the native webhook API (/api/v1/webhooks, /api/v1/deliveries)."""

from __future__ import annotations

from datetime import UTC

from marshmallow import Schema, fields, validate

from registry.api.native.schemas import Strict, Timestamp
from registry.domain.webhooks import DeliveryStatus

_EVENTS_HELP = "Event types or patterns: 'model_version.created', 'model_version.*', '*'."


# -- responses -----------------------------------------------------------------------------------
class GitHubTargetSchema(Schema):
    owner = fields.String()
    repo = fields.String()
    event_type = fields.String(allow_none=True, metadata={"description": "null: the Podium event type"})
    api_url = fields.String()


class WebhookSchema(Schema):
    id = fields.String(required=True)
    name = fields.String()
    description = fields.String()
    kind = fields.String(metadata={"description": "http or github"})
    url = fields.String()
    events = fields.List(fields.String())
    model = fields.String(attribute="model_filter", allow_none=True)
    active = fields.Boolean()
    disabled_reason = fields.String(allow_none=True)
    disabled_at = Timestamp(allow_none=True)
    failing_since = Timestamp(allow_none=True, metadata={"description": "start of the current failures"})
    flavor = fields.String(metadata={"description": "podium, or mlflow when created through MLflow's API"})
    has_secret = fields.Boolean()
    secret_rotation_ends_at = Timestamp(attribute="previous_secret_until", allow_none=True)
    github = fields.Nested(GitHubTargetSchema, allow_none=True)
    created_at = Timestamp()
    updated_at = Timestamp()
    created_by = fields.String()


class NewWebhookSchema(WebhookSchema):
    secret = fields.String(
        allow_none=True,
        metadata={"description": "The generated signing secret: shown in this response only."},
    )


class WebhookPageSchema(Schema):
    webhooks = fields.List(fields.Nested(WebhookSchema), attribute="items")
    next_page_token = fields.String(allow_none=True)


class AttemptSchema(Schema):
    number = fields.Integer()
    redelivery = fields.Boolean()
    started_at = Timestamp()
    duration_ms = fields.Integer()
    status_code = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    response_excerpt = fields.String(allow_none=True, metadata={"description": "at most 1 KiB"})
    dispatcher = fields.String()


class DeliverySchema(Schema):
    id = fields.Integer()
    webhook_id = fields.String()
    event_id = fields.String(metadata={"description": "also the webhook-id header"})
    event_type = fields.String()
    model = fields.String(allow_none=True)
    status = fields.String(attribute="status.value")
    test = fields.Boolean()
    attempts = fields.Integer()
    redeliveries = fields.Integer()
    created_at = Timestamp()
    next_attempt_at = Timestamp(allow_none=True)
    last_attempt_at = Timestamp(allow_none=True)
    delivered_at = Timestamp(allow_none=True)
    last_status_code = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)


class DeliveryDetailSchema(DeliverySchema):
    attempt_log = fields.List(fields.Nested(AttemptSchema))


class DeliveryPageSchema(Schema):
    deliveries = fields.List(fields.Nested(DeliverySchema), attribute="items")
    next_page_token = fields.String(allow_none=True)


class RedeliveredSchema(Schema):
    queued = fields.Integer()


class PingSchema(Schema):
    delivery_id = fields.Integer()
    event_id = fields.String()
    sent = fields.Boolean(metadata={"description": "false when no dispatcher sent it in time"})
    success = fields.Boolean(metadata={"description": "the receiver answered 2xx"})
    status_code = fields.Integer(allow_none=True)
    duration_ms = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)


class EventTypeSchema(Schema):
    type = fields.String()
    description = fields.String()
    mlflow_event = fields.String(allow_none=True, metadata={"description": "MLflow's name, if it has one"})


class EventTypeListSchema(Schema):
    event_types = fields.List(fields.Nested(EventTypeSchema))


# -- requests ------------------------------------------------------------------------------------
class GitHubArgs(Strict):
    owner = fields.String(required=True)
    repo = fields.String(required=True)
    token = fields.String(required=True, load_only=True)
    event_type = fields.String(load_default=None)
    api_url = fields.String(load_default=None, metadata={"description": "GitHub Enterprise API URL"})


class PageArgs(Strict):
    max_results = fields.Integer(load_default=None, validate=validate.Range(min=1))
    page_token = fields.String(load_default=None)


class WebhookCreateArgs(Strict):
    url = fields.String(load_default=None, metadata={"description": "The receiver (not for GitHub targets)"})
    events = fields.List(fields.String(), required=True, metadata={"description": _EVENTS_HELP})
    model = fields.String(load_default=None, allow_none=True, metadata={"description": "e.g. fraud-*"})
    name = fields.String(load_default=None)
    description = fields.String(load_default=None)
    secret = fields.String(load_default=None, metadata={"description": "Default: a generated whsec_ secret"})
    active = fields.Boolean(load_default=True)
    github = fields.Nested(GitHubArgs, load_default=None)


class WebhookUpdateArgs(Strict):
    name = fields.String()
    description = fields.String()
    url = fields.String()
    events = fields.List(fields.String(), metadata={"description": _EVENTS_HELP})
    model = fields.String(allow_none=True)
    active = fields.Boolean(metadata={"description": "true re-enables and clears the failure record"})
    secret = fields.String(metadata={"description": "Replace the secret with this one, at once"})
    github_token = fields.String(metadata={"description": "Replace a GitHub target's token"})


class RotateArgs(Strict):
    secret = fields.String(load_default=None, metadata={"description": "Default: a generated one"})


class PingArgs(Strict):
    event_type = fields.String(load_default=None, metadata={"description": "The event the ping stands for"})


class DeliveryArgs(Strict):
    webhook = fields.String(load_default=None)
    status = fields.String(
        load_default=None,
        metadata={"description": ", ".join(s.value for s in DeliveryStatus) + " (comma-separated)"},
    )
    event_type = fields.String(load_default=None)
    event_id = fields.String(load_default=None)
    since = fields.AwareDateTime(
        load_default=None, default_timezone=UTC, metadata={"description": "ISO 8601"}
    )
    max_results = fields.Integer(load_default=None, validate=validate.Range(min=1))
    page_token = fields.String(load_default=None)


class RedeliverFailedArgs(Strict):
    since = fields.AwareDateTime(
        required=True,
        default_timezone=UTC,
        metadata={"description": "ISO 8601; failed deliveries since then"},
    )
