"""Logged models (MLflow 3): their tags, params and metrics."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, case, exists, func, select
from sqlalchemy.orm import Session

from registry.db.repositories.filters import compare
from registry.db.repositories.tracking_runs import insert_ignoring_duplicates, loaded_value, stored_value
from registry.db.tables.tracking import (
    LoggedModelMetricRow,
    LoggedModelParamRow,
    LoggedModelRow,
    LoggedModelTagRow,
)
from registry.domain.errors import NotFound
from registry.domain.search import Comparison, OrderKey
from registry.domain.tracking import Metric, is_logged_model_id

_COLUMNS: dict[str, Any] = {
    "name": LoggedModelRow.name,
    "model_id": LoggedModelRow.model_id,
    "model_type": LoggedModelRow.model_type,
    "status": LoggedModelRow.status,
    "source_run_id": LoggedModelRow.source_run_id,
    "creation_timestamp": LoggedModelRow.creation_time,
    "last_updated_timestamp": LoggedModelRow.last_updated_time,
}


def logged_model_not_found(model_id: object) -> NotFound:
    return NotFound(f"Logged model with ID '{model_id}' not found.")


class LoggedModelRepository:
    def __init__(self, session: Session, dialect: str) -> None:
        self.session = session
        self.dialect = dialect

    def add(self, row: LoggedModelRow) -> LoggedModelRow:
        self.session.add(row)
        self.session.flush()
        return row

    def find(self, model_id: object) -> LoggedModelRow | None:
        if not is_logged_model_id(model_id):
            return None
        return self.session.get(LoggedModelRow, model_id)

    def get(self, model_id: object) -> LoggedModelRow:
        row = self.find(model_id)
        if row is None:
            raise logged_model_not_found(model_id)
        return row

    def delete(self, row: LoggedModelRow) -> None:
        self.session.delete(row)
        self.session.flush()

    def tags(self, ids: list[str]) -> dict[str, dict[str, str]]:
        return self._pairs(LoggedModelTagRow, ids)

    def params(self, ids: list[str]) -> dict[str, dict[str, str]]:
        return self._pairs(LoggedModelParamRow, ids)

    def _pairs(self, table: Any, ids: list[str]) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {i: {} for i in ids}
        if ids:
            rows = self.session.execute(
                select(table.model_id, table.key, table.value)
                .where(table.model_id.in_(ids))
                .order_by(table.key)
            )
            for mid, key, value in rows:
                out[mid][key] = value
        return out

    def metrics(self, ids: list[str]) -> dict[str, list[Metric]]:
        out: dict[str, list[Metric]] = {i: [] for i in ids}
        if ids:
            rows = self.session.scalars(
                select(LoggedModelMetricRow)
                .where(LoggedModelMetricRow.model_id.in_(ids))
                .order_by(LoggedModelMetricRow.key, LoggedModelMetricRow.step, LoggedModelMetricRow.id)
            )
            for m in rows:
                out[m.model_id].append(
                    Metric(
                        m.key,
                        loaded_value(m.value, m.is_nan),
                        m.timestamp,
                        m.step,
                        model_id=m.model_id,
                        run_id=m.run_uuid or None,
                    )
                )
        return out

    def set_tag(self, model_id: str, key: str, value: str) -> None:
        row = self.session.get(LoggedModelTagRow, (model_id, key))
        if row is None:
            self.session.add(LoggedModelTagRow(model_id=model_id, key=key, value=value))
        else:
            row.value = value

    def tag(self, model_id: str, key: str) -> str | None:
        row = self.session.get(LoggedModelTagRow, (model_id, key))
        return row.value if row is not None else None

    def delete_tag(self, model_id: str, key: str) -> bool:
        row = self.session.get(LoggedModelTagRow, (model_id, key))
        if row is None:
            return False
        self.session.delete(row)
        return True

    def set_param(self, model_id: str, key: str, value: str) -> None:
        row = self.session.get(LoggedModelParamRow, (model_id, key))
        if row is None:
            self.session.add(LoggedModelParamRow(model_id=model_id, key=key, value=value))
        else:
            row.value = value

    def add_metrics(self, metrics: list[Metric]) -> None:
        rows = []
        for m in metrics:
            value, is_nan = stored_value(m.value)
            rows.append(
                {
                    "model_id": m.model_id,
                    "run_uuid": m.run_id or "",
                    "key": m.key,
                    "value": value,
                    "is_nan": is_nan,
                    "timestamp": m.timestamp,
                    "step": m.step,
                }
            )
        insert_ignoring_duplicates(self.session, self.dialect, LoggedModelMetricRow, rows)

    def existing_ids(self, ids: list[str]) -> set[str]:
        if not ids:
            return set()
        return set(
            self.session.scalars(select(LoggedModelRow.model_id).where(LoggedModelRow.model_id.in_(ids)))
        )

    def search(
        self,
        experiment_ids: list[int],
        comparisons: list[Comparison],
        order: list[OrderKey],
        offset: int,
        limit: int,
    ) -> list[LoggedModelRow]:
        stmt = select(LoggedModelRow).where(
            LoggedModelRow.experiment_id.in_(experiment_ids), LoggedModelRow.lifecycle_stage == "active"
        )
        for c in comparisons:
            stmt = stmt.where(self._condition(c))
        clauses: list[Any] = []
        for key in order:
            if key.kind == "attribute":
                col = _COLUMNS[key.key]
                clauses.append(col.asc() if key.ascending else col.desc())
                continue
            sub = self._order_subquery(key)
            stmt = stmt.outerjoin(sub, sub.c.model_id == LoggedModelRow.model_id)
            clauses.append(case((sub.c.value.is_(None), 1), else_=0))
            clauses.append(sub.c.value.asc() if key.ascending else sub.c.value.desc())
        # MLflow lists the newest logged models first.
        clauses.extend([LoggedModelRow.creation_time.desc(), LoggedModelRow.model_id.asc()])
        return list(self.session.scalars(stmt.order_by(*clauses).offset(offset).limit(limit)))

    @staticmethod
    def _order_subquery(key: OrderKey) -> Any:
        if key.kind == "metric":
            # A model may hold several points of one metric; it sorts by its highest.
            return (
                select(
                    LoggedModelMetricRow.model_id,
                    func.max(LoggedModelMetricRow.value).label("value"),
                )
                .where(LoggedModelMetricRow.key == key.key, LoggedModelMetricRow.is_nan.is_(False))
                .group_by(LoggedModelMetricRow.model_id)
                .subquery()
            )
        table: Any = LoggedModelParamRow if key.kind == "param" else LoggedModelTagRow
        return select(table.model_id, table.value).where(table.key == key.key).subquery()

    @staticmethod
    def _condition(c: Comparison) -> ColumnElement[bool]:
        if c.kind == "attribute":
            return compare(_COLUMNS[c.key], c.op, c.value)
        if c.kind == "metric":
            return exists(
                select(LoggedModelMetricRow.key).where(
                    LoggedModelMetricRow.model_id == LoggedModelRow.model_id,
                    LoggedModelMetricRow.key == c.key,
                    LoggedModelMetricRow.is_nan.is_(False),
                    compare(LoggedModelMetricRow.value, c.op, c.value),
                )
            )
        table: Any = LoggedModelParamRow if c.kind == "param" else LoggedModelTagRow
        return exists(
            select(table.key).where(
                table.model_id == LoggedModelRow.model_id,
                table.key == c.key,
                compare(table.value, c.op, c.value),
            )
        )
