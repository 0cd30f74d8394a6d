"""Where a model version's metrics come from: the seam between governance and tracking.

The metric gate reads a version's metrics from, in order:

1. its source run (`model_versions.run_id`): the latest value of each metric of that run;
2. its logged model (`model_versions.logged_model_id`): that model's metrics, for keys the run lacks;
3. only when the version has neither (no run and no logged model in this registry, e.g. a version
   registered through the native API from an outside pipeline): version tags named
   `podium.metric.<metric>`, whose value is the number as text.

INTEGRATION (when the tracking tables of the MLflow-compatible API land, feature/mlflow's
registry/db/tables/tracking.py): implement the two methods marked below; nothing else changes.

- `run_metrics(run_id)`: None when `session.get(RunRow, run_id)` is None; else
  `SELECT key, value, is_nan FROM latest_metrics WHERE run_uuid = :run_id` (primary-key prefix), as
  {key: nan if is_nan else value}.
- `logged_model_metrics(model_id)`: None when `session.get(LoggedModelRow, model_id)` is None; else
  `SELECT key, value, is_nan FROM logged_model_metrics WHERE model_id = :model_id
  ORDER BY key, step, timestamp, id`, keeping the last row per key (the latest value), NaN as above.

NaN must stay NaN (never dropped): the gate fails it, as it fails a missing metric.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.db.tables import ModelVersionTagRow

METRIC_TAG_PREFIX = "podium.metric."


class VersionMetricsRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def run_metrics(self, run_id: str) -> dict[str, float] | None:
        """Latest value of each metric of a run; None when the run is unknown here.

        INTEGRATION: the tracking tables are not part of this branch, so no run is known yet.
        """
        return None

    def logged_model_metrics(self, model_id: str) -> dict[str, float] | None:
        """A logged model's metrics; None when the logged model is unknown here.

        INTEGRATION: as `run_metrics`.
        """
        return None

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
