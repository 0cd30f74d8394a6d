"""The audit history as the registry shows it: entries, and who held a target at a point in time."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from registry.domain.errors import InvalidParameter
from registry.domain.policies import Target

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class AuditEntry:
    """One change: who (actor), what (action), before → after, when, under which request."""

    event_id: str
    occurred_at: int
    actor: str
    action: str
    model: str | None
    version: int | None
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    data: Mapping[str, Any]
    promotion_request_id: int | None = None
    request_id: str | None = None


@dataclass(frozen=True)
class Holding:
    """A version holding a target, since when, by whose change, and with which approvals."""

    version: int
    since: int
    set_by: str
    event_id: str
    promotion_request_id: int | None = None
    forced: bool = False
    reason: str | None = None
    # The approvals counted when the promotion request was applied (reviewer names).
    approved_by: tuple[str, ...] = ()
    evidence: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TargetHolders:
    """Who held `target` of `model` at `at`: at most one version for an alias, any number for a stage."""

    model: str
    target: Target
    at: int
    holders: tuple[Holding, ...]


def parse_time(value: object, field: str = "at") -> int:
    """Milliseconds since the epoch from an integer or ISO 8601 text (no zone means UTC)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if isinstance(value, str) and value.strip():
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            pass
        else:
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return (moment - _EPOCH) // timedelta(milliseconds=1)
    raise InvalidParameter(
        f"Invalid time {value!r}: use ISO 8601 (2026-05-01T12:00:00Z) or milliseconds since the epoch.",
        field=field,
    )
