"""Converge Podium to the promotion files at a commit of the default branch, idempotently.

For each model whose aliases or stages differ from its file: find the pull request that last changed
the file (a direct push has none and is refused), re-check that pull request's approvals on its final
head and the metric rules against the current holder, with the default branch's policy, then move each
differing target through a promotion request that carries the GitHub evidence (the pull request, its
head commit, its author and the approvals counted). Podium judges that request against its own policy
too, and refuses what it does not allow; apply reports that refusal and leaves the request pending.
Equal targets are left alone, so a second run writes nothing; every write is "set to the desired
version", so a partial run followed by a re-run is harmless.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from ci.approvals import tally_approvals
from ci.decision import ModelAssessment, assess_change
from ci.desired_state import DesiredState
from ci.git import GitError, GitRepository
from ci.github.events import PullRequest
from ci.github.rest import GitHub, GitHubError
from ci.policy import Policy
from ci.registry_port import Evidence, ExternalApproval, ModelState, Registry, RegistryRefused
from ci.targets import Change
from registry.domain.policies import Target, TargetKind

# Podium keeps at most this many characters of a promotion request's comment.
MAX_COMMENT = 5000


class Outcome(StrEnum):
    UNCHANGED = "unchanged"
    PLANNED = "planned"
    APPLIED = "applied"
    REFUSED = "refused"


@dataclass(frozen=True)
class ModelOutcome:
    model: str
    path: str
    outcome: Outcome
    changes: tuple[Change, ...] = ()
    pull_request: PullRequest | None = None
    assessment: ModelAssessment | None = None
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Context:
    repository: str
    commit: str
    run_url: str
    dry_run: bool
    # Only pull requests into this branch count as approval (None: the payload did not say).
    default_branch: str | None = None


def reconcile(
    states: Sequence[DesiredState],
    policy: Policy,
    registry: Registry,
    github: GitHub,
    git: GitRepository,
    context: Context,
) -> list[ModelOutcome]:
    """One pass over every promotion file. RegistryUnavailable propagates: the caller retries."""
    return [_model(state, policy, registry, github, git, context) for state in states]


def _model(
    desired: DesiredState,
    policy: Policy,
    registry: Registry,
    github: GitHub,
    git: GitRepository,
    context: Context,
) -> ModelOutcome:
    def refused(
        *reasons: str,
        changes: tuple[Change, ...] = (),
        pull_request: PullRequest | None = None,
        assessment: ModelAssessment | None = None,
    ) -> ModelOutcome:
        return ModelOutcome(
            desired.model, desired.path, Outcome.REFUSED, changes, pull_request, assessment, reasons
        )

    current = registry.model_state(desired.model)
    if current is None:
        return refused(f"model {desired.model} does not exist in Podium")
    pending = tuple(
        Change(desired.model, target, current.holder(target), version)
        for target, version in sorted(desired.targets.items(), key=lambda item: item[0].apply_order)
        if not _satisfied(registry, current, target, version)
    )
    if not pending:
        return ModelOutcome(desired.model, desired.path, Outcome.UNCHANGED)

    try:
        pr = _approving_pull_request(desired.path, github, git, context)
    except (GitError, GitHubError) as exc:
        return refused(f"cannot find the pull request behind {desired.path}: {exc}", changes=pending)
    if isinstance(pr, str):
        return refused(pr, changes=pending)

    rules = policy.for_model(desired.model)
    try:
        approvals = None
        if any(change.target in rules.gated_targets for change in pending):
            approvals = tally_approvals(
                github.reviews(pr.number), author=pr.author, head_sha=pr.head_sha, rules=rules
            )
    except GitHubError as exc:
        return refused(f"cannot read the reviews of #{pr.number}: {exc}", changes=pending, pull_request=pr)
    try:
        assessment = ModelAssessment(
            desired.model,
            desired.path,
            tuple(assess_change(c, rules, registry, c.from_version) for c in pending),
            approvals,
        )
    except RegistryRefused as exc:
        return refused(str(exc), changes=pending, pull_request=pr)
    if not assessment.passed:
        return refused(*assessment.reasons, changes=pending, pull_request=pr, assessment=assessment)
    if context.dry_run:
        return ModelOutcome(desired.model, desired.path, Outcome.PLANNED, pending, pr, assessment)

    evidence = Evidence(
        pr_url=pr.html_url,
        head_sha=pr.head_sha,
        author=pr.author,
        run_url=context.run_url,
        approvals=tuple(
            ExternalApproval(r.login, r.html_url or f"{pr.html_url}#pullrequestreview-{r.id}")
            for r in (approvals.reviews if approvals is not None else ())
        ),
    )
    # The pull request's URL in the comment too: `podium promote history` shows comments.
    comment = f"{desired.path} at {context.commit[:7]} ({pr.html_url or f'pull request #{pr.number}'})"
    if desired.reason:
        comment += f": {desired.reason}"
    done: list[Change] = []
    try:
        for change in pending:
            _promote(registry, change, evidence, comment[:MAX_COMMENT])
            done.append(change)
    except RegistryRefused as exc:
        reasons = [str(exc)]
        if done:
            reasons.append("applied before that: " + "; ".join(str(c) for c in done))
        return refused(*reasons, changes=pending, pull_request=pr, assessment=assessment)
    return ModelOutcome(desired.model, desired.path, Outcome.APPLIED, pending, pr, assessment)


def _promote(registry: Registry, change: Change, evidence: Evidence, comment: str) -> None:
    """One change through a promotion request. Podium applies it at once when its own policy is
    satisfied; otherwise asking it to apply answers with what its policy still requires."""
    request = registry.request_promotion(change, evidence, comment)
    if request.applied:
        return
    try:
        request = registry.apply_promotion(request)
    except RegistryRefused as exc:
        if not exc.blockers:
            raise
        raise RegistryRefused(
            f"Podium's policy for {change.model} refuses {change} for now: {'; '.join(exc.blockers)}. "
            f"Promotion request {request.id} stays pending in Podium: a Podium reviewer may approve it "
            f"(podium promote approve {request.id}), or an admin cancel it (podium promote cancel "
            f"{request.id}); apply finds the target set on its next run",
            exc.status,
            exc.code,
            exc.blockers,
        ) from exc
    if not request.applied:
        raise RegistryRefused(
            f"Podium left promotion request {request.id} for {change} {request.status or 'unapplied'}", 409
        )


def _satisfied(registry: Registry, current: ModelState, target: Target, version: int) -> bool:
    """Whether Podium already has `target` on `version`. Several versions can share a stage, so a
    stage target is met when the version is in that stage, whichever is the latest there."""
    if target.kind is TargetKind.ALIAS:
        return current.aliases.get(target.name) == version
    if current.holder(target) == version:
        return True
    info = registry.version(current.model, version)
    return info is not None and info.stage.value == target.name


def _approving_pull_request(
    path: str, github: GitHub, git: GitRepository, context: Context
) -> PullRequest | str:
    """The merged pull request that last changed `path`, or why there is none."""
    last = git.last_change(context.commit, path)
    if last is None:
        return f"{path} has no history at {context.commit[:7]}"
    merged = [
        pr
        for pr in github.pull_requests_for_commit(last)
        if pr.merged and context.default_branch in (None, pr.base_ref)
    ]
    if not merged:
        into = f" into {context.default_branch}" if context.default_branch else ""
        return (
            f"{path} was last changed by commit {last[:7]}, which no merged pull request{into} "
            "brought in (a direct push); promotions need a reviewed pull request"
        )
    # A commit can belong to several pull requests; the one merged *as* this commit is the approver.
    exact = [pr for pr in merged if pr.merge_commit_sha == last]
    return (exact or merged)[0]
