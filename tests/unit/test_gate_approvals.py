"""Approval counting: latest deciding review per user, head commit only, author/bots/outsiders excluded."""

from __future__ import annotations

from typing import Any

import pytest

from ci.approvals import Exclusion, Review, tally_approvals
from ci.policy import Rules

HEAD = "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b"
OLD = "1111111111111111111111111111111111111111"


def review(
    login: str,
    state: str,
    commit: str = HEAD,
    *,
    user_type: str = "User",
    association: str = "MEMBER",
) -> Review:
    return Review.from_api(
        {
            "id": 1,
            "user": {"login": login, "type": user_type},
            "state": state,
            "commit_id": commit,
            "author_association": association,
        }
    )


def tally(*reviews: Review, rules: Rules | None = None) -> Any:
    return tally_approvals(reviews, author="dana", head_sha=HEAD, rules=rules or Rules())


def test_one_approval_on_the_head_passes() -> None:
    result = tally(review("alice", "APPROVED"))
    assert result.passed
    assert result.approvers == ("alice",)
    assert result.reason == ""


def test_no_review_fails_with_the_count() -> None:
    result = tally()
    assert not result.passed
    assert result.reason == "0 of 1 required approvals"


@pytest.mark.parametrize("state", ["APPROVED", "approved"])
def test_webhook_and_rest_spellings_are_the_same(state: str) -> None:
    assert tally(review("alice", state)).approvers == ("alice",)


def test_approve_then_comment_stays_approved() -> None:
    result = tally(review("alice", "APPROVED"), review("alice", "COMMENTED"), review("alice", "PENDING"))
    assert result.approvers == ("alice",)


def test_approve_then_changes_requested_blocks() -> None:
    result = tally(review("alice", "APPROVED"), review("alice", "CHANGES_REQUESTED"))
    assert result.approvers == ()
    assert result.blocking == ("alice",)
    assert not result.passed


def test_changes_requested_by_anyone_eligible_blocks_even_with_enough_approvals() -> None:
    result = tally(review("alice", "APPROVED"), review("bob", "CHANGES_REQUESTED", OLD))
    assert result.approvers == ("alice",)
    assert result.reason == "changes requested by bob"
    assert not result.passed


def test_changes_requested_then_approved_counts() -> None:
    result = tally(review("alice", "CHANGES_REQUESTED"), review("alice", "APPROVED"))
    assert result.passed


def test_a_dismissed_approval_does_not_count() -> None:
    result = tally(review("alice", "DISMISSED"))
    assert result.approvers == ()
    assert result.excluded == (Exclusion("alice", "review dismissed"),)


def test_the_author_never_counts() -> None:
    result = tally(review("Dana", "APPROVED"))  # logins are case-insensitive
    assert result.approvers == ()
    assert result.excluded == (Exclusion("Dana", "author of the pull request"),)


def test_bots_never_count() -> None:
    result = tally(
        review("renovate[bot]", "APPROVED", user_type="Bot"),
        review("deploy-bot[bot]", "APPROVED"),
    )
    assert result.approvers == ()
    assert {e.reason for e in result.excluded} == {"bot"}


def test_an_approval_on_an_older_commit_is_stale() -> None:
    result = tally(review("alice", "APPROVED", OLD))
    assert result.approvers == ()
    assert result.excluded == (Exclusion("alice", "approved an older commit (1111111)"),)


def test_stale_approvals_count_when_the_policy_allows() -> None:
    rules = Rules(approvals_must_match_head=False)
    assert tally(review("alice", "APPROVED", OLD), rules=rules).passed


def test_allowed_reviewers_and_associations() -> None:
    rules = Rules(
        required_approvals=2,
        allowed_reviewers=frozenset({"alice", "bob", "carol"}),
        allowed_associations=frozenset({"MEMBER"}),
    )
    result = tally(
        review("alice", "APPROVED"),
        review("mallory", "APPROVED"),
        review("bob", "APPROVED", association="CONTRIBUTOR"),
        review("carol", "APPROVED"),
        # An outsider's request for changes does not block.
        review("mallory", "CHANGES_REQUESTED"),
        rules=rules,
    )
    assert result.approvers == ("alice", "carol")
    assert result.excluded == (Exclusion("bob", "association CONTRIBUTOR is not allowed"),)
    assert result.blocking == ()
    assert result.passed


def test_two_required_one_given() -> None:
    result = tally(review("alice", "APPROVED"), rules=Rules(required_approvals=2))
    assert result.reason == "1 of 2 required approvals"


def test_zero_required_passes_without_reviews() -> None:
    assert tally(rules=Rules(required_approvals=0)).passed


def test_a_deleted_account_is_ghost() -> None:
    parsed = Review.from_api({"id": 3, "user": None, "state": "approved", "commit_id": HEAD})
    assert parsed.login == "ghost"
    assert parsed.author_association == "NONE"
