"""Single-row `/invocations`: `podium serve` versus `mlflow models serve`, same model, same run.

Trains the founding workload's model (a RandomForestRegressor on scikit-learn's bundled diabetes
data, 10 trees), saves it with `mlflow.sklearn.save_model` (skops), registers it in a `podium
server` started for the run and sets `@champion`, then starts

- `podium serve models:/bench@champion --workers W`, and
- `mlflow models serve -m <the same model directory> --env-manager local`, with its default single
  worker and, when W is not 1, with `--workers W` too (its latency gets much worse with several),

and measures each in turn over keep-alive HTTP/1.1 connections on 127.0.0.1:
- latency: one client sending `--requests` single-row requests one after another (p50, p99);
- throughput: `--clients` client processes sending single-row requests for `--duration` seconds.

Both servers answer the same payload first, and their predictions must agree. Results are printed
and written to benchmarks/results/serving-<time>.json; the throughput ratio is against the better
of the MLflow configurations.

    .venv/bin/python benchmarks/serving.py [--workers 2] [--requests 2000] [--duration 15]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from registry.storage.local import LocalArtifactStore  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def process(
    args: list[str], log: Path, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            args,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def wait_for(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{url} exited early:\n{log.read_text()[-4000:]}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not come up:\n{log.read_text()[-4000:]}")


MODELS = {
    "forest": "RandomForestRegressor(n_estimators=10, max_depth=6)",
    "ridge": "Ridge() (a model that costs next to nothing: the servers' own overhead)",
}


def train_and_save(directory: Path, kind: str) -> tuple[list[str], list[float]]:
    import mlflow.sklearn
    from mlflow.models import infer_signature
    from sklearn.datasets import load_diabetes
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.linear_model import Ridge

    data = load_diabetes(as_frame=True)
    features = data.data
    estimator = (
        RandomForestRegressor(n_estimators=10, max_depth=6, random_state=0) if kind == "forest" else Ridge()
    )
    model = estimator.fit(features, data.target)
    mlflow.sklearn.save_model(
        model,
        directory,
        signature=infer_signature(features, model.predict(features)),
        skops_trusted_types=["sklearn.tree._tree.Tree"],
        pip_requirements=["scikit-learn"],
    )
    return list(features.columns), [float(v) for v in features.iloc[0]]


def one_request(conn: http.client.HTTPConnection, body: bytes) -> bytes:
    conn.request("POST", "/invocations", body=body, headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    data = response.read()
    if response.status != 200:
        raise RuntimeError(f"HTTP {response.status}: {data[:200]!r}")
    return data


def latency(port: int, body: bytes, count: int, warmup: int = 200) -> dict[str, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for _ in range(warmup):
        one_request(conn, body)
    times = []
    for _ in range(count):
        start = time.perf_counter()
        one_request(conn, body)
        times.append((time.perf_counter() - start) * 1000)
    conn.close()
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 3),
        "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 3),
        "mean_ms": round(statistics.fmean(times), 3),
        "requests": count,
    }


def _client(port: int, body: bytes, start_at: float, stop_at: float, results: Any) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    done = failed = 0
    one_request(conn, body)  # connect before the clock starts
    while time.time() < start_at:
        time.sleep(0.001)
    while time.time() < stop_at:
        try:
            one_request(conn, body)
            done += 1
        except (OSError, RuntimeError, http.client.HTTPException):
            failed += 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    results.put((done, failed))


def throughput(port: int, body: bytes, clients: int, duration: float) -> dict[str, float]:
    results: Any = multiprocessing.Queue()
    start_at = time.time() + 2.0
    procs = [
        multiprocessing.Process(target=_client, args=(port, body, start_at, start_at + duration, results))
        for _ in range(clients)
    ]
    for p in procs:
        p.start()
    totals = [results.get(timeout=duration + 120) for _ in procs]
    for p in procs:
        p.join()
    done = sum(d for d, _ in totals)
    return {
        "requests_per_s": round(done / duration, 1),
        "requests": done,
        "failed": sum(f for _, f in totals),
        "clients": clients,
        "seconds": duration,
    }


def register(registry_url: str, model_dir: Path, store: LocalArtifactStore) -> None:
    """Put the model where the stock client's upload would, register it, point @champion at it."""
    root = "1/models/m-" + "0" * 32 + "/artifacts"
    for path in sorted(model_dir.iterdir()):
        with open(path, "rb") as stream:
            store.put(f"{root}/{path.name}", stream)
    api = f"{registry_url}/api/v1"
    requests.post(f"{api}/models", json={"name": "bench"}, timeout=30).raise_for_status()
    source = {"source": f"mlflow-artifacts:/{root}"}
    requests.post(f"{api}/models/bench/versions", json=source, timeout=60).raise_for_status()
    requests.put(f"{api}/models/bench/aliases/champion", json={"version": 1}, timeout=30).raise_for_status()


def server_commands(
    args: argparse.Namespace, python: str, bin_dir: Path, model_dir: Path, registry_url: str, work: Path
) -> dict[str, tuple[int, list[str]]]:
    """name -> (port, command). MLflow runs with its default (1 worker) and, when different, with
    as many workers as Podium: its latency is far worse with several workers, so both are shown."""
    port = free_port()
    servers = {
        "podium": (port, [
            python, "-m", "registry.cli", "serve", "models:/bench@champion", "--port", str(port),
            "--workers", str(args.workers), "--threads", str(args.threads),
            "--registry-url", registry_url, "--cache-dir", str(work / "cache"),
        ]),
    }  # fmt: skip
    for workers in sorted({1, args.workers}):
        port = free_port()
        label = "mlflow (1 worker)" if workers == 1 else f"mlflow ({workers} workers)"
        servers[label] = (port, [
            str(bin_dir / "mlflow"), "models", "serve", "-m", str(model_dir),
            "--env-manager", "local", "-p", str(port), "-w", str(workers),
        ])  # fmt: skip
    return servers


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, default=2, help="server processes for both servers")
    parser.add_argument("--threads", type=int, default=4, help="threads per podium serve worker")
    parser.add_argument("--requests", type=int, default=2000, help="sequential requests for latency")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients for throughput")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds of throughput load")
    parser.add_argument("--model", choices=sorted(MODELS), default="forest", help="what to serve")
    args = parser.parse_args()

    load_before = [round(x, 2) for x in os.getloadavg()]
    work = Path(tempfile.mkdtemp(prefix="podium-serving-bench-"))
    try:
        report = run(args, work, load_before)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(exist_ok=True)
    out = out_dir / f"serving-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(report, indent=2))
    print(f"written to {out}")


def run(args: argparse.Namespace, work: Path, load_before: list[float]) -> dict[str, Any]:
    model_dir = work / "model"
    columns, row = train_and_save(model_dir, args.model)
    body = json.dumps({"dataframe_split": {"columns": columns, "data": [row]}}).encode()
    python = sys.executable
    bin_dir = Path(python).parent
    registry_port = free_port()
    registry_url = f"http://127.0.0.1:{registry_port}"
    env = {
        "PODIUM_DATABASE_URL": f"sqlite:///{work / 'podium.db'}",
        "PODIUM_ARTIFACTS_URI": str(work / "artifacts"),
        "PODIUM_PORT": str(registry_port),
    }
    with process([python, "-m", "registry.cli", "server"], work / "registry.log", env) as registry:
        wait_for(f"{registry_url}/health", registry, work / "registry.log")
        register(registry_url, model_dir, LocalArtifactStore(work / "artifacts"))
        servers = server_commands(args, python, bin_dir, model_dir, registry_url, work)
        # mlflow starts `uvicorn` by name, so this environment's scripts must be on PATH.
        path_env = {"PATH": f"{bin_dir}:{os.environ['PATH']}"}
        with ExitStack() as running:
            for name, (port, cmd) in servers.items():
                log = work / f"{name.split()[0]}-{port}.log"
                proc = running.enter_context(process(cmd, log, path_env))
                wait_for(f"http://127.0.0.1:{port}/ping", proc, log)
            answers = {}
            for name, (port, _) in servers.items():
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                answers[name] = json.loads(one_request(conn, body))["predictions"]
                conn.close()
            if len({json.dumps(a) for a in answers.values()}) != 1:
                raise SystemExit(f"The servers disagree: {answers}")
            results: dict[str, Any] = {}
            for name, (port, _) in servers.items():
                results[name] = {"latency": latency(port, body, args.requests)}
            for name, (port, _) in servers.items():
                results[name]["throughput"] = throughput(port, body, args.clients, args.duration)

    best_mlflow = max(r["throughput"]["requests_per_s"] for n, r in results.items() if n.startswith("mlflow"))
    ratio = results["podium"]["throughput"]["requests_per_s"] / max(best_mlflow, 1e-9)
    report = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load_average": load_before},
        "model": f"{MODELS[args.model]}, diabetes data (10 features), skops",
        "podium": f"{args.workers} workers x {args.threads} threads",
        "results": results,
        "throughput_ratio_podium_over_best_mlflow": round(ratio, 2),
    }
    clients = f"req/s ({args.clients} clients)"
    print(f"{'server':20} {'p50 ms':>8} {'p99 ms':>8} {clients:>22} {'failed':>7}")
    for name, result in results.items():
        lat, thr = result["latency"], result["throughput"]
        rate, failed = thr["requests_per_s"], thr["failed"]
        print(f"{name:20} {lat['p50_ms']:8.2f} {lat['p99_ms']:8.2f} {rate:22.1f} {failed:7d}")
    print(f"throughput podium / best mlflow: {ratio:.2f}x   (load average before: {load_before})")
    return report


if __name__ == "__main__":
    main()
