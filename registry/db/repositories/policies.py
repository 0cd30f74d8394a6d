"""Promotion policies: one per model, plus at most one server-wide default."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from registry.db.tables import PolicyRow, RegisteredModelRow
from registry.db.tables.governance import DEFAULT_SCOPE
from registry.domain.errors import Conflict


class PolicyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def for_model(self, model_id: int) -> PolicyRow | None:
        return self.session.scalars(
            select(PolicyRow).where(PolicyRow.registered_model_id == model_id)
        ).one_or_none()

    def default(self) -> PolicyRow | None:
        return self.session.scalars(select(PolicyRow).where(PolicyRow.scope == DEFAULT_SCOPE)).one_or_none()

    def effective(self, model_id: int) -> PolicyRow | None:
        """The model's own policy, else the default, else None (nothing protected)."""
        return self.for_model(model_id) or self.default()

    def add(self, row: PolicyRow) -> PolicyRow:
        self.session.add(row)
        try:
            with self.session.begin_nested():
                self.session.flush()
        except IntegrityError:
            # Two admins created the same policy at once; the other one won.
            raise Conflict(
                "The policy was created concurrently by someone else; read it and retry."
            ) from None
        return row

    def delete(self, row: PolicyRow) -> None:
        self.session.delete(row)
        self.session.flush()

    def all(self) -> list[tuple[PolicyRow, str | None]]:
        """Every policy with its model's name (None for the default), the default first."""
        rows = self.session.execute(
            select(PolicyRow, RegisteredModelRow.name)
            .outerjoin(RegisteredModelRow, RegisteredModelRow.id == PolicyRow.registered_model_id)
            .order_by(PolicyRow.scope.asc(), RegisteredModelRow.name.asc())
        )
        return [(row, name) for row, name in rows]
