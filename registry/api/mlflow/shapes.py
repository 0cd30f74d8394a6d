"""Entities as the MLflow client expects them on the wire (reference: mlflow-wire.md §4).

Key order is MLflow's. Unset or empty fields are left out, except the few the client always gets:
a model version's `description` and `run_link`, a run's `inputs` (and `outputs` outside
`runs/create`), a logged model's `model_type`.
"""

from __future__ import annotations

from typing import Any

from registry.api.mlflow.wire import number
from registry.domain.entities import ModelVersion, RegisteredModel
from registry.domain.tracking import Experiment, LoggedModel, Metric, Run, RunInfo
from registry.services.stage_order import in_stage_order
from registry.storage.base import FileInfo


def _pairs(items: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in items.items()]


def experiment(e: Experiment) -> dict[str, Any]:
    out: dict[str, Any] = {
        "experiment_id": e.experiment_id,
        "name": e.name,
        "artifact_location": e.artifact_location,
        "lifecycle_stage": e.lifecycle_stage,
        "last_update_time": e.last_update_time,
        "creation_time": e.creation_time,
        "workspace": "default",
    }
    if e.tags:
        out["tags"] = _pairs(e.tags)
    return out


def metric(m: Metric, *, with_origin: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"key": m.key, "value": number(m.value), "timestamp": m.timestamp, "step": m.step}
    if with_origin:
        if m.model_id:
            out["model_id"] = m.model_id
        if m.run_id:
            out["run_id"] = m.run_id
    return out


def run_info(i: RunInfo) -> dict[str, Any]:
    out: dict[str, Any] = {
        "run_uuid": i.run_id,
        "experiment_id": i.experiment_id,
        "run_name": i.run_name,
        "user_id": i.user_id,
        "status": i.status,
        "start_time": i.start_time,
    }
    if i.end_time is not None:
        out["end_time"] = i.end_time
    out["artifact_uri"] = i.artifact_uri
    out["lifecycle_stage"] = i.lifecycle_stage
    out["run_id"] = i.run_id
    return out


def run(r: Run, *, with_outputs: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if r.metrics:
        data["metrics"] = [metric(m) for m in r.metrics]
    if r.params:
        data["params"] = _pairs(r.params)
    if r.tags:
        data["tags"] = _pairs(r.tags)
    out: dict[str, Any] = {"info": run_info(r.info), "data": data, "inputs": {}}
    if with_outputs:
        out["outputs"] = (
            {"model_outputs": [{"model_id": o.model_id, "step": o.step} for o in r.outputs]}
            if r.outputs
            else {}
        )
    return out


def logged_model(m: LoggedModel) -> dict[str, Any]:
    info: dict[str, Any] = {
        "model_id": m.model_id,
        "experiment_id": m.experiment_id,
        "name": m.name,
        "creation_timestamp_ms": m.creation_timestamp,
        "last_updated_timestamp_ms": m.last_updated_timestamp,
        "artifact_uri": m.artifact_uri,
        "status": m.status,
        "model_type": m.model_type,
    }
    if m.source_run_id:
        info["source_run_id"] = m.source_run_id
    if m.tags:
        info["tags"] = _pairs(m.tags)
    data: dict[str, Any] = {}
    if m.params:
        data["params"] = _pairs(m.params)
    if m.metrics:
        data["metrics"] = [metric(x, with_origin=True) for x in m.metrics]
    return {"info": info, "data": data}


def model_version(mv: ModelVersion, *, with_aliases: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": mv.name,
        "version": str(mv.version),
        "creation_timestamp": mv.creation_timestamp,
        "last_updated_timestamp": mv.last_updated_timestamp,
        "current_stage": mv.current_stage.value,
        "description": mv.description,
        "source": mv.source,
    }
    if mv.run_id:
        out["run_id"] = mv.run_id
    out["status"] = mv.status
    if mv.tags:
        out["tags"] = _pairs(mv.tags)
    out["run_link"] = ""
    if with_aliases and mv.aliases:
        out["aliases"] = list(mv.aliases)
    return out


def registered_model(rm: RegisteredModel, stage_order: list[str] | None = None) -> dict[str, Any]:
    """`stage_order` orders `latest_versions` (see services.stage_order); None: by stage name."""
    out: dict[str, Any] = {
        "name": rm.name,
        "creation_timestamp": rm.creation_timestamp,
        "last_updated_timestamp": rm.last_updated_timestamp,
    }
    if rm.description:
        out["description"] = rm.description
    if rm.latest_versions:
        latest = in_stage_order(rm.latest_versions, stage_order)
        out["latest_versions"] = [model_version(v, with_aliases=False) for v in latest]
    if rm.tags:
        out["tags"] = _pairs(rm.tags)
    if rm.aliases:
        out["aliases"] = [{"alias": a, "version": str(v)} for a, v in rm.aliases.items()]
    return out


def file_info(f: FileInfo) -> dict[str, Any]:
    out: dict[str, Any] = {"path": f.path, "is_dir": f.is_dir}
    if f.file_size is not None:
        out["file_size"] = f.file_size
    return out
