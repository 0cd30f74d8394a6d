"""`podium promote` against a real `podium server` with authentication on, as people would use it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.fixtures.databases import PostgresDatabases, require_postgres
from tests.fixtures.servers import PodiumProcess

SRC = "mlflow-artifacts:/1/models/m-" + "3" * 32 + "/artifacts"


class Podium:
    """A secured server plus helpers to run `podium` as a given person."""

    def __init__(self, server: PodiumProcess) -> None:
        self.server = server
        self.secrets: dict[str, str] = {}

    def run(
        self, *args: str, token: str | None = None, url: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "PODIUM_URL": url or self.server.url,
            "PODIUM_DATABASE_URL": self.server.database_url,
            "COLUMNS": "220",  # rich wraps tables to the terminal width; keep rows on one line
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

    def ok(self, *args: str, token: str) -> str:
        done = self.run(*args, token=token)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done.stdout

    def token(self, name: str, role: str) -> None:
        done = self.run("tokens", "create", "--name", name, "--role", role)
        assert done.returncode == 0, done.stderr
        self.secrets[name] = done.stdout.strip().splitlines()[-1]

    def http(self, name: str) -> requests.Session:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self.secrets[name]}"
        return session


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def podium(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_databases: PostgresDatabases
) -> Iterator[Podium]:
    if request.param == "postgres":
        require_postgres()
        url = postgres_databases.create()
    else:
        url = f"sqlite:///{tmp_path / 'podium.db'}"
    server = PodiumProcess(
        home=tmp_path, database_url=url, artifacts_uri=str(tmp_path / "artifacts"), env={"PODIUM_AUTH": "on"}
    ).start()
    try:
        yield Podium(server)
    finally:
        server.stop()


def test_promotion_workflow_from_the_command_line(podium: Podium) -> None:
    for name, role in (("ada", "admin"), ("carl", "contributor"), ("rita", "reviewer")):
        podium.token(name, role)
    api = podium.server.url + "/api/v1"
    carl = podium.http("carl")
    assert carl.post(f"{api}/models", json={"name": "fraud"}).status_code == 201
    for score in ("0.50", "0.38", "0.495"):
        version = carl.post(f"{api}/models/fraud/versions", json={"source": SRC}).json()["version"]
        tag = f"{api}/models/fraud/versions/{version}/tags/podium.metric.r2_score"
        assert carl.put(tag, json={"value": score}).status_code == 200

    # An admin protects @champion: 1 approval, r2_score >= 0.4, no worse than the champion by 0.01.
    out = podium.ok(
        "promote", "policy", "set", "fraud", "--protect", "alias:champion", "--approvals", "1",
        "--rule", "r2_score >= 0.4", "--rule", "r2_score >= current - 0.01", token="ada",
    )  # fmt: skip
    assert "alias:champion" in out
    assert "r2_score >= current - 0.01" in out

    # A direct move is refused with directions.
    refused = carl.put(f"{api}/models/fraud/aliases/champion", json={"version": 1})
    assert refused.status_code == 403
    assert "podium promote request 'fraud' 1 --target alias:champion" in refused.json()["message"]

    out = podium.ok(
        "promote", "request", "fraud", "1", "--target", "alias:champion", "-m", "first", token="carl"
    )
    assert "Promotion request 1: fraud v1 → alias:champion: pending (0 of 1 required approvals)" in out
    assert "podium promote approve 1" in out
    denied = podium.run("promote", "approve", "1", token="carl")
    assert denied.returncode == 1
    assert "reviewer" in denied.stderr
    assert "Traceback" not in denied.stderr
    assert "applied" in podium.ok("promote", "approve", "1", "-m", "ok", token="rita").splitlines()[0]

    out = podium.ok("promote", "request", "fraud", "2", "--target", "@champion", token="carl")
    out = podium.ok("promote", "approve", "2", token="rita")
    assert (
        "Promotion request 2: fraud v2 → alias:champion: pending (metric rule r2_score >= 0.4 failed" in out
    )
    assert "FAIL" in out
    not_ready = podium.run("promote", "apply", "2", token="carl")
    assert (not_ready.returncode, "cannot be applied yet" in not_ready.stderr) == (1, True)

    podium.ok(
        "promote", "request", "fraud", "3", "--target", "alias:champion", "-m", "retrained", token="carl"
    )
    out = podium.ok("promote", "approve", "3", "-m", "metrics hold", token="rita")
    assert out.splitlines()[0] == "Promotion request 3: fraud v3 → alias:champion: applied"
    assert "0.495 >= 0.49 (current 0.5 - 0.01) passes" in out
    assert carl.get(f"{api}/models/fraud/aliases/champion").json()["version"] == 3

    listed = podium.ok("promote", "status", "--model", "fraud", token="carl")
    assert "pending" in listed
    assert len([line for line in listed.splitlines() if "alias:champion" in line]) == 1  # only #2

    out = podium.ok("promote", "history", "fraud", "--target", "alias:champion", token="carl")
    assert "alias:champion of fraud was version 3" in out
    assert "set by rita via promotion request 3; approved by rita" in out
    out = podium.ok("promote", "history", "fraud", token="carl")
    assert "promotion_request.applied" in out
    assert 'v3 → alias:champion (was v1): "retrained"' in out
    events = json.loads(podium.ok("promote", "history", "fraud", "--json", token="carl"))["events"]
    applied = [e for e in events if e["action"] == "promotion_request.applied"]
    assert [(e["actor"], e["version"], e["data"]["comment"]) for e in applied] == [
        ("rita", 3, "retrained"),
        ("rita", 1, "first"),
    ]

    out = podium.ok(
        "promote", "force", "fraud", "1", "--target", "alias:champion", "--reason", "rollback", token="ada"
    )
    assert "Forced alias:champion of fraud to version 1 (was 3); reason recorded: rollback" in out
    refused_force = podium.run(
        "promote", "force", "fraud", "2", "--target", "@champion", "--reason", "x", token="rita"
    )
    assert refused_force.returncode == 1
    out = podium.ok("promote", "history", "fraud", "--action", "protected_target.force_moved", token="carl")
    assert "rollback" in out


def test_the_command_line_explains_failures(podium: Podium) -> None:
    podium.token("carl", "contributor")
    anonymous = podium.run("promote", "status")
    assert anonymous.returncode == 1
    assert "Authentication required" in anonymous.stderr
    unreachable = podium.run("promote", "status", token="carl", url="http://127.0.0.1:9")
    assert unreachable.returncode == 1
    assert "Cannot reach Podium at http://127.0.0.1:9" in unreachable.stderr
    bad = podium.run("promote", "request", "fraud", "1", "--target", "champion", token="carl")
    assert bad.returncode == 1
    assert "Invalid target 'champion'" in bad.stderr
    usage = podium.run("promote", "force", "fraud", "--target", "@champion", "--reason", "x", token="carl")
    assert usage.returncode == 2
    assert "--remove" in usage.stderr
