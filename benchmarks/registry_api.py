"""Registry API latency over HTTP with keep-alive, on PostgreSQL, with a 100,000-version model.

Starts a real `podium server` (gunicorn, the default 2 workers) on a throwaway PostgreSQL database,
seeds one model with 100,000 versions (bulk insert, plus aliases and tags so the tables are not
trivially small), then measures over one keep-alive connection:

  * create-version on an empty model (versions 1..N) and on the 100,000-version model
    (versions 100,001..), to show creation does not slow down as a model grows;
  * get-by-alias (`GET /api/v1/models/{name}/aliases/champion`);
  * one search page (`GET /api/v1/models/{name}/versions?max_results=100`, newest first) and a
    filtered search (`version_number >= ... AND tags.team = ...`).

The client is the standard library's `http.client` on one keep-alive connection: `requests` adds
about 1 ms of its own Python per call on this machine, which would be measured as server latency.

Run: .venv/bin/python benchmarks/registry_api.py [--versions 100000] [--samples 500]
Needs PostgreSQL on 127.0.0.1:5432 (PODIUM_BENCH_POSTGRES_URL to override).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

import psycopg
import requests

ROOT = Path(__file__).resolve().parents[1]
ADMIN_URL = os.environ.get("PODIUM_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SRC = "mlflow-artifacts:/1/models/m-{:032x}/artifacts"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


class Client:
    """One keep-alive HTTP/1.1 connection; reconnects if the server closed it while idle."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, method: str, path: str, body: object = None) -> tuple[int, bytes]:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data is not None else {}
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=data, headers=headers)
                response = self.conn.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def get(self, path: str, params: dict[str, object] | None = None) -> tuple[int, bytes]:
        return self.call("GET", f"{path}?{urlencode(params)}" if params else path)

    def post(self, path: str, body: object) -> tuple[int, bytes]:
        return self.call("POST", path, body)


def timed(samples: int, call: Callable[[int], tuple[int, bytes]], expect: int) -> dict[str, float]:
    durations = []
    for i in range(samples):
        start = time.perf_counter()
        status, body = call(i)
        durations.append((time.perf_counter() - start) * 1000)
        if status != expect:
            raise SystemExit(f"unexpected {status}: {body[:300]!r}")
    return {
        "samples": samples,
        "p50_ms": round(statistics.median(durations), 3),
        "p95_ms": round(percentile(durations, 95), 3),
        "p99_ms": round(percentile(durations, 99), 3),
        "mean_ms": round(statistics.fmean(durations), 3),
    }


def seed(db_url: str, name: str, versions: int) -> None:
    """Bulk-insert `versions` versions of model `name` (created through the API beforehand)."""
    now = int(time.time() * 1000)
    with psycopg.connect(db_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT id FROM registered_models WHERE name = %s", (name,))
        (model_id,) = cur.fetchone()  # type: ignore[misc]
        with cur.copy(
            "COPY model_versions (registered_model_id, version, creation_time, last_updated_time,"
            " stage, description, source, run_id, status, created_by) FROM STDIN"
        ) as copy:
            for v in range(1, versions + 1):
                stage = "Archived" if v < versions - 10 else "None"
                copy.write_row(
                    (model_id, v, now, now, stage, "", SRC.format(v), f"{v:032x}", "READY", "bench")
                )
        cur.execute(
            "INSERT INTO model_version_tags (model_version_id, key, value)"
            " SELECT id, 'team', CASE WHEN version %% 2 = 0 THEN 'risk' ELSE 'growth' END"
            " FROM model_versions WHERE registered_model_id = %s",
            (model_id,),
        )
        cur.execute("UPDATE registered_models SET next_version = %s WHERE id = %s", (versions + 1, model_id))
        cur.execute(
            "INSERT INTO aliases (registered_model_id, alias, model_version_id)"
            " SELECT %s, 'champion', id FROM model_versions"
            " WHERE registered_model_id = %s AND version = %s",
            (model_id, model_id, versions // 2),
        )
        conn.commit()
        # Do now what the database would do in the background after a 100,000-row load (vacuum,
        # statistics, writing the dirty pages out), so it does not compete with the timed calls.
        conn.autocommit = True
        cur.execute("VACUUM ANALYZE")
        cur.execute("CHECKPOINT")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--versions", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "registry_api.json")
    args = parser.parse_args()

    db_name = f"podium_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{db_name}"')
    db_url = ADMIN_URL.rsplit("/", 1)[0] + "/" + db_name
    home = Path(tempfile.mkdtemp(prefix="podium-bench-"))
    port = free_port()
    env = {
        **os.environ,
        "PODIUM_DATABASE_URL": db_url,
        "PODIUM_ARTIFACTS_URI": str(home / "artifacts"),
        "PODIUM_PORT": str(port),
        "PODIUM_WORKERS": str(args.workers),
        "PODIUM_LOG_LEVEL": "warning",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "registry.cli", "server"], cwd=home, env=env, start_new_session=True
    )
    base = "/api/v1"
    try:
        for _ in range(600):
            try:
                if requests.get(f"http://127.0.0.1:{port}/health", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        http = Client(port)
        for model in ("empty", "big"):
            status, body = http.post(f"{base}/models", {"name": model})
            if status != 201:
                raise SystemExit(f"creating model {model}: {status} {body[:300]!r}")
        started = time.perf_counter()
        seed(db_url, "big", args.versions)
        seeded_s = time.perf_counter() - started

        # Warm up connections and caches in both workers.
        for _ in range(50):
            http.get(f"{base}/models/big/aliases/champion")
        n = args.samples
        results = {
            "create_version_first": timed(
                n,
                lambda i: http.post(f"{base}/models/empty/versions", {"source": SRC.format(i)}),
                201,
            ),
            "create_version_after_100k": timed(
                n,
                lambda i: http.post(f"{base}/models/big/versions", {"source": SRC.format(i)}),
                201,
            ),
            "get_by_alias": timed(n * 4, lambda i: http.get(f"{base}/models/big/aliases/champion"), 200),
            "search_page_100": timed(
                n, lambda i: http.get(f"{base}/models/big/versions", params={"max_results": 100}), 200
            ),
            "search_filtered_page_100": timed(
                n,
                lambda i: http.get(
                    f"{base}/versions",
                    params={
                        "filter": "name = 'big' AND version_number >= 50000 AND tags.team = 'risk'",
                        "max_results": 100,
                    },
                ),
                200,
            ),
        }
        first = results["create_version_first"]["p50_ms"]
        late = results["create_version_after_100k"]["p50_ms"]
        report = {
            "versions_seeded": args.versions,
            "seed_seconds": round(seeded_s, 1),
            "workers": args.workers,
            "results": results,
            "create_slowdown_p50": round(late / first, 2),
        }
        print(json.dumps(report, indent=2))
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    finally:
        import signal

        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
