"""Who acts: roles and the actor a request runs as."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from registry.domain.errors import InvalidParameter


class Role(StrEnum):
    """reader < contributor < reviewer < admin; promoter is CI's role (see `grants`)."""

    READER = "reader"
    CONTRIBUTOR = "contributor"
    REVIEWER = "reviewer"
    ADMIN = "admin"
    PROMOTER = "promoter"

    def grants(self, required: Role) -> bool:
        """True when a holder of this role may do what `required` allows.

        The four people roles are ordered. `promoter` is a CI identity: it may read, register
        (contributor) and act as a promoter, but it is not a reviewer: its approvals are evidence
        from elsewhere, never its own judgement.
        """
        if self is required or self is Role.ADMIN:
            return True
        if self is Role.PROMOTER:
            return required in (Role.READER, Role.CONTRIBUTOR)
        if required is Role.PROMOTER:
            return False
        return _RANK[self] >= _RANK[required]


_RANK = {Role.READER: 0, Role.CONTRIBUTOR: 1, Role.REVIEWER: 2, Role.ADMIN: 3, Role.PROMOTER: 1}


def parse_role(value: str) -> Role:
    try:
        return Role(value.strip().lower())
    except ValueError:
        valid = ", ".join(r.value for r in Role)
        raise InvalidParameter(f"Unknown role {value!r}; use one of {valid}.", field="role") from None


@dataclass(frozen=True)
class Actor:
    """The identity a request runs as. `token_id` is None for the local (auth off) operator."""

    name: str
    role: Role
    token_id: int | None = None

    def may(self, required: Role) -> bool:
        return self.role.grants(required)


# Used when auth is off (only allowed on loopback): the operator at the keyboard is trusted.
LOCAL_OPERATOR = Actor(name="local", role=Role.ADMIN)
# Used by maintenance commands run on the server host (migrations, token creation).
SYSTEM = Actor(name="system", role=Role.ADMIN)


@dataclass(frozen=True)
class Token:
    """What the registry shows of a token: never its secret, which exists only at creation."""

    name: str
    role: Role
    prefix: str
    created_at: int
    created_by: str
    revoked_at: int | None = None
