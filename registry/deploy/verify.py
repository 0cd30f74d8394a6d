"""Checking files on disk against a version's manifest.

Used after a download (every file, as it arrives), before a cached copy is reused, and by the model
loader just before it unpickles anything: the bytes loaded are the bytes the registry recorded.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

from registry.domain.errors import DigestMismatch
from registry.domain.manifests import FileDigest

CHUNK = 1 << 20


def hash_file(path: Path) -> FileDigest:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return FileDigest(digest.hexdigest(), size)


def mismatch_message(path: str, expected: FileDigest, actual: FileDigest) -> str:
    return (
        f"{path!r} does not match the manifest recorded at registration: expected sha256 "
        f"{expected.sha256} ({expected.size} bytes), got sha256 {actual.sha256} ({actual.size} bytes)"
    )


def files_on_disk(directory: Path) -> set[str]:
    """Every file below `directory`, as POSIX paths relative to it."""
    found: set[str] = set()
    for parent, _dirs, names in os.walk(directory):
        for name in names:
            found.add(Path(parent, name).relative_to(directory).as_posix())
    return found


def verify_directory(directory: Path, files: Mapping[str, FileDigest], what: str = "model") -> None:
    """Raise DigestMismatch unless `directory` holds exactly the manifest's files with their digests.

    A file that is missing, differs, or is there without being in the manifest (code someone added
    next to a model can be as dangerous as a changed pickle) is a mismatch; the message names it.
    """
    problems: list[str] = []
    present = files_on_disk(directory)
    for path, expected in files.items():
        if path not in present:
            problems.append(f"{path!r} is missing")
            continue
        actual = hash_file(directory / path)
        if actual != expected:
            problems.append(mismatch_message(path, expected, actual))
    for extra in sorted(present - set(files)):
        problems.append(f"{extra!r} is not in the manifest")
    if problems:
        raise DigestMismatch(f"The {what} in {directory} failed verification: " + "; ".join(problems))
