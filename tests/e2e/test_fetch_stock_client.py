"""Fetch of versions the stock mlflow client registered, against a real `podium server` with the
artifact store on a local folder and on S3 (moto)."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np
import pytest
import requests

from registry import client as podium_client
from registry.domain.manifests import DIGEST_TAG, FileDigest, manifest_sha256
from tests.fixtures.deploy import TREE_TYPES, DeployRegistry, run_podium, sample_frame


def tree(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in directory.rglob("*") if p.is_file()}


def log_and_register(registry_url: str, name: str) -> None:
    """The founding workflow with the stock client: log a forest, register it, set @champion."""
    import mlflow
    import mlflow.sklearn
    from sklearn.ensemble import RandomForestRegressor

    mlflow.set_tracking_uri(registry_url)
    mlflow.set_experiment(f"{name}-experiment")
    train = sample_frame(200, seed=1)
    model = RandomForestRegressor(n_estimators=5, max_depth=3, random_state=0).fit(
        train, train.a * 2 + train.b
    )
    with mlflow.start_run():
        info = mlflow.sklearn.log_model(
            model,
            name="random_forest_model",
            input_example=train.head(2),
            skops_trusted_types=TREE_TYPES,
            registered_model_name=name,
        )
    mlflow.MlflowClient().set_registered_model_alias(name, "champion", info.registered_model_version)


def test_fetch_verifies_a_version_the_stock_client_registered(
    deploy_registry: DeployRegistry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlflow
    import mlflow.pyfunc

    monkeypatch.setenv("MLFLOW_TRACKING_URI", deploy_registry.url)
    log_and_register(deploy_registry.url, "churn")

    # The manifest the server recorded, and the tag MLflow clients see.
    manifest = requests.get(f"{deploy_registry.url}/api/v1/models/churn/versions/1/files", timeout=30).json()
    version = mlflow.MlflowClient().get_model_version("churn", "1")
    assert version.tags[DIGEST_TAG] == manifest["sha256"]

    # What the stock client downloads is what the manifest describes.
    mlflow_copy = Path(
        mlflow.artifacts.download_artifacts("models:/churn/1", dst_path=str(tmp_path / "mlflow"))
    )
    downloaded = {p: d for p, d in tree(mlflow_copy).items() if p != "registered_model_meta"}
    assert {f["path"]: f["sha256"] for f in manifest["files"]} == {
        p: hashlib.sha256(d).hexdigest() for p, d in downloaded.items()
    }

    out = tmp_path / "deploy"
    done = run_podium(
        ["fetch", "models:/churn@champion", "-o", str(out), "--registry-url", deploy_registry.url], tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "models:/churn/1\n"
    assert tree(out) == downloaded
    recomputed = {p: FileDigest(hashlib.sha256(d).hexdigest(), len(d)) for p, d in tree(out).items()}
    assert manifest_sha256(recomputed) == version.tags[DIGEST_TAG]

    # Loaded without mlflow, it predicts what mlflow's own loader predicts.
    frame = sample_frame(10, seed=4)
    ours = podium_client.load_model(
        "models:/churn@champion", registry_url=deploy_registry.url, cache_dir=tmp_path / "c"
    )
    np.testing.assert_array_equal(
        np.asarray(ours.predict(frame)), mlflow.pyfunc.load_model("models:/churn@champion").predict(frame)
    )


def test_a_tampered_stock_client_model_fails_the_fetch(
    deploy_registry: DeployRegistry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlflow

    monkeypatch.setenv("MLFLOW_TRACKING_URI", deploy_registry.url)
    log_and_register(deploy_registry.url, "churn")
    uri = mlflow.MlflowClient().get_model_version_download_uri("churn", "1")  # mlflow-artifacts:/<root>
    root = uri.removeprefix("mlflow-artifacts:/")
    with deploy_registry.store.open(f"{root}/model.skops") as stream:
        data = bytearray(stream.read())
    data[len(data) // 2] ^= 0xFF
    deploy_registry.store.put(f"{root}/model.skops", io.BytesIO(bytes(data)))

    out = tmp_path / "deploy"
    done = run_podium(
        ["fetch", "models:/churn@champion", "-o", str(out), "--registry-url", deploy_registry.url], tmp_path
    )
    assert done.returncode == 1
    assert "'model.skops' does not match the manifest recorded at registration" in done.stderr
    assert hashlib.sha256(bytes(data)).hexdigest() in done.stderr
    assert not out.exists()
