"""`fetch_model`: resolve a `models:/` URI to one version, download its files through the registry
and verify each against the manifest recorded at registration.

Guarantees:
- An alias, stage or `latest` is resolved exactly once; everything after uses the fixed version, so
  an alias moving mid-download cannot mix two versions.
- Files are downloaded into a temporary directory next to the destination, resumed with HTTP Range
  after a dropped connection, hashed as they arrive, and the directory is renamed into place only
  when every file matched. On any failure the temporary directory is removed: the destination is
  either absent (or untouched) or complete and verified.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests
import urllib3

from registry.deploy.connection import RegistryConnection
from registry.deploy.verify import mismatch_message, verify_directory
from registry.domain.errors import Conflict, DigestMismatch, NotFound, RegistryUnreachable
from registry.domain.manifests import FileDigest, ManifestError, read_files
from registry.domain.model_uris import ModelReference, parse_model_uri
from registry.storage.paths import safe_path

log = logging.getLogger(__name__)

CHUNK = 256 * 1024
#: Attempts in a row that bring no new byte before a download is given up (each attempt resumes
#: where the last stopped, and one that made progress starts the count again).
MAX_ATTEMPTS = 6
BACKOFF_SECONDS = 0.5

#: Called with the number of bytes just written (negative when a download restarts from zero).
Progress = Callable[[int], None]


@dataclass(frozen=True)
class ResolvedVersion:
    """One registered version and the manifest its files must match."""

    name: str
    version: int
    sha256: str
    files: dict[str, FileDigest]

    @property
    def uri(self) -> str:
        """The pinned URI: what a pipeline should use from now on."""
        return f"models:/{self.name}/{self.version}"

    @property
    def total_bytes(self) -> int:
        return sum(d.size for d in self.files.values())


@dataclass(frozen=True)
class FetchedModel:
    """A verified copy of a version's files in `path`."""

    resolved: ResolvedVersion
    path: Path

    @property
    def name(self) -> str:
        return self.resolved.name

    @property
    def version(self) -> int:
        return self.resolved.version


def resolve_version(connection: RegistryConnection, reference: ModelReference) -> int:
    """The version number `reference` names right now (one registry call at most)."""
    name = reference.name
    if reference.version is not None:
        return reference.version
    if reference.alias is not None:
        return int(connection.version_by_alias(name, reference.alias)["version"])
    if reference.stage is not None:
        for candidate in connection.model(name).get("latest_versions") or []:
            if candidate.get("stage") == reference.stage.value:
                return int(candidate["version"])
        raise NotFound(f"Registered model {name!r} has no version in stage {reference.stage.value}.")
    latest = connection.latest_version(name)
    if latest is None:
        raise NotFound(f"Registered model {name!r} has no versions.")
    return int(latest["version"])


def describe_version(connection: RegistryConnection, name: str, version: int) -> ResolvedVersion:
    """The manifest of `name` `version`, with every path checked before anything is written."""
    body = connection.manifest(name, version)
    record = {
        "sha256": body.get("sha256"),
        "files": {entry.get("path"): entry for entry in body.get("files") or [] if isinstance(entry, dict)},
    }
    try:
        files = read_files(record)
    except ManifestError as exc:
        raise DigestMismatch(f"The registry sent an unusable manifest for {name} {version}: {exc}") from exc
    if not files:
        raise NotFound(f"Model version {name} {version} has no files to fetch.")
    for path in files:
        safe_path(path)  # a path from the network names a file we create: same rule as the store's
    return ResolvedVersion(name, version, str(body["sha256"]), dict(sorted(files.items())))


def resolve(connection: RegistryConnection, uri: str | ModelReference) -> ResolvedVersion:
    reference = parse_model_uri(uri) if isinstance(uri, str) else uri
    version = resolve_version(connection, reference)
    return describe_version(connection, reference.name, version)


def fetch_version(
    connection: RegistryConnection,
    resolved: ResolvedVersion,
    dest: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    progress: Progress | None = None,
) -> FetchedModel:
    """Download and verify `resolved` into `dest` (see the module's guarantees).

    `dest` must not exist, be an empty directory, or `overwrite` must be true (then an existing
    directory is replaced only once the new copy is complete and verified). Raises Conflict when
    `dest` is in the way, DigestMismatch when a file differs from the manifest, NotFound when the
    registry or its store lacks a file, RegistryUnreachable when downloads keep failing.
    """
    target = Path(dest).absolute()
    _check_destination(target, overwrite)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.podium-fetch-", dir=target.parent))
    try:
        os.chmod(staging, 0o755)  # noqa: S103  # mkdtemp's 0700 would follow the files into place
        for path, expected in resolved.files.items():
            file_path = staging / path
            file_path.parent.mkdir(parents=True, exist_ok=True)
            _download(connection, resolved, path, expected, file_path, progress)
        _place(staging, target, overwrite)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return FetchedModel(resolved, target)


def fetch_model(
    uri: str,
    dest: str | os.PathLike[str],
    *,
    registry_url: str | None = None,
    token: str | None = None,
    overwrite: bool = False,
    progress: Progress | None = None,
    connection: RegistryConnection | None = None,
) -> FetchedModel:
    """Resolve `uri` (`models:/<name>@<alias>`, `/<version>`, `/<stage>`, `/latest`) once, download
    the version's files through the registry into `dest` and verify every file's sha256.

    Pass `connection`, or `registry_url` (default http://127.0.0.1:5000) and `token`.
    """
    own = connection is None
    conn = connection or RegistryConnection(registry_url or "http://127.0.0.1:5000", token)
    try:
        return fetch_version(conn, resolve(conn, uri), dest, overwrite=overwrite, progress=progress)
    finally:
        if own:
            conn.close()


def ensure_cached(
    connection: RegistryConnection,
    resolved: ResolvedVersion,
    cache_root: Path,
    progress: Progress | None = None,
) -> FetchedModel:
    """A verified copy of `resolved` under `cache_root/<name>/<version>`, downloading it if needed.

    Several processes may call this at once (gunicorn workers following an alias): the first to
    finish publishes its copy, the others verify and use it.
    """
    target = cache_root / _cache_segment(resolved.name) / str(resolved.version)
    if target.exists():
        try:
            verify_directory(target, resolved.files)
            return FetchedModel(resolved, target)
        except DigestMismatch as exc:
            log.warning("cached copy is not usable, fetching again: %s", exc)
            return fetch_version(connection, resolved, target, overwrite=True, progress=progress)
    try:
        return fetch_version(connection, resolved, target, progress=progress)
    except Conflict:
        verify_directory(target, resolved.files)  # another process published it meanwhile
        return FetchedModel(resolved, target)


def _cache_segment(name: str) -> str:
    # Model names may hold characters a file name cannot; a hash keeps one folder per name.
    readable = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:64]
    return f"{readable}-{hashlib.sha256(name.encode()).hexdigest()[:12]}"


def _check_destination(target: Path, overwrite: bool) -> None:
    if not target.exists():
        return
    if not target.is_dir():
        raise Conflict(f"{target} exists and is not a directory.")
    if any(target.iterdir()) and not overwrite:
        raise Conflict(f"{target} already exists and is not empty; choose another directory or overwrite it.")


def _place(staging: Path, target: Path, overwrite: bool) -> None:
    try:
        # rename(2) replaces a missing or empty directory atomically.
        os.replace(staging, target)
        return
    except OSError as exc:
        if not (overwrite and target.is_dir()):
            raise Conflict(f"{target} appeared while fetching; it was left as it is.") from exc
    retired = target.with_name(f".{target.name}.podium-old-{secrets.token_hex(4)}")
    os.replace(target, retired)
    os.replace(staging, target)
    shutil.rmtree(retired, ignore_errors=True)


def _download(
    connection: RegistryConnection,
    resolved: ResolvedVersion,
    path: str,
    expected: FileDigest,
    file_path: Path,
    progress: Progress | None,
) -> None:
    digest = hashlib.sha256()
    written = 0
    failures = 0
    with open(file_path, "wb") as out:
        while True:
            if written and written == expected.size and digest.copy().hexdigest() == expected.sha256:
                break  # the connection dropped after the last byte: nothing is missing
            started_at = written
            try:
                with connection.download(resolved.name, resolved.version, path, written) as response:
                    if written and response.status_code != 206:
                        # The registry ignored the range (200) or holds fewer bytes than we already
                        # have (416): the object changed, so start again and let the digest decide.
                        out.seek(0)
                        out.truncate()
                        if progress:
                            progress(-written)
                        digest, written = hashlib.sha256(), 0
                        if response.status_code == 416:
                            continue
                    # read1 hands over every byte that arrived before a connection drops (a
                    # filling read such as iter_content's would discard them with the error), so
                    # the next attempt resumes exactly where this one stopped.
                    while chunk := response.raw.read1(CHUNK):
                        out.write(chunk)
                        digest.update(chunk)
                        written += len(chunk)
                        if progress:
                            progress(len(chunk))
                break
            except (requests.RequestException, urllib3.exceptions.HTTPError, RegistryUnreachable) as exc:
                failures = 1 if written > started_at else failures + 1
                if failures >= MAX_ATTEMPTS:
                    raise RegistryUnreachable(
                        f"Downloading {path!r} of {resolved.uri} failed {failures} times; last error: {exc}"
                    ) from exc
                log.info("download of %s interrupted at byte %d (%s); resuming", path, written, exc)
                time.sleep(BACKOFF_SECONDS * failures)
        out.flush()
        os.fsync(out.fileno())
    actual = FileDigest(digest.hexdigest(), written)
    if actual != expected:
        raise DigestMismatch(f"{resolved.uri}: " + mismatch_message(path, expected, actual))
