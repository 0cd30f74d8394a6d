"""Promotion requests and the approvals given on them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from registry.db.tables import ApprovalRow, PromotionRequestRow, RegisteredModelRow
from registry.domain.errors import Conflict


class PromotionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: PromotionRequestRow) -> PromotionRequestRow:
        self.session.add(row)
        try:
            with self.session.begin_nested():
                self.session.flush()
        except IntegrityError:
            # The partial unique index: an open request for this version and target appeared
            # between our check and our insert.
            raise Conflict(
                f"An open promotion request for version {row.version} to {row.target} exists already."
            ) from None
        return row

    def find(self, request_id: int) -> tuple[PromotionRequestRow, str] | None:
        """The request and its model's current name. Re-read from the database every time, so a
        caller holding the model's lock sees the latest committed status."""
        found = self.session.execute(
            select(PromotionRequestRow, RegisteredModelRow.name)
            .join(RegisteredModelRow, RegisteredModelRow.id == PromotionRequestRow.registered_model_id)
            .where(PromotionRequestRow.id == request_id)
            .execution_options(populate_existing=True)
        ).one_or_none()
        return (found[0], found[1]) if found is not None else None

    def open_request(self, model_id: int, target: str, version: int) -> PromotionRequestRow | None:
        return self.session.scalars(
            select(PromotionRequestRow).where(
                PromotionRequestRow.registered_model_id == model_id,
                PromotionRequestRow.target == target,
                PromotionRequestRow.version == version,
                PromotionRequestRow.status == "pending",
            )
        ).one_or_none()

    def approvals(self, request_ids: list[int]) -> dict[int, list[ApprovalRow]]:
        out: dict[int, list[ApprovalRow]] = {i: [] for i in request_ids}
        if not request_ids:
            return out
        rows = self.session.scalars(
            select(ApprovalRow)
            .where(ApprovalRow.request_id.in_(request_ids))
            .order_by(ApprovalRow.id)
            .execution_options(populate_existing=True)
        )
        for row in rows:
            out[row.request_id].append(row)
        return out

    def add_approval(self, row: ApprovalRow) -> ApprovalRow:
        self.session.add(row)
        try:
            with self.session.begin_nested():
                self.session.flush()
        except IntegrityError:
            raise Conflict(f"{row.reviewer} has already decided on request {row.request_id}.") from None
        return row

    def search(
        self,
        *,
        model: str | None,
        status: str | None,
        target: str | None,
        version: int | None,
        requested_by: str | None,
        offset: int,
        limit: int,
    ) -> list[tuple[PromotionRequestRow, str]]:
        """Requests matching every given filter, newest first."""
        stmt = select(PromotionRequestRow, RegisteredModelRow.name).join(
            RegisteredModelRow, RegisteredModelRow.id == PromotionRequestRow.registered_model_id
        )
        if model is not None:
            stmt = stmt.where(RegisteredModelRow.name == model)
        if status is not None:
            stmt = stmt.where(PromotionRequestRow.status == status)
        if target is not None:
            stmt = stmt.where(PromotionRequestRow.target == target)
        if version is not None:
            stmt = stmt.where(PromotionRequestRow.version == version)
        if requested_by is not None:
            stmt = stmt.where(PromotionRequestRow.requested_by == requested_by)
        stmt = stmt.order_by(PromotionRequestRow.id.desc()).offset(offset).limit(limit)
        return [(row, name) for row, name in self.session.execute(stmt)]
