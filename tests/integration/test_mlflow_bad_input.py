"""Bad input on every MLflow route: a 4xx in MLflow's error shape, never a 500, nothing written.

Every route is sent a malformed body, no parameters, and parameters of the wrong types; the ids it
names do not exist. Whatever the route, the answer is 200 or a 4xx with {error_code, message}.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from registry.runtime import Runtime

FIELDS = (
    "name",
    "new_name",
    "experiment_id",
    "experiment_ids",
    "experiment_name",
    "run_id",
    "run_uuid",
    "key",
    "value",
    "timestamp",
    "step",
    "metric_key",
    "metrics",
    "params",
    "tags",
    "models",
    "status",
    "end_time",
    "start_time",
    "user_id",
    "run_name",
    "filter",
    "order_by",
    "max_results",
    "page_token",
    "run_view_type",
    "view_type",
    "version",
    "source",
    "model_id",
    "stage",
    "stages",
    "archive_existing_versions",
    "alias",
    "description",
    "source_run_id",
    "model_type",
    "path",
)
WRONG_VALUES: tuple[Any, ...] = (
    123,
    -1,
    1.5,
    True,
    [],
    {},
    ["x"],
    [{"a": 1}],
    {"k": [1]},
    "x" * 70000,
    "\x00",
    "../..",
)


def _routes(app: Flask) -> list[tuple[str, str]]:
    out = []
    for rule in app.url_map.iter_rules():
        if "mlflow" not in rule.rule:
            continue
        path = rule.rule.replace("<model_id>", "m-" + "0" * 32).replace("<path:tag_key>", "k")
        path = path.replace("<path:artifact_path>", "0/x/y.txt")
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            out.append((method, path))
    return sorted(out)


def _check(response: Any, what: str) -> None:
    assert response.status_code < 500, (
        f"{what}: {response.status_code} {response.get_data(as_text=True)[:500]}"
    )
    if response.status_code != 200:
        body = response.get_json(silent=True)
        assert isinstance(body, dict) and {"error_code", "message"} <= set(body), what
        assert "Traceback" not in body["message"], what


def _tree(root: Path) -> set[str]:
    """Every file and folder under `root` but the SQLite database (and its WAL files)."""
    return {str(p.relative_to(root)) for p in root.rglob("*") if not p.name.startswith("podium.db")}


def test_every_route_answers_bad_input_with_a_4xx(
    app: Flask, client: FlaskClient, runtime: Runtime, tmp_path: Path
) -> None:
    routes = _routes(app)
    assert len(routes) >= 50
    outside_before = _tree(tmp_path) - {p for p in _tree(tmp_path) if p.startswith("artifacts")}
    for method, path in routes:
        query_method = method == "GET"
        # Nothing at all, and (for bodies) something that is not JSON.
        _check(client.open(path, method=method), f"{method} {path} empty")
        if not query_method:
            _check(
                client.open(path, method=method, data=b"{not json", content_type="application/json"),
                f"{method} {path} malformed",
            )
            _check(
                client.open(path, method=method, data=b"[1, 2]", content_type="application/json"),
                f"{method} {path} array body",
            )
        for value in WRONG_VALUES:
            params = dict.fromkeys(FIELDS, value)
            if query_method:
                if isinstance(value, dict | list):
                    continue  # a query string has no such values
                response = client.open(
                    path, method=method, query_string={k: str(v) for k, v in params.items()}
                )
            else:
                response = client.open(path, method=method, json=params)
            _check(response, f"{method} {path} with {str(value)[:20]!r}")
    # Plausible-looking ids that do not exist.
    for field, value in itertools.product(("run_id", "experiment_id", "name"), ("f" * 32, "424242", "nope")):
        _check(
            client.post(
                "/api/2.0/mlflow/runs/log-metric",
                json={field: value, "key": "k", "value": 1.0, "timestamp": 1, "step": 0},
            ),
            field,
        )
    outside_after = _tree(tmp_path) - {p for p in _tree(tmp_path) if p.startswith("artifacts")}
    assert outside_after == outside_before


@pytest.mark.parametrize(
    "path",
    [
        "../outside.txt",
        "0/../../outside.txt",
        "%2e%2e/outside.txt",
        "0/%2e%2e/%2e%2e/outside.txt",
        "%252e%252e/outside.txt",
        "0%2F..%2F..%2Foutside.txt",
        "0/%252F..%252Foutside.txt",
        "..%5coutside.txt",
        "0/./x.txt",
        "0//x.txt",
        "%00x",
    ],
)
def test_artifact_paths_cannot_escape_the_store(
    client: FlaskClient, runtime: Runtime, tmp_path: Path, path: str
) -> None:
    before = _tree(tmp_path)
    url = f"/api/2.0/mlflow-artifacts/artifacts/{path}"
    for method in ("PUT", "GET", "DELETE"):
        response = client.open(url, method=method, data=b"payload" if method == "PUT" else None)
        assert 400 <= response.status_code < 500, (method, path, response.status_code)
        body = response.get_json()
        assert body["error_code"] in (
            "INVALID_PARAMETER_VALUE",
            "RESOURCE_DOES_NOT_EXIST",
            "ENDPOINT_NOT_FOUND",
        )
    r = client.get("/api/2.0/mlflow-artifacts/artifacts", query_string={"path": path.replace("%2F", "/")})
    assert r.status_code == 400 or r.get_json() == {}
    assert _tree(tmp_path) == before
