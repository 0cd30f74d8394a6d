"""The gate's GitHub REST client over HTTP, against the local GitHub stub."""

from __future__ import annotations

import pytest

from ci.github.rest import GitHub, GitHubError
from tests.fixtures.github_stub import REPOSITORY_ID, GitHubStub

BASE = "1f0c2b9d8e7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c"
HEAD = "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b"
MARKER = "<!-- podium:promotion-gate -->"


@pytest.fixture
def github(github_stub: GitHubStub) -> GitHub:
    github_stub.commit(BASE, {"README.md": "hi\n", "promotions/house-prices.yaml": "model: house-prices\n"})
    github_stub.commit(
        HEAD,
        {
            "README.md": "hi\n",
            "promotions/house-prices.yaml": "model: house-prices\naliases: {champion: 7}\n",
        },
    )
    github_stub.open_pull(12, author="dana", base_sha=BASE, head_sha=HEAD)
    return GitHub(github_stub.url, github_stub.repository, github_stub.token)


def test_reviews_follow_link_pagination(github: GitHub, github_stub: GitHubStub) -> None:
    for i in range(130):
        github_stub.review(12, f"user{i}", "COMMENTED")
    github_stub.review(12, "alice", "APPROVED")
    reviews = github.reviews(12)
    assert len(reviews) == 131
    assert reviews[-1].login == "alice"
    assert reviews[-1].state == "APPROVED"
    pages = github_stub.asked("GET", "/reviews")
    assert pages == [
        "/repos/acme/ml-models/pulls/12/reviews?per_page=100",
        f"/repositories/{REPOSITORY_ID}/pulls/12/reviews?per_page=100&page=2",
    ]


def test_changed_files_and_contents(github: GitHub) -> None:
    [changed] = github.changed_files(12)
    assert (changed.filename, changed.status) == ("promotions/house-prices.yaml", "modified")
    assert (
        github.file_at("promotions/house-prices.yaml", HEAD)
        == "model: house-prices\naliases: {champion: 7}\n"
    )
    assert github.file_at("promotions/churn.yaml", HEAD) is None


def test_long_file_contents_decode(github: GitHub, github_stub: GitHubStub) -> None:
    text = "model: house-prices\n" + "".join(f"# line {i} é\n" for i in range(200))
    github_stub.commit("a" * 40, {"promotions/house-prices.yaml": text})
    assert github.file_at("promotions/house-prices.yaml", "a" * 40) == text


def test_status_description_is_kept_to_one_short_line(github: GitHub, github_stub: GitHubStub) -> None:
    github.post_status(HEAD, "failure", "Blocked:\n" + "x" * 300, "https://run", "podium/promotion-gate")
    [status] = github_stub.statuses_for(HEAD)
    assert status["state"] == "failure"
    assert status["context"] == "podium/promotion-gate"
    assert status["target_url"] == "https://run"
    assert len(status["description"]) == 140
    assert "\n" not in status["description"]


def test_comment_upsert_posts_once_then_edits(github: GitHub, github_stub: GitHubStub) -> None:
    first = github.upsert_comment(12, MARKER, f"{MARKER}\none")
    second = github.upsert_comment(12, MARKER, f"{MARKER}\ntwo")
    assert first == second
    [comment] = github_stub.gate_comments(12, MARKER)
    assert comment["body"].endswith("two")
    assert len(github_stub.asked("POST", "/issues/12/comments")) == 1
    assert len(github_stub.asked("PATCH", f"/issues/comments/{first}")) == 1


def test_a_persons_comment_with_the_marker_is_never_overwritten(
    github: GitHub, github_stub: GitHubStub
) -> None:
    human = github_stub.add_comment(12, f"quoting the bot: {MARKER}", "mallory")
    assert github.upsert_comment(12, MARKER, f"{MARKER}\nverdict", create=False) is None
    github.upsert_comment(12, MARKER, f"{MARKER}\nverdict")
    assert human["body"] == f"quoting the bot: {MARKER}"
    assert len(github_stub.gate_comments(12, MARKER)) == 2


def test_comment_pages_are_searched_for_the_marker(github: GitHub, github_stub: GitHubStub) -> None:
    for i in range(105):
        github_stub.add_comment(12, f"comment {i}", "erin")
    own = github_stub.add_comment(12, f"{MARKER}\nold", "github-actions[bot]", "Bot")
    assert github.upsert_comment(12, MARKER, f"{MARKER}\nnew") == own["id"]
    assert own["body"] == f"{MARKER}\nnew"


def test_commit_to_pull_request(github: GitHub, github_stub: GitHubStub) -> None:
    merge = "c0ffee0123456789abcdef0123456789abcdef01"
    assert github.pull_requests_for_commit(merge) == []
    github_stub.merge(12, merge)
    [pr] = github.pull_requests_for_commit(merge)
    assert (pr.number, pr.merged, pr.merge_commit_sha, pr.head_sha) == (12, True, merge, HEAD)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_raise(github: GitHub, github_stub: GitHubStub, status: int) -> None:
    github_stub.fail("GET", r"/reviews$", status)
    with pytest.raises(GitHubError, match=f"answered {status}") as caught:
        github.reviews(12)
    assert caught.value.status == status


def test_a_bad_token_raises(github_stub: GitHubStub) -> None:
    client = GitHub(github_stub.url, github_stub.repository, "wrong")
    with pytest.raises(GitHubError, match=r"401.*Bad credentials"):
        client.changed_files(12)


def test_an_unreachable_api_raises() -> None:
    client = GitHub("http://127.0.0.1:9", "acme/ml-models", "t", timeout=2)
    with pytest.raises(GitHubError, match="unreachable"):
        client.reviews(1)


def test_pages_must_stay_on_the_api_host(github_stub: GitHubStub) -> None:
    """A `next` link to another host would carry the token away; the client stops instead."""
    github_stub.commit(BASE, {})
    github_stub.open_pull(3, author="dana", base_sha=BASE, head_sha=HEAD)
    for i in range(101):
        github_stub.review(3, f"user{i}", "COMMENTED")
    # Reach the stub by another name for the same host: the Link headers name the real one.
    client = GitHub(
        github_stub.url.replace("127.0.0.1", "localhost"), github_stub.repository, github_stub.token
    )
    with pytest.raises(GitHubError, match="points off the API"):
        client.reviews(3)
