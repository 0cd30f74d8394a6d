"""/api/2.0/mlflow/registered-models/*: registered models, their tags and aliases."""

from __future__ import annotations

from flask import Blueprint, Response

from registry.api.auth import requires
from registry.api.context import uow
from registry.api.mlflow import shapes
from registry.api.mlflow.wire import args, ok
from registry.domain.entities import RegisteredModel
from registry.domain.identity import Role
from registry.services import aliases, models, stage_order, versions


def _shaped(model: RegisteredModel) -> dict[str, object]:
    # A second, read-only look: MLflow orders latest_versions by when each stage was first used.
    return shapes.registered_model(model, stage_order.first_use_order(uow(), model.name))


bp = Blueprint("mlflow_registered_models", __name__, url_prefix="/api/2.0/mlflow/registered-models")


@bp.post("/create")
@requires(Role.CONTRIBUTOR)
def create() -> Response:
    a = args()
    model = models.create_registered_model(
        uow(), a.required("name"), description=a.string("description"), tags=a.pairs("tags")
    )
    return ok({"registered_model": _shaped(model)})


@bp.get("/get")
@requires(Role.READER)
def get() -> Response:
    return ok({"registered_model": _shaped(models.get_registered_model(uow(), args().required("name")))})


@bp.get("/search")
@requires(Role.READER)
def search() -> Response:
    a = args()
    page = models.search_registered_models(
        uow(),
        filter_string=a.string("filter"),
        order_by=a.strings("order_by"),
        max_results=a.integer("max_results"),
        page_token=a.string("page_token"),
    )
    body: dict[str, object] = {"registered_models": [shapes.registered_model(m) for m in page.items]}
    if page.next_page_token:
        body["next_page_token"] = page.next_page_token
    return ok(body)


@bp.route("/get-latest-versions", methods=["GET", "POST"])
@requires(Role.READER)
def get_latest_versions() -> Response:
    a = args()
    name = a.required("name")
    found = versions.get_latest_versions(uow(), name, a.strings("stages") or None)
    ordered = stage_order.in_stage_order(found, stage_order.first_use_order(uow(), name))
    return ok({"model_versions": [shapes.model_version(v) for v in ordered]})


@bp.patch("/update")
@requires(Role.CONTRIBUTOR)
def update() -> Response:
    a = args()
    model = models.update_registered_model(uow(), a.required("name"), a.string("description"))
    return ok({"registered_model": _shaped(model)})


@bp.post("/rename")
@requires(Role.CONTRIBUTOR)
def rename() -> Response:
    a = args()
    model = models.rename_registered_model(uow(), a.required("name"), a.required("new_name"))
    return ok({"registered_model": _shaped(model)})


@bp.delete("/delete")
@requires(Role.CONTRIBUTOR)
def delete() -> Response:
    models.delete_registered_model(uow(), args().required("name"))
    return ok()


@bp.post("/set-tag")
@requires(Role.CONTRIBUTOR)
def set_tag() -> Response:
    a = args()
    models.set_registered_model_tag(uow(), a.required("name"), a.required("key"), a.raw("value"))
    return ok()


@bp.delete("/delete-tag")
@requires(Role.CONTRIBUTOR)
def delete_tag() -> Response:
    a = args()
    models.delete_registered_model_tag(uow(), a.required("name"), a.required("key"))
    return ok()


@bp.post("/alias")
@requires(Role.CONTRIBUTOR)
def set_alias() -> Response:
    a = args()
    aliases.set_alias(uow(), a.required("name"), a.required("alias"), a.required("version"))
    return ok()


@bp.get("/alias")
@requires(Role.READER)
def get_alias() -> Response:
    a = args()
    mv = aliases.get_version_by_alias(uow(), a.required("name"), a.required("alias"))
    return ok({"model_version": shapes.model_version(mv)})


@bp.delete("/alias")
@requires(Role.CONTRIBUTOR)
def delete_alias() -> Response:
    a = args()
    aliases.delete_alias(uow(), a.required("name"), a.required("alias"))
    return ok()
