"""API tokens: only a hash of each secret is stored."""

from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from registry.db.base import Base, BigId


class TokenRow(Base):
    __tablename__ = "tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    # sha256 of the secret: tokens are 256-bit random, so a fast hash is enough (no dictionary
    # attack is possible) and lookup by hash stays one indexed read per request.
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the token, shown in listings so people can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[str] = mapped_column(String(256))
    revoked_at: Mapped[int | None] = mapped_column(BigInteger)
