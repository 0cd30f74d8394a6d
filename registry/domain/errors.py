"""One hierarchy of registry errors, each with a stable code.

Every adapter (MLflow API, native API, CLI, UI) maps these to its own wire format with one table, so a
service raises the error that says what went wrong in the registry's words and never an HTTP status.
Subclasses exist where an adapter must answer differently (MLflow answers an unknown alias on GET with
400, not 404), so the irregularity lives in the adapter's table, not in the service.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class PodiumError(Exception):
    """Base of every error a client may see. `code` is stable; `message` is for people."""

    code = "INTERNAL_ERROR"

    def __init__(self, message: str, *, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = dict(details or {})

    def __str__(self) -> str:
        return self.message


class InvalidParameter(PodiumError):
    """A value from the client breaks a rule (bad name, unknown stage, malformed filter...)."""

    code = "INVALID_PARAMETER_VALUE"

    def __init__(
        self, message: str, *, field: str | None = None, details: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(message, details=details)
        self.field = field


class MissingParameter(InvalidParameter):
    """A required value is absent."""


class InvalidPath(InvalidParameter):
    """An artifact path from a client is unsafe (traversal, absolute, encoded separators, NUL)."""


class InvalidFilter(InvalidParameter):
    """A search filter or order_by clause does not parse or names an unknown key."""


class InvalidPageToken(InvalidParameter):
    """A page token was not issued by this server for this query."""


class NotFound(PodiumError):
    """The named resource does not exist (or no longer exists)."""

    code = "RESOURCE_DOES_NOT_EXIST"


class AliasNotFound(NotFound):
    """An alias that is not set on the model. MLflow answers this with 400 on reads."""


class AlreadyExists(PodiumError):
    """A resource with that identity exists already."""

    code = "RESOURCE_ALREADY_EXISTS"


class Conflict(PodiumError):
    """The request conflicts with the current state (e.g. a request already decided)."""

    code = "CONFLICT"


class Unauthenticated(PodiumError):
    """No valid credentials were presented."""

    code = "UNAUTHENTICATED"


class PermissionDenied(PodiumError):
    """The caller is known but may not do this (role too low, protected target, own approval)."""

    code = "PERMISSION_DENIED"


class StorageError(PodiumError):
    """The artifact store failed for a reason that is not the client's fault."""

    code = "STORAGE_ERROR"


class NotConfigured(PodiumError):
    """The server lacks a setting this request needs; the message names it and how to set it."""

    code = "NOT_CONFIGURED"


class DigestMismatch(PodiumError):
    """Bytes of a model differ from the manifest recorded at registration (tampered or corrupt)."""

    code = "DIGEST_MISMATCH"


class UnsupportedModel(PodiumError):
    """A model's format or flavor is one Podium cannot load (the message says which, and why)."""

    code = "UNSUPPORTED_MODEL"


class RegistryUnreachable(PodiumError):
    """A deploy job could not reach the registry, or it answered with a server error (retryable)."""

    code = "REGISTRY_UNREACHABLE"
