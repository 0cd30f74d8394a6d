"""Governance services against real SQLite and PostgreSQL: policies, requests, enforcement, history."""

from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import select

from registry.db.tables import AuditEventRow, OutboxEventRow
from registry.domain import events
from registry.domain.errors import (
    AlreadyExists,
    Conflict,
    InvalidParameter,
    MissingParameter,
    NotFound,
    PermissionDenied,
)
from registry.domain.identity import Actor, Role
from registry.domain.promotions import RequestStatus
from registry.domain.stages import Stage
from registry.services import aliases, forced, history, models, policies, promotions, versions
from tests.fixtures.databases import UowFactory

CARL = Actor("carl", Role.CONTRIBUTOR)
DORA = Actor("dora", Role.CONTRIBUTOR)
RITA = Actor("rita", Role.REVIEWER)
REX = Actor("rex", Role.REVIEWER)
ADA = Actor("ada", Role.ADMIN)
CI = Actor("ci", Role.PROMOTER)


def src(n: int) -> str:
    return f"mlflow-artifacts:/1/models/m-{n:032x}/artifacts"


def register(uow: UowFactory, name: str, *r2_scores: float | str | None) -> None:
    """A model with one version per score, each carrying its r2_score as a metric tag."""
    with contextlib.suppress(AlreadyExists):
        models.create_registered_model(uow(CARL), name)
    for score in r2_scores:
        mv = versions.create_model_version(uow(CARL), name, src(1))
        if score is not None:
            versions.set_model_version_tag(uow(CARL), name, mv.version, "podium.metric.r2_score", str(score))


def protect_champion(uow: UowFactory, name: str = "fraud", **more: object) -> None:
    settings: dict[str, object] = {
        "protected": ["alias:champion"],
        "required_approvals": 1,
        "rules": ["r2_score >= 0.40", "r2_score >= current - 0.01"],
        **more,
    }
    policies.set_policy(uow(ADA), name, **settings)  # type: ignore[arg-type]


def audit(uow: UowFactory, action: str) -> list[AuditEventRow]:
    with uow().reading() as u:
        return list(
            u.session.scalars(
                select(AuditEventRow).where(AuditEventRow.action == action).order_by(AuditEventRow.id)
            )
        )


def test_without_a_policy_nothing_is_protected(uow: UowFactory) -> None:
    register(uow, "free", 0.1, 0.2)
    aliases.set_alias(uow(CARL), "free", "champion", 1)
    versions.transition_stage(uow(CARL), "free", 2, "Production", True)
    # A request to an unprotected target needs nothing and is applied at once.
    request = promotions.create_request(uow(CARL), "free", 2, "alias:champion", "why not")
    assert request.status is RequestStatus.APPLIED
    assert request.evaluation is not None
    assert not request.evaluation.protected
    assert aliases.get_version_by_alias(uow(), "free", "champion").version == 2
    versions.delete_model_version(uow(CARL), "free", 1)
    models.delete_registered_model(uow(CARL), "free")


def test_the_full_scenario(uow: UowFactory) -> None:
    """contributor registers → requests champion → own approval refused → reviewer approves →
    metric rule fails → a better version passes → applied → history shows it."""
    register(uow, "fraud", 0.50)
    protect_champion(uow)

    with pytest.raises(PermissionDenied) as refused:
        aliases.set_alias(uow(CARL), "fraud", "champion", 1)
    assert "podium promote request 'fraud' 1 --target alias:champion" in refused.value.message

    first = promotions.create_request(uow(CARL), "fraud", 1, "alias:champion", "first champion")
    assert first.status is RequestStatus.PENDING
    assert first.evaluation is not None
    assert first.evaluation.blockers == ["0 of 1 required approvals"]
    with pytest.raises(PermissionDenied, match="reviewer role"):
        promotions.approve(uow(CARL), first.id)  # a contributor cannot approve at all
    applied = promotions.approve(uow(RITA), first.id, "looks good")
    assert applied.status is RequestStatus.APPLIED
    assert aliases.get_version_by_alias(uow(), "fraud", "champion").version == 1

    # A reviewer's own request: their approval is refused; someone else's counts.
    register(uow, "fraud", 0.38, 0.495)
    own = promotions.create_request(uow(RITA), "fraud", 2, "@champion", "try v2")
    with pytest.raises(PermissionDenied, match="requested promotion request"):
        promotions.approve(uow(RITA), own.id)
    worse = promotions.approve(uow(REX), own.id)
    assert worse.status is RequestStatus.PENDING  # approved, but the gate fails
    assert worse.evaluation is not None
    assert worse.evaluation.approvals.counted == ("rex",)
    failed = [
        (str(o.rule), o.candidate_value, o.current_value, o.bound) for o in worse.evaluation.gate.failures
    ]
    assert failed == [("r2_score >= 0.40", 0.38, None, 0.4), ("r2_score >= current - 0.01", 0.38, 0.5, 0.49)]
    with pytest.raises(Conflict, match=r"cannot be applied yet: metric rule r2_score >= 0\.40 failed"):
        promotions.apply(uow(CARL), own.id)

    better = promotions.create_request(uow(CARL), "fraud", 3, "alias:champion", "v3 is better")
    done = promotions.approve(uow(REX), better.id)
    assert done.status is RequestStatus.APPLIED
    assert done.previous_version == 1
    assert aliases.get_version_by_alias(uow(), "fraud", "champion").version == 3

    # The history: who held @champion, who set it, who approved it.
    now = history.holders_at(uow(), "fraud", "alias:champion")
    (holding,) = now.holders
    assert (holding.version, holding.set_by, holding.promotion_request_id) == (3, "rex", better.id)
    assert holding.approved_by == ("rex",)
    entries = history.model_history(uow(), "fraud", actions=[events.PROMOTION_REQUEST_APPLIED]).items
    assert [(e.version, e.before, e.after) for e in entries] == [
        (3, {"target": "alias:champion", "version": 1}, {"target": "alias:champion", "version": 3}),
        (1, {"target": "alias:champion", "version": None}, {"target": "alias:champion", "version": 1}),
    ]
    assert entries[0].data["evaluation"]["rules"][1]["bound"] == 0.49
    # The stored request keeps the evaluation that allowed it.
    stored = promotions.get_request(uow(), better.id)
    assert stored.evaluation is not None
    assert [o.passed for o in stored.evaluation.gate.outcomes] == [True, True]


def test_enforcement_covers_every_way_to_move_a_protected_target(uow: UowFactory) -> None:
    register(uow, "fraud", 0.5, 0.6, 0.7)
    aliases.set_alias(uow(CARL), "fraud", "champion", 1)
    versions.transition_stage(uow(CARL), "fraud", 1, "Production")
    policies.set_policy(uow(ADA), "fraud", protected=["alias:champion", "stage:Production"])

    # Setting the alias to where it already points changes nothing and is allowed.
    aliases.set_alias(uow(CARL), "fraud", "champion", 1)
    refused = [
        lambda: aliases.set_alias(uow(CARL), "fraud", "champion", 2),
        lambda: aliases.delete_alias(uow(CARL), "fraud", "champion"),
        lambda: versions.transition_stage(uow(CARL), "fraud", 2, "Production"),
        lambda: versions.transition_stage(uow(CARL), "fraud", 1, "Archived"),
        lambda: versions.transition_stage(uow(ADA), "fraud", 1, "Staging"),  # admins too: force it
        lambda: versions.delete_model_version(uow(CARL), "fraud", 1),
        lambda: models.delete_registered_model(uow(CARL), "fraud"),
    ]
    for attempt in refused:
        with pytest.raises(PermissionDenied, match="protected by a promotion policy"):
            attempt()
    # Unprotected targets still move freely.
    aliases.set_alias(uow(CARL), "fraud", "challenger", 2)
    versions.transition_stage(uow(CARL), "fraud", 2, "Staging")
    versions.delete_model_version(uow(CARL), "fraud", 3)
    assert aliases.get_version_by_alias(uow(), "fraud", "champion").version == 1
    assert versions.get_model_version(uow(), "fraud", 1).current_stage is Stage.PRODUCTION
    # Nothing refused left a trace: only the allowed no-op move and the later changes were recorded.
    assert [e.after for e in audit(uow, events.MODEL_VERSION_ALIAS_SET) if e.data["alias"] == "champion"] == [
        {"alias": "champion", "version": 1},
        {"alias": "champion", "version": 1},
    ]


def test_stage_promotion_archives_the_previous_holder(uow: UowFactory) -> None:
    register(uow, "house", 0.5, 0.6)
    policies.set_policy(
        uow(ADA),
        "house",
        protected=["stage:Production"],
        required_approvals=1,
        allowed_reviewers=["rita"],
        archive_previous=True,
    )
    first = promotions.create_request(uow(CARL), "house", 1, "stage:Production")
    with pytest.raises(PermissionDenied, match="not among the reviewers allowed"):
        promotions.approve(uow(REX), first.id)
    assert promotions.approve(uow(RITA), first.id).status is RequestStatus.APPLIED
    second = promotions.create_request(uow(CARL), "house", 2, "stage:production")
    assert promotions.approve(uow(RITA), second.id).status is RequestStatus.APPLIED
    assert versions.get_model_version(uow(), "house", 1).current_stage is Stage.ARCHIVED
    assert versions.get_model_version(uow(), "house", 2).current_stage is Stage.PRODUCTION
    moves = audit(uow, events.MODEL_VERSION_STAGE_TRANSITIONED)
    assert [(m.version, m.data["to_stage"], m.promotion_request_id) for m in moves] == [
        (1, "Production", first.id),
        (1, "Archived", second.id),
        (2, "Production", second.id),
    ]
    # Leaving a protected stage through a request to another stage needs the approvals too.
    demote = promotions.create_request(uow(CARL), "house", 2, "stage:Staging")
    assert demote.status is RequestStatus.PENDING
    assert demote.evaluation is not None
    assert demote.evaluation.protected


def test_approvals_rejections_and_cancellations(uow: UowFactory) -> None:
    register(uow, "fraud", 0.5)
    protect_champion(uow, required_approvals=2)
    request = promotions.create_request(uow(CARL), "fraud", 1, "alias:champion")
    promotions.approve(uow(RITA), request.id)
    with pytest.raises(Conflict, match="already decided"):
        promotions.approve(uow(RITA), request.id)  # once per reviewer
    with pytest.raises(Conflict, match="already open"):
        promotions.create_request(uow(DORA), "fraud", 1, "@champion")
    with pytest.raises(PermissionDenied, match="Only its requester"):
        promotions.cancel(uow(DORA), request.id)
    rejected = promotions.reject(uow(REX), request.id, "not this quarter")
    assert rejected.status is RequestStatus.REJECTED
    with pytest.raises(Conflict, match="already rejected"):
        promotions.approve(uow(ADA), request.id)
    with pytest.raises(Conflict, match="already rejected"):
        promotions.apply(uow(CARL), request.id)

    again = promotions.create_request(uow(CARL), "fraud", 1, "alias:champion", "second try")
    cancelled = promotions.cancel(uow(CARL), again.id, "wrong version")
    assert (cancelled.status, cancelled.closed_by) == (RequestStatus.CANCELLED, "carl")
    third = promotions.create_request(uow(CARL), "fraud", 1, "alias:champion")
    assert promotions.cancel(uow(ADA), third.id).status is RequestStatus.CANCELLED

    listed = promotions.list_requests(uow(), model="fraud")
    assert [(r.id, r.status) for r in listed.items] == [
        (third.id, RequestStatus.CANCELLED),
        (again.id, RequestStatus.CANCELLED),
        (request.id, RequestStatus.REJECTED),
    ]
    assert [r.id for r in promotions.list_requests(uow(), status="rejected").items] == [request.id]
    page = promotions.list_requests(uow(), model="fraud", max_results=2)
    assert page.next_page_token is not None
    rest = promotions.list_requests(uow(), model="fraud", max_results=2, page_token=page.next_page_token)
    assert [r.id for r in rest.items] == [request.id]
    with pytest.raises(NotFound):
        promotions.get_request(uow(), 999)
    with pytest.raises(NotFound):
        promotions.get_request(uow(), "abc")
    with pytest.raises(InvalidParameter):
        promotions.list_requests(uow(), status="maybe")
    with pytest.raises(NotFound):  # nothing was applied
        aliases.get_version_by_alias(uow(), "fraud", "champion")
    kinds = [e.action for e in audit(uow, events.PROMOTION_REQUEST_REJECTED)] + [
        e.action for e in audit(uow, events.PROMOTION_REQUEST_CANCELLED)
    ]
    assert kinds == [events.PROMOTION_REQUEST_REJECTED] + [events.PROMOTION_REQUEST_CANCELLED] * 2


def test_rules_against_the_holder_are_evaluated_again_at_apply_time(uow: UowFactory) -> None:
    register(uow, "fraud", 0.50, 0.52, 0.60)
    protect_champion(uow, required_approvals=2)
    promotions.approve(
        uow(ADA),
        promotions.approve(uow(RITA), promotions.create_request(uow(CARL), "fraud", 1, "@champion").id).id,
    )
    slow = promotions.create_request(uow(CARL), "fraud", 2, "@champion")
    half = promotions.approve(uow(RITA), slow.id)
    assert half.evaluation is not None
    assert half.evaluation.gate.passed  # 0.52 >= 0.50 - 0.01 against v1
    fast = promotions.create_request(uow(CARL), "fraud", 3, "@champion")
    promotions.approve(uow(RITA), fast.id)
    assert promotions.approve(uow(REX), fast.id).status is RequestStatus.APPLIED  # v3 (0.60) holds now
    late = promotions.approve(uow(REX), slow.id)
    assert late.status is RequestStatus.PENDING  # 0.52 < 0.60 - 0.01 now
    assert late.evaluation is not None
    assert late.evaluation.current_version == 3
    assert [o.reason for o in late.evaluation.gate.failures] == ["0.52 >= 0.59 (current 0.6 - 0.01) fails"]


@pytest.mark.parametrize(("score", "why"), [(None, "missing"), ("nan", "nan"), ("high", "nan")])
def test_missing_or_nan_metrics_fail_the_gate(uow: UowFactory, score: str | None, why: str) -> None:
    register(uow, "fraud", score)
    protect_champion(uow)
    request = promotions.approve(uow(RITA), promotions.create_request(uow(CARL), "fraud", 1, "@champion").id)
    assert request.status is RequestStatus.PENDING
    assert request.evaluation is not None
    assert all(not o.passed and why in o.reason for o in request.evaluation.gate.outcomes)


def test_archived_candidates_are_not_promoted(uow: UowFactory) -> None:
    register(uow, "fraud", 0.9)
    versions.transition_stage(uow(CARL), "fraud", 1, "Archived")
    protect_champion(uow)
    request = promotions.approve(uow(RITA), promotions.create_request(uow(CARL), "fraud", 1, "@champion").id)
    assert request.status is RequestStatus.PENDING
    assert request.evaluation is not None
    assert request.evaluation.blockers == ["candidate not archived: version 1 is Archived"]


def test_a_promoter_brings_external_approvals(uow: UowFactory) -> None:
    register(uow, "fraud", 0.5)
    protect_champion(uow, required_approvals=1)
    evidence = {
        "url": "https://github.com/o/r/pull/7",
        "commit": "a" * 40,
        "author": "octo",
        "source": "github",
    }
    review = {
        "reviewer": "mona",
        "source": "github",
        "url": "https://github.com/o/r/pull/7#pullrequestreview-1",
    }
    with pytest.raises(PermissionDenied, match="Only a promoter"):
        promotions.create_request(uow(CARL), "fraud", 1, "@champion", external_approvals=[review])
    # The author's own approval from outside is kept as evidence but not counted.
    own = {"reviewer": "octo", "source": "github", "url": "https://github.com/o/r/pull/7#pullrequestreview-0"}
    pending = promotions.create_request(
        uow(CI), "fraud", 1, "@champion", "PR #7", external_approvals=[own], evidence=evidence
    )
    assert pending.status is RequestStatus.PENDING
    assert pending.evaluation is not None
    assert pending.evaluation.approvals.excluded[0][0] == "github:octo"
    promotions.cancel(uow(CI), pending.id)
    with pytest.raises(InvalidParameter, match="listed twice"):
        promotions.create_request(uow(CI), "fraud", 1, "@champion", external_approvals=[review, review])
    applied = promotions.create_request(
        uow(CI), "fraud", 1, "@champion", "PR #7", external_approvals=[review], evidence=evidence
    )
    assert applied.status is RequestStatus.APPLIED
    assert applied.approvals[0].url == review["url"]
    assert promotions.apply(uow(CI), applied.id).status is RequestStatus.APPLIED  # idempotent
    (holding,) = history.holders_at(uow(), "fraud", "@champion").holders
    assert holding.approved_by == ("github:mona",)
    assert holding.evidence["url"] == "https://github.com/o/r/pull/7"
    approved = audit(uow, events.PROMOTION_REQUEST_APPROVED)[-1]
    assert (approved.actor, approved.data["reviewer"], approved.data["url"]) == ("ci", "mona", review["url"])


def test_forced_moves_are_for_admins_with_a_reason_and_are_audited(uow: UowFactory) -> None:
    register(uow, "fraud", 0.5, 0.6)
    protect_champion(uow)
    with pytest.raises(PermissionDenied, match="Only an admin"):
        forced.force_move(uow(RITA), "fraud", "@champion", 2, "because")
    with pytest.raises(MissingParameter, match="reason"):
        forced.force_move(uow(ADA), "fraud", "@champion", 2, "  ")
    moved = forced.force_move(uow(ADA), "fraud", "@champion", 2, "incident 42: v1 misbehaves")
    assert (moved.version, moved.previous_version, moved.protected) == (2, None, True)
    assert aliases.get_version_by_alias(uow(), "fraud", "champion").version == 2
    removed = forced.force_move(uow(ADA), "fraud", "alias:champion", None, "retire it")
    assert removed.previous_version == 2
    staged = forced.force_move(uow(ADA), "fraud", "stage:Production", 1, "hotfix")
    assert staged.version == 1
    (force_event,) = audit(uow, events.PROTECTED_TARGET_FORCE_MOVED)[:1]
    assert force_event.data["reason"] == "incident 42: v1 misbehaves"
    assert force_event.actor == "ada"
    alias_event = audit(uow, events.MODEL_VERSION_ALIAS_SET)[-1]
    assert (alias_event.data["forced"], alias_event.data["reason"]) == (True, "incident 42: v1 misbehaves")
    with uow().reading() as u:
        outbox = list(u.session.scalars(select(OutboxEventRow.type).order_by(OutboxEventRow.id)))
    assert outbox.count(events.PROTECTED_TARGET_FORCE_MOVED) == 3
    holding = history.holders_at(uow(), "fraud", "stage:Production").holders[0]
    assert (holding.version, holding.forced, holding.reason) == (1, True, "hotfix")


def test_policies_default_model_rename_and_delete(uow: UowFactory) -> None:
    register(uow, "a", 0.5)
    register(uow, "b", 0.5)
    assert policies.get_effective_policy(uow(), "a").scope == "none"
    policies.set_policy(uow(ADA), None, protected=["alias:champion"], required_approvals=2)
    policies.set_policy(uow(ADA), "b", protected=[])  # b opts out of the default
    assert policies.get_effective_policy(uow(), "a").required_approvals == 2
    assert policies.get_effective_policy(uow(), "a").scope == "default"
    with pytest.raises(PermissionDenied):
        aliases.set_alias(uow(CARL), "a", "champion", 1)
    aliases.set_alias(uow(CARL), "b", "champion", 1)

    # A rename keeps the model's policy: it is keyed by the model, not its name.
    policies.set_policy(uow(ADA), "a", protected=["alias:gold"])
    models.rename_registered_model(uow(CARL), "a", "a2")
    assert [str(t) for t in policies.get_effective_policy(uow(), "a2").protected] == ["alias:gold"]
    with pytest.raises(PermissionDenied):
        aliases.set_alias(uow(CARL), "a2", "gold", 1)

    assert [p.model for p in policies.list_policies(uow())] == [None, "a2", "b"]
    policies.delete_policy(uow(ADA), "a2")
    assert policies.get_effective_policy(uow(), "a2").scope == "default"
    policies.delete_policy(uow(ADA), None)
    with pytest.raises(NotFound):
        policies.delete_policy(uow(ADA), None)
    assert policies.get_policy(uow(), None) is None
    aliases.set_alias(uow(CARL), "a2", "champion", 1)
    changes = audit(uow, events.POLICY_SET) + audit(uow, events.POLICY_DELETED)
    assert [c.actor for c in changes] == ["ada"] * 5
    assert changes[-1].before is not None
    with pytest.raises(InvalidParameter):
        policies.set_policy(uow(ADA), "b", protected=["alias:latest"])
    with pytest.raises(NotFound):
        policies.set_policy(uow(ADA), "nope", protected=["alias:champion"])
