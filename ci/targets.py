"""What a promotion moves: a target (an alias or a stage) of a model, from one version to another."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from registry.domain.errors import InvalidParameter
from registry.domain.names import validate_alias
from registry.domain.stages import Stage


class TargetKind(StrEnum):
    STAGE = "stage"
    ALIAS = "alias"


@dataclass(frozen=True, order=True)
class Target:
    """`alias:champion` or `stage:Production`: the same spelling as the policy's `gated_targets`."""

    kind: TargetKind
    name: str

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.name}"

    @property
    def label(self) -> str:
        """How people read it in a comment: `@champion`, `Production`."""
        return f"@{self.name}" if self.kind is TargetKind.ALIAS else self.name

    @property
    def takes_metric_rules(self) -> bool:
        """Moving a version to Archived or None retires it; no metric has to be met for that."""
        return self.kind is TargetKind.ALIAS or self.name in (Stage.STAGING, Stage.PRODUCTION)

    @property
    def apply_order(self) -> tuple[int, str]:
        """Stages before aliases: deploy jobs read the alias, so it moves last, once the rest is set."""
        return (0 if self.kind is TargetKind.STAGE else 1, self.name)

    @classmethod
    def alias(cls, name: str) -> Target:
        return cls(TargetKind.ALIAS, name)

    @classmethod
    def stage(cls, stage: Stage) -> Target:
        return cls(TargetKind.STAGE, stage.value)


STAGE_NAMES = tuple(s.value for s in Stage)


def parse_target(text: str) -> Target:
    """Parse `alias:<name>` or `stage:<Stage>`; ValueError says what is wrong."""
    kind, sep, name = text.partition(":")
    if not sep or kind not in ("alias", "stage"):
        raise ValueError(f"{text!r} is not a target; write alias:<name> or stage:<Stage>")
    if kind == "stage":
        if name not in STAGE_NAMES:
            raise ValueError(f"unknown stage {name!r}; stages are {', '.join(STAGE_NAMES)}")
        return Target(TargetKind.STAGE, name)
    try:
        return Target(TargetKind.ALIAS, validate_alias(name))
    except InvalidParameter as exc:
        raise ValueError(exc.message) from exc


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
