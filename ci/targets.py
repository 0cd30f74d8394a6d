"""What a promotion moves: a target (an alias or a stage) of a model, from one version to another.

Targets are the registry's own (`registry.domain.policies.Target`): a policy file and the server
spell and compare them the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from registry.domain.policies import Target
from registry.domain.stages import Stage

STAGE_NAMES = tuple(s.value for s in Stage)


@dataclass(frozen=True, order=True)
class Change:
    """Move `target` of `model` to `to_version`; `from_version` is what held it before (None: nothing)."""

    model: str
    target: Target
    from_version: int | None
    to_version: int

    def __str__(self) -> str:
        before = f"v{self.from_version}" if self.from_version is not None else "nothing"
        return f"{self.model} {self.target.label}: {before} → v{self.to_version}"
