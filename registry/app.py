"""create_app(settings): the only place that wires Flask, blueprints and error handlers."""

from __future__ import annotations

import logging

from flask import Flask

from registry.api import auth
from registry.api.errors import ErrorRouter
from registry.api.mlflow import install as install_mlflow
from registry.api.native import errors as native_errors
from registry.api.native import install as install_native
from registry.config import Settings
from registry.runtime import Runtime
from registry.ui import install as install_ui
from registry.ui import session as ui_session

# Request bodies larger than this are refused before a view reads them (artifact uploads stream
# and are limited separately by the artifact proxy).
MAX_JSON_BODY = 16 * 1024 * 1024


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> Flask:
    """Build the WSGI app. `runtime` may be passed to share one engine/store (tests, CLI)."""
    settings = settings or (runtime.settings if runtime else Settings.from_env())
    runtime = runtime or Runtime.open(settings)
    app = Flask("registry")
    app.config["MAX_CONTENT_LENGTH"] = None
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["podium"] = runtime
    logging.getLogger("registry").setLevel(settings.log_level.upper())

    router = ErrorRouter(fallback=native_errors.render)
    router.install(app)
    auth.install(app, runtime, identity_sources=[ui_session.identity])
    install_native(app, router)
    install_ui(app, runtime, router)
    install_mlflow(app, router)
    return app
