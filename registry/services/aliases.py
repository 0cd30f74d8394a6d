"""Aliases: named pointers (`champion`) from a model to one of its versions."""

from __future__ import annotations

from registry.db.repositories.version_reads import version_by_alias
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
from registry.services import assemble


def set_alias(uow: UnitOfWork, name: str, alias: str, version: object) -> ModelVersion:
    """Point `alias` at `version`, moving it if it was elsewhere. The event carries the previous
    version, so receivers see where the alias came from."""
    name = validate_model_name(name)
    alias = validate_alias(alias)
    number = parse_version(version)
    with uow:
        model = uow.models.lock(name)
        row = uow.versions.get(model, number)
        previous_id = uow.models.set_alias(model.id, alias, row.id)
        previous = uow.versions.by_id(previous_id).version if previous_id is not None else None
        model.last_updated_time = uow.now
        uow.record(
            events.Event(
                events.MODEL_VERSION_ALIAS_SET,
                name,
                {
                    "name": name,
                    "alias": alias,
                    "version": str(number),
                    "previous_version": str(previous) if previous is not None else None,
                },
                before={"alias": alias, "version": previous},
                after={"alias": alias, "version": number},
                version=number,
            )
        )
        return assemble.version(uow, row, name)


def delete_alias(uow: UnitOfWork, name: str, alias: str) -> None:
    """Remove an alias. Removing an alias that is not set is not an error (as MLflow)."""
    name = validate_model_name(name)
    alias = validate_alias_reference(alias)
    with uow:
        model = uow.models.lock(name)
        current = uow.models.alias_target(model.id, alias)
        if current is None:
            return
        version = uow.versions.by_id(current.model_version_id).version
        uow.models.delete_alias(model.id, alias)
        model.last_updated_time = uow.now
        uow.record(
            events.Event(
                events.MODEL_VERSION_ALIAS_DELETED,
                name,
                {"name": name, "alias": alias, "version": str(version)},
                before={"alias": alias, "version": version},
                after={"alias": alias, "version": None},
                version=version,
            )
        )


def get_version_by_alias(uow: UnitOfWork, name: str, alias: str) -> ModelVersion:
    name = validate_model_name(name)
    alias = validate_alias_reference(alias)
    with uow.reading():
        # The path every deploy job takes: one prebuilt statement (see version_reads).
        found = version_by_alias(uow.session, name, alias)
        if found is None:
            uow.models.get(name)  # NotFound for a missing model, before the alias
            raise AliasNotFound(f"Registered model alias {alias} not found.")
        return found
