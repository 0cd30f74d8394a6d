"""The unit of work: one `with uow:` block is one database transaction.

It opens the session, hands out repositories, and writes recorded events to the outbox and the
audit history inside the same transaction. Leaving the block normally commits; an exception rolls
everything back (including the events), so a change and its events are never separated.
"""

from __future__ import annotations

import time
from types import TracebackType

from sqlalchemy.orm import Session

from registry.db.engine import Database
from registry.db.repositories.events import EventRepository
from registry.db.repositories.history import HistoryRepository
from registry.db.repositories.models import ModelRepository
from registry.db.repositories.policies import PolicyRepository
from registry.db.repositories.promotions import PromotionRepository
from registry.db.repositories.tokens import TokenRepository
from registry.db.repositories.version_metrics import VersionMetricsRepository
from registry.db.repositories.versions import VersionRepository
from registry.domain.events import Event
from registry.domain.identity import Actor


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class UnitOfWork:
    session: Session
    models: ModelRepository
    versions: VersionRepository
    events: EventRepository
    tokens: TokenRepository
    policies: PolicyRepository
    promotions: PromotionRepository
    metrics: VersionMetricsRepository
    history: HistoryRepository

    def __init__(
        self,
        database: Database,
        actor: Actor,
        *,
        request_id: str | None = None,
        read_only: bool = False,
    ) -> None:
        self.database = database
        self.actor = actor
        self.request_id = request_id
        self.read_only = read_only
        self.now = 0
        self.recorded: list[tuple[str, Event]] = []
        self._locked = False

    def reading(self) -> UnitOfWork:
        """Mark this unit of work read-only: `with uow.reading():` for queries.

        On SQLite a reader then neither takes the write lock nor BEGIN IMMEDIATE, so reads run
        beside a writer (WAL); on PostgreSQL it runs in autocommit (one round trip per query).
        Readers must not write: their sessions never flush, and `record` refuses them.
        """
        self.read_only = True
        return self

    def __enter__(self) -> UnitOfWork:
        lock = self.database.write_lock
        if lock is not None and not self.read_only:
            lock.acquire()
            self._locked = True
        try:
            factory = self.database.read_sessions if self.read_only else self.database.write_sessions
            self.session = factory()
            dialect = self.database.dialect
            self.models = ModelRepository(self.session, dialect, on_lock=self._stamp_after_lock)
            self.versions = VersionRepository(self.session, dialect)
            self.events = EventRepository(self.session)
            self.tokens = TokenRepository(self.session)
            self.policies = PolicyRepository(self.session)
            self.promotions = PromotionRepository(self.session)
            self.metrics = VersionMetricsRepository(self.session)
            self.history = HistoryRepository(self.session)
            self.now = now_ms()
            self.recorded = []
        except BaseException:
            self._release()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is not None:
                self.session.rollback()
            elif not self.read_only:
                self.session.commit()
            # A reader just closes: its connection's transaction ends without expiring what it
            # loaded, so rows read inside the block stay usable after it.
        finally:
            self.session.close()
            self._release()

    def _stamp_after_lock(self) -> None:
        # A writer may have waited for the model's lock: stamp its changes from when it got it, so
        # a model's events are in time order as well as in id order ("who held @champion at T").
        self.now = max(self.now, now_ms())

    def _release(self) -> None:
        if self._locked and self.database.write_lock is not None:
            self.database.write_lock.release()
            self._locked = False

    def record(self, event: Event) -> str:
        """Write `event` to the outbox and the audit history now, in this transaction.

        The model's sequence is bumped here, so call it while the model row exists (before a
        delete, after a rename). Returns the event id.
        """
        if self.read_only:
            raise RuntimeError("a read-only unit of work cannot record events")
        bumped = self.models.bump_sequence(event.model) if event.model is not None else None
        model_key, sequence = bumped if bumped is not None else (None, None)
        event_id = self.events.append(
            event,
            actor=self.actor.name,
            now=self.now,
            sequence=sequence,
            model_key=model_key,
            request_id=self.request_id,
        )
        self.recorded.append((event_id, event))
        return event_id
