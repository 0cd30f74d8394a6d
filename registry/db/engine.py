"""Engines for SQLite and PostgreSQL, with the settings that make each safe under concurrency.

SQLite: WAL (readers never block the writer), a busy timeout, and every writing transaction opened
with BEGIN IMMEDIATE. A deferred transaction that reads and then writes can fail with SQLITE_BUSY
regardless of the busy timeout, so writers take the write lock up front; inside one process writers
also queue on a lock, so they wait in line instead of polling SQLite's busy handler.

PostgreSQL: psycopg 3, a connection pool, READ COMMITTED; writers serialise per model on the model's
row lock (see the repositories); readers run in autocommit.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000


def normalise_url(url: str) -> URL:
    """Accept `postgresql://` and `postgres://` as psycopg 3 URLs; keep others as given."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to SQLAlchemy's begin event (the pysqlite recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # LIKE is case-sensitive in MLflow's grammar (ILIKE is the insensitive one).
        cursor.execute("PRAGMA case_sensitive_like=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Any) -> None:
        if conn.get_execution_options().get("podium_read_only"):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


@dataclass
class Database:
    """An engine plus session factories for writing and read-only transactions."""

    url: URL
    engine: Engine
    write_sessions: sessionmaker[Session]
    read_sessions: sessionmaker[Session]
    # Serialises writers inside this process on SQLite (None on PostgreSQL).
    write_lock: threading.Lock | None = field(default=None)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def dispose(self) -> None:
        self.engine.dispose()


def create_database(url: str, *, pool_size: int = 10, echo: bool = False) -> Database:
    """Create the engine for `url` (sqlite:///path or postgresql://...)."""
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            raise ValueError("Podium needs a file-backed SQLite database (sqlite:///path.db).")
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, echo=echo, pool_size=pool_size, max_overflow=20)
        _configure_sqlite(engine)
        lock: threading.Lock | None = threading.Lock()
    elif parsed.get_backend_name() == "postgresql":
        engine = create_engine(
            parsed,
            echo=echo,
            pool_size=pool_size,
            max_overflow=20,
            pool_pre_ping=True,
            # A server restart or idle cut must not surface as a 500 on the next request.
            pool_recycle=1800,
        )
        lock = None
    else:
        raise ValueError(
            f"Unsupported database URL scheme {parsed.drivername!r}: use sqlite:/// or postgresql://"
        )
    read_options: dict[str, Any] = {"podium_read_only": True}
    if lock is None:
        # PostgreSQL readers run in autocommit: no BEGIN and no ROLLBACK round trips (a lookup by
        # alias is one statement instead of three). Under READ COMMITTED every statement takes its
        # own snapshot anyway, so a multi-statement read sees exactly what it saw in a transaction.
        read_options["isolation_level"] = "AUTOCOMMIT"
    read_engine = engine.execution_options(**read_options)
    return Database(
        url=parsed,
        engine=engine,
        write_sessions=sessionmaker(engine, expire_on_commit=False),
        # No autoflush for readers: an object a reader changed by mistake is never written (in
        # autocommit it would be committed at once); reads never need pending changes flushed.
        read_sessions=sessionmaker(read_engine, expire_on_commit=False, autoflush=False),
        write_lock=lock,
    )
