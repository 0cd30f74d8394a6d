"""Web UI page latency with 10,000 models and a 10,000-version model (server-side paging and sort).

Starts a real `podium server` (gunicorn, the default 2 workers, auth off on loopback) on a fresh
SQLite file (or PostgreSQL with --postgres), bulk-inserts 10,000 registered models (each with a tag,
one version and every tenth with an alias) and one model with 10,000 versions (tags on each,
aliases, all four stages), then times full HTML pages over one keep-alive connection:

  * the models list: first page (50, by name), by last update, filtered by tag, and page 101 (deep
    offset through page tokens);
  * the 10,000-version model's page: newest first, oldest first, filtered by tag.

Run: .venv/bin/python benchmarks/ui_pages.py [--models 10000] [--versions 10000] [--samples 100]
     [--postgres]   (PostgreSQL on 127.0.0.1:5432; PODIUM_BENCH_POSTGRES_URL to override)
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
from registry.db.tables import (
    AliasRow,
    ModelVersionRow,
    ModelVersionTagRow,
    RegisteredModelRow,
    RegisteredModelTagRow,
)

SRC = "mlflow-artifacts:/1/models/m-{:032x}/artifacts"
STAGES = ("None", "Staging", "Production", "Archived")


def seed(url: str, n_models: int, n_versions: int) -> None:
    database = create_database(url)
    migrate.upgrade(database)
    now = int(time.time() * 1000)
    with database.engine.begin() as conn:
        conn.execute(
            insert(RegisteredModelRow),
            [
                {
                    "id": i + 1,
                    "name": f"model-{i:05d}",
                    "description": "seeded",
                    "creation_time": now + i,
                    "last_updated_time": now + (i * 7919) % n_models,
                    "next_version": 2,
                    "sequence": 1,
                }
                for i in range(n_models)
            ],
        )
        conn.execute(
            insert(RegisteredModelTagRow),
            [
                {"registered_model_id": i + 1, "key": "team", "value": f"team-{i % 20}"}
                for i in range(n_models)
            ],
        )
        conn.execute(
            insert(ModelVersionRow),
            [
                {
                    "id": i + 1,
                    "registered_model_id": i + 1,
                    "version": 1,
                    "creation_time": now + i,
                    "last_updated_time": now + i,
                    "stage": STAGES[i % 4],
                    "description": "",
                    "source": SRC.format(i),
                    "status": "READY",
                }
                for i in range(n_models)
            ],
        )
        conn.execute(
            insert(AliasRow),
            [
                {"registered_model_id": i + 1, "alias": "champion", "model_version_id": i + 1}
                for i in range(0, n_models, 10)
            ],
        )
        big = n_models + 1
        conn.execute(
            insert(RegisteredModelRow),
            [
                {
                    "id": big,
                    "name": "big",
                    "description": "10,000 versions",
                    "creation_time": now,
                    "last_updated_time": now,
                    "next_version": n_versions + 1,
                    "sequence": 1,
                }
            ],
        )
        first = n_models + 1
        conn.execute(
            insert(ModelVersionRow),
            [
                {
                    "id": first + v,
                    "registered_model_id": big,
                    "version": v + 1,
                    "creation_time": now + v,
                    "last_updated_time": now + v,
                    "stage": STAGES[v % 4],
                    "description": f"version {v + 1}",
                    "source": SRC.format(v),
                    "run_id": f"{v:032x}",
                    "status": "READY",
                    "digest": {"MLmodel": {"sha256": "ab" * 32, "size": 600}},
                }
                for v in range(n_versions)
            ],
        )
        conn.execute(
            insert(ModelVersionTagRow),
            [
                {"model_version_id": first + v, "key": "env", "value": f"env-{v % 5}"}
                for v in range(n_versions)
            ],
        )
        conn.execute(
            insert(AliasRow),
            [
                {"registered_model_id": big, "alias": "champion", "model_version_id": first + n_versions - 2},
                {
                    "registered_model_id": big,
                    "alias": "challenger",
                    "model_version_id": first + n_versions - 1,
                },
            ],
        )
    database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", type=int, default=10_000)
    parser.add_argument("--versions", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="podium-ui-bench-"))
    with bench_database(args.postgres, home) as url:
        started = time.perf_counter()
        seed(url, args.models, args.versions)
        seeded_s = time.perf_counter() - started
        with podium_server(url, home) as base, requests.Session() as http:
            token = None
            page = http.get(f"{base}/models?size=50").text
            for _ in range(100):  # follow next-page links to page 101 (rows 5,001-5,050)
                found = re.search(r'href="([^"]+)" rel="next"', page)
                assert found, "no next page"
                token = found.group(1).replace("&amp;", "&")
                page = http.get(base + token).text
            model_row = r'<tr data-model="'
            version_row = r'<tr data-version="'
            pages = {
                "models: first page by name": (f"{base}/models", model_row),
                "models: by last update": (f"{base}/models?sort=updated&dir=desc", model_row),
                "models: filter tags.team": (f"{base}/models?q=tags.team+%3D+'team-7'", model_row),
                "models: page 101 (token)": (base + (token or ""), model_row),
                "model page: 10,000 versions, newest": (f"{base}/models/big", version_row),
                "model page: oldest first": (f"{base}/models/big?sort=version&dir=asc", version_row),
                "model page: filter tags.env": (f"{base}/models/big?q=tags.env+%3D+'env-3'", version_row),
            }
            results = {
                name: timed_page(http, url_, args.samples, rows) for name, (url_, rows) in pages.items()
            }
    report = {
        "database": "postgresql" if args.postgres else "sqlite",
        "models": args.models,
        "versions_of_big": args.versions,
        "samples": args.samples,
        "seed_seconds": round(seeded_s, 1),
        "pages": results,
    }
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / f"ui_pages-{report['database']}.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
