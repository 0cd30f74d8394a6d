"""Model version stages: None → Staging → Production → Archived (any move is allowed)."""

from __future__ import annotations

from enum import StrEnum

from registry.domain.errors import InvalidParameter


class Stage(StrEnum):
    NONE = "None"
    STAGING = "Staging"
    PRODUCTION = "Production"
    ARCHIVED = "Archived"


ALL_STAGES: tuple[Stage, ...] = tuple(Stage)
_BY_LOWER = {s.value.lower(): s for s in Stage}


def parse_stage(value: object) -> Stage:
    """Return the Stage named by `value` (case-insensitive, as MLflow accepts 'production')."""
    if isinstance(value, Stage):
        return value
    if isinstance(value, str) and value.lower() in _BY_LOWER:
        return _BY_LOWER[value.lower()]
    raise InvalidParameter(
        f"Invalid Model Version stage: {value}. Value must be one of None, Staging, Production, Archived.",
        field="stage",
    )
