"""`podium promote`: promotion requests, approvals, forced moves, history and policies, over HTTP.

These commands talk to a running server with your token (PODIUM_URL, PODIUM_TOKEN), so the server
checks who you are: the same rules apply as for the API.
"""

from __future__ import annotations

import json
from typing import Any

import click
from rich.console import Console

from registry.client import RegistryClient
from registry.commands import promotion_tables as tables
from registry.commands.connection import with_client

console = Console()
TARGET_HELP = "alias:<name> (or @<name>) or stage:<Stage>, e.g. alias:champion or stage:Production"


def _emit(as_json: bool, body: Any) -> bool:
    if as_json:
        click.echo(json.dumps(body, indent=2))
    return as_json


@click.group()
def promote() -> None:
    """Promotion requests: request, approve, reject, cancel, apply, status, history; policies."""


@promote.command("request")
@click.argument("model")
@click.argument("version", type=int)
@click.option("--target", "-t", required=True, help=TARGET_HELP)
@click.option("--comment", "-m", default=None, help="Why this version should take the target.")
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON.")
@with_client
def request(
    client: RegistryClient, model: str, version: int, target: str, comment: str | None, as_json: bool
) -> None:
    """Ask for VERSION of MODEL to take a target; it is applied once approvals and gate pass."""
    created = client.create_promotion(model, version, target, comment)
    if not _emit(as_json, created):
        tables.show_request(console, created)
        if created["status"] == "pending":
            console.print(f"Reviewers approve it with: podium promote approve {created['id']}")


def _decision(verb: str) -> Any:
    @click.argument("request_id", type=int)
    @click.option("--comment", "-m", default=None, help="A note kept with your decision.")
    @click.option("--json", "as_json", is_flag=True, help="Print the API's JSON.")
    @with_client
    def decide(client: RegistryClient, request_id: int, comment: str | None, as_json: bool) -> None:
        call = {
            "approve": client.approve_promotion,
            "reject": client.reject_promotion,
            "cancel": client.cancel_promotion,
        }[verb]
        result = call(request_id, comment)
        if not _emit(as_json, result):
            tables.show_request(console, result)

    return decide


promote.command("approve", help="Approve a request (reviewers; never your own). Applies it when ready.")(
    _decision("approve")
)
promote.command("reject", help="Reject a request (reviewers): it can no longer be applied.")(
    _decision("reject")
)
promote.command("cancel", help="Withdraw your pending request (or any, as an admin).")(_decision("cancel"))


@promote.command("apply")
@click.argument("request_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON.")
@with_client
def apply(client: RegistryClient, request_id: int, as_json: bool) -> None:
    """Apply a request whose approvals and gate pass (re-checked now)."""
    result = client.apply_promotion(request_id)
    if not _emit(as_json, result):
        tables.show_request(console, result)


@promote.command("status")
@click.argument("request_id", type=int, required=False)
@click.option("--model", default=None, help="Only this model's requests.")
@click.option(
    "--status",
    "status_",
    default="pending",
    show_default=True,
    help="pending, applied, rejected, cancelled, or all.",
)
@click.option("--limit", default=50, show_default=True, help="How many requests to list.")
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON.")
@with_client
def status(
    client: RegistryClient,
    request_id: int | None,
    model: str | None,
    status_: str,
    limit: int,
    as_json: bool,
) -> None:
    """One request with its evaluation (each rule, values, pass/fail), or a list of requests."""
    if request_id is not None:
        found = client.get_promotion(request_id)
        if not _emit(as_json, found):
            tables.show_request(console, found)
        return
    page = client.list_promotions(
        model=model, status=None if status_ == "all" else status_, max_results=limit
    )
    if not _emit(as_json, page):
        tables.show_requests(console, page["requests"])


@promote.command("history")
@click.argument("model")
@click.option("--target", "-t", default=None, help=f"Who held this target: {TARGET_HELP}.")
@click.option("--at", default=None, help="With --target: a moment (ISO 8601 or ms); default now.")
@click.option("--action", "actions", multiple=True, help="Only these event types (repeatable).")
@click.option("--limit", default=50, show_default=True, help="How many events to show.")
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON.")
@with_client
def history(
    client: RegistryClient,
    model: str,
    target: str | None,
    at: str | None,
    actions: tuple[str, ...],
    limit: int,
    as_json: bool,
) -> None:
    """MODEL's audit history (who, what, before → after, when, request), or with --target which
    version held it at a moment, set by whom and approved by whom."""
    if target is not None:
        answer = client.holders(model, target, at)
        if not _emit(as_json, answer):
            tables.show_holders(console, answer)
        return
    if at is not None:
        raise click.UsageError("--at needs --target (which target to look up at that moment).")
    page = client.history(model, actions=list(actions) or None, max_results=limit)
    if not _emit(as_json, page):
        tables.show_history(console, page["events"])


@promote.command("force")
@click.argument("model")
@click.argument("version", type=int, required=False)
@click.option("--target", "-t", required=True, help=TARGET_HELP)
@click.option("--reason", required=True, help="Why (kept in the audit history and sent to webhooks).")
@click.option("--remove", is_flag=True, help="Remove the alias instead of moving it (no VERSION).")
@click.option("--archive-existing", is_flag=True, help="Stage targets: archive the versions in it.")
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON.")
@with_client
def force(
    client: RegistryClient,
    model: str,
    version: int | None,
    target: str,
    reason: str,
    remove: bool,
    archive_existing: bool,
    as_json: bool,
) -> None:
    """Admins: move a target to VERSION without a promotion request, with a reason (audited)."""
    if (version is None) != remove:
        raise click.UsageError("Give a VERSION to move the target to, or --remove (aliases) without one.")
    moved = client.force_move(model, target, version, reason, archive_existing_versions=archive_existing)
    if not _emit(as_json, moved):
        where = f"version {moved['version']}" if moved["version"] is not None else "nothing (removed)"
        console.print(
            f"Forced {moved['target']} of {moved['model']} to {where} "
            f"(was {moved['previous_version']}); reason recorded: {moved['reason']}",
            highlight=False,
        )


@promote.group()
def policy() -> None:
    """Promotion policies: what a model's protected targets require (admins set them)."""


@policy.command("show")
@click.argument("model", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON.")
@with_client
def policy_show(client: RegistryClient, model: str | None, as_json: bool) -> None:
    """The policy governing MODEL (its own or the default), or the default policy."""
    found = client.get_policy(model)
    if not _emit(as_json, found):
        tables.show_policy(console, found)


@policy.command("set")
@click.argument("model", required=False)
@click.option("--default", "is_default", is_flag=True, help="Set the server-wide default instead.")
@click.option("--protect", multiple=True, help=f"A protected target (repeatable): {TARGET_HELP}.")
@click.option("--approvals", default=0, show_default=True, help="Approvals required.")
@click.option("--reviewer", multiple=True, help="Allowed reviewer: a name or role:<role> (repeatable).")
@click.option(
    "--rule",
    multiple=True,
    help="Metric rule (repeatable): 'r2_score >= 0.4', 'r2_score >= current - 0.01', 'mse <= 3500'.",
)
@click.option("--archive-previous", is_flag=True, help="Archive the previous holder on promotion.")
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON.")
@with_client
def policy_set(
    client: RegistryClient,
    model: str | None,
    is_default: bool,
    protect: tuple[str, ...],
    approvals: int,
    reviewer: tuple[str, ...],
    rule: tuple[str, ...],
    archive_previous: bool,
    as_json: bool,
) -> None:
    """Create or replace MODEL's policy (or, with --default, the server-wide one)."""
    if (model is None) != is_default:
        raise click.UsageError("Name a MODEL, or pass --default for the server-wide policy.")
    stored = client.set_policy(
        model,
        {
            "protected": list(protect),
            "required_approvals": approvals,
            "allowed_reviewers": list(reviewer),
            "rules": list(rule),
            "archive_previous": archive_previous,
        },
    )
    if not _emit(as_json, stored):
        tables.show_policy(console, stored)


@policy.command("delete")
@click.argument("model", required=False)
@click.option("--default", "is_default", is_flag=True, help="Delete the server-wide default instead.")
@with_client
def policy_delete(client: RegistryClient, model: str | None, is_default: bool) -> None:
    """Remove MODEL's policy (or the default): its targets are no longer protected by it."""
    if (model is None) != is_default:
        raise click.UsageError("Name a MODEL, or pass --default for the server-wide policy.")
    client.delete_policy(model)
    console.print(f"Deleted the policy of {model}." if model else "Deleted the default policy.")
