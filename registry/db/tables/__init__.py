"""All tables, imported together so `Base.metadata` is complete for Alembic and tests."""

from registry.db.tables.events import AuditEventRow, OutboxEventRow
from registry.db.tables.identity import TokenRow
from registry.db.tables.registry import (
    AliasRow,
    ModelVersionRow,
    ModelVersionTagRow,
    RegisteredModelRow,
    RegisteredModelTagRow,
)
from registry.db.tables.tracking import (
    ExperimentRow,
    ExperimentTagRow,
    LatestMetricRow,
    LoggedModelMetricRow,
    LoggedModelParamRow,
    LoggedModelRow,
    LoggedModelTagRow,
    MetricRow,
    ParamRow,
    RunOutputRow,
    RunRow,
    RunTagRow,
)

__all__ = [
    "AliasRow",
    "AuditEventRow",
    "ModelVersionRow",
    "ModelVersionTagRow",
    "OutboxEventRow",
    "RegisteredModelRow",
    "RegisteredModelTagRow",
    "TokenRow",
    # tracking
    "ExperimentRow",
    "ExperimentTagRow",
    "LatestMetricRow",
    "LoggedModelMetricRow",
    "LoggedModelParamRow",
    "LoggedModelRow",
    "LoggedModelTagRow",
    "MetricRow",
    "ParamRow",
    "RunOutputRow",
    "RunRow",
    "RunTagRow",
]
