"""/api/v1/models/<name>/versions and /api/v1/versions: model versions."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from registry.api.auth import requires
from registry.api.context import runtime, uow
from registry.api.native.models import _search
from registry.api.native.schemas import (
    ModelVersionSchema,
    SearchArgs,
    StageArgs,
    TagArgs,
    VersionCreateArgs,
    VersionPageSchema,
    VersionUpdateArgs,
)
from registry.domain.entities import ModelVersion, Page
from registry.domain.identity import Role
from registry.services import digests, versions

blp = Blueprint("versions", __name__, url_prefix="/api/v1", description="Model versions")


@blp.route("/versions")
class AllVersions(MethodView):
    @requires(Role.READER)
    @blp.arguments(SearchArgs, location="query")
    @blp.response(200, VersionPageSchema)
    def get(self, args: dict[str, Any]) -> Page[ModelVersion]:
        """Search versions of every model (filter on name, version_number, run_id, source, tags)."""
        return versions.search_model_versions(uow(), **_search(args))


@blp.route("/models/<name>/versions")
class ModelVersions(MethodView):
    @requires(Role.READER)
    @blp.arguments(SearchArgs, location="query")
    @blp.response(200, VersionPageSchema)
    def get(self, args: dict[str, Any], name: str) -> Page[ModelVersion]:
        """List this model's versions, newest first; `filter` narrows further."""
        search = _search(args)
        if not search["order_by"]:
            search["order_by"] = ["version_number DESC"]
        return versions.search_model_versions(uow(), **search, model=name)

    @requires(Role.CONTRIBUTOR)
    @blp.arguments(VersionCreateArgs)
    @blp.response(201, ModelVersionSchema)
    def post(self, args: dict[str, Any], name: str) -> ModelVersion:
        """Register a new version from a source inside the artifact store (its files' sha256 recorded)."""
        return digests.register_model_version(
            uow(),
            runtime().store,
            name,
            args["source"],
            run_id=args.get("run_id"),
            model_id=args.get("model_id"),
            tags=args.get("tags"),
            description=args.get("description"),
        )


@blp.route("/models/<name>/versions/<version>")
class Version(MethodView):
    @requires(Role.READER)
    @blp.response(200, ModelVersionSchema)
    def get(self, name: str, version: str) -> ModelVersion:
        """Get one version."""
        return versions.get_model_version(uow(), name, version)

    @requires(Role.CONTRIBUTOR)
    @blp.arguments(VersionUpdateArgs)
    @blp.response(200, ModelVersionSchema)
    def patch(self, args: dict[str, Any], name: str, version: str) -> ModelVersion:
        """Update the description."""
        return versions.update_model_version(uow(), name, version, args["description"])

    @requires(Role.CONTRIBUTOR)
    @blp.response(204)
    def delete(self, name: str, version: str) -> None:
        """Delete the version (its number is never reused)."""
        versions.delete_model_version(uow(), name, version)


@blp.route("/models/<name>/versions/<version>/stage")
class Stage(MethodView):
    @requires(Role.CONTRIBUTOR)
    @blp.arguments(StageArgs)
    @blp.response(200, ModelVersionSchema)
    def post(self, args: dict[str, Any], name: str, version: str) -> ModelVersion:
        """Move the version to a stage, optionally archiving the versions already there."""
        return versions.transition_stage(
            uow(), name, version, args["stage"], args["archive_existing_versions"]
        )


@blp.route("/models/<name>/versions/<version>/tags/<path:key>")
class VersionTag(MethodView):
    @requires(Role.CONTRIBUTOR)
    @blp.arguments(TagArgs)
    @blp.response(200, ModelVersionSchema)
    def put(self, args: dict[str, Any], name: str, version: str, key: str) -> ModelVersion:
        """Set a tag on the version."""
        versions.set_model_version_tag(uow(), name, version, key, args["value"])
        return versions.get_model_version(uow(), name, version)

    @requires(Role.CONTRIBUTOR)
    @blp.response(204)
    def delete(self, name: str, version: str, key: str) -> None:
        """Delete a tag from the version."""
        versions.delete_model_version_tag(uow(), name, version, key)
