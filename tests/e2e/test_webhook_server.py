"""Webhooks through a real `podium server`: its dispatcher thread (found through the entry point),
the stock mlflow client's webhook calls, and `podium webhooks ...` on the server's database."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from mlflow import MlflowClient
from mlflow.entities.webhook import WebhookEvent, WebhookStatus

from tests.fixtures.receivers import Receiver, verify_delivery
from tests.fixtures.servers import PodiumProcess
from tests.fixtures.webhooks import PROCESS_ENV, wait_until

SERVER_ENV = PROCESS_ENV


@pytest.fixture
def server(tmp_path: Path) -> Iterator[PodiumProcess]:
    process = PodiumProcess(
        home=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'podium.db'}",
        artifacts_uri=str(tmp_path / "artifacts"),
        env=SERVER_ENV,
    ).start()
    yield process
    # SIGKILL: an idle keep-alive connection (the mlflow client keeps one) makes gunicorn's gthread
    # workers wait out the 30 s graceful timeout; this test is not about graceful shutdown.
    process.stop(signal.SIGKILL)


def podium(server: PodiumProcess, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **SERVER_ENV, "PODIUM_DATABASE_URL": server.database_url}
    return subprocess.run(
        [sys.executable, "-m", "registry.cli", "webhooks", *args],
        cwd=server.home,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_stock_mlflow_client_manages_and_tests_webhooks(server: PodiumProcess, receiver: Receiver) -> None:
    client = MlflowClient(tracking_uri=server.url, registry_uri=server.url)
    secret = "secret-from-an-mlflow-user"
    hook = client.create_webhook(
        name="deploy",
        url=receiver.url,
        events=["model_version_alias.created", WebhookEvent.from_str("model_version.created")],
        description="starts the deploy job",
        secret=secret,
    )
    assert hook.status == WebhookStatus.ACTIVE
    assert sorted(str(e) for e in hook.events) == ["model_version.created", "model_version_alias.created"]
    listed = client.list_webhooks()
    assert [w.webhook_id for w in listed] == [hook.webhook_id]
    assert client.get_webhook(hook.webhook_id).description == "starts the deploy job"

    result = client.test_webhook(hook.webhook_id)
    assert result.success and result.response_status == 200
    (ping,) = receiver.wait_for(1)
    payload = verify_delivery(ping, secret)
    assert isinstance(payload, dict)
    assert payload["type"] == "webhook.test" and payload["entity"] == "model_version_alias"

    # A real change through the MLflow-compatible surface would do the same; here the native API.
    base = server.url + "/api/v1"
    requests.post(f"{base}/models", json={"name": "fraud"}, timeout=10).raise_for_status()
    source = "mlflow-artifacts:/1/models/m-" + "5" * 32 + "/artifacts"
    requests.post(f"{base}/models/fraud/versions", json={"source": source}, timeout=10).raise_for_status()
    requests.put(f"{base}/models/fraud/aliases/champion", json={"version": 1}, timeout=10).raise_for_status()
    got = receiver.wait_for(3)
    bodies = [verify_delivery(r, secret) for r in got[1:]]
    assert sorted((b["entity"], b["action"]) for b in bodies) == [  # type: ignore[index]
        ("model_version", "created"),
        ("model_version_alias", "created"),
    ]

    client.update_webhook(hook.webhook_id, status="DISABLED")
    assert client.get_webhook(hook.webhook_id).status == WebhookStatus.DISABLED
    client.delete_webhook(hook.webhook_id)
    assert list(client.list_webhooks()) == []


def test_cli_manages_subscriptions_and_reads_the_log(server: PodiumProcess, receiver: Receiver) -> None:
    made = podium(server, "create", "--url", receiver.url, "--event", "registered_model.*", "--name", "cli")
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip().splitlines()[-1]
    assert secret.startswith("whsec_")
    hook_id = made.stdout.split()[0]
    assert hook_id.startswith("wh_")
    listed = podium(server, "list")
    assert hook_id in listed.stdout and secret not in listed.stdout

    tested = podium(server, "test", hook_id)
    assert tested.returncode == 0, tested.stderr
    assert "status 200" in tested.stdout
    verify_delivery(receiver.wait_for(1)[0], secret)

    requests.post(server.url + "/api/v1/models", json={"name": "m"}, timeout=10).raise_for_status()
    receiver.wait_for(2)

    def logged() -> list[dict[str, object]]:
        out = podium(server, "deliveries", "--webhook", hook_id, "--status", "delivered", "--json")
        return [json.loads(line) for line in out.stdout.splitlines()]

    rows = wait_until(lambda: [r for r in logged() if r["event_type"] == "registered_model.created"])
    assert rows[0]["webhook_id"] == hook_id
    redone = podium(server, "redeliver", str(rows[0]["id"]))
    assert redone.returncode == 0, redone.stderr
    assert receiver.wait_for(3)[2].webhook_id == rows[0]["event_id"]

    bad = podium(server, "create", "--url", "http://169.254.169.254/", "--event", "*")
    assert bad.returncode == 2 and "not a public address" in bad.stderr
    missing_key = subprocess.run(
        [sys.executable, "-m", "registry.cli", "webhooks", "create", "--url", receiver.url, "--event", "*"],
        cwd=server.home,
        env={**os.environ, **SERVER_ENV, "PODIUM_DATABASE_URL": server.database_url, "PODIUM_SECRET_KEY": ""},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert missing_key.returncode == 2 and "PODIUM_SECRET_KEY" in missing_key.stderr
    assert podium(server, "delete", hook_id).returncode == 0
