"""/api/v1/tokens: API tokens (admin only)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from registry.api.auth import requires
from registry.api.context import uow
from registry.api.native.schemas import (
    NewTokenSchema,
    TokenCreateArgs,
    TokenListSchema,
    TokenSchema,
)
from registry.domain.identity import Role, Token
from registry.services import tokens

blp = Blueprint("tokens", __name__, url_prefix="/api/v1/tokens", description="API tokens")


@blp.route("")
class Tokens(MethodView):
    @requires(Role.ADMIN)
    @blp.response(200, TokenListSchema)
    def get(self) -> dict[str, list[Token]]:
        """List active tokens (never their secrets)."""
        return {"tokens": tokens.list_tokens(uow())}

    @requires(Role.ADMIN)
    @blp.arguments(TokenCreateArgs)
    @blp.response(201, NewTokenSchema)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Create a token. The secret is in this response only."""
        token, secret = tokens.create_token(uow(), args["name"], args["role"])
        return {**token.__dict__, "secret": secret}


@blp.route("/<name>")
class TokenByName(MethodView):
    @requires(Role.ADMIN)
    @blp.response(200, TokenSchema)
    def delete(self, name: str) -> Token:
        """Revoke a token; requests carrying it are refused from now on."""
        return tokens.revoke_token(uow(), name)
