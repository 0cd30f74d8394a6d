"""A run's page (params, metrics, tags, artifacts, the models made from it) and its artifact files.

The artifact browser navigates with `?path=<folder or file>`, relative to the run's artifact
folder. Every path goes through the central check (`registry.storage.paths.safe_path`, called by
the artifact services and again by the store), so `..`, absolute paths and encoded separators are
refused with a 400 page before storage is touched.

Files are shown so that nothing a run uploaded can run in Podium's origin: images (PNG, JPEG, GIF,
WebP; never SVG, which is a script-capable document) are served inline with their content type and
`X-Content-Type-Options: nosniff`; text is previewed as escaped text, bounded; everything else,
HTML included, is only ever a download (`Content-Disposition: attachment`), and every artifact
response carries a sandboxing Content-Security-Policy as a second line of defence.

Queries: the run page costs a fixed number whatever the run holds: 15 (the run with its params,
tags, latest metrics and outputs: 5; its experiment: 2; the artifact folder's run: 1; the logged
models made by the run: 4; the versions registered from it: 3), plus 2 when a file is opened (its
kind, then its first bytes for a text preview); asserted by tests/integration/test_ui_runs.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

from flask import Blueprint, Response, render_template, request, url_for

from registry.api.auth import requires
from registry.api.context import runtime, uow
from registry.domain.errors import NotFound
from registry.domain.identity import Role
from registry.services import artifacts, experiments, logged_models, runs, versions
from registry.storage.paths import join_path, safe_path

blp = Blueprint("runs", __name__)

Rendered = tuple[str, int]

# Images a browser shows without running anything. SVG is left out on purpose: it can hold script.
INLINE_IMAGES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
# Shown as escaped text in a <pre>. HTML and SVG are not previewed (a download only), so that a
# page never even suggests they are safe to open.
TEXT_TYPES = frozenset(
    {"application/json", "application/x-yaml", "application/yaml", "application/toml", "application/x-sh"}
)
TEXT_EXCLUDED = frozenset({"text/html", "image/svg+xml", "text/xml", "application/xhtml+xml"})
# Text files whose extension the mimetypes table may not know.
TEXT_SUFFIXES = (".log", ".yaml", ".yml", ".md", ".cfg", ".ini", ".toml")
TEXT_NAMES = frozenset({"MLmodel", "requirements.txt", "conda.yaml", "python_env.yaml", "LICENSE"})
# A preview reads at most this much; the full file is a download.
PREVIEW_BYTES = 64 * 1024
CHUNK = 256 * 1024
# What artifact responses may do if a browser renders one anyway: nothing (no script, no plugins,
# no requests, a unique origin).
ARTIFACT_POLICY = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
# Logged models and registered versions shown on the run page (a run rarely makes more than a few).
MODELS_SHOWN = 50


def preview_kind(path: str) -> str:
    """How the run page shows a file: "image", "text" or "download" (no preview)."""
    name = path.rsplit("/", 1)[-1]
    kind = artifacts.content_type(path)
    if kind in INLINE_IMAGES:
        return "image"
    if kind in TEXT_EXCLUDED:
        return "download"
    if name in TEXT_NAMES or name.endswith(TEXT_SUFFIXES) or kind.startswith("text/") or kind in TEXT_TYPES:
        return "text"
    return "download"


def read_preview(stream: BinaryIO) -> tuple[str, bool]:
    """The first PREVIEW_BYTES of a file as text, and whether there was more."""
    with stream:
        data = stream.read(PREVIEW_BYTES + 1)
    return data[:PREVIEW_BYTES].decode("utf-8", errors="replace"), len(data) > PREVIEW_BYTES


def crumbs(folder: str) -> list[dict[str, str]]:
    """The artifact folder's path as links, from the run's root down."""
    parts = folder.split("/") if folder else []
    return [{"name": p, "path": "/".join(parts[: i + 1])} for i, p in enumerate(parts)]


def parent_of(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


@blp.get("/runs/<run_id>")
@requires(Role.READER)
def run(run_id: str) -> Rendered:
    """The run: params, metrics, tags, the artifact browser and the models made from it."""
    found = runs.get_run(uow(), run_id)  # NotFound -> the 404 page
    experiment = experiments.get_experiment(uow(), found.info.experiment_id)
    store = runtime().store
    # The central check first: a refused path is a 400 page naming the problem.
    path = safe_path(request.args.get("path", ""), allow_root=True)
    folder, selected = "", None
    if path:
        info = artifacts.run_artifact_info(uow(), store, found.info.run_id, path)
        if info is None:
            raise NotFound(f"The run has no artifact at {path!r}.")
        folder, selected = (path, None) if info.is_dir else (parent_of(path), info)
    entries = [
        {"name": f.path, "path": join_path(folder, f.path), "is_dir": f.is_dir, "size": f.file_size}
        for f in artifacts.run_artifacts(uow(), store, found.info.run_id, folder)
    ]
    preview: dict[str, Any] | None = None
    if selected is not None:
        kind = preview_kind(path)
        preview = {"path": path, "name": path.rsplit("/", 1)[-1], "kind": kind, "size": selected.file_size}
        if kind == "text":
            stream, _ = artifacts.open_run_artifact(uow(), store, found.info.run_id, path)
            preview["text"], preview["truncated"] = read_preview(stream)
    made = logged_models.search_logged_models(
        uow(),
        [found.info.experiment_id],
        # The run id passed get_run's id check, so it cannot break out of the quotes.
        filter_string=f"source_run_id = '{found.info.run_id}'",
        max_results=MODELS_SHOWN,
    ).items
    registered = versions.search_model_versions(
        uow(), filter_string=f"run_id = '{found.info.run_id}'", max_results=MODELS_SHOWN
    ).items
    return render_template(
        "runs/run.html",
        run=found,
        experiment=experiment,
        metrics=sorted(found.metrics, key=lambda m: m.key),
        user_tags={k: v for k, v in found.tags.items() if not k.startswith("mlflow.")},
        system_tags={k: v for k, v in found.tags.items() if k.startswith("mlflow.")},
        folder=folder,
        crumbs=crumbs(folder),
        parent=parent_of(folder) if folder else None,
        entries=entries,
        preview=preview,
        logged_models=made,
        versions=registered,
        duration=(found.info.end_time - found.info.start_time) if found.info.end_time else None,
    ), 200


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    with stream:
        while chunk := stream.read(CHUNK):
            yield chunk


@blp.get("/runs/<run_id>/artifact")
@requires(Role.READER)
def artifact(run_id: str) -> Response:
    """One of the run's files: an image inline (for the preview), anything else as a download.
    `?download=1` makes an image a download too."""
    path = safe_path(request.args.get("path", ""))
    stream, info = artifacts.open_run_artifact(uow(), runtime().store, run_id, path)
    kind = artifacts.content_type(path)
    inline = kind in INLINE_IMAGES and request.args.get("download") != "1"
    response = Response(_chunks(stream), status=200, mimetype=kind)
    if info.file_size is not None:
        response.content_length = info.file_size
    response.headers.set(
        "Content-Disposition", "inline" if inline else "attachment", filename=path.rsplit("/", 1)[-1]
    )
    # Set before the UI's after_request adds its defaults (which only fill what is missing).
    response.headers["Content-Security-Policy"] = ARTIFACT_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def artifact_url(run_id: str, path: str, download: bool = False) -> str:
    return url_for("ui.runs.artifact", run_id=run_id, path=path, download="1" if download else None)


@blp.app_template_global("run_artifact_url")
def run_artifact_url(run_id: str, path: str, download: bool = False) -> str:
    """Templates' link to a run's file (inline for images, else a download)."""
    return artifact_url(run_id, path, download)
