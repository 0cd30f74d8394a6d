"""What a running Podium process holds: its settings, database and artifact store.

Built once by `create_app` or the CLI and handed to whatever needs it; no module reaches for a
global engine or client.
"""

from __future__ import annotations

from dataclasses import dataclass

from registry.config import Settings
from registry.db.engine import Database, create_database
from registry.db.uow import UnitOfWork
from registry.domain.identity import Actor
from registry.storage.base import ArtifactStore
from registry.storage.factory import open_store


@dataclass
class Runtime:
    settings: Settings
    database: Database
    store: ArtifactStore

    @classmethod
    def open(cls, settings: Settings) -> Runtime:
        database = create_database(settings.database_url, pool_size=max(5, settings.threads + 2))
        store = open_store(settings.artifacts_uri, s3_endpoint_url=settings.s3_endpoint_url)
        return cls(settings=settings, database=database, store=store)

    def uow(self, actor: Actor, request_id: str | None = None) -> UnitOfWork:
        return UnitOfWork(self.database, actor, request_id=request_id)

    def close(self) -> None:
        self.database.dispose()
