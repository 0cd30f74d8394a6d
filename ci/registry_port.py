"""The registry as the gate sees it: exactly the calls the gate and apply make, nothing more.

`ci.podium_registry.PodiumRegistry` implements it over HTTP against a running Podium. Unit tests of the
decision logic use an in-memory fake; integration tests always use a real `podium server`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from ci.targets import Change, Target, TargetKind
from registry.domain.stages import Stage


class RegistryUnavailable(Exception):
    """Podium could not be asked (refused connection, timeout, 5xx, an answer that is not JSON).

    The gate fails closed on it (status `error`); apply retries a few times, then fails.
    """


class RegistryRefused(Exception):
    """Podium answered and said no (4xx): bad token, missing permission, a refused request."""

    def __init__(self, message: str, status: int, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


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
class Evidence:
    """The GitHub approval a promotion request carries, so Podium's audit history names the PR."""

    repository: str
    pr_number: int
    pr_url: str
    head_sha: str
    approvers: tuple[str, ...]
    run_url: str
    commit: str | None = None


@dataclass(frozen=True)
class PromotionRequest:
    id: str
    state: str


class Registry(Protocol):
    def model_state(self, model: str) -> ModelState | None:
        """Current holders of the model's aliases and stages; None when the model does not exist."""
        ...

    def version(self, model: str, version: int) -> VersionInfo | None:
        """One version; None when it does not exist."""
        ...

    def metrics(self, model: str, version: int) -> Mapping[str, float]:
        """Latest value of each metric on the version's source run (NaN and ±inf kept as floats)."""
        ...

    def request_promotion(self, change: Change, evidence: Evidence, reason: str) -> PromotionRequest:
        """Open a promotion request for `change`, carrying the GitHub approval as external evidence."""
        ...

    def apply_promotion(self, request: PromotionRequest) -> None:
        """Apply an approved request: Podium moves the target and records the audit event."""
        ...
