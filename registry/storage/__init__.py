"""Artifact storage: one `ArtifactStore` contract, a local-folder and an S3 implementation.

`open_store(uri)` picks the implementation; `safe_path` is the single check every path goes
through; `build_manifest` records the sha256 of every file of a model. `S3ArtifactStore` lives in
`registry.storage.s3` and is not imported here, so local-only deployments never load boto3.
"""

from registry.storage.base import ArtifactStore, FileInfo, ReadableStream, StoredObject
from registry.storage.digests import Manifest, ManifestEntry, build_manifest, sha256_of_stream
from registry.storage.factory import open_store
from registry.storage.local import LocalArtifactStore
from registry.storage.paths import safe_path

__all__ = [
    "ArtifactStore",
    "FileInfo",
    "LocalArtifactStore",
    "Manifest",
    "ManifestEntry",
    "ReadableStream",
    "StoredObject",
    "build_manifest",
    "open_store",
    "safe_path",
    "sha256_of_stream",
]
