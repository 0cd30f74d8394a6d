"""HTTP to a running Podium, with the gate's error rules: unreachable or 5xx → RegistryUnavailable,
any other refusal → RegistryRefused, "no such resource" → None when the caller allows it.

(When `registry.client.RegistryClient` exists, this transport is the piece it replaces.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from ci.registry_port import RegistryRefused, RegistryUnavailable

# The code both of Podium's APIs give a missing resource; an unknown *route* is a plain NOT_FOUND,
# which must not be mistaken for "the version does not exist".
MISSING = "RESOURCE_DOES_NOT_EXIST"


class RegistryHttp:
    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        session: requests.Session | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = "podium-promotion-gate"
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def close(self) -> None:
        self.session.close()

    def get(self, path: str, params: Mapping[str, str] | None = None, *, missing_ok: bool = False) -> Any:
        """GET a JSON document; None when `missing_ok` and Podium says the resource does not exist."""
        return self._call("GET", path, params=params, missing_ok=missing_ok)

    def post(self, path: str, body: Mapping[str, Any] | None = None) -> Any:
        return self._call("POST", path, json=dict(body or {}))

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        missing_ok: bool = False,
    ) -> Any:
        what = f"{method} {path}"
        try:
            response = self.session.request(
                method, self.base_url + path, params=params, json=json, timeout=self.timeout
            )
        except requests.RequestException as exc:
            raise RegistryUnavailable(
                f"Podium at {self.base_url} is unreachable ({what}): {exc.__class__.__name__}"
            ) from exc
        if response.status_code >= 500:
            raise RegistryUnavailable(f"Podium answered {response.status_code} to {what}")
        try:
            data = response.json() if response.content else {}
        except ValueError as exc:
            raise RegistryUnavailable(
                f"Podium answered {what} with a body that is not JSON ({response.status_code})"
            ) from exc
        if response.ok:
            return data
        code, message = _error(data)
        if response.status_code == 404 and missing_ok and code == MISSING:
            return None
        raise RegistryRefused(
            f"Podium answered {response.status_code} to {what}: {message}", response.status_code, code
        )


def _error(data: Any) -> tuple[str, str]:
    """(code, message) from the native `{code, message}` or the MLflow `{error_code, message}` shape."""
    if not isinstance(data, dict):
        return "", "no message"
    code = data.get("code") or data.get("error_code") or ""
    return str(code), str(data.get("message") or "no message")[:300]
