"""How `podium promote` shows requests, evaluations, policies and history: rich tables."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table

Json = dict[str, Any]


def when(value: str | None) -> str:
    """ISO 8601 from the API, shortened to seconds for tables ("2026-05-01 12:00:03Z")."""
    if not value:
        return ""
    return value[:19].replace("T", " ") + "Z"


def _value(value: Any) -> str:
    return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def summary(request: Json) -> str:
    line = (
        f"Promotion request {request['id']}: {request['model']} v{request['version']} → "
        f"{request['target']}: {request['status']}"
    )
    evaluation = request.get("evaluation") or {}
    if request["status"] == "pending" and evaluation.get("blockers"):
        line += f" ({'; '.join(evaluation['blockers'])})"
    return line


def show_request(console: Console, request: Json) -> None:
    """One request in full: who asked, its approvals, and the gate's evaluation rule by rule."""
    console.print(summary(request), highlight=False)
    console.print(
        f"requested by {request['requested_by']} at {when(request['created_at'])}"
        + (f": {request['comment']}" if request.get("comment") else ""),
        highlight=False,
    )
    if request.get("closed_at"):
        console.print(
            f"{request['status']} by {request['closed_by']} at {when(request['closed_at'])}"
            + (
                f" (previous holder v{request['previous_version']})"
                if request.get("previous_version") is not None
                else ""
            ),
            highlight=False,
        )
    if request.get("evidence"):
        console.print("evidence: " + ", ".join(f"{k}={v}" for k, v in request["evidence"].items()))
    if request.get("approvals"):
        table = Table("reviewer", "decision", "source", "when", "comment / url", title="Approvals")
        for a in request["approvals"]:
            table.add_row(
                a["reviewer"], a["decision"], a["source"], when(a["created_at"]), a.get("url") or a["comment"]
            )
        console.print(table)
    evaluation = request.get("evaluation")
    if evaluation:
        show_evaluation(console, evaluation)


def show_evaluation(console: Console, evaluation: Json) -> None:
    approvals = evaluation["approvals"]
    counted = ", ".join(approvals["counted"]) or "none"
    console.print(
        f"approvals: {len(approvals['counted'])} of {approvals['required']} required (counted: {counted})",
        highlight=False,
    )
    for excluded in approvals["excluded"]:
        console.print(f"  not counted: {excluded['reviewer']}: {excluded['reason']}", highlight=False)
    if evaluation["rules"]:
        table = Table("rule", "candidate", "current", "bound", "result", "why", title="Metric gate")
        for r in evaluation["rules"]:
            table.add_row(
                r["rule"],
                _value(r["candidate_value"]),
                _value(r["current_value"]),
                _value(r["bound"]),
                "[green]pass[/]" if r["passed"] else "[red]FAIL[/]",
                r["reason"],
            )
        console.print(table)
        for version, source in sorted(evaluation["metric_sources"].items()):
            console.print(f"metrics of v{version} read from {source}", highlight=False)
    for check in evaluation["checks"]:
        if not check["passed"]:
            console.print(f"[red]FAIL[/] {check['name']}: {check['detail']}", highlight=False)
    verdict = "[green]ready to apply[/]" if evaluation["ready"] else "[yellow]not ready[/]"
    console.print(f"verdict: {verdict}" + (" (target protected)" if evaluation["protected"] else ""))


def show_requests(console: Console, requests: list[Json]) -> None:
    table = Table("id", "model", "version", "target", "status", "requested by", "created", "approvals")
    for r in requests:
        approvers = [a["reviewer"] for a in r["approvals"] if a["decision"] == "approve"]
        table.add_row(
            str(r["id"]),
            r["model"],
            str(r["version"]),
            r["target"],
            r["status"],
            r["requested_by"],
            when(r["created_at"]),
            ", ".join(approvers),
        )
    console.print(table)


def change(event: Json) -> str:
    """before → after in a few words, with the why (comments, reasons) when there is one."""
    before, after, data = event.get("before") or {}, event.get("after") or {}, event.get("data") or {}
    action = event["action"]
    if action.startswith("model_version_alias."):
        text = f"@{data.get('alias')}: {before.get('version')} → {after.get('version')}"
    elif action == "model_version.stage_transitioned":
        text = f"v{event['version']}: {data.get('from_stage')} → {data.get('to_stage')}"
    elif action.endswith("_tag.set") or action.endswith("_tag.deleted"):
        text = f"{data.get('key')}: {before.get('value')} → {after.get('value')}"
    elif action == "model_version.created":
        text = f"v{event['version']} from {data.get('source')}"
    elif action.startswith("promotion_request.") or action == "protected_target.force_moved":
        text = f"v{data.get('version')} → {data.get('target')}"
        if data.get("reviewer"):
            source = data.get("source", "podium")
            text += f" by {data['reviewer'] if source == 'podium' else source + ':' + data['reviewer']}"
        if action == "promotion_request.applied" and data.get("previous_version") is not None:
            text += f" (was v{data['previous_version']})"
    elif before or after:
        text = f"{_compact(before)} → {_compact(after)}"
    else:
        text = _compact(data)
    why = data.get("reason") or data.get("decision_comment")
    if why is None and action in ("promotion_request.created", "promotion_request.applied"):
        why = data.get("comment")
    return f'{text}: "{why}"' if why else text


def _compact(value: Any) -> str:
    text = json.dumps(value, separators=(",", ":"), default=str) if value else "-"
    return text if len(text) <= 60 else text[:57] + "..."


def show_history(console: Console, events: list[Json]) -> None:
    table = Table("when", "actor", "action", "change", "request")
    for e in events:
        flags = []
        if (e.get("data") or {}).get("forced"):
            flags.append("forced")
        table.add_row(
            when(e["occurred_at"]),
            e["actor"],
            e["action"] + (f" ({', '.join(flags)})" if flags else ""),
            change(e),
            str(e["promotion_request_id"]) if e.get("promotion_request_id") is not None else "",
        )
    console.print(table)


def show_holders(console: Console, answer: Json) -> None:
    target, at = answer["target"], when(answer["at"])
    if not answer["holders"]:
        console.print(f"At {at}, nothing held {target} of {answer['model']}.", highlight=False)
        return
    for h in answer["holders"]:
        how = f"via promotion request {h['promotion_request_id']}" if h.get("promotion_request_id") else ""
        if h.get("forced"):
            how = f"forced: {h.get('reason')}"
        approved = f"; approved by {', '.join(h['approved_by'])}" if h.get("approved_by") else ""
        console.print(
            f"At {at}, {target} of {answer['model']} was version {h['version']} "
            f"(since {when(h['since'])}, set by {h['set_by']}{' ' + how if how else ''}{approved}).",
            highlight=False,
        )


def show_policy(console: Console, policy: Json) -> None:
    scope = policy["scope"]
    if scope == "none":
        console.print("No policy governs this model: nothing is protected.")
        return
    title = f"policy of {policy['model']}" if scope == "model" else "server-wide default policy"
    table = Table("setting", "value", title=title)
    table.add_row("protected targets", ", ".join(policy["protected"]) or "none")
    table.add_row("required approvals", str(policy["required_approvals"]))
    table.add_row("allowed reviewers", ", ".join(policy["allowed_reviewers"]) or "any reviewer")
    table.add_row("metric rules", "\n".join(policy["rules"]) or "none")
    table.add_row("archive previous holder", "yes" if policy["archive_previous"] else "no")
    table.add_row("updated", f"{when(policy.get('updated_at'))} by {policy.get('updated_by')}")
    console.print(table)
