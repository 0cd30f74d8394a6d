"""The same scripted client calls against real MLflow and against Podium must look the same.

Each script runs with the stock `mlflow` client against `mlflow server` (from the installed package)
and then against `podium server`; every call's client-visible result (entity fields other than ids
and timestamps, or the exception type and error code) must be equal. A mismatch names the call and
both results. Deliberate deviations are listed in DEVIATIONS with the reason and both expected
answers; they are checked, not skipped.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import mlflow
import pytest
from mlflow import MlflowClient
from mlflow.entities import LoggedModelStatus

from tests.differential.mlflow_recording import Recording

Script = Callable[[Recording, MlflowClient], None]
# Stages are deprecated in the client (it warns on every stage call); they are still MLflow's API.
pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")

# label -> (reason, what MLflow answers, what Podium answers)
DEVIATIONS: dict[str, tuple[str, Any, Any]] = {
    "transition to Archived with archive_existing_versions": (
        "MLflow 3.17.2 fails with an internal error when asked to archive the holders of a "
        "non-active stage; Podium refuses the request as invalid instead (a 4xx, never a 500).",
        {"raised": "MlflowException", "error_code": "INTERNAL_ERROR"},
        {"raised": "RestException", "error_code": "INVALID_PARAMETER_VALUE"},
    ),
}


def registry_script(rec: Recording, client: MlflowClient) -> None:
    c = rec.call
    exp_id = c("create experiment", client.create_experiment, "diff-registry")
    run = client.create_run(exp_id)
    run_id = run.info.run_id
    client.log_param(run_id, "alpha", "0.5")
    client.log_metric(run_id, "rmse", 0.25)
    logged = client.create_logged_model(exp_id, name="clf", source_run_id=run_id, params={"alpha": "0.5"})
    c("finalize logged model", client.finalize_logged_model, logged.model_id, LoggedModelStatus.READY)
    client.set_terminated(run_id)
    source = f"models:/{logged.model_id}"

    c("create model", client.create_registered_model, "diff-model", tags={"team": "ml"}, description="first")
    c("create duplicate model", client.create_registered_model, "diff-model")
    c(
        "v1 from logged model",
        client.create_model_version,
        "diff-model",
        source,
        run_id=run_id,
        model_id=logged.model_id,
    )
    c(
        "v2 from artifact uri",
        client.create_model_version,
        "diff-model",
        logged.artifact_location,
        run_id=run_id,
        model_id=logged.model_id,
    )
    c(
        "v3 from runs:/",
        client.create_model_version,
        "diff-model",
        f"runs:/{run_id}/clf",
        run_id=run_id,
        tags={"k": "v"},
        description="from the run",
    )
    c("v4 register_model (run_id filled in)", mlflow.register_model, source, "diff-model")
    c("logged model after registrations", client.get_logged_model, logged.model_id)
    c("models:/m- source without model_id", client.create_model_version, "diff-model", source, run_id=run_id)
    c(
        "version of a missing model",
        client.create_model_version,
        "no-such-model",
        source,
        model_id=logged.model_id,
    )
    c("get model", client.get_registered_model, "diff-model")
    c("get version", client.get_model_version, "diff-model", "1")

    c("v2 to Staging", client.transition_model_version_stage, "diff-model", "2", "Staging")
    c("v3 to Production", client.transition_model_version_stage, "diff-model", "3", "Production")
    c(
        "v1 to Production, archiving",
        client.transition_model_version_stage,
        "diff-model",
        "1",
        "Production",
        archive_existing_versions=True,
    )
    c("v3 after being archived", client.get_model_version, "diff-model", "3")
    c("invalid stage", client.transition_model_version_stage, "diff-model", "1", "Bogus")
    c(
        "transition to Archived with archive_existing_versions",
        client.transition_model_version_stage,
        "diff-model",
        "2",
        "Archived",
        archive_existing_versions=True,
    )
    c("latest versions", client.get_latest_versions, "diff-model")
    c(
        "latest in Production/Staging",
        client.get_latest_versions,
        "diff-model",
        stages=["Production", "Staging"],
    )

    c("set version tag", client.set_model_version_tag, "diff-model", "1", "validation", "passed")
    c("set version tag (int value)", client.set_model_version_tag, "diff-model", "1", "tmp", 1)
    c("delete version tag", client.delete_model_version_tag, "diff-model", "1", "tmp")
    c("set model tag", client.set_registered_model_tag, "diff-model", "tier", "gold")
    c("delete model tag", client.delete_registered_model_tag, "diff-model", "team")

    c("alias champion", client.set_registered_model_alias, "diff-model", "champion", "1")
    c("alias challenger", client.set_registered_model_alias, "diff-model", "challenger", "2")
    c("move challenger", client.set_registered_model_alias, "diff-model", "challenger", "4")
    c("get by alias", client.get_model_version_by_alias, "diff-model", "champion")
    c("get by unknown alias", client.get_model_version_by_alias, "diff-model", "nope")
    c("alias to a missing version", client.set_registered_model_alias, "diff-model", "ghost", "999")
    c("reserved alias", client.set_registered_model_alias, "diff-model", "latest", "1")
    c("delete unknown alias", client.delete_registered_model_alias, "diff-model", "nope")
    c("model with aliases", client.get_registered_model, "diff-model")
    c("delete alias", client.delete_registered_model_alias, "diff-model", "challenger")

    client.create_registered_model("diff-other")
    c("search models LIKE", client.search_registered_models, "name LIKE 'diff-%'", order_by=["name ASC"])
    c("search models page", client.search_registered_models, max_results=1, order_by=["name DESC"])
    c("search models by tag", client.search_registered_models, "tags.tier = 'gold'")
    c("search models bad filter", client.search_registered_models, "bogus_field = 'x'")
    c("search versions", client.search_model_versions, "name='diff-model'")
    c(
        "search versions by tag",
        client.search_model_versions,
        "name='diff-model' and tags.validation='passed'",
    )
    c(
        "search versions ordered",
        client.search_model_versions,
        "name='diff-model'",
        max_results=2,
        order_by=["version_number ASC"],
    )
    c("search versions bad filter", client.search_model_versions, "colour = 'blue'")

    c("update model", client.update_registered_model, "diff-model", description="second")
    c("update version", client.update_model_version, "diff-model", "1", description="v1 in prod")
    for version in ("1", "2", "3"):
        c(f"download uri v{version}", client.get_model_version_download_uri, "diff-model", version)
    c("missing version", client.get_model_version, "diff-model", "999")
    c("non-numeric version", client.get_model_version, "diff-model", "abc")
    c("missing model", client.get_registered_model, "no-such-model")

    c("rename", client.rename_registered_model, "diff-model", "diff-renamed")
    c("old name after rename", client.get_registered_model, "diff-model")
    c("alias after rename", client.get_model_version_by_alias, "diff-renamed", "champion")
    c("delete version", client.delete_model_version, "diff-renamed", "4")
    c("deleted version", client.get_model_version, "diff-renamed", "4")
    c("versions after delete", client.search_model_versions, "name='diff-renamed'")
    c("delete model", client.delete_registered_model, "diff-renamed")
    c("deleted model", client.get_registered_model, "diff-renamed")


def tracking_script(rec: Recording, client: MlflowClient) -> None:
    c = rec.call
    c("missing experiment by name", client.get_experiment_by_name, "diff-tracking")
    exp_id = mlflow.set_experiment("diff-tracking").experiment_id
    c("experiment by name", client.get_experiment_by_name, "diff-tracking")
    run_ids = []
    for alpha, rmse in (("0.1", 0.9), ("0.5", 0.4), ("1.0", 0.6)):
        with mlflow.start_run() as run:
            mlflow.log_param("alpha", alpha)
            mlflow.log_metric("rmse", rmse)
            mlflow.log_metric("rmse", rmse / 2, step=1)
            mlflow.set_tag("team", "ml" if alpha != "1.0" else "ops")
            run_ids.append(run.info.run_id)
    first = run_ids[0]
    c("get run", client.get_run, first)
    c("metric history", client.get_metric_history, first, "rmse")
    c("search by metric DESC", client.search_runs, [exp_id], order_by=["metrics.rmse DESC"])
    c(
        "search by metric ASC, first",
        client.search_runs,
        [exp_id],
        order_by=["metrics.rmse ASC"],
        max_results=1,
    )
    c("search filter", client.search_runs, [exp_id], "metrics.rmse < 0.4 and params.alpha != '0.1'")
    c("search tags", client.search_runs, [exp_id], "tags.team = 'ops'")
    c("search LIKE", client.search_runs, [exp_id], "params.alpha LIKE '0.%'", order_by=["params.alpha ASC"])
    c("search status", client.search_runs, [exp_id], "attributes.status = 'FINISHED'")
    c("search by run_id IN", client.search_runs, [exp_id], f"attributes.run_id IN ('{first}')")
    c("search bad key", client.search_runs, [exp_id], "attributes.colour = 'red'")
    c("search bad syntax", client.search_runs, [exp_id], "metrics.rmse <")
    c("change a param", client.log_param, first, "alpha", "0.7")
    c("same param again", client.log_param, first, "alpha", "0.1")
    c("delete missing tag", client.delete_tag, first, "nope")
    c("get missing run", client.get_run, "0" * 32)
    c("log to a missing run", client.log_metric, "f" * 32, "m", 1.0)
    c("delete run", client.delete_run, first)
    c("search without deleted", client.search_runs, [exp_id], order_by=["params.alpha ASC"])
    c("log to a deleted run", client.log_metric, first, "m", 1.0)
    c("restore run", client.restore_run, first)
    c("set experiment tag", client.set_experiment_tag, exp_id, "owner", "diff")
    c("search experiments", client.search_experiments, filter_string="name = 'diff-tracking'")
    c("experiment tag filter", client.search_experiments, filter_string="tags.owner = 'diff'")
    c("create duplicate experiment", client.create_experiment, "diff-tracking")
    c("missing experiment", client.get_experiment, "424242")
    c("batch", client.log_batch, run_ids[1], metrics=[], params=[], tags=[])
    c("run after batch", client.get_run, run_ids[1])
    c("delete experiment", client.delete_experiment, exp_id)
    c("deleted experiment", client.get_experiment, exp_id)
    c("run of deleted experiment", client.get_run, run_ids[1])
    c("restore experiment", client.restore_experiment, exp_id)


def _record(url: str, script: Script) -> Recording:
    # The registry URI follows the tracking URI; setting it explicitly would outlive this test (it
    # is process-wide in mlflow) and send later tests' models:/ lookups to a stopped server.
    mlflow.set_tracking_uri(url)
    rec = Recording()
    try:
        script(rec, MlflowClient(tracking_uri=url, registry_uri=url))
    finally:
        mlflow.set_tracking_uri("")
    return rec


@pytest.mark.parametrize("script", [registry_script, tracking_script], ids=["registry", "tracking"])
def test_client_sees_the_same(
    script: Script, mlflow_reference: Any, podium_reference: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The client retries 5xx answers for minutes by default; one answer per call is what we compare.
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    expected = _record(mlflow_reference.url, script)
    actual = _record(podium_reference.url, script)
    assert [label for label, _ in actual.calls] == [label for label, _ in expected.calls]
    mismatches = []
    for (label, theirs), (_, ours) in zip(expected.calls, actual.calls, strict=True):
        if label in DEVIATIONS:
            reason, mlflow_answer, podium_answer = DEVIATIONS[label]
            assert theirs == mlflow_answer, f"{label}: MLflow changed ({reason}); it now answers {theirs}"
            assert ours == podium_answer, f"{label}: Podium answered {ours}, expected {podium_answer}"
            continue
        if theirs != ours:
            mismatches.append(
                f"{label}:\n  mlflow: {json.dumps(theirs, sort_keys=True)}"
                f"\n  podium: {json.dumps(ours, sort_keys=True)}"
            )
    assert not mismatches, "client-visible differences:\n" + "\n".join(mismatches)
