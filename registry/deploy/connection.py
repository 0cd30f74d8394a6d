"""HTTP to a running registry's native API, for deploy jobs (fetch, serve, predict).

Errors come back as the registry's own error classes (`NotFound`, `PermissionDenied`, ...) with the
server's message, so a deploy job reports what the registry said, not an HTTP status.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import requests

from registry.domain import errors
from registry.domain.errors import RegistryUnreachable

DEFAULT_URL = "http://127.0.0.1:5000"
#: (connect, read) seconds. The read timeout bounds a stalled download, which is then resumed.
DEFAULT_TIMEOUT = (10.0, 60.0)

_BY_STATUS: dict[int, type[errors.PodiumError]] = {
    400: errors.InvalidParameter,
    401: errors.Unauthenticated,
    403: errors.PermissionDenied,
    404: errors.NotFound,
    409: errors.Conflict,
    422: errors.InvalidParameter,
}


def _segment(value: str | int) -> str:
    return quote(str(value), safe="")


def error_from(response: requests.Response) -> errors.PodiumError:
    """The registry error a non-2xx answer stands for, with the server's message."""
    message = response.reason or f"HTTP {response.status_code}"
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        message = body["message"]
    if response.status_code >= 500:
        return RegistryUnreachable(f"The registry answered {response.status_code}: {message}")
    cls = _BY_STATUS.get(response.status_code, errors.InvalidParameter)
    return cls(message)


class RegistryConnection:
    """One registry (base URL, optional token) over a keep-alive session. Thread-safe for the
    simple GETs it makes (one `requests.Session` shared by threads is fine for that)."""

    def __init__(
        self,
        url: str = DEFAULT_URL,
        token: str | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "podium-deploy"
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> RegistryConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        try:
            response = self.session.get(f"{self.url}{path}", params=params, timeout=self.timeout)
        except requests.RequestException as exc:
            raise RegistryUnreachable(f"Cannot reach the registry at {self.url}: {exc}") from exc
        if response.status_code != 200:
            raise error_from(response)
        try:
            return response.json()
        except ValueError as exc:
            raise RegistryUnreachable(f"The registry at {self.url} did not answer with JSON.") from exc

    # -- the calls deploy jobs make ----------------------------------------------------------------
    def version_by_alias(self, name: str, alias: str) -> dict[str, Any]:
        return dict(self.get_json(f"/api/v1/models/{_segment(name)}/aliases/{_segment(alias)}"))

    def model(self, name: str) -> dict[str, Any]:
        return dict(self.get_json(f"/api/v1/models/{_segment(name)}"))

    def latest_version(self, name: str) -> dict[str, Any] | None:
        page = self.get_json(
            f"/api/v1/models/{_segment(name)}/versions",
            {"order_by": "version_number DESC", "max_results": 1},
        )
        found = page.get("versions") or []
        return dict(found[0]) if found else None

    def manifest(self, name: str, version: int) -> dict[str, Any]:
        return dict(self.get_json(f"/api/v1/models/{_segment(name)}/versions/{version}/files"))

    @contextmanager
    def download(self, name: str, version: int, path: str, offset: int = 0) -> Iterator[requests.Response]:
        """GET one file of a version from byte `offset` (a Range request when offset > 0).

        Yields the streaming response (200, 206 or 416); other statuses raise the registry's error.
        """
        quoted = "/".join(_segment(part) for part in path.split("/"))
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        # Hashes are computed over the bytes as stored; a transparently decompressed body would differ.
        headers["Accept-Encoding"] = "identity"
        url = f"{self.url}/api/v1/models/{_segment(name)}/versions/{version}/files/{quoted}"
        try:
            response = self.session.get(url, headers=headers, stream=True, timeout=self.timeout)
        except requests.RequestException as exc:
            raise RegistryUnreachable(f"Cannot download {path!r} from {self.url}: {exc}") from exc
        try:
            if response.status_code not in (200, 206, 416):
                raise error_from(response)
            yield response
        finally:
            response.close()
