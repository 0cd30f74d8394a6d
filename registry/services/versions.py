"""Model versions: create, read, describe, tag, move between stages, delete, search."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from registry.db.repositories.version_reads import version_by_number
from registry.db.tables import ModelVersionRow, RegisteredModelRow
from registry.db.uow import UnitOfWork
from registry.domain import events
from registry.domain.entities import ModelVersion, Page
from registry.domain.errors import InvalidParameter
from registry.domain.names import (
    parse_version,
    validate_description,
    validate_model_name,
    validate_tag,
    validate_tag_key,
)
from registry.domain.paging import decode_page_token, encode_page_token, fingerprint, page_size
from registry.domain.search import VERSION_FILTER, Comparison, parse_filter
from registry.domain.sources import parse_source
from registry.domain.stages import ALL_STAGES, Stage, parse_stage
from registry.services import assemble, guard, lineage

MAX_RESULTS_DEFAULT = 10_000
# What a client may ask for (MLflow's limit) and what one page holds at most.
MAX_RESULTS_LIMIT = 200_000
PAGE_CAP = 10_000
ACTIVE_STAGES = (Stage.STAGING, Stage.PRODUCTION)

_ID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")


def _optional_id(value: object, field: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _ID.match(value):
        raise InvalidParameter(
            f"Invalid value {value!r} for parameter '{field}': expected an id of letters, "
            "digits, '-' and '_'.",
            field=field,
        )
    return value


def create_model_version(
    uow: UnitOfWork,
    name: str,
    source: str,
    run_id: str | None = None,
    model_id: str | None = None,
    tags: Mapping[str, object] | None = None,
    description: str | None = None,
    digest: dict[str, Any] | None = None,
) -> ModelVersion:
    """Register a new version of `name`; its number is the model's next, never reused."""
    name = validate_model_name(name)
    model_id = _optional_id(model_id, "model_id")
    run_id = _optional_id(run_id, "run_id")
    source_ref = parse_source(source, model_id)
    description = validate_description(description)
    checked_tags = dict(validate_tag(k, v) for k, v in (tags or {}).items())
    with uow:
        model, number = uow.models.lock_for_new_version(name)
        run_id = lineage.check_source(uow, source_ref, run_id, model_id)
        row = uow.versions.add(
            ModelVersionRow(
                registered_model_id=model.id,
                version=number,
                creation_time=uow.now,
                last_updated_time=uow.now,
                stage=Stage.NONE.value,
                description=description,
                source=source,
                run_id=run_id,
                logged_model_id=model_id,
                status="READY",
                created_by=uow.actor.name,
                digest=digest,
            )
        )
        for key, value in checked_tags.items():
            uow.versions.set_tag(row.id, key, value)
        model.last_updated_time = uow.now
        lineage.link_version(uow, model_id, name, number)
        # A new version has exactly the tags just written and no aliases: no need to read them back.
        mv = assemble.version_entity(row, name, dict(sorted(checked_tags.items())), [])
        uow.record(
            events.Event(
                events.MODEL_VERSION_CREATED,
                name,
                events.version_data(mv),
                after=events.version_data(mv),
                version=number,
            )
        )
        return mv


def get_model_version(uow: UnitOfWork, name: str, version: object) -> ModelVersion:
    name = validate_model_name(name)
    number = parse_version(version)
    with uow.reading():
        # One prebuilt statement, like the alias lookup (see version_reads).
        found = assemble.found_version(name, version_by_number(uow.session, name, number))
        if found is not None:
            return found
        # Missing: the model's or the version's own NotFound (or, if it was created since, it).
        model = uow.models.get(name)
        return assemble.version(uow, uow.versions.get(model, number), name)


def update_model_version(
    uow: UnitOfWork, name: str, version: object, description: str | None
) -> ModelVersion:
    name = validate_model_name(name)
    number = parse_version(version)
    description = validate_description(description)
    with uow:
        model = uow.models.lock(name)
        row = uow.versions.get(model, number)
        previous = row.description
        row.description = description
        row.last_updated_time = uow.now
        uow.record(
            events.Event(
                events.MODEL_VERSION_UPDATED,
                name,
                {
                    "name": name,
                    "version": str(number),
                    "description": description,
                    "previous_description": previous,
                },
                before={"description": previous},
                after={"description": description},
                version=number,
            )
        )
        return assemble.version(uow, row, name)


def delete_model_version(uow: UnitOfWork, name: str, version: object) -> None:
    """Delete a version and the aliases on it. Its number is never given out again."""
    name = validate_model_name(name)
    number = parse_version(version)
    with uow:
        model = uow.models.lock(name)
        row = uow.versions.get(model, number)
        guard.check_version_delete(uow, model, row)
        mv = assemble.version(uow, row, name)
        uow.record(
            events.Event(
                events.MODEL_VERSION_DELETED,
                name,
                {"name": name, "version": str(number), "aliases": list(mv.aliases)},
                before=events.version_data(mv),
                version=number,
            )
        )
        uow.versions.delete(row)
        model.last_updated_time = uow.now


def set_model_version_tag(uow: UnitOfWork, name: str, version: object, key: str, value: object) -> None:
    name = validate_model_name(name)
    number = parse_version(version)
    key, text = validate_tag(key, value)
    with uow:
        model = uow.models.lock(name)
        row = uow.versions.get(model, number)
        previous = uow.versions.set_tag(row.id, key, text)
        uow.record(
            events.Event(
                events.MODEL_VERSION_TAG_SET,
                name,
                {
                    "name": name,
                    "version": str(number),
                    "key": key,
                    "value": text,
                    "previous_value": previous,
                },
                before={"key": key, "value": previous},
                after={"key": key, "value": text},
                version=number,
            )
        )


def delete_model_version_tag(uow: UnitOfWork, name: str, version: object, key: str) -> None:
    name = validate_model_name(name)
    number = parse_version(version)
    key = validate_tag_key(key)
    with uow:
        model = uow.models.lock(name)
        row = uow.versions.get(model, number)
        previous = uow.versions.delete_tag(row.id, key)
        if previous is not None:
            uow.record(
                events.Event(
                    events.MODEL_VERSION_TAG_DELETED,
                    name,
                    {"name": name, "version": str(number), "key": key, "previous_value": previous},
                    before={"key": key, "value": previous},
                    version=number,
                )
            )


def transition_stage(
    uow: UnitOfWork,
    name: str,
    version: object,
    stage: object,
    archive_existing_versions: bool = False,
) -> ModelVersion:
    """Move a version to `stage`; with archive_existing_versions, the versions already in that
    (active) stage move to Archived in the same transaction."""
    name = validate_model_name(name)
    number = parse_version(version)
    target = parse_stage(stage)
    if not isinstance(archive_existing_versions, bool):
        raise InvalidParameter(
            "Parameter 'archive_existing_versions' must be a boolean.",
            field="archive_existing_versions",
        )
    if archive_existing_versions and target not in ACTIVE_STAGES:
        raise InvalidParameter(
            "Model version transition cannot archive existing model versions because "
            f"'{target.value}' is not an Active stage. Valid stages are Staging, Production",
            field="archive_existing_versions",
        )
    with uow:
        model = uow.models.lock(name)
        row = uow.versions.get(model, number)
        guard.check_stage_move(uow, model, row, target.value, archive_existing_versions)
        move_stage(uow, model, row, target, archive_existing_versions)
        return assemble.version(uow, row, name)


def move_stage(
    uow: UnitOfWork,
    model: RegisteredModelRow,
    row: ModelVersionRow,
    to: Stage,
    archive_existing_versions: bool = False,
    *,
    promotion_request_id: int | None = None,
    extra: Mapping[str, Any] | None = None,
) -> list[int]:
    """Move `row` to `to` inside the caller's transaction (the model's lock held, checks done),
    archiving the other versions in that stage when asked; returns the versions archived."""
    archived: list[int] = []
    if archive_existing_versions:
        for other in uow.versions.in_stage(model.id, to.value):
            if other.id != row.id:
                _move(uow, model.name, other, Stage.ARCHIVED, row.version, promotion_request_id, extra)
                archived.append(other.version)
    _move(uow, model.name, row, to, None, promotion_request_id, extra)
    model.last_updated_time = uow.now
    return archived


def _move(
    uow: UnitOfWork,
    name: str,
    row: ModelVersionRow,
    to: Stage,
    archived_by: int | None = None,
    promotion_request_id: int | None = None,
    extra: Mapping[str, Any] | None = None,
) -> None:
    previous = row.stage
    row.stage = to.value
    row.last_updated_time = uow.now
    data: dict[str, Any] = {
        "name": name,
        "version": str(row.version),
        "from_stage": previous,
        "to_stage": to.value,
        **(extra or {}),
    }
    if archived_by is not None:
        data["archived_because_version"] = str(archived_by)
    uow.record(
        events.Event(
            events.MODEL_VERSION_STAGE_TRANSITIONED,
            name,
            data,
            before={"stage": previous},
            after={"stage": to.value},
            version=row.version,
            promotion_request_id=promotion_request_id,
        )
    )


def get_latest_versions(uow: UnitOfWork, name: str, stages: list[str] | None = None) -> list[ModelVersion]:
    """The newest version in each requested stage (every stage when none is given)."""
    name = validate_model_name(name)
    wanted = [parse_stage(s).value for s in stages] if stages else [s.value for s in ALL_STAGES]
    with uow.reading():
        model = uow.models.get(name)
        rows = uow.versions.latest_per_stage([model.id], wanted)[model.id]
        return assemble.versions(uow, [(r, name) for r in rows])


def search_model_versions(
    uow: UnitOfWork,
    filter_string: str | None = None,
    order_by: list[str] | None = None,
    max_results: object = None,
    page_token: str | None = None,
    model: str | None = None,
) -> Page[ModelVersion]:
    """Versions matching the filter; `model` restricts to one registered model (which must exist)."""
    comparisons = VERSION_FILTER.check(parse_filter(filter_string))
    if model is not None:
        comparisons.append(Comparison("attribute", "name", "=", validate_model_name(model)))
    order = VERSION_FILTER.order(order_by)
    limit = page_size(max_results, default=MAX_RESULTS_DEFAULT, maximum=MAX_RESULTS_LIMIT, cap=PAGE_CAP)
    query = fingerprint("versions", filter_string or "", order_by or [], model)
    offset = decode_page_token(page_token, query)
    with uow.reading():
        if model is not None:
            uow.models.get(model)
        rows = uow.versions.search(comparisons, order, offset, limit + 1)
        items = assemble.versions(uow, rows[:limit])
    token = encode_page_token(offset + limit, query) if len(rows) > limit else None
    return Page(items, token)
