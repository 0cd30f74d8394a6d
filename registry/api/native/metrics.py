"""/api/v1/models/<name>/versions/<version>/metrics: the numbers the promotion gate judges."""

from __future__ import annotations

import math
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from registry.api.auth import requires
from registry.api.context import uow
from registry.domain.identity import Role
from registry.services.version_metrics import VersionMetrics, get_version_metrics

blp = Blueprint("metrics", __name__, url_prefix="/api/v1", description="Version metrics")

# JSON has no NaN or infinities; these are the spellings MLflow's JSON uses for them.
NON_FINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


class MetricValue(fields.Raw):
    """A number, or "NaN" / "Infinity" / "-Infinity" (kept: the gate fails them, never drops them)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> float | str | None:
        if value is None:
            return None
        number = float(value)
        return number if math.isfinite(number) else NON_FINITE[repr(number)]


class VersionMetricsSchema(Schema):
    model = fields.String()
    version = fields.Integer()
    metrics = fields.Dict(
        keys=fields.String(),
        values=MetricValue(metadata={"description": 'a number, or "NaN", "Infinity", "-Infinity"'}),
    )
    source = fields.String(
        metadata={"description": "where they were read: a run, a logged model, or podium.metric.* tags"}
    )


@blp.route("/models/<name>/versions/<version>/metrics")
class VersionMetricsView(MethodView):
    @requires(Role.READER)
    @blp.response(200, VersionMetricsSchema)
    def get(self, name: str, version: str) -> VersionMetrics:
        """The version's metrics exactly as promotion rules read them: its source run's latest
        values, then its logged model's; `podium.metric.<name>` version tags when it has neither."""
        return get_version_metrics(uow(), name, version)
