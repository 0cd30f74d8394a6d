"""The MLflow registry routes: shapes, MLflow's irregular statuses, roles (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from registry.domain.identity import Role
from tests.fixtures.apps import TokenMaker

API = "/api/2.0/mlflow"
SRC = "mlflow-artifacts:/1/models/m-" + "1" * 32 + "/artifacts"


def call(
    client: FlaskClient, method: str, path: str, body: dict[str, Any] | None = None, **query: Any
) -> Any:
    return client.open(f"{API}/{path}", method=method, json=body, query_string=query or None)


def test_registry_round_trip_in_mlflow_shapes(client: FlaskClient) -> None:
    r = call(
        client,
        "POST",
        "registered-models/create",
        {"name": "wire-demo", "tags": [{"key": "team", "value": "ml"}]},
    )
    rm = r.get_json()["registered_model"]
    assert set(rm) == {"name", "creation_timestamp", "last_updated_timestamp", "tags"}  # unset fields omitted
    r = call(client, "POST", "registered-models/create", {"name": "wire-demo"})
    assert (r.status_code, r.get_json()["error_code"]) == (400, "RESOURCE_ALREADY_EXISTS")
    assert r.get_json()["message"] == "Registered Model (name=wire-demo) already exists."
    for _ in range(3):
        mv = call(client, "POST", "model-versions/create", {"name": "wire-demo", "source": SRC}).get_json()
    assert mv["model_version"]["version"] == "3" and mv["model_version"]["current_stage"] == "None"
    assert (
        call(
            client,
            "POST",
            "registered-models/alias",
            {"name": "wire-demo", "alias": "champion", "version": "2"},
        ).get_json()
        == {}
    )
    r = call(client, "GET", "registered-models/alias", name="wire-demo", alias="champion")
    assert r.get_json()["model_version"]["aliases"] == ["champion"]
    r = call(client, "GET", "registered-models/alias", name="wire-demo", alias="nope")
    assert (r.status_code, r.get_json()["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    assert r.get_json()["message"] == "Registered model alias nope not found."
    r = call(
        client, "POST", "registered-models/alias", {"name": "wire-demo", "alias": "ghost", "version": "999"}
    )
    assert (r.status_code, r.get_json()["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")
    r = call(client, "DELETE", "registered-models/alias", {"name": "wire-demo", "alias": "nope"})
    assert (r.status_code, r.get_json()) == (200, {})
    r = call(
        client,
        "POST",
        "model-versions/transition-stage",
        {"name": "wire-demo", "version": "1", "stage": "Bogus", "archive_existing_versions": False},
    )
    assert (r.status_code, r.get_json()["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    for version in ("2", "3"):
        call(
            client,
            "POST",
            "model-versions/transition-stage",
            {
                "name": "wire-demo",
                "version": version,
                "stage": "Production",
                "archive_existing_versions": True,
            },
        )
    v2 = call(client, "GET", "model-versions/get", name="wire-demo", version="2").get_json()["model_version"]
    assert v2["current_stage"] == "Archived" and v2["aliases"] == ["champion"]
    latest = call(
        client,
        "POST",
        "registered-models/get-latest-versions",
        {"name": "wire-demo", "stages": ["Production"]},
    )
    assert [v["version"] for v in latest.get_json()["model_versions"]] == ["3"]
    got = call(client, "GET", "registered-models/get", name="wire-demo").get_json()["registered_model"]
    assert got["aliases"] == [{"alias": "champion", "version": "2"}]
    assert [(v["version"], v["current_stage"]) for v in got["latest_versions"]] == [
        ("1", "None"),
        ("2", "Archived"),
        ("3", "Production"),
    ]
    assert all("aliases" not in v for v in got["latest_versions"])
    r = call(
        client,
        "GET",
        "registered-models/search",
        filter="name LIKE 'wire-%' AND tag.`mlflow.prompt.is_prompt` != 'true'",
        max_results="100",
    )
    assert [m["name"] for m in r.get_json()["registered_models"]] == ["wire-demo"]
    r = call(client, "GET", "registered-models/search", filter="bogus_field = 'x'")
    assert (
        r.get_json()["message"] == "Invalid attribute key 'bogus_field' specified. Valid keys are '{'name'}'"
    )
    r = call(client, "GET", "model-versions/search", filter="name='wire-demo'", max_results="2")
    body = r.get_json()
    assert len(body["model_versions"]) == 2 and body["next_page_token"]
    assert all("aliases" not in v for v in body["model_versions"])
    r = call(client, "GET", "model-versions/get", name="wire-demo", version="abc")
    assert r.get_json()["message"] == "Parameter 'version' must be an integer, got 'abc'."
    assert (
        call(
            client, "POST", "registered-models/rename", {"name": "wire-demo", "new_name": "renamed"}
        ).status_code
        == 200
    )
    r = call(client, "GET", "registered-models/get", name="wire-demo")
    assert (r.status_code, r.get_json()["message"]) == (404, "Registered Model with name=wire-demo not found")
    assert (
        call(client, "DELETE", "model-versions/delete", {"name": "renamed", "version": "1"}).get_json() == {}
    )
    assert call(client, "DELETE", "registered-models/delete", {"name": "renamed"}).get_json() == {}


def test_missing_and_malformed_parameters(client: FlaskClient) -> None:
    r = call(client, "GET", "registered-models/get")
    assert (r.status_code, r.get_json()["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    assert r.get_json()["message"].startswith("Missing value for required parameter 'name'.")
    r = client.post(f"{API}/registered-models/create", data=b"not json", content_type="application/json")
    assert r.get_json()["message"].startswith("Missing value for required parameter 'name'.")
    r = call(client, "POST", "registered-models/create", {"name": 123})
    assert r.get_json()["message"].startswith("Invalid value 123 for parameter 'name' supplied:")
    r = client.get(f"{API}/does-not-exist")
    assert (r.status_code, r.get_json()["error_code"]) == (404, "ENDPOINT_NOT_FOUND")
    assert r.get_json()["sqlstate"] == "KAM00"
    r = client.get("/api/3.0/mlflow/server-info")
    assert r.get_json()["multipart_uploads_enabled"] is False


def test_roles_on_mlflow_routes(secured_app: Flask, make_token: TokenMaker) -> None:
    client = secured_app.test_client()
    reader = {"Authorization": f"Bearer {make_token('rita', Role.READER)}"}
    contributor = {"Authorization": f"Bearer {make_token('carl', Role.CONTRIBUTOR)}"}
    r = client.get(f"{API}/experiments/get", query_string={"experiment_id": "0"})
    assert (r.status_code, r.get_json()["error_code"]) == (401, "UNAUTHENTICATED")
    assert client.get(f"{API}/experiments/get?experiment_id=0", headers=reader).status_code == 200
    r = client.post(f"{API}/registered-models/create", json={"name": "m"}, headers=reader)
    assert (r.status_code, r.get_json()["error_code"]) == (403, "PERMISSION_DENIED")
    r = client.put("/api/2.0/mlflow-artifacts/artifacts/0/x.txt", data=b"x", headers=reader)
    assert r.status_code == 403
    assert (
        client.put("/api/2.0/mlflow-artifacts/artifacts/0/x.txt", data=b"x", headers=contributor).status_code
        == 200
    )
    assert client.get("/api/2.0/mlflow-artifacts/artifacts/0/x.txt", headers=reader).data == b"x"
    # Every MLflow route declares a role (an undeclared one would answer 403 even to an admin).
    mlflow_rules = [rule for rule in secured_app.url_map.iter_rules() if "mlflow" in rule.rule]
    assert len(mlflow_rules) >= 45
    for rule in mlflow_rules:
        view = secured_app.view_functions[rule.endpoint]
        role = getattr(view, "_podium_required_role", None)
        # Webhook subscriptions are admin business, as on the native API.
        expected = (
            (Role.ADMIN,) if rule.rule.startswith(f"{API}/webhooks") else (Role.READER, Role.CONTRIBUTOR)
        )
        assert role in expected, rule.rule
