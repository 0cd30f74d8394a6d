"""`podium gate check`: judge a pull request's promotion files and report on the pull request.

Trust: the policy comes from the base commit's checkout (the workflow checks out `base.sha` and runs
the gate installed from it); the head's promotion files are read as data through the contents API and
never checked out or executed. The gate posts the commit status `podium/promotion-gate` on the head
commit, which branch protection requires. Any error talking to GitHub or Podium ends in `error`, never
in `success`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ci.approvals import Review, tally_approvals
from ci.decision import (
    Decision,
    ModelAssessment,
    Verdict,
    assess_change,
    decide,
    failed_closed,
    skipped,
)
from ci.desired_state import (
    PROMOTIONS_DIR,
    DesiredState,
    parse_desired_state,
    promotion_file_model,
    requested_changes,
)
from ci.documents import InvalidDocument, Problem
from ci.github.events import EventError, PullRequest, load_payload, parse_pull_request_event
from ci.github.rest import GitHub, GitHubError
from ci.github.runner import Runner, append_summary, command_text, write_outputs
from ci.policy import POLICY_PATH, Policy, parse_policy
from ci.registry_port import Registry, RegistryRefused, RegistryUnavailable
from ci.report import GATE_MARKER, STATUS_STATES, Provenance, outputs, render_gate_report, status_description

STATUS_CONTEXT = "podium/promotion-gate"
Log = Callable[[str], None]


@dataclass(frozen=True)
class CheckOptions:
    policy_file: Path = Path(POLICY_PATH)
    promotions_dir: str = PROMOTIONS_DIR
    context: str = STATUS_CONTEXT
    # The workflow passes these from the event too; a mismatch means the wrong event file.
    expected_pr: int | None = None
    expected_base_sha: str | None = None
    expected_head_sha: str | None = None


def run_check(runner: Runner, github: GitHub, registry: Registry, options: CheckOptions, log: Log) -> int:
    """Judge the pull request in the runner's event; returns the exit code (0 pass/skip, 1 otherwise)."""
    try:
        event = parse_pull_request_event(runner.event_name, load_payload(runner.event_path))
    except EventError as exc:
        return _finish(runner, failed_closed(str(exc)), None, log)
    pr = event.pull_request
    provenance = Provenance(str(options.policy_file), pr.base_sha, runner.run_url, pr.head_sha)
    mismatch = _mismatch(options, pr)
    if mismatch:
        return _finish(runner, failed_closed(mismatch), provenance, log)
    if event.from_fork:
        # A fork's run has a read-only token and no secrets: it can neither read Podium nor post the
        # status, so it fails here, loudly, and the pull request stays blocked.
        decision = Decision(
            Verdict.FAIL,
            f"pull requests from forks ({pr.head_repository or 'a deleted fork'}) cannot promote models; "
            "push the branch to this repository",
        )
        return _finish(runner, decision, provenance, log)
    if event.action == "closed" or pr.state == "closed":
        return _finish(runner, skipped("the pull request is closed"), provenance, log)

    try:
        github.post_status(
            pr.head_sha, "pending", "Checking approvals and metrics", runner.run_url, options.context
        )
    except GitHubError as exc:
        return _finish(runner, failed_closed(f"cannot post the commit status: {exc}"), provenance, log)
    try:
        decision = evaluate_pull_request(pr, github, registry, options)
    except GitHubError as exc:
        decision = failed_closed(f"GitHub API error: {exc}")
    except (RegistryUnavailable, RegistryRefused) as exc:
        decision = failed_closed(f"Podium error: {exc}")
    return _finish(runner, decision, provenance, log, github=github, pr=pr, context=options.context)


def evaluate_pull_request(
    pr: PullRequest, github: GitHub, registry: Registry, options: CheckOptions
) -> Decision:
    """The verdict on one pull request; GitHub and registry errors propagate to the caller."""
    paths: set[str] = set()
    for changed in github.changed_files(pr.number):
        for name in (changed.filename, changed.previous_filename):
            if name and promotion_file_model(name, options.promotions_dir):
                paths.add(name)
    if not paths:
        return skipped("no promotion file changed in this pull request")
    try:
        policy = load_policy(options.policy_file)
    except InvalidDocument as exc:
        return decide([], [str(p) for p in exc.problems])

    reviews: list[Review] | None = None
    models: list[ModelAssessment] = []
    for path in sorted(paths):
        model = promotion_file_model(path, options.promotions_dir)
        assert model is not None
        rules = policy.for_model(model)
        base, _ = _read_state(github, path, pr.base_sha, rules.allowed_aliases)
        head, problems = _read_state(github, path, pr.head_sha, rules.allowed_aliases)
        if problems:
            models.append(ModelAssessment(model, path, problems=tuple(problems)))
            continue
        requested = requested_changes(model, base, head)
        if not requested.changes:
            continue
        state = registry.model_state(model)
        if state is None:
            models.append(ModelAssessment(model, path, problems=(f"model {model} does not exist in Podium",)))
            continue
        changes = tuple(
            assess_change(change, rules, registry, state.holder(change.target))
            for change in requested.changes
        )
        approvals = None
        if any(change.target in rules.gated_targets for change in requested.changes):
            if reviews is None:
                reviews = github.reviews(pr.number)
            approvals = tally_approvals(reviews, author=pr.author, head_sha=pr.head_sha, rules=rules)
        models.append(ModelAssessment(model, path, changes, approvals))
    if not models:
        return skipped("promotion files changed, but no alias or stage moves")
    return decide(models)


def load_policy(path: Path) -> Policy:
    """The policy from the trusted checkout; a missing file is a problem, not an empty policy."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InvalidDocument(
            [Problem(str(path), None, "", "is missing from the base commit; promotions need a policy")]
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidDocument([Problem(str(path), None, "", f"cannot be read: {exc}")]) from exc
    return parse_policy(text, str(path))


def _read_state(
    github: GitHub, path: str, ref: str, allowed_aliases: frozenset[str] | None
) -> tuple[DesiredState | None, list[str]]:
    text = github.file_at(path, ref)
    if text is None:
        return None, []
    try:
        return parse_desired_state(text, path, allowed_aliases), []
    except InvalidDocument as exc:
        return None, [str(p) for p in exc.problems]


def _mismatch(options: CheckOptions, pr: PullRequest) -> str:
    pairs = [
        ("--pr", options.expected_pr, pr.number),
        ("--base-sha", options.expected_base_sha, pr.base_sha),
        ("--head-sha", options.expected_head_sha, pr.head_sha),
    ]
    for flag, expected, actual in pairs:
        if expected is not None and expected != actual:
            return f"{flag} {expected} does not match the event's {actual}"
    return ""


def _finish(
    runner: Runner,
    decision: Decision,
    provenance: Provenance | None,
    log: Log,
    *,
    github: GitHub | None = None,
    pr: PullRequest | None = None,
    context: str = STATUS_CONTEXT,
) -> int:
    """Report the decision everywhere it goes; posting failures turn any verdict into a failure."""
    report = render_gate_report(decision, provenance or Provenance(POLICY_PATH, ""))
    append_summary(runner, report)
    exit_code = 0 if decision.verdict in (Verdict.PASS, Verdict.SKIP) else 1
    if github is not None and pr is not None:
        try:
            github.post_status(
                pr.head_sha,
                STATUS_STATES[decision.verdict],
                status_description(decision),
                runner.run_url,
                context,
            )
            # A pull request that touches no promotion file gets no comment, but one that did earlier
            # has its comment brought up to date.
            github.upsert_comment(pr.number, GATE_MARKER, report, create=decision.verdict is not Verdict.SKIP)
        except GitHubError as exc:
            log(f"::error::{command_text(f'Could not report to GitHub: {exc}')}")
            decision = failed_closed(f"could not report to GitHub: {exc}")
            append_summary(runner, f"\n**Could not report to GitHub:** {exc}\n")
            exit_code = 1
    write_outputs(runner, outputs(decision))
    for reason in decision.reasons:
        log(f"::error::{command_text(reason)}" if exit_code else reason)
    log(f"promotion gate: {decision.verdict.value}: {decision.headline}")
    return exit_code
