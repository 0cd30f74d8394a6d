"""sha256 digests of streamed artifacts, and the per-file manifest recorded for a model version.

When a model version is registered the server records `build_manifest(store, <model dir>)`; a
deploy job that fetches the model recomputes each file's digest and refuses bytes that differ.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, TypedDict

from registry.storage.paths import join_path

if TYPE_CHECKING:
    from registry.storage.base import ArtifactStore, ReadableStream

#: Large enough that per-call overhead is negligible, small enough to never matter for memory.
CHUNK_SIZE = 1 << 20


class ManifestEntry(TypedDict):
    """Digest of one file: lowercase hex sha256 and size in bytes."""

    sha256: str
    size: int


#: Relative file path -> its digest.
Manifest = dict[str, ManifestEntry]


def sha256_of_stream(stream: ReadableStream, chunk_size: int = CHUNK_SIZE) -> tuple[str, int]:
    """Read `stream` to its end in chunks of at most `chunk_size` and return (hex sha256, size)."""
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(chunk_size):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def build_manifest(store: ArtifactStore, prefix: str) -> Manifest:
    """Map every file below `prefix` (path relative to `prefix`) to its sha256 and size.

    Each file is streamed, never loaded whole. The keys come in `walk` order (sorted), so the
    manifest serialises the same way every time. An empty or missing prefix gives `{}`.
    """
    manifest: Manifest = {}
    for info in store.walk(prefix):
        with store.open(join_path(prefix, info.path)) as stream:
            sha256, size = sha256_of_stream(stream)
        manifest[info.path] = {"sha256": sha256, "size": size}
    return manifest


class HashingReader:
    """Wraps a source stream; counts and hashes exactly the bytes handed on.

    `read(n)` returns exactly `n` bytes unless the source is exhausted (short reads of the source
    are filled by reading again), which S3 multipart needs: every part but the last must be at
    least 5 MiB. It never asks the source for more than `n` bytes, and `read()` without a size is
    served in `CHUNK_SIZE` pieces, so a caller cannot make it buffer an unbounded amount by
    accident. It cannot seek, so a consumer can never make it hash bytes twice.
    """

    def __init__(self, source: ReadableStream) -> None:
        self._source = source
        self._digest = hashlib.sha256()
        self._size = 0
        self._eof = False

    @property
    def size(self) -> int:
        """Bytes read so far."""
        return self._size

    def hexdigest(self) -> str:
        """sha256 of the bytes read so far."""
        return self._digest.hexdigest()

    @property
    def at_eof(self) -> bool:
        """True once the source has reported its end."""
        return self._eof

    def read(self, size: int | None = -1, /) -> bytes:
        if self._eof or size == 0:
            return b""
        if size is None or size < 0:
            # Only reached when a consumer asks for "the rest"; boto3 does so after it has already
            # seen a short read, i.e. at EOF. Stay bounded per source read all the same.
            pieces = []
            while piece := self.read(CHUNK_SIZE):
                pieces.append(piece)
            return b"".join(pieces)
        pieces = []
        wanted = size
        while wanted > 0:
            piece = self._source.read(wanted)
            if not piece:
                self._eof = True
                break
            pieces.append(piece)
            wanted -= len(piece)
        data = b"".join(pieces)
        self._digest.update(data)
        self._size += len(data)
        return data

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def close(self) -> None:
        """Closing is the source owner's business; consumers such as boto3 call this freely."""
