"""The native API's error shape: {code, status, message, errors}, from one table."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from werkzeug.exceptions import HTTPException

from registry.api.errors import http_status
from registry.domain import errors as e

_HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "REQUEST_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_ERROR",
    429: "TOO_MANY_REQUESTS",
}


def render(exc: Exception) -> Response:
    errors: dict[str, Any] = {}
    if isinstance(exc, e.PodiumError):
        status = http_status(exc)
        code = exc.code
        message = exc.message
        field = getattr(exc, "field", None)
        if field:
            errors[field] = [exc.message]
        errors.update(exc.details)
    elif isinstance(exc, HTTPException):
        status = exc.code or 500
        code = _HTTP_CODES.get(status, "INTERNAL_ERROR" if status >= 500 else "BAD_REQUEST")
        message = exc.description or exc.name
        data = getattr(exc, "data", None) or {}
        # webargs/flask-smorest put field errors here: {"json": {"name": ["..."]}}
        messages = data.get("messages") if isinstance(data, dict) else None
        if isinstance(messages, dict):
            for location, fields in messages.items():
                if isinstance(fields, dict):
                    errors.update(fields)
                else:
                    errors[location] = fields
            if errors:
                message = "Invalid request: " + "; ".join(
                    f"{k}: {_first(v)}" for k, v in sorted(errors.items())
                )
    else:
        status, code, message = 500, "INTERNAL_ERROR", "Internal server error."
    body: dict[str, Any] = {"code": code, "status": status, "message": message}
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="podium"'
    return response


def _first(value: Any) -> str:
    if isinstance(value, list) and value:
        return str(value[0])
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_first(v)}" for k, v in value.items())
    return str(value)
