"""How a `podium` command reaches a running registry: --url and --token, and clear failures."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click
from rich.console import Console

from registry.client import RegistryClient, RegistryError, RegistryUnavailable

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_URL = "http://127.0.0.1:5000"
err_console = Console(stderr=True)


def with_client(command: F) -> F:
    """Add --url/--token and hand the command a `client`; registry errors end it with exit 1."""

    @click.option(
        "--url",
        envvar="PODIUM_URL",
        default=DEFAULT_URL,
        show_default=True,
        help="Podium's base URL (PODIUM_URL).",
    )
    @click.option(
        "--token",
        envvar=["PODIUM_TOKEN", "MLFLOW_TRACKING_TOKEN"],
        default=None,
        help="Your token (PODIUM_TOKEN, or MLFLOW_TRACKING_TOKEN).",
    )
    @functools.wraps(command)
    def run(*args: Any, url: str, token: str | None, **kwargs: Any) -> Any:
        client = RegistryClient(url, token)
        try:
            return command(*args, client=client, **kwargs)
        except RegistryError as exc:
            err_console.print(f"[bold red]error:[/] {exc.message}", highlight=False)
            for field, problems in sorted(exc.errors.items()):
                if field != "blockers":
                    err_console.print(f"  {field}: {problems}", highlight=False)
            sys.exit(1)
        except RegistryUnavailable as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
            sys.exit(1)

    return run  # type: ignore[return-value]
