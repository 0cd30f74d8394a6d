"""`podium fetch`, `podium serve`, `podium predict`: what deploy jobs run against the registry.

They talk to a running registry over HTTP (`--url`, default http://127.0.0.1:5000, or PODIUM_URL /
MLFLOW_TRACKING_URI) with a reader token (`--token`, or PODIUM_TOKEN /
MLFLOW_TRACKING_TOKEN). Each resolves the model URI once and prints the pinned `models:/<name>/<n>`
on stdout, so a pipeline can record exactly what it deployed. Exit status: 0 on success, 1 when the
registry refused, a file failed verification or the input was bad, 2 for usage errors.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from registry.deploy.connection import DEFAULT_URL, RegistryConnection
from registry.deploy.fetch import ResolvedVersion, ensure_cached, fetch_version, resolve
from registry.domain.errors import PodiumError
from registry.domain.model_uris import parse_model_uri

err_console = Console(stderr=True, soft_wrap=True)


def _fail(message: str) -> NoReturn:
    # Messages carry values from the input ("row 3 has [1, 2]"): never read them as rich markup.
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    sys.exit(1)


def _say(message: str) -> None:
    err_console.print(message, highlight=False, markup=False)


def _registry_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option(
        "--token",
        envvar=["PODIUM_TOKEN", "MLFLOW_TRACKING_TOKEN"],
        default=None,
        help="A reader token (PODIUM_TOKEN or MLFLOW_TRACKING_TOKEN).",
    )(f)
    return click.option(
        "--url",
        "--registry-url",
        "registry_url",
        envvar=["PODIUM_URL", "MLFLOW_TRACKING_URI"],
        default=DEFAULT_URL,
        show_default=True,
        help="The registry's base URL (PODIUM_URL, or MLFLOW_TRACKING_URI).",
    )(f)


def _cache_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--cache-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Where verified copies of fetched versions are kept (default ~/.cache/podium/models).",
    )(f)


def _default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "podium" / "models"


@contextmanager
def _reported() -> Iterator[None]:
    """Registry and input errors become one line on stderr and exit status 1."""
    try:
        yield
    except PodiumError as exc:
        _fail(exc.message)
    except ImportError as exc:
        _fail(f"{exc}. Scoring needs the serve extra: pip install 'podium[serve]'.")


def _byte_progress(total: int, label: str) -> Progress:
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        # Scheduled jobs log to files: a bar there is noise; the final summary line says it all.
        disable=not err_console.is_terminal,
    )
    progress.add_task(label, total=total)
    return progress


def _resolve(connection: RegistryConnection, uri: str) -> ResolvedVersion:
    resolved = resolve(connection, parse_model_uri(uri))
    _say(
        f"{uri} is version {resolved.version} of {resolved.name!r} "
        f"({len(resolved.files)} files, manifest sha256 {resolved.sha256})"
    )
    return resolved


def _fetch_cached(connection: RegistryConnection, resolved: ResolvedVersion, cache_dir: Path) -> Any:
    with _byte_progress(resolved.total_bytes, "fetching") as progress:
        task = progress.task_ids[0]
        return ensure_cached(connection, resolved, cache_dir, progress=lambda n: progress.advance(task, n))


@click.command("fetch")
@click.argument("model_uri")
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(path_type=Path),
    help="Directory to create with the model's files (must not exist or be empty).",
)
@click.option(
    "--overwrite", is_flag=True, help="Replace OUTPUT if it exists (only once the new copy is verified)."
)
@_registry_options
def fetch(model_uri: str, output: Path, overwrite: bool, registry_url: str, token: str | None) -> None:
    """Download MODEL_URI (models:/<name>@<alias>, /<version> or /<stage>) into OUTPUT, verified.

    Prints the pinned models:/<name>/<version> on stdout.
    """
    with _reported(), RegistryConnection(registry_url, token) as connection:
        resolved = _resolve(connection, model_uri)
        with _byte_progress(resolved.total_bytes, "fetching") as progress:
            task = progress.task_ids[0]
            fetched = fetch_version(
                connection,
                resolved,
                output,
                overwrite=overwrite,
                progress=lambda n: progress.advance(task, n),
            )
    _say(
        f"Verified {len(resolved.files)} files ({resolved.total_bytes} bytes) against the registry's "
        f"manifest into {fetched.path}"
    )
    click.echo(resolved.uri)


@click.command("serve")
@click.argument("model_uri")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", "-p", type=int, default=8080, show_default=True)
@click.option("--workers", "-w", type=click.IntRange(min=1), default=2, show_default=True, help="Processes.")
@click.option(
    "--threads", type=click.IntRange(min=1), default=4, show_default=True, help="Threads per worker."
)
@click.option("--follow", is_flag=True, help="Swap to the new version when the alias or stage moves.")
@click.option(
    "--poll-interval",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    help="Seconds between registry checks with --follow.",
)
@_cache_option
@_registry_options
def serve(
    model_uri: str,
    host: str,
    port: int,
    workers: int,
    threads: int,
    follow: bool,
    poll_interval: float,
    cache_dir: Path | None,
    registry_url: str,
    token: str | None,
) -> None:
    """Serve MODEL_URI over REST: POST /invocations, GET /ping, /health, /version."""
    with _reported():
        from registry.scoring.server import ServeOptions, run

        reference = parse_model_uri(model_uri)
        cache_root = (cache_dir or _default_cache()).absolute()
        with RegistryConnection(registry_url, token) as connection:
            resolved = _resolve(connection, model_uri)
            _fetch_cached(connection, resolved, cache_root)
        options = ServeOptions(
            registry_url=registry_url,
            token=token,
            reference=reference,
            pinned=resolved,
            cache_root=cache_root,
            host=host,
            port=port,
            workers=workers,
            threads=threads,
            follow=follow,
            poll_interval=poll_interval,
        )
        click.echo(resolved.uri)
        _say(
            f"Serving {resolved.uri} on http://{host}:{port}"
            + (f", following {reference} every {poll_interval:g}s" if follow else "")
        )
        sys.stdout.flush()
        run(options)


@click.command("predict")
@click.argument("model_uri")
@click.option(
    "--input",
    "-i",
    "input_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV file with a header row.",
)
@click.option(
    "--output",
    "-o",
    "output_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV file to write (replaced only when every row was scored).",
)
@click.option("--chunk-rows", type=click.IntRange(min=1), default=10_000, show_default=True)
@_cache_option
@_registry_options
def predict(
    model_uri: str,
    input_path: Path,
    output_path: Path,
    chunk_rows: int,
    cache_dir: Path | None,
    registry_url: str,
    token: str | None,
) -> None:
    """Score INPUT (CSV) with MODEL_URI and write the predictions to OUTPUT (CSV)."""
    with _reported():
        from registry.scoring.batch import predict_csv
        from registry.scoring.loading import load_fetched

        with RegistryConnection(registry_url, token) as connection:
            resolved = _resolve(connection, model_uri)
            fetched = _fetch_cached(connection, resolved, (cache_dir or _default_cache()).absolute())
        model = load_fetched(fetched)
        with _byte_progress(input_path.stat().st_size, "scoring") as progress:
            task = progress.task_ids[0]
            result = predict_csv(
                model,
                input_path,
                output_path,
                chunk_rows=chunk_rows,
                progress=lambda done, _total: progress.update(task, completed=done),
            )
    _say(f"Wrote {result.rows} predictions to {result.output}")
    click.echo(resolved.uri)


COMMANDS = (fetch, serve, predict)
