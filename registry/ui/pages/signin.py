"""Signing in with a token, and signing out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from registry.api.auth import PUBLIC, requires
from registry.api.context import runtime
from registry.domain.errors import Unauthenticated
from registry.domain.identity import LOCAL_OPERATOR, Role
from registry.services import tokens
from registry.ui import session
from registry.ui.layout import home_endpoint

blp = Blueprint("signin", __name__)

MAX_NEXT_LENGTH = 2000


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this server, else None (no open redirect to another site)."""
    if not target or len(target) > MAX_NEXT_LENGTH:
        return None
    # Browsers read '\' as '/', so '/\evil.example' would leave the site.
    if "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@blp.get("/signin")
@requires(PUBLIC)  # the way in must be reachable before signing in
def form() -> Response | str:
    target = safe_next(request.args.get("next"))
    if not runtime().settings.auth:
        return redirect(target or url_for(home_endpoint()))
    return render_template("signin.html", next=target or "")


@blp.post("/signin")
@requires(PUBLIC)
def submit() -> Response | tuple[str, int, dict[str, str]]:
    target = safe_next(request.form.get("next"))
    if not runtime().settings.auth:
        return redirect(target or url_for(home_endpoint()), 303)
    secret = (request.form.get("token") or "").strip()
    if not secret:
        return render_template("signin.html", next=target or "", error="Enter a token."), 400, {}
    try:
        actor = tokens.authenticate(runtime().uow(LOCAL_OPERATOR), secret)
    except Unauthenticated as exc:
        page = render_template("signin.html", next=target or "", error=exc.message)
        return page, 401, {"WWW-Authenticate": 'Bearer realm="podium"'}
    session.sign_in(actor)
    return redirect(target or url_for(home_endpoint()), 303)


@blp.post("/signout")
@requires(Role.READER)
def signout() -> Response:
    session.sign_out()
    flash("You have signed out.", "success")
    return redirect(url_for(".form"), 303)
