"""The server side of fetching: manifests recorded at registration, and resumable downloads.

Real MLflow model files (saved by the stock mlflow client) in a real store, the native API over
Flask's test client, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from registry.db.tables import ModelVersionRow
from registry.domain.identity import Role
from registry.domain.manifests import DIGEST_TAG, FileDigest, manifest_sha256
from registry.runtime import Runtime
from tests.fixtures.apps import TokenMaker
from tests.fixtures.deploy import SavedModel, upload_model


def local_manifest(model_dir: Path) -> dict[str, FileDigest]:
    return {
        p.relative_to(model_dir).as_posix(): FileDigest(
            hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_size
        )
        for p in sorted(model_dir.rglob("*"))
        if p.is_file()
    }


def register(client: FlaskClient, source: str, name: str = "fraud", **extra: Any) -> dict[str, Any]:
    if client.get(f"/api/v1/models/{name}").status_code == 404:
        assert client.post("/api/v1/models", json={"name": name}).status_code == 201
    r = client.post(f"/api/v1/models/{name}/versions", json={"source": source, **extra})
    assert r.status_code == 201, r.json
    assert r.json is not None
    return r.json


def test_registration_records_every_files_sha256(
    client: FlaskClient, runtime: Runtime, mlflow_models: dict[str, SavedModel]
) -> None:
    model_dir = mlflow_models["regressor"].path
    source = upload_model(runtime.store, model_dir)
    expected = local_manifest(model_dir)
    assert "model.skops" in expected and "MLmodel" in expected

    version = register(client, source)
    assert version["tags"] == {DIGEST_TAG: manifest_sha256(expected)}
    assert version["digest"]["files"] == {
        p: {"sha256": d.sha256, "size": d.size} for p, d in expected.items()
    }
    assert version["digest"]["root"] == source.removeprefix("mlflow-artifacts:/")

    r = client.get("/api/v1/models/fraud/versions/1/files")
    assert r.status_code == 200
    assert r.json == {
        "name": "fraud",
        "version": 1,
        "sha256": manifest_sha256(expected),
        "files": [{"path": p, "sha256": d.sha256, "size": d.size} for p, d in expected.items()],
    }
    with runtime.database.engine.connect() as conn:
        stored = conn.scalar(select(ModelVersionRow.digest))
    assert stored is not None
    assert stored["sha256"] == manifest_sha256(expected)


def test_digest_tag_cannot_be_forged_and_empty_sources_get_no_manifest(
    client: FlaskClient, runtime: Runtime, mlflow_models: dict[str, SavedModel]
) -> None:
    source = upload_model(runtime.store, mlflow_models["classifier"].path)
    forged = register(client, source, tags={DIGEST_TAG: "f" * 64, "team": "risk"})
    assert forged["tags"] == {DIGEST_TAG: forged["digest"]["sha256"], "team": "risk"}
    assert forged["digest"]["sha256"] != "f" * 64

    nothing_there = register(
        client, "mlflow-artifacts:/1/models/m-" + "0" * 32 + "/artifacts", tags={DIGEST_TAG: "f" * 64}
    )
    assert nothing_there["digest"] is None
    assert DIGEST_TAG not in nothing_there["tags"]
    r = client.get(f"/api/v1/models/fraud/versions/{nothing_there['version']}/files")
    assert r.status_code == 409
    assert r.json is not None
    assert "has no recorded manifest" in r.json["message"]
    r = client.get(f"/api/v1/models/fraud/versions/{nothing_there['version']}/files/MLmodel")
    assert r.status_code == 409


def test_files_download_whole_or_from_an_offset(
    client: FlaskClient, runtime: Runtime, mlflow_models: dict[str, SavedModel]
) -> None:
    model_dir = mlflow_models["regressor"].path
    register(client, upload_model(runtime.store, model_dir))
    data = (model_dir / "model.skops").read_bytes()
    url = "/api/v1/models/fraud/versions/1/files/model.skops"

    r = client.get(url)
    assert r.status_code == 200
    assert r.data == data
    assert r.headers["Accept-Ranges"] == "bytes"
    assert r.headers["Content-Length"] == str(len(data))
    assert r.headers["X-Podium-Sha256"] == hashlib.sha256(data).hexdigest()

    r = client.get(url, headers={"Range": "bytes=1000-"})
    assert (r.status_code, r.data) == (206, data[1000:])
    assert r.headers["Content-Range"] == f"bytes 1000-{len(data) - 1}/{len(data)}"

    r = client.get(url, headers={"Range": "bytes=10-19"})
    assert (r.status_code, r.data) == (206, data[10:20])

    r = client.get(url, headers={"Range": f"bytes={len(data)}-"})
    assert r.status_code == 416
    assert r.headers["Content-Range"] == f"bytes */{len(data)}"

    # Several ranges, suffix ranges and nonsense are ignored: the whole file (RFC 9110 allows it).
    for header in ("bytes=0-1,5-6", "bytes=-10", "items=0-5", "bytes=abc"):
        r = client.get(url, headers={"Range": header})
        assert (r.status_code, r.data) == (200, data), header

    r = client.head(url)
    assert (r.status_code, r.data, r.headers["Content-Length"]) == (200, b"", str(len(data)))


def test_only_the_manifests_files_can_be_downloaded(
    client: FlaskClient, runtime: Runtime, mlflow_models: dict[str, SavedModel]
) -> None:
    source = upload_model(runtime.store, mlflow_models["regressor"].path)
    register(client, source)
    root = source.removeprefix("mlflow-artifacts:/")
    # Written after registration: not part of the version, so not served as part of it.
    with open(mlflow_models["regressor"].path / "MLmodel", "rb") as stream:
        runtime.store.put(f"{root}/added-later.txt", stream)
    base = "/api/v1/models/fraud/versions/1/files"
    for path, message in [
        ("added-later.txt", "has no file 'added-later.txt'"),
        ("../../../etc/passwd", "has no file"),
        ("code/../MLmodel", "has no file"),
    ]:
        r = client.get(f"{base}/{path}")
        assert r.status_code == 404, path
        assert r.json is not None
        assert message in r.json["message"]

    runtime.store.delete(f"{root}/conda.yaml")
    r = client.get(f"{base}/conda.yaml")
    assert r.status_code == 404
    assert r.json is not None
    assert "'conda.yaml' of model version fraud 1 is missing from the artifact store" in r.json["message"]
    assert client.get("/api/v1/models/fraud/versions/7/files").status_code == 404
    assert client.get("/api/v1/models/nope/versions/1/files/MLmodel").status_code == 404


def test_readers_may_download_and_anonymous_callers_may_not(
    secured_app: Flask, runtime: Runtime, make_token: TokenMaker, mlflow_models: dict[str, SavedModel]
) -> None:
    client = secured_app.test_client()
    writer = {"Authorization": f"Bearer {make_token('ci', Role.CONTRIBUTOR)}"}
    reader = {"Authorization": f"Bearer {make_token('deploy', Role.READER)}"}
    source = upload_model(runtime.store, mlflow_models["classifier"].path)
    assert client.post("/api/v1/models", json={"name": "m"}, headers=writer).status_code == 201
    assert (
        client.post("/api/v1/models/m/versions", json={"source": source}, headers=reader).status_code == 403
    )
    assert (
        client.post("/api/v1/models/m/versions", json={"source": source}, headers=writer).status_code == 201
    )
    assert client.get("/api/v1/models/m/versions/1/files").status_code == 401
    assert client.get("/api/v1/models/m/versions/1/files/MLmodel").status_code == 401
    assert client.get("/api/v1/models/m/versions/1/files", headers=reader).status_code == 200
    r = client.get("/api/v1/models/m/versions/1/files/MLmodel", headers=reader)
    assert r.status_code == 200
    assert r.data == (mlflow_models["classifier"].path / "MLmodel").read_bytes()
