"""The dispatcher: relay events, claim due deliveries, send them in parallel, record outcomes.

One coordinating thread does all database work, never during HTTP: each round is one short
transaction that records the attempts finished since the last round, relays new events into
deliveries, and claims due deliveries with a lease, committed before they are sent. A pool of sender
threads makes the attempts. When there is nothing to do the coordinator sleeps until a sender
finishes, PostgreSQL notifies, or the poll interval passes.

Delivery is at least once: a delivery is marked delivered only after a 2xx, in a transaction after
the attempt; if the process dies in between, the lease expires (or, on SQLite, the next dispatcher
requeues it at start) and it is sent again with the same webhook-id.
"""

from __future__ import annotations

import logging
import os
import queue
import random
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from registry.db.engine import Database
from registry.db.repositories.deliveries import DeliveryRepository
from registry.db.secrets import SecretBox
from registry.db.uow import UnitOfWork
from registry.domain.webhook_settings import WebhookSettings
from webhooks.claims import Claimer
from webhooks.coordination import DispatcherLock, Listener
from webhooks.outcomes import Outcome, Recorder
from webhooks.relay import BATCH, DISPATCHER, relay
from webhooks.sender import Job, Result, send
from webhooks.ssrf import Deadlines, guarded_pool

log = logging.getLogger(__name__)


def dispatcher_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:128]


class Dispatcher:
    def __init__(
        self,
        database: Database,
        settings: WebhookSettings,
        box: SecretBox,
        *,
        name: str | None = None,
        exclusive: bool | None = None,
    ) -> None:
        """`exclusive` (default: on SQLite) makes this dispatcher wait for the database's
        dispatcher lock, so exactly one runs per database file."""
        self.database = database
        self.settings = settings
        self.name = name or dispatcher_name()
        self.exclusive = database.is_sqlite if exclusive is None else exclusive
        self.poll = settings.poll_interval or (0.05 if database.is_sqlite else 0.25)
        self.claimer = Claimer(database, settings, box, self.name)
        self.recorder = Recorder(database, settings, self.name, random.Random())
        self.wake = threading.Event()
        self.ready = threading.Event()
        self._stop = threading.Event()
        self._done: queue.SimpleQueue[Outcome] = queue.SimpleQueue()
        self._unrecorded: list[Outcome] = []
        self._inflight = 0
        self._more = False
        self._pool = guarded_pool(settings.concurrency)
        self._thread: threading.Thread | None = None
        self._deadlines: Deadlines | None = None

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> Dispatcher:
        self._thread = threading.Thread(target=self.run, name="webhook-dispatcher", daemon=True)
        self._thread.start()
        return self

    def request_stop(self) -> None:
        """Ask the loop to end (safe from a signal handler); `run` returns once it has."""
        self._stop.set()
        self.wake.set()

    def stop(self, timeout: float | None = None) -> None:
        """Stop claiming, let attempts in flight finish, record them, and return."""
        self.request_stop()
        if self._thread is not None:
            self._thread.join(timeout)

    def run(self) -> None:
        lock = DispatcherLock(self.database) if self.exclusive else None
        if lock is not None and not lock.try_acquire():
            log.info("another dispatcher serves this database; %s stands by", self.name)
            while not lock.try_acquire():
                if self._stop.wait(2.0):
                    return
        listener = None if self.database.is_sqlite else Listener(self.database, self.wake)
        self._deadlines = Deadlines()
        pool = ThreadPoolExecutor(self.settings.concurrency, thread_name_prefix="webhook-send")
        try:
            if lock is not None:
                self._requeue_orphans()
            self.ready.set()
            log.info("webhook dispatcher %s started", self.name)
            self._loop(pool)
        finally:
            pool.shutdown(wait=True)
            self._record_last()
            self._deadlines.close()
            if listener is not None:
                listener.close()
            if lock is not None:
                lock.release()
            log.info("webhook dispatcher %s stopped", self.name)

    def _record_last(self) -> None:
        """On the way out: record what the senders finished, claim nothing more."""
        batch = self._unrecorded + self._drain()
        if not batch:
            return
        uow = UnitOfWork(self.database, DISPATCHER)
        try:
            with uow:
                self.recorder.record(uow, batch)
        except SQLAlchemyError as exc:
            log.warning("could not record %d attempts (%s); they will be sent again", len(batch), exc)

    def _requeue_orphans(self) -> None:
        uow = UnitOfWork(self.database, DISPATCHER)
        with uow:
            count = DeliveryRepository(uow.session, self.database.dialect).release_all_in_flight(uow.now)
        if count:
            log.info("requeued %d deliveries left in flight by a dispatcher that stopped", count)

    # -- the loop ------------------------------------------------------------------------------
    def _loop(self, pool: ThreadPoolExecutor) -> None:
        backoff = self.poll
        while not self._stop.is_set():
            try:
                worked = self.step(pool)
                backoff = self.poll
            except SQLAlchemyError as exc:
                log.warning("webhook dispatcher: database error (%s); retrying in %.1f s", exc, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2 + 0.5, 30.0)
                continue
            except Exception:  # the dispatcher must outlive a bug in one round
                log.exception("webhook dispatcher: unexpected error; retrying in %.1f s", backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2 + 0.5, 30.0)
                continue
            if not worked:
                self.wake.wait(self.poll)
                self.wake.clear()

    def step(self, pool: ThreadPoolExecutor) -> bool:
        """One round, one short transaction: record finished attempts, relay new events, claim what
        the senders can take. The claim commits before any of its jobs is sent."""
        finished = self._drain()
        batch = self._unrecorded + finished
        free = self.settings.concurrency - self._inflight
        if not batch and (free == 0 or not (self._more or self._probe())):
            return False
        uow = UnitOfWork(self.database, DISPATCHER)
        try:
            with uow:
                if not self.database.is_sqlite:
                    # Safe to lose on a database crash: a lost claim leaves the delivery due, a lost
                    # outcome sends it again, a lost relay relays again (its deliveries went with it).
                    # At-least-once holds; each round saves a WAL flush.
                    uow.session.execute(text("SET LOCAL synchronous_commit = off"))
                self.recorder.record(uow, batch)
                relayed = relay(uow)
                jobs = self.claimer.claim(uow, uuid.uuid4().hex, free) if free > 0 else []
        except BaseException:
            # Keep them for the next round; if the leases expire first, the deliveries are resent.
            self._unrecorded = batch
            raise
        self._unrecorded = []
        for job in jobs:
            self._inflight += 1
            pool.submit(self._attempt, job)
        # A full batch means more is probably waiting: skip the probe next round.
        self._more = relayed >= BATCH or (free > 0 and len(jobs) == free)
        return bool(batch or relayed or jobs)

    def _probe(self) -> bool:
        """Is there anything to relay or send? A read: an idle dispatcher must not take SQLite's
        write lock (or open a writing transaction) every poll."""
        probe = UnitOfWork(self.database, DISPATCHER).reading()
        with probe:
            repo = DeliveryRepository(probe.session, self.database.dialect)
            return repo.has_unrelayed() or repo.has_due(probe.now)

    def _drain(self) -> list[Outcome]:
        finished: list[Outcome] = []
        while True:
            try:
                finished.append(self._done.get_nowait())
            except queue.Empty:
                break
        self._inflight -= len(finished)
        return finished

    # -- sender threads ------------------------------------------------------------------------
    def _attempt(self, job: Job) -> None:
        assert self._deadlines is not None
        try:
            result = send(job, self._pool, self._deadlines, self.settings)
        except Exception as exc:  # a bug must not leave the delivery silently in flight
            log.exception("webhook attempt for delivery %s failed unexpectedly", job.delivery_id)
            now = time.time_ns() // 1_000_000
            result = Result(
                started_at=now, duration_ms=0, error=f"internal error: {exc}", dispatcher_fault=True
            )
        self._done.put(Outcome(job, result))
        self.wake.set()
