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
from registry.db.tables.webhooks import DeliveryAttemptRow, DeliveryRow, WebhookRow

__all__ = [
    "AliasRow",
    "AuditEventRow",
    "DeliveryAttemptRow",
    "DeliveryRow",
    "ModelVersionRow",
    "ModelVersionTagRow",
    "OutboxEventRow",
    "RegisteredModelRow",
    "RegisteredModelTagRow",
    "TokenRow",
    "WebhookRow",
]
