"""API tokens."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.db.tables import TokenRow


class TokenRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: TokenRow) -> TokenRow:
        self.session.add(row)
        self.session.flush()
        return row

    def by_name(self, name: str) -> TokenRow | None:
        return self.session.scalars(select(TokenRow).where(TokenRow.name == name)).one_or_none()

    def by_hash(self, secret_hash: str) -> TokenRow | None:
        return self.session.scalars(select(TokenRow).where(TokenRow.secret_hash == secret_hash)).one_or_none()

    def all(self, include_revoked: bool = False) -> list[TokenRow]:
        stmt = select(TokenRow).order_by(TokenRow.name)
        if not include_revoked:
            stmt = stmt.where(TokenRow.revoked_at.is_(None))
        return list(self.session.scalars(stmt))
