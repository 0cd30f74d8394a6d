"""/api/v1/models/<name>/history and /holders: the audit history of a model."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from registry.api.auth import requires
from registry.api.context import uow
from registry.api.native.governance_schemas import (
    HistoryArgs,
    HistoryPageSchema,
    HoldersArgs,
    TargetHoldersSchema,
)
from registry.domain.entities import Page
from registry.domain.history import AuditEntry, TargetHolders
from registry.domain.identity import Role
from registry.services import history

blp = Blueprint("history", __name__, url_prefix="/api/v1/models", description="Audit history")


@blp.route("/<name>/history")
class ModelHistory(MethodView):
    @requires(Role.READER)
    @blp.arguments(HistoryArgs, location="query")
    @blp.response(200, HistoryPageSchema)
    def get(self, args: dict[str, Any], name: str) -> Page[AuditEntry]:
        """Every change to the model, newest first: actor, action, before → after, request id."""
        return history.model_history(
            uow(),
            name,
            actions=args["action"],
            before=args["before"],
            max_results=args["max_results"],
            page_token=args["page_token"],
        )


@blp.route("/<name>/holders")
class Holders(MethodView):
    @requires(Role.READER)
    @blp.arguments(HoldersArgs, location="query")
    @blp.response(200, TargetHoldersSchema)
    def get(self, args: dict[str, Any], name: str) -> TargetHolders:
        """Which version held a target (`alias:champion`, `stage:Production`) at `at`, since when,
        set by whom and approved by whom."""
        return history.holders_at(uow(), name, args["target"], args["at"])
