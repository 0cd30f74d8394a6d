"""Runs: create, read, finish, delete/restore, log params/metrics/tags, outputs, history, search."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from registry.db.repositories.tracking import Tracking, tracking
from registry.db.tables.tracking import RunRow
from registry.db.uow import UnitOfWork
from registry.domain.entities import Page
from registry.domain.errors import InvalidParameter, NotFound
from registry.domain.paging import decode_page_token, encode_page_token, fingerprint, page_size
from registry.domain.run_names import generate_run_name
from registry.domain.search import parse_filter
from registry.domain.tracking import (
    ACTIVE,
    DEFAULT_EXPERIMENT_ID,
    DELETED,
    MAX_BATCH_METRICS,
    MAX_BATCH_PARAMS,
    MAX_BATCH_TAGS,
    MAX_PARAM_VALUE_LENGTH,
    MAX_RUN_TAG_VALUE_LENGTH,
    RUN_NAME_TAG,
    USER_TAG,
    Metric,
    ModelOutput,
    Run,
    RunInfo,
    artifact_uri,
    parse_run_status,
    parse_view_type,
    run_artifact_path,
    validate_int,
    validate_key,
    validate_metric_value,
    validate_value,
)
from registry.domain.tracking_search import RUN_FILTER

MAX_RESULTS_DEFAULT = 1000
MAX_RESULTS_LIMIT = 50_000
HISTORY_DEFAULT = 25_000
HISTORY_LIMIT = 25_000


def info_of(row: RunRow) -> RunInfo:
    experiment_id = str(row.experiment_id)
    return RunInfo(
        run_id=row.run_uuid,
        experiment_id=experiment_id,
        run_name=row.name,
        user_id=row.user_id,
        status=row.status,
        start_time=row.start_time,
        end_time=row.end_time,
        artifact_uri=artifact_uri(run_artifact_path(experiment_id, row.run_uuid)),
        lifecycle_stage=row.lifecycle_stage,
    )


def entities(repos: Tracking, rows: list[RunRow]) -> list[Run]:
    """Whole runs for a page of rows, in four queries whatever the page size."""
    ids = [r.run_uuid for r in rows]
    params = repos.runs.params(ids)
    tags = repos.runs.tags(ids)
    metrics = repos.runs.latest_metrics(ids)
    outputs = repos.runs.outputs(ids)
    return [
        Run(info_of(r), metrics[r.run_uuid], params[r.run_uuid], tags[r.run_uuid], outputs[r.run_uuid])
        for r in rows
    ]


def _active(repos: Tracking, run_id: object) -> RunRow:
    row = repos.runs.get(run_id)
    if row.lifecycle_stage != ACTIVE:
        raise InvalidParameter(
            f"The run {row.run_uuid} must be in the 'active' state. Current state is {row.lifecycle_stage}.",
            field="run_id",
        )
    return row


def _tag(key: object, value: object) -> tuple[str, str]:
    k = validate_key(key, "Tag")
    return k, validate_value(value, k, MAX_RUN_TAG_VALUE_LENGTH, "Tag")


def _param(key: object, value: object) -> tuple[str, str]:
    k = validate_key(key, "Param")
    return k, validate_value(value, k, MAX_PARAM_VALUE_LENGTH, "Param")


def _metric(raw: Mapping[str, object], now: int) -> Metric:
    key = validate_key(raw.get("key"), "Metric")
    model_id = raw.get("model_id")
    if model_id is not None and not isinstance(model_id, str):
        raise InvalidParameter(f"Invalid value {model_id!r} for parameter 'model_id'.", field="model_id")
    return Metric(
        key=key,
        value=validate_metric_value(raw.get("value"), key),
        timestamp=validate_int(raw.get("timestamp"), "timestamp", default=now),
        step=validate_int(raw.get("step"), "step", default=0),
        model_id=model_id or None,
    )


def create_run(
    uow: UnitOfWork,
    experiment_id: object = None,
    user_id: object = None,
    start_time: object = None,
    tags: Mapping[str, object] | None = None,
    run_name: object = None,
) -> Run:
    """Start a run in an active experiment ("0", the Default, when none is named)."""
    experiment_id = experiment_id or DEFAULT_EXPERIMENT_ID
    checked_tags = dict(_tag(k, v) for k, v in (tags or {}).items())
    if run_name not in (None, "") and not isinstance(run_name, str):
        raise InvalidParameter(f"Invalid value {run_name!r} for parameter 'run_name'.", field="run_name")
    name = str(run_name or checked_tags.get(RUN_NAME_TAG) or generate_run_name())
    name = validate_value(name, RUN_NAME_TAG, 250, "Run name")
    checked_tags[RUN_NAME_TAG] = name
    user = user_id if isinstance(user_id, str) else checked_tags.get(USER_TAG, "")
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
        row = repos.runs.add(
            RunRow(
                run_uuid=uuid.uuid4().hex,
                experiment_id=experiment.id,
                name=name,
                user_id=user,
                status="RUNNING",
                start_time=validate_int(start_time, "start_time", default=uow.now),
                end_time=None,
                lifecycle_stage=ACTIVE,
            )
        )
        for key, value in checked_tags.items():
            repos.runs.set_tag(row.run_uuid, key, value)
        return entities(repos, [row])[0]


def get_run(uow: UnitOfWork, run_id: object) -> Run:
    with uow.reading():
        repos = tracking(uow)
        return entities(repos, [repos.runs.get(run_id)])[0]


def update_run(
    uow: UnitOfWork, run_id: object, status: object = None, end_time: object = None, run_name: object = None
) -> RunInfo:
    with uow:
        repos = tracking(uow)
        row = _active(repos, run_id)
        if status not in (None, ""):
            row.status = parse_run_status(status).value
        if end_time not in (None, ""):
            row.end_time = validate_int(end_time, "end_time")
        if run_name not in (None, ""):
            _, name = _tag(RUN_NAME_TAG, run_name)
            row.name = name
            repos.runs.set_tag(row.run_uuid, RUN_NAME_TAG, name)
        return info_of(row)


def delete_run(uow: UnitOfWork, run_id: object) -> None:
    with uow:
        row = tracking(uow).runs.get(run_id)
        row.lifecycle_stage = DELETED
        row.deleted_time = uow.now


def restore_run(uow: UnitOfWork, run_id: object) -> None:
    with uow:
        row = tracking(uow).runs.get(run_id)
        row.lifecycle_stage = ACTIVE
        row.deleted_time = None


def log_batch(
    uow: UnitOfWork,
    run_id: object,
    metrics: Sequence[Mapping[str, object]] = (),
    params: Sequence[Mapping[str, object]] = (),
    tags: Sequence[Mapping[str, object]] = (),
) -> None:
    """Log metrics, params and tags in one transaction: all of them or none.

    A param keeps its first value (changing it is refused, as MLflow does); metrics that carry a
    model_id are also recorded on that logged model.
    """
    if len(metrics) > MAX_BATCH_METRICS or len(params) > MAX_BATCH_PARAMS or len(tags) > MAX_BATCH_TAGS:
        raise InvalidParameter(
            f"A batch may hold at most {MAX_BATCH_METRICS} metrics, {MAX_BATCH_PARAMS} params and "
            f"{MAX_BATCH_TAGS} tags.",
        )
    checked_params: dict[str, str] = {}
    for p in params:
        key, value = _param(p.get("key"), p.get("value"))
        if checked_params.get(key, value) != value:
            raise InvalidParameter(
                f"Duplicate parameter keys have been submitted: key '{key}' was given two values.",
                field="params",
            )
        checked_params[key] = value
    checked_tags = [_tag(t.get("key"), t.get("value")) for t in tags]
    with uow:
        repos = tracking(uow)
        row = _active(repos, run_id)
        checked_metrics = [_metric(m, uow.now) for m in metrics]
        new_params: dict[str, str] = {}
        for key, value in checked_params.items():
            old = repos.runs.param(row.run_uuid, key)
            if old is None:
                new_params[key] = value
            elif old != value:
                raise InvalidParameter(
                    f"Changing param values is not allowed. Param with key='{key}' was already logged "
                    f"with value='{old}' for run ID='{row.run_uuid}'. Attempted logging new value '{value}'.",
                    field="value",
                )
        repos.runs.add_params(row.run_uuid, new_params)
        repos.runs.log_metrics(row.run_uuid, checked_metrics)
        for_models = [m for m in checked_metrics if m.model_id]
        if for_models:
            wanted = sorted({m.model_id for m in for_models if m.model_id})
            missing = set(wanted) - repos.logged_models.existing_ids(wanted)
            if missing:
                raise NotFound(f"Logged model with ID '{sorted(missing)[0]}' not found.")
            repos.logged_models.add_metrics(
                [Metric(m.key, m.value, m.timestamp, m.step, m.model_id, row.run_uuid) for m in for_models]
            )
        for key, value in checked_tags:
            repos.runs.set_tag(row.run_uuid, key, value)
            if key == RUN_NAME_TAG:
                row.name = value


def log_param(uow: UnitOfWork, run_id: object, key: object, value: object) -> None:
    log_batch(uow, run_id, params=[{"key": key, "value": value}])


def log_metric(uow: UnitOfWork, run_id: object, metric: Mapping[str, object]) -> None:
    log_batch(uow, run_id, metrics=[metric])


def set_tag(uow: UnitOfWork, run_id: object, key: object, value: object) -> None:
    log_batch(uow, run_id, tags=[{"key": key, "value": value}])


def delete_tag(uow: UnitOfWork, run_id: object, key: object) -> None:
    checked = validate_key(key, "Tag")
    with uow:
        repos = tracking(uow)
        row = _active(repos, run_id)
        if not repos.runs.delete_tag(row.run_uuid, checked):
            raise NotFound(f"No tag with name: {checked} in run with id {row.run_uuid}")


def log_outputs(uow: UnitOfWork, run_id: object, models: Sequence[Mapping[str, object]]) -> None:
    """Record that the run produced these logged models (MLflow 3's run outputs)."""
    outputs = []
    for m in models:
        model_id = m.get("model_id")
        if not isinstance(model_id, str) or not model_id:
            raise InvalidParameter("Missing value for required parameter 'model_id'.", field="model_id")
        outputs.append(ModelOutput(model_id, validate_int(m.get("step"), "step", default=0)))
    with uow:
        repos = tracking(uow)
        row = _active(repos, run_id)
        wanted = sorted({o.model_id for o in outputs})
        missing = set(wanted) - repos.logged_models.existing_ids(wanted)
        if missing:
            raise NotFound(f"Logged model with ID '{sorted(missing)[0]}' not found.")
        repos.runs.add_outputs(row.run_uuid, outputs)


def get_metric_history(
    uow: UnitOfWork, run_id: object, key: object, max_results: object = None, page_token: str | None = None
) -> Page[Metric]:
    checked = validate_key(key, "Metric")
    limit = page_size(max_results, default=HISTORY_DEFAULT, maximum=HISTORY_LIMIT, cap=HISTORY_LIMIT)
    query = fingerprint("history", run_id, checked)
    offset = decode_page_token(page_token, query)
    with uow.reading():
        repos = tracking(uow)
        row = repos.runs.get(run_id)
        points = repos.runs.history(row.run_uuid, checked, offset, limit + 1)
    token = encode_page_token(offset + limit, query) if len(points) > limit else None
    return Page(points[:limit], token)


def search_runs(
    uow: UnitOfWork,
    experiment_ids: Sequence[object],
    filter_string: str | None = None,
    view_type: object = None,
    max_results: object = None,
    order_by: list[str] | None = None,
    page_token: str | None = None,
) -> Page[Run]:
    """Runs of these experiments matching the filter, in MLflow's grammar and order."""
    comparisons = RUN_FILTER.check(parse_filter(filter_string))
    order = RUN_FILTER.order(order_by)
    seen: set[tuple[str, str]] = set()
    for k in order:
        if (k.kind, k.key) in seen:
            raise InvalidParameter(f"`order_by` contains duplicate fields: {order_by}", field="order_by")
        seen.add((k.kind, k.key))
    view = parse_view_type(view_type)
    limit = page_size(
        max_results, default=MAX_RESULTS_DEFAULT, maximum=MAX_RESULTS_LIMIT, cap=MAX_RESULTS_LIMIT
    )
    ids = sorted({int(str(e)) for e in experiment_ids if str(e).isdigit()})
    query = fingerprint("runs", ids, filter_string or "", order_by or [], view.value)
    offset = decode_page_token(page_token, query)
    with uow.reading():
        repos = tracking(uow)
        rows = repos.runs.search(ids, comparisons, order, view.stages(), offset, limit + 1)
        items = entities(repos, rows[:limit])
    token = encode_page_token(offset + limit, query) if len(rows) > limit else None
    return Page(items, token)


#: How many param keys and metric keys `run_keys` returns at most (each).
MAX_KEYS = 100
#: How many of an experiment's newest runs `run_keys` reads the keys of.
KEYS_SAMPLE = 1_000
#: How many points per run `metric_histories` returns at most.
HISTORY_POINTS_LIMIT = 5_000


@dataclass(frozen=True)
class RunKeys:
    """The param and metric keys an experiment's runs logged (sorted, at most `limit` each);
    `truncated` says a list was cut at the limit."""

    params: list[str]
    metrics: list[str]
    truncated: bool


def run_keys(
    uow: UnitOfWork, experiment_id: object, limit: int = MAX_KEYS, sample: int = KEYS_SAMPLE
) -> RunKeys:
    """The distinct param and metric keys of an experiment's `sample` newest active runs, in two
    bounded queries (keys only older runs logged are left out: callers add those they meet)."""
    with uow.reading():
        repos = tracking(uow)
        experiment = repos.experiments.get(experiment_id)
        params, metrics = repos.runs.keys(experiment.id, (ACTIVE,), limit + 1, sample)
    truncated = len(params) > limit or len(metrics) > limit
    return RunKeys(params[:limit], metrics[:limit], truncated)


def metric_histories(
    uow: UnitOfWork, run_ids: Sequence[str], key: object, per_run: int = HISTORY_POINTS_LIMIT
) -> dict[str, list[Metric]]:
    """Metric `key`'s history (by step) for each of `run_ids`, in one query; runs that do not
    exist or never logged the key get an empty list."""
    checked = validate_key(key, "Metric")
    with uow.reading():
        return tracking(uow).runs.histories(list(run_ids), checked, max(1, min(per_run, HISTORY_LIMIT)))
