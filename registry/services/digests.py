"""A version's manifest: computed from the artifact store when it is registered, read by deploy jobs.

Registering computes the sha256 of every file below the version's source *before* the version's
transaction (reading S3 is slow, and nothing leaves the process inside a transaction), then creates
the version with the manifest and the `podium.digest.sha256` tag in one transaction. Both API
adapters register versions through `register_model_version`, so every version gets its manifest
whichever client registered it.

Where a source's files live is decided by `resolve_source_root`; a source whose files are not there
(a `runs:/` source whose run is gone, or a folder with nothing in it) is registered without a
manifest, and `podium fetch` refuses it with a message that says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import BinaryIO

from registry.db.uow import UnitOfWork
from registry.domain.entities import ModelVersion
from registry.domain.errors import Conflict, NotFound
from registry.domain.manifests import DIGEST_TAG, FileDigest, ManifestError, digest_record, read_files
from registry.domain.names import parse_version, validate_model_name
from registry.domain.sources import Source, parse_source
from registry.services import lineage, versions
from registry.storage.base import ArtifactStore
from registry.storage.digests import build_manifest
from registry.storage.paths import join_path, safe_path


def resolve_source_root(uow: UnitOfWork, source: Source) -> str | None:
    """The store path under which a version's files live, or None if it cannot be placed.

    `uow` is a fresh unit of work the resolver opens for reading; it is never the one the version
    is then created with. A logged model's files are at `<experiment>/models/<model_id>/artifacts`,
    a run's at `<experiment>/<run_id>/artifacts/<path>`.
    """
    if source.kind == "artifacts":
        return source.path
    with uow.reading():
        return lineage.source_root(uow, source)


def compute_manifest(store: ArtifactStore, root: str) -> dict[str, FileDigest]:
    """sha256 and size of every file below `root` (streamed; may take a while on S3)."""
    return {
        path: FileDigest(entry["sha256"], entry["size"])
        for path, entry in build_manifest(store, safe_path(root)).items()
    }


def source_digest(uow: UnitOfWork, store: ArtifactStore, source: Source) -> dict[str, object] | None:
    """The digest record of the files `source` names, or None if there are none to record.

    Runs outside any transaction of the caller. A source whose root holds no file (registered
    before its files were uploaded, or pointing at nothing) gets None rather than an empty manifest,
    which would verify any download of nothing.
    """
    root = resolve_source_root(_sibling(uow), source)
    if root is None:
        return None
    files = compute_manifest(store, root)
    return digest_record(root, files) if files else None


def register_model_version(
    uow: UnitOfWork,
    store: ArtifactStore,
    name: str,
    source: str,
    run_id: str | None = None,
    model_id: str | None = None,
    tags: Mapping[str, object] | None = None,
    description: str | None = None,
) -> ModelVersion:
    """Create a version (as `versions.create_model_version`) with its files' manifest recorded.

    The `podium.digest.sha256` tag is the registry's to set: a value sent by the client is
    replaced (or dropped when there is no manifest), so the tag never vouches for bytes nobody
    hashed.
    """
    validate_model_name(name)
    parsed = parse_source(source, model_id)
    record = source_digest(uow, store, parsed)
    checked_tags = {k: v for k, v in (tags or {}).items() if k != DIGEST_TAG}
    if record is not None:
        checked_tags[DIGEST_TAG] = record["sha256"]
    return versions.create_model_version(
        uow, name, source, run_id, model_id, checked_tags, description, digest=record
    )


@dataclass(frozen=True)
class VersionManifest:
    """The files of a registered version as recorded when it was registered."""

    name: str
    version: int
    root: str
    sha256: str
    files: dict[str, FileDigest]


def get_manifest(uow: UnitOfWork, name: str, version: object) -> VersionManifest:
    """The recorded manifest of a version; Conflict if the version has none."""
    name = validate_model_name(name)
    number = parse_version(version)
    with uow.reading():
        model = uow.models.get(name)
        record = uow.versions.get(model, number).digest
    if record is None:
        raise Conflict(
            f"Model version {name} {number} has no recorded manifest: its files were not found in the "
            "artifact store when it was registered. Register a new version once its files are uploaded."
        )
    try:
        files = read_files(record)
        root = record["root"]
        sha256 = record["sha256"]
    except (ManifestError, KeyError) as exc:
        raise Conflict(
            f"The manifest recorded for model version {name} {number} is unreadable: {exc}"
        ) from exc
    return VersionManifest(name, number, str(root), str(sha256), files)


@dataclass(frozen=True)
class OpenedFile:
    """A version's file opened for streaming from `offset`; `size` is the stored object's size."""

    stream: BinaryIO
    size: int
    offset: int
    recorded: FileDigest


def open_version_file(
    uow: UnitOfWork, store: ArtifactStore, name: str, version: object, path: str, offset: int = 0
) -> OpenedFile:
    """Open one file of a version for download. Only files in the manifest can be named, so a
    download never reaches anything the version did not register. The caller closes the stream."""
    manifest = get_manifest(uow, name, version)
    recorded = manifest.files.get(path)
    if recorded is None:
        raise NotFound(f"Model version {manifest.name} {manifest.version} has no file {path!r}.")
    location = join_path(manifest.root, path)
    info = store.stat(location)
    if info is None or info.is_dir or info.file_size is None:
        raise NotFound(
            f"File {path!r} of model version {manifest.name} {manifest.version} is missing from the "
            "artifact store."
        )
    start = min(offset, info.file_size)
    return OpenedFile(store.open(location, start), info.file_size, start, recorded)


def _sibling(uow: UnitOfWork) -> UnitOfWork:
    # `reading()` marks a unit of work read-only for good, so lookups get their own, acting as the
    # same caller; the version is then created with the caller's `uow`.
    return UnitOfWork(uow.database, uow.actor, request_id=uow.request_id)
