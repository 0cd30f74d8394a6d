"""`podium fetch` and `registry.client.fetch_model` against real `podium server` processes, with the
artifact store on a local folder and on S3 (moto's server over HTTP).

Versions are registered through the native API with files the stock mlflow client saved, placed
where the client's artifact uploads put them (the MLflow-compatible API lands separately).
"""

from __future__ import annotations

import hashlib
import http.server
import io
import socket
import threading
from pathlib import Path

import pytest
import requests

from registry import client as podium_client
from registry.deploy import fetch as fetch_module
from registry.domain.errors import DigestMismatch
from registry.storage.local import LocalArtifactStore
from tests.fixtures.deploy import DeployRegistry, SavedModel, register_http, run_podium, upload_model
from tests.fixtures.servers import PodiumProcess


def tree(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in directory.rglob("*") if p.is_file()}


def leftovers(parent: Path) -> list[str]:
    return [p.name for p in parent.iterdir() if ".podium-" in p.name]


def test_fetch_resolves_once_pins_and_verifies(
    deploy_registry: DeployRegistry, mlflow_models: dict[str, SavedModel]
) -> None:
    regressor, classifier = mlflow_models["regressor"], mlflow_models["classifier"]
    assert (
        register_http(deploy_registry.url, "churn", upload_model(deploy_registry.store, regressor.path)) == 1
    )
    assert (
        register_http(
            deploy_registry.url,
            "churn",
            upload_model(deploy_registry.store, classifier.path),
            alias="champion",
        )
        == 2
    )
    r = requests.post(
        f"{deploy_registry.url}/api/v1/models/churn/versions/1/stage",
        json={"stage": "Production"},
        timeout=30,
    )
    assert r.status_code == 200

    out = deploy_registry.home / "deploy" / "champion"
    done = run_podium(
        ["fetch", "models:/churn@champion", "-o", str(out), "--registry-url", deploy_registry.url],
        deploy_registry.home,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "models:/churn/2\n"
    assert "models:/churn@champion is version 2 of 'churn'" in done.stderr
    assert tree(out) == tree(classifier.path)

    production = deploy_registry.home / "deploy" / "production"
    done = run_podium(
        ["fetch", "models:/churn/production", "-o", str(production)],
        deploy_registry.home,
        env={"PODIUM_URL": deploy_registry.url},
    )
    assert (done.returncode, done.stdout) == (0, "models:/churn/1\n"), done.stderr
    assert tree(production) == tree(regressor.path)

    # The Python API the CLI uses.
    fetched = podium_client.fetch_model(
        "models:/churn/latest", deploy_registry.home / "latest", registry_url=deploy_registry.url
    )
    assert (fetched.name, fetched.version) == ("churn", 2)
    assert tree(fetched.path) == tree(classifier.path)
    assert leftovers(deploy_registry.home / "deploy") == []


def test_a_tampered_file_fails_the_fetch_and_leaves_nothing(
    deploy_registry: DeployRegistry, mlflow_models: dict[str, SavedModel]
) -> None:
    model = mlflow_models["regressor"]
    source = upload_model(deploy_registry.store, model.path)
    register_http(deploy_registry.url, "churn", source, alias="champion")
    original = (model.path / "model.skops").read_bytes()
    key = f"{source.removeprefix('mlflow-artifacts:/')}/model.skops"
    with open(model.path / "model.skops", "rb") as stream:
        bad = bytearray(stream.read())
    bad[len(bad) // 2] ^= 0xFF  # one flipped byte, same size
    deploy_registry.store.put(key, io.BytesIO(bytes(bad)))

    out = deploy_registry.home / "out"
    done = run_podium(
        ["fetch", "models:/churn@champion", "-o", str(out), "--registry-url", deploy_registry.url],
        deploy_registry.home,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert "'model.skops' does not match the manifest recorded at registration" in done.stderr
    assert hashlib.sha256(original).hexdigest() in done.stderr
    assert hashlib.sha256(bytes(bad)).hexdigest() in done.stderr
    assert not out.exists()
    assert leftovers(deploy_registry.home) == []

    # A file removed from the store: named, and again nothing left behind.
    deploy_registry.store.put(key, io.BytesIO(original))
    deploy_registry.store.delete(f"{source.removeprefix('mlflow-artifacts:/')}/MLmodel")
    done = run_podium(
        ["fetch", "models:/churn/1", "-o", str(out), "--registry-url", deploy_registry.url],
        deploy_registry.home,
    )
    assert done.returncode == 1
    assert "'MLmodel' of model version churn 1 is missing from the artifact store" in done.stderr
    assert not out.exists()
    assert leftovers(deploy_registry.home) == []


def test_overwrite_replaces_a_copy_only_with_a_verified_one(
    podium_server: PodiumProcess, tmp_path: Path, mlflow_models: dict[str, SavedModel]
) -> None:
    store = LocalArtifactStore(podium_server.artifacts_uri)
    model = mlflow_models["classifier"]
    source = upload_model(store, model.path)
    register_http(podium_server.url, "m", source)
    out = tmp_path / "current"
    out.mkdir()
    (out / "previous.txt").write_text("the copy in use")
    args = ["fetch", "models:/m/1", "-o", str(out), "--registry-url", podium_server.url]

    done = run_podium(args, tmp_path)
    assert done.returncode == 1
    assert "already exists and is not empty" in done.stderr

    root = source.removeprefix("mlflow-artifacts:/")
    (Path(podium_server.artifacts_uri) / root / "model.pkl").write_bytes(b"not the registered bytes")
    done = run_podium([*args, "--overwrite"], tmp_path)
    assert done.returncode == 1
    assert tree(out) == {"previous.txt": b"the copy in use"}

    with open(model.path / "model.pkl", "rb") as stream:
        store.put(f"{root}/model.pkl", stream)
    done = run_podium([*args, "--overwrite"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert tree(out) == tree(model.path)
    assert leftovers(tmp_path) == []


def test_fetch_with_a_token_when_auth_is_on(tmp_path: Path, mlflow_models: dict[str, SavedModel]) -> None:
    database = f"sqlite:///{tmp_path / 'podium.db'}"
    server = PodiumProcess(
        tmp_path / "server", database, str(tmp_path / "artifacts"), env={"PODIUM_AUTH": "on"}
    )
    server.start()
    try:
        tokens = {}
        for name, role in (("ci", "contributor"), ("deploy", "reader")):
            made = run_podium(
                ["tokens", "create", "--name", name, "--role", role, "--database-url", database], tmp_path
            )
            assert made.returncode == 0, made.stderr
            tokens[name] = made.stdout.strip()
        source = upload_model(LocalArtifactStore(tmp_path / "artifacts"), mlflow_models["regressor"].path)
        writer = {"Authorization": f"Bearer {tokens['ci']}"}
        assert requests.post(f"{server.url}/api/v1/models", json={"name": "m"}, headers=writer, timeout=30).ok
        r = requests.post(
            f"{server.url}/api/v1/models/m/versions", json={"source": source}, headers=writer, timeout=30
        )
        assert r.status_code == 201

        args = ["fetch", "models:/m/1", "-o", str(tmp_path / "out"), "--registry-url", server.url]
        done = run_podium(args, tmp_path)
        assert done.returncode == 1
        assert "Authentication required" in done.stderr
        done = run_podium(args, tmp_path, env={"PODIUM_TOKEN": tokens["deploy"]})
        assert done.returncode == 0, done.stderr
        assert tree(tmp_path / "out") == tree(mlflow_models["regressor"].path)
    finally:
        server.stop()


class DroppingProxy:
    """An HTTP proxy in front of the registry that cuts the connection during the first download of
    every file: the headers promise the whole file, `cut_fraction` of the body arrives, then FIN."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        #: How much of the body gets through before the cut.
        self.cut_fraction = 0.5
        self.ranges: list[tuple[str, str | None]] = []
        self.dropped: set[str] = set()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                forwarded = {k: v for k, v in self.headers.items() if k.lower() in ("range", "authorization")}
                answer = requests.get(proxy.upstream + self.path, headers=forwarded, timeout=30)
                body = answer.content
                is_file = "/files/" in self.path
                if is_file:
                    proxy.ranges.append((self.path.rsplit("/", 1)[-1], self.headers.get("Range")))
                cut = is_file and self.path not in proxy.dropped and len(body) > 1
                self.send_response(answer.status_code)
                for name in ("Content-Type", "Content-Range", "Accept-Ranges"):
                    if name in answer.headers:
                        self.send_header(name, answer.headers[name])
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if cut:
                    proxy.dropped.add(self.path)
                    self.wfile.write(body[: int(len(body) * proxy.cut_fraction)])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> DroppingProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_downloads_resume_after_a_dropped_connection(
    podium_server: PodiumProcess,
    tmp_path: Path,
    mlflow_models: dict[str, SavedModel],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fetch_module, "BACKOFF_SECONDS", 0.0)
    model = mlflow_models["regressor"]
    register_http(
        podium_server.url, "m", upload_model(LocalArtifactStore(podium_server.artifacts_uri), model.path)
    )
    with DroppingProxy(podium_server.url) as proxy:
        fetched = podium_client.fetch_model("models:/m/1", tmp_path / "out", registry_url=proxy.url)
    assert tree(fetched.path) == tree(model.path)
    size = (model.path / "model.skops").stat().st_size
    # First request from the start, cut at half; the second resumes from exactly where it stopped.
    assert [r for name, r in proxy.ranges if name == "model.skops"] == [None, f"bytes={size // 2}-"]
    assert len(proxy.dropped) == len(tree(model.path))


def test_a_registry_that_keeps_dropping_fails_cleanly(
    podium_server: PodiumProcess,
    tmp_path: Path,
    mlflow_models: dict[str, SavedModel],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fetch_module, "BACKOFF_SECONDS", 0.0)
    register_http(
        podium_server.url,
        "m",
        upload_model(LocalArtifactStore(podium_server.artifacts_uri), mlflow_models["regressor"].path),
    )
    with DroppingProxy(podium_server.url) as proxy:
        # Every response cut before its first byte: no attempt makes progress.
        proxy.dropped = _NeverSeen()
        proxy.cut_fraction = 0.0
        with pytest.raises(Exception, match="failed 6 times") as caught:
            podium_client.fetch_model("models:/m/1", tmp_path / "out", registry_url=proxy.url)
    assert not isinstance(caught.value, DigestMismatch)
    assert not (tmp_path / "out").exists()
    assert leftovers(tmp_path) == []


class _NeverSeen(set[str]):
    """A `dropped` set that forgets, so the proxy cuts every response."""

    def __contains__(self, item: object) -> bool:
        return False
