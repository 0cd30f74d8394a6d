"""Promotion policies: which targets of a model are protected, and what promoting to them needs.

A target is an alias (`alias:champion`) or a stage (`stage:Production`). A policy belongs to one
registered model, or is the server-wide default that applies to models without their own; a model's
policy replaces the default entirely (a model policy protecting nothing opts the model out).
With no policy at all nothing is protected and the MLflow workflow runs unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from registry.domain.errors import InvalidParameter
from registry.domain.gate import MetricRule, parse_rule
from registry.domain.identity import Role, parse_role
from registry.domain.names import validate_alias
from registry.domain.stages import Stage, parse_stage

MAX_REQUIRED_APPROVALS = 20
MAX_RULES = 50
ROLE_PREFIX = "role:"
# A reviewer: a token name, or a login elsewhere (GitHub bots end in "[bot]").
REVIEWER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@\-\[\]]{0,127}$")


class TargetKind(StrEnum):
    ALIAS = "alias"
    STAGE = "stage"


@dataclass(frozen=True, order=True)
class Target:
    """Where a promotion puts a version: an alias of the model, or a stage."""

    kind: TargetKind
    name: str

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.name}"

    @property
    def label(self) -> str:
        """How people say it: `@champion`, `stage Production`."""
        return f"@{self.name}" if self.kind is TargetKind.ALIAS else f"stage {self.name}"

    @property
    def stage(self) -> Stage:
        return parse_stage(self.name)

    @property
    def takes_metric_rules(self) -> bool:
        """Moving a version to Archived or None retires it; no metric has to be met for that."""
        return self.kind is TargetKind.ALIAS or self.name in (Stage.STAGING, Stage.PRODUCTION)

    @property
    def apply_order(self) -> tuple[int, str]:
        """Stages before aliases: deploy jobs read the alias, so it moves last, once the rest is set."""
        return (0 if self.kind is TargetKind.STAGE else 1, self.name)


def alias_target(alias: str) -> Target:
    return Target(TargetKind.ALIAS, alias)


def stage_target(stage: Stage | str) -> Target:
    return Target(TargetKind.STAGE, parse_stage(stage).value)


def parse_target(value: object, field: str = "target") -> Target:
    """`alias:champion` (or `@champion`) and `stage:Production` (stage names case-insensitive)."""
    if isinstance(value, Target):
        return value
    if not isinstance(value, str) or not value.strip():
        raise InvalidParameter(
            "A target must be 'alias:<name>' or 'stage:<Stage>', e.g. alias:champion.", field=field
        )
    text = value.strip()
    if text.startswith("@"):
        return alias_target(validate_alias(text[1:], field=field))
    kind, sep, name = text.partition(":")
    if sep and kind.lower() == TargetKind.ALIAS.value:
        return alias_target(validate_alias(name, field=field))
    if sep and kind.lower() == TargetKind.STAGE.value:
        try:
            return stage_target(name)
        except InvalidParameter as exc:
            raise InvalidParameter(exc.message, field=field) from None
    raise InvalidParameter(
        f"Invalid target {text!r}: write 'alias:<name>' (or '@<name>') or 'stage:<Stage>', "
        "e.g. alias:champion or stage:Production.",
        field=field,
    )


def validate_reviewer_entry(entry: object) -> str:
    """A token name (`alice`) or a role (`role:reviewer`; the role must be able to approve)."""
    if not isinstance(entry, str) or not entry.strip():
        raise InvalidParameter(
            "An allowed reviewer must be a name or 'role:<role>'.", field="allowed_reviewers"
        )
    text = entry.strip()
    if text.lower().startswith(ROLE_PREFIX):
        role = parse_role(text[len(ROLE_PREFIX) :])
        if not role.grants(Role.REVIEWER):
            raise InvalidParameter(
                f"Role {role.value!r} cannot approve (approving needs reviewer or admin).",
                field="allowed_reviewers",
            )
        return ROLE_PREFIX + role.value
    if not REVIEWER_NAME.match(text):
        raise InvalidParameter(f"Invalid reviewer name {text!r}.", field="allowed_reviewers")
    return text


@dataclass(frozen=True)
class Policy:
    """What a model's protected targets require. `model` is None for the server-wide default."""

    protected: tuple[Target, ...] = ()
    required_approvals: int = 0
    # Token names, external reviewer logins, or `role:<role>`; empty means any reviewer.
    allowed_reviewers: tuple[str, ...] = ()
    rules: tuple[MetricRule, ...] = ()
    # Archive the version that held the target when a promotion moves it.
    archive_previous: bool = False
    model: str | None = None
    updated_at: int | None = None
    updated_by: str | None = None
    # Where an effective policy came from: "model", "default", or "none" (nothing protected).
    scope: str = field(default="model", compare=False)

    def protects(self, target: Target) -> bool:
        return target in self.protected

    def allows_reviewer(self, name: str, role: Role | None, *, external: bool) -> bool:
        """May this reviewer's approval count?

        A name entry matches a token name or an external reviewer's login. A role entry matches
        Podium identities holding that role (admin counts as every role); an external approval,
        attested by a promoter token, satisfies role entries: the promoter's own system (e.g. the
        repository's reviewer rules) decided who may review there.
        """
        if not self.allowed_reviewers:
            return external or (role is not None and role.grants(Role.REVIEWER))
        for entry in self.allowed_reviewers:
            if entry.startswith(ROLE_PREFIX):
                wanted = Role(entry[len(ROLE_PREFIX) :])
                if external or (role is not None and role.grants(wanted)):
                    return True
            elif entry == name:
                return True
        return False


NO_POLICY = Policy(scope="none")


def build_policy(
    *,
    protected: Iterable[object] = (),
    required_approvals: object = 0,
    allowed_reviewers: Iterable[object] = (),
    rules: Iterable[object] = (),
    archive_previous: object = False,
    model: str | None = None,
) -> Policy:
    """Validate a policy as a client wrote it; raises InvalidParameter naming the bad field."""
    targets = tuple(sorted({parse_target(t, field="protected") for t in protected}))
    if isinstance(required_approvals, bool) or not isinstance(required_approvals, int):
        raise InvalidParameter("required_approvals must be an integer.", field="required_approvals")
    if not 0 <= required_approvals <= MAX_REQUIRED_APPROVALS:
        raise InvalidParameter(
            f"required_approvals must be between 0 and {MAX_REQUIRED_APPROVALS}.", field="required_approvals"
        )
    reviewers = tuple(dict.fromkeys(validate_reviewer_entry(r) for r in allowed_reviewers))
    parsed = tuple(r if isinstance(r, MetricRule) else parse_rule(r) for r in rules)
    if len(parsed) > MAX_RULES:
        raise InvalidParameter(f"A policy holds at most {MAX_RULES} metric rules.", field="rules")
    if not isinstance(archive_previous, bool):
        raise InvalidParameter("archive_previous must be true or false.", field="archive_previous")
    return Policy(
        protected=targets,
        required_approvals=required_approvals,
        allowed_reviewers=reviewers,
        rules=parsed,
        archive_previous=archive_previous,
        model=model,
        scope="model" if model is not None else "default",
    )
