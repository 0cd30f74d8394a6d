"""Forced moves: an admin moves a (usually protected) target without a promotion request.

The escape hatch for incidents (a bad champion must go now). It needs a reason, is recorded with
the ordinary alias/stage events (marked `forced`, with the reason) plus a
`protected_target.force_moved` event, so the audit history and webhook receivers both see it.
"""

from __future__ import annotations

from registry.db.uow import UnitOfWork
from registry.domain import events
from registry.domain.errors import InvalidParameter, MissingParameter, PermissionDenied
from registry.domain.identity import Role
from registry.domain.names import parse_version, validate_model_name
from registry.domain.policies import TargetKind, parse_target
from registry.domain.promotions import ForcedMove, validate_comment
from registry.services import aliases, policies, versions
from registry.services.evaluation import current_holder


def force_move(
    uow: UnitOfWork,
    model: str,
    target: object,
    version: object,
    reason: object,
    archive_existing_versions: bool = False,
) -> ForcedMove:
    """Point `target` at `version` (None removes an alias), whatever the policy says.

    For a stage target, `version` is the version moved into that stage (moving a version out of a
    protected stage is a forced move of it into another stage)."""
    if not uow.actor.may(Role.ADMIN):
        raise PermissionDenied("Only an admin may force a move of a protected target.")
    name = validate_model_name(model, field="model")
    wanted = parse_target(target)
    why = validate_comment(reason, field="reason").strip()
    if not why:
        raise MissingParameter(
            "A forced move needs a reason; it is kept in the audit history.", field="reason"
        )
    number = parse_version(version) if version not in (None, "") else None
    if number is None and wanted.kind is TargetKind.STAGE:
        raise MissingParameter("Name the version to move into the stage.", field="version")
    if archive_existing_versions and wanted.kind is TargetKind.ALIAS:
        raise InvalidParameter(
            "archive_existing_versions applies to stage targets only.", field="archive_existing_versions"
        )
    extra = {"forced": True, "reason": why}
    with uow:
        model_row = uow.models.lock(name)
        protected = policies.effective(uow, model_row).protects(wanted)
        archived: list[int] = []
        if wanted.kind is TargetKind.ALIAS:
            if number is None:
                previous = aliases.remove_alias(uow, model_row, wanted.name, extra=extra)
            else:
                row = uow.versions.get(model_row, number)
                previous = aliases.move_alias(uow, model_row, wanted.name, row, extra=extra)
        else:
            assert number is not None
            row = uow.versions.get(model_row, number)
            holder = current_holder(uow, model_row, wanted)
            previous = holder.version if holder is not None else None
            archived = versions.move_stage(
                uow, model_row, row, wanted.stage, archive_existing_versions, extra=extra
            )
        uow.record(
            events.Event(
                events.PROTECTED_TARGET_FORCE_MOVED,
                name,
                {
                    "model": name,
                    "target": str(wanted),
                    "version": str(number) if number is not None else None,
                    "previous_version": str(previous) if previous is not None else None,
                    "reason": why,
                    "protected": protected,
                    "archived_versions": [str(v) for v in archived],
                },
                before={"target": str(wanted), "version": previous},
                after={"target": str(wanted), "version": number},
                version=number,
            )
        )
        return ForcedMove(
            model=name,
            target=wanted,
            version=number,
            previous_version=previous,
            reason=why,
            actor=uow.actor.name,
            at=uow.now,
            protected=protected,
            archived_versions=tuple(archived),
        )
