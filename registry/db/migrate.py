"""Schema migrations (Alembic), run exactly once even when several servers start together.

PostgreSQL: the upgrade runs while holding a session-level advisory lock, so servers starting at the
same moment on an empty database queue up; the first migrates, the others find nothing to do.
SQLite: an exclusive file lock beside the database file does the same for processes on one host.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from registry.db.engine import Database

# An arbitrary constant that names Podium's migration lock among advisory locks.
ADVISORY_LOCK_KEY = 0x70_6F_64_69_75_6D  # "podium"
MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revisions() -> set[str]:
    # Feature areas add their tables as separate branches off the first revision, so there may be
    # several heads; the schema is current when every head is applied.
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revisions(conn: Connection) -> set[str]:
    return set(MigrationContext.configure(conn).get_current_heads())


@contextmanager
def _exclusive(database: Database) -> Iterator[Connection]:
    if database.is_sqlite:
        db_file = Path(database.url.database or "")
        db_file.parent.mkdir(parents=True, exist_ok=True)
        with open(f"{db_file}.migrate-lock", "a+") as lock_file:
            fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX)
            try:
                with database.engine.connect() as conn:
                    yield conn
            finally:
                fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)
        return
    with database.engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
        conn.commit()
        try:
            yield conn
        finally:
            conn.rollback()
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
            conn.commit()


def upgrade(database: Database) -> tuple[set[str], set[str]]:
    """Apply every pending migration; returns (revisions before, revisions after)."""
    with _exclusive(database) as conn:
        before = current_revisions(conn)
        conn.commit()
        if before != head_revisions():
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "heads")
            conn.commit()
        after = current_revisions(conn)
        conn.commit()
    return before, after


def is_up_to_date(database: Database) -> bool:
    with database.engine.connect() as conn:
        return current_revisions(conn) == head_revisions()
