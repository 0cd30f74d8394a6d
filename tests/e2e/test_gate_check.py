"""`podium gate check` end to end: recorded GitHub payloads, the GitHub stub, a real `podium server`.

Each test arranges a pull request in the stub (base and head trees, reviews), runs the command the
way a workflow step does, and reads back the commit status, the PR comment, the step summary and the
step outputs. The policy here has no metric rules, so these tests are about approvals, files and
failures; the metric scenarios run on a secured server in tests/e2e/test_gate_governance.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ci.report import GATE_MARKER
from tests.fixtures.actions_step import ActionsStep, StepResult
from tests.fixtures.github_stub import GitHubStub, load_event
from tests.fixtures.registry_seed import seed_model, start_podium, unique_model
from tests.fixtures.servers import PodiumProcess, free_port

BASE = "1f0c2b9d8e7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c"
HEAD1 = "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b"
HEAD2 = "4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f"
CONTEXT = "podium/promotion-gate"
POLICY = """\
defaults:
  required_approvals: 1
  allowed_associations: [OWNER, MEMBER, COLLABORATOR]
  gated_targets: [alias:champion, stage:Production]
"""


@pytest.fixture(scope="module")
def podium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PodiumProcess]:
    yield from start_podium(tmp_path_factory.mktemp("podium"))


@dataclass
class Gate:
    stub: GitHubStub
    step: ActionsStep
    model: str

    @property
    def path(self) -> str:
        return f"promotions/{self.model}.yaml"

    def pull(self, base: str | None, head: str | None, head_sha: str = HEAD1, number: int = 12) -> None:
        """PR #12 changing the model's promotion file from `base` to `head` (None: absent)."""

        def tree(text: str | None) -> dict[str, str]:
            files = {"README.md": "# models\n"}
            if text is not None:
                files[self.path] = text
            return files

        self.stub.commit(BASE, tree(base))
        self.stub.commit(head_sha, tree(head))
        self.stub.open_pull(number, author="dana", base_sha=BASE, head_sha=head_sha)

    def check(self, event: str = "pull_request.opened", *extra: str, process: bool = False) -> StepResult:
        payload = load_event(event)
        name = event.split(".")[0]
        args = ["gate", "check", *extra]
        run = self.step.run_process if process else self.step.run
        return run(args, name, payload, payload["pull_request"]["head"]["sha"])

    def final_status(self, sha: str = HEAD1) -> dict[str, Any]:
        statuses = self.stub.statuses_for(sha)
        assert statuses[0]["state"] == "pending"
        assert {s["context"] for s in statuses} == {CONTEXT}
        return statuses[-1]

    def comment(self) -> str:
        [comment] = self.stub.gate_comments(12, GATE_MARKER)
        return str(comment["body"])


@pytest.fixture
def gate(tmp_path: Path, github_stub: GitHubStub, podium: PodiumProcess) -> Gate:
    # The workflow checks out the base commit; the policy is read from that checkout.
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "promotion-policy.yaml").write_text(POLICY)
    model = unique_model()
    seed_model(podium.url, model, 7, aliases={"champion": 6}, stages={5: "Archived"})
    step = ActionsStep(tmp_path, github_stub.url, podium.url, github_stub.token)
    return Gate(github_stub, step, model)


def champion(gate: Gate, version: int) -> str:
    return f"model: {gate.model}\naliases:\n  champion: {version}\n"


def test_approved_promotion_passes_with_status_comment_summary_and_outputs(gate: Gate) -> None:
    gate.pull(champion(gate, 6), champion(gate, 7))
    gate.stub.review(12, "alice", "APPROVED", HEAD1)
    result = gate.check(
        "pull_request.opened", "--pr", "12", "--base-sha", BASE, "--head-sha", HEAD1, process=True
    )
    assert result.exit_code == 0, result.log
    status = gate.final_status()
    assert status["state"] == "success"
    assert status["description"] == "Passed: 1 change approved and within the metric rules"
    assert (
        status["target_url"] == f"https://github.com/acme/ml-models/actions/runs/{9_000_000 + gate.step.runs}"
    )
    comment = gate.comment()
    assert "### ✅ Podium promotion gate: pass" in comment
    assert f"| {gate.model} | @champion: v6 → v7 | v6 | ✅ |" in comment
    assert f"**Approvals for {gate.model}:** 1 of 1 required ✅; counted: `alice`" in comment
    assert f"at base `{BASE[:7]}`" in comment
    assert result.summary.strip() == comment.strip()
    assert result.outputs["decision"] == "pass"
    assert result.models == [gate.model]
    assert result.outputs["reasons"] == ""


def test_missing_approval_fails_with_the_reason(gate: Gate) -> None:
    gate.pull(champion(gate, 6), champion(gate, 7))
    result = gate.check()
    assert result.exit_code == 1
    status = gate.final_status()
    assert status["state"] == "failure"
    assert status["description"] == f"Blocked: {gate.model}: approvals: 0 of 1 required approvals"
    assert f"- {gate.model}: approvals: 0 of 1 required approvals" in gate.comment()
    assert result.outputs["decision"] == "fail"
    assert result.outputs["reasons"] == f"{gate.model}: approvals: 0 of 1 required approvals"
    assert "::error::" in result.log


def test_the_authors_own_approval_does_not_count(gate: Gate) -> None:
    gate.pull(champion(gate, 6), champion(gate, 7))
    gate.stub.review(12, "dana", "COMMENTED", HEAD1)
    gate.stub.review(12, "dana", "APPROVED", HEAD1)
    result = gate.check("pull_request_review.submitted-by-author")
    assert result.exit_code == 1
    assert gate.final_status()["state"] == "failure"
    assert "not counted: `dana` (author of the pull request)" in gate.comment()


def test_an_approval_of_an_older_commit_is_stale(gate: Gate) -> None:
    gate.pull(champion(gate, 6), champion(gate, 7))
    gate.stub.review(12, "alice", "APPROVED", HEAD1)
    # A new commit lands after the approval (the synchronize payload's head is HEAD2).
    gate.stub.commit(HEAD2, gate.stub.trees[HEAD1])
    gate.stub.push(12, HEAD2)
    result = gate.check("pull_request.synchronize")
    assert result.exit_code == 1
    assert gate.final_status(HEAD2)["state"] == "failure"
    assert "`alice` (approved an older commit (9a8b7c6))" in gate.comment()
    assert gate.stub.statuses_for(HEAD1) == []


def test_a_dismissed_review_turns_a_pass_into_a_failure_in_the_same_comment(gate: Gate) -> None:
    gate.pull(champion(gate, 6), champion(gate, 7))
    gate.stub.review(12, "alice", "APPROVED", HEAD1)
    assert gate.check("pull_request_review.submitted").exit_code == 0
    gate.stub.dismiss(12, "alice")
    result = gate.check("pull_request_review.dismissed")
    assert result.exit_code == 1
    assert gate.final_status()["state"] == "failure"
    comment = gate.comment()  # one comment, updated in place
    assert "### ❌ Podium promotion gate: fail" in comment
    assert "`alice` (review dismissed)" in comment


def test_changes_requested_block(gate: Gate) -> None:
    gate.pull(champion(gate, 6), champion(gate, 7))
    gate.stub.review(12, "alice", "APPROVED", HEAD1)
    gate.stub.review(12, "bob", "CHANGES_REQUESTED", HEAD1)
    assert gate.check().exit_code == 1
    assert "changes requested by bob" in gate.final_status()["description"]


def test_approvals_on_the_second_page_count(gate: Gate) -> None:
    gate.pull(champion(gate, 6), champion(gate, 7))
    for i in range(120):
        gate.stub.review(12, f"watcher{i}", "COMMENTED", HEAD1)
    gate.stub.review(12, "alice", "APPROVED", HEAD1)
    assert gate.check().exit_code == 0
    assert len(gate.stub.asked("GET", "/reviews")) == 2


def test_a_version_podium_does_not_have_fails(gate: Gate) -> None:
    gate.pull(champion(gate, 6), champion(gate, 99))
    gate.stub.review(12, "alice", "APPROVED", HEAD1)
    assert gate.check().exit_code == 1
    assert "version 99 does not exist in Podium" in gate.comment()


def test_an_archived_version_cannot_be_promoted(gate: Gate) -> None:
    gate.pull(champion(gate, 6), champion(gate, 5))
    gate.stub.review(12, "alice", "APPROVED", HEAD1)
    assert gate.check().exit_code == 1
    assert "version 5 is Archived" in gate.comment()


def test_an_invalid_promotion_file_fails_with_file_line_and_field(gate: Gate) -> None:
    gate.pull(champion(gate, 6), f"model: {gate.model}\naliases:\n  champion: seven\n")
    result = gate.check()
    assert result.exit_code == 1
    expected = f"{gate.path}:3: aliases.champion: must be an integer, got the string 'seven'"
    assert expected in gate.comment()
    assert result.outputs["reasons"] == expected


def test_a_model_podium_does_not_know_fails(gate: Gate) -> None:
    gate.model = unique_model("unknown")
    gate.pull(None, champion(gate, 1))
    gate.stub.review(12, "alice", "APPROVED", HEAD1)
    assert gate.check().exit_code == 1
    assert f"model {gate.model} does not exist in Podium" in gate.comment()


def test_ungated_targets_need_metric_rules_only(gate: Gate) -> None:
    gate.pull(None, f"model: {gate.model}\nstages:\n  Staging: 7\n")
    result = gate.check()
    assert result.exit_code == 0, result.log
    assert "Approvals for" not in gate.comment()


def test_no_promotion_file_is_a_success_without_a_comment(gate: Gate) -> None:
    gate.stub.commit(BASE, {"README.md": "a\n"})
    gate.stub.commit(HEAD1, {"README.md": "b\n", "promotions/notes/x.yaml": "x\n"})
    gate.stub.open_pull(12, author="dana", base_sha=BASE, head_sha=HEAD1)
    result = gate.check()
    assert result.exit_code == 0
    status = gate.final_status()
    assert (status["state"], status["description"]) == (
        "success",
        "Nothing to gate: no promotion file changed in this pull request",
    )
    assert gate.stub.comments[12] == []
    assert result.outputs["decision"] == "skip"
    assert result.models == []


def test_fork_pull_requests_fail_without_posting(gate: Gate) -> None:
    gate.pull(champion(gate, 6), champion(gate, 7))
    result = gate.check("pull_request.opened-fork")
    assert result.exit_code == 1
    assert gate.stub.statuses == []
    assert gate.stub.comments[12] == []
    assert result.outputs["decision"] == "fail"
    assert "forks (mallory/ml-models) cannot promote" in result.summary


def test_the_policy_must_exist_in_the_base_checkout(gate: Gate) -> None:
    (gate.step.workdir / ".github" / "promotion-policy.yaml").unlink()
    gate.pull(champion(gate, 6), champion(gate, 7))
    assert gate.check().exit_code == 1
    assert "is missing from the base commit; promotions need a policy" in gate.comment()


def test_flags_that_disagree_with_the_event_stop_the_gate(gate: Gate) -> None:
    gate.pull(champion(gate, 6), champion(gate, 7))
    result = gate.check("pull_request.opened", "--head-sha", HEAD2)
    assert result.exit_code == 1
    assert result.outputs["decision"] == "error"
    assert gate.stub.statuses == []


def test_registry_down_fails_closed(gate: Gate) -> None:
    gate.pull(champion(gate, 6), champion(gate, 7))
    gate.stub.review(12, "alice", "APPROVED", HEAD1)
    gate.step.podium_url = f"http://127.0.0.1:{free_port()}"
    result = gate.check()
    assert result.exit_code == 1
    status = gate.final_status()
    assert status["state"] == "error"
    assert status["description"].startswith("Could not judge: Podium error: Podium at http://127.0.0.1:")
    assert "is unreachable" in gate.comment()
    assert result.outputs["decision"] == "error"


def test_github_errors_fail_closed(gate: Gate) -> None:
    gate.pull(champion(gate, 6), champion(gate, 7))
    gate.stub.fail("GET", r"/pulls/12/reviews$", 502)
    result = gate.check()
    assert result.exit_code == 1
    assert gate.final_status()["state"] == "error"
    assert "GitHub API error: GitHub API answered 502" in gate.comment()


def test_when_the_status_cannot_be_posted_the_step_fails(gate: Gate) -> None:
    gate.pull(champion(gate, 6), champion(gate, 7))
    gate.stub.review(12, "alice", "APPROVED", HEAD1)
    gate.stub.fail("POST", r"/statuses/", 503)
    result = gate.check()
    assert result.exit_code == 1
    assert result.outputs["decision"] == "error"
    assert "cannot post the commit status" in result.summary


def test_a_closed_pull_request_is_not_gated(gate: Gate) -> None:
    gate.pull(champion(gate, 6), champion(gate, 7))
    result = gate.check("pull_request.closed-merged")
    assert result.exit_code == 0
    assert result.outputs["decision"] == "skip"
    assert gate.stub.statuses == []
