"""Errors on the UI's routes as HTML pages (registered with the ErrorRouter for the UI's prefixes).

A browser that is not signed in is sent to the sign-in page; every other error is a page that says
what went wrong in words, with the status it stands for. Nothing here shows a stack trace: the
router has logged unexpected errors and handed over a plain InternalServerError.
"""

from __future__ import annotations

import logging

from flask import Response, make_response, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from registry.api.errors import http_status
from registry.domain import errors as e
from registry.ui import headers

log = logging.getLogger(__name__)

TITLES = {
    400: "This request cannot be accepted",
    401: "Sign in required",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    500: "Something went wrong",
    503: "Temporarily unavailable",
}


def status_of(exc: Exception) -> int:
    if isinstance(exc, HTTPException):
        return exc.code or 500
    if isinstance(exc, e.PodiumError):
        return http_status(exc)
    return 500


def message_of(exc: Exception, status: int) -> str:
    if isinstance(exc, CSRFError):
        reason = (exc.description or "CSRF validation failed.").rstrip(".")
        return (
            f"The form was refused because {reason[:1].lower()}{reason[1:]}. Forms must come from a "
            "Podium page in this browser session: reload the page and try again."
        )
    if isinstance(exc, e.PodiumError):
        return exc.message
    if isinstance(exc, HTTPException) and status < 500:
        return exc.description or exc.name
    return "The server could not complete this request. The error has been logged."


def render(exc: Exception) -> Response:
    """The ErrorRouter renderer for the UI's URL prefixes."""
    status = status_of(exc)
    if status == 401:
        return to_sign_in()
    message = message_of(exc, status)
    try:
        body = render_template(
            "error.html", status=status, title=TITLES.get(status, "Error"), message=message
        )
    except Exception:
        # The error page itself failed (a broken template, an unreachable database while
        # building the navigation): answer with a bare page rather than a second error.
        log.exception("the UI error page could not be rendered")
        body = f"<!doctype html><title>{status}</title><h1>{status}</h1><p>{escape(message)}</p>"
    response = make_response(body, status)
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return headers.secure(response)


def to_sign_in() -> Response:
    """Send a browser to the sign-in page; after signing in it comes back to the page it asked for
    (a form posted without a session cannot be replayed, so that one lands on the sign-in page)."""
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return headers.secure(make_response(redirect(url_for("ui.signin.form", next=target), code=302)))
