"""The stock mlflow client against `podium server` and against `mlflow server`, same machine, same run.

Measures, per server: N `create_model_version` calls, N `get_model_version_by_alias` calls (ms per
call, sequential, one client) and the small training sweep of the founding workflow end to end
(tests/e2e/mlflow_workflow.py: 4 runs with params, metrics, a scikit-learn model and a plot each,
then search, register and @champion). MLflow runs twice: with its defaults and with `--workers 1`.
Both use SQLite and a local artifact folder in a fresh temporary directory.

    .venv/bin/python benchmarks/mlflow_client.py [--calls 200] [--rounds 3] [--skip-sweep]

Prints a table and the ratios, and writes benchmarks/results/mlflow_client.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import socket
import statistics
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
        self.stop()
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


def registry_calls(url: str, calls: int, name: str) -> dict[str, float]:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=url, registry_uri=url)
    experiment = client.create_experiment(name)
    run = client.create_run(experiment)
    client.create_registered_model(name)
    run_id = run.info.run_id
    # A folder inside the run's artifacts, registered with the run's id (valid for both servers).
    source = f"{run.info.artifact_uri}/model"
    for _ in range(5):  # warm up connections and caches on both sides
        client.create_model_version(name, source, run_id=run_id)
    client.set_registered_model_alias(name, "champion", "1")
    for _ in range(5):
        client.get_model_version_by_alias(name, "champion")

    def timed(call: Callable[[], object]) -> list[float]:
        times = []
        for _ in range(calls):
            start = time.perf_counter()
            call()
            times.append((time.perf_counter() - start) * 1000)
        return sorted(times)

    creates = timed(lambda: client.create_model_version(name, source, run_id=run_id))
    lookups = timed(lambda: client.get_model_version_by_alias(name, "champion"))
    out: dict[str, float] = {}
    for key, times in (("create_model_version", creates), ("get_model_version_by_alias", lookups)):
        out[f"{key}_ms"] = statistics.fmean(times)
        out[f"{key}_p50_ms"] = statistics.median(times)
        # A 40 ms Nagle/delayed-ACK stall on keep-alive connections would show here.
        out[f"{key}_p99_ms"] = times[int(len(times) * 0.99) - 1]
    return out


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
    parser.add_argument("--rounds", type=int, default=3)
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
        try:
            for i, server in enumerate(servers):
                server.start(Path(tmp) / f"server{i}")
            # The machine is shared: rounds alternate between the servers and each keeps its best
            # round, so a burst of someone else's load does not decide the comparison.
            for round_ in range(opts.rounds):
                for server in servers:
                    measured = registry_calls(server.url, opts.calls, f"bench-{round_}")
                    best = results.get(server.label)
                    if (
                        best is None
                        or measured["get_model_version_by_alias_ms"] + measured["create_model_version_ms"]
                        < best["get_model_version_by_alias_ms"] + best["create_model_version_ms"]
                    ):
                        results[server.label] = measured
                    print(server.label, f"round {round_ + 1}", json.dumps(measured), flush=True)
            if not opts.skip_sweep:
                for i, server in enumerate(servers):
                    work = Path(tmp) / f"sweep{i}"
                    work.mkdir()
                    wall, http = sweep(server.url, work)
                    results[server.label]["sweep_s"] = wall
                    results[server.label]["sweep_http_s"] = http
                    print(server.label, f"sweep {wall:.1f} s, {http:.2f} s in HTTP", flush=True)
        finally:
            for server in servers:
                server.stop()

    ours = results["podium"]
    print(f"\n{'server':<22}{'create ms':>12}{'by-alias ms':>14}{'sweep s':>10}{'sweep HTTP s':>14}")
    nan = float("nan")
    for label, r in results.items():
        create, alias = r["create_model_version_ms"], r["get_model_version_by_alias_ms"]
        wall, http = r.get("sweep_s", nan), r.get("sweep_http_s", nan)
        print(f"{label:<22}{create:>12.2f}{alias:>14.2f}{wall:>10.1f}{http:>14.2f}")
        spread = [
            f"{r[f'{key}_p50_ms']:.2f}/{r[f'{key}_p99_ms']:.2f}"
            for key in ("create_model_version", "get_model_version_by_alias")
        ]
        print(f"{'':<22}p50/p99: create {spread[0]}, by alias {spread[1]}")
    ratios = {}
    for label, r in results.items():
        if label == "podium":
            continue
        ratios[label] = {key: r[key] / ours[key] for key in ours if not key.endswith(("p50_ms", "p99_ms"))}
        pretty = ", ".join(f"{k} x{v:.2f}" for k, v in ratios[label].items())
        print(f"{label} / podium: {pretty}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "calls": opts.calls,
                "rounds": opts.rounds,
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "results": results,
                "ratios_vs_podium": ratios,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
