"""/api/2.0/mlflow/model-versions/*: model versions, their stages, tags and download URIs."""

from __future__ import annotations

from flask import Blueprint, Response

from registry.api.auth import requires
from registry.api.context import runtime, uow
from registry.api.mlflow import shapes
from registry.api.mlflow.wire import Args, args, ok
from registry.domain.identity import Role
from registry.services import digests, lineage, versions

# MLflow's order when the client gives none.
DEFAULT_VERSION_ORDER = ["last_updated_timestamp DESC", "name ASC", "version_number DESC"]

bp = Blueprint("mlflow_model_versions", __name__, url_prefix="/api/2.0/mlflow/model-versions")


def _version(a: Args) -> str:
    # MLflow sends versions as strings; a JSON number is accepted too.
    value = a.raw("version")
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else a.required("version")


@bp.post("/create")
@requires(Role.CONTRIBUTOR)
def create() -> Response:
    a = args()
    # Through the digests service, so versions the stock client registers get their manifest too.
    mv = digests.register_model_version(
        uow(),
        runtime().store,
        a.required("name"),
        a.required("source"),
        run_id=a.string("run_id"),
        model_id=a.string("model_id"),
        tags=a.pairs("tags"),
        description=a.string("description"),
    )
    return ok({"model_version": shapes.model_version(mv)})


@bp.get("/get")
@requires(Role.READER)
def get() -> Response:
    a = args()
    return ok(
        {
            "model_version": shapes.model_version(
                versions.get_model_version(uow(), a.required("name"), _version(a))
            )
        }
    )


@bp.patch("/update")
@requires(Role.CONTRIBUTOR)
def update() -> Response:
    a = args()
    mv = versions.update_model_version(uow(), a.required("name"), _version(a), a.string("description"))
    return ok({"model_version": shapes.model_version(mv)})


@bp.post("/transition-stage")
@requires(Role.CONTRIBUTOR)
def transition_stage() -> Response:
    a = args()
    mv = versions.transition_stage(
        uow(),
        a.required("name"),
        _version(a),
        a.required("stage"),
        archive_existing_versions=a.boolean("archive_existing_versions"),
    )
    return ok({"model_version": shapes.model_version(mv)})


@bp.delete("/delete")
@requires(Role.CONTRIBUTOR)
def delete() -> Response:
    a = args()
    versions.delete_model_version(uow(), a.required("name"), _version(a))
    return ok()


@bp.get("/search")
@requires(Role.READER)
def search() -> Response:
    a = args()
    page = versions.search_model_versions(
        uow(),
        filter_string=a.string("filter"),
        order_by=a.strings("order_by") or DEFAULT_VERSION_ORDER,
        max_results=a.integer("max_results"),
        page_token=a.string("page_token"),
    )
    # Search results carry no aliases (observed), unlike model-versions/get.
    body: dict[str, object] = {
        "model_versions": [shapes.model_version(v, with_aliases=False) for v in page.items]
    }
    if page.next_page_token:
        body["next_page_token"] = page.next_page_token
    return ok(body)


@bp.get("/get-download-uri")
@requires(Role.READER)
def get_download_uri() -> Response:
    a = args()
    return ok({"artifact_uri": lineage.get_download_uri(uow(), a.required("name"), _version(a))})


@bp.post("/set-tag")
@requires(Role.CONTRIBUTOR)
def set_tag() -> Response:
    a = args()
    versions.set_model_version_tag(uow(), a.required("name"), _version(a), a.required("key"), a.raw("value"))
    return ok()


@bp.delete("/delete-tag")
@requires(Role.CONTRIBUTOR)
def delete_tag() -> Response:
    a = args()
    versions.delete_model_version_tag(uow(), a.required("name"), _version(a), a.required("key"))
    return ok()
