"""API tokens: created with a role, shown once, stored as a hash, revocable."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from registry.db.tables import TokenRow
from registry.db.uow import UnitOfWork
from registry.domain import events
from registry.domain.errors import AlreadyExists, InvalidParameter, NotFound, Unauthenticated
from registry.domain.identity import Actor, Role, Token, parse_role

TOKEN_PREFIX = "pdm_"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@\-]{0,127}$")

TOKEN_CREATED = "token.created"
TOKEN_REVOKED = "token.revoked"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _entity(row: TokenRow) -> Token:
    return Token(
        name=row.name,
        role=Role(row.role),
        prefix=row.prefix,
        created_at=row.created_at,
        created_by=row.created_by,
        revoked_at=row.revoked_at,
    )


def create_token(uow: UnitOfWork, name: str, role: str | Role) -> tuple[Token, str]:
    """Create a token; returns it with its secret, which is not stored and cannot be shown again."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidParameter(
            f"Invalid token name {name!r}: use up to 128 letters, digits, '_', '.', '@', '-'.",
            field="name",
        )
    checked_role = role if isinstance(role, Role) else parse_role(role)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with uow:
        if uow.tokens.by_name(name) is not None:
            raise AlreadyExists(f"A token named {name!r} exists already; revoke it or pick another.")
        row = uow.tokens.add(
            TokenRow(
                name=name,
                role=checked_role.value,
                secret_hash=hash_secret(secret),
                prefix=secret[:10],
                created_at=uow.now,
                created_by=uow.actor.name,
            )
        )
        uow.record(
            events.Event(
                TOKEN_CREATED,
                None,
                {"name": name, "role": checked_role.value},
                after={"name": name, "role": checked_role.value},
            )
        )
        return _entity(row), secret


def list_tokens(uow: UnitOfWork, include_revoked: bool = False) -> list[Token]:
    with uow.reading():
        return [_entity(r) for r in uow.tokens.all(include_revoked)]


def revoke_token(uow: UnitOfWork, name: str) -> Token:
    with uow:
        row = uow.tokens.by_name(name)
        if row is None or row.revoked_at is not None:
            raise NotFound(f"No active token named {name!r}.")
        row.revoked_at = uow.now
        uow.record(events.Event(TOKEN_REVOKED, None, {"name": name}, before={"name": name, "role": row.role}))
        return _entity(row)


def authenticate(uow: UnitOfWork, secret: str) -> Actor:
    """The actor a presented secret stands for. Raises Unauthenticated for unknown or revoked."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        raise Unauthenticated("Invalid token.")
    digest = hash_secret(secret)
    with uow.reading():
        row = uow.tokens.by_hash(digest)
        # The lookup is by hash; comparing again in constant time keeps timing uninformative.
        if row is None or not hmac.compare_digest(row.secret_hash, digest):
            raise Unauthenticated("Invalid token.")
        if row.revoked_at is not None:
            raise Unauthenticated(f"Token {row.name!r} has been revoked.")
        return Actor(name=row.name, role=Role(row.role), token_id=row.id)
