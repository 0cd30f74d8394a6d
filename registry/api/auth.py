"""Who is calling, and may they: every route declares the role it needs.

`@requires(Role.X)` marks a view (function or MethodView method). One before-request hook
authenticates the caller (Bearer token, or HTTP Basic with the token as password, which is what
the mlflow client sends for MLFLOW_TRACKING_USERNAME/PASSWORD) and checks the role. A route that
declares nothing is refused: forgetting a declaration fails closed.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, g, request

from registry.domain.errors import PermissionDenied, Unauthenticated
from registry.domain.identity import LOCAL_OPERATOR, Actor, Role
from registry.runtime import Runtime
from registry.services import tokens

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])
ROLE_ATTRIBUTE = "_podium_required_role"
PUBLIC = "public"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")

# Extra ways to identify a caller (the UI's session cookie); each returns an Actor or None.
IdentitySource = Callable[[Runtime], Actor | None]


def requires(role: Role | str) -> Callable[[F], F]:
    """Declare the role a view needs (`PUBLIC` for the few open routes, e.g. /health)."""

    def mark(view: F) -> F:
        setattr(view, ROLE_ATTRIBUTE, role)
        return view

    return mark


def declare(app: Flask, endpoint: str, role: Role | str) -> None:
    """Declare the role of a route whose view we do not own (e.g. flask-smorest's OpenAPI view)."""
    app.extensions.setdefault("podium_route_roles", {})[endpoint] = role


def declared_role(app: Flask, endpoint: str, method: str) -> Role | str | None:
    declared = app.extensions.get("podium_route_roles", {}).get(endpoint)
    if declared is not None:
        return declared  # type: ignore[no-any-return]
    view = app.view_functions.get(endpoint)
    if view is None:
        return None
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        name = "get" if method == "HEAD" else method.lower()
        handler = getattr(view_class, name, None)
        if handler is None and method == "OPTIONS":
            return Role.READER
        return getattr(handler, ROLE_ATTRIBUTE, None) if handler is not None else None
    if method == "OPTIONS" and getattr(view, ROLE_ATTRIBUTE, None) is None:
        return Role.READER
    return getattr(view, ROLE_ATTRIBUTE, None)


def token_from_request() -> str | None:
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer" and value.strip():
        return value.strip()
    if scheme == "basic" and value.strip():
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthenticated("Malformed Basic credentials.") from None
        _user, sep, password = decoded.partition(":")
        if sep and password:
            return password
    raise Unauthenticated("Unsupported Authorization header: send 'Bearer <token>'.")


def current_actor() -> Actor:
    actor = g.get("actor")
    if actor is None:
        raise Unauthenticated("Authentication required.")
    return actor  # type: ignore[no-any-return]


def install(app: Flask, runtime: Runtime, identity_sources: list[IdentitySource]) -> None:
    """Authenticate and authorise every request before its view runs."""

    @app.before_request
    def authorise() -> None:
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        endpoint = request.endpoint
        if endpoint is None:
            return  # no such route: Flask answers 404/405
        if endpoint == "static":
            return
        role = declared_role(current_app, endpoint, request.method)
        if role is None:
            log.error("route %s %s declares no role; refusing", request.method, request.path)
            raise PermissionDenied("This route is not available.")
        if role == PUBLIC:
            return
        assert isinstance(role, Role)
        actor = _identify(runtime, identity_sources)
        g.actor = actor
        if not actor.may(role):
            raise PermissionDenied(
                f"This needs the {role.value} role; '{actor.name}' has the {actor.role.value} role."
            )

    @app.after_request
    def echo_request_id(response: Any) -> Any:
        if "request_id" in g:
            response.headers["X-Request-Id"] = g.request_id
        return response


def _identify(runtime: Runtime, identity_sources: list[IdentitySource]) -> Actor:
    if not runtime.settings.auth:
        return LOCAL_OPERATOR
    secret = token_from_request()
    if secret is not None:
        return tokens.authenticate(runtime.uow(LOCAL_OPERATOR), secret)
    for source in identity_sources:
        actor = source(runtime)
        if actor is not None:
            return actor
    raise Unauthenticated(
        "Authentication required: send a token as 'Authorization: Bearer <token>' "
        "(MLFLOW_TRACKING_TOKEN for the mlflow client)."
    )
