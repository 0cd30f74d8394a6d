"""`podium server` as a real process, driven over HTTP."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import requests

from tests.fixtures.databases import PostgresDatabases, require_postgres
from tests.fixtures.servers import PodiumProcess

SRC = "mlflow-artifacts:/1/models/m-" + "2" * 32 + "/artifacts"


def test_native_api_over_http(podium_server: PodiumProcess) -> None:
    base = podium_server.url + "/api/v1"
    with requests.Session() as http:
        r = http.post(f"{base}/models", json={"name": "churn", "description": "d"})
        assert r.status_code == 201, r.text
        for _ in range(3):
            assert http.post(f"{base}/models/churn/versions", json={"source": SRC}).status_code == 201
        assert http.put(f"{base}/models/churn/aliases/champion", json={"version": 2}).status_code == 200
        r = http.get(f"{base}/models/churn/aliases/champion")
        assert r.json()["version"] == 2
        r = http.post(f"{base}/models/churn/versions/3/stage", json={"stage": "Staging"})
        assert r.json()["stage"] == "Staging"
        r = http.get(f"{base}/models/churn")
        assert r.json()["aliases"] == {"champion": 2}
        assert r.headers["X-Request-Id"]
        r = http.post(f"{base}/models", data=b"{broken", headers={"Content-Type": "application/json"})
        assert r.status_code == 400
        assert r.json()["code"] == "BAD_REQUEST"
        assert http.get(podium_server.url + "/health").json() == {"status": "ok", "database": "ok"}


def test_refuses_to_listen_publicly_without_auth(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "registry.cli", "server", "--host", "0.0.0.0", "--port", "0"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert "authentication off" in proc.stderr
    assert not (tmp_path / ".podium").exists()


def test_servers_starting_together_migrate_once(
    tmp_path: Path, postgres_databases: PostgresDatabases
) -> None:
    """Three servers start at the same moment on an empty PostgreSQL database."""
    require_postgres()
    url = postgres_databases.create()
    servers = [
        PodiumProcess(home=tmp_path / f"s{i}", database_url=url, artifacts_uri=str(tmp_path / "a"))
        for i in range(3)
    ]
    try:
        with ThreadPoolExecutor(3) as pool:
            list(pool.map(lambda s: s.start(timeout=90), servers))
        with psycopg.connect(url) as conn:
            heads = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        assert len(heads) >= 1
        logs = [s.log() for s in servers]
        # Exactly one server reports having moved the schema from empty; the others found it done.
        assert sum("(was empty)" in log for log in logs) == 1, logs
        # And all three serve the same database.
        r = requests.post(f"{servers[0].url}/api/v1/models", json={"name": "shared"}, timeout=10)
        assert r.status_code == 201
        for s in servers[1:]:
            assert requests.get(f"{s.url}/api/v1/models/shared", timeout=10).status_code == 200
    finally:
        for s in servers:
            s.stop()
