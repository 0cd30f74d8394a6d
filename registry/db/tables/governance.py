"""Governance tables: promotion policies, promotion requests and the approvals given on them.

The audit history itself is `audit_events` (written by the unit of work with every change); these
tables hold the state that decides what may happen next.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from registry.db.base import Base, BigId, JsonType

DEFAULT_SCOPE = "default"
MODEL_SCOPE = "model"


class PolicyRow(Base):
    """One model's policy, or (scope "default", no model) the server-wide default."""

    __tablename__ = "policies"
    __table_args__ = (
        # At most one default policy: a partial unique index (both SQLite and PostgreSQL have them).
        Index(
            "ux_policies_single_default",
            "scope",
            unique=True,
            sqlite_where=text("scope = 'default'"),
            postgresql_where=text("scope = 'default'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(16))
    # Keyed by the model's id, so a rename keeps the policy and a delete removes it.
    registered_model_id: Mapped[int | None] = mapped_column(
        ForeignKey("registered_models.id", ondelete="CASCADE"), unique=True
    )
    # ["alias:champion", "stage:Production"]
    protected: Mapped[list[str]] = mapped_column(JsonType)
    required_approvals: Mapped[int] = mapped_column(Integer, default=0)
    allowed_reviewers: Mapped[list[str]] = mapped_column(JsonType)
    # Rules in their text form ("r2_score >= current - 0.01"), which round-trips exactly.
    rules: Mapped[list[str]] = mapped_column(JsonType)
    archive_previous: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[int] = mapped_column(BigInteger)
    updated_by: Mapped[str] = mapped_column(String(256))


class PromotionRequestRow(Base):
    __tablename__ = "promotion_requests"
    __table_args__ = (
        Index("ix_promotion_requests_model_status", "registered_model_id", "status"),
        Index("ix_promotion_requests_status_id", "status", "id"),
        # One open request per version and target: a second one would only split the reviews.
        Index(
            "ux_promotion_requests_open",
            "registered_model_id",
            "target",
            "version",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    registered_model_id: Mapped[int] = mapped_column(ForeignKey("registered_models.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    # "alias:champion" or "stage:Production"
    target: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16))
    requested_by: Mapped[str] = mapped_column(String(256))
    comment: Mapped[str] = mapped_column(Text, default="")
    # Evidence from outside (pull request URL, commit, run URL, author), attached by a promoter.
    evidence: Mapped[dict[str, Any] | None] = mapped_column()
    created_at: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger)
    closed_at: Mapped[int | None] = mapped_column(BigInteger)
    closed_by: Mapped[str | None] = mapped_column(String(256))
    # The version that held the target just before this request was applied.
    previous_version: Mapped[int | None] = mapped_column(Integer)
    # The evaluation that allowed the apply (values compared, approvals counted), kept as it was.
    evaluation: Mapped[dict[str, Any] | None] = mapped_column()


class ApprovalRow(Base):
    """An approval or rejection of a request, by a token holder or (source != podium) from outside."""

    __tablename__ = "approvals"
    __table_args__ = (UniqueConstraint("request_id", "source", "reviewer"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("promotion_requests.id", ondelete="CASCADE"))
    reviewer: Mapped[str] = mapped_column(String(256))
    source: Mapped[str] = mapped_column(String(32))
    role: Mapped[str | None] = mapped_column(String(32))
    decision: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[int] = mapped_column(BigInteger)
