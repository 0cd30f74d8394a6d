"""Promotion requests: the only way to a protected target, and the rules that decide readiness.

A request asks for one version of a model to take one target. Reviewers approve or reject it (never
the requester, once each); a promoter (CI) may bring approvals given elsewhere as evidence. A request
is ready when its approvals are enough and the metric gate passes; it is then applied in one
transaction and is closed for good, as is a rejected or cancelled one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from registry.domain.errors import InvalidParameter
from registry.domain.gate import GateResult, RuleOutcome, parse_rule
from registry.domain.identity import Role
from registry.domain.policies import REVIEWER_NAME, Policy, Target

PODIUM_SOURCE = "podium"
_SOURCE = re.compile(r"^[a-z][a-z0-9_\-]{0,31}$")
MAX_COMMENT = 5000
MAX_URL = 2000
MAX_EXTERNAL_APPROVALS = 50


class RequestStatus(StrEnum):
    PENDING = "pending"
    APPLIED = "applied"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


@dataclass(frozen=True)
class Approval:
    """A reviewer's decision. `source` is "podium" for a token holder, else where it was given."""

    reviewer: str
    decision: Decision
    source: str = PODIUM_SOURCE
    role: Role | None = None
    comment: str = ""
    url: str | None = None
    recorded_by: str = ""
    created_at: int = 0

    @property
    def external(self) -> bool:
        return self.source != PODIUM_SOURCE

    @property
    def who(self) -> str:
        return self.reviewer if not self.external else f"{self.source}:{self.reviewer}"


@dataclass(frozen=True)
class ApprovalTally:
    required: int
    counted: tuple[str, ...] = ()
    # (reviewer, why the approval does not count)
    excluded: tuple[tuple[str, str], ...] = ()
    rejected_by: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.rejected_by and len(self.counted) >= self.required


def tally(
    policy: Policy, required: int, requester: str, author: str | None, approvals: Iterable[Approval]
) -> ApprovalTally:
    """Count the approvals that satisfy `policy`; the requester and the change's author never count."""
    counted: list[str] = []
    excluded: list[tuple[str, str]] = []
    rejected: list[str] = []
    for a in approvals:
        if a.decision is Decision.REJECT:
            rejected.append(a.who)
        elif a.reviewer == requester or (author is not None and a.reviewer == author):
            excluded.append((a.who, "the requester or author cannot approve their own promotion"))
        elif not policy.allows_reviewer(a.reviewer, a.role, external=a.external):
            excluded.append((a.who, "not among the policy's allowed reviewers"))
        elif a.who not in counted:
            counted.append(a.who)
    return ApprovalTally(required, tuple(counted), tuple(excluded), tuple(rejected))


@dataclass(frozen=True)
class Check:
    """A condition besides metrics (e.g. the candidate is not archived)."""

    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class Evaluation:
    """Everything that decides whether a request may be applied now."""

    protected: bool
    approvals: ApprovalTally
    gate: GateResult
    checks: tuple[Check, ...] = ()
    current_version: int | None = None
    # Where each version's metrics were read ("run <id>", "logged model <id>", "version tags").
    metric_sources: Mapping[str, str] = field(default_factory=dict)
    evaluated_at: int = 0

    @property
    def ready(self) -> bool:
        return self.approvals.passed and self.gate.passed and all(c.passed for c in self.checks)

    @property
    def blockers(self) -> list[str]:
        """Why the request cannot be applied yet, in words for people."""
        out: list[str] = []
        a = self.approvals
        if a.rejected_by:
            out.append(f"rejected by {', '.join(a.rejected_by)}")
        elif len(a.counted) < a.required:
            out.append(f"{len(a.counted)} of {a.required} required approvals")
        out.extend(f"metric rule {o.rule} failed: {o.reason}" for o in self.gate.failures)
        out.extend(f"{c.name}: {c.detail}" for c in self.checks if not c.passed)
        return out


@dataclass(frozen=True)
class PromotionRequest:
    id: int
    model: str
    version: int
    target: Target
    status: RequestStatus
    requested_by: str
    comment: str
    created_at: int
    updated_at: int
    approvals: tuple[Approval, ...] = ()
    evidence: Mapping[str, Any] = field(default_factory=dict)
    closed_at: int | None = None
    closed_by: str | None = None
    previous_version: int | None = None
    evaluation: Evaluation | None = None


def validate_comment(value: object, field: str = "comment") -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > MAX_COMMENT or "\x00" in value:
        raise InvalidParameter(f"{field} must be text of at most {MAX_COMMENT} characters.", field=field)
    return value


def _url(value: object, field: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_URL or not re.match(r"^https?://\S+$", value):
        raise InvalidParameter(f"{field} must be an http(s) URL.", field=field)
    return value


def parse_evidence(evidence: Mapping[str, Any] | None) -> dict[str, Any]:
    """Evidence of the change from outside: `url` (pull request), `commit`, `run_url`, `author`."""
    if not evidence:
        return {}
    out: dict[str, Any] = {}
    unknown = set(evidence) - {"url", "commit", "run_url", "author", "source"}
    if unknown:
        raise InvalidParameter(f"Unknown evidence fields: {', '.join(sorted(unknown))}.", field="evidence")
    for key in ("url", "run_url"):
        if (value := _url(evidence.get(key), f"evidence.{key}")) is not None:
            out[key] = value
    commit = evidence.get("commit")
    if commit not in (None, ""):
        if not isinstance(commit, str) or not re.fullmatch(r"[0-9a-fA-F]{7,64}", commit):
            raise InvalidParameter("evidence.commit must be a commit SHA.", field="evidence")
        out["commit"] = commit.lower()
    author = evidence.get("author")
    if author not in (None, ""):
        if not isinstance(author, str) or not REVIEWER_NAME.match(author):
            raise InvalidParameter("evidence.author must be a login.", field="evidence")
        out["author"] = author
    source = evidence.get("source")
    if source not in (None, ""):
        out["source"] = parse_source(source)
    return out


def parse_source(value: object) -> str:
    if not isinstance(value, str) or not _SOURCE.match(value) or value == PODIUM_SOURCE:
        raise InvalidParameter(
            "An external approval's source must name where it was given (e.g. 'github').",
            field="external_approvals",
        )
    return value


def parse_external_approval(item: object) -> Approval:
    """An approval given outside Podium: {reviewer, source, url, comment?}."""
    if not isinstance(item, Mapping):
        raise InvalidParameter("Each external approval must be an object.", field="external_approvals")
    unknown = set(item) - {"reviewer", "source", "url", "comment"}
    if unknown:
        raise InvalidParameter(
            f"Unknown external approval fields: {', '.join(sorted(unknown))}.", field="external_approvals"
        )
    reviewer = item.get("reviewer")
    if not isinstance(reviewer, str) or not REVIEWER_NAME.match(reviewer):
        raise InvalidParameter("An external approval needs the reviewer's login.", field="external_approvals")
    url = _url(item.get("url"), "external_approvals.url")
    if url is None:
        raise InvalidParameter(
            "An external approval needs the URL of the review (e.g. the pull request review).",
            field="external_approvals",
        )
    return Approval(
        reviewer=reviewer,
        decision=Decision.APPROVE,
        source=parse_source(item.get("source")),
        comment=validate_comment(item.get("comment")),
        url=url,
    )


def parse_external_approvals(items: Sequence[object] | None) -> list[Approval]:
    """Every external approval of a request, each reviewer (per source) at most once."""
    approvals = [parse_external_approval(item) for item in items or ()]
    if len(approvals) > MAX_EXTERNAL_APPROVALS:
        raise InvalidParameter(
            f"At most {MAX_EXTERNAL_APPROVALS} external approvals per request.", field="external_approvals"
        )
    seen: set[str] = set()
    for a in approvals:
        if a.who in seen:
            raise InvalidParameter(
                f"External approval by {a.who} is listed twice.", field="external_approvals"
            )
        seen.add(a.who)
    return approvals


@dataclass(frozen=True)
class ForcedMove:
    """An admin's move of a target outside the promotion workflow, with the reason given."""

    model: str
    target: Target
    version: int | None
    previous_version: int | None
    reason: str
    actor: str
    at: int
    protected: bool
    archived_versions: tuple[int, ...] = ()


def evaluation_data(ev: Evaluation) -> dict[str, Any]:
    """JSON-ready form, stored with an applied request and carried by its event."""
    return {
        "ready": ev.ready,
        "protected": ev.protected,
        "evaluated_at": ev.evaluated_at,
        "current_version": ev.current_version,
        "approvals": {
            "required": ev.approvals.required,
            "counted": list(ev.approvals.counted),
            "excluded": [{"reviewer": r, "reason": why} for r, why in ev.approvals.excluded],
            "rejected_by": list(ev.approvals.rejected_by),
        },
        "rules": [
            {
                "rule": str(o.rule),
                "passed": o.passed,
                "candidate_value": o.candidate_value,
                "current_value": o.current_value,
                "bound": o.bound,
                "reason": o.reason,
            }
            for o in ev.gate.outcomes
        ],
        "checks": [{"name": c.name, "passed": c.passed, "detail": c.detail} for c in ev.checks],
        "metric_sources": dict(ev.metric_sources),
        "blockers": ev.blockers,
    }


def evaluation_from_data(data: Mapping[str, Any]) -> Evaluation:
    a = data["approvals"]
    return Evaluation(
        protected=data["protected"],
        approvals=ApprovalTally(
            a["required"],
            tuple(a["counted"]),
            tuple((e["reviewer"], e["reason"]) for e in a["excluded"]),
            tuple(a["rejected_by"]),
        ),
        gate=GateResult(
            tuple(
                RuleOutcome(
                    parse_rule(r["rule"]),
                    r["passed"],
                    r["candidate_value"],
                    r["current_value"],
                    r["bound"],
                    r["reason"],
                )
                for r in data["rules"]
            )
        ),
        checks=tuple(Check(c["name"], c["passed"], c["detail"]) for c in data["checks"]),
        current_version=data["current_version"],
        metric_sources=data["metric_sources"],
        evaluated_at=data["evaluated_at"],
    )
