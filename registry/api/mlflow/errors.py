"""The ONE table from Podium's errors to MLflow's wire errors: {error_code, message} and a status.

MLflow's irregular statuses live here and nowhere else: an existing name is 400 (not 409); an alias
that is not set answers 400 INVALID_PARAMETER_VALUE on reads (AliasNotFound).
"""

from __future__ import annotations

import json

from flask import Response
from werkzeug.exceptions import HTTPException

from registry.domain import errors as e

# Most specific first: the first matching class decides.
TABLE: list[tuple[type[e.PodiumError], str, int]] = [
    (e.AliasNotFound, "INVALID_PARAMETER_VALUE", 400),
    (e.InvalidParameter, "INVALID_PARAMETER_VALUE", 400),
    (e.NotFound, "RESOURCE_DOES_NOT_EXIST", 404),
    (e.AlreadyExists, "RESOURCE_ALREADY_EXISTS", 400),
    (e.Conflict, "RESOURCE_CONFLICT", 409),
    (e.Unauthenticated, "UNAUTHENTICATED", 401),
    (e.PermissionDenied, "PERMISSION_DENIED", 403),
    (e.StorageError, "TEMPORARILY_UNAVAILABLE", 503),
    (e.NotConfigured, "TEMPORARILY_UNAVAILABLE", 503),
]

# Errors werkzeug raises before a view runs (unknown route, wrong method, body too large...).
_HTTP_CODES = {
    400: "INVALID_PARAMETER_VALUE",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "ENDPOINT_NOT_FOUND",
    405: "ENDPOINT_NOT_FOUND",
    413: "INVALID_PARAMETER_VALUE",
    415: "INVALID_PARAMETER_VALUE",
    429: "REQUEST_LIMIT_EXCEEDED",
}


def classify(exc: Exception) -> tuple[str, int, str]:
    """(error_code, HTTP status, message) for any exception a view may raise."""
    if isinstance(exc, e.PodiumError):
        for cls, code, status in TABLE:
            if isinstance(exc, cls):
                return code, status, exc.message
        # An error kind this table does not know yet: the server's side, but its code and message
        # (written for people) still say what is wrong.
        return exc.code, 500, exc.message
    if isinstance(exc, HTTPException):
        status = exc.code or 500
        code = _HTTP_CODES.get(status, "INTERNAL_ERROR" if status >= 500 else "BAD_REQUEST")
        if status >= 500:
            return code, status, "Internal server error."
        return code, status, exc.description or exc.name
    return "INTERNAL_ERROR", 500, "Internal server error."


def render(exc: Exception) -> Response:
    code, status, message = classify(exc)
    body = {
        "error_code": code,
        "message": message,
        # MLflow sends these two as well; clients may read them.
        "sqlstate": "KAM00",
        "error_class": "RESOURCE_NOT_FOUND" if code == "RESOURCE_DOES_NOT_EXIST" else code,
    }
    response = Response(json.dumps(body), status=status, mimetype="application/json")
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="podium"'
    return response
