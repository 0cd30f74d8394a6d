"""SIGKILL, the honest crash model: a real `podium server` (its dispatcher running as a thread in
its workers) is killed right after commits and while deliveries are in flight, again and again.
After the last restart, every committed event has reached the receiver; a repeat is only ever a
second send of the same webhook-id."""

from __future__ import annotations

import json
import signal
import threading
from collections import Counter
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from registry.db.engine import create_database
from registry.db.tables import OutboxEventRow
from tests.fixtures.databases import PostgresDatabases
from tests.fixtures.receivers import Receiver, Reply, verify_delivery
from tests.fixtures.servers import PodiumProcess
from tests.fixtures.webhooks import PROCESS_ENV, wait_until

ROUNDS = 4
COMMITS_PER_ROUND = 30
# PostgreSQL servers wait for leases of a killed dispatcher to expire: keep them short here.
ENV = {**PROCESS_ENV, "PODIUM_WEBHOOK_TIMEOUT": "1s", "PODIUM_WEBHOOK_LEASE": "3s"}


class Writer:
    """Sets tags as fast as the server answers; remembers every change the server acknowledged."""

    def __init__(self, url: str, start: int) -> None:
        self.url = url
        self.next = start
        self.acknowledged: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        with requests.Session() as http:
            while not self._stop.is_set():
                key = f"k{self.next}"
                self.next += 1
                try:
                    r = http.put(f"{self.url}/api/v1/models/m/tags/{key}", json={"value": "v"}, timeout=5)
                except requests.RequestException:
                    return  # killed mid-request: that change may or may not have committed
                if r.status_code == 200:
                    self.acknowledged.append(key)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_every_committed_event_survives_repeated_sigkill(
    backend: str, tmp_path: Path, receiver: Receiver, postgres_databases: PostgresDatabases
) -> None:
    url = f"sqlite:///{tmp_path / 'podium.db'}" if backend == "sqlite" else postgres_databases.create()
    receiver.default = Reply(delay=0.05)  # so that deliveries are in flight when the kill comes

    def server() -> PodiumProcess:
        return PodiumProcess(
            home=tmp_path, database_url=url, artifacts_uri=str(tmp_path / "a"), env=ENV
        ).start()

    running = server()
    hook = requests.post(
        f"{running.url}/api/v1/webhooks",
        json={"url": receiver.url, "events": ["registered_model.*", "registered_model_tag.*"]},
        timeout=10,
    ).json()
    requests.post(f"{running.url}/api/v1/models", json={"name": "m"}, timeout=10).raise_for_status()
    acknowledged: list[str] = []
    try:
        for round_ in range(ROUNDS):
            writer = Writer(running.url, start=round_ * 10_000)
            wait_until(lambda w=writer: len(w.acknowledged) >= COMMITS_PER_ROUND, what="commits")  # type: ignore[misc]
            # Right after a commit, with deliveries of earlier commits in flight.
            running.stop(signal.SIGKILL)
            writer.stop()
            acknowledged += writer.acknowledged
            running = server()

        database = create_database(url, pool_size=1)
        try:
            with database.engine.connect() as conn:
                committed = set(
                    conn.scalars(
                        select(OutboxEventRow.event_id).where(OutboxEventRow.type.like("registered_model%"))
                    )
                )
        finally:
            database.dispose()

        def all_received() -> bool:
            return {r.webhook_id for r in receiver.requests()} >= committed

        wait_until(all_received, timeout=120, what="every committed event to arrive")
        received = receiver.requests()
        assert {r.webhook_id for r in received} == committed
        payloads = [verify_delivery(r, hook["secret"]) for r in received]
        delivered_keys = {p["data"].get("key") for p in payloads}  # type: ignore[index]
        assert set(acknowledged) <= delivered_keys
        assert len(acknowledged) >= ROUNDS * COMMITS_PER_ROUND
        # A repeat is the same event sent again: same id, same body.
        bodies: dict[str, bytes] = {}
        for r in received:
            assert bodies.setdefault(r.webhook_id, r.body) == r.body
        repeats = sum(n - 1 for n in Counter(r.webhook_id for r in received).values())
        print(f"{len(committed)} events, {len(received)} requests, {repeats} repeats after kills")

        def settled() -> bool:
            page = requests.get(
                f"{running.url}/api/v1/deliveries?status=pending,in_flight,failed&max_results=1", timeout=10
            ).json()
            return page["deliveries"] == []

        wait_until(settled, timeout=60, what="the delivery log to record every delivery")
        log = requests.get(
            f"{running.url}/api/v1/deliveries?status=delivered&max_results=1000", timeout=10
        ).json()["deliveries"]
        assert {d["event_id"] for d in log} == committed
        assert all(json.loads(r.body)["type"].startswith("registered_model") for r in received)
    finally:
        running.stop(signal.SIGKILL)
