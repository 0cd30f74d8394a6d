"""`podium worker`: the webhook dispatcher as a process of its own, for several-server deployments.

Run as many as needed against PostgreSQL (they share the work through SKIP LOCKED); against SQLite
only one dispatches at a time and the rest stand by. Set PODIUM_WEBHOOK_DISPATCHER=off on the servers
when workers do the sending. SIGTERM or Ctrl-C stops claiming, lets attempts in flight finish and
records them.
"""

from __future__ import annotations

import logging
import signal
import sys
from dataclasses import replace
from types import FrameType

import click

from registry.config import ConfigError, Settings
from registry.db import migrate
from registry.db.engine import create_database
from registry.db.secrets import SecretBox
from registry.domain.errors import PodiumError
from registry.domain.webhook_settings import WebhookSettings
from webhooks.dispatcher import Dispatcher


@click.command("worker")
@click.option(
    "--database-url",
    default=None,
    envvar="PODIUM_DATABASE_URL",
    help="sqlite:///path.db or postgresql://user@host/db (default sqlite:///.podium/podium.db).",
)
@click.option("--concurrency", type=int, default=None, help="Parallel attempts (PODIUM_WEBHOOK_CONCURRENCY).")
def worker(database_url: str | None, concurrency: int | None) -> None:
    """Send webhooks: relay events, deliver, retry (the dispatcher, in this process)."""
    try:
        settings = Settings.from_env(database_url=database_url)
        webhook_settings = WebhookSettings.parse(settings.setting)
        box = SecretBox(settings.secret_key)
    except (ConfigError, PodiumError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    if concurrency is not None:
        webhook_settings = replace(webhook_settings, concurrency=max(1, concurrency))
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    database = create_database(settings.database_url, pool_size=4)
    if settings.auto_migrate:
        migrate.upgrade(database)
    dispatcher = Dispatcher(database, webhook_settings, box)

    def stop(_signum: int, _frame: FrameType | None) -> None:
        dispatcher.request_stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo(f"podium worker {dispatcher.name} dispatching webhooks", err=True)
    try:
        dispatcher.run()
    finally:
        database.dispose()
