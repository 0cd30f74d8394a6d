"""Where a webhook may point and how it is signed: receiver URLs, GitHub targets, signing secrets.

Secrets follow Standard Webhooks: Podium generates `whsec_` + base64 of 32 random bytes, and the
HMAC key of the `webhook-signature` header is the decoded part. A secret supplied in any other form
(as MLflow's API allows) is used as its UTF-8 bytes for both headers, so one secret serves an
endpoint; receivers then verify with `standardwebhooks.Webhook(secret.encode())`. MLflow's
`X-MLflow-Signature` is always keyed with the secret's UTF-8 bytes exactly as the user holds it,
as MLflow does.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from urllib.parse import urlsplit

from registry.domain.errors import InvalidParameter, MissingParameter
from registry.domain.network import AddressPolicy, literal_address
from registry.domain.webhooks import GitHubTarget

SECRET_PREFIX = "whsec_"
MIN_SECRET_BYTES = 24  # Standard Webhooks: "at least 24 bytes"
MAX_SECRET_BYTES = 64
MIN_RAW_SECRET_LENGTH = 16
MAX_URL_LENGTH = 2048
GITHUB_API_URL = "https://api.github.com"

_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f]")
_GITHUB_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
_GITHUB_REPO = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


def validate_url(
    url: object,
    schemes: Collection[str],
    policy: AddressPolicy,
    field: str = "url",
) -> str:
    """Check a receiver URL before it is stored.

    The scheme must be allowed (https unless the operator allows http), there is a host and no
    `user:pass@`. A host written as an IP literal is judged now, for early feedback; the check
    that protects is the one on the connected socket at every attempt.
    """
    if url is None or url == "":
        raise MissingParameter(f"Missing value for required parameter '{field}'.", field=field)
    if not isinstance(url, str):
        raise InvalidParameter(f"'{field}' must be a URL string.", field=field)
    if len(url) > MAX_URL_LENGTH or _CONTROL_OR_SPACE.search(url):
        raise InvalidParameter(
            f"'{field}' must be a URL of at most {MAX_URL_LENGTH} characters without spaces.", field=field
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidParameter(f"'{field}' is not a valid URL: {exc}.", field=field) from None
    scheme = parts.scheme.lower()
    if scheme not in schemes:
        allowed = ", ".join(sorted(schemes))
        raise InvalidParameter(
            f"'{field}' must use {allowed}"
            + ("" if "http" in schemes else " (set PODIUM_WEBHOOK_ALLOWED_SCHEMES=https,http to allow http)")
            + f"; got {parts.scheme or 'no scheme'!r}.",
            field=field,
        )
    if not parts.hostname:
        raise InvalidParameter(f"'{field}' has no host.", field=field)
    if parts.username is not None or parts.password is not None:
        raise InvalidParameter(f"'{field}' must not carry credentials (user:password@).", field=field)
    if parts.fragment:
        raise InvalidParameter(f"'{field}' must not have a #fragment.", field=field)
    literal = literal_address(parts.hostname)
    if literal is not None:
        verdict = policy.judge(literal, port if port is not None else (443 if scheme == "https" else 80))
        if not verdict.allowed:
            raise InvalidParameter(f"'{field}' is refused: {verdict.reason}.", field=field)
    return url


# -- secrets -------------------------------------------------------------------------------------
def new_secret() -> str:
    """A fresh signing secret in Standard Webhooks' shape (shown once, stored encrypted)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def validate_secret(secret: object, field: str = "secret") -> str:
    """`whsec_<base64 of 24-64 bytes>`, or any other string of 16-512 printable characters."""
    if not isinstance(secret, str) or secret == "":
        raise InvalidParameter(f"'{field}' must be a non-empty string.", field=field)
    if _CONTROL_OR_SPACE.search(secret):
        raise InvalidParameter(f"'{field}' must not contain spaces or control characters.", field=field)
    if secret.startswith(SECRET_PREFIX):
        try:
            key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
        except (binascii.Error, ValueError):
            raise InvalidParameter(
                f"'{field}' starts with {SECRET_PREFIX} but the rest is not base64.", field=field
            ) from None
        if not MIN_SECRET_BYTES <= len(key) <= MAX_SECRET_BYTES:
            raise InvalidParameter(
                f"'{field}' must decode to {MIN_SECRET_BYTES}-{MAX_SECRET_BYTES} bytes; got {len(key)}.",
                field=field,
            )
        return secret
    if not MIN_RAW_SECRET_LENGTH <= len(secret) <= 512:
        raise InvalidParameter(
            f"'{field}' must be {MIN_RAW_SECRET_LENGTH}-512 characters long (or leave it out and "
            "Podium generates one).",
            field=field,
        )
    return secret


@dataclass(frozen=True)
class SigningKeys:
    standard: bytes  # HMAC key of webhook-signature
    mlflow: bytes  # HMAC key of X-MLflow-Signature


def signing_keys(secret: str) -> SigningKeys:
    raw = secret.encode("utf-8")
    if secret.startswith(SECRET_PREFIX):
        return SigningKeys(standard=base64.b64decode(secret[len(SECRET_PREFIX) :]), mlflow=raw)
    return SigningKeys(standard=raw, mlflow=raw)


# -- GitHub targets ------------------------------------------------------------------------------
def validate_github_target(
    owner: object,
    repo: object,
    event_type: object,
    api_url: object,
    schemes: Collection[str],
    policy: AddressPolicy,
) -> GitHubTarget:
    if not isinstance(owner, str) or not _GITHUB_OWNER.match(owner):
        raise InvalidParameter("'github.owner' must be a GitHub user or organisation name.", field="github")
    if not isinstance(repo, str) or not _GITHUB_REPO.match(repo) or repo in (".", ".."):
        raise InvalidParameter("'github.repo' must be a repository name.", field="github")
    if event_type is not None and (
        not isinstance(event_type, str)
        or not 0 < len(event_type) <= 100
        or _CONTROL_OR_SPACE.search(event_type)
    ):
        raise InvalidParameter(
            "'github.event_type' must be 1-100 characters without spaces (it is what "
            "`on: repository_dispatch: types:` matches).",
            field="github",
        )
    base = validate_url(api_url or GITHUB_API_URL, schemes, policy, field="github.api_url").rstrip("/")
    return GitHubTarget(owner=owner, repo=repo, event_type=event_type or None, api_url=base)


def github_dispatch_url(target: GitHubTarget) -> str:
    return f"{target.api_url}/repos/{target.owner}/{target.repo}/dispatches"


def validate_github_token(token: object) -> str:
    if not isinstance(token, str) or not 0 < len(token) <= 512 or _CONTROL_OR_SPACE.search(token):
        raise InvalidParameter(
            "'github.token' must be a GitHub token with permission to create repository dispatch "
            "events (contents: write).",
            field="github",
        )
    return token
