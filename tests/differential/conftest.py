"""Two real servers for the differential suite, shared by the session (MLflow takes 10-30 s to
start): `mlflow server` from the installed package and `podium server`, both on SQLite with local
artifacts, on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.fixtures.servers import PodiumProcess, free_port


class MlflowProcess:
    """`python -m mlflow server` as a child process (the reference implementation)."""

    def __init__(self, home: Path, workers: int = 1) -> None:
        self.home = home
        self.port = free_port()
        self.workers = workers
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120.0) -> MlflowProcess:
        self.home.mkdir(parents=True, exist_ok=True)
        log = open(self.home / "mlflow.log", "ab")  # noqa: SIM115  (closed with the process)
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "mlflow", "server",
                "--backend-store-uri", f"sqlite:///{self.home / 'mlflow.db'}",
                "--artifacts-destination", str(self.home / "artifacts"),
                "--host", "127.0.0.1", "--port", str(self.port),
                "--workers", str(self.workers),
            ],
            cwd=self.home,
            env={**os.environ, "MLFLOW_TRACKING_URI": ""},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mlflow server exited:\n{self.log()}")
            try:
                if requests.get(f"{self.url}/health", timeout=5).status_code == 200:
                    return self
            except requests.RequestException:
                pass  # not listening yet, or still importing its app
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"mlflow server did not start in {timeout}s:\n{self.log()}")

    def log(self) -> str:
        try:
            return (self.home / "mlflow.log").read_text(errors="replace")[-6000:]
        except FileNotFoundError:
            return ""

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        import signal

        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


@pytest.fixture(scope="session")
def mlflow_reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowProcess]:
    server = MlflowProcess(tmp_path_factory.mktemp("mlflow-reference")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def podium_reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PodiumProcess]:
    home = tmp_path_factory.mktemp("podium-differential")
    server = PodiumProcess(
        home=home, database_url=f"sqlite:///{home / 'podium.db'}", artifacts_uri=str(home / "artifacts")
    ).start()
    yield server
    server.stop()
