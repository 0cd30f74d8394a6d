"""Aliases: named pointers (`champion`) from a model to one of its versions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from registry.db.repositories.version_reads import version_by_alias
from registry.db.tables import ModelVersionRow, RegisteredModelRow
from registry.db.uow import UnitOfWork
from registry.domain import events
from registry.domain.entities import ModelVersion
from registry.domain.errors import AliasNotFound
from registry.domain.names import (
    parse_version,
    validate_alias,
    validate_alias_reference,
    validate_model_name,
)
from registry.services import assemble, guard


def set_alias(uow: UnitOfWork, name: str, alias: str, version: object) -> ModelVersion:
    """Point `alias` at `version`, moving it if it was elsewhere. The event carries the previous
    version, so receivers see where the alias came from. A protected alias is refused (see guard)."""
    name = validate_model_name(name)
    alias = validate_alias(alias)
    number = parse_version(version)
    with uow:
        model = uow.models.lock(name)
        row = uow.versions.get(model, number)
        guard.check_alias_move(uow, model, alias, row)
        move_alias(uow, model, alias, row)
        return assemble.version(uow, row, name)


def move_alias(
    uow: UnitOfWork,
    model: RegisteredModelRow,
    alias: str,
    row: ModelVersionRow,
    *,
    promotion_request_id: int | None = None,
    extra: Mapping[str, Any] | None = None,
) -> int | None:
    """Point `alias` at `row` inside the caller's transaction (the model's lock held, checks
    done) and record the event; returns the version number it pointed at before, if any."""
    previous_id = uow.models.set_alias(model.id, alias, row.id)
    previous = uow.versions.by_id(previous_id).version if previous_id is not None else None
    uow.record(
        events.Event(
            events.MODEL_VERSION_ALIAS_SET,
            model.name,
            {
                "name": model.name,
                "alias": alias,
                "version": str(row.version),
                "previous_version": str(previous) if previous is not None else None,
                **(extra or {}),
            },
            before={"alias": alias, "version": previous},
            after={"alias": alias, "version": row.version},
            version=row.version,
            promotion_request_id=promotion_request_id,
        )
    )
    return previous


def delete_alias(uow: UnitOfWork, name: str, alias: str) -> None:
    """Remove an alias. Removing an alias that is not set is not an error (as MLflow)."""
    name = validate_model_name(name)
    alias = validate_alias_reference(alias)
    with uow:
        model = uow.models.lock(name)
        guard.check_alias_move(uow, model, alias, None)
        remove_alias(uow, model, alias)


def remove_alias(
    uow: UnitOfWork, model: RegisteredModelRow, alias: str, *, extra: Mapping[str, Any] | None = None
) -> int | None:
    """Remove `alias` inside the caller's transaction and record the event; returns the version
    it pointed at (None when it was not set, and then nothing is recorded)."""
    current = uow.models.alias_target(model.id, alias)
    if current is None:
        return None
    version = uow.versions.by_id(current.model_version_id).version
    uow.models.delete_alias(model.id, alias)
    uow.record(
        events.Event(
            events.MODEL_VERSION_ALIAS_DELETED,
            model.name,
            {"name": model.name, "alias": alias, "version": str(version), **(extra or {})},
            before={"alias": alias, "version": version},
            after={"alias": alias, "version": None},
            version=version,
        )
    )
    return version


def get_version_by_alias(uow: UnitOfWork, name: str, alias: str) -> ModelVersion:
    name = validate_model_name(name)
    alias = validate_alias_reference(alias)
    with uow.reading():
        # The path every deploy job takes: one prebuilt statement (see version_reads).
        found = assemble.found_version(name, version_by_alias(uow.session, name, alias))
        if found is None:
            uow.models.get(name)  # NotFound for a missing model, before the alias
            raise AliasNotFound(f"Registered model alias {alias} not found.")
        return found
