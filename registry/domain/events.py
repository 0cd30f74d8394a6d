"""Events: what happened in the registry, in the registry's words.

A service records events in its unit of work; they are written to the outbox (for webhooks) and to
the audit history in the same transaction as the change, so a change that rolls back leaves neither.
Names are dotted and past tense. `data` holds JSON-ready values only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from registry.domain.entities import ModelVersion, RegisteredModel

REGISTERED_MODEL_CREATED = "registered_model.created"
REGISTERED_MODEL_UPDATED = "registered_model.updated"
REGISTERED_MODEL_RENAMED = "registered_model.renamed"
REGISTERED_MODEL_DELETED = "registered_model.deleted"
REGISTERED_MODEL_TAG_SET = "registered_model_tag.set"
REGISTERED_MODEL_TAG_DELETED = "registered_model_tag.deleted"
MODEL_VERSION_CREATED = "model_version.created"
MODEL_VERSION_UPDATED = "model_version.updated"
MODEL_VERSION_DELETED = "model_version.deleted"
MODEL_VERSION_STAGE_TRANSITIONED = "model_version.stage_transitioned"
MODEL_VERSION_TAG_SET = "model_version_tag.set"
MODEL_VERSION_TAG_DELETED = "model_version_tag.deleted"
MODEL_VERSION_ALIAS_SET = "model_version_alias.set"
MODEL_VERSION_ALIAS_DELETED = "model_version_alias.deleted"

REGISTRY_EVENT_TYPES: tuple[str, ...] = (
    REGISTERED_MODEL_CREATED,
    REGISTERED_MODEL_UPDATED,
    REGISTERED_MODEL_RENAMED,
    REGISTERED_MODEL_DELETED,
    REGISTERED_MODEL_TAG_SET,
    REGISTERED_MODEL_TAG_DELETED,
    MODEL_VERSION_CREATED,
    MODEL_VERSION_UPDATED,
    MODEL_VERSION_DELETED,
    MODEL_VERSION_STAGE_TRANSITIONED,
    MODEL_VERSION_TAG_SET,
    MODEL_VERSION_TAG_DELETED,
    MODEL_VERSION_ALIAS_SET,
    MODEL_VERSION_ALIAS_DELETED,
)

# Governance (promotion requests, policies, forced moves of protected targets).
PROMOTION_REQUEST_CREATED = "promotion_request.created"
PROMOTION_REQUEST_APPROVED = "promotion_request.approved"
PROMOTION_REQUEST_REJECTED = "promotion_request.rejected"
PROMOTION_REQUEST_CANCELLED = "promotion_request.cancelled"
PROMOTION_REQUEST_APPLIED = "promotion_request.applied"
POLICY_SET = "policy.set"
POLICY_DELETED = "policy.deleted"
PROTECTED_TARGET_FORCE_MOVED = "protected_target.force_moved"

GOVERNANCE_EVENT_TYPES: tuple[str, ...] = (
    PROMOTION_REQUEST_CREATED,
    PROMOTION_REQUEST_APPROVED,
    PROMOTION_REQUEST_REJECTED,
    PROMOTION_REQUEST_CANCELLED,
    PROMOTION_REQUEST_APPLIED,
    POLICY_SET,
    POLICY_DELETED,
    PROTECTED_TARGET_FORCE_MOVED,
)


@dataclass(frozen=True)
class Event:
    """Something that happened to `model` (a registered model name, or None for server-wide)."""

    type: str
    model: str | None
    data: Mapping[str, Any] = field(default_factory=dict)
    # What the audit history shows as the state before and after, when there is one.
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    # The promotion request this change carries out, if any.
    promotion_request_id: int | None = None
    # The version the event is about, for history queries ("who held @champion at T").
    version: int | None = None


def version_data(mv: ModelVersion) -> dict[str, Any]:
    return {
        "name": mv.name,
        "version": str(mv.version),
        "source": mv.source,
        "run_id": mv.run_id or "",
        "model_id": mv.model_id or "",
        "current_stage": mv.current_stage.value,
        "description": mv.description,
        "tags": dict(mv.tags),
    }


def model_data(rm: RegisteredModel) -> dict[str, Any]:
    return {"name": rm.name, "description": rm.description, "tags": dict(rm.tags)}
