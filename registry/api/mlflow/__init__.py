"""The MLflow-compatible API: what the stock `mlflow` client speaks, over Podium's services.

Routes live in one module per resource group; `errors` maps Podium's errors to MLflow's wire errors
and `wire` holds the request and response conventions. Podium implements the protocol itself: no
module here imports mlflow.
"""

from __future__ import annotations

from flask import Flask

from registry.api.errors import ErrorRouter
from registry.api.mlflow import (
    artifacts,
    errors,
    experiments,
    logged_models,
    registry_models,
    registry_versions,
    runs,
    server_info,
    webhooks,
)

PREFIXES = ("/api/2.0/mlflow", "/api/2.0/mlflow-artifacts", "/api/3.0/mlflow")


def install(app: Flask, router: ErrorRouter) -> None:
    for prefix in PREFIXES:
        router.register(prefix, errors.render)
    for module in (
        experiments,
        runs,
        logged_models,
        artifacts,
        registry_models,
        registry_versions,
        server_info,
        webhooks,
    ):
        app.register_blueprint(module.bp)
