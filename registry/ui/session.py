"""The UI's session cookie, its CSRF protection, and who a signed-in browser is.

The session is Flask's signed cookie (not encrypted: it holds only a token's id and name, the CSRF
token and flash messages, never a secret). It is signed with a key derived from PODIUM_SECRET_KEY.
That variable may hold several keys separated by commas (the form the webhook secrets use for
rotation): the first signs, the others are still accepted, so a key can be replaced without
signing everyone out.

Without PODIUM_SECRET_KEY the UI uses a random key made once per process tree: `podium server`
calls `share_process_key()` before gunicorn forks, so all workers of one server inherit the same
key and accept each other's sessions; sessions then end when the server restarts. Nothing else can
make independent processes agree on a key without shared state, so several servers behind one load
balancer (or gunicorn started on `registry.wsgi:app` with several workers) must set
PODIUM_SECRET_KEY. The fallback key is the UI's alone: `settings.secret_key` stays unset, so
features that must not run on a throwaway key (webhook secrets encrypted at rest) still see that
none was configured.

Keys for the session and for CSRF tokens are derived with HMAC, one per purpose, so sharing
PODIUM_SECRET_KEY with other features never lets one use stand in for another.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import timedelta

from flask import Flask, Request, flash, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect

from registry.config import Settings
from registry.domain.errors import Unauthenticated
from registry.domain.identity import LOCAL_OPERATOR, Actor
from registry.runtime import Runtime
from registry.services import sessions

log = logging.getLogger(__name__)

COOKIE_NAME = "podium_session"
# A session ends after this long without a request (the cookie is refreshed by each request).
LIFETIME = timedelta(hours=12)
# The methods that change something: each needs the session's CSRF token.
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
BLUEPRINT = "ui"

csrf = CSRFProtect()


_process_key: list[str] = []


def share_process_key() -> None:
    """Make this process's fallback key now, so processes forked from it afterwards (gunicorn's
    workers) all inherit the same one. Idempotent."""
    if not _process_key:
        _process_key.append(secrets.token_urlsafe(32))


def derive_key(secret: str, purpose: str) -> bytes:
    """A key for one purpose (session, csrf) derived from one of PODIUM_SECRET_KEY's keys."""
    return hmac.new(secret.encode(), f"podium.ui.{purpose}".encode(), hashlib.sha256).digest()


def secrets_of(settings: Settings) -> list[str]:
    """The keys to sign with (first) and to accept (all): PODIUM_SECRET_KEY, else the process key."""
    configured = [k.strip() for k in (settings.secret_key or "").split(",") if k.strip()]
    if configured:
        return configured
    log.warning(
        "PODIUM_SECRET_KEY is not set: UI sessions are signed with a key made when this server "
        "started and end when it restarts. Set PODIUM_SECRET_KEY when several servers serve the UI."
    )
    share_process_key()
    return list(_process_key)


def cookie_secure_setting(settings: Settings) -> bool:
    """PODIUM_SESSION_COOKIE_SECURE=on marks the cookie Secure even when TLS ends at a proxy."""
    value = (settings.setting("PODIUM_SESSION_COOKIE_SECURE") or "").strip().lower()
    return value in ("1", "on", "true", "yes")


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed cookie, marked Secure whenever the request itself came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def configure(app: Flask, settings: Settings) -> None:
    """Session cookie and CSRF settings for the app (called once by `registry.ui.install`)."""
    keys = secrets_of(settings)
    app.secret_key = derive_key(keys[0], "session")
    app.session_interface = SessionCookies()
    app.config.update(
        # Sessions signed with an older key of PODIUM_SECRET_KEY stay valid during a rotation.
        SECRET_KEY_FALLBACKS=[derive_key(k, "session") for k in keys[1:]],
        SESSION_COOKIE_NAME=COOKIE_NAME,
        SESSION_COOKIE_HTTPONLY=True,
        # Lax, not Strict: a link to a model page from chat or a pull request should open signed
        # in. Cross-site POSTs carry no cookie under Lax, and every form also needs the CSRF token.
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=cookie_secure_setting(settings),
        PERMANENT_SESSION_LIFETIME=LIFETIME,
        # Flask-WTF's CSRFProtect checks only the UI's routes (see `protect`): the APIs take bearer
        # tokens, which a browser never sends by itself, so they need no CSRF token.
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_SECRET_KEY=derive_key(keys[0], "csrf"),
        # The token lives as long as the session it belongs to.
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_SSL_STRICT=True,
    )
    csrf.init_app(app)


def protect() -> None:
    """Refuse a write to a UI route without this session's CSRF token (a 400 naming why)."""
    if request.method in WRITE_METHODS:
        csrf.protect()


def is_ui_request(req: Request) -> bool:
    return BLUEPRINT in req.blueprints


def identity(runtime: Runtime) -> Actor | None:
    """The `identity_sources` hook: the actor of a signed-in browser on a UI route, else None.

    API routes never accept the cookie: they take tokens only, so a page on another site cannot
    borrow a signed-in browser to call them.
    """
    if not is_ui_request(request):
        return None
    token_id = session.get("token_id")
    name = session.get("name")
    if not isinstance(token_id, int) or not isinstance(name, str):
        return None
    try:
        return sessions.resume(runtime.uow(LOCAL_OPERATOR), token_id, name)
    except Unauthenticated as exc:
        session.clear()
        flash(exc.message, "error")  # shown on the sign-in page the browser is sent to
        raise


def sign_in(actor: Actor) -> None:
    """Start a fresh session for `actor` (a new CSRF token too, so none survives from before)."""
    session.clear()
    session["token_id"] = actor.token_id
    session["name"] = actor.name
    session.permanent = True


def sign_out() -> None:
    session.clear()
