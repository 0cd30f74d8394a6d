"""The tracking repositories of a unit of work, built on its session when a service needs them.

Built on demand rather than as attributes of `UnitOfWork`, so the tracking area adds no lines to the
unit of work that every area shares.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from registry.db.repositories.tracking_experiments import ExperimentRepository
from registry.db.repositories.tracking_models import LoggedModelRepository
from registry.db.repositories.tracking_runs import RunRepository

if TYPE_CHECKING:
    from registry.db.uow import UnitOfWork


@dataclass(frozen=True)
class Tracking:
    experiments: ExperimentRepository
    runs: RunRepository
    logged_models: LoggedModelRepository


def tracking(uow: UnitOfWork) -> Tracking:
    """Repositories over `uow`'s open session (call inside `with uow:`)."""
    session, dialect = uow.session, uow.database.dialect
    return Tracking(
        ExperimentRepository(session, dialect),
        RunRepository(session, dialect),
        LoggedModelRepository(session, dialect),
    )
