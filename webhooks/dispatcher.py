"""The dispatcher: relay events, claim due deliveries, send them in parallel, record outcomes.

One coordinating thread does all database work, in short transactions and never during HTTP:
relay (events → deliveries), claim (a lease, committed before sending), record (outcomes, in
batches). A pool of sender threads makes the attempts. When there is nothing to do the coordinator
sleeps until a sender finishes, PostgreSQL notifies, or the poll interval passes.

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

import requests
from sqlalchemy.exc import SQLAlchemyError

from registry.db.engine import Database
from registry.db.repositories.deliveries import DeliveryRepository
from registry.db.secrets import SecretBox
from registry.db.uow import UnitOfWork
from registry.domain.webhook_settings import WebhookSettings
from webhooks.claims import Claimer
from webhooks.coordination import DispatcherLock, Listener
from webhooks.outcomes import Outcome, Recorder
from webhooks.relay import DISPATCHER, relay
from webhooks.sender import Job, Result, send
from webhooks.ssrf import Deadlines, guarded_session

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
        self._local = threading.local()
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
        if lock is not None:
            while not lock.try_acquire():
                log.info("another dispatcher serves this database; standing by")
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
            self._collect()
            self._deadlines.close()
            if listener is not None:
                listener.close()
            if lock is not None:
                lock.release()
            log.info("webhook dispatcher %s stopped", self.name)

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
        """One round: record finished attempts, relay, claim what the senders can take."""
        worked = self._collect()
        if relay(self.database) > 0:
            worked = True
        free = self.settings.concurrency - self._inflight
        if free > 0:
            jobs = self.claimer.claim(uuid.uuid4().hex, free)
            for job in jobs:
                self._inflight += 1
                pool.submit(self._attempt, job)
            worked = worked or bool(jobs)
        return worked

    def _collect(self) -> bool:
        finished: list[Outcome] = []
        while True:
            try:
                finished.append(self._done.get_nowait())
            except queue.Empty:
                break
        self._inflight -= len(finished)
        batch = self._unrecorded + finished
        if not batch:
            return False
        try:
            self.recorder.record(batch)
            self._unrecorded = []
        except SQLAlchemyError:
            # Keep them for the next round; if the leases expire first, the deliveries are resent.
            self._unrecorded = batch
            raise
        return True

    # -- sender threads ------------------------------------------------------------------------
    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = guarded_session()
        return session

    def _attempt(self, job: Job) -> None:
        assert self._deadlines is not None
        try:
            result = send(job, self._session(), self._deadlines, self.settings)
        except Exception as exc:  # a bug must not leave the delivery silently in flight
            log.exception("webhook attempt for delivery %s failed unexpectedly", job.delivery_id)
            now = time.time_ns() // 1_000_000
            result = Result(
                started_at=now, duration_ms=0, error=f"internal error: {exc}", dispatcher_fault=True
            )
        self._done.put(Outcome(job, result))
        self.wake.set()
