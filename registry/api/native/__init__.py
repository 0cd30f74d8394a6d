"""The native API (/api/v1): flask-smorest blueprints over the services, with an OpenAPI document."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_smorest import Api

from registry import __version__
from registry.api.auth import declare
from registry.api.errors import ErrorRouter
from registry.api.native import errors, health, history, models, policies, promotions, tokens, versions
from registry.api.native import files as version_files
from registry.api.native import webhooks as webhook_api
from registry.api.native.metrics import blp as metrics_blp
from registry.api.native.schemas import Timestamp
from registry.domain.identity import Role

PREFIX = "/api/v1"


class NativeApi(Api):  # type: ignore[misc]
    """flask-smorest's Api, with errors rendered by Podium's one error router."""

    def __init__(self, app: Flask, router: ErrorRouter) -> None:
        self._router = router
        super().__init__(app)

    def handle_http_exception(self, error: Exception) -> Any:
        return self._router.render(error)


def install(app: Flask, router: ErrorRouter) -> Api:
    app.config.update(
        API_TITLE="Podium",
        API_VERSION=__version__,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
    )
    router.register(PREFIX, errors.render)
    api = NativeApi(app, router)
    api.register_field(Timestamp, "string", "date-time")
    api.spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "description": "A Podium token"}
    )
    api.spec.options["security"] = [{"bearer": []}]
    for blp in (models.blp, versions.blp, tokens.blp, policies.blp, promotions.blp, history.blp):
        api.register_blueprint(blp)
    api.register_blueprint(metrics_blp)
    api.register_blueprint(webhook_api.blp)
    api.register_blueprint(version_files.blp)
    app.register_blueprint(health.blp)
    # flask-smorest's own route serving the document: readable by any authenticated caller.
    for endpoint in list(app.view_functions):
        if endpoint.startswith("api-docs."):
            declare(app, endpoint, Role.READER)
    return api
