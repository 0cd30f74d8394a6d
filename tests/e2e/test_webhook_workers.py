"""`podium worker` processes on PostgreSQL: two share the deliveries of 1,000 events through SKIP
LOCKED and leases, never sending one delivery at the same time; when one is killed mid-attempt, the
other takes its deliveries over once their leases expire."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from registry.db import migrate
from registry.db.engine import Database, create_database
from registry.db.secrets import SecretBox
from registry.db.tables import DeliveryAttemptRow, DeliveryRow, OutboxEventRow
from registry.db.uow import UnitOfWork
from registry.domain.identity import LOCAL_OPERATOR
from registry.domain.webhook_settings import WebhookSettings
from registry.services import models
from registry.services import webhooks as webhook_service
from registry.services.webhooks import Keys
from tests.fixtures.databases import PostgresDatabases, require_postgres
from tests.fixtures.receivers import Received, Receiver, Reply, verify_delivery
from tests.fixtures.webhooks import PROCESS_ENV, TEST_SECRET_KEY, wait_until

pytestmark = pytest.mark.postgres


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def postgres(postgres_databases: PostgresDatabases) -> Iterator[Database]:
    require_postgres()
    database = create_database(postgres_databases.create())
    migrate.upgrade(database)
    yield database
    database.dispose()


@pytest.fixture
def start_worker(tmp_path: Path, postgres: Database) -> Iterator[object]:
    workers: list[Worker] = []

    def start(**env: str) -> Worker:
        log = tmp_path / f"worker-{len(workers)}.log"
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "registry.cli", "worker", "--concurrency", "8"],
                cwd=tmp_path,
                env={
                    **os.environ,
                    **PROCESS_ENV,
                    "PODIUM_DATABASE_URL": postgres.url.render_as_string(hide_password=False),
                    **env,
                },
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        worker = Worker(process, log)
        workers.append(worker)
        wait_until(lambda: "started" in worker.output(), what="the worker to start")
        return worker

    yield start
    for w in workers:
        if w.process.poll() is None:
            w.process.kill()
            w.process.wait(timeout=10)


def _produce(database: Database, events: int, writers: int = 4) -> None:
    """`events` committed changes, from `writers` threads at once (one model each)."""

    def write(n: int) -> None:
        name = f"m{n}"
        models.create_registered_model(UnitOfWork(database, LOCAL_OPERATOR), name)
        for i in range(events // writers - 1):
            models.set_registered_model_tag(UnitOfWork(database, LOCAL_OPERATOR), name, f"k{i}", "v")

    with ThreadPoolExecutor(writers) as pool:
        list(pool.map(write, range(writers)))


def _subscribe(database: Database, url: str) -> str:
    keys = Keys(WebhookSettings.parse(PROCESS_ENV.get), SecretBox(TEST_SECRET_KEY))
    created = webhook_service.create_webhook(
        UnitOfWork(database, LOCAL_OPERATOR),
        keys,
        url=url,
        events=["registered_model.*", "registered_model_tag.*"],
    )
    assert created.secret is not None
    return created.secret


def _event_ids(database: Database) -> set[str]:
    with database.engine.connect() as conn:
        stmt = select(OutboxEventRow.event_id).where(OutboxEventRow.type.like("registered_model%"))
        return set(conn.scalars(stmt))


def _never_concurrent(received: list[Received]) -> None:
    by_id: dict[str, list[Received]] = defaultdict(list)
    for r in received:
        by_id[r.webhook_id].append(r)
    for webhook_id, sends in by_id.items():
        sends.sort(key=lambda r: r.started)
        for earlier, later in itertools.pairwise(sends):
            assert later.started >= earlier.finished, f"{webhook_id} was sent twice at the same time"


def _all_delivered(database: Database, count: int) -> bool:
    with database.engine.connect() as conn:
        statuses = list(conn.scalars(select(DeliveryRow.status)))
    return len(statuses) == count and set(statuses) == {"delivered"}


def test_two_workers_share_1000_events_without_sending_any_twice(
    postgres: Database, receiver: Receiver, start_worker: object
) -> None:
    secret = _subscribe(postgres, receiver.url)
    receiver.default = Reply(delay=0.005)
    workers = [start_worker(), start_worker()]  # type: ignore[operator]
    _produce(postgres, 1000)
    produced = _event_ids(postgres)
    assert len(produced) == 1000
    received = receiver.wait_for(1000, timeout=180)
    wait_until(lambda: _all_delivered(postgres, 1000), timeout=60, what="every delivery recorded")
    received = receiver.requests()
    assert {r.webhook_id for r in received} == produced
    assert len(received) == 1000  # no crash, so no repeat at all
    _never_concurrent(received)
    for r in received[:50]:
        verify_delivery(r, secret)
    with postgres.engine.connect() as conn:
        by = set(conn.scalars(select(DeliveryAttemptRow.dispatcher).distinct()))
    assert len(by) == 2, f"both workers should have sent deliveries, got {by}"
    for w in workers:
        w.process.send_signal(signal.SIGTERM)
    for w in workers:
        assert w.process.wait(timeout=30) == 0, w.output()


def test_a_killed_worker_s_deliveries_are_taken_over_after_the_lease(
    postgres: Database, receiver: Receiver, start_worker: object
) -> None:
    secret = _subscribe(postgres, receiver.url)
    receiver.default = Reply(delay=0.3)  # attempts are in flight when the kill comes
    env = {"PODIUM_WEBHOOK_TIMEOUT": "1s", "PODIUM_WEBHOOK_LEASE": "3s"}
    doomed = start_worker(**env)  # type: ignore[operator]
    _produce(postgres, 100)
    receiver.wait_for(5)
    doomed.process.kill()  # SIGKILL, mid-attempt
    doomed.process.wait(timeout=10)
    start_worker(**env)  # type: ignore[operator]
    wait_until(lambda: _all_delivered(postgres, 100), timeout=120, what="every delivery recorded")
    received = receiver.requests()
    assert {r.webhook_id for r in received} == _event_ids(postgres)
    _never_concurrent(received)
    for r in received:
        verify_delivery(r, secret)
    with postgres.engine.connect() as conn:
        lost = list(
            conn.scalars(select(DeliveryAttemptRow.error).where(DeliveryAttemptRow.error.like("lost:%")))
        )
    assert lost, "the killed worker held deliveries; their lost attempts are logged"
