"""All tables, imported together so `Base.metadata` is complete for Alembic and tests."""

from registry.db.tables.events import AuditEventRow, OutboxEventRow
from registry.db.tables.governance import ApprovalRow, PolicyRow, PromotionRequestRow
from registry.db.tables.identity import TokenRow
from registry.db.tables.registry import (
    AliasRow,
    ModelVersionRow,
    ModelVersionTagRow,
    RegisteredModelRow,
    RegisteredModelTagRow,
)
from registry.db.tables.webhooks import DeliveryAttemptRow, DeliveryRow, WebhookRow

__all__ = [
    "AliasRow",
    "ApprovalRow",
    "AuditEventRow",
    "DeliveryAttemptRow",
    "DeliveryRow",
    "ModelVersionRow",
    "ModelVersionTagRow",
    "OutboxEventRow",
    "PolicyRow",
    "PromotionRequestRow",
    "RegisteredModelRow",
    "RegisteredModelTagRow",
    "TokenRow",
    "WebhookRow",
]

# The tracking tables (experiments, runs, logged models) join Base.metadata when imported.
from registry.db.tables import tracking  # noqa: F401
