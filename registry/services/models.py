"""Registered models: create, read, rename, describe, tag, delete, search."""

from __future__ import annotations

from collections.abc import Mapping

from registry.db.uow import UnitOfWork
from registry.domain import events
from registry.domain.entities import Page, RegisteredModel
from registry.domain.errors import AlreadyExists
from registry.domain.names import (
    validate_description,
    validate_model_name,
    validate_tag,
    validate_tag_key,
)
from registry.domain.paging import decode_page_token, encode_page_token, fingerprint, page_size
from registry.domain.search import MODEL_FILTER, parse_filter
from registry.services import assemble, guard

MAX_RESULTS_DEFAULT = 100
MAX_RESULTS_LIMIT = 1000


def _tags(tags: Mapping[str, object] | None) -> dict[str, str]:
    return dict(validate_tag(k, v) for k, v in (tags or {}).items())


def create_registered_model(
    uow: UnitOfWork,
    name: str,
    description: str | None = None,
    tags: Mapping[str, object] | None = None,
) -> RegisteredModel:
    """Create a model with no versions. Raises AlreadyExists for a taken name."""
    name = validate_model_name(name)
    description = validate_description(description)
    checked_tags = _tags(tags)
    with uow:
        row = uow.models.add(name, description, uow.now, uow.actor.name)
        for key, value in checked_tags.items():
            uow.models.set_tag(row.id, key, value)
        model = assemble.model(uow, row)
        uow.record(
            events.Event(
                events.REGISTERED_MODEL_CREATED,
                name,
                events.model_data(model),
                after=events.model_data(model),
            )
        )
        return model


def get_registered_model(uow: UnitOfWork, name: str) -> RegisteredModel:
    name = validate_model_name(name)
    with uow.reading():
        return assemble.model(uow, uow.models.get(name))


def update_registered_model(uow: UnitOfWork, name: str, description: str | None) -> RegisteredModel:
    name = validate_model_name(name)
    description = validate_description(description)
    with uow:
        row = uow.models.lock(name)
        previous = row.description
        row.description = description
        row.last_updated_time = uow.now
        uow.record(
            events.Event(
                events.REGISTERED_MODEL_UPDATED,
                name,
                {"name": name, "description": description, "previous_description": previous},
                before={"description": previous},
                after={"description": description},
            )
        )
        return assemble.model(uow, row)


def rename_registered_model(uow: UnitOfWork, name: str, new_name: str) -> RegisteredModel:
    """Rename a model; versions, tags and aliases follow it. The old name is free afterwards."""
    name = validate_model_name(name)
    new_name = validate_model_name(new_name, field="new_name")
    with uow:
        row = uow.models.lock(name)
        if new_name != name:
            if uow.models.find(new_name) is not None:
                raise AlreadyExists(f"Registered Model (name={new_name}) already exists.")
            row.name = new_name
            row.last_updated_time = uow.now
            # Every version's name changes with the model, so each counts as updated (as MLflow).
            uow.versions.touch_model(row.id, uow.now)
            uow.record(
                events.Event(
                    events.REGISTERED_MODEL_RENAMED,
                    new_name,
                    {"name": new_name, "previous_name": name},
                    before={"name": name},
                    after={"name": new_name},
                )
            )
        return assemble.model(uow, row)


def delete_registered_model(uow: UnitOfWork, name: str) -> None:
    """Delete a model with its versions, tags and aliases. Its history stays."""
    name = validate_model_name(name)
    with uow:
        row = uow.models.lock(name)
        guard.check_model_delete(uow, row)
        uow.record(
            events.Event(
                events.REGISTERED_MODEL_DELETED,
                name,
                {"name": name},
                before={"name": name, "description": row.description},
            )
        )
        uow.models.delete(row)


def set_registered_model_tag(uow: UnitOfWork, name: str, key: str, value: object) -> None:
    name = validate_model_name(name)
    key, text = validate_tag(key, value)
    with uow:
        row = uow.models.lock(name)
        previous = uow.models.set_tag(row.id, key, text)
        uow.record(
            events.Event(
                events.REGISTERED_MODEL_TAG_SET,
                name,
                {"name": name, "key": key, "value": text, "previous_value": previous},
                before={"key": key, "value": previous},
                after={"key": key, "value": text},
            )
        )


def delete_registered_model_tag(uow: UnitOfWork, name: str, key: str) -> None:
    """Delete a tag; deleting a tag that is not set is not an error (as MLflow)."""
    name = validate_model_name(name)
    key = validate_tag_key(key)
    with uow:
        row = uow.models.lock(name)
        previous = uow.models.delete_tag(row.id, key)
        if previous is not None:
            uow.record(
                events.Event(
                    events.REGISTERED_MODEL_TAG_DELETED,
                    name,
                    {"name": name, "key": key, "previous_value": previous},
                    before={"key": key, "value": previous},
                )
            )


def search_registered_models(
    uow: UnitOfWork,
    filter_string: str | None = None,
    order_by: list[str] | None = None,
    max_results: object = None,
    page_token: str | None = None,
) -> Page[RegisteredModel]:
    comparisons = MODEL_FILTER.check(parse_filter(filter_string))
    order = MODEL_FILTER.order(order_by)
    limit = page_size(
        max_results, default=MAX_RESULTS_DEFAULT, maximum=MAX_RESULTS_LIMIT, cap=MAX_RESULTS_LIMIT
    )
    query = fingerprint("models", filter_string or "", order_by or [])
    offset = decode_page_token(page_token, query)
    with uow.reading():
        rows = uow.models.search(comparisons, order, offset, limit + 1)
        items = assemble.models(uow, rows[:limit])
    token = encode_page_token(offset + limit, query) if len(rows) > limit else None
    return Page(items, token)
