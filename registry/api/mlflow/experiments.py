"""/api/2.0/mlflow/experiments/*: MLflow's experiment routes over registry.services.experiments."""

from __future__ import annotations

from flask import Blueprint, Response

from registry.api.auth import requires
from registry.api.context import uow
from registry.api.mlflow import shapes
from registry.api.mlflow.wire import args, ok
from registry.domain.identity import Role
from registry.services import experiments

bp = Blueprint("mlflow_experiments", __name__, url_prefix="/api/2.0/mlflow/experiments")


@bp.post("/create")
@requires(Role.CONTRIBUTOR)
def create() -> Response:
    a = args()
    experiment_id = experiments.create_experiment(
        uow(), a.required("name"), tags=a.pairs("tags"), artifact_location=a.string("artifact_location")
    )
    return ok({"experiment_id": experiment_id})


@bp.get("/get")
@requires(Role.READER)
def get() -> Response:
    found = experiments.get_experiment(uow(), args().required("experiment_id"))
    return ok({"experiment": shapes.experiment(found)})


@bp.get("/get-by-name")
@requires(Role.READER)
def get_by_name() -> Response:
    found = experiments.get_experiment_by_name(uow(), args().required("experiment_name"))
    return ok({"experiment": shapes.experiment(found)})


@bp.route("/search", methods=["GET", "POST"])
@requires(Role.READER)
def search() -> Response:
    a = args()
    page = experiments.search_experiments(
        uow(),
        filter_string=a.string("filter"),
        view_type=a.string("view_type"),
        max_results=a.integer("max_results"),
        order_by=a.strings("order_by"),
        page_token=a.string("page_token"),
    )
    body: dict[str, object] = {"experiments": [shapes.experiment(e) for e in page.items]}
    if page.next_page_token:
        body["next_page_token"] = page.next_page_token
    return ok(body)


@bp.post("/update")
@requires(Role.CONTRIBUTOR)
def update() -> Response:
    a = args()
    experiments.rename_experiment(uow(), a.required("experiment_id"), a.string("new_name"))
    return ok()


@bp.post("/delete")
@requires(Role.CONTRIBUTOR)
def delete() -> Response:
    experiments.delete_experiment(uow(), args().required("experiment_id"))
    return ok()


@bp.post("/restore")
@requires(Role.CONTRIBUTOR)
def restore() -> Response:
    experiments.restore_experiment(uow(), args().required("experiment_id"))
    return ok()


@bp.post("/set-experiment-tag")
@requires(Role.CONTRIBUTOR)
def set_tag() -> Response:
    a = args()
    experiments.set_experiment_tag(uow(), a.required("experiment_id"), a.required("key"), a.raw("value"))
    return ok()


@bp.post("/delete-experiment-tag")
@requires(Role.CONTRIBUTOR)
def delete_tag() -> Response:
    a = args()
    experiments.delete_experiment_tag(uow(), a.required("experiment_id"), a.required("key"))
    return ok()
