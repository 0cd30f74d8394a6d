"""The gate against Podium's governance: metric rules, promotion requests, policies, audit history.

A real `podium server` with authentication ON; the gate checks pull requests with a `reader` token and
applies merges with a `promoter` token, as the workflows do; GitHub is the local stub. Versions carry
their metrics as `podium.metric.<name>` tags, which Podium's metric reader uses for versions
registered without an MLflow run; the gate reads them through the same reader
(`GET /api/v1/models/{name}/versions/{version}/metrics`), so these tests hold unchanged when that
reader also reads MLflow runs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from ci.apply import APPLY_MARKER
from ci.report import GATE_MARKER
from tests.fixtures.actions_step import ActionsStep, StepResult
from tests.fixtures.github_stub import GitHubStub, load_event
from tests.fixtures.registry_seed import source, unique_model
from tests.fixtures.servers import PodiumProcess

ROOT = Path(__file__).resolve().parents[2]
BASE = "1f0c2b9d8e7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c"
HEAD1 = "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b"
PR_URL = "https://github.com/acme/ml-models/pull/12"
POLICY = """\
defaults:
  required_approvals: 1
  gated_targets: [alias:champion, stage:Production]
  metrics:
    r2:   {direction: higher, min: 0.80, tolerance: 0.01}
    rmse: {direction: lower,  max: 5.0,  tolerance: 0.10}
"""
# The same rules in the registry's words (README: how the policy file and Podium's policy relate).
REGISTRY_RULES = ["r2 >= 0.8", "r2 >= current - 0.01", "rmse <= 5.0", "rmse <= current + 0.1"]


@dataclass
class Podium:
    """The secured server, and its tokens by name: admin, github-gate (reader), github-apply
    (promoter), rita (reviewer)."""

    server: PodiumProcess
    secrets: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.url

    def cli(self, *args: str, token: str | None = None) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "PODIUM_URL": self.url,
            "PODIUM_DATABASE_URL": self.server.database_url,
            "COLUMNS": "250",
        }
        env.pop("PODIUM_TOKEN", None)
        if token is not None:
            env["PODIUM_TOKEN"] = self.secrets[token]
        return subprocess.run(
            [sys.executable, "-m", "registry.cli", *args],
            cwd=self.server.home,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def create_token(self, name: str, role: str) -> None:
        done = self.cli("tokens", "create", "--name", name, "--role", role)
        assert done.returncode == 0, done.stderr
        self.secrets[name] = done.stdout.strip().splitlines()[-1]

    def api(self, method: str, path: str, body: Any = None, *, who: str = "admin", expect: int = 200) -> Any:
        response = requests.request(
            method,
            f"{self.url}/api/v1{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.secrets[who]}"},
            timeout=30,
        )
        assert response.status_code == expect, (method, path, response.status_code, response.text)
        return response.json() if response.content else None

    def model(self, name: str) -> None:
        self.api("POST", "/models", {"name": name}, expect=201)

    def version(self, model: str, tags: dict[str, str] | None = None, **metrics: float) -> int:
        """Register a version whose metrics are `metrics` (as podium.metric.* tags)."""
        all_tags = {f"podium.metric.{k}": repr(v) for k, v in metrics.items()} | (tags or {})
        body = {"source": source(), "tags": all_tags}
        return int(self.api("POST", f"/models/{model}/versions", body, expect=201)["version"])

    def set_alias(self, model: str, alias: str, version: int) -> None:
        self.api("PUT", f"/models/{model}/aliases/{alias}", {"version": version})

    def alias(self, model: str, alias: str) -> int:
        return int(self.api("GET", f"/models/{model}/aliases/{alias}")["version"])

    def protect(self, model: str, approvals: int = 1, rules: list[str] | None = None) -> None:
        body = {"protected": ["alias:champion"], "required_approvals": approvals, "rules": rules or []}
        self.api("PUT", f"/models/{model}/policy", body)

    def promotions(self, model: str) -> list[dict[str, Any]]:
        return list(self.api("GET", f"/promotions?model={model}")["requests"])


@pytest.fixture(scope="module")
def podium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Podium]:
    home = tmp_path_factory.mktemp("podium")
    server = PodiumProcess(
        home=home,
        database_url=f"sqlite:///{home / 'podium.db'}",
        artifacts_uri=str(home / "artifacts"),
        env={"PODIUM_AUTH": "on"},
    ).start()
    try:
        podium = Podium(server)
        for name, role in [
            ("admin", "admin"),
            ("github-gate", "reader"),
            ("github-apply", "promoter"),
            ("rita", "reviewer"),
        ]:
            podium.create_token(name, role)
        yield podium
    finally:
        server.stop()


# -- the pull-request gate ---------------------------------------------------------------------------
@dataclass
class PullRequest:
    stub: GitHubStub
    step: ActionsStep
    podium: Podium
    model: str

    def arrange(self, champion: dict[str, float], candidate: dict[str, float]) -> None:
        """v1 is @champion with `champion`'s metrics; PR #12 moves @champion to v2 with `candidate`'s."""
        assert self.podium.version(self.model, **champion) == 1
        assert self.podium.version(self.model, **candidate) == 2
        self.podium.set_alias(self.model, "champion", 1)
        path = f"promotions/{self.model}.yaml"
        self.stub.commit(BASE, {path: f"model: {self.model}\naliases:\n  champion: 1\n"})
        self.stub.commit(HEAD1, {path: f"model: {self.model}\naliases:\n  champion: 2\n"})
        self.stub.open_pull(12, author="dana", base_sha=BASE, head_sha=HEAD1)

    def check(self, event: str = "pull_request.opened") -> StepResult:
        return self.step.run(["gate", "check"], event.split(".")[0], load_event(event), HEAD1)

    def status(self) -> dict[str, Any]:
        return self.stub.statuses_for(HEAD1)[-1]

    def comment(self) -> str:
        [comment] = self.stub.gate_comments(12, GATE_MARKER)
        return str(comment["body"])


@pytest.fixture
def pr(tmp_path: Path, github_stub: GitHubStub, podium: Podium) -> PullRequest:
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "promotion-policy.yaml").write_text(POLICY)
    model = unique_model()
    podium.model(model)
    step = ActionsStep(
        tmp_path,
        github_stub.url,
        podium.url,
        github_stub.token,
        extra_env={"PODIUM_TOKEN": podium.secrets["github-gate"]},
    )
    return PullRequest(github_stub, step, podium, model)


def test_approved_and_metrics_pass_gives_success_and_the_table(pr: PullRequest) -> None:
    pr.arrange({"r2": 0.905, "rmse": 4.2}, {"r2": 0.91, "rmse": 4.0})
    pr.stub.review(12, "alice", "APPROVED", HEAD1)
    result = pr.check("pull_request_review.submitted")
    assert result.exit_code == 0, result.log
    assert pr.status()["state"] == "success"
    comment = pr.comment()
    assert "| metric | candidate v2 | holder v1 | rule | result |" in comment
    assert "| r2 | 0.91 | 0.905 | ≥ 0.8 and ≥ 0.905 - 0.01 | ✅ |" in comment
    assert "| rmse | 4 | 4.2 | ≤ 5 and ≤ 4.2 + 0.1 | ✅ |" in comment
    assert result.outputs["decision"] == "pass"


def test_a_metric_below_the_bound_fails(pr: PullRequest) -> None:
    pr.arrange({"r2": 0.70, "rmse": 4.2}, {"r2": 0.75, "rmse": 4.0})
    pr.stub.review(12, "alice", "APPROVED", HEAD1)
    assert pr.check().exit_code == 1
    assert pr.status()["state"] == "failure"
    assert f"- {pr.model} @champion: v1 → v2: r2: 0.75 is below the minimum 0.8" in pr.comment()


def test_worse_than_the_champion_beyond_tolerance_fails(pr: PullRequest) -> None:
    pr.arrange({"r2": 0.905, "rmse": 4.2}, {"r2": 0.85, "rmse": 4.0})
    pr.stub.review(12, "alice", "APPROVED", HEAD1)
    result = pr.check()
    assert result.exit_code == 1
    assert pr.status()["state"] == "failure"
    assert "r2: 0.85 is worse than the holder's 0.905 by more than 0.01" in pr.comment()
    assert result.outputs["reasons"] == (
        f"{pr.model} @champion: v1 → v2: r2: 0.85 is worse than the holder's 0.905 by more than 0.01"
    )


def test_a_missing_metric_fails(pr: PullRequest) -> None:
    pr.arrange({"r2": 0.905, "rmse": 4.2}, {"r2": 0.95})
    pr.stub.review(12, "alice", "APPROVED", HEAD1)
    assert pr.check().exit_code == 1
    assert pr.status()["state"] == "failure"
    assert "| rmse | missing | 4.2 |" in pr.comment()
    assert "rmse: missing on the candidate" in pr.comment()


def test_a_nan_metric_fails(pr: PullRequest) -> None:
    pr.arrange({"r2": 0.905, "rmse": 4.2}, {"r2": 0.95, "rmse": float("nan")})
    pr.stub.review(12, "alice", "APPROVED", HEAD1)
    assert pr.check().exit_code == 1
    assert "rmse: candidate value is nan" in pr.comment()


def test_metrics_pass_but_a_missing_approval_fails(pr: PullRequest) -> None:
    pr.arrange({"r2": 0.905, "rmse": 4.2}, {"r2": 0.91, "rmse": 4.0})
    pr.stub.review(12, "dana", "APPROVED", HEAD1)  # the author's own approval
    assert pr.check().exit_code == 1
    comment = pr.comment()
    assert "| r2 | 0.91 | 0.905 | ≥ 0.8 and ≥ 0.905 - 0.01 | ✅ |" in comment
    assert f"- {pr.model}: approvals: 0 of 1 required approvals" in comment
    assert "`dana` (author of the pull request)" in comment


def test_without_a_token_podium_accepts_the_gate_fails_closed(pr: PullRequest) -> None:
    pr.arrange({"r2": 0.905, "rmse": 4.2}, {"r2": 0.91, "rmse": 4.0})
    pr.stub.review(12, "alice", "APPROVED", HEAD1)
    pr.step.extra_env["PODIUM_TOKEN"] = "pdm_not-a-token"
    result = pr.check()
    assert result.exit_code == 1
    assert pr.status()["state"] == "error"
    assert "Podium answered 401" in pr.comment()
    assert result.outputs["decision"] == "error"


@pytest.mark.parametrize(
    ("r2", "rmse", "passed"),
    [
        (0.895, 4.3, True),  # both exactly at their tolerance boundary: 0.905 - 0.01, 4.2 + 0.1
        (0.8949, 4.3, False),
        (0.895, 4.3001, False),
    ],
)
def test_the_gate_and_podium_judge_alike(pr: PullRequest, r2: float, rmse: float, passed: bool) -> None:
    """The file's rules, and the same rules as Podium's policy, give one verdict on one version."""
    pr.arrange({"r2": 0.905, "rmse": 4.2}, {"r2": r2, "rmse": rmse})
    pr.podium.protect(pr.model, rules=REGISTRY_RULES)
    pr.stub.review(12, "alice", "APPROVED", HEAD1)
    assert (pr.check().exit_code == 0) is passed
    request = pr.podium.api(
        "POST", "/promotions", {"model": pr.model, "version": 2, "target": "alias:champion"}, expect=201
    )
    outcomes = request["evaluation"]["rules"]
    assert [o["rule"] for o in outcomes] == REGISTRY_RULES
    assert all(o["passed"] for o in outcomes) is passed


# -- apply after the merge ---------------------------------------------------------------------------
def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def init_repo(path: Path) -> None:
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.email", "ci@acme.example")
    git(path, "config", "user.name", "CI")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "Initial promotions")


@dataclass
class Merge:
    stub: GitHubStub
    podium: Podium
    repo: Path
    model: str
    step: ActionsStep = field(init=False)

    def __post_init__(self) -> None:
        self.step = ActionsStep(self.repo, self.stub.url, self.podium.url, self.stub.token)
        self.as_token("github-apply")

    def as_token(self, name: str) -> None:
        self.step.extra_env["PODIUM_TOKEN"] = self.podium.secrets[name]

    def merged_pull_request(self, version: int) -> tuple[str, str]:
        """PR #12 by dana sets @champion to `version`, alice approves its head, it is merged."""
        path = self.repo / "promotions" / f"{self.model}.yaml"
        git(self.repo, "checkout", "-q", "-b", f"promote-{version}")
        path.write_text(f"model: {self.model}\naliases:\n  champion: {version}\nreason: better r2\n")
        git(self.repo, "commit", "-q", "-am", f"Promote v{version}")
        head = git(self.repo, "rev-parse", "HEAD")
        git(self.repo, "checkout", "-q", "main")
        git(self.repo, "merge", "-q", "--no-ff", "-m", "Merge pull request #12", head)
        merge = git(self.repo, "rev-parse", "HEAD")
        self.stub.open_pull(
            12, author="dana", base_sha=git(self.repo, "rev-parse", f"{merge}^1"), head_sha=head
        )
        self.stub.review(12, "alice", "APPROVED", head)
        self.stub.merge(12, merge)
        return head, merge

    def apply(self, merge: str) -> StepResult:
        payload = load_event("push")
        payload["after"] = merge
        return self.step.run(["gate", "apply", "--backoff", "0"], "push", payload, merge)


@pytest.fixture
def merge(tmp_path: Path, github_stub: GitHubStub, podium: Podium) -> Merge:
    model = unique_model()
    podium.model(model)
    assert podium.version(model, r2=0.905, rmse=4.2) == 1
    assert podium.version(model, r2=0.91, rmse=4.0) == 2
    podium.set_alias(model, "champion", 1)
    repo = tmp_path / "ml-models"
    (repo / ".github").mkdir(parents=True)
    (repo / ".github" / "promotion-policy.yaml").write_text(POLICY)
    (repo / "promotions").mkdir()
    (repo / "promotions" / f"{model}.yaml").write_text(f"model: {model}\naliases:\n  champion: 1\n")
    init_repo(repo)
    return Merge(github_stub, podium, repo, model)


def test_apply_writes_through_a_promotion_request_with_the_pr_evidence_and_is_idempotent(
    merge: Merge,
) -> None:
    podium, model = merge.podium, merge.model
    podium.protect(model, rules=REGISTRY_RULES)
    head, commit = merge.merged_pull_request(2)

    first = merge.apply(commit)
    assert first.exit_code == 0, first.log
    assert (first.outputs["changed"], json.loads(first.outputs["models"])) == ("true", [model])
    assert podium.alias(model, "champion") == 2

    [request] = podium.promotions(model)
    assert (request["status"], request["requested_by"], request["target"]) == (
        "applied",
        "github-apply",
        "alias:champion",
    )
    assert request["evidence"] == {
        "url": PR_URL,
        "commit": head,
        "author": "dana",
        "run_url": f"https://github.com/acme/ml-models/actions/runs/{9_000_000 + merge.step.runs}",
        "source": "github",
    }
    [approval] = request["approvals"]
    assert (approval["reviewer"], approval["source"]) == ("alice", "github")
    assert approval["url"].startswith(f"{PR_URL}#pullrequestreview-")
    evaluation = podium.api("GET", f"/promotions/{request['id']}", who="github-gate")["evaluation"]
    assert evaluation["approvals"]["counted"] == ["github:alice"]
    assert [(r["rule"], r["passed"]) for r in evaluation["rules"]] == [(r, True) for r in REGISTRY_RULES]
    assert request["comment"] == f"promotions/{model}.yaml at {commit[:7]} ({PR_URL}): better r2"
    [comment] = merge.stub.gate_comments(12, APPLY_MARKER)
    assert f"| {model} | applied | @champion: v1 → v2 | #12 |" in comment["body"]

    second = merge.apply(commit)
    assert second.exit_code == 0, second.log
    assert second.outputs["changed"] == "false"
    assert f"| {model} | unchanged |" in second.summary
    assert len(podium.promotions(model)) == 1  # the second run wrote nothing

    history = podium.api("GET", f"/models/{model}/history", who="github-gate")
    applied = [e for e in history["events"] if e["action"] == "promotion_request.applied"]
    assert [e["data"]["evidence"]["url"] for e in applied] == [PR_URL]
    moved = next(e for e in history["events"] if e["action"] == "model_version_alias.set")
    assert (moved["promotion_request_id"], moved["after"]["version"]) == (request["id"], 2)
    shown = podium.cli("promote", "history", model, "--json", token="github-gate")
    assert shown.returncode == 0, shown.stderr
    assert PR_URL in shown.stdout


def test_an_unprotected_stage_moves_through_a_request_too(merge: Merge) -> None:
    """No Podium policy and a target the file does not gate (Staging): no approvals are needed, the
    metric rules still apply, and the move is still a promotion request with the pull request."""
    podium, model = merge.podium, merge.model
    path = merge.repo / "promotions" / f"{model}.yaml"
    git(merge.repo, "checkout", "-q", "-b", "stage-2")
    path.write_text(path.read_text() + "stages:\n  Staging: 2\n")
    git(merge.repo, "commit", "-q", "-am", "Stage v2")
    head = git(merge.repo, "rev-parse", "HEAD")
    git(merge.repo, "checkout", "-q", "main")
    git(merge.repo, "merge", "-q", "--no-ff", "-m", "Merge pull request #12", head)
    commit = git(merge.repo, "rev-parse", "HEAD")
    merge.stub.open_pull(
        12, author="dana", base_sha=git(merge.repo, "rev-parse", f"{commit}^1"), head_sha=head
    )
    merge.stub.merge(12, commit)

    for changed in ("true", "false"):
        result = merge.apply(commit)
        assert result.exit_code == 0, result.log
        assert result.outputs["changed"] == changed
    assert podium.api("GET", f"/models/{model}/versions/2")["stage"] == "Staging"
    [request] = podium.promotions(model)
    assert (request["target"], request["status"], request["approvals"]) == ("stage:Staging", "applied", [])
    assert request["evidence"]["url"] == PR_URL


def test_the_promoter_cannot_move_the_protected_alias_directly(merge: Merge) -> None:
    """Why apply goes through a promotion request: a direct move of a protected alias is refused."""
    merge.podium.protect(merge.model)
    refused = merge.podium.api(
        "PUT", f"/models/{merge.model}/aliases/champion", {"version": 2}, who="github-apply", expect=403
    )
    assert "podium promote request" in refused["message"]


@pytest.mark.parametrize(
    ("approvals", "rules", "blocker"),
    [
        (2, [], "1 of 2 required approvals"),
        (1, ["r2 >= 0.95"], "metric rule r2 >= 0.95 failed"),
    ],
)
def test_a_registry_policy_stricter_than_the_file_stops_apply_with_podiums_reasons(
    merge: Merge, approvals: int, rules: list[str], blocker: str
) -> None:
    """The file asks for 1 approval and r2 >= 0.8; Podium's own policy asks for more. Podium wins:
    apply fails, says why and which request waits, and moves nothing; the request stays pending."""
    podium, model = merge.podium, merge.model
    podium.protect(model, approvals=approvals, rules=rules)
    _, commit = merge.merged_pull_request(2)
    result = merge.apply(commit)
    assert result.exit_code == 1
    assert result.outputs["decision"] == "fail"
    [request] = podium.promotions(model)
    assert request["status"] == "pending"
    reasons = result.outputs["reasons"]
    assert f"Podium's policy for {model} refuses {model} @champion: v1 → v2 for now: " in reasons
    assert blocker in reasons
    assert f"Promotion request {request['id']} stays pending in Podium" in reasons
    assert podium.alias(model, "champion") == 1
    [comment] = merge.stub.gate_comments(12, APPLY_MARKER)
    assert f"| {model} | refused |" in comment["body"]

    if approvals == 2:
        # A Podium reviewer gives the second approval: Podium applies the waiting request, and the
        # next apply run finds the file and Podium in agreement.
        podium.api("POST", f"/promotions/{request['id']}/approve", {"comment": "seen"}, who="rita")
        assert podium.alias(model, "champion") == 2
        again = merge.apply(commit)
        assert again.exit_code == 0, again.log
        assert again.outputs["changed"] == "false"
    else:
        # Re-running changes nothing: Podium names the request that is already open.
        again = merge.apply(commit)
        assert again.exit_code == 1
        assert f"Promotion request {request['id']}" in again.outputs["reasons"]
        assert "is already open" in again.outputs["reasons"]


def test_apply_with_a_token_that_is_not_a_promoter_is_refused(merge: Merge) -> None:
    merge.as_token("github-gate")
    _, commit = merge.merged_pull_request(2)
    result = merge.apply(commit)
    assert result.exit_code == 1
    assert "Podium answered 403" in result.outputs["reasons"]
    assert merge.podium.alias(merge.model, "champion") == 1


# -- the GitOps example, step by step ----------------------------------------------------------------
def test_the_gitops_example_promotes_champion_to_7_end_to_end(
    tmp_path: Path, github_stub: GitHubStub, podium: Podium
) -> None:
    """examples/gitops/README.md: copy the example, protect @champion in Podium (step 3), open a PR
    setting `champion: 7`, see the gate's table, get a review, merge, and find @champion on version 7
    with the pull request in its history; the deploy job then resolves @champion to 7."""
    model = "house-prices"
    podium.model(model)
    for number in range(1, 8):
        scores = {6: {"r2": 0.905, "rmse": 41900.0}, 7: {"r2": 0.91, "rmse": 41200.0}}.get(number, {})
        assert podium.version(model, {"eval_dataset": "holdout-2026q3"}, **scores) == number
    podium.set_alias(model, "champion", 6)
    # Step 3: protect the managed targets, with the file's approvals, reviewers and metric rules.
    protect = podium.cli(
        "promote", "policy", "set", model, "--protect", "alias:champion", "--protect", "stage:Production",
        "--approvals", "1", "--reviewer", "alice", "--reviewer", "bob",
        "--rule", "r2 >= 0.8", "--rule", "r2 >= current - 0.01",
        "--rule", "rmse <= 50000", "--rule", "rmse <= current + 500",
        token="admin",
    )  # fmt: skip
    assert protect.returncode == 0, protect.stderr

    repo = tmp_path / "ml-repo"
    shutil.copytree(ROOT / "examples" / "gitops", repo)
    init_repo(repo)
    base = git(repo, "rev-parse", "HEAD")
    path = "promotions/house-prices.yaml"
    git(repo, "switch", "-q", "-c", "promote-house-prices-v7")
    file = repo / path
    file.write_text(file.read_text().replace("champion: 6", "champion: 7"))
    git(repo, "commit", "-q", "-am", "Promote house-prices v7 to champion")
    head = git(repo, "rev-parse", "HEAD")
    github_stub.commit(base, {path: git(repo, "show", f"{base}:{path}")})
    github_stub.commit(head, {path: git(repo, "show", f"{head}:{path}")})
    github_stub.open_pull(12, author="dana", base_sha=base, head_sha=head)
    git(repo, "switch", "-q", "main")  # the gate runs on a checkout of the base commit

    gate = ActionsStep(
        repo,
        github_stub.url,
        podium.url,
        github_stub.token,
        extra_env={"PODIUM_TOKEN": podium.secrets["github-gate"]},
    )

    def check(event: str) -> StepResult:
        payload = load_event(event)
        payload["pull_request"]["head"]["sha"], payload["pull_request"]["base"]["sha"] = head, base
        return gate.run(["gate", "check"], event.split(".")[0], payload, head)

    waiting = check("pull_request.opened")
    assert waiting.exit_code == 1
    [comment] = github_stub.gate_comments(12, GATE_MARKER)
    assert "| house-prices | @champion: v6 → v7 | v6 | ✅ |" in comment["body"]
    assert "| r2 | 0.91 | 0.905 | ≥ 0.8 and ≥ 0.905 - 0.01 | ✅ |" in comment["body"]
    assert "| rmse | 41200 | 41900 | ≤ 50000 and ≤ 41900 + 500 | ✅ |" in comment["body"]
    assert "**Approvals for house-prices:** 0 of 1 required ❌; counted: nobody" in comment["body"]

    github_stub.review(12, "alice", "APPROVED", head)
    approved = check("pull_request_review.submitted")
    assert approved.exit_code == 0, approved.log
    assert github_stub.statuses_for(head)[-1]["state"] == "success"

    git(repo, "merge", "-q", "--no-ff", "-m", "Merge pull request #12", head)
    commit = git(repo, "rev-parse", "HEAD")
    github_stub.merge(12, commit)
    applier = ActionsStep(
        repo,
        github_stub.url,
        podium.url,
        github_stub.token,
        extra_env={"PODIUM_TOKEN": podium.secrets["github-apply"]},
    )
    push = load_event("push")
    push["after"] = commit
    applied = applier.run(["gate", "apply", "--backoff", "0"], "push", push, commit)
    assert applied.exit_code == 0, applied.log
    assert applied.outputs["models"] == '["house-prices"]'

    assert podium.alias(model, "champion") == 7
    holders = podium.api("GET", f"/models/{model}/holders?target=alias:champion", who="github-gate")
    [holder] = holders["holders"]
    assert (holder["version"], holder["evidence"]["url"], holder["approved_by"]) == (
        7,
        PR_URL,
        ["github:alice"],
    )
    resolved = subprocess.run(
        [sys.executable, "-m", "registry.cli", "gate", "resolve", "models:/house-prices@champion"],
        env={**os.environ, "PODIUM_URL": podium.url, "PODIUM_TOKEN": podium.secrets["github-gate"]},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (resolved.returncode, resolved.stdout) == (0, "7\n"), resolved.stderr
