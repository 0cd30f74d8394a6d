"""Structural rules for the shipped workflows, composite action and GitOps example.

The linters (`make lint-workflows`: actionlint, check-jsonschema, zizmor) check syntax and known
security patterns; these tests pin down Podium's own rules on top: least privilege, pinned actions,
no untrusted text in scripts, the trust boundary of the gate, and apply's concurrency.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from ci.desired_state import parse_desired_state
from ci.policy import parse_policy

ROOT = Path(__file__).resolve().parents[2]
REUSABLE = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
EXAMPLE = ROOT / "examples" / "gitops"
CALLERS = sorted((EXAMPLE / ".github" / "workflows").glob("*.yml"))
ALL = REUSABLE + CALLERS
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")


def load(path: Path) -> Any:
    # YAML 1.2: the key `on` stays the string "on" (PyYAML's YAML 1.1 would make it True).
    return YAML(typ="safe", pure=True).load(path.read_text())


def steps(document: Any) -> list[dict[str, Any]]:
    if "runs" in document:
        return list(document["runs"].get("steps", []))
    return [step for job in document["jobs"].values() for step in job.get("steps", [])]


def test_the_files_exist() -> None:
    assert [p.name for p in REUSABLE] == ["ci.yml", "deploy.yml", "promotion-apply.yml", "promotion-gate.yml"]
    assert [p.name for p in CALLERS] == [
        "batch-predict.yml",
        "deploy.yml",
        "promotion-apply.yml",
        "promotion-gate.yml",
    ]


@pytest.mark.parametrize("path", ALL, ids=lambda p: str(p.relative_to(ROOT)))
def test_least_privilege_and_no_pull_request_target(path: Path) -> None:
    workflow = load(path)
    assert "pull_request_target" not in workflow["on"]
    assert workflow["permissions"] == {}, "top-level permissions must be empty; jobs ask for theirs"
    for name, job in workflow["jobs"].items():
        assert "permissions" in job, f"job {name} must declare its permissions"
        assert "write-all" not in str(job["permissions"])


@pytest.mark.parametrize("path", [*ALL, ROOT / "ci" / "action.yml"], ids=lambda p: str(p.relative_to(ROOT)))
def test_actions_are_pinned_with_a_version_comment(path: Path) -> None:
    lines = path.read_text().splitlines()
    uses = [
        line.split("uses:", 1)[1].strip() for line in lines if line.strip().startswith(("uses:", "- uses:"))
    ]
    assert uses
    for use in uses:
        ref, _, comment = use.partition("#")
        if ref.strip().startswith("./"):
            continue
        assert PINNED.match(ref.strip()), f"{use!r} is not pinned to a full commit SHA"
        assert comment.strip(), f"{use!r} needs a comment naming its version"


@pytest.mark.parametrize("path", [*REUSABLE, ROOT / "ci" / "action.yml"], ids=lambda p: p.name)
def test_scripts_take_no_expressions_and_checkouts_keep_no_credentials(path: Path) -> None:
    document = load(path)
    for step in steps(document):
        if "run" in step:
            # Untrusted text (titles, branch names, inputs) reaches scripts only through env:.
            assert "${{" not in step["run"], f"expression inside run: {step['run']!r}"
        if str(step.get("uses", "")).startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False


def test_the_gate_runs_the_base_commits_code_on_the_right_events() -> None:
    gate = load(ROOT / ".github" / "workflows" / "promotion-gate.yml")
    assert list(gate["on"]) == ["workflow_call"]
    job = gate["jobs"]["gate"]
    assert job["permissions"] == {"contents": "read", "pull-requests": "write", "statuses": "write"}
    assert job["concurrency"]["cancel-in-progress"] is True
    checkout = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/checkout@"))
    assert checkout["with"]["ref"] == "${{ github.event.pull_request.base.sha }}"
    fork_check = job["steps"][0]
    assert "head.repo.full_name != github.repository" in fork_check["if"]
    assert "exit 1" in fork_check["run"]  # fails, never skips
    caller = load(EXAMPLE / ".github" / "workflows" / "promotion-gate.yml")
    assert caller["on"]["pull_request"] == {
        "types": ["opened", "synchronize", "reopened", "ready_for_review"]
    }
    assert caller["on"]["pull_request_review"] == {"types": ["submitted", "dismissed"]}


def test_apply_is_one_uncancellable_group_in_the_production_environment() -> None:
    apply = load(ROOT / ".github" / "workflows" / "promotion-apply.yml")["jobs"]["apply"]
    assert apply["environment"] == "production"
    assert apply["concurrency"] == {"group": "promotion-apply", "cancel-in-progress": False}
    checkout = next(s for s in apply["steps"] if str(s.get("uses", "")).startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0
    caller = load(EXAMPLE / ".github" / "workflows" / "promotion-apply.yml")
    assert caller["on"]["push"] == {"branches": ["main"], "paths": ["promotions/**"]}
    assert caller["on"]["workflow_dispatch"]["inputs"]["dry_run"]["type"] == "boolean"
    assert caller["jobs"]["deploy"]["if"] == "needs.apply.outputs.changed == 'true'"


def test_deploy_resolves_the_alias_once_then_uses_the_version() -> None:
    deploy = load(ROOT / ".github" / "workflows" / "deploy.yml")["jobs"]["deploy"]
    runs = [s["run"] for s in deploy["steps"] if "run" in s]
    assert any('podium gate resolve "models:/${MODEL}@${ALIAS}"' in r for r in runs)
    # `podium fetch MODEL_URI -o DIR` (the downstream branch's command): the pinned version, verified.
    assert any(r.strip() == 'podium fetch "models:/${MODEL}/${VERSION}" -o model/' for r in runs)
    assert deploy["concurrency"]["cancel-in-progress"] is False
    batch = load(EXAMPLE / ".github" / "workflows" / "batch-predict.yml")
    assert "schedule" in batch["on"]


def test_the_projects_ci_runs_the_suite_with_postgresql() -> None:
    ci = load(ROOT / ".github" / "workflows" / "ci.yml")["jobs"]["test"]
    assert ci["services"]["postgres"]["image"].startswith("postgres:")
    assert any(s.get("run") == "bash .ci/run" for s in ci["steps"])


def test_the_composite_action() -> None:
    action = load(ROOT / "ci" / "action.yml")
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) >= {"command", "podium-url", "podium-token", "github-token", "dry-run"}


def test_the_example_files_are_valid_for_the_gate() -> None:
    path = "promotions/house-prices.yaml"
    state = parse_desired_state((EXAMPLE / path).read_text(), path)
    assert state.model == "house-prices"
    policy = parse_policy((EXAMPLE / ".github" / "promotion-policy.yaml").read_text())
    assert [m.metric for m in policy.for_model("house-prices").metrics] == ["r2", "rmse"]
    for script in ("deploy.sh", "batch_predict.sh"):
        assert os.access(EXAMPLE / script, os.X_OK), f"{script} must be executable"
    assert "/promotions/" in (EXAMPLE / ".github" / "CODEOWNERS").read_text()
