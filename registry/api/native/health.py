"""/health: is the server up and its database reachable (open to everyone, for probes)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from registry.api.auth import PUBLIC, requires
from registry.api.context import runtime

blp = Blueprint("health", __name__)


@blp.get("/health")
@requires(PUBLIC)
def health() -> Any:
    try:
        with runtime().database.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError:
        response = jsonify({"status": "unavailable", "database": "unreachable"})
        response.status_code = 503
        return response
    return jsonify({"status": "ok", "database": "ok"})
