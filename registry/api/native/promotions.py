"""/api/v1/promotions: promotion requests, their approvals and applying them; forced moves."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from registry.api.auth import requires
from registry.api.context import uow
from registry.api.native.governance_schemas import (
    DecisionArgs,
    ForceArgs,
    ForcedMoveSchema,
    PromotionCreateArgs,
    PromotionListArgs,
    PromotionPageSchema,
    PromotionRequestSchema,
)
from registry.domain.entities import Page
from registry.domain.identity import Role
from registry.domain.promotions import ForcedMove, PromotionRequest, evaluation_data
from registry.services import forced, promotions

blp = Blueprint("promotions", __name__, url_prefix="/api/v1", description="Promotion requests")


def _body(request: PromotionRequest) -> dict[str, Any]:
    body = {f.name: getattr(request, f.name) for f in fields(request)}
    body["evaluation"] = evaluation_data(request.evaluation) if request.evaluation is not None else None
    return body


@blp.route("/promotions")
class Promotions(MethodView):
    @requires(Role.READER)
    @blp.arguments(PromotionListArgs, location="query")
    @blp.response(200, PromotionPageSchema)
    def get(self, args: dict[str, Any]) -> Page[dict[str, Any]]:
        """List requests, newest first; filter by model, status, target, version, requested_by."""
        page = promotions.list_requests(uow(), **args)
        return Page([_body(r) for r in page.items], page.next_page_token)

    @requires(Role.CONTRIBUTOR)
    @blp.arguments(PromotionCreateArgs)
    @blp.response(201, PromotionRequestSchema)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Request that a version take a target. Applied at once when nothing more is needed;
        a promoter may attach `external_approvals` and `evidence` (e.g. a reviewed pull request)."""
        return _body(promotions.create_request(uow(), **args))


@blp.route("/promotions/<request_id>")
class Promotion(MethodView):
    @requires(Role.READER)
    @blp.response(200, PromotionRequestSchema)
    def get(self, request_id: str) -> dict[str, Any]:
        """The request with its evaluation: each rule, the values compared, pass or fail."""
        return _body(promotions.get_request(uow(), request_id))


@blp.route("/promotions/<request_id>/approve")
class Approve(MethodView):
    @requires(Role.REVIEWER)
    @blp.arguments(DecisionArgs)
    @blp.response(200, PromotionRequestSchema)
    def post(self, args: dict[str, Any], request_id: str) -> dict[str, Any]:
        """Approve (never your own request; once). Applies the request when it becomes ready."""
        return _body(promotions.approve(uow(), request_id, args["comment"]))


@blp.route("/promotions/<request_id>/reject")
class Reject(MethodView):
    @requires(Role.REVIEWER)
    @blp.arguments(DecisionArgs)
    @blp.response(200, PromotionRequestSchema)
    def post(self, args: dict[str, Any], request_id: str) -> dict[str, Any]:
        """Reject: the request is closed and can no longer be applied."""
        return _body(promotions.reject(uow(), request_id, args["comment"]))


@blp.route("/promotions/<request_id>/cancel")
class Cancel(MethodView):
    @requires(Role.CONTRIBUTOR)
    @blp.arguments(DecisionArgs)
    @blp.response(200, PromotionRequestSchema)
    def post(self, args: dict[str, Any], request_id: str) -> dict[str, Any]:
        """Withdraw a pending request (its requester or an admin)."""
        return _body(promotions.cancel(uow(), request_id, args["comment"]))


@blp.route("/promotions/<request_id>/apply")
class Apply(MethodView):
    @requires(Role.CONTRIBUTOR)
    @blp.response(200, PromotionRequestSchema)
    def post(self, request_id: str) -> dict[str, Any]:
        """Apply a ready request (409 with the reasons when it is not). Idempotent once applied."""
        return _body(promotions.apply(uow(), request_id))


@blp.route("/models/<name>/forced-moves")
class ForcedMoves(MethodView):
    @requires(Role.ADMIN)
    @blp.arguments(ForceArgs)
    @blp.response(201, ForcedMoveSchema)
    def post(self, args: dict[str, Any], name: str) -> ForcedMove:
        """Move a target without a promotion request (admins, with a reason; audited)."""
        return forced.force_move(
            uow(), name, args["target"], args["version"], args["reason"], args["archive_existing_versions"]
        )
