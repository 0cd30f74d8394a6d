"""`podium webhooks ...`: subscriptions and their delivery log (run on the server host; talks to the
database directly, like `podium tokens`). PODIUM_SECRET_KEY must match the server's."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Column, Table

from registry.domain.errors import PodiumError
from registry.domain.identity import SYSTEM
from registry.domain.webhook_settings import parse_duration
from registry.domain.webhooks import Delivery, Webhook
from registry.runtime import Runtime
from registry.services import deliveries as delivery_service
from registry.services import webhooks as webhook_service
from registry.services.webhooks import GitHubSpec, Keys

console = Console()
err_console = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])


def _when(ms: int | None) -> str:
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def parse_since(value: str) -> int:
    """An ISO 8601 time (UTC unless it says otherwise), or a duration ago such as 2h or 3d."""
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        try:
            return int((time.time() - parse_duration(value, "--since")) * 1000)
        except PodiumError:
            raise click.BadParameter("use an ISO 8601 time or a duration ago such as 90m, 2h, 3d") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1000)


@contextmanager
def _session(database_url: str | None) -> Iterator[tuple[Runtime, Keys]]:
    from registry.cli import _fail, _runtime_for_admin

    runtime: Runtime = _runtime_for_admin(database_url)
    try:
        keys = Keys.from_settings(runtime.settings)
        yield runtime, keys
    except PodiumError as exc:
        _fail(exc.message)
    finally:
        runtime.close()


def _database(f: F) -> F:
    return click.option("--database-url", default=None, envvar="PODIUM_DATABASE_URL")(f)


def _print_webhook(w: Webhook) -> None:
    target = f"github:{w.github.owner}/{w.github.repo}" if w.github else w.url
    state = "active" if w.active else f"disabled: {w.disabled_reason or ''}"
    console.print(f"[bold]{w.id}[/] {w.name}\n  {target}\n  events: {', '.join(w.events)}")
    if w.model_filter:
        console.print(f"  models: {w.model_filter}")
    console.print(f"  {state}")


@click.group()
def webhooks() -> None:
    """Webhook subscriptions and deliveries."""


@webhooks.command("create")
@click.option("--url", default=None, help="The receiver (https://..., or http:// if allowed).")
@click.option("--event", "events", multiple=True, required=True, help="Event type or pattern (repeat).")
@click.option("--model", "model_filter", default=None, help="Only events about this model ('*' wildcards).")
@click.option("--name", default=None)
@click.option("--description", default=None)
@click.option("--secret", default=None, help="Signing secret (default: a fresh whsec_ secret).")
@click.option("--disabled", is_flag=True, help="Create it disabled.")
@click.option("--github-repo", default=None, help="owner/repo: start workflows with repository_dispatch.")
@click.option("--github-token", default=None, envvar="PODIUM_GITHUB_TOKEN", help="Token for --github-repo.")
@click.option(
    "--github-event-type", default=None, help="repository_dispatch event_type (default: the event type)."
)
@click.option("--github-api-url", default=None, help="GitHub Enterprise API URL.")
@_database
def create(
    url: str | None,
    events: tuple[str, ...],
    model_filter: str | None,
    name: str | None,
    description: str | None,
    secret: str | None,
    disabled: bool,
    github_repo: str | None,
    github_token: str | None,
    github_event_type: str | None,
    github_api_url: str | None,
    database_url: str | None,
) -> None:
    """Subscribe a receiver; prints its signing secret once."""
    github = None
    if github_repo is not None:
        owner, _, repo = github_repo.partition("/")
        github = GitHubSpec(owner, repo, github_token, github_event_type, github_api_url)
    with _session(database_url) as (runtime, keys):
        created = webhook_service.create_webhook(
            runtime.uow(SYSTEM),
            keys,
            url=url,
            events=list(events),
            name=name,
            description=description,
            model_filter=model_filter,
            secret=secret,
            active=not disabled,
            github=github,
        )
    _print_webhook(created.webhook)
    if created.secret:
        err_console.print("Signing secret (store it now; it cannot be shown again):")
        click.echo(created.secret)


@webhooks.command("list")
@_database
def list_(database_url: str | None) -> None:
    """List subscriptions (never their secrets)."""
    table = Table("name", "target", "events", "model", "state")
    table.columns.insert(0, Column("id", no_wrap=True, min_width=27))
    with _session(database_url) as (runtime, _keys):
        token: str | None = None
        while True:
            page = webhook_service.list_webhooks(runtime.uow(SYSTEM), 1000, token)
            for w in page.items:
                target = f"github:{w.github.owner}/{w.github.repo}" if w.github else w.url
                state = "active" if w.active else "disabled"
                table.add_row(w.id, w.name, target, ", ".join(w.events), w.model_filter or "", state)
            token = page.next_page_token
            if token is None:
                break
    console.print(table)


@webhooks.command("show")
@click.argument("webhook_id")
@_database
def show(webhook_id: str, database_url: str | None) -> None:
    """Show one subscription."""
    with _session(database_url) as (runtime, _keys):
        _print_webhook(webhook_service.get_webhook(runtime.uow(SYSTEM), webhook_id))


@webhooks.command("update")
@click.argument("webhook_id")
@click.option("--url", default=None)
@click.option("--event", "events", multiple=True, help="Replace the event types (repeat).")
@click.option("--model", "model_filter", default=None, help="Model filter ('' removes it).")
@click.option("--name", default=None)
@click.option("--description", default=None)
@click.option("--enable/--disable", "active", default=None, help="Enable (clears failures) or disable.")
@_database
def update(
    webhook_id: str,
    url: str | None,
    events: tuple[str, ...],
    model_filter: str | None,
    name: str | None,
    description: str | None,
    active: bool | None,
    database_url: str | None,
) -> None:
    """Change a subscription; only the options given change."""
    changes: dict[str, Any] = {
        k: v
        for k, v in {
            "url": url,
            "events": list(events) or None,
            "model_filter": model_filter,
            "name": name,
            "description": description,
            "active": active,
        }.items()
        if v is not None
    }
    with _session(database_url) as (runtime, keys):
        _print_webhook(webhook_service.update_webhook(runtime.uow(SYSTEM), keys, webhook_id, **changes))


@webhooks.command("rotate-secret")
@click.argument("webhook_id")
@_database
def rotate_secret(webhook_id: str, database_url: str | None) -> None:
    """New signing secret; the old one keeps signing too for 24 hours."""
    with _session(database_url) as (runtime, keys):
        rotated = webhook_service.rotate_secret(runtime.uow(SYSTEM), keys, webhook_id)
    err_console.print("New signing secret (store it now; it cannot be shown again):")
    click.echo(rotated.secret)


@webhooks.command("delete")
@click.argument("webhook_id")
@_database
def delete(webhook_id: str, database_url: str | None) -> None:
    """Delete a subscription and its delivery log."""
    with _session(database_url) as (runtime, _keys):
        webhook_service.delete_webhook(runtime.uow(SYSTEM), webhook_id)
    err_console.print(f"Deleted webhook {webhook_id}.")


@webhooks.command("test")
@click.argument("webhook_id")
@click.option("--event-type", default=None, help="The event the ping stands for.")
@_database
def test(webhook_id: str, event_type: str | None, database_url: str | None) -> None:
    """Send a test ping through the dispatcher and wait for its attempt."""
    with _session(database_url) as (runtime, keys):
        delivery_id, event_id = delivery_service.send_ping(runtime.uow(SYSTEM), webhook_id, event_type)
        outcome = delivery_service.await_ping(
            runtime.uow(SYSTEM), delivery_id, event_id, keys.settings.ping_wait
        )
    status = outcome.status_code if outcome.status_code is not None else "-"
    line = f"delivery {delivery_id} ({event_id}): status {status}"
    if outcome.duration_ms is not None:
        line += f" in {outcome.duration_ms} ms"
    if outcome.error:
        line += f": {outcome.error}"
    (console if outcome.success else err_console).print(line)
    if not outcome.success:
        raise SystemExit(1)


def _delivery_row(table: Table, d: Delivery) -> None:
    table.add_row(
        str(d.id),
        d.webhook_id,
        d.event_type,
        d.event_id,
        d.status.value + (" (test)" if d.test else ""),
        str(d.attempts),
        str(d.last_status_code or ""),
        (d.last_error or "")[:80],
        _when(d.created_at),
    )


@webhooks.command("deliveries")
@click.option("--webhook", "webhook_id", default=None)
@click.option("--status", default=None, help="pending, in_flight, delivered, failed (comma-separated).")
@click.option("--event-type", default=None)
@click.option("--event-id", default=None)
@click.option("--since", default=None, help="ISO time, or a duration ago (2h, 3d).")
@click.option("--limit", type=int, default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="JSON lines instead of a table.")
@_database
def deliveries(
    webhook_id: str | None,
    status: str | None,
    event_type: str | None,
    event_id: str | None,
    since: str | None,
    limit: int,
    as_json: bool,
    database_url: str | None,
) -> None:
    """The delivery log, newest first."""
    with _session(database_url) as (runtime, _keys):
        page = delivery_service.list_deliveries(
            runtime.uow(SYSTEM),
            webhook_id=webhook_id,
            status=status,
            event_type=event_type,
            event_id=event_id,
            since=parse_since(since) if since else None,
            max_results=limit,
        )
    if as_json:
        for d in page.items:
            click.echo(json.dumps({**d.__dict__, "status": d.status.value, "attempt_log": None}))
        return
    table = Table("id", "webhook", "event", "event id", "status", "tries", "code", "last error", "created")
    for d in page.items:
        _delivery_row(table, d)
    console.print(table)


@webhooks.command("delivery")
@click.argument("delivery_id", type=int)
@_database
def delivery(delivery_id: int, database_url: str | None) -> None:
    """One delivery with every attempt."""
    with _session(database_url) as (runtime, _keys):
        d = delivery_service.get_delivery(runtime.uow(SYSTEM), delivery_id)
    console.print(f"delivery {d.id}: {d.event_type} {d.event_id} → {d.webhook_id}: {d.status.value}")
    table = Table("#", "started", "ms", "code", "error", "redelivery", "dispatcher")
    for a in d.attempt_log:
        table.add_row(
            str(a.number),
            _when(a.started_at),
            str(a.duration_ms),
            str(a.status_code or ""),
            a.error or "",
            "yes" if a.redelivery else "",
            a.dispatcher,
        )
    console.print(table)


@webhooks.command("redeliver")
@click.argument("delivery_id", type=int)
@_database
def redeliver(delivery_id: int, database_url: str | None) -> None:
    """Send one finished delivery again (same webhook-id)."""
    with _session(database_url) as (runtime, _keys):
        d = delivery_service.redeliver(runtime.uow(SYSTEM), delivery_id)
    err_console.print(f"Delivery {d.id} queued again.")


@webhooks.command("redeliver-failed")
@click.argument("webhook_id")
@click.option("--since", required=True, help="ISO time, or a duration ago (2h, 3d).")
@_database
def redeliver_failed(webhook_id: str, since: str, database_url: str | None) -> None:
    """Send again every failed delivery of a subscription since a time."""
    with _session(database_url) as (runtime, _keys):
        count = delivery_service.redeliver_failed(runtime.uow(SYSTEM), webhook_id, parse_since(since))
    err_console.print(f"{count} deliveries queued again.")
