"""The dispatcher inside `podium server`: a background thread in each gunicorn worker process.

`podium server` finds this hook through the `podium.server_worker_hooks` entry point (see
registry/plugins.py), so the registry never imports this package. Each gunicorn worker runs the hook
once it has loaded the app and starts a dispatcher thread on the app's own database object, sharing
its connection pool and, on SQLite, its in-process write lock. On SQLite only the thread holding the
database's dispatcher lock works and the others stand by (one takes over if its worker is replaced);
on PostgreSQL every worker's dispatcher works, sharing due deliveries through SKIP LOCKED.
`PODIUM_WEBHOOK_DISPATCHER=off` leaves sending to `podium worker` processes.

The thread lives in the workers, not in gunicorn's master, because the master forks new workers at
any time and forking a process that runs threads can copy locks in a held state.
"""

from __future__ import annotations

import atexit
import logging
from typing import Any

from registry.config import Settings
from registry.db.engine import Database, create_database
from registry.db.secrets import SecretBox
from registry.domain.errors import PodiumError
from registry.domain.webhook_settings import WebhookSettings
from webhooks.dispatcher import Dispatcher

log = logging.getLogger(__name__)


def _database(worker: Any, settings: Settings) -> Database:
    runtime = getattr(getattr(worker, "wsgi", None), "extensions", {}).get("podium")
    database = getattr(runtime, "database", None)
    if isinstance(database, Database):
        return database
    return create_database(settings.database_url, pool_size=4)


def start_in_worker(server: Any, worker: Any, settings: Settings) -> None:
    """gunicorn post_worker_init hook: start this worker's dispatcher thread."""
    try:
        webhook_settings = WebhookSettings.parse(settings.setting)
        box = SecretBox(settings.secret_key)
    except PodiumError as exc:
        log.error("webhook dispatcher not started: %s", exc.message)
        return
    if webhook_settings.dispatcher == "off":
        return
    dispatcher = Dispatcher(_database(worker, settings), webhook_settings, box).start()
    # A worker leaving gracefully lets attempts in flight finish and records them.
    atexit.register(dispatcher.stop, webhook_settings.timeout + 5)
