"""Counting pull-request approvals the way branch protection does, from the REST list of reviews.

Walk the reviews in order and keep, per reviewer, the last one that decides something (APPROVED,
CHANGES_REQUESTED, DISMISSED); comments and pending reviews change nothing, so "approve, then comment"
stays approved. A reviewer approves when that kept review is APPROVED and was made on the pull request's
head commit (a push after the approval needs a new one, like "Dismiss stale pull request approvals").
The author, bots, and reviewers outside the policy's logins or associations are never counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ci.policy import Rules

APPROVED = "APPROVED"
CHANGES_REQUESTED = "CHANGES_REQUESTED"
DISMISSED = "DISMISSED"
_DECIDING = {APPROVED, CHANGES_REQUESTED, DISMISSED}


@dataclass(frozen=True)
class Review:
    """One pull-request review, normalised where it enters the gate (the REST API's upper case)."""

    id: int
    login: str
    user_type: str
    state: str
    commit_id: str | None
    author_association: str
    html_url: str = ""

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Review:
        """Read a review in the REST shape (`state` upper case) or the webhook shape (lower case)."""
        user = data.get("user") or {}
        return cls(
            id=int(data.get("id") or 0),
            # A deleted account's reviews have no user; "ghost" is what GitHub shows for them.
            login=str(user.get("login") or "ghost"),
            user_type=str(user.get("type") or "User"),
            state=str(data.get("state") or "").upper(),
            commit_id=data.get("commit_id"),
            author_association=str(data.get("author_association") or "NONE").upper(),
            html_url=str(data.get("html_url") or ""),
        )


@dataclass(frozen=True)
class Exclusion:
    login: str
    reason: str


@dataclass(frozen=True)
class ApprovalTally:
    """Who counted, who did not and why, and who still requests changes."""

    required: int
    approvers: tuple[str, ...]
    excluded: tuple[Exclusion, ...] = ()
    blocking: tuple[str, ...] = ()
    # The counted reviews themselves: apply hands them to Podium as external approvals (with URLs).
    reviews: tuple[Review, ...] = ()

    @property
    def passed(self) -> bool:
        return len(self.approvers) >= self.required and not self.blocking

    @property
    def reason(self) -> str:
        """Why it fails, in one sentence ('' when it passes)."""
        problems = []
        if len(self.approvers) < self.required:
            problems.append(f"{len(self.approvers)} of {self.required} required approvals")
        if self.blocking:
            problems.append(f"changes requested by {', '.join(self.blocking)}")
        return "; ".join(problems)


def tally_approvals(reviews: Iterable[Review], *, author: str, head_sha: str, rules: Rules) -> ApprovalTally:
    """Count approvals per the policy's `rules` for a pull request by `author` at `head_sha`."""
    latest: dict[str, Review] = {}
    for review in reviews:
        if review.state in _DECIDING:
            latest[review.login.lower()] = review
    approvers: list[str] = []
    counted: list[Review] = []
    excluded: list[Exclusion] = []
    blocking: list[str] = []
    for review in sorted(latest.values(), key=lambda r: r.login.lower()):
        ineligible = _ineligible(review, author, rules)
        if review.state == CHANGES_REQUESTED:
            # A request for changes blocks until it is dismissed or replaced, whatever commit it was
            # made on; only reviewers whose approval would count can block.
            if ineligible is None:
                blocking.append(review.login)
            continue
        if review.state == DISMISSED:
            excluded.append(Exclusion(review.login, "review dismissed"))
            continue
        if ineligible is not None:
            excluded.append(Exclusion(review.login, ineligible))
        elif rules.approvals_must_match_head and review.commit_id != head_sha:
            stale = (review.commit_id or "unknown")[:7]
            excluded.append(Exclusion(review.login, f"approved an older commit ({stale})"))
        else:
            approvers.append(review.login)
            counted.append(review)
    return ApprovalTally(
        rules.required_approvals, tuple(approvers), tuple(excluded), tuple(blocking), tuple(counted)
    )


def _ineligible(review: Review, author: str, rules: Rules) -> str | None:
    login = review.login.lower()
    if login == author.lower():
        return "author of the pull request"
    if review.user_type == "Bot" or login.endswith("[bot]"):
        return "bot"
    if rules.allowed_reviewers is not None and login not in rules.allowed_reviewers:
        return "not an allowed reviewer"
    if review.author_association not in rules.allowed_associations:
        return f"association {review.author_association} is not allowed"
    return None
