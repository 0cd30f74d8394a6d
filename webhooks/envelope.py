"""The body a receiver gets: Podium's envelope, which keeps MLflow's keys.

`{id, type, timestamp, model, sequence, actor, entity, action, data}`: Podium's keys plus MLflow's
(`entity`, `action`, `timestamp`, `data` with MLflow's fields), so one body serves receivers written
for either. For subscriptions created through MLflow's API, `entity`/`action` use MLflow's names
(an alias set is `model_version_alias` / `created`), and a test ping carries the tested event's
names, as MLflow's test endpoint does. The body is rendered from the stored event with a fixed key
order, so every attempt of a delivery sends the same bytes.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from registry.db.tables import OutboxEventRow
from registry.domain import webhooks as wh
from registry.domain.webhooks import Flavor


def iso_timestamp(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def names(event_type: str, data: dict[str, Any], flavor: Flavor) -> tuple[str, str]:
    """(entity, action) of an event as a subscription of `flavor` sees it."""
    if flavor is Flavor.MLFLOW:
        named = event_type
        if event_type == wh.TEST_EVENT and isinstance(data.get("event_type"), str):
            named = data["event_type"]
        mlflow = wh.to_mlflow_event(named)
        if mlflow is not None:
            return mlflow
    return wh.entity_of(event_type), wh.action_of(event_type)


def envelope(event: OutboxEventRow, flavor: Flavor) -> dict[str, Any]:
    data = dict(event.data)
    entity, action = names(event.type, data, flavor)
    return {
        "id": event.event_id,
        "type": event.type,
        "timestamp": iso_timestamp(event.occurred_at),
        "model": event.model,
        "sequence": event.sequence,
        "actor": event.actor,
        "entity": entity,
        "action": action,
        "data": data,
    }


def body(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
