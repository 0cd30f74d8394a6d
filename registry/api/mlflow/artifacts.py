"""The artifact proxy, /api/2.0/mlflow-artifacts/artifacts[/<path>]: upload, list, download, delete.

Paths are relative to the server's artifact store (the client maps `mlflow-artifacts:/<path>` here).
Uploads stream the raw request body into the store and downloads stream from it; neither holds a
whole file in memory. Every path is checked by the store (`safe_path`) before anything is touched.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from flask import Blueprint, Response, request

from registry.api.auth import requires
from registry.api.context import runtime
from registry.api.mlflow import shapes
from registry.api.mlflow.wire import args, ok
from registry.domain.identity import Role
from registry.services import artifacts

bp = Blueprint("mlflow_artifacts", __name__, url_prefix="/api/2.0/mlflow-artifacts")
CHUNK = 256 * 1024


@bp.get("/artifacts")
@requires(Role.READER)
def list_files() -> Response:
    files = artifacts.list_artifacts(runtime().store, args().string("path") or "")
    # An empty or missing folder is `{}`: the client's runs:/ fallback depends on it.
    return ok({"files": [shapes.file_info(f) for f in files]} if files else {})


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    with stream:
        while chunk := stream.read(CHUNK):
            yield chunk


@bp.get("/artifacts/<path:artifact_path>")
@requires(Role.READER)
def download(artifact_path: str) -> Response:
    stream, info = artifacts.open_artifact(runtime().store, artifact_path)
    response = Response(_chunks(stream), status=200, mimetype=artifacts.content_type(artifact_path))
    if info.file_size is not None:
        response.content_length = info.file_size
    name = artifact_path.rsplit("/", 1)[-1]
    response.headers.set("Content-Disposition", "attachment", filename=name)
    return response


@bp.put("/artifacts/<path:artifact_path>")
@requires(Role.CONTRIBUTOR)
def upload(artifact_path: str) -> Response:
    artifacts.upload_artifact(runtime().store, artifact_path, request.stream)
    # MLflow answers uploads with an empty 200 body.
    return Response(b"", status=200)


@bp.delete("/artifacts/<path:artifact_path>")
@requires(Role.CONTRIBUTOR)
def delete(artifact_path: str) -> Response:
    artifacts.delete_artifact(runtime().store, artifact_path)
    return ok()
