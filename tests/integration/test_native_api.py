"""The native API over HTTP semantics (Flask's test client, real databases)."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from registry.db.tables import AuditEventRow, ModelVersionRow, RegisteredModelRow
from registry.runtime import Runtime

SRC = "mlflow-artifacts:/1/models/m-" + "1" * 32 + "/artifacts"


def created(client: FlaskClient, name: str = "fraud", versions: int = 0) -> None:
    assert client.post("/api/v1/models", json={"name": name}).status_code == 201
    for _ in range(versions):
        assert client.post(f"/api/v1/models/{name}/versions", json={"source": SRC}).status_code == 201


def test_model_and_version_round_trip(client: FlaskClient) -> None:
    r = client.post("/api/v1/models", json={"name": "fraud", "description": "d", "tags": {"team": "risk"}})
    assert r.status_code == 201
    assert r.json is not None
    assert r.json["name"] == "fraud"
    assert r.json["tags"] == {"team": "risk"}
    assert r.json["created_at"].endswith("+00:00")

    r = client.post(
        "/api/v1/models/fraud/versions",
        json={"source": SRC, "run_id": "a" * 32, "tags": {"k": "v"}, "description": "first"},
    )
    assert r.status_code == 201
    assert r.json is not None
    assert (r.json["version"], r.json["stage"], r.json["tags"]) == (1, "None", {"k": "v"})

    assert client.put("/api/v1/models/fraud/aliases/champion", json={"version": 1}).status_code == 200
    r = client.get("/api/v1/models/fraud/aliases/champion")
    assert r.json is not None
    assert r.json["version"] == 1
    assert r.json["aliases"] == ["champion"]

    r = client.post(
        "/api/v1/models/fraud/versions/1/stage",
        json={"stage": "Production", "archive_existing_versions": True},
    )
    assert r.json is not None
    assert r.json["stage"] == "Production"

    r = client.get("/api/v1/models/fraud")
    assert r.json is not None
    assert r.json["aliases"] == {"champion": 1}
    assert [v["version"] for v in r.json["latest_versions"]] == [1]

    assert client.put("/api/v1/models/fraud/versions/1/tags/a/b", json={"value": "x"}).status_code == 200
    r = client.get("/api/v1/models/fraud/versions/1")
    assert r.json is not None
    assert r.json["tags"] == {"a/b": "x", "k": "v"}
    assert client.delete("/api/v1/models/fraud/versions/1/tags/a/b").status_code == 204

    r = client.patch("/api/v1/models/fraud", json={"description": "new", "name": "fraud-2"})
    assert r.json is not None
    assert (r.json["name"], r.json["description"]) == ("fraud-2", "new")
    assert client.get("/api/v1/models/fraud").status_code == 404
    assert client.delete("/api/v1/models/fraud-2/aliases/champion").status_code == 204
    assert client.delete("/api/v1/models/fraud-2/versions/1").status_code == 204
    assert client.delete("/api/v1/models/fraud-2").status_code == 204


def test_listing_and_pagination(client: FlaskClient) -> None:
    for i in range(5):
        created(client, f"m{i}", versions=1 if i < 3 else 0)
    r = client.get("/api/v1/models?max_results=2&order_by=name+DESC")
    assert r.json is not None
    assert [m["name"] for m in r.json["models"]] == ["m4", "m3"]
    token = r.json["next_page_token"]
    r = client.get(f"/api/v1/models?max_results=2&order_by=name+DESC&page_token={token}")
    assert r.json is not None
    assert [m["name"] for m in r.json["models"]] == ["m2", "m1"]
    r = client.get("/api/v1/versions", query_string={"filter": "name IN ('m0', 'm2')"})
    assert r.json is not None
    assert [(v["name"], v["version"]) for v in r.json["versions"]] == [("m0", 1), ("m2", 1)]
    r = client.get("/api/v1/models/m1/versions")
    assert r.json is not None
    assert [v["version"] for v in r.json["versions"]] == [1]


def snapshot(runtime: Runtime) -> tuple[int, int, int]:
    with runtime.database.engine.connect() as conn:
        return tuple(  # type: ignore[return-value]
            conn.scalar(select(func.count()).select_from(t))
            for t in (RegisteredModelRow, ModelVersionRow, AuditEventRow)
        )


BAD_REQUESTS: list[tuple[str, str, Any, int, str]] = [
    ("POST", "/api/v1/models", {"name": ""}, 422, "name"),
    ("POST", "/api/v1/models", {"name": "x" * 257}, 422, "name"),
    ("POST", "/api/v1/models", {"name": "a/b"}, 400, "cannot contain '/'"),
    ("POST", "/api/v1/models", {"name": "nul\u0000byte"}, 400, "NUL"),
    ("POST", "/api/v1/models", {"name": 123}, 422, "Not a valid string"),
    ("POST", "/api/v1/models", {"nom": "typo"}, 422, "Unknown field"),
    ("POST", "/api/v1/models", "not json", 400, "Invalid JSON"),
    ("POST", "/api/v1/models", {"name": "base"}, 409, "already exists"),
    ("POST", "/api/v1/models/base/versions", {"source": "file:///etc/passwd"}, 400, "source"),
    ("POST", "/api/v1/models/base/versions", {"source": "mlflow-artifacts:/../../x"}, 400, "'..'"),
    ("POST", "/api/v1/models/missing/versions", {"source": SRC}, 404, "missing not found"),
    ("POST", "/api/v1/models/base/versions/1/stage", {"stage": "Bogus"}, 400, "Invalid Model Version stage"),
    ("POST", "/api/v1/models/base/versions/1/stage", {}, 422, "stage"),
    ("PUT", "/api/v1/models/base/aliases/latest", {"version": 1}, 400, "reserved"),
    ("PUT", "/api/v1/models/base/aliases/v2", {"version": 1}, 400, "reserved"),
    ("PUT", "/api/v1/models/base/aliases/champion", {"version": 99}, 404, "version=99"),
    ("PUT", "/api/v1/models/base/aliases/champion", {"version": "x"}, 422, "version"),
    ("GET", "/api/v1/models/base/aliases/nope", None, 404, "alias nope not found"),
    ("GET", "/api/v1/models/base/versions/99", None, 404, "version=99"),
    ("GET", "/api/v1/models/base/versions/abc", None, 400, "must be an integer"),
    ("GET", "/api/v1/models?filter=name%20%3D%3D%20'x'", None, 400, "Invalid filter"),
    ("GET", "/api/v1/models?filter=bogus%20%3D%20'x'", None, 400, "Invalid attribute key"),
    ("GET", "/api/v1/models?page_token=not-a-token", None, 400, "page token"),
    ("GET", "/api/v1/models?max_results=0", None, 422, "max_results"),
    ("GET", "/api/v1/models?max_results=5000", None, 400, "at most 1000"),
    ("GET", "/api/v1/versions?filter=version_number%20%3D%20'abc'", None, 400, "expected a number"),
    ("PATCH", "/api/v1/models/base/versions/1", {"description": 5}, 422, "description"),
    ("DELETE", "/api/v1/models/missing", None, 404, "not found"),
]


@pytest.mark.parametrize(("method", "path", "body", "status", "fragment"), BAD_REQUESTS)
def test_bad_input_gets_a_clear_4xx_and_writes_nothing(
    client: FlaskClient,
    runtime: Runtime,
    method: str,
    path: str,
    body: Any,
    status: int,
    fragment: str,
) -> None:
    created(client, "base", versions=1)
    before = snapshot(runtime)
    kwargs: dict[str, Any] = {}
    if isinstance(body, str):
        kwargs = {"data": body, "content_type": "application/json"}
    elif body is not None:
        kwargs = {"json": body}
    r = client.open(path, method=method, **kwargs)
    assert r.status_code == status, r.get_data(as_text=True)
    assert r.json is not None
    assert set(r.json) >= {"code", "status", "message"}
    assert r.json["status"] == status
    text = r.json["message"] + str(r.json.get("errors", ""))
    assert fragment in text
    assert "Traceback" not in r.get_data(as_text=True)
    assert snapshot(runtime) == before


def test_openapi_document_describes_the_api(client: FlaskClient) -> None:
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    doc = r.json
    assert doc is not None
    assert doc["info"]["title"] == "Podium"
    assert "/api/v1/models/{name}/versions/{version}/stage" in doc["paths"]
    assert "RegisteredModel" in doc["components"]["schemas"]


def test_health_checks_the_database(client: FlaskClient) -> None:
    r = client.get("/health")
    assert r.status_code == 200
    assert r.json == {"status": "ok", "database": "ok"}
