"""/api/2.0/mlflow/runs/* and metrics/get-history: MLflow's run routes over registry.services.runs.

The client sends the run's id as both `run_id` and `run_uuid`; either is accepted.
"""

from __future__ import annotations

from flask import Blueprint, Response

from registry.api.auth import requires
from registry.api.context import uow
from registry.api.mlflow import shapes
from registry.api.mlflow.wire import Args, args, missing, ok
from registry.domain.identity import Role
from registry.services import runs

bp = Blueprint("mlflow_runs", __name__, url_prefix="/api/2.0/mlflow")


def _run_id(a: Args) -> str:
    run_id = a.string("run_id") or a.string("run_uuid")
    if not run_id:
        raise missing("run_id")
    return run_id


@bp.post("/runs/create")
@requires(Role.CONTRIBUTOR)
def create() -> Response:
    a = args()
    run = runs.create_run(
        uow(),
        experiment_id=a.string("experiment_id"),
        user_id=a.string("user_id"),
        start_time=a.integer("start_time"),
        tags=a.pairs("tags"),
        run_name=a.string("run_name"),
    )
    # runs/create answers without `outputs` (observed); runs/get always has it.
    return ok({"run": shapes.run(run, with_outputs=False)})


@bp.get("/runs/get")
@requires(Role.READER)
def get() -> Response:
    return ok({"run": shapes.run(runs.get_run(uow(), _run_id(args())))})


@bp.post("/runs/update")
@requires(Role.CONTRIBUTOR)
def update() -> Response:
    a = args()
    info = runs.update_run(
        uow(),
        _run_id(a),
        status=a.string("status"),
        end_time=a.integer("end_time"),
        run_name=a.string("run_name"),
    )
    return ok({"run_info": shapes.run_info(info)})


@bp.post("/runs/delete")
@requires(Role.CONTRIBUTOR)
def delete() -> Response:
    runs.delete_run(uow(), _run_id(args()))
    return ok()


@bp.post("/runs/restore")
@requires(Role.CONTRIBUTOR)
def restore() -> Response:
    runs.restore_run(uow(), _run_id(args()))
    return ok()


@bp.post("/runs/log-parameter")
@requires(Role.CONTRIBUTOR)
def log_parameter() -> Response:
    a = args()
    runs.log_param(uow(), _run_id(a), a.required("key"), a.raw("value"))
    return ok()


@bp.post("/runs/log-metric")
@requires(Role.CONTRIBUTOR)
def log_metric() -> Response:
    a = args()
    a.required("key")
    if a.raw("value") is None:
        raise missing("value")
    runs.log_metric(uow(), _run_id(a), dict(a.data))
    return ok()


@bp.post("/runs/log-batch")
@requires(Role.CONTRIBUTOR)
def log_batch() -> Response:
    a = args()
    runs.log_batch(uow(), _run_id(a), a.objects("metrics"), a.objects("params"), a.objects("tags"))
    return ok()


@bp.post("/runs/set-tag")
@requires(Role.CONTRIBUTOR)
def set_tag() -> Response:
    a = args()
    runs.set_tag(uow(), _run_id(a), a.required("key"), a.raw("value"))
    return ok()


@bp.post("/runs/delete-tag")
@requires(Role.CONTRIBUTOR)
def delete_tag() -> Response:
    a = args()
    runs.delete_tag(uow(), _run_id(a), a.required("key"))
    return ok()


@bp.post("/runs/outputs")
@requires(Role.CONTRIBUTOR)
def outputs() -> Response:
    a = args()
    runs.log_outputs(uow(), _run_id(a), a.objects("models"))
    return ok()


@bp.post("/runs/search")
@requires(Role.READER)
def search() -> Response:
    a = args()
    page = runs.search_runs(
        uow(),
        a.strings("experiment_ids"),
        filter_string=a.string("filter"),
        view_type=a.string("run_view_type"),
        max_results=a.integer("max_results"),
        order_by=a.strings("order_by"),
        page_token=a.string("page_token"),
    )
    body: dict[str, object] = {"runs": [shapes.run(r) for r in page.items]}
    if page.next_page_token:
        body["next_page_token"] = page.next_page_token
    return ok(body)


@bp.get("/metrics/get-history")
@requires(Role.READER)
def get_history() -> Response:
    a = args()
    page = runs.get_metric_history(
        uow(), _run_id(a), a.required("metric_key"), a.integer("max_results"), a.string("page_token")
    )
    body: dict[str, object] = {"metrics": [shapes.metric(m) for m in page.items]}
    if page.next_page_token:
        body["next_page_token"] = page.next_page_token
    return ok(body)
