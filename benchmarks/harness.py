"""What the benchmark scripts share: a throwaway database and a real `podium server` on it.

Scripts run as `python benchmarks/<name>.py`, so this module is imported as `harness`.
"""

from __future__ import annotations

import os
import re
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import requests

ROOT = Path(__file__).resolve().parents[1]
ADMIN_URL = os.environ.get("PODIUM_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def bench_database(postgres: bool, home: Path) -> Iterator[str]:
    """The URL of an empty database for one run: a new PostgreSQL database (dropped afterwards), or
    a SQLite file in `home`."""
    if not postgres:
        yield f"sqlite:///{home / 'podium.db'}"
        return
    name = f"podium_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def podium_server(database_url: str, home: Path) -> Iterator[str]:
    """A real `podium server` (its defaults: gunicorn, 2 workers x 8 threads, auth off on loopback)
    on `database_url`; yields its base URL once /health answers, and stops it afterwards."""
    port = free_port()
    env = {
        **os.environ,
        "PODIUM_DATABASE_URL": database_url,
        "PODIUM_ARTIFACTS_URI": str(home / "artifacts"),
        "PODIUM_PORT": str(port),
        "PODIUM_HOST": "127.0.0.1",
        "PODIUM_LOG_LEVEL": "warning",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "registry.cli", "server"],
        cwd=home,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if server.poll() is not None:
                raise SystemExit(f"podium server exited with status {server.returncode}")
            try:
                if requests.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        else:
            raise SystemExit("podium server did not answer /health within 30 s")
        yield base
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)


def timed_page(http: requests.Session, url: str, samples: int, row_pattern: str) -> dict[str, Any]:
    """Fetch a UI page `samples` times: p50/p95 in ms, its size, and how many rows it showed (the
    matches of `row_pattern`, so a page that silently shows nothing cannot look fast)."""
    durations = []
    response = None
    for _ in range(samples):
        start = time.perf_counter()
        response = http.get(url)
        durations.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code} {response.text[:300]}")
    assert response is not None, "samples must be at least 1"
    ordered = sorted(durations)
    return {
        "rows": len(re.findall(row_pattern, response.text)),
        "bytes": len(response.content),
        "p50_ms": round(statistics.median(durations), 1),
        "p95_ms": round(ordered[round(0.95 * (len(ordered) - 1))], 1),
    }
