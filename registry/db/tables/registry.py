"""Registry tables: registered models, their versions, tags and aliases."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from registry.db.base import Base, BigId


class RegisteredModelRow(Base):
    __tablename__ = "registered_models"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(256), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    creation_time: Mapped[int] = mapped_column(BigInteger)
    last_updated_time: Mapped[int] = mapped_column(BigInteger)
    # The number the next version gets. Incremented under the row lock by the creating transaction,
    # so numbers are never reused after a delete and concurrent creations cannot collide.
    next_version: Mapped[int] = mapped_column(Integer, default=1)
    # Bumped by every change to the model; carried by its events so receivers can order them.
    sequence: Mapped[int] = mapped_column(BigInteger, default=0)
    created_by: Mapped[str | None] = mapped_column(String(256))


class ModelVersionRow(Base):
    __tablename__ = "model_versions"
    __table_args__ = (
        UniqueConstraint("registered_model_id", "version"),
        Index("ix_model_versions_stage", "registered_model_id", "stage"),
        Index("ix_model_versions_run_id", "run_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    registered_model_id: Mapped[int] = mapped_column(ForeignKey("registered_models.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    creation_time: Mapped[int] = mapped_column(BigInteger)
    last_updated_time: Mapped[int] = mapped_column(BigInteger)
    stage: Mapped[str] = mapped_column(String(20), default="None")
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text)
    run_id: Mapped[str | None] = mapped_column(String(64))
    # MLflow 3's logged model id (m-<hex>); named so to avoid clashing with the registered model.
    logged_model_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32), default="READY")
    created_by: Mapped[str | None] = mapped_column(String(256))
    # {"files": {path: {"sha256", "size"}}, "root": <store path>} recorded at registration.
    digest: Mapped[dict[str, Any] | None] = mapped_column()


class RegisteredModelTagRow(Base):
    __tablename__ = "registered_model_tags"

    registered_model_id: Mapped[int] = mapped_column(
        ForeignKey("registered_models.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class ModelVersionTagRow(Base):
    __tablename__ = "model_version_tags"

    model_version_id: Mapped[int] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class AliasRow(Base):
    __tablename__ = "aliases"
    __table_args__ = (Index("ix_aliases_model_version_id", "model_version_id"),)

    registered_model_id: Mapped[int] = mapped_column(
        ForeignKey("registered_models.id", ondelete="CASCADE"), primary_key=True
    )
    alias: Mapped[str] = mapped_column(String(256), primary_key=True)
    # Deleting a version deletes the aliases that point at it (MLflow does the same).
    model_version_id: Mapped[int] = mapped_column(ForeignKey("model_versions.id", ondelete="CASCADE"))
