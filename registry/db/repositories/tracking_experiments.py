"""Experiments and their tags."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, cast, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from registry.db.repositories.filters import compare, tag_condition
from registry.db.tables.tracking import ExperimentRow, ExperimentTagRow
from registry.domain.errors import AlreadyExists, NotFound
from registry.domain.search import Comparison, OrderKey
from registry.domain.tracking import ACTIVE, DEFAULT_EXPERIMENT_NAME, DELETED, is_experiment_id

_COLUMNS: dict[str, Any] = {
    "name": ExperimentRow.name,
    "experiment_id": ExperimentRow.id,
    "creation_time": ExperimentRow.creation_time,
    "last_update_time": ExperimentRow.last_update_time,
}


def experiment_not_found(experiment_id: object) -> NotFound:
    return NotFound(f"No Experiment with id={experiment_id} exists")


class ExperimentRepository:
    def __init__(self, session: Session, dialect: str) -> None:
        self.session = session
        self.dialect = dialect

    def add(self, name: str, now: int) -> ExperimentRow:
        existing = self.by_name(name)
        if existing is not None:
            if existing.lifecycle_stage == DELETED:
                raise AlreadyExists(
                    f"Experiment '{name}' already exists in deleted state. You can restore the "
                    "experiment, or permanently delete the experiment to create a new one."
                )
            raise AlreadyExists(f"Experiment '{name}' already exists.")
        row = ExperimentRow(name=name, lifecycle_stage=ACTIVE, creation_time=now, last_update_time=now)
        self.session.add(row)
        try:
            with self.session.begin_nested():
                self.session.flush()
        except IntegrityError:
            raise AlreadyExists(f"Experiment '{name}' already exists.") from None
        return row

    def ensure_default(self, now: int) -> None:
        """Create MLflow's Default experiment (id 0) if it is missing."""
        if self.session.get(ExperimentRow, 0) is not None:
            return
        self.session.add(
            ExperimentRow(
                id=0,
                name=DEFAULT_EXPERIMENT_NAME,
                lifecycle_stage=ACTIVE,
                creation_time=now,
                last_update_time=now,
            )
        )
        try:
            with self.session.begin_nested():
                self.session.flush()
        except IntegrityError:
            pass  # created concurrently

    def find(self, experiment_id: object) -> ExperimentRow | None:
        if not is_experiment_id(experiment_id):
            return None
        return self.session.get(ExperimentRow, int(str(experiment_id)))

    def get(self, experiment_id: object) -> ExperimentRow:
        row = self.find(experiment_id)
        if row is None:
            raise experiment_not_found(experiment_id)
        return row

    def by_name(self, name: str) -> ExperimentRow | None:
        return self.session.scalars(select(ExperimentRow).where(ExperimentRow.name == name)).one_or_none()

    def tags(self, ids: list[int]) -> dict[int, dict[str, str]]:
        out: dict[int, dict[str, str]] = {i: {} for i in ids}
        if ids:
            rows = self.session.execute(
                select(ExperimentTagRow.experiment_id, ExperimentTagRow.key, ExperimentTagRow.value)
                .where(ExperimentTagRow.experiment_id.in_(ids))
                .order_by(ExperimentTagRow.key)
            )
            for eid, key, value in rows:
                out[eid][key] = value
        return out

    def set_tag(self, experiment_id: int, key: str, value: str) -> None:
        row = self.session.get(ExperimentTagRow, (experiment_id, key))
        if row is None:
            self.session.add(ExperimentTagRow(experiment_id=experiment_id, key=key, value=value))
        else:
            row.value = value

    def delete_tag(self, experiment_id: int, key: str) -> bool:
        row = self.session.get(ExperimentTagRow, (experiment_id, key))
        if row is None:
            return False
        self.session.delete(row)
        return True

    def search(
        self,
        comparisons: list[Comparison],
        order: list[OrderKey],
        stages: tuple[str, ...],
        offset: int,
        limit: int,
    ) -> list[ExperimentRow]:
        stmt = select(ExperimentRow).where(ExperimentRow.lifecycle_stage.in_(stages))
        for c in comparisons:
            if c.kind == "tag":
                stmt = stmt.where(
                    tag_condition(c, ExperimentTagRow, ExperimentTagRow.experiment_id, ExperimentRow.id)
                )
            elif c.key == "experiment_id":
                stmt = stmt.where(compare(cast(ExperimentRow.id, String), c.op, c.value))
            else:
                stmt = stmt.where(compare(_COLUMNS[c.key], c.op, c.value))
        clauses: list[Any] = []
        for key in order:
            col = _COLUMNS[key.key]
            clauses.append(col.asc() if key.ascending else col.desc())
        # MLflow's default order: newest first; the id breaks ties so pages never overlap.
        if not order:
            clauses.append(ExperimentRow.creation_time.desc())
        clauses.append(ExperimentRow.id.asc())
        return list(self.session.scalars(stmt.order_by(*clauses).offset(offset).limit(limit)))
