"""Where a model version's metrics come from: the seam between governance and tracking.

The metric gate reads a version's metrics from, in order:

1. its source run (`model_versions.run_id`): the latest value of each metric of that run;
2. its logged model (`model_versions.logged_model_id`): that model's metrics, for keys the run lacks;
3. only when the version has neither (no run and no logged model in this registry, e.g. a version
   registered through the native API from an outside pipeline): version tags named
   `podium.metric.<metric>`, whose value is the number as text.

NaN must stay NaN (never dropped): the gate fails it, as it fails a missing metric.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.db.tables import ModelVersionTagRow
from registry.db.tables.tracking import LatestMetricRow, LoggedModelMetricRow, LoggedModelRow, RunRow

METRIC_TAG_PREFIX = "podium.metric."
NAN = float("nan")


class VersionMetricsRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def run_metrics(self, run_id: str) -> dict[str, float] | None:
        """Latest value of each metric of a run; None when the run is unknown here."""
        if self.session.get(RunRow, run_id) is None:
            return None
        rows = self.session.execute(
            select(LatestMetricRow.key, LatestMetricRow.value, LatestMetricRow.is_nan).where(
                LatestMetricRow.run_uuid == run_id
            )
        )
        return {key: NAN if is_nan else float(value) for key, value, is_nan in rows}

    def logged_model_metrics(self, model_id: str) -> dict[str, float] | None:
        """A logged model's metrics, the latest value per key; None when the model is unknown."""
        if self.session.get(LoggedModelRow, model_id) is None:
            return None
        rows = self.session.execute(
            select(LoggedModelMetricRow.key, LoggedModelMetricRow.value, LoggedModelMetricRow.is_nan)
            .where(LoggedModelMetricRow.model_id == model_id)
            .order_by(
                LoggedModelMetricRow.key,
                LoggedModelMetricRow.step,
                LoggedModelMetricRow.timestamp,
                LoggedModelMetricRow.id,
            )
        )
        # Ordered by step then time within a key, so the last row seen per key is the latest.
        return {key: NAN if is_nan else float(value) for key, value, is_nan in rows}

    def tag_metrics(self, version_id: int) -> dict[str, float]:
        """Metrics a version carries as `podium.metric.<name>` tags (unparseable values are NaN,
        so the gate fails them instead of ignoring them)."""
        rows = self.session.execute(
            select(ModelVersionTagRow.key, ModelVersionTagRow.value).where(
                ModelVersionTagRow.model_version_id == version_id,
                ModelVersionTagRow.key.startswith(METRIC_TAG_PREFIX, autoescape=True),
            )
        )
        out: dict[str, float] = {}
        for key, value in rows:
            try:
                out[key[len(METRIC_TAG_PREFIX) :]] = float(value)
            except ValueError:
                out[key[len(METRIC_TAG_PREFIX) :]] = float("nan")
        return out
