"""Registered models, their tags and aliases."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from registry.db.repositories.filters import compare, tag_condition
from registry.db.tables import AliasRow, ModelVersionRow, RegisteredModelRow, RegisteredModelTagRow
from registry.domain.errors import AliasNotFound, AlreadyExists, NotFound
from registry.domain.search import Comparison, OrderKey

_ORDER_COLUMNS = {
    "name": RegisteredModelRow.name,
    "creation_timestamp": RegisteredModelRow.creation_time,
    "last_updated_timestamp": RegisteredModelRow.last_updated_time,
}


def model_not_found(name: str) -> NotFound:
    return NotFound(f"Registered Model with name={name} not found")


class ModelRepository:
    def __init__(self, session: Session, dialect: str, on_lock: Callable[[], None] | None = None) -> None:
        self.session = session
        self.dialect = dialect
        # Called once the lock is held (the unit of work re-reads its clock then).
        self.on_lock = on_lock

    # -- models ------------------------------------------------------------------------------
    def add(self, name: str, description: str, now: int, actor: str) -> RegisteredModelRow:
        if self.find(name) is not None:
            raise AlreadyExists(f"Registered Model (name={name}) already exists.")
        row = RegisteredModelRow(
            name=name,
            description=description,
            creation_time=now,
            last_updated_time=now,
            next_version=1,
            sequence=0,
            created_by=actor,
        )
        self.session.add(row)
        try:
            with self.session.begin_nested():
                self.session.flush()
        except IntegrityError:
            # Another transaction created the same name between our check and our insert.
            raise AlreadyExists(f"Registered Model (name={name}) already exists.") from None
        return row

    def find(self, name: str) -> RegisteredModelRow | None:
        return self.session.scalars(
            select(RegisteredModelRow).where(RegisteredModelRow.name == name)
        ).one_or_none()

    def get(self, name: str) -> RegisteredModelRow:
        row = self.find(name)
        if row is None:
            raise model_not_found(name)
        return row

    def lock(self, name: str) -> RegisteredModelRow:
        """Get the model and hold its row lock until the transaction ends.

        Every change to a model takes this lock first, so concurrent changes to one model are
        applied one after another (version numbers, stage archiving, alias moves stay consistent).
        SQLite has no row locks; its writers are already serialised by BEGIN IMMEDIATE.
        """
        stmt = select(RegisteredModelRow).where(RegisteredModelRow.name == name)
        if self.dialect == "postgresql":
            stmt = stmt.with_for_update()
        row = self.session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()
        if row is None:
            raise model_not_found(name)
        if self.on_lock is not None:
            self.on_lock()
        return row

    def delete(self, row: RegisteredModelRow) -> None:
        self.session.delete(row)
        self.session.flush()

    def lock_for_new_version(self, name: str) -> tuple[RegisteredModelRow, int]:
        """`lock`, and reserve the next version number in the same statement (an atomic increment,
        which takes the row lock).

        Creating versions is the registry's busiest write; this saves it a round trip. A caller
        that fails later rolls the increment back with the rest of its transaction.
        """
        row = self.session.scalars(
            update(RegisteredModelRow)
            .where(RegisteredModelRow.name == name)
            .values(next_version=RegisteredModelRow.next_version + 1)
            .returning(RegisteredModelRow)
            .execution_options(populate_existing=True, synchronize_session=False)
        ).one_or_none()
        if row is None:
            raise model_not_found(name)
        if self.on_lock is not None:
            self.on_lock()
        return row, row.next_version - 1

    def bump_sequence(self, name: str) -> tuple[int, int] | None:
        """Increment the model's event sequence; returns (model id, sequence) or None."""
        self.session.flush()
        found = self.session.execute(
            update(RegisteredModelRow)
            .where(RegisteredModelRow.name == name)
            .values(sequence=RegisteredModelRow.sequence + 1)
            .returning(RegisteredModelRow.id, RegisteredModelRow.sequence)
            .execution_options(synchronize_session=False)
        ).one_or_none()
        return (int(found[0]), int(found[1])) if found else None

    def search(
        self,
        comparisons: list[Comparison],
        order: list[OrderKey],
        offset: int,
        limit: int,
    ) -> list[RegisteredModelRow]:
        stmt = select(RegisteredModelRow)
        for c in comparisons:
            if c.kind == "tag":
                stmt = stmt.where(
                    tag_condition(
                        c,
                        RegisteredModelTagRow,
                        RegisteredModelTagRow.registered_model_id,
                        RegisteredModelRow.id,
                    )
                )
            else:
                stmt = stmt.where(compare(RegisteredModelRow.name, c.op, c.value))
        clauses: list[Any] = []
        for key in order:
            col = _ORDER_COLUMNS[key.key]
            clauses.append(col.asc() if key.ascending else col.desc())
        if not any(k.key == "name" for k in order):
            clauses.append(RegisteredModelRow.name.asc())
        stmt = stmt.order_by(*clauses).offset(offset).limit(limit)
        return list(self.session.scalars(stmt))

    # -- tags --------------------------------------------------------------------------------
    def tags(self, model_ids: list[int]) -> dict[int, dict[str, str]]:
        out: dict[int, dict[str, str]] = {i: {} for i in model_ids}
        if not model_ids:
            return out
        rows = self.session.execute(
            select(
                RegisteredModelTagRow.registered_model_id,
                RegisteredModelTagRow.key,
                RegisteredModelTagRow.value,
            )
            .where(RegisteredModelTagRow.registered_model_id.in_(model_ids))
            .order_by(RegisteredModelTagRow.key)
        )
        for model_id, key, value in rows:
            out[model_id][key] = value
        return out

    def set_tag(self, model_id: int, key: str, value: str) -> str | None:
        """Set a tag; returns the previous value (None when it was unset)."""
        row = self.session.get(RegisteredModelTagRow, (model_id, key))
        if row is None:
            self.session.add(RegisteredModelTagRow(registered_model_id=model_id, key=key, value=value))
            return None
        previous = row.value
        row.value = value
        return previous

    def delete_tag(self, model_id: int, key: str) -> str | None:
        row = self.session.get(RegisteredModelTagRow, (model_id, key))
        if row is None:
            return None
        self.session.delete(row)
        return row.value

    # -- aliases -----------------------------------------------------------------------------
    def aliases(self, model_ids: list[int]) -> dict[int, dict[str, int]]:
        """alias → version number for each model, sorted by alias."""
        out: dict[int, dict[str, int]] = {i: {} for i in model_ids}
        if not model_ids:
            return out
        rows = self.session.execute(
            select(AliasRow.registered_model_id, AliasRow.alias, ModelVersionRow.version)
            .join(ModelVersionRow, ModelVersionRow.id == AliasRow.model_version_id)
            .where(AliasRow.registered_model_id.in_(model_ids))
            .order_by(AliasRow.alias)
        )
        for model_id, alias, version in rows:
            out[model_id][alias] = version
        return out

    def alias_target(self, model_id: int, alias: str) -> AliasRow | None:
        return self.session.get(AliasRow, (model_id, alias))

    def require_alias(self, model_id: int, alias: str) -> AliasRow:
        row = self.alias_target(model_id, alias)
        if row is None:
            raise AliasNotFound(f"Registered model alias {alias} not found.")
        return row

    def set_alias(self, model_id: int, alias: str, version_id: int) -> int | None:
        """Point `alias` at a version; returns the previous version row id, if any."""
        row = self.alias_target(model_id, alias)
        if row is None:
            self.session.add(AliasRow(registered_model_id=model_id, alias=alias, model_version_id=version_id))
            return None
        previous = row.model_version_id
        row.model_version_id = version_id
        return previous

    def delete_alias(self, model_id: int, alias: str) -> None:
        self.session.execute(
            delete(AliasRow).where(AliasRow.registered_model_id == model_id, AliasRow.alias == alias)
        )
