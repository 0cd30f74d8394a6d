"""Choose and build the artifact store named by the configured artifacts URI.

Called once, where the application is wired (`create_app`, the CLI, the worker); everything else
receives the resulting `ArtifactStore`.
"""

from __future__ import annotations

import os
from urllib.parse import unquote, urlsplit

from registry.storage.base import ArtifactStore
from registry.storage.local import LocalArtifactStore


def open_store(
    artifacts_uri: str,
    *,
    s3_endpoint_url: str | None = None,
    s3_region: str | None = None,
    s3_multipart_threshold: int | None = None,
    s3_multipart_chunksize: int | None = None,
    s3_max_concurrency: int | None = None,
) -> ArtifactStore:
    """Build the store for `artifacts_uri`:

    - a folder path (relative paths are taken from the current directory) or a `file://` URI
      (`file:///abs/path`, `file://localhost/abs/path`): a `LocalArtifactStore`, creating the
      folder if missing;
    - `s3://bucket` or `s3://bucket/prefix`: an `S3ArtifactStore` with credentials from boto3's
      usual chain, talking to `s3_endpoint_url` if given (any S3-compatible service). The other
      `s3_*` settings override the store's defaults when given.

    Raises ValueError for anything else (an unknown scheme, an S3 URI without a bucket): this is a
    configuration mistake, reported at startup, never a client error.
    """
    if not artifacts_uri:
        raise ValueError("The artifacts URI is empty")
    parts = urlsplit(artifacts_uri)
    scheme = parts.scheme.lower()
    # A one-letter "scheme" is a Windows drive (C:\...), i.e. a plain folder path.
    if scheme == "" or (len(scheme) == 1 and "://" not in artifacts_uri):
        return LocalArtifactStore(os.path.abspath(artifacts_uri))
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ValueError(f"file:// URIs must name a local path, not host {parts.netloc!r}")
        if parts.query or parts.fragment:
            raise ValueError(f"Unexpected query or fragment in artifacts URI {artifacts_uri!r}")
        path = unquote(parts.path)
        if not path:
            raise ValueError(f"No folder in artifacts URI {artifacts_uri!r}")
        return LocalArtifactStore(path)
    if scheme == "s3":
        if not parts.netloc:
            raise ValueError(f"No bucket in S3 artifacts URI {artifacts_uri!r}")
        if parts.query or parts.fragment:
            raise ValueError(f"Unexpected query or fragment in artifacts URI {artifacts_uri!r}")
        # Imported here so that deployments on local storage never load boto3.
        from registry.storage import s3

        return s3.S3ArtifactStore(
            parts.netloc,
            parts.path.strip("/"),
            endpoint_url=s3_endpoint_url,
            region_name=s3_region,
            multipart_threshold=s3_multipart_threshold or s3.DEFAULT_MULTIPART_THRESHOLD,
            multipart_chunksize=s3_multipart_chunksize or s3.DEFAULT_MULTIPART_CHUNKSIZE,
            max_concurrency=s3_max_concurrency or s3.DEFAULT_MAX_CONCURRENCY,
        )
    raise ValueError(
        f"Unsupported artifacts URI {artifacts_uri!r}: use a folder path, file://... or s3://..."
    )
