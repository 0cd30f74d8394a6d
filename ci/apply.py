"""`podium gate apply`: after a merge, re-verify and converge Podium to the promotion files.

Runs on the default branch (push, `workflow_dispatch`, or a merged pull request's `closed` event) with
that branch's code and policy, which is the authoritative check: the pull-request gate is the fast
feedback, this is the one that writes. Podium unreachable → a few retries with backoff, then a failing
exit with a summary; re-running is always safe.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ci.desired_state import PROMOTIONS_DIR, DesiredState, parse_desired_state, promotion_file_model
from ci.documents import InvalidDocument
from ci.git import GitError, GitRepository
from ci.github.events import EventError, load_payload, parse_apply_trigger
from ci.github.rest import GitHub, GitHubError
from ci.github.runner import Runner, append_summary, command_text, write_outputs
from ci.policy import POLICY_PATH, Policy, parse_policy
from ci.reconcile import Context, ModelOutcome, Outcome, reconcile
from ci.registry_port import Registry, RegistryUnavailable
from ci.report import cell

APPLY_MARKER = "<!-- podium:promotion-apply -->"
Log = Callable[[str], None]


@dataclass(frozen=True)
class ApplyOptions:
    repo_dir: Path = Path()
    commit: str | None = None
    dry_run: bool = False
    promotions_dir: str = PROMOTIONS_DIR
    policy_path: str = POLICY_PATH
    attempts: int = 3
    backoff: float = 10.0
    sleep: Callable[[float], None] = field(default=time.sleep)


def run_apply(runner: Runner, github: GitHub, registry: Registry, options: ApplyOptions, log: Log) -> int:
    """Reconcile; returns the exit code (0 when everything is in the desired state or planned)."""
    git = GitRepository(options.repo_dir)
    try:
        payload = load_payload(runner.event_path)
        trigger = parse_apply_trigger(runner.event_name, payload, runner.sha or None, options.dry_run)
    except EventError as exc:
        return _stop(runner, log, f"cannot read the event: {exc}")
    if trigger.commit is None and options.commit is None:
        _publish(runner, [], False, log, "the pull request was closed without merging: nothing to apply")
        return 0
    try:
        commit = git.commit(options.commit or trigger.commit or "")
        policy_text = git.read(commit, options.policy_path)
        if policy_text is None:
            return _stop(runner, log, f"{options.policy_path} is missing at {commit[:7]}; nothing is applied")
        policy = parse_policy(policy_text, options.policy_path)
        states, problems = _desired_states(git, commit, options.promotions_dir, policy)
    except GitError as exc:
        return _stop(runner, log, str(exc))
    except InvalidDocument as exc:
        return _stop(runner, log, *(str(p) for p in exc.problems))

    context = Context(runner.repository, commit, runner.run_url, trigger.dry_run, trigger.default_branch)
    outcomes: list[ModelOutcome] | None = None
    for attempt in range(1, options.attempts + 1):
        try:
            outcomes = reconcile(states, policy, registry, github, git, context)
            break
        except RegistryUnavailable as exc:
            log(f"attempt {attempt} of {options.attempts}: {exc}")
            if attempt == options.attempts:
                return _stop(
                    runner, log, f"Podium stayed unreachable after {options.attempts} attempts: {exc}"
                )
            options.sleep(options.backoff * 2 ** (attempt - 1))
    assert outcomes is not None
    outcomes = problems + outcomes
    headline = _headline(outcomes, trigger.dry_run)
    _publish(runner, outcomes, trigger.dry_run, log, headline)
    _comment(github, outcomes, log, runner, headline, trigger.dry_run)
    return 1 if any(o.outcome is Outcome.REFUSED for o in outcomes) else 0


def _desired_states(
    git: GitRepository, commit: str, directory: str, policy: Policy
) -> tuple[list[DesiredState], list[ModelOutcome]]:
    states: list[DesiredState] = []
    refused: list[ModelOutcome] = []
    for path in git.files(commit, directory):
        model = promotion_file_model(path, directory)
        if model is None:
            continue
        text = git.read(commit, path) or ""
        try:
            states.append(parse_desired_state(text, path, policy.for_model(model).allowed_aliases))
        except InvalidDocument as exc:
            reasons = tuple(str(p) for p in exc.problems)
            refused.append(ModelOutcome(model, path, Outcome.REFUSED, reasons=reasons))
    return states, refused


def _headline(outcomes: Sequence[ModelOutcome], dry_run: bool) -> str:
    counts = {o: sum(1 for m in outcomes if m.outcome is o) for o in Outcome}
    if not outcomes:
        return "no promotion files"
    parts = [f"{n} {o.value}" for o, n in counts.items() if n]
    return ("dry run: " if dry_run else "") + ", ".join(parts)


def render_apply_report(outcomes: Sequence[ModelOutcome], headline: str, run_url: str) -> str:
    refused = any(o.outcome is Outcome.REFUSED for o in outcomes)
    lines = [
        APPLY_MARKER,
        f"### {'❌' if refused else '✅'} Podium promotion apply: {cell(headline)}",
        "",
    ]
    if outcomes:
        lines += ["| model | result | changes | pull request |", "|---|---|---|---|"]
        for o in outcomes:
            changes = "; ".join(
                f"{c.target.label}: {_v(c.from_version)} → v{c.to_version}" for c in o.changes
            )
            pr = f"#{o.pull_request.number}" if o.pull_request else ""
            lines.append(f"| {cell(o.model)} | {o.outcome.value} | {cell(changes) or '—'} | {pr} |")
    reasons = [r for o in outcomes for r in o.reasons]
    if reasons:
        lines += ["", "**Why refused**", ""] + [f"- {cell(r)}" for r in reasons]
    if run_url:
        lines += ["", f"<sub>[workflow run]({run_url})</sub>"]
    return "\n".join(lines) + "\n"


def _publish(
    runner: Runner, outcomes: Sequence[ModelOutcome], dry_run: bool, log: Log, headline: str
) -> None:
    append_summary(runner, render_apply_report(outcomes, headline, runner.run_url))
    touched = [o.model for o in outcomes if o.outcome in (Outcome.APPLIED, Outcome.PLANNED)]
    refused = [o for o in outcomes if o.outcome is Outcome.REFUSED]
    write_outputs(
        runner,
        {
            "changed": "true" if any(o.outcome is Outcome.APPLIED for o in outcomes) else "false",
            "models": json.dumps(sorted(touched)),
            "decision": "fail" if refused else ("plan" if dry_run else "pass"),
            "reasons": "\n".join(r for o in refused for r in o.reasons),
        },
    )
    for o in outcomes:
        for reason in o.reasons:
            log(f"::error::{command_text(reason)}")
        for change in o.changes:
            log(f"{o.outcome.value}: {change}")
    log(f"promotion apply: {headline}")


def _comment(
    github: GitHub,
    outcomes: Sequence[ModelOutcome],
    log: Log,
    runner: Runner,
    headline: str,
    dry_run: bool,
) -> None:
    """Tell each merged pull request what became of its promotion (not on dry runs or no-ops)."""
    if dry_run:
        return
    by_pr: dict[int, list[ModelOutcome]] = {}
    for o in outcomes:
        if o.pull_request is not None and o.outcome is not Outcome.UNCHANGED:
            by_pr.setdefault(o.pull_request.number, []).append(o)
    for number, mine in sorted(by_pr.items()):
        try:
            github.upsert_comment(number, APPLY_MARKER, render_apply_report(mine, headline, runner.run_url))
        except GitHubError as exc:
            # The registry is already in its new state; a missing comment is worth a warning only.
            log(f"::warning::{command_text(f'could not comment on #{number}: {exc}')}")


def _stop(runner: Runner, log: Log, *reasons: str) -> int:
    for reason in reasons:
        log(f"::error::{command_text(reason)}")
    lines = [APPLY_MARKER, "### ⚠️ Podium promotion apply stopped", ""]
    append_summary(runner, "\n".join(lines + [f"- {cell(r)}" for r in reasons]) + "\n")
    write_outputs(
        runner, {"changed": "false", "models": "[]", "decision": "error", "reasons": "\n".join(reasons)}
    )
    return 1


def _v(version: int | None) -> str:
    return f"v{version}" if version is not None else "nothing"
