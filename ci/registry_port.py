"""The registry as the gate sees it: exactly the calls the gate and apply make, nothing more.

`ci.podium_registry.PodiumRegistry` implements it with `registry.client.RegistryClient` against a
running Podium. Unit tests of the decision logic use an in-memory fake; integration tests always use a
real `podium server`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from ci.targets import Change
from registry.domain.policies import Target, TargetKind
from registry.domain.stages import Stage


class RegistryUnavailable(Exception):
    """Podium could not be asked (refused connection, timeout, 5xx, an answer that is not JSON).

    The gate fails closed on it (status `error`); apply retries a few times, then fails.
    """


class RegistryRefused(Exception):
    """Podium answered and said no (4xx): bad token, missing permission, a refused request."""

    def __init__(self, message: str, status: int, code: str = "", blockers: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        # What still stands in the way of a promotion request Podium would not apply (409).
        self.blockers = blockers


@dataclass(frozen=True)
class VersionInfo:
    model: str
    version: int
    stage: Stage
    run_id: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelState:
    """Which version holds each alias, and the latest version in each stage."""

    model: str
    aliases: Mapping[str, int] = field(default_factory=dict)
    stages: Mapping[Stage, int] = field(default_factory=dict)

    def holder(self, target: Target) -> int | None:
        if target.kind is TargetKind.ALIAS:
            return self.aliases.get(target.name)
        return self.stages.get(Stage(target.name))


@dataclass(frozen=True)
class ExternalApproval:
    """One counted GitHub approval: the reviewer's login and the URL of their review."""

    reviewer: str
    url: str


@dataclass(frozen=True)
class Evidence:
    """The reviewed pull request a promotion request carries, so Podium's history names it, and the
    approvals counted on its head commit, which Podium counts against its own policy."""

    pr_url: str
    head_sha: str
    author: str
    run_url: str
    approvals: tuple[ExternalApproval, ...] = ()


@dataclass(frozen=True)
class PromotionRequest:
    """A promotion request as Podium answered: `status` pending or applied (or closed), and while
    pending, `blockers`: why Podium's own policy does not let it through yet."""

    id: int
    status: str
    blockers: tuple[str, ...] = ()

    @property
    def applied(self) -> bool:
        return self.status == "applied"


class Registry(Protocol):
    def model_state(self, model: str) -> ModelState | None:
        """Current holders of the model's aliases and stages; None when the model does not exist."""
        ...

    def version(self, model: str, version: int) -> VersionInfo | None:
        """One version; None when it does not exist."""
        ...

    def metrics(self, model: str, version: int) -> Mapping[str, float]:
        """The version's metrics as Podium's promotion rules read them (NaN and ±inf kept as floats)."""
        ...

    def request_promotion(self, change: Change, evidence: Evidence, comment: str) -> PromotionRequest:
        """Open a promotion request for `change` with the GitHub evidence; Podium applies it at once
        when its own policy is satisfied."""
        ...

    def apply_promotion(self, request: PromotionRequest) -> PromotionRequest:
        """Apply a request that is still pending. RegistryRefused (409, with the blockers) when
        Podium's policy still refuses it."""
        ...
