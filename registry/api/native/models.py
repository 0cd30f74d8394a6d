"""/api/v1/models: registered models, their tags and aliases."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from registry.api.auth import requires
from registry.api.context import uow
from registry.api.native.schemas import (
    AliasArgs,
    ModelCreateArgs,
    ModelPageSchema,
    ModelUpdateArgs,
    ModelVersionSchema,
    RegisteredModelSchema,
    SearchArgs,
    TagArgs,
)
from registry.domain.entities import Page, RegisteredModel
from registry.domain.identity import Role
from registry.services import aliases, models

blp = Blueprint("models", __name__, url_prefix="/api/v1/models", description="Registered models")


@blp.route("")
class Models(MethodView):
    @requires(Role.READER)
    @blp.arguments(SearchArgs, location="query")
    @blp.response(200, ModelPageSchema)
    def get(self, args: dict[str, Any]) -> Page[RegisteredModel]:
        """Search registered models (filter on name and tags)."""
        return models.search_registered_models(uow(), **_search(args))

    @requires(Role.CONTRIBUTOR)
    @blp.arguments(ModelCreateArgs)
    @blp.response(201, RegisteredModelSchema)
    def post(self, args: dict[str, Any]) -> RegisteredModel:
        """Create a registered model."""
        return models.create_registered_model(uow(), args["name"], args.get("description"), args.get("tags"))


@blp.route("/<name>")
class Model(MethodView):
    @requires(Role.READER)
    @blp.response(200, RegisteredModelSchema)
    def get(self, name: str) -> RegisteredModel:
        """Get a registered model with its tags, aliases and latest version per stage."""
        return models.get_registered_model(uow(), name)

    @requires(Role.CONTRIBUTOR)
    @blp.arguments(ModelUpdateArgs)
    @blp.response(200, RegisteredModelSchema)
    def patch(self, args: dict[str, Any], name: str) -> RegisteredModel:
        """Update the description and/or rename."""
        model = None
        if "description" in args:
            model = models.update_registered_model(uow(), name, args["description"])
        if "name" in args:
            model = models.rename_registered_model(uow(), name, args["name"])
        return model if model is not None else models.get_registered_model(uow(), name)

    @requires(Role.CONTRIBUTOR)
    @blp.response(204)
    def delete(self, name: str) -> None:
        """Delete the model with all its versions."""
        models.delete_registered_model(uow(), name)


@blp.route("/<name>/tags/<path:key>")
class ModelTag(MethodView):
    @requires(Role.CONTRIBUTOR)
    @blp.arguments(TagArgs)
    @blp.response(200, RegisteredModelSchema)
    def put(self, args: dict[str, Any], name: str, key: str) -> RegisteredModel:
        """Set a tag."""
        models.set_registered_model_tag(uow(), name, key, args["value"])
        return models.get_registered_model(uow(), name)

    @requires(Role.CONTRIBUTOR)
    @blp.response(204)
    def delete(self, name: str, key: str) -> None:
        """Delete a tag."""
        models.delete_registered_model_tag(uow(), name, key)


@blp.route("/<name>/aliases/<alias>")
class Alias(MethodView):
    @requires(Role.READER)
    @blp.response(200, ModelVersionSchema)
    def get(self, name: str, alias: str) -> Any:
        """The version an alias points at."""
        return aliases.get_version_by_alias(uow(), name, alias)

    @requires(Role.CONTRIBUTOR)
    @blp.arguments(AliasArgs)
    @blp.response(200, ModelVersionSchema)
    def put(self, args: dict[str, Any], name: str, alias: str) -> Any:
        """Point the alias at a version (moving it if set)."""
        return aliases.set_alias(uow(), name, alias, args["version"])

    @requires(Role.CONTRIBUTOR)
    @blp.response(204)
    def delete(self, name: str, alias: str) -> None:
        """Remove the alias."""
        aliases.delete_alias(uow(), name, alias)


def _search(args: dict[str, Any]) -> dict[str, Any]:
    return {
        "filter_string": args.get("filter"),
        "order_by": args.get("order_by"),
        "max_results": args.get("max_results"),
        "page_token": args.get("page_token"),
    }
