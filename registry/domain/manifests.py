"""A model version's manifest: the sha256 and size of every file, and one digest over all of them.

The server records the manifest when a version is registered (`model_versions.digest`); `podium
fetch` checks every downloaded byte against it. MLflow clients, which cannot see the manifest, get
its digest as the version tag `podium.digest.sha256`: the sha256 of the manifest's canonical JSON
(`canonical_json`), which anyone can recompute from a downloaded copy of the files.

The stored record (`digest_record`) is
`{"algorithm": "sha256", "root": <store path>, "sha256": <manifest digest>, "files": {<path>:
{"sha256": <hex>, "size": <bytes>}}}`, paths relative to the model's root, sorted.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: Version tag carrying the manifest digest, for clients that only speak MLflow's API.
DIGEST_TAG = "podium.digest.sha256"
ALGORITHM = "sha256"

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class FileDigest:
    sha256: str
    size: int


def canonical_json(files: Mapping[str, FileDigest]) -> bytes:
    """The manifest as canonical JSON: keys sorted, no spaces, UTF-8.

    `{"<path>":{"sha256":"<hex>","size":<int>},...}`: the bytes whose sha256 is the version's
    manifest digest. Documented so that it can be recomputed without Podium.
    """
    plain = {path: {"sha256": d.sha256, "size": d.size} for path, d in files.items()}
    return json.dumps(plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def manifest_sha256(files: Mapping[str, FileDigest]) -> str:
    return hashlib.sha256(canonical_json(files)).hexdigest()


def digest_record(root: str, files: Mapping[str, FileDigest]) -> dict[str, Any]:
    """What `model_versions.digest` holds for a version whose files live under `root`."""
    ordered = dict(sorted(files.items()))
    return {
        "algorithm": ALGORITHM,
        "root": root,
        "sha256": manifest_sha256(ordered),
        "files": {path: {"sha256": d.sha256, "size": d.size} for path, d in ordered.items()},
    }


class ManifestError(ValueError):
    """A digest record is not in the shape Podium writes (corrupt row or a foreign server)."""


def read_files(record: object) -> dict[str, FileDigest]:
    """The files of a digest record, checked for shape; raises ManifestError otherwise.

    Does not judge the paths: whoever writes files named by a manifest checks them as paths.
    """
    if not isinstance(record, Mapping):
        raise ManifestError("the manifest is not an object")
    if record.get("algorithm", ALGORITHM) != ALGORITHM:
        raise ManifestError(f"unsupported digest algorithm {record.get('algorithm')!r}")
    files = record.get("files")
    if not isinstance(files, Mapping):
        raise ManifestError("the manifest has no 'files' object")
    out: dict[str, FileDigest] = {}
    for path, entry in files.items():
        if not isinstance(path, str) or not isinstance(entry, Mapping):
            raise ManifestError(f"malformed manifest entry for {path!r}")
        sha256, size = entry.get("sha256"), entry.get("size")
        if not isinstance(sha256, str) or not _HEX64.match(sha256):
            raise ManifestError(f"manifest entry {path!r} has no valid sha256")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ManifestError(f"manifest entry {path!r} has no valid size")
        out[path] = FileDigest(sha256, size)
    declared = record.get("sha256")
    if declared is not None and declared != manifest_sha256(out):
        raise ManifestError("the manifest's own digest does not match its files")
    return out
