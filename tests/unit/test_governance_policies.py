"""Targets, policies, approval counting and readiness: pure rules."""

from __future__ import annotations

import pytest

from registry.domain.errors import InvalidParameter
from registry.domain.gate import GateResult, evaluate, parse_rule
from registry.domain.history import parse_time
from registry.domain.identity import Role
from registry.domain.policies import (
    Policy,
    Target,
    TargetKind,
    alias_target,
    build_policy,
    parse_target,
    stage_target,
)
from registry.domain.promotions import (
    Approval,
    Check,
    Decision,
    Evaluation,
    evaluation_data,
    evaluation_from_data,
    parse_evidence,
    parse_external_approval,
    parse_external_approvals,
    tally,
)


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("alias:champion", Target(TargetKind.ALIAS, "champion")),
        ("@champion", Target(TargetKind.ALIAS, "champion")),
        ("ALIAS:champion", Target(TargetKind.ALIAS, "champion")),
        ("stage:Production", Target(TargetKind.STAGE, "Production")),
        ("stage:production", Target(TargetKind.STAGE, "Production")),
    ],
)
def test_targets(text: str, target: Target) -> None:
    assert parse_target(text) == target
    assert parse_target(str(target)) == target


@pytest.mark.parametrize(
    "text", ["", "champion", "alias:", "alias:latest", "alias:v3", "stage:Live", "tag:x", "@a b"]
)
def test_bad_targets_say_how_to_write_one(text: str) -> None:
    with pytest.raises(InvalidParameter) as info:
        parse_target(text)
    assert info.value.field == "target"


def test_build_policy_validates_and_normalises() -> None:
    policy = build_policy(
        protected=["stage:production", "@champion", "alias:champion"],
        required_approvals=1,
        allowed_reviewers=["alice", "role:REVIEWER", "alice"],
        rules=["r2_score >= 0.4", "r2_score >= current - 0.01"],
        archive_previous=True,
        model="fraud",
    )
    assert policy.protected == (alias_target("champion"), stage_target("Production"))
    assert policy.allowed_reviewers == ("alice", "role:reviewer")
    assert [str(r) for r in policy.rules] == ["r2_score >= 0.4", "r2_score >= current - 0.01"]
    assert policy.protects(parse_target("@champion"))
    assert not policy.protects(parse_target("@challenger"))
    assert policy.scope == "model"
    assert build_policy().scope == "default"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"protected": ["nope"]}, "protected"),
        ({"required_approvals": -1}, "required_approvals"),
        ({"required_approvals": 21}, "required_approvals"),
        ({"required_approvals": True}, "required_approvals"),
        ({"allowed_reviewers": ["role:contributor"]}, "allowed_reviewers"),
        ({"allowed_reviewers": ["role:wizard"]}, "role"),
        ({"allowed_reviewers": ["bad name!"]}, "allowed_reviewers"),
        ({"rules": ["r2 => 1"]}, "rules"),
        ({"archive_previous": "yes"}, "archive_previous"),
    ],
)
def test_bad_policies_name_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidParameter) as info:
        build_policy(**kwargs)  # type: ignore[arg-type]
    assert info.value.field == field


def approval(
    who: str, role: Role | None = Role.REVIEWER, *, source: str = "podium", reject: bool = False
) -> Approval:
    return Approval(who, Decision.REJECT if reject else Decision.APPROVE, source=source, role=role)


def test_tally_never_counts_the_requester_or_author_and_honours_allowed_reviewers() -> None:
    policy = Policy(required_approvals=2, allowed_reviewers=("alice", "role:admin"))
    counted = tally(
        policy,
        2,
        "carl",
        "octo",
        [
            approval("carl"),  # the requester
            approval("alice"),
            approval("bob"),  # not allowed
            approval("ada", Role.ADMIN),  # allowed through role:admin
            approval("octo", None, source="github"),  # the author, from outside
            approval("alice", None, source="github"),  # a login named in the list
        ],
    )
    assert counted.counted == ("alice", "ada", "github:alice")
    assert [who for who, _ in counted.excluded] == ["carl", "bob", "github:octo"]
    assert counted.passed


def test_external_approvals_satisfy_role_entries_and_empty_lists() -> None:
    external = approval("someone", None, source="github")
    assert tally(Policy(), 1, "ci", None, [external]).passed
    assert tally(Policy(allowed_reviewers=("role:reviewer",)), 1, "ci", None, [external]).passed
    assert not tally(Policy(allowed_reviewers=("alice",)), 1, "ci", None, [external]).passed
    # A contributor's approval never counts where any reviewer may approve.
    assert not tally(Policy(), 1, "carl", None, [approval("dave", Role.CONTRIBUTOR)]).passed


def test_a_rejection_blocks_whatever_the_approvals() -> None:
    counted = tally(Policy(), 1, "carl", None, [approval("alice"), approval("bob", reject=True)])
    assert counted.rejected_by == ("bob",)
    assert not counted.passed


def test_readiness_and_blockers_and_their_stored_form() -> None:
    gate = evaluate([parse_rule("r2 >= 0.4")], {"r2": 0.3}, None)
    evaluation = Evaluation(
        protected=True,
        approvals=tally(Policy(), 1, "carl", None, []),
        gate=gate,
        checks=(Check("candidate not archived", False, "version 2 is Archived"),),
        current_version=1,
        metric_sources={"2": "version tags podium.metric.*"},
        evaluated_at=5,
    )
    assert not evaluation.ready
    assert evaluation.blockers == [
        "0 of 1 required approvals",
        "metric rule r2 >= 0.4 failed: 0.3 >= 0.4 fails",
        "candidate not archived: version 2 is Archived",
    ]
    again = evaluation_from_data(evaluation_data(evaluation))
    assert again == evaluation
    assert Evaluation(False, tally(Policy(), 0, "carl", None, []), GateResult(())).ready


def test_external_approvals_and_evidence_are_validated() -> None:
    review = {
        "reviewer": "octocat",
        "source": "github",
        "url": "https://github.com/o/r/pull/2#pullrequestreview-1",
    }
    ok = parse_external_approval(review)
    assert (ok.who, ok.external, ok.url) == ("github:octocat", True, review["url"])
    assert parse_external_approvals([review, {**review, "source": "gitlab"}])[1].who == "gitlab:octocat"
    with pytest.raises(InvalidParameter, match="listed twice"):
        parse_external_approvals([review, review])
    with pytest.raises(InvalidParameter, match="must be an object"):
        parse_external_approvals(["octocat"])
    for bad in (
        {"reviewer": "octocat", "source": "podium", "url": "https://x"},
        {"reviewer": "octocat", "source": "github"},
        {"reviewer": "octocat", "source": "github", "url": "javascript:alert(1)"},
        {"reviewer": "", "source": "github", "url": "https://x"},
        {"reviewer": "a", "source": "github", "url": "https://x", "extra": 1},
    ):
        with pytest.raises(InvalidParameter):
            parse_external_approval(bad)
    assert parse_evidence(
        {"url": "https://github.com/o/r/pull/2", "commit": "ABCDEF1", "author": "octo"}
    ) == {
        "url": "https://github.com/o/r/pull/2",
        "commit": "abcdef1",
        "author": "octo",
    }
    with pytest.raises(InvalidParameter):
        parse_evidence({"commit": "not-a-sha"})
    with pytest.raises(InvalidParameter):
        parse_evidence({"secret": "x"})


def test_times() -> None:
    assert parse_time(1_700_000_000_123) == 1_700_000_000_123
    assert parse_time("1700000000123") == 1_700_000_000_123
    assert parse_time("2023-11-14T22:13:20.123Z") == 1_700_000_000_123
    assert parse_time("2023-11-14T23:13:20.123+01:00") == 1_700_000_000_123
    assert parse_time("2023-11-14T22:13:20.123") == 1_700_000_000_123  # no zone: UTC
    for bad in ("yesterday", "", True, 1.5):
        with pytest.raises(InvalidParameter):
            parse_time(bad)
