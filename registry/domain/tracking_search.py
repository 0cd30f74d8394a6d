"""What the tracking searches accept, in MLflow's grammar (parsed by `registry.domain.search`)."""

from __future__ import annotations

from registry.domain.search import FilterRules

RUN_FILTER = FilterRules(
    entity="run",
    attributes={
        "run_id": "string",
        "run_name": "string",
        "user_id": "string",
        "status": "string",
        "artifact_uri": "string",
        "start_time": "number",
        "end_time": "number",
    },
    kinds=frozenset({"tag", "metric", "param"}),
    list_keys=frozenset({"run_id"}),
    aliases={
        "created": "start_time",
        "Created": "start_time",
        "run name": "run_name",
        "Run name": "run_name",
        "Run Name": "run_name",
        "run_uuid": "run_id",
    },
    order_by=frozenset({"run_id", "run_name", "user_id", "status", "artifact_uri", "start_time", "end_time"}),
)

EXPERIMENT_FILTER = FilterRules(
    entity="experiment",
    attributes={
        "name": "string",
        "experiment_id": "string",
        "creation_time": "number",
        "last_update_time": "number",
    },
    kinds=frozenset({"tag"}),
    list_keys=frozenset({"experiment_id"}),
    order_by=frozenset({"name", "experiment_id", "creation_time", "last_update_time"}),
)

LOGGED_MODEL_FILTER = FilterRules(
    entity="logged model",
    attributes={
        "name": "string",
        "model_id": "string",
        "model_type": "string",
        "status": "string",
        "source_run_id": "string",
        "creation_timestamp": "number",
        "last_updated_timestamp": "number",
    },
    kinds=frozenset({"tag", "metric", "param"}),
    list_keys=frozenset({"model_id", "source_run_id", "name"}),
    aliases={"creation_time": "creation_timestamp", "last_updated_time": "last_updated_timestamp"},
    order_by=frozenset(
        {
            "name",
            "model_id",
            "model_type",
            "status",
            "source_run_id",
            "creation_timestamp",
            "last_updated_timestamp",
        }
    ),
)
