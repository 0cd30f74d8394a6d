"""Build domain entities from rows (inside the caller's transaction)."""

from __future__ import annotations

from typing import Any, Protocol

from registry.db.repositories.version_reads import FoundVersion
from registry.db.tables import ModelVersionRow, RegisteredModelRow
from registry.db.uow import UnitOfWork
from registry.domain.entities import ModelVersion, RegisteredModel
from registry.domain.stages import parse_stage


class VersionFields(Protocol):
    """What a version entity is built from: an ORM row, or a row of version_reads' statements."""

    @property
    def version(self) -> int: ...
    @property
    def creation_time(self) -> int: ...
    @property
    def last_updated_time(self) -> int: ...
    @property
    def stage(self) -> str: ...
    @property
    def description(self) -> str | None: ...
    @property
    def source(self) -> str: ...
    @property
    def run_id(self) -> str | None: ...
    @property
    def logged_model_id(self) -> str | None: ...
    @property
    def status(self) -> str: ...
    @property
    def created_by(self) -> str | None: ...
    @property
    def digest(self) -> dict[str, Any] | None: ...


def version_entity(
    row: VersionFields,
    name: str,
    tags: dict[str, str],
    aliases: list[str],
) -> ModelVersion:
    return ModelVersion(
        name=name,
        version=row.version,
        creation_timestamp=row.creation_time,
        last_updated_timestamp=row.last_updated_time,
        current_stage=parse_stage(row.stage),
        description=row.description or "",
        source=row.source,
        run_id=row.run_id,
        model_id=row.logged_model_id,
        status=row.status,
        created_by=row.created_by,
        tags=tags,
        aliases=aliases,
        digest=row.digest,
    )


def versions(uow: UnitOfWork, rows: list[tuple[ModelVersionRow, str]]) -> list[ModelVersion]:
    """Entities for (row, model name) pairs, with tags and aliases loaded in two queries."""
    ids = [row.id for row, _ in rows]
    tags = uow.versions.tags(ids)
    aliases = uow.versions.aliases(ids)
    return [version_entity(row, name, tags[row.id], aliases[row.id]) for row, name in rows]


def found_version(name: str, found: FoundVersion | None) -> ModelVersion | None:
    """The entity for what version_reads found (None stays None)."""
    if found is None:
        return None
    return version_entity(found.row, name, found.tags, found.aliases)


def version(uow: UnitOfWork, row: ModelVersionRow, name: str) -> ModelVersion:
    return versions(uow, [(row, name)])[0]


def models(uow: UnitOfWork, rows: list[RegisteredModelRow]) -> list[RegisteredModel]:
    ids = [row.id for row in rows]
    tags = uow.models.tags(ids)
    aliases = uow.models.aliases(ids)
    latest = uow.versions.latest_per_stage(ids)
    # One batch for every model's latest versions, so a page of models costs a fixed few queries.
    pairs = [(v, row.name) for row in rows for v in latest[row.id]]
    latest_entities: dict[int, list[ModelVersion]] = {row.id: [] for row in rows}
    for (v, _), entity in zip(pairs, versions(uow, pairs), strict=True):
        latest_entities[v.registered_model_id].append(entity)
    return [
        RegisteredModel(
            name=row.name,
            creation_timestamp=row.creation_time,
            last_updated_timestamp=row.last_updated_time,
            description=row.description or "",
            tags=tags[row.id],
            aliases=aliases[row.id],
            latest_versions=latest_entities[row.id],
        )
        for row in rows
    ]


def model(uow: UnitOfWork, row: RegisteredModelRow) -> RegisteredModel:
    return models(uow, [row])[0]
