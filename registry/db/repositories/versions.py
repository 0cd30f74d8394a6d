"""Model versions and their tags."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from registry.db.repositories.filters import compare, tag_condition
from registry.db.tables import AliasRow, ModelVersionRow, ModelVersionTagRow, RegisteredModelRow
from registry.domain.errors import NotFound
from registry.domain.search import Comparison, OrderKey

_COLUMNS: dict[str, Any] = {
    "name": RegisteredModelRow.name,
    "version_number": ModelVersionRow.version,
    "run_id": ModelVersionRow.run_id,
    "source": ModelVersionRow.source,
    "creation_timestamp": ModelVersionRow.creation_time,
    "last_updated_timestamp": ModelVersionRow.last_updated_time,
}


def version_not_found(name: str, version: int | str) -> NotFound:
    return NotFound(f"Model Version (name={name}, version={version}) not found")


class VersionRepository:
    def __init__(self, session: Session, dialect: str) -> None:
        self.session = session
        self.dialect = dialect

    def add(self, row: ModelVersionRow) -> ModelVersionRow:
        self.session.add(row)
        self.session.flush()
        return row

    def find(self, model_id: int, version: int) -> ModelVersionRow | None:
        return self.session.scalars(
            select(ModelVersionRow).where(
                ModelVersionRow.registered_model_id == model_id, ModelVersionRow.version == version
            )
        ).one_or_none()

    def get(self, model: RegisteredModelRow, version: int) -> ModelVersionRow:
        row = self.find(model.id, version)
        if row is None:
            raise version_not_found(model.name, version)
        return row

    def by_id(self, version_id: int) -> ModelVersionRow:
        row = self.session.get(ModelVersionRow, version_id)
        assert row is not None
        return row

    def by_alias(self, model_id: int, alias: str) -> ModelVersionRow | None:
        return self.session.scalars(
            select(ModelVersionRow)
            .join(AliasRow, AliasRow.model_version_id == ModelVersionRow.id)
            .where(AliasRow.registered_model_id == model_id, AliasRow.alias == alias)
        ).one_or_none()

    def delete(self, row: ModelVersionRow) -> None:
        self.session.delete(row)
        self.session.flush()

    def in_stage(self, model_id: int, stage: str) -> list[ModelVersionRow]:
        return list(
            self.session.scalars(
                select(ModelVersionRow)
                .where(ModelVersionRow.registered_model_id == model_id, ModelVersionRow.stage == stage)
                .order_by(ModelVersionRow.version)
            )
        )

    def latest_per_stage(
        self, model_ids: list[int], stages: list[str] | None = None
    ) -> dict[int, list[ModelVersionRow]]:
        """The newest version in each stage, per model, newest first."""
        out: dict[int, list[ModelVersionRow]] = {i: [] for i in model_ids}
        if not model_ids:
            return out
        newest = (
            select(
                ModelVersionRow.registered_model_id.label("mid"),
                ModelVersionRow.stage.label("stage"),
                func.max(ModelVersionRow.version).label("version"),
            )
            .where(ModelVersionRow.registered_model_id.in_(model_ids))
            .group_by(ModelVersionRow.registered_model_id, ModelVersionRow.stage)
        )
        if stages is not None:
            newest = newest.where(ModelVersionRow.stage.in_(stages))
        sub = newest.subquery()
        rows = self.session.scalars(
            select(ModelVersionRow)
            .join(
                sub,
                (ModelVersionRow.registered_model_id == sub.c.mid)
                & (ModelVersionRow.version == sub.c.version),
            )
            .order_by(ModelVersionRow.version.desc())
        )
        for row in rows:
            out[row.registered_model_id].append(row)
        return out

    def touch_model(self, model_id: int, now: int) -> None:
        """Mark every version of a model as updated now."""
        self.session.execute(
            update(ModelVersionRow)
            .where(ModelVersionRow.registered_model_id == model_id)
            .values(last_updated_time=now)
            .execution_options(synchronize_session="fetch")
        )

    def touch(self, version_ids: list[int], now: int) -> None:
        if version_ids:
            self.session.execute(
                update(ModelVersionRow)
                .where(ModelVersionRow.id.in_(version_ids))
                .values(last_updated_time=now)
                .execution_options(synchronize_session="fetch")
            )

    def search(
        self, comparisons: list[Comparison], order: list[OrderKey], offset: int, limit: int
    ) -> list[tuple[ModelVersionRow, str]]:
        """Versions matching the filter, with their model's name."""
        stmt = select(ModelVersionRow, RegisteredModelRow.name).join(
            RegisteredModelRow, RegisteredModelRow.id == ModelVersionRow.registered_model_id
        )
        pinned_model = False
        for c in comparisons:
            if c.kind != "tag" and c.key == "name" and c.op == "=":
                # One model's versions: say so on model_versions itself, so the database walks the
                # (registered_model_id, version) index instead of joining and sorting every version.
                model_id = select(RegisteredModelRow.id).where(RegisteredModelRow.name == c.value)
                stmt = stmt.where(ModelVersionRow.registered_model_id == model_id.scalar_subquery())
                pinned_model = True
            if c.kind == "tag":
                stmt = stmt.where(
                    tag_condition(
                        c, ModelVersionTagRow, ModelVersionTagRow.model_version_id, ModelVersionRow.id
                    )
                )
            else:
                stmt = stmt.where(compare(_COLUMNS[c.key], c.op, c.value))
        clauses: list[Any] = []
        for key in order:
            col = _COLUMNS[key.key]
            clauses.append(col.asc() if key.ascending else col.desc())
        # A total order, so pages never skip or repeat rows.
        if not pinned_model and not any(k.key == "name" for k in order):
            clauses.append(RegisteredModelRow.name.asc())
        if not any(k.key == "version_number" for k in order):
            clauses.append(ModelVersionRow.version.desc())
        stmt = stmt.order_by(*clauses).offset(offset).limit(limit)
        return [(row, name) for row, name in self.session.execute(stmt)]

    # -- tags and aliases of versions ----------------------------------------------------------
    def tags(self, version_ids: list[int]) -> dict[int, dict[str, str]]:
        out: dict[int, dict[str, str]] = {i: {} for i in version_ids}
        if not version_ids:
            return out
        rows = self.session.execute(
            select(ModelVersionTagRow.model_version_id, ModelVersionTagRow.key, ModelVersionTagRow.value)
            .where(ModelVersionTagRow.model_version_id.in_(version_ids))
            .order_by(ModelVersionTagRow.key)
        )
        for vid, key, value in rows:
            out[vid][key] = value
        return out

    def aliases(self, version_ids: list[int]) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {i: [] for i in version_ids}
        if not version_ids:
            return out
        rows = self.session.execute(
            select(AliasRow.model_version_id, AliasRow.alias)
            .where(AliasRow.model_version_id.in_(version_ids))
            .order_by(AliasRow.alias)
        )
        for vid, alias in rows:
            out[vid].append(alias)
        return out

    def set_tag(self, version_id: int, key: str, value: str) -> str | None:
        row = self.session.get(ModelVersionTagRow, (version_id, key))
        if row is None:
            self.session.add(ModelVersionTagRow(model_version_id=version_id, key=key, value=value))
            return None
        previous = row.value
        row.value = value
        return previous

    def delete_tag(self, version_id: int, key: str) -> str | None:
        row = self.session.get(ModelVersionTagRow, (version_id, key))
        if row is None:
            return None
        self.session.delete(row)
        return row.value
