"""Where a model version comes from: its source checked against the tracking tables, the link back
to its logged model, and the URI a client downloads it from.

`check_source` and `link_version` run inside the registering transaction (the caller's unit of
work); `get_download_uri` is a use case of its own.
"""

from __future__ import annotations

from registry.db.repositories.tracking import tracking
from registry.db.uow import UnitOfWork
from registry.domain.names import parse_version, validate_model_name
from registry.domain.sources import Source, parse_source
from registry.domain.tracking import artifact_uri, logged_model_artifact_path, run_artifact_path
from registry.services.logged_models import append_model_version


def check_source(uow: UnitOfWork, source: Source, run_id: str | None, model_id: str | None) -> str | None:
    """Refuse sources naming runs or logged models that do not exist; returns the version's run id.

    When only `model_id` is given, the run is the one that produced the logged model (MLflow fills
    `run_id` the same way).
    """
    repos = tracking(uow)
    if model_id is not None:
        logged = repos.logged_models.get(model_id)
        if run_id is None:
            run_id = logged.source_run_id
    if source.kind == "run" and source.run_id is not None:
        repos.runs.get(source.run_id)
    return run_id


def link_version(uow: UnitOfWork, model_id: str | None, name: str, version: int) -> None:
    """Record the new version on its logged model's `mlflow.modelVersions` tag."""
    if model_id is not None:
        append_model_version(tracking(uow), model_id, name, version)


def store_path(uow: UnitOfWork, source: str, model_id: str | None = None) -> str | None:
    """The folder inside the artifact store that holds a version's files (inside a transaction).

    None for a `runs:/` source whose run is gone.
    """
    return source_root(uow, parse_source(source, model_id))


def source_root(uow: UnitOfWork, parsed: Source) -> str | None:
    """As `store_path`, for a source already parsed."""
    repos = tracking(uow)
    if parsed.kind == "logged_model" and parsed.logged_model_id is not None:
        logged = repos.logged_models.get(parsed.logged_model_id)
        return logged_model_artifact_path(str(logged.experiment_id), logged.model_id)
    if parsed.kind == "run" and parsed.run_id is not None:
        run = repos.runs.find(parsed.run_id)
        if run is None:
            return None
        base = run_artifact_path(str(run.experiment_id), run.run_uuid)
        return f"{base}/{parsed.path}" if parsed.path else base
    return parsed.path


def get_download_uri(uow: UnitOfWork, name: str, version: object) -> str:
    """Where the client fetches a version's files: a logged model's artifact URI for
    `models:/m-<id>` sources, the source itself otherwise (as MLflow answers)."""
    name = validate_model_name(name)
    number = parse_version(version)
    with uow.reading():
        model = uow.models.get(name)
        row = uow.versions.get(model, number)
        if row.source.startswith("models:/m-"):
            logged = tracking(uow).logged_models.find(row.source[len("models:/") :].rstrip("/"))
            if logged is not None:
                return artifact_uri(logged_model_artifact_path(str(logged.experiment_id), logged.model_id))
        return row.source
