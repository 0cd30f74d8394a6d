"""Schemas of the governance part of the native API: policies, promotion requests, history."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from registry.api.native.schemas import Strict, Timestamp
from registry.domain.names import MAX_NAME_LENGTH
from registry.domain.promotions import MAX_COMMENT, RequestStatus


class Text(fields.String):
    """A value shown as its text form (targets, rules, enums)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else str(value)


Comment = fields.String(load_default=None, validate=validate.Length(max=MAX_COMMENT))


# -- policies ------------------------------------------------------------------------------------
class PolicySchema(Schema):
    model = fields.String(allow_none=True, metadata={"description": "null for the server-wide default"})
    scope = fields.String(metadata={"description": "model, default, or none (nothing protected)"})
    protected = fields.List(Text(), metadata={"description": "e.g. alias:champion, stage:Production"})
    required_approvals = fields.Integer()
    allowed_reviewers = fields.List(fields.String(), metadata={"description": "names or role:<role>"})
    rules = fields.List(Text(), metadata={"description": "e.g. r2_score >= current - 0.01"})
    archive_previous = fields.Boolean()
    updated_at = Timestamp(allow_none=True)
    updated_by = fields.String(allow_none=True)


class PolicyListSchema(Schema):
    policies = fields.List(fields.Nested(PolicySchema))


class PolicyArgs(Strict):
    protected = fields.List(fields.String(), load_default=list)
    required_approvals = fields.Integer(load_default=0, strict=True)
    allowed_reviewers = fields.List(fields.String(), load_default=list)
    rules = fields.List(fields.String(), load_default=list)
    archive_previous = fields.Boolean(load_default=False)


class EffectiveArgs(Strict):
    effective = fields.Boolean(
        load_default=True,
        metadata={"description": "true: the policy that governs the model (its own or the default)"},
    )


# -- promotion requests --------------------------------------------------------------------------
class ApprovalSchema(Schema):
    reviewer = fields.String()
    decision = Text()
    source = fields.String(metadata={"description": "podium, or where it was given (e.g. github)"})
    role = Text(allow_none=True)
    comment = fields.String()
    url = fields.String(allow_none=True)
    recorded_by = fields.String()
    created_at = Timestamp()


class ExcludedApprovalSchema(Schema):
    reviewer = fields.String()
    reason = fields.String()


class ApprovalTallySchema(Schema):
    required = fields.Integer()
    counted = fields.List(fields.String())
    excluded = fields.List(fields.Nested(ExcludedApprovalSchema))
    rejected_by = fields.List(fields.String())


class RuleOutcomeSchema(Schema):
    rule = fields.String()
    passed = fields.Boolean()
    candidate_value = fields.Float(allow_none=True)
    current_value = fields.Float(allow_none=True)
    bound = fields.Float(allow_none=True, metadata={"description": "the number compared against"})
    reason = fields.String()


class CheckSchema(Schema):
    name = fields.String()
    passed = fields.Boolean()
    detail = fields.String()


class EvaluationSchema(Schema):
    ready = fields.Boolean(metadata={"description": "approvals and gate pass: it may be applied"})
    protected = fields.Boolean()
    current_version = fields.Integer(allow_none=True)
    approvals = fields.Nested(ApprovalTallySchema)
    rules = fields.List(fields.Nested(RuleOutcomeSchema))
    checks = fields.List(fields.Nested(CheckSchema))
    metric_sources = fields.Dict(keys=fields.String(), values=fields.String())
    blockers = fields.List(fields.String())
    evaluated_at = Timestamp()


class PromotionRequestSchema(Schema):
    id = fields.Integer()
    model = fields.String()
    version = fields.Integer()
    target = Text()
    status = Text(metadata={"description": ", ".join(s.value for s in RequestStatus)})
    requested_by = fields.String()
    comment = fields.String()
    created_at = Timestamp()
    updated_at = Timestamp()
    closed_at = Timestamp(allow_none=True)
    closed_by = fields.String(allow_none=True)
    previous_version = fields.Integer(allow_none=True)
    evidence = fields.Dict()
    approvals = fields.List(fields.Nested(ApprovalSchema))
    evaluation = fields.Nested(EvaluationSchema, allow_none=True)


class PromotionPageSchema(Schema):
    requests = fields.List(fields.Nested(PromotionRequestSchema), attribute="items")
    next_page_token = fields.String(allow_none=True)


class ExternalApprovalArgs(Strict):
    reviewer = fields.String(required=True, metadata={"description": "the reviewer's login there"})
    source = fields.String(required=True, metadata={"description": "e.g. github"})
    url = fields.String(required=True, metadata={"description": "URL of the review"})
    comment = fields.String(load_default=None)


class EvidenceArgs(Strict):
    url = fields.String(metadata={"description": "the pull request"})
    commit = fields.String()
    run_url = fields.String()
    author = fields.String(metadata={"description": "the change's author; never counted as approver"})
    source = fields.String()


class PromotionCreateArgs(Strict):
    model = fields.String(required=True, validate=validate.Length(min=1, max=MAX_NAME_LENGTH))
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    target = fields.String(required=True, metadata={"description": "alias:<name> or stage:<Stage>"})
    comment = Comment
    external_approvals = fields.List(
        fields.Nested(ExternalApprovalArgs),
        load_default=list,
        metadata={"description": "promoter tokens only"},
    )
    evidence = fields.Nested(
        EvidenceArgs, load_default=None, metadata={"description": "promoter tokens only"}
    )


class DecisionArgs(Strict):
    comment = Comment


class PromotionListArgs(Strict):
    model = fields.String(load_default=None)
    status = fields.String(load_default=None)
    target = fields.String(load_default=None)
    version = fields.Integer(load_default=None)
    requested_by = fields.String(load_default=None)
    max_results = fields.Integer(load_default=None, validate=validate.Range(min=1))
    page_token = fields.String(load_default=None)


# -- forced moves and history --------------------------------------------------------------------
class ForceArgs(Strict):
    target = fields.String(required=True)
    version = fields.Integer(
        load_default=None, allow_none=True, metadata={"description": "null removes an alias"}
    )
    reason = fields.String(required=True, validate=validate.Length(min=1, max=MAX_COMMENT))
    archive_existing_versions = fields.Boolean(load_default=False)


class ForcedMoveSchema(Schema):
    model = fields.String()
    target = Text()
    version = fields.Integer(allow_none=True)
    previous_version = fields.Integer(allow_none=True)
    reason = fields.String()
    actor = fields.String()
    at = Timestamp()
    protected = fields.Boolean()
    archived_versions = fields.List(fields.Integer())


class AuditEntrySchema(Schema):
    event_id = fields.String()
    occurred_at = Timestamp()
    actor = fields.String()
    action = fields.String()
    model = fields.String(allow_none=True)
    version = fields.Integer(allow_none=True)
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    data = fields.Dict()
    promotion_request_id = fields.Integer(allow_none=True)
    request_id = fields.String(allow_none=True)


class HistoryPageSchema(Schema):
    events = fields.List(fields.Nested(AuditEntrySchema), attribute="items")
    next_page_token = fields.String(allow_none=True)


class HistoryArgs(Strict):
    action = fields.List(fields.String(), load_default=None, metadata={"description": "event types"})
    before = fields.String(load_default=None, metadata={"description": "ISO 8601 or ms"})
    max_results = fields.Integer(load_default=None, validate=validate.Range(min=1))
    page_token = fields.String(load_default=None)


class HoldingSchema(Schema):
    version = fields.Integer()
    since = Timestamp()
    set_by = fields.String()
    event_id = fields.String()
    promotion_request_id = fields.Integer(allow_none=True)
    forced = fields.Boolean()
    reason = fields.String(allow_none=True)
    approved_by = fields.List(fields.String())
    evidence = fields.Dict()


class TargetHoldersSchema(Schema):
    model = fields.String()
    target = Text()
    at = Timestamp()
    holders = fields.List(fields.Nested(HoldingSchema))


class HoldersArgs(Strict):
    target = fields.String(required=True, metadata={"description": "alias:<name> or stage:<Stage>"})
    at = fields.String(load_default=None, metadata={"description": "ISO 8601 or ms; default now"})
