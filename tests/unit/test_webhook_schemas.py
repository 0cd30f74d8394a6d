"""The JSON Schemas shipped for every event type: valid schemas, a complete catalogue, and
examples that pass them. (Real payloads are validated in tests/integration/test_webhook_delivery.py.)"""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from registry.domain import webhooks as wh
from registry.domain.events import REGISTRY_EVENT_TYPES
from tests.fixtures.webhooks import validate_event


def test_the_catalogue_covers_every_event_podium_records() -> None:
    types = set(wh.event_types())
    assert set(REGISTRY_EVENT_TYPES) <= types
    assert {
        f"promotion_request.{a}" for a in ("created", "approved", "rejected", "cancelled", "applied")
    } <= types
    assert {"token.created", "token.revoked", "webhook.test", "webhook.disabled"} <= types
    assert "envelope" not in types


@pytest.mark.parametrize("event_type", [*wh.event_types(), wh.ENVELOPE])
def test_each_schema_is_a_valid_2020_12_schema(event_type: str) -> None:
    schema = wh.event_schema(event_type)
    Draft202012Validator.check_schema(schema)
    assert schema["$id"].endswith(f"/{event_type}.json")


@pytest.mark.parametrize("event_type", wh.event_types())
def test_each_example_passes_its_schema(event_type: str) -> None:
    entity, action = wh.entity_of(event_type), wh.action_of(event_type)
    payload = {
        "id": "evt_" + "0" * 32,
        "type": event_type,
        "timestamp": "2026-11-27T02:29:06.422Z",
        "model": None if entity in ("token", "webhook") else wh.example_data(event_type)["name"],
        "sequence": 1,
        "actor": "alice",
        "entity": entity,
        "action": action,
        "data": wh.example_data(event_type),
    }
    validate_event(payload)


def test_schemas_refuse_drift() -> None:
    from jsonschema import ValidationError

    good = {
        "id": "evt_" + "0" * 32,
        "type": "model_version_alias.set",
        "timestamp": "2026-11-27T02:29:06.422Z",
        "model": "m",
        "sequence": 3,
        "actor": "alice",
        "entity": "model_version_alias",
        "action": "set",
        "data": {"name": "m", "alias": "champion", "version": "2", "previous_version": None},
    }
    validate_event(good)
    for broken in (
        {**good, "data": {**good["data"], "version": 2}},  # versions are strings, as MLflow's
        {**good, "data": {k: v for k, v in good["data"].items() if k != "previous_version"}},
        {**good, "timestamp": "yesterday"},
        {**good, "extra": 1},
    ):
        with pytest.raises(ValidationError):
            validate_event(broken)
    # Governance may add fields to promotion events.
    promo = {
        **good,
        "type": "promotion_request.approved",
        "entity": "promotion_request",
        "action": "approved",
        "data": {"id": 1, "name": "m", "version": "2", "target": "alias:champion", "approvals": 2},
    }
    validate_event(promo)
