"""The `podium` command: server, db, tokens (feature areas add their own groups)."""

from __future__ import annotations

import sys
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from registry import plugins
from registry.commands import deploy
from registry.commands.gate import gate
from registry.commands.promote import promote
from registry.commands.webhooks import webhooks
from registry.config import ConfigError, Settings
from registry.db import migrate
from registry.db.engine import create_database
from registry.domain.errors import PodiumError
from registry.domain.identity import SYSTEM

console = Console()
err_console = Console(stderr=True)


def _fail(message: str) -> None:
    err_console.print(f"[bold red]error:[/] {message}")
    sys.exit(2)


def _settings(**overrides: Any) -> Settings:
    try:
        return Settings.from_env(**overrides)
    except ConfigError as exc:
        _fail(str(exc))
        raise  # unreachable


def _database_option(f: Any) -> Any:
    f = click.option(
        "--backend-store-uri",
        "database_url_mlflow",
        default=None,
        help="Same as --database-url (MLflow's name).",
    )(f)
    return click.option(
        "--database-url",
        default=None,
        envvar="PODIUM_DATABASE_URL",
        help="sqlite:///path.db or postgresql://user@host/db (default sqlite:///.podium/podium.db).",
    )(f)


@click.group()
@click.version_option(package_name="podium")
def main() -> None:
    """Podium: a model registry with approvals, metric gates and signed webhooks."""


@main.command()
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option("--port", "-p", type=int, default=None, help="Port (default 5000).")
@click.option("--workers", "-w", type=int, default=None, help="gunicorn worker processes.")
@click.option("--threads", type=int, default=None, help="Threads per worker.")
@_database_option
@click.option(
    "--artifacts-uri",
    default=None,
    help="Where artifacts live: a folder, or s3://bucket/prefix (default .podium/artifacts).",
)
@click.option("--default-artifact-root", default=None, help="Same as --artifacts-uri (MLflow).")
@click.option("--artifacts-destination", default=None, help="Same as --artifacts-uri (MLflow).")
@click.option("--s3-endpoint-url", default=None, help="Endpoint of an S3-compatible store.")
@click.option("--auth/--no-auth", default=None, help="Require tokens (required off loopback).")
@click.option("--serve-artifacts", is_flag=True, hidden=True, help="Accepted for MLflow; always on.")
def server(
    host: str | None,
    port: int | None,
    workers: int | None,
    threads: int | None,
    database_url: str | None,
    database_url_mlflow: str | None,
    artifacts_uri: str | None,
    default_artifact_root: str | None,
    artifacts_destination: str | None,
    s3_endpoint_url: str | None,
    auth: bool | None,
    serve_artifacts: bool,
) -> None:
    """Run the registry server (migrating the database first)."""
    settings = _settings(
        host=host,
        port=port,
        workers=workers,
        threads=threads,
        # --database-url also reads PODIUM_DATABASE_URL, so an explicit MLflow flag must win over it.
        database_url=database_url_mlflow or database_url,
        artifacts_uri=artifacts_uri or artifacts_destination or default_artifact_root,
        s3_endpoint_url=s3_endpoint_url,
        auth=auth,
    )
    if settings.auto_migrate:
        _upgrade(settings, quiet=True)
    from registry.server import post_worker_init_hooks, run

    post_worker_init_hooks.extend(plugins.load(plugins.SERVER_WORKER_HOOKS))

    err_console.print(
        f"Podium listening on http://{settings.host}:{settings.port} "
        f"(database {_redact(settings.database_url)}, artifacts {settings.artifacts_uri}, "
        f"auth {'on' if settings.auth else 'off'})"
    )
    run(settings)


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _upgrade(settings: Settings, quiet: bool = False) -> None:
    database = create_database(settings.database_url, pool_size=1)
    try:
        before, after = migrate.upgrade(database)
    finally:
        database.dispose()
    if not quiet or before != after:
        err_console.print(
            f"database at {', '.join(sorted(after)) or 'empty'}"
            + (f" (was {', '.join(sorted(before)) or 'empty'})" if before != after else "")
        )


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@_database_option
def db_upgrade(database_url: str | None, database_url_mlflow: str | None) -> None:
    """Apply pending migrations (safe to run from several hosts at once)."""
    _upgrade(_settings(database_url=database_url_mlflow or database_url))


@main.group()
def tokens() -> None:
    """API tokens (run on the server host; talks to the database directly)."""


def _runtime_for_admin(database_url: str | None) -> Any:
    from registry.runtime import Runtime

    settings = _settings(database_url=database_url)
    _upgrade(settings, quiet=True)
    return Runtime.open(settings)


@tokens.command("create")
@click.option("--name", required=True, help="Who or what holds the token (e.g. alice, ci).")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["reader", "contributor", "reviewer", "admin", "promoter"]),
)
@click.option("--database-url", default=None, envvar="PODIUM_DATABASE_URL")
def tokens_create(name: str, role: str, database_url: str | None) -> None:
    """Create a token and print its secret (shown only this once)."""
    from registry.services import tokens as token_service

    runtime = _runtime_for_admin(database_url)
    try:
        token, secret = token_service.create_token(runtime.uow(SYSTEM), name, role)
    except PodiumError as exc:
        _fail(exc.message)
    finally:
        runtime.close()
    err_console.print(f"Created token [bold]{token.name}[/] with role {token.role.value}.")
    err_console.print("Store the secret now; it cannot be shown again:")
    click.echo(secret)


@tokens.command("list")
@click.option("--all", "include_revoked", is_flag=True, help="Include revoked tokens.")
@click.option("--database-url", default=None, envvar="PODIUM_DATABASE_URL")
def tokens_list(include_revoked: bool, database_url: str | None) -> None:
    """List tokens (names, roles, prefixes; never secrets)."""
    from registry.services import tokens as token_service

    runtime = _runtime_for_admin(database_url)
    try:
        rows = token_service.list_tokens(runtime.uow(SYSTEM), include_revoked)
    finally:
        runtime.close()
    table = Table("name", "role", "prefix", "created by", "revoked")
    for t in rows:
        table.add_row(t.name, t.role.value, t.prefix + "…", t.created_by, "yes" if t.revoked_at else "")
    console.print(table)


@tokens.command("revoke")
@click.argument("name")
@click.option("--database-url", default=None, envvar="PODIUM_DATABASE_URL")
def tokens_revoke(name: str, database_url: str | None) -> None:
    """Revoke a token: requests carrying it are refused from now on."""
    from registry.services import tokens as token_service

    runtime = _runtime_for_admin(database_url)
    try:
        token_service.revoke_token(runtime.uow(SYSTEM), name)
    except PodiumError as exc:
        _fail(exc.message)
    finally:
        runtime.close()
    err_console.print(f"Revoked token {name}.")


main.add_command(promote)
main.add_command(gate)
main.add_command(webhooks)
for _command in [*deploy.COMMANDS, *plugins.load(plugins.COMMANDS)]:
    main.add_command(_command)

if __name__ == "__main__":
    main()
