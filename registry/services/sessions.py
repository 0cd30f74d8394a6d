"""Browser sessions: a signed-in session names the token it was opened with.

The session cookie holds the token's id and name, never its secret. Each request resumes the session
through `resume`, so revoking a token ends every session opened with it at the next request, and a
role changed on the token applies at once.
"""

from __future__ import annotations

from registry.db.uow import UnitOfWork
from registry.domain.errors import Unauthenticated
from registry.domain.identity import Actor, Role


def resume(uow: UnitOfWork, token_id: int, name: str) -> Actor:
    """The actor of a session opened with token `token_id` named `name`.

    Raises Unauthenticated when that token no longer exists or has been revoked. Token names are
    never reused (a revoked token keeps its name), so id and name must both match.
    """
    with uow.reading():
        row = uow.tokens.by_name(name)
        if row is None or row.id != token_id:
            raise Unauthenticated("Your session's token no longer exists; sign in again.")
        if row.revoked_at is not None:
            raise Unauthenticated(f"Token {name!r} has been revoked; sign in with another token.")
        return Actor(name=row.name, role=Role(row.role), token_id=row.id)
