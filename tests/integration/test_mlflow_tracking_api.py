"""The MLflow tracking routes over HTTP semantics (Flask's test client; SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import re
from typing import Any

from flask.testing import FlaskClient

API = "/api/2.0/mlflow"


def post(client: FlaskClient, path: str, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
    r = client.post(f"{API}/{path}", json=body)
    assert r.status_code == status, r.get_data(as_text=True)
    return r.get_json()  # type: ignore[no-any-return]


def get(client: FlaskClient, path: str, status: int = 200, **query: Any) -> dict[str, Any]:
    r = client.get(f"{API}/{path}", query_string=query)
    assert r.status_code == status, r.get_data(as_text=True)
    return r.get_json()  # type: ignore[no-any-return]


def new_run(client: FlaskClient, experiment_id: str = "0", **extra: Any) -> str:
    run = post(client, "runs/create", {"experiment_id": experiment_id, "start_time": 1000, **extra})["run"]
    return run["info"]["run_id"]  # type: ignore[no-any-return]


def test_default_experiment_and_generated_run_names(client: FlaskClient) -> None:
    default = get(client, "experiments/get", experiment_id="0")["experiment"]
    assert (default["name"], default["artifact_location"]) == ("Default", "mlflow-artifacts:/0")
    run = post(client, "runs/create", {"user_id": "ana", "tags": [{"key": "mlflow.user", "value": "ana"}]})[
        "run"
    ]
    assert "outputs" not in run and run["inputs"] == {}
    info = run["info"]
    assert info["experiment_id"] == "0"
    assert re.fullmatch(r"[a-z]+-[a-z]+-\d{1,3}", info["run_name"])
    assert info["artifact_uri"] == f"mlflow-artifacts:/0/{info['run_id']}/artifacts"
    assert info["run_uuid"] == info["run_id"] and info["status"] == "RUNNING" and "end_time" not in info
    assert {"key": "mlflow.runName", "value": info["run_name"]} in run["data"]["tags"]
    named = post(client, "runs/create", {"run_name": "baseline"})["run"]
    assert named["info"]["run_name"] == "baseline"


def test_experiment_lifecycle(client: FlaskClient) -> None:
    r = get(client, "experiments/get-by-name", 404, experiment_name="RandomForest test")
    assert r["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert r["message"] == "Could not find experiment with name 'RandomForest test'"
    exp_id = post(client, "experiments/create", {"name": "RandomForest test"})["experiment_id"]
    assert exp_id == "1"
    assert post(client, "experiments/create", {"name": "RandomForest test"}, 400)["error_code"] == (
        "RESOURCE_ALREADY_EXISTS"
    )
    post(client, "experiments/set-experiment-tag", {"experiment_id": exp_id, "key": "team", "value": "ml"})
    post(client, "experiments/update", {"experiment_id": exp_id, "new_name": "RF"})
    found = get(client, "experiments/get-by-name", experiment_name="RF")["experiment"]
    assert found["tags"] == [{"key": "team", "value": "ml"}] and found["workspace"] == "default"
    run_id = new_run(client, exp_id)
    post(client, "experiments/delete", {"experiment_id": exp_id})
    assert get(client, "runs/get", run_id=run_id)["run"]["info"]["lifecycle_stage"] == "deleted"
    names = [e["name"] for e in post(client, "experiments/search", {})["experiments"]]
    assert names == ["Default"]
    deleted = post(client, "experiments/search", {"view_type": "DELETED_ONLY"})["experiments"]
    assert [e["name"] for e in deleted] == ["RF"]
    assert (
        post(client, "runs/create", {"experiment_id": exp_id}, 400)["error_code"] == "INVALID_PARAMETER_VALUE"
    )
    post(client, "experiments/restore", {"experiment_id": exp_id})
    assert get(client, "runs/get", run_id=run_id)["run"]["info"]["lifecycle_stage"] == "active"
    assert (
        post(client, "experiments/delete", {"experiment_id": "0"}, 400)["error_code"]
        == "INVALID_PARAMETER_VALUE"
    )
    assert get(client, "experiments/get", 404, experiment_id="77")["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    r = get(client, "experiments/search", filter="name LIKE 'R%'", max_results="1")
    assert [e["name"] for e in r["experiments"]] == ["RF"] and "next_page_token" not in r


def test_params_metrics_and_history(client: FlaskClient) -> None:
    run_id = new_run(client)
    both = {"run_id": run_id, "run_uuid": run_id}
    post(client, "runs/log-parameter", {**both, "key": "depth", "value": "3"})
    post(client, "runs/log-parameter", {**both, "key": "depth", "value": "3"})  # same value: fine
    r = post(client, "runs/log-parameter", {**both, "key": "depth", "value": "4"}, 400)
    assert (
        r["error_code"] == "INVALID_PARAMETER_VALUE"
        and "Changing param values is not allowed" in r["message"]
    )
    for step, value in ((0, 0.5), (2, 0.9), (1, 0.7)):
        post(
            client,
            "runs/log-metric",
            {**both, "key": "acc", "value": value, "timestamp": 10 + step, "step": step},
        )
    post(client, "runs/log-metric", {**both, "key": "loss", "value": "NaN", "timestamp": 5, "step": 0})
    history = get(
        client, "metrics/get-history", run_uuid=run_id, run_id=run_id, metric_key="acc", max_results=25000
    )
    assert [(m["step"], m["value"]) for m in history["metrics"]] == [(0, 0.5), (1, 0.7), (2, 0.9)]
    run = get(client, "runs/get", run_uuid=run_id, run_id=run_id)["run"]
    metrics = {m["key"]: m["value"] for m in run["data"]["metrics"]}
    assert metrics == {"acc": 0.9, "loss": "NaN"}  # latest = highest step; NaN spelled as protobuf does
    assert run["data"]["params"] == [{"key": "depth", "value": "3"}]
    assert run["outputs"] == {}
    # Logging the same point again (what log_model's re-log does) keeps one history entry.
    post(
        client,
        "runs/log-batch",
        {"run_id": run_id, "metrics": [{"key": "acc", "value": 0.9, "timestamp": 12, "step": 2}]},
    )
    history = get(client, "metrics/get-history", run_id=run_id, metric_key="acc")
    assert len(history["metrics"]) == 3
    info = post(client, "runs/update", {**both, "status": "FINISHED", "end_time": 99})["run_info"]
    assert (info["status"], info["end_time"]) == ("FINISHED", 99)
    post(client, "runs/set-tag", {**both, "key": "note", "value": "x"})
    post(client, "runs/delete-tag", {**both, "key": "note"})
    assert (
        post(client, "runs/delete-tag", {**both, "key": "note"}, 404)["error_code"]
        == "RESOURCE_DOES_NOT_EXIST"
    )
    post(client, "runs/delete", both)
    r = post(client, "runs/log-metric", {**both, "key": "acc", "value": 1, "timestamp": 1, "step": 9}, 400)
    assert "must be in the 'active' state" in r["message"]


def test_search_runs_grammar_order_and_pages(client: FlaskClient) -> None:
    exp = post(client, "experiments/create", {"name": "grid"})["experiment_id"]
    ids = {}
    for i, (depth, r2) in enumerate((("3", 0.41), ("5", 0.47), ("None", 0.44), ("7", None))):
        run_id = new_run(client, exp, start_time=1000 + i)
        ids[depth] = run_id
        batch: dict[str, Any] = {"run_id": run_id, "params": [{"key": "max_depth", "value": depth}]}
        if r2 is not None:
            batch["metrics"] = [{"key": "r2_score", "value": r2, "timestamp": 1, "step": 0}]
        batch["tags"] = [{"key": "family", "value": "forest" if depth != "7" else "tree"}]
        post(client, "runs/log-batch", batch)

    def search(filter_: str = "", order_by: list[str] | None = None, **extra: Any) -> list[str]:
        body: dict[str, Any] = {
            "experiment_ids": [exp],
            "filter": filter_,
            "run_view_type": "ACTIVE_ONLY",
            **extra,
        }
        if order_by is not None:
            body["order_by"] = order_by
        runs = post(client, "runs/search", body)["runs"]
        return [next(p["value"] for p in r["data"]["params"]) for r in runs]

    assert search(order_by=["metrics.r2_score DESC"]) == ["5", "None", "3", "7"]  # missing last
    assert search(order_by=["metrics.r2_score ASC"]) == ["3", "None", "5", "7"]
    assert search() == ["7", "None", "5", "3"]  # newest first
    assert search(order_by=["attributes.start_time ASC"]) == ["3", "5", "None", "7"]
    assert search("metrics.r2_score >= 0.44") == ["None", "5"]
    assert search("metrics.r2_score > 0.41 AND params.max_depth != '5'") == ["None"]
    assert search("params.max_depth LIKE 'N%'") == ["None"]
    assert search("params.max_depth ILIKE 'n%'") == ["None"]
    assert search("tags.family = 'tree'") == ["7"]
    assert search(f"attributes.run_id IN ('{ids['3']}', '{ids['7']}')") == ["7", "3"]
    assert search("attributes.status = 'RUNNING' and metrics.r2_score < 0.45") == ["None", "3"]
    first = post(
        client,
        "runs/search",
        {"experiment_ids": [exp], "max_results": 3, "order_by": ["params.max_depth ASC"]},
    )
    token = first["next_page_token"]
    rest = post(
        client,
        "runs/search",
        {
            "experiment_ids": [exp],
            "max_results": 3,
            "order_by": ["params.max_depth ASC"],
            "page_token": token,
        },
    )
    assert len(first["runs"]) == 3 and len(rest["runs"]) == 1 and "next_page_token" not in rest
    for bad in ("metrics.r2_score LIKE 'x'", "attributes.colour = 'red'", "params.a = 1", "metrics.x >"):
        r = post(client, "runs/search", {"experiment_ids": [exp], "filter": bad}, 400)
        assert r["error_code"] == "INVALID_PARAMETER_VALUE", bad
    r = post(client, "runs/search", {"experiment_ids": [exp], "page_token": "not-a-token"}, 400)
    assert r["error_code"] == "INVALID_PARAMETER_VALUE"


def test_logged_models_and_their_link_to_runs_and_versions(client: FlaskClient) -> None:
    exp = post(client, "experiments/create", {"name": "lm"})["experiment_id"]
    run_id = new_run(client, exp)
    model = post(
        client,
        "logged-models",
        {
            "experiment_id": exp,
            "name": "random_forest_model",
            "source_run_id": run_id,
            "params": [{"key": "n", "value": "10"}, {"key": "d", "value": "3"}],
            "tags": [{"key": "mlflow.user", "value": "ana"}],
        },
    )["model"]
    info = model["info"]
    model_id = info["model_id"]
    assert re.fullmatch(r"m-[0-9a-f]{32}", model_id)
    assert info["status"] == "LOGGED_MODEL_PENDING" and info["model_type"] == ""
    assert info["artifact_uri"] == f"mlflow-artifacts:/{exp}/models/{model_id}/artifacts"
    assert model["data"]["params"] == [{"key": "d", "value": "3"}, {"key": "n", "value": "10"}]
    post(client, "runs/outputs", {"run_id": run_id, "models": [{"model_id": model_id, "step": 0}]})
    assert get(client, "runs/get", run_id=run_id)["run"]["outputs"] == {
        "model_outputs": [{"model_id": model_id, "step": 0}]
    }
    post(
        client,
        "runs/log-batch",
        {
            "run_id": run_id,
            "metrics": [{"key": "mse", "value": 3.5, "timestamp": 7, "step": 0, "model_id": model_id}],
        },
    )
    got = client.get(f"{API}/logged-models/{model_id}").get_json()["model"]
    assert got["data"]["metrics"] == [
        {"key": "mse", "value": 3.5, "timestamp": 7, "step": 0, "model_id": model_id, "run_id": run_id}
    ]
    r = client.patch(
        f"{API}/logged-models/{model_id}", json={"model_id": model_id, "status": "LOGGED_MODEL_READY"}
    )
    assert r.get_json()["model"]["info"]["status"] == "LOGGED_MODEL_READY"
    found = post(
        client, "logged-models/search", {"experiment_ids": [exp], "filter": f"source_run_id = '{run_id}'"}
    )
    assert [m["info"]["model_id"] for m in found["models"]] == [model_id]
    by_metric = post(client, "logged-models/search", {"experiment_ids": [exp], "filter": "metrics.mse < 3"})
    assert by_metric["models"] == []

    # Registering from the logged model: run_id comes from it, and it records the version.
    post(client, "registered-models/create", {"name": "rf"})
    mv = post(
        client, "model-versions/create", {"name": "rf", "source": f"models:/{model_id}", "model_id": model_id}
    )["model_version"]
    assert (
        mv["run_id"] == run_id and "model_id" not in mv and mv["description"] == "" and mv["run_link"] == ""
    )
    tag = next(
        t
        for t in client.get(f"{API}/logged-models/{model_id}").get_json()["model"]["info"]["tags"]
        if t["key"] == "mlflow.modelVersions"
    )
    assert json.loads(tag["value"]) == [{"name": "rf", "version": 1}]
    r = client.patch(f"{API}/logged-models/{model_id}/tags", json={"tags": [{"key": "k", "value": "v"}]})
    assert (r.status_code, r.get_json()) == (200, {})
    assert client.delete(f"{API}/logged-models/{model_id}/tags/k").status_code == 200
    uri = get(client, "model-versions/get-download-uri", name="rf", version="1")["artifact_uri"]
    assert uri == info["artifact_uri"]
    assert client.get(f"{API}/logged-models/m-{'0' * 32}").status_code == 404


def test_version_sources_must_resolve_inside_the_store(client: FlaskClient) -> None:
    run_id = new_run(client)
    post(client, "registered-models/create", {"name": "m"})
    missing_model = "m-" + "a" * 32
    cases = [
        ({"source": "file:///etc/passwd"}, 400),
        ({"source": "/abs/path"}, 400),
        ({"source": "s3://other-bucket/model"}, 400),
        ({"source": "mlflow-artifacts:/1/../../etc"}, 400),
        ({"source": "mlflow-artifacts:/1/%2e%2e/x"}, 400),
        ({"source": f"models:/{missing_model}"}, 400),  # without model_id
        ({"source": f"models:/{missing_model}", "model_id": missing_model}, 404),
        ({"source": f"runs:/{'b' * 32}/model"}, 404),
    ]
    for body, status in cases:
        r = post(client, "model-versions/create", {"name": "m", **body}, status)
        assert r["error_code"] == (
            "INVALID_PARAMETER_VALUE" if status == 400 else "RESOURCE_DOES_NOT_EXIST"
        ), body
    mv = post(
        client, "model-versions/create", {"name": "m", "source": f"runs:/{run_id}/model", "run_id": run_id}
    )
    assert mv["model_version"]["version"] == "1"  # refused attempts used no number
    assert get(client, "model-versions/get-download-uri", name="m", version="1")["artifact_uri"] == (
        f"runs:/{run_id}/model"
    )
