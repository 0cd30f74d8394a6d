"""Gate scenarios that need the MLflow tracking API (metrics) and governance (promotion requests).

NOT COLLECTED YET (the file name has no `test_` prefix): it is ready for the integrator to enable by
renaming it to `test_gate_governance.py` once feature/mlflow (runs and metrics over
/api/2.0/mlflow/*) and feature/governance (promotion requests with external GitHub evidence for
`promoter` tokens, protected targets, audit history) are merged. Two spots may need aligning with
governance's real API, both marked ALIGN: the endpoint that lists a model's audit history, and how
a protecting policy is created. The gate's own calls to promotion requests live in
`ci/promotion_api.py`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from mlflow.tracking import MlflowClient

from ci.report import GATE_MARKER
from tests.fixtures.actions_step import ActionsStep, StepResult
from tests.fixtures.github_stub import GitHubStub, load_event
from tests.fixtures.registry_seed import unique_model
from tests.fixtures.servers import PodiumProcess

BASE = "1f0c2b9d8e7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c"
HEAD1 = "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b"
POLICY = """\
defaults:
  required_approvals: 1
  gated_targets: [alias:champion, stage:Production]
  metrics:
    r2:   {direction: higher, min: 0.80, tolerance: 0.01}
    rmse: {direction: lower,  max: 5.0,  tolerance: 0.10}
"""


def create_token(server: PodiumProcess, name: str, role: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "registry.cli", "tokens", "create", "--name", name, "--role", role],
        env={"PODIUM_DATABASE_URL": server.database_url, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return done.stdout.strip().splitlines()[-1]


@dataclass
class Registry:
    server: PodiumProcess
    admin: str
    reader: str
    promoter: str

    def http(self) -> requests.Session:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self.admin}"
        return session

    def version_with_metrics(self, model: str, **metrics: float) -> int:
        """A run with `metrics` logged through the stock mlflow client, registered as a version."""
        client = MlflowClient(tracking_uri=self.server.url)
        experiment = client.get_experiment_by_name("gate") or client.get_experiment(
            client.create_experiment("gate")
        )
        run = client.create_run(experiment.experiment_id)
        for key, value in metrics.items():
            client.log_metric(run.info.run_id, key, value)
        client.set_terminated(run.info.run_id)
        version = client.create_model_version(model, f"runs:/{run.info.run_id}/model", run.info.run_id)
        return int(version.version)


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    home = tmp_path_factory.mktemp("podium")
    server = PodiumProcess(
        home=home,
        database_url=f"sqlite:///{home / 'podium.db'}",
        artifacts_uri=str(home / "artifacts"),
        env={"PODIUM_AUTH": "on"},
    ).start()
    admin = create_token(server, "admin", "admin")
    # The stock mlflow client sends this as its bearer token.
    previous = os.environ.get("MLFLOW_TRACKING_TOKEN")
    os.environ["MLFLOW_TRACKING_TOKEN"] = admin
    try:
        yield Registry(
            server,
            admin=admin,
            reader=create_token(server, "github-gate", "reader"),
            promoter=create_token(server, "github-apply", "promoter"),
        )
    finally:
        server.stop()
        if previous is None:
            os.environ.pop("MLFLOW_TRACKING_TOKEN", None)
        else:
            os.environ["MLFLOW_TRACKING_TOKEN"] = previous


def protect_champion(registry: Registry, model: str) -> None:
    # ALIGN: governance's policy endpoint and body.
    response = registry.http().put(
        f"{registry.server.url}/api/v1/policies/{model}",
        json={"protected_targets": ["alias:champion"], "required_approvals": 1},
        timeout=30,
    )
    assert response.status_code in (200, 201), response.text


@dataclass
class Scenario:
    stub: GitHubStub
    step: ActionsStep
    registry: Registry
    model: str

    def pull(self, before: int, after: int) -> None:
        path = f"promotions/{self.model}.yaml"
        self.stub.commit(BASE, {path: f"model: {self.model}\naliases:\n  champion: {before}\n"})
        self.stub.commit(HEAD1, {path: f"model: {self.model}\naliases:\n  champion: {after}\n"})
        self.stub.open_pull(12, author="dana", base_sha=BASE, head_sha=HEAD1)

    def check(self) -> StepResult:
        payload = load_event("pull_request.opened")
        return self.step.run(["gate", "check"], "pull_request", payload, HEAD1)

    def comment(self) -> str:
        [comment] = self.stub.gate_comments(12, GATE_MARKER)
        return str(comment["body"])


@pytest.fixture
def scenario(tmp_path: Path, github_stub: GitHubStub, registry: Registry) -> Scenario:
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "promotion-policy.yaml").write_text(POLICY)
    model = unique_model()
    response = registry.http().post(f"{registry.server.url}/api/v1/models", json={"name": model}, timeout=30)
    assert response.status_code == 201, response.text
    step = ActionsStep(
        tmp_path,
        github_stub.url,
        registry.server.url,
        github_stub.token,
        extra_env={"PODIUM_TOKEN": registry.reader},
    )
    return Scenario(github_stub, step, registry, model)


def champion_and_candidate(s: Scenario, champion: dict[str, float], candidate: dict[str, float]) -> None:
    old = s.registry.version_with_metrics(s.model, **champion)
    new = s.registry.version_with_metrics(s.model, **candidate)
    assert (old, new) == (1, 2)
    url = f"{s.registry.server.url}/api/v1/models/{s.model}/aliases/champion"
    assert s.registry.http().put(url, json={"version": 1}, timeout=30).status_code == 200
    s.pull(1, 2)


def test_approved_and_metrics_pass(scenario: Scenario) -> None:
    champion_and_candidate(scenario, {"r2": 0.905, "rmse": 4.2}, {"r2": 0.91, "rmse": 4.0})
    scenario.stub.review(12, "alice", "APPROVED", HEAD1)
    result = scenario.check()
    assert result.exit_code == 0, result.log
    assert scenario.stub.statuses_for(HEAD1)[-1]["state"] == "success"
    comment = scenario.comment()
    assert "| r2 | 0.91 | 0.905 | ≥ 0.8 and ≥ 0.905 - 0.01 | ✅ |" in comment
    assert "| rmse | 4 | 4.2 | ≤ 5 and ≤ 4.2 + 0.1 | ✅ |" in comment


def test_metric_below_the_bound_fails(scenario: Scenario) -> None:
    champion_and_candidate(scenario, {"r2": 0.70, "rmse": 4.2}, {"r2": 0.75, "rmse": 4.0})
    scenario.stub.review(12, "alice", "APPROVED", HEAD1)
    assert scenario.check().exit_code == 1
    assert scenario.stub.statuses_for(HEAD1)[-1]["state"] == "failure"
    assert "r2: 0.75 is below the minimum 0.8" in scenario.comment()


def test_worse_than_the_champion_beyond_tolerance_fails(scenario: Scenario) -> None:
    champion_and_candidate(scenario, {"r2": 0.905, "rmse": 4.2}, {"r2": 0.85, "rmse": 4.0})
    scenario.stub.review(12, "alice", "APPROVED", HEAD1)
    assert scenario.check().exit_code == 1
    assert "r2: 0.85 is worse than the holder's 0.905 by more than 0.01" in scenario.comment()


def test_a_missing_metric_fails(scenario: Scenario) -> None:
    champion_and_candidate(scenario, {"r2": 0.905, "rmse": 4.2}, {"r2": 0.95})
    scenario.stub.review(12, "alice", "APPROVED", HEAD1)
    assert scenario.check().exit_code == 1
    assert "rmse: missing on the candidate" in scenario.comment()


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_apply_reconciles_through_a_promotion_request_and_is_idempotent(
    scenario: Scenario, tmp_path: Path
) -> None:
    s = scenario
    champion_and_candidate(s, {"r2": 0.905, "rmse": 4.2}, {"r2": 0.91, "rmse": 4.0})
    protect_champion(s.registry, s.model)
    repo = tmp_path / "ml-models"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "ci@acme.example")
    git(repo, "config", "user.name", "CI")
    (repo / ".github").mkdir()
    (repo / ".github" / "promotion-policy.yaml").write_text(POLICY)
    (repo / "promotions").mkdir()
    path = repo / "promotions" / f"{s.model}.yaml"
    path.write_text(f"model: {s.model}\naliases:\n  champion: 1\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "initial")
    git(repo, "checkout", "-q", "-b", "promote")
    path.write_text(f"model: {s.model}\naliases:\n  champion: 2\n")
    git(repo, "commit", "-q", "-am", "promote v2")
    head = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-ff", "-m", "Merge pull request #12", head)
    merge = git(repo, "rev-parse", "HEAD")
    s.stub.open_pull(12, author="dana", base_sha=git(repo, "rev-parse", f"{merge}^1"), head_sha=head)
    s.stub.review(12, "alice", "APPROVED", head)
    s.stub.merge(12, merge)

    step = ActionsStep(repo, s.stub.url, s.registry.server.url, s.stub.token)
    step.extra_env["PODIUM_TOKEN"] = s.registry.promoter
    payload = load_event("push")
    payload["after"] = merge
    first = step.run(["gate", "apply", "--backoff", "0"], "push", payload, merge)
    assert first.exit_code == 0, first.log
    assert first.outputs["changed"] == "true"
    assert json.loads(first.outputs["models"]) == [s.model]
    resolved = s.registry.http().get(
        f"{s.registry.server.url}/api/v1/models/{s.model}/aliases/champion", timeout=30
    )
    assert resolved.json()["version"] == 2

    second = step.run(["gate", "apply", "--backoff", "0"], "push", payload, merge)
    assert second.exit_code == 0, second.log
    assert second.outputs["changed"] == "false"
    assert f"| {s.model} | unchanged |" in second.summary

    # ALIGN: governance's audit-history endpoint; the promotion must name the pull request.
    history: Any = s.registry.http().get(
        f"{s.registry.server.url}/api/v1/models/{s.model}/history", timeout=30
    )
    assert history.status_code == 200, history.text
    assert "https://github.com/acme/ml-models/pull/12" in history.text
