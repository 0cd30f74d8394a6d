"""A version's metrics, exactly as the promotion gate reads them.

Governance judges metric rules on what `registry.services.evaluation.version_metrics` returns (the
source run's latest values, then the logged model's, else `podium.metric.*` version tags). The
GitHub gate must judge the same numbers, so it reads them through this use case rather than
re-implementing where metrics come from: when that reader learns a new source, both follow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from registry.db.uow import UnitOfWork
from registry.domain.names import parse_version, validate_model_name
from registry.services.evaluation import version_metrics


@dataclass(frozen=True)
class VersionMetrics:
    """`metrics` keeps NaN and infinities as floats: a rule fails on them, so they must not vanish."""

    model: str
    version: int
    metrics: Mapping[str, float] = field(default_factory=dict)
    # Where they were read, in words: "run <id>", "logged model <id>", "version tags podium.metric.*".
    source: str = ""


def get_version_metrics(uow: UnitOfWork, name: str, version: object) -> VersionMetrics:
    """The metrics the gate would judge for `version` of model `name` (NotFound if either is absent)."""
    name = validate_model_name(name)
    number = parse_version(version)
    with uow.reading():
        model = uow.models.get(name)
        row = uow.versions.get(model, number)
        values, source = version_metrics(uow, row)
    return VersionMetrics(name, number, dict(sorted(values.items())), source)
