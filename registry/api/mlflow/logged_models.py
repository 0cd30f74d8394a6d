"""/api/2.0/mlflow/logged-models/*: MLflow 3's logged models over registry.services.logged_models."""

from __future__ import annotations

from flask import Blueprint, Response

from registry.api.auth import requires
from registry.api.context import runtime, uow
from registry.api.mlflow import shapes
from registry.api.mlflow.wire import args, missing, ok
from registry.domain.identity import Role
from registry.services import artifacts, logged_models

bp = Blueprint("mlflow_logged_models", __name__, url_prefix="/api/2.0/mlflow/logged-models")


@bp.post("")
@requires(Role.CONTRIBUTOR)
def create() -> Response:
    a = args()
    model = logged_models.create_logged_model(
        uow(),
        a.required("experiment_id"),
        name=a.string("name"),
        source_run_id=a.string("source_run_id"),
        params=a.pairs("params"),
        tags=a.pairs("tags"),
        model_type=a.string("model_type"),
    )
    return ok({"model": shapes.logged_model(model)})


@bp.get("/<model_id>")
@requires(Role.READER)
def get(model_id: str) -> Response:
    return ok({"model": shapes.logged_model(logged_models.get_logged_model(uow(), model_id))})


@bp.patch("/<model_id>")
@requires(Role.CONTRIBUTOR)
def finalize(model_id: str) -> Response:
    status = args().raw("status")
    if status in (None, ""):
        raise missing("status")
    return ok({"model": shapes.logged_model(logged_models.finalize_logged_model(uow(), model_id, status))})


@bp.delete("/<model_id>")
@requires(Role.CONTRIBUTOR)
def delete(model_id: str) -> Response:
    logged_models.delete_logged_model(uow(), model_id)
    return ok()


@bp.patch("/<model_id>/tags")
@requires(Role.CONTRIBUTOR)
def set_tags(model_id: str) -> Response:
    logged_models.set_logged_model_tags(uow(), model_id, args().pairs("tags"))
    return ok()


@bp.delete("/<model_id>/tags/<path:tag_key>")
@requires(Role.CONTRIBUTOR)
def delete_tag(model_id: str, tag_key: str) -> Response:
    logged_models.delete_logged_model_tag(uow(), model_id, tag_key)
    return ok()


@bp.post("/<model_id>/params")
@requires(Role.CONTRIBUTOR)
def log_params(model_id: str) -> Response:
    logged_models.log_logged_model_params(uow(), model_id, args().pairs("params"))
    return ok()


@bp.get("/<model_id>/artifacts/directories")
@requires(Role.READER)
def list_artifacts(model_id: str) -> Response:
    files = artifacts.logged_model_artifacts(
        uow(), runtime().store, model_id, args().string("artifact_directory_path") or ""
    )
    return ok({"files": [shapes.file_info(f) for f in files]} if files else {})


@bp.post("/search")
@requires(Role.READER)
def search() -> Response:
    a = args()
    page = logged_models.search_logged_models(
        uow(),
        a.strings("experiment_ids"),
        filter_string=a.string("filter"),
        order_by=a.objects("order_by"),
        max_results=a.integer("max_results"),
        page_token=a.string("page_token"),
    )
    body: dict[str, object] = {"models": [shapes.logged_model(m) for m in page.items]}
    if page.next_page_token:
        body["next_page_token"] = page.next_page_token
    return ok(body)
