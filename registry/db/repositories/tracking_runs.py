"""Runs with their params, metrics (history and latest values), tags and outputs."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, String, case, cast, exists, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from registry.db.repositories.filters import compare
from registry.db.tables.tracking import (
    LatestMetricRow,
    MetricRow,
    ParamRow,
    RunOutputRow,
    RunRow,
    RunTagRow,
)
from registry.domain.errors import NotFound
from registry.domain.search import Comparison, OrderKey
from registry.domain.tracking import Metric, ModelOutput, metric_is_newer

_ARTIFACT_URI = (
    literal("mlflow-artifacts:/")
    + cast(RunRow.experiment_id, String)
    + literal("/")
    + RunRow.run_uuid
    + literal("/artifacts")
)
_COLUMNS: dict[str, Any] = {
    "run_id": RunRow.run_uuid,
    "run_name": RunRow.name,
    "user_id": RunRow.user_id,
    "status": RunRow.status,
    "start_time": RunRow.start_time,
    "end_time": RunRow.end_time,
    "artifact_uri": _ARTIFACT_URI,
}


_RUN_ID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")


def run_not_found(run_id: object) -> NotFound:
    return NotFound(f"Run with id={run_id} not found")


def stored_value(value: float) -> tuple[float, bool]:
    """(value, is_nan) as stored: SQLite cannot hold NaN, so it is a flag beside a 0."""
    return (0.0, True) if math.isnan(value) else (value, False)


def loaded_value(value: float, is_nan: bool) -> float:
    return math.nan if is_nan else float(value)


def insert_ignoring_duplicates(
    session: Session, dialect: str, table: Any, rows: list[dict[str, Any]]
) -> None:
    """INSERT rows, skipping those that hit a unique constraint (a point logged twice)."""
    if not rows:
        return
    if dialect == "postgresql":
        session.execute(postgresql.insert(table).values(rows).on_conflict_do_nothing())
    else:
        session.execute(sqlite.insert(table).values(rows).on_conflict_do_nothing())


class RunRepository:
    def __init__(self, session: Session, dialect: str) -> None:
        self.session = session
        self.dialect = dialect

    def add(self, row: RunRow) -> RunRow:
        self.session.add(row)
        self.session.flush()
        return row

    def find(self, run_id: object) -> RunRow | None:
        # Anything but an id-shaped string cannot name a run (and NUL cannot reach PostgreSQL).
        if not isinstance(run_id, str) or not _RUN_ID.match(run_id):
            return None
        return self.session.get(RunRow, run_id)

    def get(self, run_id: object) -> RunRow:
        row = self.find(run_id)
        if row is None:
            raise run_not_found(run_id)
        return row

    # -- reading the parts of runs, batched per page ---------------------------------------------
    def params(self, run_ids: list[str]) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {r: {} for r in run_ids}
        if run_ids:
            rows = self.session.execute(
                select(ParamRow.run_uuid, ParamRow.key, ParamRow.value)
                .where(ParamRow.run_uuid.in_(run_ids))
                .order_by(ParamRow.key)
            )
            for rid, key, value in rows:
                out[rid][key] = value
        return out

    def tags(self, run_ids: list[str]) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {r: {} for r in run_ids}
        if run_ids:
            rows = self.session.execute(
                select(RunTagRow.run_uuid, RunTagRow.key, RunTagRow.value)
                .where(RunTagRow.run_uuid.in_(run_ids))
                .order_by(RunTagRow.key)
            )
            for rid, key, value in rows:
                out[rid][key] = value
        return out

    def latest_metrics(self, run_ids: list[str]) -> dict[str, list[Metric]]:
        out: dict[str, list[Metric]] = {r: [] for r in run_ids}
        if run_ids:
            rows = self.session.scalars(
                select(LatestMetricRow)
                .where(LatestMetricRow.run_uuid.in_(run_ids))
                .order_by(LatestMetricRow.key)
            )
            for m in rows:
                out[m.run_uuid].append(Metric(m.key, loaded_value(m.value, m.is_nan), m.timestamp, m.step))
        return out

    def outputs(self, run_ids: list[str]) -> dict[str, list[ModelOutput]]:
        out: dict[str, list[ModelOutput]] = {r: [] for r in run_ids}
        if run_ids:
            rows = self.session.scalars(
                select(RunOutputRow)
                .where(RunOutputRow.run_uuid.in_(run_ids))
                .order_by(RunOutputRow.step, RunOutputRow.model_id)
            )
            for o in rows:
                out[o.run_uuid].append(ModelOutput(o.model_id, o.step))
        return out

    def keys(
        self, experiment_id: int, stages: tuple[str, ...], limit: int, sample: int
    ) -> tuple[list[str], list[str]]:
        """The distinct param keys and metric keys logged by the experiment's `sample` newest runs,
        at most `limit` of each (sorted). Two queries, each bounded twice: the runs read (newest
        first through ix_runs_experiment_start) and the keys returned, so the runs table's columns
        cost the same with 10,000 runs as with 100, and a sweep that logs thousands of distinct
        keys cannot make every page wide and slow."""
        newest = (
            select(RunRow.run_uuid)
            .where(RunRow.experiment_id == experiment_id, RunRow.lifecycle_stage.in_(stages))
            .order_by(RunRow.start_time.desc())
            .limit(sample)
        )
        params = self.session.scalars(
            select(ParamRow.key)
            .where(ParamRow.run_uuid.in_(newest))
            .distinct()
            .order_by(ParamRow.key)
            .limit(limit)
        )
        metrics = self.session.scalars(
            select(LatestMetricRow.key)
            .where(LatestMetricRow.run_uuid.in_(newest))
            .distinct()
            .order_by(LatestMetricRow.key)
            .limit(limit)
        )
        return list(params), list(metrics)

    def histories(self, run_ids: list[str], key: str, per_run: int) -> dict[str, list[Metric]]:
        """The first `per_run` points of metric `key` for each run, in one query (a window
        function numbers each run's points), so comparing runs costs the same for 2 runs or 20."""
        out: dict[str, list[Metric]] = {r: [] for r in run_ids}
        if not run_ids:
            return out
        numbered = (
            select(
                MetricRow.run_uuid,
                MetricRow.value,
                MetricRow.is_nan,
                MetricRow.timestamp,
                MetricRow.step,
                func.row_number()
                .over(
                    partition_by=MetricRow.run_uuid,
                    order_by=(MetricRow.step, MetricRow.timestamp, MetricRow.id),
                )
                .label("n"),
            )
            .where(MetricRow.run_uuid.in_(run_ids), MetricRow.key == key)
            .subquery()
        )
        rows = self.session.execute(
            select(numbered.c.run_uuid, numbered.c.value, numbered.c.is_nan)
            .add_columns(numbered.c.timestamp, numbered.c.step)
            .where(numbered.c.n <= per_run)
            .order_by(numbered.c.run_uuid, numbered.c.n)
        )
        for rid, value, is_nan, timestamp, step in rows:
            out[rid].append(Metric(key, loaded_value(value, is_nan), timestamp, step, run_id=rid))
        return out

    # -- writing ---------------------------------------------------------------------------------
    def param(self, run_id: str, key: str) -> str | None:
        row = self.session.get(ParamRow, (run_id, key))
        return row.value if row is not None else None

    def add_params(self, run_id: str, params: dict[str, str]) -> None:
        for key, value in params.items():
            self.session.add(ParamRow(run_uuid=run_id, key=key, value=value))

    def set_tag(self, run_id: str, key: str, value: str) -> None:
        row = self.session.get(RunTagRow, (run_id, key))
        if row is None:
            self.session.add(RunTagRow(run_uuid=run_id, key=key, value=value))
        else:
            row.value = value

    def delete_tag(self, run_id: str, key: str) -> bool:
        row = self.session.get(RunTagRow, (run_id, key))
        if row is None:
            return False
        self.session.delete(row)
        return True

    def log_metrics(self, run_id: str, metrics: Sequence[Metric]) -> None:
        """Append to the history (duplicates ignored) and move each key's latest value."""
        rows = []
        for m in metrics:
            value, is_nan = stored_value(m.value)
            rows.append(
                {
                    "run_uuid": run_id,
                    "key": m.key,
                    "value": value,
                    "is_nan": is_nan,
                    "timestamp": m.timestamp,
                    "step": m.step,
                    "model_id": m.model_id,
                }
            )
        insert_ignoring_duplicates(self.session, self.dialect, MetricRow, rows)
        newest: dict[str, Metric] = {}
        for m in metrics:
            seen = newest.get(m.key)
            if seen is None or metric_is_newer(
                (m.step, m.timestamp, m.value), (seen.step, seen.timestamp, seen.value)
            ):
                newest[m.key] = m
        if not newest:
            return
        current = {
            row.key: row
            for row in self.session.scalars(
                select(LatestMetricRow).where(
                    LatestMetricRow.run_uuid == run_id, LatestMetricRow.key.in_(list(newest))
                )
            )
        }
        for key, m in newest.items():
            value, is_nan = stored_value(m.value)
            row = current.get(key)
            if row is None:
                self.session.add(
                    LatestMetricRow(
                        run_uuid=run_id,
                        key=key,
                        value=value,
                        is_nan=is_nan,
                        timestamp=m.timestamp,
                        step=m.step,
                    )
                )
            elif metric_is_newer(
                (m.step, m.timestamp, m.value), (row.step, row.timestamp, loaded_value(row.value, row.is_nan))
            ):
                row.value, row.is_nan, row.timestamp, row.step = value, is_nan, m.timestamp, m.step

    def history(self, run_id: str, key: str, offset: int, limit: int) -> list[Metric]:
        rows = self.session.scalars(
            select(MetricRow)
            .where(MetricRow.run_uuid == run_id, MetricRow.key == key)
            .order_by(MetricRow.step, MetricRow.timestamp, MetricRow.id)
            .offset(offset)
            .limit(limit)
        )
        return [Metric(m.key, loaded_value(m.value, m.is_nan), m.timestamp, m.step) for m in rows]

    def add_outputs(self, run_id: str, outputs: list[ModelOutput]) -> None:
        for o in outputs:
            if self.session.get(RunOutputRow, (run_id, o.model_id, o.step)) is None:
                self.session.add(RunOutputRow(run_uuid=run_id, model_id=o.model_id, step=o.step))

    def mark_deleted_in_experiment(self, experiment_id: int, lifecycle: str, now: int | None) -> None:
        for row in self.session.scalars(select(RunRow).where(RunRow.experiment_id == experiment_id)):
            row.lifecycle_stage = lifecycle
            row.deleted_time = now

    # -- search ----------------------------------------------------------------------------------
    def search(
        self,
        experiment_ids: list[int],
        comparisons: list[Comparison],
        order: list[OrderKey],
        stages: tuple[str, ...],
        offset: int,
        limit: int,
    ) -> list[RunRow]:
        stmt = select(RunRow).where(
            RunRow.experiment_id.in_(experiment_ids), RunRow.lifecycle_stage.in_(stages)
        )
        for c in comparisons:
            stmt = stmt.where(self._condition(c))
        clauses: list[Any] = []
        for key in order:
            joins: list[tuple[Any, Any]] = []
            clauses.extend(self._order(key, joins))
            for target, on in joins:
                stmt = stmt.outerjoin(target, on)
        if not any(k.kind == "attribute" and k.key == "start_time" for k in order):
            clauses.append(RunRow.start_time.desc())
        clauses.append(RunRow.run_uuid.asc())
        return list(self.session.scalars(stmt.order_by(*clauses).offset(offset).limit(limit)))

    @staticmethod
    def _condition(c: Comparison) -> ColumnElement[bool]:
        """MLflow's run semantics: a metric, param or tag clause needs the key to be present."""
        if c.kind == "attribute":
            return compare(_COLUMNS[c.key], c.op, c.value)
        if c.kind == "metric":
            return exists(
                select(LatestMetricRow.key).where(
                    LatestMetricRow.run_uuid == RunRow.run_uuid,
                    LatestMetricRow.key == c.key,
                    LatestMetricRow.is_nan.is_(False),
                    compare(LatestMetricRow.value, c.op, c.value),
                )
            )
        table: Any = ParamRow if c.kind == "param" else RunTagRow
        return exists(
            select(table.key).where(
                table.run_uuid == RunRow.run_uuid, table.key == c.key, compare(table.value, c.op, c.value)
            )
        )

    @staticmethod
    def _order(key: OrderKey, joins: list[tuple[Any, Any]]) -> list[Any]:
        """Clauses for one order key; values missing (then NaN) always sort last, as MLflow does."""
        if key.kind == "attribute":
            col = _COLUMNS[key.key]
            return [case((col.is_(None), 1), else_=0), col.asc() if key.ascending else col.desc()]
        if key.kind == "metric":
            sub = (
                select(LatestMetricRow.run_uuid, LatestMetricRow.value, LatestMetricRow.is_nan)
                .where(LatestMetricRow.key == key.key)
                .subquery()
            )
            joins.append((sub, sub.c.run_uuid == RunRow.run_uuid))
            rank = case((sub.c.is_nan.is_(True), 1), (sub.c.value.is_(None), 2), else_=0)
        else:
            table: Any = ParamRow if key.kind == "param" else RunTagRow
            sub = select(table.run_uuid, table.value).where(table.key == key.key).subquery()
            joins.append((sub, sub.c.run_uuid == RunRow.run_uuid))
            rank = case((sub.c.value.is_(None), 1), else_=0)
        return [rank, sub.c.value.asc() if key.ascending else sub.c.value.desc()]
