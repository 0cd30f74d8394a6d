"""Logged models (MLflow 3): a model's files and metadata, produced by a run, before registration."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from registry.db.repositories.tracking import Tracking, tracking
from registry.db.tables.tracking import LoggedModelRow
from registry.db.uow import UnitOfWork
from registry.domain.entities import Page
from registry.domain.errors import InvalidParameter
from registry.domain.paging import decode_page_token, encode_page_token, fingerprint, page_size
from registry.domain.run_names import generate_run_name
from registry.domain.search import OrderKey, parse_filter
from registry.domain.tracking import (
    ACTIVE,
    DEFAULT_EXPERIMENT_ID,
    MAX_PARAM_VALUE_LENGTH,
    MAX_RUN_TAG_VALUE_LENGTH,
    MODEL_VERSIONS_TAG,
    LoggedModel,
    LoggedModelStatus,
    artifact_uri,
    logged_model_artifact_path,
    parse_logged_model_status,
    validate_key,
    validate_value,
)
from registry.domain.tracking_search import LOGGED_MODEL_FILTER

MAX_RESULTS_DEFAULT = 100
MAX_RESULTS_LIMIT = 1000


def entities(repos: Tracking, rows: list[LoggedModelRow]) -> list[LoggedModel]:
    ids = [r.model_id for r in rows]
    tags = repos.logged_models.tags(ids)
    params = repos.logged_models.params(ids)
    metrics = repos.logged_models.metrics(ids)
    return [
        LoggedModel(
            model_id=r.model_id,
            experiment_id=str(r.experiment_id),
            name=r.name,
            creation_timestamp=r.creation_time,
            last_updated_timestamp=r.last_updated_time,
            artifact_uri=artifact_uri(logged_model_artifact_path(str(r.experiment_id), r.model_id)),
            status=r.status,
            model_type=r.model_type,
            source_run_id=r.source_run_id,
            tags=tags[r.model_id],
            params=params[r.model_id],
            metrics=metrics[r.model_id],
        )
        for r in rows
    ]


def _pairs(items: Mapping[str, object] | None, what: str, limit: int) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in (items or {}).items():
        k = validate_key(key, what)
        out[k] = validate_value(value, k, limit, what)
    return out


def create_logged_model(
    uow: UnitOfWork,
    experiment_id: object,
    name: object = None,
    source_run_id: object = None,
    params: Mapping[str, object] | None = None,
    tags: Mapping[str, object] | None = None,
    model_type: object = None,
) -> LoggedModel:
    """Create a pending logged model; the server picks its id and where its files go."""
    if name not in (None, "") and not isinstance(name, str):
        raise InvalidParameter(f"Invalid value {name!r} for parameter 'name'.", field="name")
    if model_type is not None and not isinstance(model_type, str):
        raise InvalidParameter(
            f"Invalid value {model_type!r} for parameter 'model_type'.", field="model_type"
        )
    checked_params = _pairs(params, "Param", MAX_PARAM_VALUE_LENGTH)
    checked_tags = _pairs(tags, "Tag", MAX_RUN_TAG_VALUE_LENGTH)
    model_name = validate_value(name or generate_run_name(), "name", 500, "Logged model name")
    with uow:
        repos = tracking(uow)
        if str(experiment_id) == DEFAULT_EXPERIMENT_ID:
            repos.experiments.ensure_default(uow.now)
        experiment = repos.experiments.get(experiment_id)
        if experiment.lifecycle_stage != ACTIVE:
            raise InvalidParameter(
                f"The experiment {experiment.id} must be in the 'active' state. Current state is "
                f"{experiment.lifecycle_stage}.",
                field="experiment_id",
            )
        run_id = None
        if source_run_id not in (None, ""):
            run_id = repos.runs.get(source_run_id).run_uuid
        row = repos.logged_models.add(
            LoggedModelRow(
                model_id="m-" + uuid.uuid4().hex,
                experiment_id=experiment.id,
                name=model_name,
                source_run_id=run_id,
                status=LoggedModelStatus.PENDING.value,
                model_type=model_type or "",
                creation_time=uow.now,
                last_updated_time=uow.now,
                lifecycle_stage=ACTIVE,
            )
        )
        for key, value in checked_params.items():
            repos.logged_models.set_param(row.model_id, key, value)
        for key, value in checked_tags.items():
            repos.logged_models.set_tag(row.model_id, key, value)
        return entities(repos, [row])[0]


def get_logged_model(uow: UnitOfWork, model_id: object) -> LoggedModel:
    with uow.reading():
        repos = tracking(uow)
        return entities(repos, [repos.logged_models.get(model_id)])[0]


def finalize_logged_model(uow: UnitOfWork, model_id: object, status: object) -> LoggedModel:
    """Mark the upload of the model's files as done (READY) or failed."""
    checked = parse_logged_model_status(status)
    with uow:
        repos = tracking(uow)
        row = repos.logged_models.get(model_id)
        row.status = checked.value
        row.last_updated_time = uow.now
        return entities(repos, [row])[0]


def set_logged_model_tags(uow: UnitOfWork, model_id: object, tags: Mapping[str, object]) -> None:
    checked = _pairs(tags, "Tag", MAX_RUN_TAG_VALUE_LENGTH)
    with uow:
        repos = tracking(uow)
        row = repos.logged_models.get(model_id)
        for key, value in checked.items():
            repos.logged_models.set_tag(row.model_id, key, value)
        row.last_updated_time = uow.now


def delete_logged_model_tag(uow: UnitOfWork, model_id: object, key: object) -> None:
    checked = validate_key(key, "Tag")
    with uow:
        repos = tracking(uow)
        row = repos.logged_models.get(model_id)
        if not repos.logged_models.delete_tag(row.model_id, checked):
            raise InvalidParameter(f"No tag with key {checked!r} found for model with ID {row.model_id!r}.")


def log_logged_model_params(uow: UnitOfWork, model_id: object, params: Mapping[str, object]) -> None:
    checked = _pairs(params, "Param", MAX_PARAM_VALUE_LENGTH)
    with uow:
        repos = tracking(uow)
        row = repos.logged_models.get(model_id)
        for key, value in checked.items():
            repos.logged_models.set_param(row.model_id, key, value)


def delete_logged_model(uow: UnitOfWork, model_id: object) -> None:
    """Mark the logged model deleted; it no longer appears in searches. Its files stay."""
    with uow:
        row = tracking(uow).logged_models.get(model_id)
        row.lifecycle_stage = "deleted"
        row.last_updated_time = uow.now


def parse_order_by(order_by: Sequence[object] | None) -> list[OrderKey]:
    """Logged-model searches send order_by as objects: {field_name, ascending}."""
    clauses: list[str] = []
    for item in order_by or []:
        if isinstance(item, str):
            clauses.append(item)
            continue
        if not isinstance(item, Mapping) or not isinstance(item.get("field_name"), str):
            raise InvalidParameter(f"Invalid order_by entry {item!r}: expected {{field_name, ascending}}.")
        ascending = item.get("ascending", True)
        clauses.append(f"{item['field_name']} {'ASC' if ascending is not False else 'DESC'}")
    return LOGGED_MODEL_FILTER.order(clauses)


def search_logged_models(
    uow: UnitOfWork,
    experiment_ids: Sequence[object],
    filter_string: str | None = None,
    order_by: Sequence[object] | None = None,
    max_results: object = None,
    page_token: str | None = None,
) -> Page[LoggedModel]:
    comparisons = LOGGED_MODEL_FILTER.check(parse_filter(filter_string))
    order = parse_order_by(order_by)
    limit = page_size(
        max_results, default=MAX_RESULTS_DEFAULT, maximum=MAX_RESULTS_LIMIT, cap=MAX_RESULTS_LIMIT
    )
    ids = sorted({int(str(e)) for e in experiment_ids if str(e).isdigit()})
    query = fingerprint("logged_models", ids, filter_string or "", [repr(o) for o in order])
    offset = decode_page_token(page_token, query)
    with uow.reading():
        repos = tracking(uow)
        rows = repos.logged_models.search(ids, comparisons, order, offset, limit + 1)
        items = entities(repos, rows[:limit])
    token = encode_page_token(offset + limit, query) if len(rows) > limit else None
    return Page(items, token)


def append_model_version(repos: Tracking, model_id: str, name: str, version: int) -> None:
    """Add {name, version} to the logged model's `mlflow.modelVersions` tag (inside the caller's
    transaction), as MLflow's server does when a version is registered from a logged model."""
    current = repos.logged_models.tag(model_id, MODEL_VERSIONS_TAG)
    entries: list[Any] = []
    if current:
        try:
            loaded = json.loads(current)
            entries = loaded if isinstance(loaded, list) else []
        except ValueError:
            entries = []
    entries.append({"name": name, "version": version})
    repos.logged_models.set_tag(model_id, MODEL_VERSIONS_TAG, json.dumps(entries))
