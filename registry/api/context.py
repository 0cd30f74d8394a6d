"""Per-request access to the runtime and a unit of work acting as the caller."""

from __future__ import annotations

from flask import current_app, g

from registry.api.auth import current_actor
from registry.db.uow import UnitOfWork
from registry.runtime import Runtime


def runtime() -> Runtime:
    return current_app.extensions["podium"]  # type: ignore[no-any-return]


def uow() -> UnitOfWork:
    """A fresh unit of work for this request, acting as the authenticated caller."""
    return runtime().uow(current_actor(), request_id=g.get("request_id"))
