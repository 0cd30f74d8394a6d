"""`podium gate apply` end to end: a real git history, the GitHub stub, a real `podium server`.

The repository is built with git the way GitHub leaves it: a promotion pull request's branch merged
into main with a merge commit, and the push payload's `after` pointing at that merge. These tests
cover everything apply does before and without writing (re-verification, refusals, dry runs, no-ops,
retries); the writing scenarios, through promotion requests on a secured server with a promoter
token, are in tests/e2e/test_gate_governance.py.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from ci.apply import APPLY_MARKER
from tests.fixtures.actions_step import ActionsStep, StepResult
from tests.fixtures.github_stub import GitHubStub, load_event
from tests.fixtures.registry_seed import alias_version, seed_model, start_podium, unique_model
from tests.fixtures.servers import PodiumProcess, free_port

POLICY = """\
defaults:
  required_approvals: 1
  gated_targets: [alias:champion, stage:Production]
"""


@pytest.fixture(scope="module")
def podium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PodiumProcess]:
    yield from start_podium(tmp_path_factory.mktemp("podium"))


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True)
    return done.stdout.strip()


@dataclass
class Repo:
    path: Path
    model: str

    @property
    def file(self) -> str:
        return f"promotions/{self.model}.yaml"

    def write(self, relative: str, text: str) -> None:
        target = self.path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)

    def commit(self, message: str) -> str:
        git(self.path, "add", "-A")
        git(self.path, "commit", "-q", "-m", message)
        return git(self.path, "rev-parse", "HEAD")

    def promote_by_pull_request(self, version: int) -> tuple[str, str]:
        """A branch that sets champion to `version`, merged with a merge commit: (branch head, merge)."""
        git(self.path, "checkout", "-q", "-b", f"promote-{version}")
        self.write(self.file, f"model: {self.model}\naliases:\n  champion: {version}\n")
        head = self.commit(f"Promote {self.model} v{version} to champion")
        git(self.path, "checkout", "-q", "main")
        git(self.path, "merge", "-q", "--no-ff", "-m", "Merge pull request #12", head)
        return head, git(self.path, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    path = tmp_path / "ml-models"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.email", "ci@acme.example")
    git(path, "config", "user.name", "CI")
    repo = Repo(path, unique_model())
    repo.write(".github/promotion-policy.yaml", POLICY)
    repo.write(repo.file, f"model: {repo.model}\naliases:\n  champion: 6\n")
    repo.commit("Initial promotions")
    return repo


@dataclass
class Apply:
    stub: GitHubStub
    step: ActionsStep
    repo: Repo
    podium: PodiumProcess

    def run(self, event: str = "push", commit: str | None = None, *extra: str) -> StepResult:
        payload = load_event(event)
        sha = commit or git(self.repo.path, "rev-parse", "HEAD")
        if event == "push":
            payload["after"] = sha
        return self.step.run(["gate", "apply", "--backoff", "0", *extra], event.split(".")[0], payload, sha)

    def merged_pull_request(self, version: int, *, approved: bool = True) -> str:
        head, merge = self.repo.promote_by_pull_request(version)
        base = git(self.repo.path, "rev-parse", f"{merge}^1")
        self.stub.open_pull(12, author="dana", base_sha=base, head_sha=head)
        if approved:
            self.stub.review(12, "alice", "APPROVED", head)
        self.stub.merge(12, merge)
        return merge


@pytest.fixture
def apply(tmp_path: Path, github_stub: GitHubStub, podium: PodiumProcess, repo: Repo) -> Apply:
    seed_model(podium.url, repo.model, 7, aliases={"champion": 6})
    step = ActionsStep(repo.path, github_stub.url, podium.url, github_stub.token)
    return Apply(github_stub, step, repo, podium)


def test_a_dry_run_plans_and_writes_nothing(apply: Apply) -> None:
    apply.merged_pull_request(7)
    result = apply.run("push", None, "--dry-run")
    assert result.exit_code == 0, result.log
    assert result.outputs["decision"] == "plan"
    assert result.outputs["changed"] == "false"
    assert result.models == [apply.repo.model]
    assert f"planned: {apply.repo.model} @champion: v6 → v7" in result.log
    assert f"| {apply.repo.model} | planned | @champion: v6 → v7 | #12 |" in result.summary
    assert alias_version(apply.podium.url, apply.repo.model, "champion") == 6
    assert apply.stub.comments[12] == []  # dry runs do not comment


def test_workflow_dispatch_with_dry_run_input(apply: Apply) -> None:
    apply.merged_pull_request(7)
    result = apply.run("workflow_dispatch")
    assert result.exit_code == 0, result.log
    assert result.outputs["decision"] == "plan"
    assert alias_version(apply.podium.url, apply.repo.model, "champion") == 6


def test_already_in_the_desired_state_is_a_no_op(apply: Apply) -> None:
    merge = apply.merged_pull_request(7)
    # Podium already has the desired state (set before this run, e.g. by an earlier apply).
    url = f"{apply.podium.url}/api/v1/models/{apply.repo.model}/aliases/champion"
    assert requests.put(url, json={"version": 7}, timeout=30).status_code == 200
    result = apply.run("push", merge)
    assert result.exit_code == 0, result.log
    assert result.outputs == {"changed": "false", "models": "[]", "decision": "pass", "reasons": ""}
    assert f"| {apply.repo.model} | unchanged | — |  |" in result.summary
    # Nothing differed, so apply looked up no pull request and wrote nothing anywhere.
    assert apply.stub.asked("GET", "/commits/") == []
    assert apply.stub.comments[12] == []
    assert alias_version(apply.podium.url, apply.repo.model, "champion") == 7


def test_a_version_already_in_a_shared_stage_needs_no_write(apply: Apply, podium: PodiumProcess) -> None:
    """Versions 3 and 4 are both in Staging (4 is the latest); `Staging: 3` is already true."""
    model = unique_model()
    seed_model(podium.url, model, 4, stages={3: "Staging", 4: "Staging"})
    path = f"promotions/{model}.yaml"
    apply.repo.write(path, f"model: {model}\nstages:\n  Staging: 3\n")
    commit = apply.repo.commit("Keep v3 in Staging")
    for _ in range(2):
        result = apply.run("push", commit)
        assert result.exit_code == 0, result.log
        assert result.outputs["changed"] == "false"
        assert f"| {model} | unchanged | — |  |" in result.summary
    assert apply.stub.asked("GET", "/commits/") == []


def test_a_direct_push_is_refused(apply: Apply) -> None:
    apply.repo.write(apply.repo.file, f"model: {apply.repo.model}\naliases:\n  champion: 7\n")
    commit = apply.repo.commit("Sneak v7 in")
    result = apply.run("push", commit)
    assert result.exit_code == 1
    assert "which no merged pull request into main brought in (a direct push)" in result.outputs["reasons"]
    assert result.outputs["decision"] == "fail"
    assert alias_version(apply.podium.url, apply.repo.model, "champion") == 6


def test_only_pull_requests_into_the_default_branch_count(apply: Apply) -> None:
    head, merge = apply.repo.promote_by_pull_request(7)
    base = git(apply.repo.path, "rev-parse", f"{merge}^1")
    apply.stub.open_pull(12, author="dana", base_sha=base, head_sha=head, base_ref="experiments")
    apply.stub.review(12, "alice", "APPROVED", head)
    apply.stub.merge(12, merge)
    result = apply.run("push", merge)
    assert result.exit_code == 1
    assert "no merged pull request into main brought in" in result.outputs["reasons"]


def test_a_merge_without_approval_is_refused_and_told_on_the_pull_request(apply: Apply) -> None:
    merge = apply.merged_pull_request(7, approved=False)
    result = apply.run("push", merge)
    assert result.exit_code == 1
    assert result.outputs["reasons"] == f"{apply.repo.model}: approvals: 0 of 1 required approvals"
    assert alias_version(apply.podium.url, apply.repo.model, "champion") == 6
    [comment] = apply.stub.gate_comments(12, APPLY_MARKER)
    assert f"| {apply.repo.model} | refused | @champion: v6 → v7 | #12 |" in comment["body"]


def test_the_merged_pull_requests_final_head_must_be_approved(apply: Apply) -> None:
    head, merge = apply.repo.promote_by_pull_request(7)
    base = git(apply.repo.path, "rev-parse", f"{merge}^1")
    apply.stub.open_pull(12, author="dana", base_sha=base, head_sha=head)
    apply.stub.review(12, "alice", "APPROVED", base)  # approved an earlier commit of the branch
    apply.stub.merge(12, merge)
    result = apply.run("push", merge)
    assert result.exit_code == 1
    assert "0 of 1 required approvals" in result.outputs["reasons"]


def test_an_invalid_promotion_file_on_main_is_refused(apply: Apply) -> None:
    apply.repo.write(apply.repo.file, f"model: {apply.repo.model}\naliases:\n  champion: latest\n")
    commit = apply.repo.commit("Break the file")
    result = apply.run("push", commit)
    assert result.exit_code == 1
    assert result.outputs["reasons"] == (
        f"{apply.repo.file}:3: aliases.champion: must be an integer, got the string 'latest'"
    )


def test_apply_holds_files_to_the_policys_aliases(apply: Apply) -> None:
    apply.repo.write(".github/promotion-policy.yaml", POLICY + "  allowed_aliases: [champion]\n")
    apply.repo.write(apply.repo.file, f"model: {apply.repo.model}\naliases:\n  champion: 6\n  shadow: 7\n")
    commit = apply.repo.commit("Add a shadow alias")
    result = apply.run("push", commit)
    assert result.exit_code == 1
    assert result.outputs["reasons"] == (
        f"{apply.repo.file}:4: aliases.shadow: alias is not managed by the policy; allowed: champion"
    )


def test_an_invalid_policy_stops_apply(apply: Apply) -> None:
    apply.repo.write(".github/promotion-policy.yaml", "defaults:\n  required_approvals: many\n")
    commit = apply.repo.commit("Break the policy")
    result = apply.run("push", commit)
    assert result.exit_code == 1
    assert result.outputs["decision"] == "error"
    assert result.outputs["reasons"] == (
        ".github/promotion-policy.yaml:2: defaults.required_approvals: "
        "must be an integer, got the string 'many'"
    )


def test_registry_down_retries_then_fails(apply: Apply) -> None:
    merge = apply.merged_pull_request(7)
    apply.step.podium_url = f"http://127.0.0.1:{free_port()}"
    result = apply.run("push", merge, "--attempts", "3")
    assert result.exit_code == 1
    assert "attempt 1 of 3" in result.log
    assert "attempt 3 of 3" in result.log
    assert result.outputs["decision"] == "error"
    assert "Podium stayed unreachable after 3 attempts" in result.outputs["reasons"]
    assert "apply stopped" in result.summary


def test_a_merged_pull_requests_closed_event_applies_its_merge_commit(apply: Apply) -> None:
    merge = apply.merged_pull_request(7)
    payload = load_event("pull_request.closed-merged")
    payload["pull_request"]["merge_commit_sha"] = merge
    result = apply.step.run(["gate", "apply", "--dry-run"], "pull_request", payload, "f" * 40)
    assert result.exit_code == 0, result.log
    assert result.outputs["decision"] == "plan"
    assert f"planned: {apply.repo.model} @champion: v6 → v7" in result.log


def test_a_pull_request_closed_without_merge_applies_nothing(apply: Apply) -> None:
    result = apply.run("pull_request.closed-unmerged")
    assert result.exit_code == 0
    assert result.outputs["changed"] == "false"
    assert "closed without merging" in result.log


def test_a_missing_policy_stops_apply(apply: Apply) -> None:
    (apply.repo.path / ".github" / "promotion-policy.yaml").unlink()
    commit = apply.repo.commit("Drop the policy")
    result = apply.run("push", commit)
    assert result.exit_code == 1
    assert result.outputs["decision"] == "error"
    assert ".github/promotion-policy.yaml is missing at" in result.outputs["reasons"]


def test_an_unknown_commit_stops_apply(apply: Apply) -> None:
    result = apply.run("push", "0123456789abcdef0123456789abcdef01234567")
    assert result.exit_code == 1
    assert "is not in the checkout" in result.outputs["reasons"]
