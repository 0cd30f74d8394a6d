"""Webhook subscriptions: create, read, change, rotate the secret, delete (admin use cases).

Secrets are sealed with the server key before they reach the database and are shown once: in the
answer that created or rotated them. Changes are recorded as `webhook.*` events like every other
change, so they are audited and can themselves be subscribed to.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from registry.config import Settings
from registry.db.repositories.webhooks import WebhookRepository
from registry.db.secrets import SecretBox
from registry.db.tables import WebhookRow
from registry.db.uow import UnitOfWork
from registry.domain import webhooks as wh
from registry.domain.entities import Page
from registry.domain.errors import InvalidParameter, MissingParameter
from registry.domain.events import Event
from registry.domain.names import validate_description
from registry.domain.paging import decode_page_token, encode_page_token, fingerprint, page_size
from registry.domain.webhook_settings import WebhookSettings
from registry.domain.webhook_targets import (
    github_dispatch_url,
    new_secret,
    validate_github_target,
    validate_github_token,
    validate_secret,
    validate_url,
)
from registry.domain.webhooks import Flavor, GitHubTarget, Kind, NewSecret, Webhook

MAX_RESULTS_DEFAULT = 100
MAX_RESULTS_LIMIT = 1000
ROTATION_OVERLAP_MS = 24 * 3600 * 1000
_MAX_NAME = 256


@dataclass(frozen=True)
class Keys:
    """What the webhook use cases need from the server's configuration."""

    settings: WebhookSettings
    box: SecretBox

    @classmethod
    def from_settings(cls, settings: Settings) -> Keys:
        """Raises NotConfigured (naming the variable) when a webhook setting is unusable."""
        return cls(WebhookSettings.parse(settings.setting), SecretBox(settings.secret_key))


@dataclass(frozen=True)
class GitHubSpec:
    owner: str
    repo: str
    token: str | None = None
    event_type: str | None = None
    api_url: str | None = None


def repository(uow: UnitOfWork) -> WebhookRepository:
    return WebhookRepository(uow.session, uow.database.dialect)


def entity(row: WebhookRow) -> Webhook:
    target = row.target or None
    return Webhook(
        id=row.public_id,
        name=row.name,
        description=row.description or "",
        kind=Kind(row.kind),
        url=row.url,
        events=list(row.events),
        model_filter=row.model_filter,
        active=row.active,
        flavor=Flavor(row.flavor),
        created_at=row.created_at,
        updated_at=row.updated_at,
        created_by=row.created_by,
        has_secret=row.secret_sealed is not None,
        disabled_reason=row.disabled_reason,
        disabled_at=row.disabled_at,
        failing_since=row.failing_since,
        github=GitHubTarget(**target) if target else None,
        previous_secret_until=row.previous_secret_until,
    )


def _name(name: object, fallback: str) -> str:
    if name is None or name == "":
        return fallback[:_MAX_NAME]
    if not isinstance(name, str) or len(name) > _MAX_NAME or name != name.strip():
        raise InvalidParameter(f"'name' must be a string of 1-{_MAX_NAME} characters.", field="name")
    return name


def _event_data(row: WebhookRow) -> dict[str, Any]:
    return {
        "id": row.public_id,
        "name": row.name,
        "kind": row.kind,
        "url": row.url,
        "events": list(row.events),
        "model_filter": row.model_filter,
        "active": row.active,
    }


def create_webhook(
    uow: UnitOfWork,
    keys: Keys,
    *,
    url: str | None = None,
    events: object = None,
    name: str | None = None,
    description: str | None = None,
    model_filter: object = None,
    secret: str | None = None,
    active: bool = True,
    github: GitHubSpec | None = None,
    flavor: Flavor = Flavor.PODIUM,
) -> NewSecret:
    """Subscribe a receiver (an HTTP URL, or a GitHub repository's `repository_dispatch`).

    An HTTP subscription created through the native API always gets a signing secret: the one given,
    or a fresh `whsec_` secret, which the answer shows once. One created through MLflow's API gets a
    secret only when given one (MLflow sends no signature without).
    """
    patterns = wh.validate_event_patterns(events)
    filter_ = wh.validate_model_filter(model_filter)
    description = validate_description(description)
    if not isinstance(active, bool):
        raise InvalidParameter("'active' must be true or false.", field="active")
    target: GitHubTarget | None = None
    credential: str | None = None
    shown: str | None = None
    if github is not None:
        if url:
            raise InvalidParameter("Give either 'url' or 'github', not both.", field="url")
        target = validate_github_target(
            github.owner,
            github.repo,
            github.event_type,
            github.api_url or keys.settings.github_api_url,
            keys.settings.schemes,
            keys.settings.policy,
        )
        if github.token is None:
            raise MissingParameter("'github.token' is required for a GitHub target.", field="github")
        credential = validate_github_token(github.token)
        url = github_dispatch_url(target)
        fallback_name = f"github:{target.owner}/{target.repo}"
    else:
        url = validate_url(url, keys.settings.schemes, keys.settings.policy)
        fallback_name = urlsplit(url).hostname or url
        if secret is not None:
            secret = validate_secret(secret)
        elif flavor is Flavor.PODIUM:
            secret = shown = new_secret()
    # Seal before the transaction: a missing key fails the request before anything is written.
    sealed_secret = keys.box.seal(secret) if secret is not None else None
    sealed_credential = keys.box.seal(credential) if credential is not None else None
    with uow:
        row = repository(uow).add(
            WebhookRow(
                public_id="wh_" + secrets.token_hex(12),
                name=_name(name, fallback_name),
                description=description,
                kind=(Kind.GITHUB if target else Kind.HTTP).value,
                url=url,
                target=target.__dict__ if target else None,
                events=patterns,
                model_filter=filter_,
                flavor=flavor.value,
                secret_sealed=sealed_secret,
                credential_sealed=sealed_credential,
                active=active,
                disabled_reason=None if active else f"created disabled by {uow.actor.name}",
                disabled_at=None if active else uow.now,
                created_at=uow.now,
                updated_at=uow.now,
                created_by=uow.actor.name,
            )
        )
        uow.record(Event(wh.CREATED_EVENT, None, _event_data(row), after=_event_data(row)))
        return NewSecret(entity(row), shown)


def get_webhook(uow: UnitOfWork, webhook_id: str) -> Webhook:
    with uow.reading():
        return entity(repository(uow).get(webhook_id))


def list_webhooks(
    uow: UnitOfWork, max_results: object = None, page_token: str | None = None
) -> Page[Webhook]:
    limit = page_size(
        max_results, default=MAX_RESULTS_DEFAULT, maximum=MAX_RESULTS_LIMIT, cap=MAX_RESULTS_LIMIT
    )
    query = fingerprint("webhooks")
    offset = decode_page_token(page_token, query)
    with uow.reading():
        rows = repository(uow).page(offset, limit + 1)
        items = [entity(r) for r in rows[:limit]]
    return Page(items, encode_page_token(offset + limit, query) if len(rows) > limit else None)


_UNSET: Any = object()


def update_webhook(
    uow: UnitOfWork,
    keys: Keys,
    webhook_id: str,
    *,
    name: Any = _UNSET,
    description: Any = _UNSET,
    url: Any = _UNSET,
    events: Any = _UNSET,
    model_filter: Any = _UNSET,
    active: Any = _UNSET,
    secret: Any = _UNSET,
    github_token: Any = _UNSET,
) -> Webhook:
    """Change what is given. Re-enabling clears the failure streak and the reason it was disabled;
    disabling makes queued deliveries fail when they fall due (redelivery can revive them)."""
    changes: dict[str, Any] = {}
    if name is not _UNSET:
        changes["name"] = _name(name, "")
        if not changes["name"]:
            raise InvalidParameter("'name' must not be empty.", field="name")
    if description is not _UNSET:
        changes["description"] = validate_description(description)
    if events is not _UNSET:
        changes["events"] = wh.validate_event_patterns(events)
    if model_filter is not _UNSET:
        changes["model_filter"] = wh.validate_model_filter(model_filter)
    if active is not _UNSET and not isinstance(active, bool):
        raise InvalidParameter("'active' must be true or false.", field="active")
    if secret is not _UNSET:
        changes["secret_sealed"] = keys.box.seal(validate_secret(secret)) if secret else None
    if github_token is not _UNSET:
        changes["credential_sealed"] = keys.box.seal(validate_github_token(github_token))
    with uow:
        row = repository(uow).lock(webhook_id)
        if url is not _UNSET:
            if row.kind == Kind.GITHUB.value:
                raise InvalidParameter("A GitHub target's URL follows its repository.", field="url")
            changes["url"] = validate_url(url, keys.settings.schemes, keys.settings.policy)
        if "credential_sealed" in changes and row.kind != Kind.GITHUB.value:
            raise InvalidParameter("Only GitHub targets have a token.", field="github")
        if "secret_sealed" in changes and row.kind == Kind.GITHUB.value:
            raise InvalidParameter(
                "GitHub targets are authenticated by their token, not a secret.", field="secret"
            )
        before = _event_data(row)
        for key, value in changes.items():
            setattr(row, key, value)
        if active is not _UNSET and active != row.active:
            row.active = active
            changes["active"] = active
            row.failing_since = None
            row.disabled_reason = None if active else f"disabled by {uow.actor.name}"
            row.disabled_at = None if active else uow.now
        row.updated_at = uow.now
        changed = sorted(k.removesuffix("_sealed") for k in changes)
        uow.record(
            Event(
                wh.UPDATED_EVENT,
                None,
                {"id": row.public_id, "name": row.name, "changes": changed, "active": row.active},
                before=before,
                after=_event_data(row),
            )
        )
        return entity(row)


def rotate_secret(uow: UnitOfWork, keys: Keys, webhook_id: str, secret: str | None = None) -> NewSecret:
    """Replace the signing secret. For 24 hours deliveries carry signatures with both the new and the
    old secret (Standard Webhooks' zero-downtime rotation), so receivers can switch at their pace."""
    fresh = validate_secret(secret) if secret is not None else new_secret()
    sealed = keys.box.seal(fresh)
    with uow:
        row = repository(uow).lock(webhook_id)
        if row.kind != Kind.HTTP.value:
            raise InvalidParameter(
                "GitHub targets are authenticated by their token, not a secret.", field="secret"
            )
        if row.secret_sealed is not None:
            row.previous_secret_sealed = row.secret_sealed
            row.previous_secret_until = uow.now + ROTATION_OVERLAP_MS
        row.secret_sealed = sealed
        row.updated_at = uow.now
        uow.record(
            Event(
                wh.UPDATED_EVENT,
                None,
                {"id": row.public_id, "name": row.name, "changes": ["secret"], "active": row.active},
            )
        )
        return NewSecret(entity(row), fresh if secret is None else None)


def delete_webhook(uow: UnitOfWork, webhook_id: str) -> None:
    """Remove the subscription with its deliveries and their log."""
    with uow:
        repo = repository(uow)
        row = repo.lock(webhook_id)
        uow.record(
            Event(wh.DELETED_EVENT, None, {"id": row.public_id, "name": row.name}, before=_event_data(row))
        )
        repo.delete(row)
