"""The guard on protected targets: direct moves are refused with directions to a promotion request.

Every service that can move an alias or a version's stage asks the guard first, inside its own
transaction and after taking the model's lock, so a policy set a moment earlier is always seen and
both APIs (MLflow-compatible and native) are covered by the same check. Moves made by applying a
promotion request or by an admin's forced move do not come through here.
"""

from __future__ import annotations

from registry.db.tables import ModelVersionRow, RegisteredModelRow
from registry.db.uow import UnitOfWork
from registry.domain.errors import PermissionDenied
from registry.domain.policies import Policy, Target, TargetKind, alias_target, stage_target
from registry.services import policies


def _refusal(model: str, target: Target, doing: str, version: int | None) -> PermissionDenied:
    wanted = str(version) if version is not None else "<version>"
    return PermissionDenied(
        f"{target.label} of model '{model}' is protected by a promotion policy, so {doing} needs an "
        f"approved promotion request. Open one with: podium promote request '{model}' {wanted} "
        f"--target {target} --comment '<why>' (or POST /api/v1/promotions), and have it approved; "
        f"see `podium promote status`. An admin may force the move with a reason: "
        f"podium promote force '{model}' {wanted} --target {target} --reason '<why>'.",
        details={"protected_target": str(target), "model": model},
    )


def check_alias_move(
    uow: UnitOfWork, model: RegisteredModelRow, alias: str, version: ModelVersionRow | None
) -> None:
    """Refuse pointing `alias` at `version` (None: removing it) when the alias is protected.
    Setting it to the version it already points at changes nothing and is allowed."""
    target = alias_target(alias)
    policy = policies.effective(uow, model)
    if not policy.protects(target):
        return
    current = uow.models.alias_target(model.id, alias)
    if version is not None and current is not None and current.model_version_id == version.id:
        return
    if version is None and current is None:
        return
    doing = f"moving it to version {version.version}" if version is not None else "removing it"
    raise _refusal(model.name, target, doing, version.version if version is not None else None)


def check_stage_move(
    uow: UnitOfWork,
    model: RegisteredModelRow,
    version: ModelVersionRow,
    to_stage: str,
    archive_existing_versions: bool,
) -> None:
    """Refuse a transition that moves a version into or out of a protected stage, or that would
    archive the versions holding a protected stage."""
    policy = policies.effective(uow, model)
    if not policy.protected:
        return
    entering = stage_target(to_stage)
    leaving = stage_target(version.stage)
    if version.stage != to_stage and policy.protects(entering):
        raise _refusal(model.name, entering, f"moving version {version.version} into it", version.version)
    if version.stage != to_stage and policy.protects(leaving):
        raise _refusal(model.name, leaving, f"moving version {version.version} out of it", version.version)
    if archive_existing_versions and policy.protects(entering):
        others = [v for v in uow.versions.in_stage(model.id, to_stage) if v.id != version.id]
        if others:
            raise _refusal(model.name, entering, "archiving the versions in it", version.version)


def protected_holdings(uow: UnitOfWork, model: RegisteredModelRow, policy: Policy) -> dict[int, list[Target]]:
    """version row id → the protected targets it holds now."""
    out: dict[int, list[Target]] = {}
    for target in policy.protected:
        if target.kind is TargetKind.ALIAS:
            row = uow.models.alias_target(model.id, target.name)
            holders = [row.model_version_id] if row is not None else []
        else:
            holders = [v.id for v in uow.versions.in_stage(model.id, target.name)]
        for vid in holders:
            out.setdefault(vid, []).append(target)
    return out


def check_version_delete(uow: UnitOfWork, model: RegisteredModelRow, version: ModelVersionRow) -> None:
    """Refuse deleting a version that holds a protected alias or stage (it would move the target)."""
    policy = policies.effective(uow, model)
    held = protected_holdings(uow, model, policy).get(version.id) if policy.protected else None
    if held:
        raise _refusal(model.name, held[0], f"deleting version {version.version}, which holds it", None)


def check_model_delete(uow: UnitOfWork, model: RegisteredModelRow) -> None:
    """Refuse deleting a model while a version holds one of its protected targets."""
    policy = policies.effective(uow, model)
    if not policy.protected:
        return
    for targets in protected_holdings(uow, model, policy).values():
        raise _refusal(model.name, targets[0], "deleting the model", None)
