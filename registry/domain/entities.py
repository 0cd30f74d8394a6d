"""The registry's entities as plain values, handed from services to adapters.

Timestamps are integer milliseconds since the epoch (the unit both APIs speak).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from registry.domain.stages import Stage


@dataclass(frozen=True)
class ModelVersion:
    name: str
    version: int
    creation_timestamp: int
    last_updated_timestamp: int
    current_stage: Stage
    description: str
    source: str
    run_id: str | None = None
    model_id: str | None = None
    status: str = "READY"
    created_by: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)
    # sha256 and size of every file of the model, keyed by path relative to the model's root
    digest: dict[str, dict[str, Any]] | None = None


@dataclass(frozen=True)
class RegisteredModel:
    name: str
    creation_timestamp: int
    last_updated_timestamp: int
    description: str
    tags: dict[str, str] = field(default_factory=dict)
    # alias -> version number, sorted by alias
    aliases: dict[str, int] = field(default_factory=dict)
    # the newest version in each stage that has one, newest first
    latest_versions: list[ModelVersion] = field(default_factory=list)


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_page_token: str | None = None
