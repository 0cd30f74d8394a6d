"""Governance as a data scientist meets it: the stock mlflow client against a secured `podium server`.

Runs and their metrics are logged by the client, so the metric gate reads real runs (the version's
source run), and direct moves of protected targets from the client are refused with MLflow's
PERMISSION_DENIED and a message that says what to do instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_promote_cli import Podium
from tests.fixtures.servers import PodiumProcess

MODEL = "diabetes-forest"


@pytest.fixture
def secured(tmp_path: Path) -> Iterator[Podium]:
    server = PodiumProcess(
        home=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'podium.db'}",
        artifacts_uri=str(tmp_path / "artifacts"),
        env={"PODIUM_AUTH": "on"},
    ).start()
    podium = Podium(server)
    for name, role in (("ada", "admin"), ("carl", "contributor"), ("vera", "reviewer")):
        podium.token(name, role)
    try:
        yield podium
    finally:
        server.stop()


def test_protected_targets_with_the_stock_client(secured: Podium, monkeypatch: pytest.MonkeyPatch) -> None:
    import mlflow
    import mlflow.sklearn
    import numpy as np
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException
    from sklearn.linear_model import LinearRegression

    url = secured.server.url
    monkeypatch.setenv("MLFLOW_TRACKING_URI", url)
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", secured.secrets["carl"])
    mlflow.set_tracking_uri(url)
    mlflow.set_experiment("governed")
    x = np.arange(20, dtype=float).reshape(10, 2)
    model = LinearRegression().fit(x, x.sum(axis=1))
    # Three candidates, as a sweep would produce them: r2 too low, good, and NaN.
    for r2 in (0.30, 0.50, float("nan")):
        with mlflow.start_run():
            mlflow.log_metric("r2_score", r2)
            mlflow.sklearn.log_model(
                model, name="model", serialization_format="cloudpickle", registered_model_name=MODEL
            )
    client = MlflowClient()
    assert [v.version for v in client.search_model_versions(f"name='{MODEL}'")] == ["3", "2", "1"]

    admin = secured.http("ada")
    r = admin.put(
        f"{url}/api/v1/models/{MODEL}/policy",
        json={
            "protected": ["alias:champion", "stage:Production"],
            "required_approvals": 1,
            "rules": ["r2_score >= 0.4", "r2_score >= current - 0.01"],
        },
    )
    assert r.status_code == 200, r.text

    # Direct moves from the client are refused, with the way forward in the message.
    for attempt in (
        lambda: client.set_registered_model_alias(MODEL, "champion", "2"),
        lambda: client.transition_model_version_stage(MODEL, "2", "Production"),
        lambda: client.transition_model_version_stage(
            MODEL, "2", "Production", archive_existing_versions=True
        ),
    ):
        with pytest.raises(MlflowException) as refused:
            attempt()
        assert refused.value.error_code == "PERMISSION_DENIED"
        assert "podium promote request" in refused.value.message
    # Deleting a protected alias that is not set is still the no-op MLflow answers with 200.
    client.delete_registered_model_alias(MODEL, "champion")
    # Unprotected targets move as before.
    client.set_registered_model_alias(MODEL, "challenger", "2")
    assert client.get_model_version_by_alias(MODEL, "challenger").version == "2"
    assert client.get_model_version(MODEL, "2").current_stage == "None"

    # The gate reads each version's metrics from the run that produced it.
    carl = secured.http("carl")
    metrics = carl.get(f"{url}/api/v1/models/{MODEL}/versions/1/metrics").json()
    run_1 = client.get_model_version(MODEL, "1").run_id
    assert metrics["metrics"] == {"r2_score": 0.3}
    assert run_1 in metrics["source"]
    assert carl.get(f"{url}/api/v1/models/{MODEL}/versions/3/metrics").json()["metrics"] == {
        "r2_score": "NaN"
    }

    vera = secured.http("vera")

    def request_and_approve(version: int) -> dict[str, object]:
        created = carl.post(
            f"{url}/api/v1/promotions",
            json={"model": MODEL, "version": version, "target": "alias:champion", "comment": "sweep"},
        )
        assert created.status_code == 201, created.text
        request_id = created.json()["id"]
        approved = vera.post(f"{url}/api/v1/promotions/{request_id}/approve", json={"comment": "ok"})
        assert approved.status_code == 200, approved.text
        return dict(approved.json())

    too_low = request_and_approve(1)
    assert too_low["status"] == "pending"
    failed = [rule for rule in too_low["evaluation"]["rules"] if not rule["passed"]]  # type: ignore[index]
    assert [rule["rule"] for rule in failed] == ["r2_score >= 0.4"]
    with pytest.raises(MlflowException):
        client.get_model_version_by_alias(MODEL, "champion")

    good = request_and_approve(2)
    assert good["status"] == "applied"
    assert client.get_model_version_by_alias(MODEL, "champion").version == "2"

    nan = request_and_approve(3)
    assert nan["status"] == "pending"
    reasons = " ".join(str(rule["reason"]) for rule in nan["evaluation"]["rules"])  # type: ignore[index]
    assert "r2_score of the candidate is nan (not a finite number)" in reasons
    assert client.get_model_version_by_alias(MODEL, "champion").version == "2"

    # History says who moved @champion, when, and under which approved request.
    history = json.loads(secured.ok("promote", "history", MODEL, "--json", token="carl"))
    moves = [e for e in history["events"] if e["action"] == "model_version_alias.set"]
    champion = [e for e in moves if e["after"] == {"alias": "champion", "version": 2}]
    assert len(champion) == 1
    assert champion[0]["promotion_request_id"] == good["id"]
