"""GET /api/v1/models/{name}/versions/{version}/metrics: the numbers promotion rules judge.

On SQLite and PostgreSQL, with authentication on. The endpoint must answer exactly what governance's
own reader (`registry.services.evaluation.version_metrics`) returns, NaN and infinities included.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from registry.domain.identity import SYSTEM, Role
from registry.runtime import Runtime
from registry.services.evaluation import version_metrics
from tests.fixtures.apps import TokenMaker

SRC = "mlflow-artifacts:/1/models/m-" + "4" * 32 + "/artifacts"


class Caller:
    def __init__(self, client: FlaskClient, secret: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {secret}"}

    def __call__(self, method: str, path: str, body: Any = None) -> Any:
        return self.client.open(path, method=method, json=body, headers=self.headers)


@pytest.fixture
def callers(secured_app: Flask, make_token: TokenMaker) -> tuple[Caller, Caller]:
    client = secured_app.test_client()
    return Caller(client, make_token("carl", Role.CONTRIBUTOR)), Caller(
        client, make_token("reed", Role.READER)
    )


def register(carl: Caller, tags: dict[str, str]) -> None:
    assert carl("POST", "/api/v1/models", {"name": "fraud"}).status_code == 201
    response = carl("POST", "/api/v1/models/fraud/versions", {"source": SRC, "tags": tags})
    assert response.status_code == 201, response.json


def test_a_reader_gets_the_metrics_governance_reads(callers: tuple[Caller, Caller], runtime: Runtime) -> None:
    carl, reed = callers
    register(
        carl,
        {
            "podium.metric.r2_score": "0.91",
            "podium.metric.rmse": "41200",
            "podium.metric.loss": "-Infinity",
            "podium.metric.auc": "Infinity",
            "podium.metric.mae": "not a number",
            "eval_dataset": "holdout-q3",
        },
    )
    response = reed("GET", "/api/v1/models/fraud/versions/1/metrics")
    assert response.status_code == 200, response.json
    assert response.json == {
        "model": "fraud",
        "version": 1,
        # JSON has no NaN or infinities: they keep MLflow's spellings instead of disappearing.
        "metrics": {"auc": "Infinity", "loss": "-Infinity", "mae": "NaN", "r2_score": 0.91, "rmse": 41200.0},
        "source": "version tags podium.metric.*",
    }
    # Exactly what the promotion rules read, through the same function.
    with runtime.uow(SYSTEM).reading() as uow:
        model = uow.models.get("fraud")
        values, source = version_metrics(uow, uow.versions.get(model, 1))
    assert source == response.json["source"]
    assert set(values) == set(response.json["metrics"])
    assert values["r2_score"] == 0.91 and math.isnan(values["mae"]) and values["loss"] == -math.inf


def test_a_version_without_metrics_has_none(callers: tuple[Caller, Caller]) -> None:
    carl, reed = callers
    register(carl, {})
    response = reed("GET", "/api/v1/models/fraud/versions/1/metrics")
    assert response.json["metrics"] == {}


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/api/v1/models/fraud/versions/2/metrics", 404, "RESOURCE_DOES_NOT_EXIST"),
        ("/api/v1/models/nobody/versions/1/metrics", 404, "RESOURCE_DOES_NOT_EXIST"),
        ("/api/v1/models/fraud/versions/one/metrics", 400, "INVALID_PARAMETER_VALUE"),
    ],
)
def test_missing_and_bad_versions_are_clear_errors(
    callers: tuple[Caller, Caller], path: str, status: int, code: str
) -> None:
    carl, reed = callers
    register(carl, {})
    response = reed("GET", path)
    assert (response.status_code, response.json["code"]) == (status, code)
    assert response.json["message"]


def test_a_token_is_required(secured_app: Flask, callers: tuple[Caller, Caller]) -> None:
    carl, _ = callers
    register(carl, {"podium.metric.r2_score": "0.5"})
    response = secured_app.test_client().get("/api/v1/models/fraud/versions/1/metrics")
    assert response.status_code == 401


def test_the_openapi_document_describes_it(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").json
    get = spec["paths"]["/api/v1/models/{name}/versions/{version}/metrics"]["get"]
    schema = get["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith("/VersionMetrics")
    assert set(spec["components"]["schemas"]["VersionMetrics"]["properties"]) == {
        "model",
        "version",
        "metrics",
        "source",
    }
