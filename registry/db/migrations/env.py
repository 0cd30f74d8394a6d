"""Alembic environment: runs on the connection handed over by registry.db.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from registry.db.base import Base
from registry.db.engine import normalise_url
from registry.db.tables import __all__ as _tables  # noqa: F401  (registers every table)

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection or sqlalchemy.url given to the migration environment")
    engine = create_engine(normalise_url(url))
    with engine.connect() as conn:
        _run_on(conn)
    engine.dispose()


def _run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite can only ALTER through table copies
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
