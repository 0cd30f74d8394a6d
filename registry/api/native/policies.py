"""/api/v1/policies and /api/v1/models/<name>/policy: promotion policies (admins set them)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from registry.api.auth import requires
from registry.api.context import uow
from registry.api.native.governance_schemas import (
    EffectiveArgs,
    PolicyArgs,
    PolicyListSchema,
    PolicySchema,
)
from registry.domain.errors import NotFound
from registry.domain.identity import Role
from registry.domain.policies import Policy
from registry.services import policies

blp = Blueprint("policies", __name__, url_prefix="/api/v1", description="Promotion policies")


def _found(policy: Policy | None, what: str) -> Policy:
    if policy is None:
        raise NotFound(f"No policy is set for {what}.")
    return policy


@blp.route("/policies")
class Policies(MethodView):
    @requires(Role.READER)
    @blp.response(200, PolicyListSchema)
    def get(self) -> dict[str, list[Policy]]:
        """Every policy: the server-wide default (if any) first, then each model's."""
        return {"policies": policies.list_policies(uow())}


@blp.route("/policies/default")
class DefaultPolicy(MethodView):
    @requires(Role.READER)
    @blp.response(200, PolicySchema)
    def get(self) -> Policy:
        """The server-wide default policy (for models without their own)."""
        return _found(policies.get_policy(uow(), None), "the server (default policy)")

    @requires(Role.ADMIN)
    @blp.arguments(PolicyArgs)
    @blp.response(200, PolicySchema)
    def put(self, args: dict[str, Any]) -> Policy:
        """Create or replace the default policy."""
        return policies.set_policy(uow(), None, **args)

    @requires(Role.ADMIN)
    @blp.response(204)
    def delete(self) -> None:
        """Remove the default policy."""
        policies.delete_policy(uow(), None)


@blp.route("/models/<name>/policy")
class ModelPolicy(MethodView):
    @requires(Role.READER)
    @blp.arguments(EffectiveArgs, location="query")
    @blp.response(200, PolicySchema)
    def get(self, args: dict[str, Any], name: str) -> Policy:
        """The policy governing the model (`scope` says whether it is the model's own, the
        default, or none); with `effective=false`, only the model's own policy."""
        if args["effective"]:
            return policies.get_effective_policy(uow(), name)
        return _found(policies.get_policy(uow(), name), f"model {name!r}")

    @requires(Role.ADMIN)
    @blp.arguments(PolicyArgs)
    @blp.response(200, PolicySchema)
    def put(self, args: dict[str, Any], name: str) -> Policy:
        """Create or replace the model's policy (it replaces the default for this model)."""
        return policies.set_policy(uow(), name, **args)

    @requires(Role.ADMIN)
    @blp.response(204)
    def delete(self, name: str) -> None:
        """Remove the model's policy (the default applies again, if there is one)."""
        policies.delete_policy(uow(), name)
