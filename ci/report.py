"""What the gate tells people: the PR comment and step summary (Markdown), the status line, outputs.

Pure functions of a Decision. The comment starts with a hidden marker so the next run finds and
updates it instead of adding another.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from ci.approvals import ApprovalTally
from ci.decision import ChangeAssessment, Decision, ModelAssessment, Verdict
from ci.metric_rules import MetricOutcome

GATE_MARKER = "<!-- podium:promotion-gate -->"
STATUS_STATES = {
    Verdict.PASS: "success",
    Verdict.SKIP: "success",
    Verdict.FAIL: "failure",
    Verdict.ERROR: "error",
}
_ICONS = {Verdict.PASS: "✅", Verdict.SKIP: "✅", Verdict.FAIL: "❌", Verdict.ERROR: "⚠️"}


@dataclass(frozen=True)
class Provenance:
    """Where the verdict came from, printed under it so a reviewer can check."""

    policy_path: str
    base_sha: str
    run_url: str = ""
    head_sha: str = ""


def status_description(decision: Decision) -> str:
    """One line for the commit status (GitHub keeps at most 140 characters)."""
    prefix = {
        Verdict.PASS: "Passed",
        Verdict.SKIP: "Nothing to gate",
        Verdict.FAIL: "Blocked",
        Verdict.ERROR: "Could not judge",
    }[decision.verdict]
    return f"{prefix}: {decision.headline}"


def outputs(decision: Decision) -> dict[str, str]:
    """`decision`, `models` (a JSON list) and `reasons` (one per line) for `$GITHUB_OUTPUT`."""
    return {
        "decision": decision.verdict.value,
        "models": json.dumps(decision.changed_models),
        "reasons": "\n".join(decision.reasons),
    }


def render_gate_report(decision: Decision, provenance: Provenance) -> str:
    """The PR comment and step summary of `podium gate check`."""
    icon = _ICONS[decision.verdict]
    lines = [
        GATE_MARKER,
        f"### {icon} Podium promotion gate: {decision.verdict.value}",
        "",
        cell(decision.headline),
        "",
    ]
    if decision.models:
        lines += _overview(decision.models)
        for model in decision.models:
            lines += _model_section(model)
    if decision.reasons and decision.verdict is not Verdict.PASS:
        lines += ["", "**Why**", ""]
        lines += [f"- {cell(reason)}" for reason in decision.reasons]
    lines += ["", _footer(provenance)]
    return "\n".join(lines) + "\n"


def _overview(models: Sequence[ModelAssessment]) -> list[str]:
    lines = ["| model | change | holder in Podium | result |", "|---|---|---|---|"]
    for model in models:
        for problem in model.problems:
            lines.append(f"| {cell(model.model)} | `{cell(model.path)}` | | ❌ {cell(problem)} |")
        for change in model.changes:
            holder = f"v{change.holder}" if change.holder is not None else "nothing"
            result = "✅" if change.passed else "❌"
            lines.append(f"| {cell(model.model)} | {cell(_change_text(change))} | {holder} | {result} |")
    return lines


def _model_section(model: ModelAssessment) -> list[str]:
    lines: list[str] = []
    for change in model.changes:
        if not change.metrics and not change.notes and not change.problems:
            continue
        lines += ["", f"#### {cell(model.model)} {cell(_change_text(change))}", ""]
        if change.metrics:
            lines += _metric_table(change)
        for note in change.notes:
            lines.append(f"- {cell(note)}")
        for problem in change.problems:
            lines.append(f"- ❌ {cell(problem)}")
    if model.approvals is not None:
        lines += ["", _approvals_text(model.model, model.approvals)]
    return lines


def _metric_table(change: ChangeAssessment) -> list[str]:
    holder = f"holder v{change.holder}" if change.holder is not None else "holder"
    lines = [
        f"| metric | candidate v{change.change.to_version} | {holder} | rule | result |",
        "|---|---|---|---|---|",
    ]
    for outcome in change.metrics:
        lines.append(
            f"| {cell(outcome.metric)} | {_value(outcome.candidate)} | {_value(outcome.holder)} | "
            f"{cell(outcome.rule)} | {_result(outcome)} |"
        )
    return lines


def _approvals_text(model: str, tally: ApprovalTally) -> str:
    # Logins in code spans, not @mentions: the comment is edited on every run and must not ping.
    counted = ", ".join(f"`{login}`" for login in tally.approvers) or "nobody"
    text = (
        f"**Approvals for {cell(model)}:** {len(tally.approvers)} of {tally.required} required "
        f"{'✅' if tally.passed else '❌'}; counted: {counted}"
    )
    if tally.excluded:
        text += "; not counted: " + ", ".join(f"`{e.login}` ({cell(e.reason)})" for e in tally.excluded)
    if tally.blocking:
        text += "; changes requested by " + ", ".join(f"`{login}`" for login in tally.blocking)
    return text


def _footer(provenance: Provenance) -> str:
    parts = [f"Policy `{provenance.policy_path}` at base `{provenance.base_sha[:7]}`"]
    if provenance.head_sha:
        parts.append(f"head `{provenance.head_sha[:7]}`")
    if provenance.run_url:
        parts.append(f"[workflow run]({provenance.run_url})")
    return "<sub>" + " · ".join(parts) + "</sub>"


def _change_text(change: ChangeAssessment) -> str:
    c = change.change
    before = f"v{c.from_version}" if c.from_version is not None else "nothing"
    return f"{c.target.label}: {before} → v{c.to_version}"


def _result(outcome: MetricOutcome) -> str:
    return "✅" if outcome.passed else f"❌ {cell(outcome.reason)}"


def _value(value: float | None) -> str:
    return "missing" if value is None else f"{value:.6g}"


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell: one line, pipes escaped, no HTML."""
    return " ".join(text.split()).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
