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

__all__ = [
    "AliasRow",
    "AuditEventRow",
    "ModelVersionRow",
    "ModelVersionTagRow",
    "OutboxEventRow",
    "RegisteredModelRow",
    "RegisteredModelTagRow",
    "TokenRow",
]

# The tracking tables (experiments, runs, logged models) join Base.metadata when imported.
from registry.db.tables import tracking  # noqa: F401
