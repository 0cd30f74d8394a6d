"""Opaque page tokens: base64 of a small JSON object bound to the query that issued it.

A token carries the offset of the next page and a fingerprint of the filter and order, so a token
replayed against a different query is refused instead of silently returning the wrong page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json

from registry.domain.errors import InvalidPageToken, InvalidParameter


def fingerprint(*parts: object) -> str:
    """A short, stable digest of the query a token belongs to."""
    raw = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(raw).hexdigest()[:16]


def encode_page_token(offset: int, query: str) -> str:
    raw = json.dumps({"offset": offset, "query": query}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_page_token(token: str | None, query: str) -> int:
    """Return the offset a token points at (0 for no token). Raises InvalidPageToken."""
    if token is None or token == "":
        return 0
    if not isinstance(token, str) or len(token) > 512:
        raise InvalidPageToken("Invalid page token: not a token issued by this server.")
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        offset = data["offset"]
        issued_for = data["query"]
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeError):
        raise InvalidPageToken("Invalid page token: not a token issued by this server.") from None
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise InvalidPageToken("Invalid page token: bad offset.")
    if issued_for != query:
        raise InvalidPageToken("Invalid page token: it was issued for a different filter or order_by.")
    return offset


def page_size(requested: object, *, default: int, maximum: int, cap: int) -> int:
    """Validate max_results. Above `maximum` is an error (as MLflow); pages hold at most `cap`."""
    if requested is None or requested == "":
        value = default
    else:
        try:
            if isinstance(requested, bool):
                raise ValueError
            value = int(requested)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            raise InvalidParameter(
                f"Invalid value {requested!r} for max_results: must be a positive integer.",
                field="max_results",
            ) from None
    if value < 1:
        raise InvalidParameter(
            f"Invalid value for max_results. It must be a positive integer, but got {value}",
            field="max_results",
        )
    if value > maximum:
        raise InvalidParameter(
            "Invalid value for request parameter max_results. It must be at most "
            f"{maximum}, but got value {value}",
            field="max_results",
        )
    return min(value, cap)
