"""The founding workflow end to end with the stock mlflow client against a real `podium server`.

A training process sweeps a small RandomForest grid (params, metrics, a scikit-learn model and a plot
per run), finds the best run with `search_runs` ordered by a metric, registers it and sets
@champion; a second process, the deploy job, loads `models:/<name>@champion` and predicts. Run on
SQLite with a local artifact folder and on PostgreSQL with S3 (moto's server), with the server
started through MLflow's own flag names.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from sklearn.datasets import load_diabetes
from sklearn.ensemble import RandomForestRegressor
from sklearn.model_selection import train_test_split

from tests.fixtures.databases import PostgresDatabases, require_postgres
from tests.fixtures.s3 import MOTO_ENV
from tests.fixtures.servers import PodiumProcess, free_port

WORKFLOW = Path(__file__).with_name("mlflow_workflow.py")


def _client_env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "AWS_"))}
    env["MLFLOW_TRACKING_URI"] = url
    return env


def _run(args: list[str], url: str, cwd: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, str(WORKFLOW), *args],
        env=_client_env(url),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, f"{args[0]} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, proc.stdout
    return json.loads(lines[-1][len("RESULT ") :])  # type: ignore[no-any-return]


def _expected_predictions(params: dict[str, str]) -> list[float]:
    """What the champion must predict: the same model trained the same way, here."""
    data = load_diabetes()
    x_train, _, y_train, _ = train_test_split(data.data, data.target, test_size=0.2, random_state=42)
    depth = None if params["max_depth"] == "None" else int(params["max_depth"])
    model = RandomForestRegressor(n_estimators=int(params["n_estimators"]), max_depth=depth, random_state=42)
    model.fit(x_train, y_train)
    return [float(p) for p in model.predict(data.data[:3])]


def _workflow(server: PodiumProcess, workdir: Path) -> dict[str, Any]:
    trained = _run(["train", "RandomForest test", "RandomForestRegressor", str(workdir)], server.url, workdir)
    scores: dict[str, float] = trained["scores"]
    assert trained["run_count"] == 4
    best = max(scores, key=lambda run_id: scores[run_id])
    assert trained["best_run_id"] == best
    assert trained["best_r2"] == scores[best]
    assert trained["version"] == "1"
    assert trained["champion_version"] == "1"
    assert trained["champion_run_id"] == best
    assert trained["champion_source"].startswith("models:/m-")
    # The model lives with its logged model; the run's own folder holds just the plot.
    assert trained["run_artifacts"] == ["scatter_plot.png"]

    deployed = _run(["deploy", "RandomForestRegressor"], server.url, workdir)
    expected = _expected_predictions(trained["best_params"])
    assert deployed["predictions"] == pytest.approx(expected)
    log = server.log()
    assert "Traceback" not in log and "unhandled error" not in log, log
    return trained


def test_sweep_register_and_deploy_on_sqlite_and_local_artifacts(tmp_path: Path) -> None:
    artifacts = tmp_path / "artifacts"
    port = free_port()
    server = PodiumProcess(
        home=tmp_path,
        database_url="sqlite:///unused.db",
        artifacts_uri="unused",
        port=port,
        # MLflow's flag names, as a user switching from `mlflow server` would type them.
        args=[
            "--backend-store-uri", f"sqlite:///{tmp_path / 'podium.db'}",
            "--default-artifact-root", str(artifacts),
            "--host", "127.0.0.1",
            "--port", str(port),
            "--workers", "2",
        ],
    ).start()  # fmt: skip
    try:
        _workflow(server, tmp_path)
    finally:
        server.stop()
    assert not (tmp_path / "unused.db").exists() and not (tmp_path / "unused").exists()
    models = list((artifacts / "1" / "models").iterdir())
    assert len(models) == 4
    assert all((m / "artifacts" / "MLmodel").is_file() for m in models)


@pytest.mark.postgres
def test_sweep_register_and_deploy_on_postgres_and_s3(
    tmp_path: Path, postgres_databases: PostgresDatabases, moto_s3_endpoint: str, moto_s3_client: Any
) -> None:
    require_postgres()
    bucket = f"podium-e2e-{uuid.uuid4().hex[:12]}"
    moto_s3_client.create_bucket(Bucket=bucket)
    port = free_port()
    server = PodiumProcess(
        home=tmp_path,
        database_url="sqlite:///unused.db",
        artifacts_uri="unused",
        port=port,
        env={**MOTO_ENV, "MLFLOW_S3_ENDPOINT_URL": moto_s3_endpoint},
        args=[
            "--backend-store-uri", postgres_databases.create(),
            "--artifacts-destination", f"s3://{bucket}/podium",
            "--port", str(port),
        ],
    ).start()  # fmt: skip
    try:
        _workflow(server, tmp_path)
    finally:
        server.stop()
    keys = [
        obj["Key"]
        for page in moto_s3_client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for obj in page.get("Contents", [])
    ]
    assert sum(k.endswith("/artifacts/MLmodel") for k in keys) == 4
    assert sum(k.endswith("/artifacts/scatter_plot.png") for k in keys) == 4
    assert all(k.startswith("podium/1/") for k in keys), keys
