"""How MLflow orders a registered model's `latest_versions`, so clients see the same lists.

MLflow lists the newest version of each stage in the order the stages were first used (the stage of
the lowest version first); its searches list them by stage name. Podium's services return them
newest first; the MLflow adapter reorders with these.
"""

from __future__ import annotations

from registry.db.repositories.stage_order import stages_by_first_version
from registry.db.uow import UnitOfWork
from registry.domain.entities import ModelVersion
from registry.domain.names import validate_model_name


def first_use_order(uow: UnitOfWork, name: str) -> list[str]:
    """The model's stages in the order they were first used ([] if the model is gone)."""
    name = validate_model_name(name)
    with uow.reading():
        model = uow.models.find(name)
        return stages_by_first_version(uow.session, model.id) if model is not None else []


def in_stage_order(versions: list[ModelVersion], order: list[str] | None) -> list[ModelVersion]:
    """`versions` (one per stage) in `order`; by stage name when no order is given."""
    if order is None:
        return sorted(versions, key=lambda v: v.current_stage.value)
    rank = {stage: i for i, stage in enumerate(order)}
    return sorted(versions, key=lambda v: rank.get(v.current_stage.value, len(rank)))
