"""The artifact proxy and the MLflow API over real HTTP against a `podium server` process."""

from __future__ import annotations

import hashlib
import http.client
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from mlflow import MlflowClient
from mlflow.exceptions import RestException

from tests.fixtures.servers import PodiumProcess

PROXY = "/api/2.0/mlflow-artifacts/artifacts"


def _raw(server: PodiumProcess, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
    """A request with the path sent exactly as written (no client-side normalisation)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request(method, path, body=body)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _files(root: Path) -> set[str]:
    return {
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and not p.name.startswith("podium.db")
    }


TRAVERSALS = (
    "../../../outside.txt",
    "0/../../outside.txt",
    "%2e%2e/%2e%2e/outside.txt",
    "%252e%252e/%252e%252e/outside.txt",
    "0/..%2f..%2foutside.txt",
    "..%5c..%5coutside.txt",
)


def test_traversal_over_http_writes_nothing_outside(podium_server: PodiumProcess) -> None:
    """Raw, once- and twice-encoded traversal, sent byte for byte: always a 4xx, nothing written."""
    before = _files(podium_server.home)
    for path in TRAVERSALS:
        for method in ("PUT", "GET", "DELETE"):
            status, body = _raw(
                podium_server, method, f"{PROXY}/{path}", b"evil" if method == "PUT" else None
            )
            assert 400 <= status < 500, (method, path, status, body[:200])
    assert _files(podium_server.home) == before
    assert not (podium_server.home.parent / "outside.txt").exists()


def test_large_upload_streams_and_parallel_downloads(podium_server: PodiumProcess) -> None:
    size = 24 * 1024 * 1024
    digest = hashlib.sha256()

    def chunks() -> Iterator[bytes]:
        block = os.urandom(1024 * 1024)
        for i in range(size // len(block)):
            piece = bytes([i % 251]) + block[1:]
            digest.update(piece)
            yield piece

    url = f"{podium_server.url}{PROXY}/1/abc/artifacts/big.bin"
    # A generator body goes out chunked, without Content-Length: the server cannot buffer by size.
    r = requests.put(url, data=chunks(), timeout=120)
    assert (r.status_code, r.content) == (200, b"")
    stored = podium_server.home / "artifacts" / "1" / "abc" / "artifacts" / "big.bin"
    assert stored.stat().st_size == size
    listing = requests.get(
        f"{podium_server.url}{PROXY}", params={"path": "1/abc/artifacts"}, timeout=30
    ).json()
    assert listing == {"files": [{"path": "big.bin", "is_dir": False, "file_size": size}]}
    assert requests.get(f"{podium_server.url}{PROXY}", params={"path": "1/nothing"}, timeout=30).json() == {}

    def download(_: int) -> str:
        with requests.get(url, stream=True, timeout=120) as response:
            assert response.status_code == 200
            assert response.headers["Content-Disposition"] == "attachment; filename=big.bin"
            h = hashlib.sha256()
            for block in response.iter_content(256 * 1024):
                h.update(block)
            return h.hexdigest()

    with ThreadPoolExecutor(6) as pool:
        assert set(pool.map(download, range(6))) == {digest.hexdigest()}
    missing = requests.get(f"{podium_server.url}{PROXY}/1/no/such/file.txt", timeout=30)
    assert missing.status_code == 404
    assert missing.json()["message"] == "No such artifact: '1/no/such/file.txt'"
    assert requests.delete(url, timeout=30).json() == {}
    assert not stored.exists()


def test_stock_client_with_a_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    database_url = f"sqlite:///{tmp_path / 'podium.db'}"
    created = subprocess.run(
        [sys.executable, "-m", "registry.cli", "tokens", "create", "--name", "ci", "--role", "contributor"],
        env={**os.environ, "PODIUM_DATABASE_URL": database_url},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    secret = created.stdout.strip().splitlines()[-1]
    server = PodiumProcess(
        home=tmp_path,
        database_url=database_url,
        artifacts_uri=str(tmp_path / "artifacts"),
        env={"PODIUM_AUTH": "on"},
    ).start()
    try:
        client = MlflowClient(tracking_uri=server.url, registry_uri=server.url)
        with pytest.raises(RestException) as refused:
            client.create_registered_model("guarded")
        assert refused.value.error_code == "UNAUTHENTICATED"
        monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", secret)
        client.create_registered_model("guarded")
        run = client.create_run("0")
        client.log_metric(run.info.run_id, "m", 1.0)
        assert client.get_run(run.info.run_id).data.metrics == {"m": 1.0}
    finally:
        server.stop()
