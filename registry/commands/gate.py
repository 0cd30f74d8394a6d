"""`podium gate check|apply|resolve`: the promotion gate, as GitHub Actions runs it.

This is the only place the gate reads the environment: the runner's `GITHUB_*` variables, the
workflow's `GITHUB_TOKEN`, and `PODIUM_URL` / `PODIUM_TOKEN`. Everything below (`ci.*`) receives values.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:  # the gate's modules load only when a gate command runs
    from ci.github.rest import GitHub
    from ci.github.runner import Runner
    from ci.podium_registry import PodiumRegistry

_MODEL_URI = re.compile(r"^models:/(?P<model>[^/@]+)@(?P<alias>[\w\-]+)$")


@click.group()
def gate() -> None:
    """Promotion gate for GitHub Actions (pull-request check, post-merge apply, deploy pinning)."""


def _log(message: str) -> None:
    click.echo(message, err=True)


def _require(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise click.UsageError(f"{name} is not set; the gate runs inside a GitHub Actions step")
    return value


def _runner() -> Runner:
    from ci.github.runner import Runner

    return Runner(
        event_name=_require("GITHUB_EVENT_NAME"),
        event_path=_require("GITHUB_EVENT_PATH"),
        repository=_require("GITHUB_REPOSITORY"),
        api_url=os.environ.get("GITHUB_API_URL") or "https://api.github.com",
        server_url=os.environ.get("GITHUB_SERVER_URL") or "https://github.com",
        run_id=os.environ.get("GITHUB_RUN_ID", ""),
        sha=os.environ.get("GITHUB_SHA", ""),
        output_path=os.environ.get("GITHUB_OUTPUT") or None,
        summary_path=os.environ.get("GITHUB_STEP_SUMMARY") or None,
    )


def _clients(runner: Runner) -> tuple[GitHub, PodiumRegistry]:
    from ci.github.rest import GitHub
    from ci.podium_registry import PodiumRegistry

    github = GitHub(runner.api_url, runner.repository, _require("GITHUB_TOKEN"))
    registry = PodiumRegistry.connect(_require("PODIUM_URL"), os.environ.get("PODIUM_TOKEN") or None)
    return github, registry


@gate.command("check")
@click.option("--pr", "pr", type=int, default=None, help="Expected PR number (must match the event).")
@click.option("--base-sha", default=None, help="Expected base commit (must match the event).")
@click.option("--head-sha", default=None, help="Expected head commit (must match the event).")
@click.option(
    "--policy",
    "policy",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path(".github/promotion-policy.yaml"),
    show_default=True,
    help="Policy file in the checkout of the base commit.",
)
@click.option("--promotions-dir", default="promotions", show_default=True)
def check(
    pr: int | None,
    base_sha: str | None,
    head_sha: str | None,
    policy: Path,
    promotions_dir: str,
) -> None:
    """Judge a pull request (pull_request / pull_request_review events) and post its status."""
    from ci.check import CheckOptions, run_check

    runner = _runner()
    github, registry = _clients(runner)
    options = CheckOptions(
        policy_file=policy,
        promotions_dir=promotions_dir,
        expected_pr=pr,
        expected_base_sha=base_sha or None,
        expected_head_sha=head_sha or None,
    )
    try:
        code = run_check(runner, github, registry, options, _log)
    finally:
        github.close()
        registry.close()
    sys.exit(code)


@gate.command("apply")
@click.option("--commit", default=None, help="Commit to reconcile to (default: from the event).")
@click.option(
    "--dry-run/--no-dry-run",
    default=False,
    envvar="DRY_RUN",
    show_default=True,
    help="Print the plan and write nothing (also DRY_RUN=true).",
)
@click.option(
    "--repo-dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=Path(),
    help="The checkout (with history: fetch-depth 0).",
)
@click.option("--promotions-dir", default="promotions", show_default=True)
@click.option("--policy", default=".github/promotion-policy.yaml", show_default=True)
@click.option("--attempts", type=click.IntRange(1, 10), default=3, show_default=True)
@click.option("--backoff", type=click.FloatRange(0, 60), default=10.0, show_default=True)
def apply(
    commit: str | None,
    dry_run: bool,
    repo_dir: Path,
    promotions_dir: str,
    policy: str,
    attempts: int,
    backoff: float,
) -> None:
    """Re-verify and reconcile Podium to the promotion files (push / workflow_dispatch events)."""
    from ci.apply import ApplyOptions, run_apply

    runner = _runner()
    github, registry = _clients(runner)
    options = ApplyOptions(
        repo_dir=repo_dir,
        commit=commit or None,
        dry_run=dry_run,
        promotions_dir=promotions_dir,
        policy_path=policy,
        attempts=attempts,
        backoff=backoff,
    )
    try:
        code = run_apply(runner, github, registry, options, _log)
    finally:
        github.close()
        registry.close()
    sys.exit(code)


@gate.command("resolve")
@click.argument("uri")
def resolve(uri: str) -> None:
    """Print the version `models:/<name>@<alias>` points at now (deploy jobs pin it once)."""
    from ci.podium_registry import PodiumRegistry
    from ci.registry_port import RegistryRefused, RegistryUnavailable

    match = _MODEL_URI.match(uri)
    if not match:
        raise click.UsageError(f"{uri!r} is not models:/<name>@<alias>")
    url, token = _require("PODIUM_URL"), os.environ.get("PODIUM_TOKEN") or None
    try:
        with PodiumRegistry.connect(url, token) as registry:
            version = registry.resolve_alias(match["model"], match["alias"])
    except (RegistryUnavailable, RegistryRefused) as exc:
        raise click.ClickException(str(exc)) from exc
    if version is None:
        raise click.ClickException(f"{uri} is not set in Podium")
    click.echo(str(version))
