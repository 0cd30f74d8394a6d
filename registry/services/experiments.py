"""Experiments: create, read, rename, delete/restore, tag, search. Experiment "0" is the Default."""

from __future__ import annotations

from collections.abc import Mapping

from registry.db.repositories.tracking import Tracking, tracking
from registry.db.tables.tracking import ExperimentRow
from registry.db.uow import UnitOfWork
from registry.domain.entities import Page
from registry.domain.errors import InvalidParameter, NotFound
from registry.domain.paging import decode_page_token, encode_page_token, fingerprint, page_size
from registry.domain.search import parse_filter
from registry.domain.tracking import (
    ACTIVE,
    DEFAULT_EXPERIMENT_ID,
    DELETED,
    MAX_RUN_TAG_VALUE_LENGTH,
    Experiment,
    artifact_uri,
    experiment_artifact_path,
    parse_view_type,
    validate_experiment_name,
    validate_key,
    validate_value,
)
from registry.domain.tracking_search import EXPERIMENT_FILTER

MAX_RESULTS_DEFAULT = 1000
MAX_RESULTS_LIMIT = 50_000


def entities(repos: Tracking, rows: list[ExperimentRow]) -> list[Experiment]:
    tags = repos.experiments.tags([r.id for r in rows])
    return [
        Experiment(
            experiment_id=str(r.id),
            name=r.name,
            artifact_location=artifact_uri(experiment_artifact_path(str(r.id))),
            lifecycle_stage=r.lifecycle_stage,
            creation_time=r.creation_time,
            last_update_time=r.last_update_time,
            tags=tags[r.id],
        )
        for r in rows
    ]


def _tags(tags: Mapping[str, object] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in (tags or {}).items():
        k = validate_key(key, "Tag")
        out[k] = validate_value(value, k, MAX_RUN_TAG_VALUE_LENGTH, "Tag")
    return out


def create_experiment(
    uow: UnitOfWork,
    name: object,
    tags: Mapping[str, object] | None = None,
    artifact_location: object = None,
) -> str:
    """Create an experiment; returns its id. The server decides where its artifacts live."""
    checked = validate_experiment_name(name)
    if artifact_location not in (None, ""):
        raise InvalidParameter(
            "Podium decides where artifacts live; create the experiment without artifact_location "
            "and its runs get mlflow-artifacts:/ URIs inside the server's artifact store.",
            field="artifact_location",
        )
    checked_tags = _tags(tags)
    with uow:
        repos = tracking(uow)
        repos.experiments.ensure_default(uow.now)
        row = repos.experiments.add(checked, uow.now)
        for key, value in checked_tags.items():
            repos.experiments.set_tag(row.id, key, value)
        return str(row.id)


def get_experiment(uow: UnitOfWork, experiment_id: object) -> Experiment:
    if str(experiment_id) == DEFAULT_EXPERIMENT_ID:
        # The Default experiment is made by the migration; this re-creates it should it be gone.
        with uow:
            repos = tracking(uow)
            repos.experiments.ensure_default(uow.now)
            return entities(repos, [repos.experiments.get(experiment_id)])[0]
    with uow.reading():
        repos = tracking(uow)
        return entities(repos, [repos.experiments.get(experiment_id)])[0]


def get_experiment_by_name(uow: UnitOfWork, name: object) -> Experiment:
    checked = validate_experiment_name(name)
    with uow.reading():
        repos = tracking(uow)
        row = repos.experiments.by_name(checked)
        if row is None:
            raise NotFound(f"Could not find experiment with name '{checked}'")
        return entities(repos, [row])[0]


def search_experiments(
    uow: UnitOfWork,
    filter_string: str | None = None,
    view_type: object = None,
    max_results: object = None,
    order_by: list[str] | None = None,
    page_token: str | None = None,
) -> Page[Experiment]:
    comparisons = EXPERIMENT_FILTER.check(parse_filter(filter_string))
    order = EXPERIMENT_FILTER.order(order_by)
    view = parse_view_type(view_type)
    limit = page_size(
        max_results, default=MAX_RESULTS_DEFAULT, maximum=MAX_RESULTS_LIMIT, cap=MAX_RESULTS_LIMIT
    )
    query = fingerprint("experiments", filter_string or "", order_by or [], view.value)
    offset = decode_page_token(page_token, query)
    with uow.reading():
        repos = tracking(uow)
        rows = repos.experiments.search(comparisons, order, view.stages(), offset, limit + 1)
        items = entities(repos, rows[:limit])
    token = encode_page_token(offset + limit, query) if len(rows) > limit else None
    return Page(items, token)


def rename_experiment(uow: UnitOfWork, experiment_id: object, new_name: object) -> None:
    checked = validate_experiment_name(new_name)
    with uow:
        repos = tracking(uow)
        row = repos.experiments.get(experiment_id)
        if row.lifecycle_stage != ACTIVE:
            raise InvalidParameter("Cannot rename a non-active experiment.", field="experiment_id")
        if checked != row.name:
            other = repos.experiments.by_name(checked)
            if other is not None:
                raise InvalidParameter(f"Experiment '{checked}' already exists.", field="new_name")
            row.name = checked
            row.last_update_time = uow.now


def delete_experiment(uow: UnitOfWork, experiment_id: object) -> None:
    """Mark the experiment and its runs deleted (restorable); the Default cannot be deleted."""
    if str(experiment_id) == DEFAULT_EXPERIMENT_ID:
        raise InvalidParameter(
            "Cannot delete the default experiment '0'. This is an internally reserved experiment.",
            field="experiment_id",
        )
    _set_lifecycle(uow, experiment_id, DELETED)


def restore_experiment(uow: UnitOfWork, experiment_id: object) -> None:
    _set_lifecycle(uow, experiment_id, ACTIVE)


def _set_lifecycle(uow: UnitOfWork, experiment_id: object, stage: str) -> None:
    with uow:
        repos = tracking(uow)
        row = repos.experiments.get(experiment_id)
        row.lifecycle_stage = stage
        row.last_update_time = uow.now
        repos.runs.mark_deleted_in_experiment(row.id, stage, uow.now if stage == DELETED else None)


def set_experiment_tag(uow: UnitOfWork, experiment_id: object, key: object, value: object) -> None:
    k = validate_key(key, "Tag")
    v = validate_value(value, k, MAX_RUN_TAG_VALUE_LENGTH, "Tag")
    with uow:
        repos = tracking(uow)
        row = repos.experiments.get(experiment_id)
        if row.lifecycle_stage != ACTIVE:
            raise InvalidParameter(
                f"The experiment {row.id} must be in the 'active' state. Current state is "
                f"{row.lifecycle_stage}.",
                field="experiment_id",
            )
        repos.experiments.set_tag(row.id, k, v)


def delete_experiment_tag(uow: UnitOfWork, experiment_id: object, key: object) -> None:
    checked = validate_key(key, "Tag")
    with uow:
        repos = tracking(uow)
        row = repos.experiments.get(experiment_id)
        if not repos.experiments.delete_tag(row.id, checked):
            raise NotFound(f"No tag with name: {checked} in experiment with id {row.id}")
