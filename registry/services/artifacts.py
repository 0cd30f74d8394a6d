"""Artifacts addressed by `mlflow-artifacts:/<path>` (paths relative to the store's root).

Used by the MLflow artifact proxy and by anything else that shows a run's or a model's files (the
UI): list a folder, open a file to stream it, store an upload, delete. Every path goes through the
store's own `safe_path` check; nothing here reads a whole file into memory.
"""

from __future__ import annotations

import mimetypes
from typing import BinaryIO

from registry.db.repositories.tracking import tracking
from registry.db.uow import UnitOfWork
from registry.domain.errors import NotFound
from registry.domain.tracking import logged_model_artifact_path, run_artifact_path
from registry.storage.base import ArtifactStore, FileInfo, ReadableStream, StoredObject
from registry.storage.paths import join_path, safe_path

# What MLflow sends for files without a known extension (MLmodel, model.skops).
DEFAULT_CONTENT_TYPE = "application/octet-stream"
_TEXT_NAMES = {"MLmodel": "text/plain", "requirements.txt": "text/plain"}


def list_artifacts(store: ArtifactStore, path: str = "") -> list[FileInfo]:
    """Immediate children of folder `path` ("" for the root), sorted by name; [] when missing."""
    return store.list(safe_path(path, allow_root=True))


def open_artifact(store: ArtifactStore, path: str, offset: int = 0) -> tuple[BinaryIO, FileInfo]:
    """Open a file for streaming; raises NotFound (MLflow's message) if it is not a file."""
    info = store.stat(path)
    if info is None or info.is_dir:
        raise NotFound(f"No such artifact: '{path}'")
    return store.open(path, offset), info


def upload_artifact(store: ArtifactStore, path: str, stream: ReadableStream) -> StoredObject:
    """Store `stream` at `path`, streaming it to the store (replacing an existing file)."""
    return store.put(path, stream)


def delete_artifact(store: ArtifactStore, path: str) -> None:
    store.delete(path)


def content_type(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    if name in _TEXT_NAMES:
        return _TEXT_NAMES[name]
    guessed, _ = mimetypes.guess_type(name)
    return guessed or DEFAULT_CONTENT_TYPE


def _run_folder(uow: UnitOfWork, run_id: str) -> str:
    """Where a run's own artifacts live in the store (NotFound for an unknown run)."""
    with uow.reading():
        run = tracking(uow).runs.get(run_id)
        return run_artifact_path(str(run.experiment_id), run.run_uuid)


def run_artifacts(uow: UnitOfWork, store: ArtifactStore, run_id: str, path: str = "") -> list[FileInfo]:
    """The files a run logged (its own folder, not its logged models'), below `path`."""
    base = _run_folder(uow, run_id)
    return list_artifacts(store, join_path(base, safe_path(path, allow_root=True)))


def run_artifact_info(uow: UnitOfWork, store: ArtifactStore, run_id: str, path: str) -> FileInfo | None:
    """What `path` (relative to the run's artifact folder) is: a file, a folder, or None."""
    base = _run_folder(uow, run_id)
    return store.stat(join_path(base, safe_path(path, allow_root=True)))


def open_run_artifact(
    uow: UnitOfWork, store: ArtifactStore, run_id: str, path: str
) -> tuple[BinaryIO, FileInfo]:
    """Open one of a run's files (`path` relative to its artifact folder) for streaming."""
    base = _run_folder(uow, run_id)
    return open_artifact(store, join_path(base, safe_path(path)))


def logged_model_artifacts(
    uow: UnitOfWork, store: ArtifactStore, model_id: str, path: str = ""
) -> list[FileInfo]:
    """The files of a logged model, below `path`."""
    with uow.reading():
        model = tracking(uow).logged_models.get(model_id)
        base = logged_model_artifact_path(str(model.experiment_id), model.model_id)
    return list_artifacts(store, join_path(base, safe_path(path, allow_root=True)))
