"""Webhooks in the registry's words: the event catalogue, the patterns a subscription asks for, its
model filter, MLflow's names for events, and the values the registry shows of subscriptions and
their deliveries.

The catalogue is the set of JSON Schemas shipped in `event_schemas/`: an event type exists for
subscriptions exactly when its schema does, so the documentation and the validation cannot drift.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

from registry.domain.errors import InvalidParameter, MissingParameter, NotFound
from registry.domain.names import validate_model_name

_SCHEMAS = "registry.domain.event_schemas"
ENVELOPE = "envelope"
TEST_EVENT = "webhook.test"
DISABLED_EVENT = "webhook.disabled"
CREATED_EVENT = "webhook.created"
UPDATED_EVENT = "webhook.updated"
DELETED_EVENT = "webhook.deleted"
MAX_PATTERNS = 64


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    DELIVERED = "delivered"
    FAILED = "failed"


class Kind(StrEnum):
    """Where a subscription's events go: an HTTP receiver, or a GitHub repository_dispatch."""

    HTTP = "http"
    GITHUB = "github"


class Flavor(StrEnum):
    """Which API created the subscription: MLflow-created ones are shown and named as MLflow does."""

    PODIUM = "podium"
    MLFLOW = "mlflow"


# -- the catalogue -------------------------------------------------------------------------------
@cache
def event_types() -> tuple[str, ...]:
    """Every event type a subscription may ask for, sorted."""
    names = (p.name for p in resources.files(_SCHEMAS).iterdir())
    return tuple(sorted(n[: -len(".json")] for n in names if n.endswith(".json") and n != "envelope.json"))


@cache
def _schema_text(name: str) -> str:
    return resources.files(_SCHEMAS).joinpath(f"{name}.json").read_text(encoding="utf-8")


def event_schema(event_type: str) -> dict[str, Any]:
    """The JSON Schema of one event type's envelope (it refers to `envelope.json`)."""
    if event_type != ENVELOPE and event_type not in event_types():
        raise NotFound(f"No event type {event_type!r}; known types: {', '.join(event_types())}.")
    schema: dict[str, Any] = json.loads(_schema_text(event_type))
    return schema


def example_data(event_type: str) -> dict[str, Any]:
    """The example `data` the schema carries (what a test ping for that type sends)."""
    examples = event_schema(event_type).get("examples") or [{"data": {}}]
    data: dict[str, Any] = examples[0]["data"]
    return data


def entity_of(event_type: str) -> str:
    return event_type.partition(".")[0]


def action_of(event_type: str) -> str:
    return event_type.partition(".")[2]


def entities() -> tuple[str, ...]:
    return tuple(sorted({entity_of(t) for t in event_types()}))


# -- what a subscription asks for ----------------------------------------------------------------
def validate_event_patterns(patterns: object, field: str = "events") -> list[str]:
    """Check a subscription's event patterns: `*`, `<entity>.*` or an event type from the catalogue.

    Returns them without duplicates, in the order given. Raises InvalidParameter naming the first
    pattern that matches nothing, with the valid choices.
    """
    if patterns is None or patterns == []:
        raise MissingParameter(
            f"'{field}' needs at least one event type, e.g. ['model_version.*'] or ['*'].", field=field
        )
    if not isinstance(patterns, list | tuple) or not all(isinstance(p, str) for p in patterns):
        raise InvalidParameter(f"'{field}' must be a list of event types.", field=field)
    if len(patterns) > MAX_PATTERNS:
        raise InvalidParameter(f"'{field}' may hold at most {MAX_PATTERNS} entries.", field=field)
    checked: list[str] = []
    for pattern in patterns:
        text = pattern.strip()
        known = text == "*" or text in event_types() or (text.endswith(".*") and text[:-2] in entities())
        if not known:
            raise InvalidParameter(
                f"Unknown event type {pattern!r} in '{field}'. Use '*', '<entity>.*' with an entity "
                f"among {', '.join(entities())}, or one of: {', '.join(event_types())}.",
                field=field,
            )
        if text not in checked:
            checked.append(text)
    return checked


def pattern_matches(pattern: str, event_type: str) -> bool:
    if pattern == "*":
        return True
    if pattern.endswith(".*"):
        return entity_of(event_type) == pattern[:-2]
    return pattern == event_type


def wants(patterns: Iterable[str], event_type: str) -> bool:
    """True when a subscription with these patterns receives `event_type`."""
    return any(pattern_matches(p, event_type) for p in patterns)


_MODEL_FILTER_WILDCARD = "*"


def validate_model_filter(value: object, field: str = "model") -> str | None:
    """A model name, or a pattern where `*` stands for any characters (e.g. `fraud-*`); None for all."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidParameter(f"'{field}' must be a model name or a pattern such as 'fraud-*'.", field=field)
    # A pattern must be a valid name once its wildcards are filled in.
    validate_model_name(value.replace(_MODEL_FILTER_WILDCARD, "x"), field=field)
    return value


@cache
def _model_regex(pattern: str) -> re.Pattern[str]:
    parts = (re.escape(p) for p in pattern.split(_MODEL_FILTER_WILDCARD))
    return re.compile(".*".join(parts), re.DOTALL)


def model_matches(model_filter: str | None, model: str | None) -> bool:
    """A subscription without a filter gets every event; with one, only events about a matching model."""
    if model_filter is None:
        return True
    if model is None:
        return False
    return _model_regex(model_filter).fullmatch(model) is not None


# -- MLflow's names ------------------------------------------------------------------------------
# MLflow event (entity.action) -> Podium event type. MLflow names setting an alias "created".
_FROM_MLFLOW = {
    "registered_model.created": "registered_model.created",
    "model_version.created": "model_version.created",
    "model_version_tag.set": "model_version_tag.set",
    "model_version_tag.deleted": "model_version_tag.deleted",
    "model_version_alias.created": "model_version_alias.set",
    "model_version_alias.deleted": "model_version_alias.deleted",
}
_TO_MLFLOW = {podium: mlflow for mlflow, podium in _FROM_MLFLOW.items()}


def from_mlflow_event(entity: str, action: str, field: str = "events") -> str:
    """The Podium event type for MLflow's (entity, action), case-insensitively."""
    name = f"{entity.lower()}.{action.lower()}"
    found = _FROM_MLFLOW.get(name)
    if found is None:
        raise InvalidParameter(
            f"Podium does not send MLflow event {name!r}; supported: {', '.join(_FROM_MLFLOW)}.",
            field=field,
        )
    return found


def to_mlflow_event(event_type: str) -> tuple[str, str] | None:
    """MLflow's (entity, action) for a Podium event type, or None when MLflow has no such event."""
    name = _TO_MLFLOW.get(event_type)
    if name is None:
        return None
    entity, _, action = name.partition(".")
    return entity, action


def mlflow_events(patterns: Iterable[str]) -> list[tuple[str, str]]:
    """The MLflow events a subscription's patterns cover (how the MLflow API shows its events)."""
    found: list[tuple[str, str]] = []
    for pattern in patterns:  # in the subscription's order: MLflow tests with the first event
        for event_type in _TO_MLFLOW:
            named = to_mlflow_event(event_type)
            if named is not None and pattern_matches(pattern, event_type) and named not in found:
                found.append(named)
    return found


# -- what the registry shows ---------------------------------------------------------------------
@dataclass(frozen=True)
class GitHubTarget:
    """A repository whose workflows a subscription starts with `repository_dispatch`."""

    owner: str
    repo: str
    # repository_dispatch's event_type; None sends the Podium event type (e.g. model_version.created)
    event_type: str | None
    api_url: str


@dataclass(frozen=True)
class Webhook:
    id: str
    name: str
    description: str
    kind: Kind
    url: str
    events: list[str]
    model_filter: str | None
    active: bool
    flavor: Flavor
    created_at: int
    updated_at: int
    created_by: str
    has_secret: bool
    disabled_reason: str | None = None
    disabled_at: int | None = None
    failing_since: int | None = None
    github: GitHubTarget | None = None
    # Until this time, deliveries are also signed with the secret replaced by the last rotation.
    previous_secret_until: int | None = None


@dataclass(frozen=True)
class NewSecret:
    """A signing secret (or GitHub token) as shown once, when it is created or rotated."""

    webhook: Webhook
    secret: str | None


@dataclass(frozen=True)
class Attempt:
    number: int
    redelivery: bool
    started_at: int
    duration_ms: int
    status_code: int | None
    error: str | None
    response_excerpt: str | None
    dispatcher: str


@dataclass(frozen=True)
class Delivery:
    id: int
    webhook_id: str
    event_id: str
    event_type: str
    model: str | None
    status: DeliveryStatus
    test: bool
    attempts: int
    redeliveries: int
    created_at: int
    next_attempt_at: int | None
    last_attempt_at: int | None
    delivered_at: int | None
    last_status_code: int | None
    last_error: str | None
    attempt_log: list[Attempt] = field(default_factory=list)


@dataclass(frozen=True)
class PingOutcome:
    """What a test ping came to: never the receiver's body (it could reflect an internal service)."""

    delivery_id: int
    event_id: str
    sent: bool
    success: bool
    status_code: int | None
    duration_ms: int | None
    error: str | None
