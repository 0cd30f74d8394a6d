"""The order in which a model's stages were first used, as MLflow lists a model's latest versions."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.db.tables import ModelVersionRow


def stages_by_first_version(session: Session, model_id: int) -> list[str]:
    """Stages that some version of the model is in, ordered by the lowest version in each."""
    rows = session.execute(
        select(ModelVersionRow.stage, func.min(ModelVersionRow.version).label("first"))
        .where(ModelVersionRow.registered_model_id == model_id)
        .group_by(ModelVersionRow.stage)
        .order_by("first")
    )
    return [stage for stage, _ in rows]
