"""How dispatchers share a database: exactly one on SQLite, woken by NOTIFY on PostgreSQL.

SQLite has one writer and no row locks, so one dispatcher serves a database file. Every dispatcher
(the thread in each gunicorn worker of `podium server`, or a `podium worker`) asks for an exclusive
lock on a file beside the database; the one that gets it dispatches and the others stand by,
retrying, so one takes over when the holder's process ends. The holder knows no other dispatcher
runs, so it can requeue whatever was in flight at once instead of waiting for leases to expire.

On PostgreSQL every dispatcher works (claims use SKIP LOCKED) and LISTENs on a channel that triggers
on `outbox_events` and `deliveries` notify at commit (migration 0004_webhooks), so a new event is
picked up within milliseconds instead of at the next poll.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from pathlib import Path
from typing import IO

import psycopg

from registry.db.engine import Database
from registry.db.repositories.deliveries import WAKE_CHANNEL

log = logging.getLogger(__name__)


class DispatcherLock:
    """An exclusive lock on `<database file>.dispatcher-lock`, released when the process ends."""

    def __init__(self, database: Database) -> None:
        self.path = Path(f"{database.url.database}.dispatcher-lock")
        self._file: IO[str] | None = None

    def try_acquire(self) -> bool:
        if self._file is not None:
            return True
        handle = open(self.path, "a+")  # noqa: SIM115  (held open while the lock is held)
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle
        return True

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None


class Listener:
    """LISTENs for wake-ups on PostgreSQL and sets `wake` for each; reconnects after errors."""

    def __init__(self, database: Database, wake: threading.Event) -> None:
        self._conninfo = database.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._wake = wake
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="webhook-listener", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True) as conn:
                    conn.execute(f"LISTEN {WAKE_CHANNEL}")
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=0.5):
                            self._wake.set()
            except psycopg.Error as exc:
                log.warning("webhook listener lost its connection (%s); polling until it is back", exc)
                self._stop.wait(1.0)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
