"""Webhook delivery throughput and latency, with real processes on one host.

    .venv/bin/python benchmarks/webhooks.py [--events 2000] [--latency-samples 50] [--skip-postgres]

What it measures (each dispatcher is a `podium worker` process; the receiver is an HTTP server in a
process of its own that answers 200 at once; events are committed by this process through the
registry's services, one transaction each):

- throughput: N events are committed with no dispatcher running, then the dispatchers start; the
  figure is the deliveries per second from the receiver's first request to its N-th, for one
  dispatcher on SQLite, one on PostgreSQL, and two on PostgreSQL (the time including the workers'
  start-up is reported too);
- latency: with a dispatcher idle, one change is committed at a time, and the time from its commit
  returning to the receiver's arrival of its delivery is recorded (p50 and p95).

Results are printed and written to benchmarks/results/webhooks.json. PostgreSQL runs need a server
at PODIUM_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg
import requests
from psycopg import sql

from registry.db import migrate
from registry.db.engine import Database, create_database
from registry.db.secrets import SecretBox
from registry.db.uow import UnitOfWork
from registry.domain.identity import LOCAL_OPERATOR
from registry.domain.webhook_settings import WebhookSettings
from registry.services import models
from registry.services import webhooks as webhook_service
from registry.services.webhooks import Keys

ROOT = Path(__file__).resolve().parent
POSTGRES = os.environ.get("PODIUM_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
KEY = "benchmark-server-key-" + "b" * 32
ENV = {
    "PODIUM_SECRET_KEY": KEY,
    "PODIUM_WEBHOOK_ALLOWED_SCHEMES": "https,http",
    "PODIUM_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
    "PODIUM_LOG_LEVEL": "warning",
}


# -- the receiver (a process of its own) -----------------------------------------------------------
def _serve(port_out: Any) -> None:
    arrivals: dict[str, float] = {}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            now = time.time()
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                arrivals.setdefault(self.headers.get("webhook-id", ""), now)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            with lock:
                body = json.dumps(arrivals).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_DELETE(self) -> None:
            with lock:
                arrivals.clear()
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.request_queue_size = 512
    port_out.send(server.server_address[1])
    server.serve_forever()


class Receiver:
    def __init__(self) -> None:
        parent, child = multiprocessing.Pipe()
        self.process = multiprocessing.Process(target=_serve, args=(child,), daemon=True)
        self.process.start()
        self.url = f"http://127.0.0.1:{parent.recv()}/hook"
        self.http = requests.Session()

    def arrivals(self) -> dict[str, float]:
        return self.http.get(self.url, timeout=30).json()  # type: ignore[no-any-return]

    def reset(self) -> None:
        self.http.delete(self.url, timeout=30)

    def wait(self, count: int, timeout: float = 600) -> dict[str, float]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.arrivals()
            if len(got) >= count:
                return got
            time.sleep(0.05)
        raise RuntimeError(f"receiver got {len(self.arrivals())} of {count} deliveries")

    def close(self) -> None:
        self.process.terminate()
        self.process.join(5)


# -- databases and workers --------------------------------------------------------------------------
@contextmanager
def database(kind: str, home: Path) -> Iterator[Database]:
    if kind == "sqlite":
        db = create_database(f"sqlite:///{home / 'podium.db'}")
        migrate.upgrade(db)
        yield db
        db.dispose()
        return
    name = f"podium_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    db = create_database(f"{POSTGRES.rsplit('/', 1)[0]}/{name}")
    migrate.upgrade(db)
    try:
        yield db
    finally:
        db.dispose()
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextmanager
def workers(db: Database, home: Path, count: int) -> Iterator[list[subprocess.Popen[bytes]]]:
    env = {**os.environ, **ENV, "PODIUM_DATABASE_URL": db.url.render_as_string(hide_password=False)}
    started = [
        subprocess.Popen(
            [sys.executable, "-m", "registry.cli", "worker"],
            cwd=home,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]
    try:
        yield started
    finally:
        for p in started:
            p.terminate()
        for p in started:
            p.wait(30)


def subscribe(db: Database, url: str) -> None:
    keys = Keys(WebhookSettings.parse(ENV.get), SecretBox(KEY))
    webhook_service.create_webhook(
        UnitOfWork(db, LOCAL_OPERATOR), keys, url=url, events=["registered_model_tag.*"]
    )


def commit_events(db: Database, count: int, writers: int = 4) -> None:
    def write(n: int) -> None:
        name = f"bench-{n}-{uuid.uuid4().hex[:6]}"
        models.create_registered_model(UnitOfWork(db, LOCAL_OPERATOR), name)
        for i in range(count // writers):
            models.set_registered_model_tag(UnitOfWork(db, LOCAL_OPERATOR), name, f"k{i}", "v")

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


# -- measurements -----------------------------------------------------------------------------------
def throughput(kind: str, dispatchers: int, events: int, receiver: Receiver) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix="podium-bench-"))
    try:
        with database(kind, home) as db:
            receiver.reset()
            subscribe(db, receiver.url)
            commit_events(db, events)
            total = (events // 4) * 4
            start = time.time()
            with workers(db, home, dispatchers):
                arrivals = receiver.wait(total)
            times = sorted(arrivals.values())
            first, last = times[0], times[total - 1]
        return {
            "database": kind,
            "dispatchers": dispatchers,
            "events": total,
            # From the first delivery to the last: the dispatchers' rate once running.
            "deliveries_per_second": round((total - 1) / (last - first), 1),
            # From starting the worker processes (imports, connections) to the last delivery.
            "seconds_including_start": round(last - start, 2),
        }
    finally:
        shutil.rmtree(home, ignore_errors=True)


def latency(kind: str, samples: int, receiver: Receiver) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix="podium-bench-"))
    try:
        with database(kind, home) as db:
            receiver.reset()
            subscribe(db, receiver.url)
            models.create_registered_model(UnitOfWork(db, LOCAL_OPERATOR), "lat")
            with workers(db, home, 1):
                # Warm up: the worker has started and delivered once.
                models.set_registered_model_tag(UnitOfWork(db, LOCAL_OPERATOR), "lat", "warm", "v")
                receiver.wait(1, timeout=60)
                values: list[float] = []
                for i in range(samples):
                    time.sleep(0.3)  # idle between changes
                    before = len(receiver.arrivals())
                    models.set_registered_model_tag(UnitOfWork(db, LOCAL_OPERATOR), "lat", f"k{i}", "v")
                    committed = time.time()
                    arrivals = receiver.wait(before + 1, timeout=60)
                    values.append((max(arrivals.values()) - committed) * 1000)
        values.sort()
        return {
            "database": kind,
            "samples": samples,
            "p50_ms": round(statistics.median(values), 1),
            "p95_ms": round(values[int(0.95 * (len(values) - 1))], 1),
            "max_ms": round(values[-1], 1),
        }
    finally:
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--latency-samples", type=int, default=50)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    kinds = ["sqlite"] if args.skip_postgres else ["sqlite", "postgresql"]
    receiver = Receiver()
    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load": os.getloadavg()},
        "throughput": [],
        "latency": [],
    }
    try:
        for kind in kinds:
            results["throughput"].append(throughput(kind, 1, args.events, receiver))
            print(json.dumps(results["throughput"][-1]))
        if not args.skip_postgres:
            results["throughput"].append(throughput("postgresql", 2, args.events, receiver))
            print(json.dumps(results["throughput"][-1]))
        for kind in kinds:
            results["latency"].append(latency(kind, args.latency_samples, receiver))
            print(json.dumps(results["latency"][-1]))
    finally:
        receiver.close()
    out = ROOT / "results" / "webhooks.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
