"""Web UI runs table latency with 10,000 runs in one experiment (sorting and paging in SQL).

Starts a real `podium server` (gunicorn, the default 2 workers, auth off on loopback) on a fresh
SQLite file (or PostgreSQL with --postgres), bulk-inserts one experiment with 10,000 runs straight
into the database (each with 3 params, 3 latest metrics plus a 5-point history of one of them, and
2 tags: seeding over HTTP would take longer than the measurement), then times full HTML pages over
one keep-alive connection:

  * the runs table: first page (50, newest first), sorted by a metric, sorted by a param, filtered
    by a metric and a param, and page 101 (deep offset through page tokens);
  * the comparison of 10 runs (three charts' data, one history query);
  * a run's page.

Prints p50/p95 per page and writes the JSON report to benchmarks/results/.

Run: .venv/bin/python benchmarks/ui_runs.py [--runs 10000] [--samples 50] [--postgres]
     (PostgreSQL on 127.0.0.1:5432; PODIUM_BENCH_POSTGRES_URL to override)
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from pathlib import Path

import requests
from harness import ROOT, bench_database, podium_server, timed_page
from sqlalchemy import insert

from registry.db import migrate
from registry.db.engine import create_database
from registry.db.tables.tracking import (
    ExperimentRow,
    LatestMetricRow,
    MetricRow,
    ParamRow,
    RunRow,
    RunTagRow,
)

EXPERIMENT_ID = 1
BATCH = 2_000
RUN_ROW = r'<tr data-run="'


def run_id(n: int) -> str:
    return f"{n:032x}"


def seed(url: str, n_runs: int) -> None:
    """One experiment with n_runs runs, inserted in batches (the services would cost a transaction
    per run; the table rows are what the pages read either way)."""
    database = create_database(url)
    migrate.upgrade(database)
    now = int(time.time() * 1000)
    with database.engine.begin() as conn:
        conn.execute(
            insert(ExperimentRow),
            [
                {
                    "id": EXPERIMENT_ID,
                    "name": "sweep-10k",
                    "lifecycle_stage": "active",
                    "creation_time": now,
                    "last_update_time": now,
                }
            ],
        )
        for first in range(0, n_runs, BATCH):
            ns = range(first, min(first + BATCH, n_runs))
            conn.execute(
                insert(RunRow),
                [
                    {
                        "run_uuid": run_id(n),
                        "experiment_id": EXPERIMENT_ID,
                        "name": f"run-{n:05d}",
                        "user_id": "bench",
                        "status": "FINISHED",
                        "start_time": now + n,
                        "end_time": now + n + 1_000,
                        "lifecycle_stage": "active",
                    }
                    for n in ns
                ],
            )
            conn.execute(
                insert(ParamRow),
                [
                    {"run_uuid": run_id(n), "key": key, "value": value}
                    for n in ns
                    for key, value in (
                        ("n_estimators", str(10 * (1 + n % 20))),
                        ("max_depth", str(n % 12) if n % 12 else "None"),
                        ("criterion", ("squared_error", "absolute_error", "poisson")[n % 3]),
                    )
                ],
            )
            conn.execute(
                insert(LatestMetricRow),
                [
                    {
                        "run_uuid": run_id(n),
                        "key": key,
                        "value": value,
                        "is_nan": False,
                        "timestamp": now,
                        "step": 4 if key == "train_mse" else 0,
                    }
                    for n in ns
                    for key, value in (
                        ("r2_score", ((n * 7919) % 10_000) / 10_000),
                        ("mse", 2_500 + (n * 104_729) % 1_000),
                        ("train_mse", 2_000 + (n * 31) % 700),
                    )
                ],
            )
            conn.execute(
                insert(MetricRow),
                [
                    {
                        "run_uuid": run_id(n),
                        "key": "train_mse",
                        "value": 2_000 + (n * 31) % 700 + 100 * (4 - step),
                        "is_nan": False,
                        "timestamp": now + step,
                        "step": step,
                    }
                    for n in ns
                    for step in range(5)
                ],
            )
            conn.execute(
                insert(RunTagRow),
                [
                    {"run_uuid": run_id(n), "key": key, "value": value}
                    for n in ns
                    for key, value in (("mlflow.runName", f"run-{n:05d}"), ("team", f"team-{n % 7}"))
                ],
            )
    if database.dialect == "postgresql":
        # A live database has planner statistics (autovacuum analyzes tables as they grow); a bulk
        # insert followed at once by the measurement would not, and PostgreSQL would plan for
        # five runs instead of 10,000.
        with database.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="podium-ui-runs-bench-"))
    with bench_database(args.postgres, home) as url:
        started = time.perf_counter()
        seed(url, args.runs)
        seeded_s = time.perf_counter() - started
        with podium_server(url, home) as base:
            table = f"{base}/experiments/{EXPERIMENT_ID}"
            with requests.Session() as http:
                page = http.get(f"{table}?sort=metrics.r2_score&dir=desc").text
                deep = ""
                # Follow next-page links to page 101 (rows 5,001-5,050 of 10,000), or the last page.
                for _ in range(min(100, (args.runs - 1) // 50)):
                    found = re.search(r'href="([^"]+)" rel="next"', page)
                    assert found, "no next page"
                    deep = base + found.group(1).replace("&amp;", "&")
                    page = http.get(deep).text
                compared = "&".join(f"run={run_id(n)}" for n in range(0, args.runs, max(1, args.runs // 10)))
                pages = {
                    "runs table: first page, newest first": table,
                    "runs table: sorted by metrics.r2_score": f"{table}?sort=metrics.r2_score&dir=desc",
                    "runs table: sorted by params.n_estimators": f"{table}?sort=params.n_estimators&dir=asc",
                    "runs table: filtered (metric and param)": (
                        f"{table}?q=metrics.r2_score+%3E+0.9+AND+params.criterion+%3D+'poisson'"
                        "&sort=metrics.mse&dir=asc"
                    ),
                    "runs table: page 101 by r2_score (token)": deep,
                    "compare 10 runs (metric train_mse)": f"{table}/compare?{compared}&metric=train_mse",
                    "run page": f"{base}/runs/{run_id(4242 % args.runs)}",
                }
                results = {
                    name: timed_page(http, url_, args.samples, RUN_ROW) for name, url_ in pages.items()
                }
    report = {
        "database": "postgresql" if args.postgres else "sqlite",
        "runs": args.runs,
        "samples": args.samples,
        "seed_seconds": round(seeded_s, 1),
        "pages": results,
    }
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / f"ui_runs-{report['database']}.json").write_text(json.dumps(report, indent=2))
    for name, figures in results.items():
        p50, p95 = figures["p50_ms"], figures["p95_ms"]
        print(f"{name:45s} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  rows {figures['rows']}")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
