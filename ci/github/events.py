"""The webhook payload in `GITHUB_EVENT_PATH`, read into the few facts the gate acts on.

The event is only a trigger: approvals are recounted from the REST API on every run and the single
review in a `pull_request_review` payload is never trusted. Titles, bodies and branch names are
untrusted text and are not read at all.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SHA = re.compile(r"^[0-9a-f]{40}$")
PULL_REQUEST_EVENTS = ("pull_request", "pull_request_review")
APPLY_EVENTS = ("push", "workflow_dispatch", "pull_request")


class EventError(Exception):
    """The payload is missing, not JSON, or lacks a field the gate needs."""


@dataclass(frozen=True)
class PullRequest:
    number: int
    author: str
    head_sha: str
    base_sha: str
    base_ref: str
    head_repository: str | None
    html_url: str
    state: str
    merged: bool
    merge_commit_sha: str | None


@dataclass(frozen=True)
class PullRequestEvent:
    name: str
    action: str
    repository: str
    pull_request: PullRequest

    @property
    def from_fork(self) -> bool:
        """A head in another repository (or in a deleted one) gets a read-only token and no secrets."""
        return self.pull_request.head_repository != self.repository


@dataclass(frozen=True)
class ApplyTrigger:
    """What started promotion-apply: the commit to reconcile to, and whether to only plan."""

    name: str
    commit: str | None
    dry_run: bool
    merged_pull_request: int | None = None
    default_branch: str | None = None


def load_payload(path: str | Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise EventError(f"cannot read the event payload {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise EventError(f"the event payload {path} is not a JSON object")
    return data


def parse_pull_request_event(name: str, payload: Mapping[str, Any]) -> PullRequestEvent:
    """Read a `pull_request` or `pull_request_review` payload."""
    if name not in PULL_REQUEST_EVENTS:
        raise EventError(
            f"podium gate check runs on {' and '.join(PULL_REQUEST_EVENTS)} events, not {name!r}"
        )
    return PullRequestEvent(
        name=name,
        action=_text(payload, "action"),
        repository=_text(_object(payload, "repository"), "full_name", "repository"),
        pull_request=read_pull_request(_object(payload, "pull_request")),
    )


def read_pull_request(data: Mapping[str, Any]) -> PullRequest:
    """A pull request object, from a webhook payload or the REST API (same field names)."""
    number = data.get("number")
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise EventError("pull_request.number is missing or not a positive integer")
    head, base = _object(data, "head", "pull_request"), _object(data, "base", "pull_request")
    head_repo = head.get("repo")
    merge_sha = data.get("merge_commit_sha")
    return PullRequest(
        number=number,
        author=_text(_object(data, "user", "pull_request"), "login", "pull_request.user"),
        head_sha=_sha(head, "pull_request.head"),
        base_sha=_sha(base, "pull_request.base"),
        base_ref=_text(base, "ref", "pull_request.base"),
        head_repository=head_repo.get("full_name") if isinstance(head_repo, dict) else None,
        html_url=str(data.get("html_url") or ""),
        state=str(data.get("state") or ""),
        # The simplified pull request in review payloads has no `merged`; `merged_at` says the same.
        merged=bool(data.get("merged")) or bool(data.get("merged_at")),
        merge_commit_sha=merge_sha if isinstance(merge_sha, str) and SHA.match(merge_sha) else None,
    )


def parse_apply_trigger(
    name: str, payload: Mapping[str, Any], workflow_sha: str | None, dry_run: bool
) -> ApplyTrigger:
    """Read a `push`, `workflow_dispatch` or merged `pull_request` (closed) payload."""
    trigger = _apply_trigger(name, payload, workflow_sha, dry_run)
    repository = payload.get("repository")
    branch = repository.get("default_branch") if isinstance(repository, dict) else None
    return dataclasses.replace(trigger, default_branch=branch if isinstance(branch, str) else None)


def _apply_trigger(
    name: str, payload: Mapping[str, Any], workflow_sha: str | None, dry_run: bool
) -> ApplyTrigger:
    if name == "push":
        after = payload.get("after")
        if not isinstance(after, str) or not SHA.match(after):
            raise EventError("push payload has no `after` commit")
        return ApplyTrigger(name, after, dry_run)
    if name == "workflow_dispatch":
        inputs = payload.get("inputs") or {}
        asked = inputs.get("dry_run") if isinstance(inputs, dict) else None
        # Inputs arrive as strings in the payload ("true"), or as booleans when typed.
        return ApplyTrigger(name, workflow_sha, dry_run or asked is True or asked == "true")
    if name == "pull_request":
        pr = read_pull_request(_object(payload, "pull_request"))
        if payload.get("action") != "closed" or not pr.merged:
            return ApplyTrigger(name, None, dry_run)
        return ApplyTrigger(name, pr.merge_commit_sha or workflow_sha, dry_run, pr.number)
    raise EventError(f"podium gate apply runs on {', '.join(APPLY_EVENTS)} events, not {name!r}")


def _object(data: Mapping[str, Any], key: str, where: str = "") -> Mapping[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise EventError(f"{where + '.' if where else ''}{key} is missing from the event payload")
    return value


def _text(data: Mapping[str, Any], key: str, where: str = "") -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise EventError(f"{where + '.' if where else ''}{key} is missing from the event payload")
    return value


def _sha(data: Mapping[str, Any], where: str) -> str:
    value = data.get("sha")
    if not isinstance(value, str) or not SHA.match(value):
        raise EventError(f"{where}.sha is missing or not a commit SHA")
    return value
