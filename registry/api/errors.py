"""Choosing the wire format for an error: each API surface renders errors its own way.

Adapters register a renderer for their URL prefix; `render` picks by the request path, so a 404 on an
unknown MLflow route looks like MLflow's and one under /api/v1 like the native API's. Unexpected
exceptions are logged with their traceback and answered with a generic 500 that reveals nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException, InternalServerError

from registry.domain import errors as e
from registry.domain.errors import PodiumError

log = logging.getLogger(__name__)

# The HTTP status of each registry error, for every surface that speaks HTTP statuses (the native
# API and the UI; the MLflow adapter keeps MLflow's own table). Most specific first: the first
# matching class decides.
HTTP_STATUS: list[tuple[type[PodiumError], int]] = [
    (e.InvalidParameter, 400),
    (e.NotFound, 404),
    (e.AlreadyExists, 409),
    (e.Conflict, 409),
    (e.Unauthenticated, 401),
    (e.PermissionDenied, 403),
    (e.StorageError, 503),
    (e.NotConfigured, 503),
]


def http_status(exc: PodiumError) -> int:
    """The status `exc` is answered with; 500 for an error kind the table does not know."""
    for cls, status in HTTP_STATUS:
        if isinstance(exc, cls):
            return status
    return 500


Renderer = Callable[[Exception], Response]


class ErrorRouter:
    def __init__(self, fallback: Renderer) -> None:
        self.fallback = fallback
        self.routes: list[tuple[str, Renderer]] = []

    def register(self, prefix: str, renderer: Renderer) -> None:
        self.routes.append((prefix, renderer))
        # Longest prefix first, so /api/2.0/mlflow-artifacts can differ from /api/2.0/mlflow.
        self.routes.sort(key=lambda item: len(item[0]), reverse=True)

    def render(self, exc: Exception) -> Response:
        if not isinstance(exc, PodiumError | HTTPException):
            log.exception(
                "unhandled error on %s %s (request %s)",
                request.method,
                request.path,
                g.get("request_id"),
            )
            exc = InternalServerError()
        for prefix, renderer in self.routes:
            if request.path.startswith(prefix):
                return renderer(exc)
        return self.fallback(exc)

    def install(self, app: Flask) -> None:
        app.register_error_handler(Exception, self.render)
