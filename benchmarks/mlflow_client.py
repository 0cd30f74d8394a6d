"""The stock mlflow client against `podium server` and against `mlflow server`, same machine, same run.

Measures, per server: N `create_model_version` calls, N `get_model_version_by_alias` calls (ms per
call, sequential, one client) and the small training sweep of the founding workflow end to end
(tests/e2e/mlflow_workflow.py: 4 runs with params, metrics, a scikit-learn model and a plot each,
then search, register and @champion). MLflow runs twice: with its defaults and with `--workers 1`.
Both use SQLite and a local artifact folder in a fresh temporary directory.

    .venv/bin/python benchmarks/mlflow_client.py [--calls 200] [--skip-sweep]

Prints a table and the ratios, and writes benchmarks/results/mlflow_client.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / "tests" / "e2e" / "mlflow_workflow.py"
RESULTS = ROOT / "benchmarks" / "results" / "mlflow_client.json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    label: str
    command: Callable[[Path, int], list[str]]
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, home: Path) -> None:
        home.mkdir(parents=True)
        self.port = free_port()
        log = open(home / "server.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            self.command(home, self.port),
            cwd=home,
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.label} exited: {(home / 'server.log').read_text()[-3000:]}")
            try:
                if requests.get(f"{self.url}/health", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.25)
        raise RuntimeError(f"{self.label} did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            import signal

            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def podium(home: Path, port: int) -> list[str]:
    return [
        sys.executable, "-m", "registry.cli", "server",
        "--backend-store-uri", f"sqlite:///{home / 'podium.db'}",
        "--artifacts-destination", str(home / "artifacts"),
        "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip


def mlflow(workers: int | None) -> Callable[[Path, int], list[str]]:
    def command(home: Path, port: int) -> list[str]:
        args = [
            sys.executable, "-m", "mlflow", "server",
            "--backend-store-uri", f"sqlite:///{home / 'mlflow.db'}",
            "--artifacts-destination", str(home / "artifacts"),
            "--host", "127.0.0.1", "--port", str(port),
        ]  # fmt: skip
        return args + (["--workers", str(workers)] if workers else [])

    return command


def registry_calls(url: str, calls: int) -> dict[str, float]:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=url, registry_uri=url)
    experiment = client.create_experiment("bench")
    run = client.create_run(experiment)
    client.create_registered_model("bench")
    run_id = run.info.run_id
    # A folder inside the run's artifacts, registered with the run's id (valid for both servers).
    source = f"{run.info.artifact_uri}/model"
    for _ in range(5):  # warm up connections and caches on both sides
        client.create_model_version("bench", source, run_id=run_id)
    client.set_registered_model_alias("bench", "champion", "1")
    for _ in range(5):
        client.get_model_version_by_alias("bench", "champion")

    start = time.perf_counter()
    for _ in range(calls):
        client.create_model_version("bench", source, run_id=run_id)
    create_ms = (time.perf_counter() - start) * 1000 / calls
    start = time.perf_counter()
    for _ in range(calls):
        client.get_model_version_by_alias("bench", "champion")
    alias_ms = (time.perf_counter() - start) * 1000 / calls
    return {"create_model_version_ms": create_ms, "get_model_version_by_alias_ms": alias_ms}


def sweep(url: str, workdir: Path) -> tuple[float, float]:
    """Run the training sweep in a fresh client process; returns (wall s, s spent in HTTP calls).

    Most of a sweep is the client's own work (training, pickling, inferring requirements), the same
    whatever the server; the HTTP time is the part the server decides.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["MLFLOW_TRACKING_URI"] = url
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, __file__, "--sweep-child", str(workdir)],
        env=env,
        cwd=workdir,
        check=True,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    http_ms = next(line for line in proc.stdout.splitlines() if line.startswith("HTTP_MS "))
    return wall, float(http_ms.split()[1]) / 1000


def sweep_child(workdir: str) -> None:
    """Inside the client process: time every HTTP call the workflow makes, then run it."""
    import runpy

    spent = [0.0]
    original = requests.Session.request

    def timed(self: requests.Session, *args: object, **kwargs: object) -> requests.Response:
        start = time.perf_counter()
        try:
            return original(self, *args, **kwargs)  # type: ignore[arg-type]
        finally:
            spent[0] += time.perf_counter() - start

    requests.Session.request = timed  # type: ignore[method-assign]
    sys.argv = [str(WORKFLOW), "train", "sweep", "sweep-model", workdir]
    runpy.run_path(str(WORKFLOW), run_name="__main__")
    print(f"HTTP_MS {spent[0] * 1000:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--skip-sweep", action="store_true")
    parser.add_argument("--sweep-child", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.sweep_child:
        sweep_child(opts.sweep_child)
        return
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    os.environ["MLFLOW_TRACKING_URI"] = ""
    servers = [
        Server("podium", podium, {"PODIUM_LOG_LEVEL": "warning"}),
        Server("mlflow (defaults)", mlflow(None), {}),
        Server("mlflow --workers 1", mlflow(1), {}),
    ]
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="podium-bench-") as tmp:
        for i, server in enumerate(servers):
            home = Path(tmp) / f"server{i}"
            server.start(home)
            try:
                results[server.label] = registry_calls(server.url, opts.calls)
                if not opts.skip_sweep:
                    work = home / "sweep"
                    work.mkdir()
                    wall, http = sweep(server.url, work)
                    results[server.label]["sweep_s"] = wall
                    results[server.label]["sweep_http_s"] = http
            finally:
                server.stop()
            print(server.label, json.dumps(results[server.label]), flush=True)

    ours = results["podium"]
    print(f"\n{'server':<22}{'create ms':>12}{'by-alias ms':>14}{'sweep s':>10}{'sweep HTTP s':>14}")
    nan = float("nan")
    for label, r in results.items():
        create, alias = r["create_model_version_ms"], r["get_model_version_by_alias_ms"]
        wall, http = r.get("sweep_s", nan), r.get("sweep_http_s", nan)
        print(f"{label:<22}{create:>12.2f}{alias:>14.2f}{wall:>10.1f}{http:>14.2f}")
    ratios = {}
    for label, r in results.items():
        if label == "podium":
            continue
        ratios[label] = {key: r[key] / ours[key] for key in ours}
        pretty = ", ".join(f"{k} x{v:.2f}" for k, v in ratios[label].items())
        print(f"{label} / podium: {pretty}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "calls": opts.calls,
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "results": results,
                "ratios_vs_podium": ratios,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
