"""The few GitHub REST calls the gate makes, on `GITHUB_API_URL` with the workflow's token.

Every failure (no connection, timeout, 4xx/5xx, a body that is not what GitHub sends) raises
GitHubError, which the gate turns into a failing run: it never guesses its way to a pass.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests

from ci.approvals import Review
from ci.github.events import PullRequest, read_pull_request

API_VERSION = "2022-11-28"
PER_PAGE = 100
# 100 pages of 100 is far beyond any real pull request; the cap stops a misbehaving server or a loop.
MAX_PAGES = 100
STATUS_DESCRIPTION_LIMIT = 140


class GitHubError(Exception):
    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class ChangedFile:
    filename: str
    status: str
    previous_filename: str | None = None


@dataclass(frozen=True)
class Comment:
    id: int
    body: str
    author_type: str


class GitHub:
    """GitHub's REST API for one repository (`owner/name`)."""

    def __init__(
        self,
        api_url: str,
        repository: str,
        token: str,
        *,
        session: requests.Session | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.repository = repository
        self.timeout = timeout
        self.session = session or requests.Session()
        self.session.headers.update(
            {
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": "podium-promotion-gate",
            }
        )
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def close(self) -> None:
        self.session.close()

    # -- pull requests ---------------------------------------------------------------------------
    def reviews(self, number: int) -> list[Review]:
        """Every review of the pull request, in the order GitHub lists them (chronological)."""
        return [Review.from_api(item) for item in self._pages(f"/pulls/{number}/reviews")]

    def changed_files(self, number: int) -> list[ChangedFile]:
        return [
            ChangedFile(
                filename=_field(item, "filename"),
                status=_field(item, "status"),
                previous_filename=item.get("previous_filename"),
            )
            for item in self._pages(f"/pulls/{number}/files")
        ]

    def pull_requests_for_commit(self, sha: str) -> list[PullRequest]:
        """The pull requests that brought `sha` in (merged ones for a commit on the default branch)."""
        return [read_pull_request(item) for item in self._pages(f"/commits/{sha}/pulls")]

    def file_at(self, path: str, ref: str) -> str | None:
        """A file's text at a commit, read as data through the contents API; None if absent there."""
        response = self._request("GET", f"/contents/{quote(path)}", params={"ref": ref}, allow=(404,))
        if response.status_code == 404:
            return None
        data = _json(response)
        if not isinstance(data, dict) or data.get("type") != "file":
            raise GitHubError(f"{path} at {ref[:7]} is not a file")
        if data.get("encoding") != "base64":
            raise GitHubError(f"{path} at {ref[:7]} is too large to read through the contents API")
        try:
            return base64.b64decode(str(data.get("content", "")), validate=False).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise GitHubError(f"{path} at {ref[:7]} is not UTF-8 text: {exc}") from exc

    # -- what the gate writes --------------------------------------------------------------------
    def post_status(self, sha: str, state: str, description: str, target_url: str, context: str) -> None:
        body = {
            "state": state,
            "description": _one_line(description, STATUS_DESCRIPTION_LIMIT),
            "context": context,
        }
        if target_url:
            body["target_url"] = target_url
        self._request("POST", f"/statuses/{sha}", json=body)

    def upsert_comment(self, number: int, marker: str, body: str, *, create: bool = True) -> int | None:
        """Update the gate's own comment (found by `marker`) or post it; returns its id.

        Only comments by a bot account are considered, so a person who pastes the marker into a
        comment cannot have the gate overwrite theirs. With `create=False`, only an update happens.
        """
        for comment in self.comments(number):
            if marker in comment.body and comment.author_type == "Bot":
                self._request("PATCH", f"/issues/comments/{comment.id}", json={"body": body})
                return comment.id
        if not create:
            return None
        data = _json(self._request("POST", f"/issues/{number}/comments", json={"body": body}))
        return int(data["id"]) if isinstance(data, dict) and "id" in data else None

    def comments(self, number: int) -> Iterator[Comment]:
        for item in self._pages(f"/issues/{number}/comments"):
            user = item.get("user") or {}
            yield Comment(int(item["id"]), str(item.get("body") or ""), str(user.get("type") or ""))

    # -- plumbing --------------------------------------------------------------------------------
    def _pages(self, path: str) -> Iterator[dict[str, Any]]:
        """Follow `Link: <…>; rel="next"` until there is none."""
        url: str | None = self._url(path)
        params: dict[str, Any] | None = {"per_page": PER_PAGE}
        for _ in range(MAX_PAGES):
            assert url is not None
            response = self._request("GET", url, params=params)
            items = _json(response)
            if not isinstance(items, list):
                raise GitHubError(f"GET {path} did not answer with a list")
            for item in items:
                if not isinstance(item, dict):
                    raise GitHubError(f"GET {path} answered with a list of non-objects")
                yield item
            url = response.links.get("next", {}).get("url")
            if url is None:
                return
            # The next URL carries its own query; it must stay on the API host the token is for.
            if not url.startswith(self.api_url + "/"):
                raise GitHubError(f"GET {path}: the next page points off the API ({url})")
            params = None
        raise GitHubError(f"GET {path}: more than {MAX_PAGES} pages")

    def _url(self, path: str) -> str:
        return f"{self.api_url}/repos/{self.repository}{path}"

    def _request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        allow: tuple[int, ...] = (),
    ) -> requests.Response:
        url = path_or_url if path_or_url.startswith(("http://", "https://")) else self._url(path_or_url)
        what = f"{method} {url.removeprefix(self.api_url)}"
        try:
            response = self.session.request(method, url, params=params, json=json, timeout=self.timeout)
        except requests.RequestException as exc:
            raise GitHubError(f"GitHub API unreachable ({what}): {exc.__class__.__name__}") from exc
        if response.status_code in allow or response.ok:
            return response
        raise GitHubError(
            f"GitHub API answered {response.status_code} to {what}: {_message(response)}",
            response.status_code,
        )


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise GitHubError(f"GitHub API sent a body that is not JSON ({response.url})") from exc


def _field(item: Mapping[str, Any], key: str) -> str:
    value = item.get(key)
    if not isinstance(value, str):
        raise GitHubError(f"GitHub API object lacks {key!r}")
    return value


def _message(response: requests.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.reason or "no message"
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return str(data["message"])[:300]
    return response.reason or "no message"


def _one_line(text: str, limit: int) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
