"""Reading the recorded webhook payloads (tests/fixtures/github_events, in GitHub's shapes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ci.github.events import (
    EventError,
    load_payload,
    parse_apply_trigger,
    parse_pull_request_event,
    read_pull_request,
)
from tests.fixtures.github_stub import load_event

BASE = "1f0c2b9d8e7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c"
HEAD1 = "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b"
HEAD2 = "4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f"
MERGE = "c0ffee0123456789abcdef0123456789abcdef01"


@pytest.mark.parametrize(
    ("event", "name", "action", "head"),
    [
        ("pull_request.opened", "pull_request", "opened", HEAD1),
        ("pull_request.synchronize", "pull_request", "synchronize", HEAD2),
        ("pull_request_review.submitted", "pull_request_review", "submitted", HEAD1),
        ("pull_request_review.dismissed", "pull_request_review", "dismissed", HEAD1),
    ],
)
def test_pull_request_events(event: str, name: str, action: str, head: str) -> None:
    parsed = parse_pull_request_event(name, load_event(event))
    assert parsed.action == action
    assert parsed.repository == "acme/ml-models"
    assert not parsed.from_fork
    pr = parsed.pull_request
    assert (pr.number, pr.author, pr.head_sha, pr.base_sha, pr.base_ref) == (12, "dana", head, BASE, "main")
    assert pr.html_url == "https://github.com/acme/ml-models/pull/12"
    assert not pr.merged


def test_review_payloads_carry_the_simplified_pull_request() -> None:
    payload = load_event("pull_request_review.submitted")
    assert "merged" not in payload["pull_request"]
    assert payload["review"]["state"] == "approved"  # lower case in webhooks


def test_a_fork_is_recognised() -> None:
    parsed = parse_pull_request_event("pull_request", load_event("pull_request.opened-fork"))
    assert parsed.from_fork
    assert parsed.pull_request.head_repository == "mallory/ml-models"
    payload = load_event("pull_request.opened")
    payload["pull_request"]["head"]["repo"] = None  # the fork was deleted
    assert parse_pull_request_event("pull_request", payload).from_fork


def test_a_merged_pull_request() -> None:
    pr = read_pull_request(load_event("pull_request.closed-merged")["pull_request"])
    assert pr.merged
    assert pr.merge_commit_sha == MERGE


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda p: p.pop("pull_request"), "pull_request is missing"),
        (lambda p: p["pull_request"].update(number="12"), "not a positive integer"),
        (
            lambda p: p["pull_request"]["head"].update(sha="abc"),
            "pull_request.head.sha is missing or not a commit SHA",
        ),
        (lambda p: p["pull_request"].pop("user"), "pull_request.user is missing"),
        (lambda p: p.pop("repository"), "repository is missing"),
    ],
)
def test_malformed_payloads_are_refused(mutate: object, message: str) -> None:
    payload = load_event("pull_request.opened")
    mutate(payload)  # type: ignore[operator]
    with pytest.raises(EventError, match=message):
        parse_pull_request_event("pull_request", payload)


def test_check_refuses_other_events() -> None:
    with pytest.raises(EventError, match="not 'push'"):
        parse_pull_request_event("push", load_event("push"))
    with pytest.raises(EventError, match="not 'pull_request_target'"):
        parse_pull_request_event("pull_request_target", load_event("pull_request.opened"))


def test_apply_triggers() -> None:
    push = parse_apply_trigger("push", load_event("push"), None, dry_run=False)
    assert (push.commit, push.dry_run, push.default_branch) == (MERGE, False, "main")
    dispatch = parse_apply_trigger("workflow_dispatch", load_event("workflow_dispatch"), MERGE, False)
    assert (dispatch.commit, dispatch.dry_run) == (MERGE, True)  # inputs.dry_run is "true"
    typed = load_event("workflow_dispatch")
    typed["inputs"]["dry_run"] = False
    assert not parse_apply_trigger("workflow_dispatch", typed, MERGE, False).dry_run
    merged = parse_apply_trigger("pull_request", load_event("pull_request.closed-merged"), "f" * 40, False)
    assert (merged.commit, merged.merged_pull_request) == (MERGE, 12)
    unmerged = parse_apply_trigger("pull_request", load_event("pull_request.closed-unmerged"), None, False)
    assert unmerged.commit is None
    with pytest.raises(EventError, match="not 'pull_request_review'"):
        parse_apply_trigger("pull_request_review", load_event("pull_request_review.submitted"), None, False)


def test_unreadable_payload_files(tmp_path: Path) -> None:
    with pytest.raises(EventError, match="cannot read"):
        load_payload(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(EventError, match="cannot read"):
        load_payload(broken)
    listed = tmp_path / "list.json"
    listed.write_text(json.dumps([1]))
    with pytest.raises(EventError, match="not a JSON object"):
        load_payload(listed)
