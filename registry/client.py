"""A Python client for Podium's native API (/api/v1), used by the CLI, the GitHub gate and deploy jobs.

One method per API call, all going through `_request`, which sends the token, decodes the JSON and
turns every failure into a `RegistryError` (an answer from the server, with its code and message)
or a `RegistryUnavailable` (no answer at all), so callers never see a raw requests exception.
Methods return the decoded JSON bodies documented in the README and the OpenAPI document.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests

# The deploy side: fetch a version verified against its manifest, and load it (`serve` extra).
from registry.deploy.fetch import FetchedModel, fetch_model
from registry.scoring.loading import LoadedModel, load_model

__all__ = [
    "FetchedModel",
    "LoadedModel",
    "RegistryClient",
    "RegistryError",
    "RegistryUnavailable",
    "fetch_model",
    "load_model",
]

Json = dict[str, Any]
DEFAULT_TIMEOUT = 30.0


class RegistryClientError(Exception):
    """Base of the client's errors."""


class RegistryUnavailable(RegistryClientError):
    """The server could not be reached, or did not answer in time, or answered something that is
    not Podium's JSON (a proxy's error page, say)."""


class RegistryError(RegistryClientError):
    """The server answered with an error: `status` (HTTP), `code` (stable), `message` (for people)."""

    def __init__(self, status: int, code: str, message: str, errors: Json | None = None) -> None:
        super().__init__(f"{message} ({code}, HTTP {status})")
        self.status = status
        self.code = code
        self.message = message
        self.errors: Json = errors or {}


def _segment(value: str | int) -> str:
    # Model names may hold characters that are special in URLs ('?', '#', spaces); never '/'.
    return quote(str(value), safe="")


class RegistryClient:
    """`RegistryClient("http://127.0.0.1:5000", token="pdm_...")`."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.session = session or requests.Session()

    def close(self) -> None:
        """Release the connection pool (a long-running caller keeps one client)."""
        self.session.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _request(
        self,
        method: str,
        path: str,
        *,
        json: Json | None = None,
        params: dict[str, Any] | None = None,
    ) -> Json:
        """Call `path` (under /api/v1) and return its decoded JSON object ({} for 204)."""
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        query = {k: v for k, v in (params or {}).items() if v is not None}
        url = f"{self.base_url}/api/v1{path}"
        try:
            response = self.session.request(
                method, url, json=json, params=query, headers=headers, timeout=self.timeout
            )
        except requests.RequestException as exc:
            raise RegistryUnavailable(f"Cannot reach Podium at {self.base_url}: {exc}") from exc
        if response.status_code == 204:
            return {}
        try:
            body = response.json()
        except ValueError:
            raise RegistryUnavailable(
                f"{method} {url} answered HTTP {response.status_code} with a body that is not JSON."
            ) from None
        if not isinstance(body, dict):
            raise RegistryUnavailable(f"{method} {url} answered JSON that is not an object.")
        if response.status_code >= 400:
            raise RegistryError(
                response.status_code,
                str(body.get("code", "HTTP_ERROR")),
                str(body.get("message", response.reason)),
                body.get("errors") if isinstance(body.get("errors"), dict) else None,
            )
        return body

    # -- models and versions -------------------------------------------------------------------
    def get_model(self, name: str) -> Json:
        """A registered model with its `aliases` ({alias: version}) and `latest_versions` per stage."""
        return self._request("GET", f"/models/{_segment(name)}")

    def get_version(self, name: str, version: int) -> Json:
        """One version: `stage`, `run_id`, `model_id`, `tags`, `aliases`, `digest`, ..."""
        return self._request("GET", f"/models/{_segment(name)}/versions/{_segment(version)}")

    def get_alias(self, name: str, alias: str) -> Json:
        """The version `alias` points at (RegistryError 404 when the alias is not set)."""
        return self._request("GET", f"/models/{_segment(name)}/aliases/{_segment(alias)}")

    def get_version_metrics(self, name: str, version: int) -> Json:
        """{"model", "version", "metrics": {key: number | "NaN" | "Infinity" | "-Infinity"}, "source"}:
        the metrics promotion rules judge for this version, and where they were read."""
        return self._request("GET", f"/models/{_segment(name)}/versions/{_segment(version)}/metrics")

    # -- promotion requests --------------------------------------------------------------------
    def create_promotion(
        self,
        model: str,
        version: int,
        target: str,
        comment: str | None = None,
        *,
        external_approvals: list[Json] | None = None,
        evidence: Json | None = None,
    ) -> Json:
        """Request that `version` take `target` (`alias:champion`, `stage:Production`).

        A promoter token may attach `external_approvals` ([{reviewer, source, url, comment?}]) and
        `evidence` ({url, commit, run_url, author, source}); the request is applied at once when
        it is ready."""
        body: Json = {"model": model, "version": version, "target": target}
        if comment is not None:
            body["comment"] = comment
        if external_approvals:
            body["external_approvals"] = external_approvals
        if evidence:
            body["evidence"] = evidence
        return self._request("POST", "/promotions", json=body)

    def list_promotions(
        self,
        *,
        model: str | None = None,
        status: str | None = None,
        target: str | None = None,
        version: int | None = None,
        requested_by: str | None = None,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> Json:
        """{"requests": [...], "next_page_token": ...}, newest first."""
        params = {
            "model": model,
            "status": status,
            "target": target,
            "version": version,
            "requested_by": requested_by,
            "max_results": max_results,
            "page_token": page_token,
        }
        return self._request("GET", "/promotions", params=params)

    def get_promotion(self, request_id: int) -> Json:
        """A request with its evaluation (rules, values compared, approvals counted, blockers)."""
        return self._request("GET", f"/promotions/{_segment(request_id)}")

    def approve_promotion(self, request_id: int, comment: str | None = None) -> Json:
        return self._request("POST", f"/promotions/{_segment(request_id)}/approve", json={"comment": comment})

    def reject_promotion(self, request_id: int, comment: str | None = None) -> Json:
        return self._request("POST", f"/promotions/{_segment(request_id)}/reject", json={"comment": comment})

    def cancel_promotion(self, request_id: int, comment: str | None = None) -> Json:
        return self._request("POST", f"/promotions/{_segment(request_id)}/cancel", json={"comment": comment})

    def apply_promotion(self, request_id: int) -> Json:
        """Apply a ready request (RegistryError 409 with the blockers when it is not ready)."""
        return self._request("POST", f"/promotions/{_segment(request_id)}/apply")

    def force_move(
        self,
        model: str,
        target: str,
        version: int | None,
        reason: str,
        *,
        archive_existing_versions: bool = False,
    ) -> Json:
        """Move a target without a request (admin); `version=None` removes an alias."""
        body: Json = {
            "target": target,
            "version": version,
            "reason": reason,
            "archive_existing_versions": archive_existing_versions,
        }
        return self._request("POST", f"/models/{_segment(model)}/forced-moves", json=body)

    # -- policies ------------------------------------------------------------------------------
    def get_policy(self, model: str | None, *, effective: bool = True) -> Json:
        """The policy governing `model` (None: the server-wide default)."""
        if model is None:
            return self._request("GET", "/policies/default")
        return self._request(
            "GET", f"/models/{_segment(model)}/policy", params={"effective": str(effective).lower()}
        )

    def set_policy(self, model: str | None, policy: Json) -> Json:
        """Create or replace a policy: {protected, required_approvals, allowed_reviewers, rules,
        archive_previous}."""
        path = "/policies/default" if model is None else f"/models/{_segment(model)}/policy"
        return self._request("PUT", path, json=policy)

    def delete_policy(self, model: str | None) -> None:
        path = "/policies/default" if model is None else f"/models/{_segment(model)}/policy"
        self._request("DELETE", path)

    # -- history -------------------------------------------------------------------------------
    def history(
        self,
        model: str,
        *,
        actions: list[str] | None = None,
        before: str | None = None,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> Json:
        """{"events": [...], "next_page_token": ...}: the model's audit history, newest first."""
        params = {"action": actions, "before": before, "max_results": max_results, "page_token": page_token}
        return self._request("GET", f"/models/{_segment(model)}/history", params=params)

    def holders(self, model: str, target: str, at: str | None = None) -> Json:
        """Which version held `target` at `at` (ISO 8601 or ms; default now)."""
        return self._request("GET", f"/models/{_segment(model)}/holders", params={"target": target, "at": at})
