"""The `ArtifactStore` contract: the one interface every artifact backend implements.

Services and API adapters see only this module's types; which backend is behind them (a local
folder, an S3-compatible bucket) is decided once, by `registry.storage.factory.open_store`.
The same contract test suite (tests/integration/test_artifact_store_contract.py) runs against every
implementation, so anything promised here is checked for all of them.
"""

from __future__ import annotations

import abc
import builtins
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol


class ReadableStream(Protocol):
    """What `put` reads from: anything with `read(size) -> bytes` that returns b"" at the end.

    Short reads are fine (a socket stream may return less than asked). Files, `io.BytesIO`,
    `typing.BinaryIO` and WSGI input streams all qualify.
    """

    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True, slots=True)
class FileInfo:
    """One entry of a listing. Field names follow MLflow's artifact listing (`path`, `is_dir`,
    `file_size`), so the MLflow adapter can serialise it as is.

    `path` is relative to what was asked for: the listed directory for `list`, the walked prefix
    for `walk`, the store's root for `stat`. `file_size` is None for directories.
    """

    path: str
    is_dir: bool
    file_size: int | None


@dataclass(frozen=True, slots=True)
class StoredObject:
    """What `put` wrote: its normalised path, its size in bytes and the hex sha256 of its bytes."""

    path: str
    size: int
    sha256: str


class ArtifactStore(abc.ABC):
    """A tree of immutable-once-written byte objects addressed by relative POSIX paths.

    Rules every implementation keeps:
    - Every `path` argument is checked by `registry.storage.paths.safe_path` inside the method
      itself; unsafe paths raise `InvalidPath` before anything is read or written. `""` (the root)
      is accepted by `list` and `walk` only.
    - Directories are implied: a directory exists while something exists below it. `put` creates
      parents as needed and deleting the last file of a directory makes it disappear.
    - Missing objects raise `NotFound` from `open`; `stat` returns None, `list` an empty list,
      `delete` does nothing. Backend failures raise `StorageError`; no vendor exception escapes.
    - Data is streamed in bounded chunks: no method holds a whole object in memory.
    """

    @property
    @abc.abstractmethod
    def uri(self) -> str:
        """Where the store lives, for logs and diagnostics (`file:///...`, `s3://bucket/prefix`)."""

    @abc.abstractmethod
    def put(self, path: str, stream: ReadableStream) -> StoredObject:
        """Store everything `stream` yields until EOF at `path`, replacing any existing object.

        Reads the stream in bounded chunks, computing size and sha256 on the way. Atomic: readers
        see the old object or the complete new one, never a partial one; if the stream or the
        backend fails, nothing is left behind and the previous object (if any) is unchanged.
        Errors raised by `stream.read` propagate unchanged.
        """

    @abc.abstractmethod
    def open(self, path: str, offset: int = 0) -> BinaryIO:
        """Open the object at `path` for reading from byte `offset` (for resumable downloads).

        The caller closes the stream (it is a context manager). An offset at or past the end gives
        an empty stream; a negative offset raises `InvalidParameter`. Raises `NotFound` if there is
        no object at `path` (a directory is not an object).
        """

    @abc.abstractmethod
    def stat(self, path: str) -> FileInfo | None:
        """Describe `path` (a file or a directory), or return None if nothing is there.

        `FileInfo.path` is the normalised path relative to the store's root.
        """

    @abc.abstractmethod
    def list(self, path: str = "") -> builtins.list[FileInfo]:
        """The immediate children of directory `path` (`""` for the root), sorted by name.

        Each entry's `path` is its name relative to `path`. A missing directory, or a path that is
        a file, gives an empty list. Entries that no client path could address (names `safe_path`
        refuses, made by other tools) are left out.
        """

    @abc.abstractmethod
    def walk(self, path: str = "") -> Iterator[FileInfo]:
        """Every file (not directory) below `path`, recursively, sorted by relative path.

        Each entry's `path` is relative to `path`. The path is checked when `walk` is called, not
        when iteration starts. A missing directory yields nothing.
        """

    @abc.abstractmethod
    def delete(self, path: str) -> None:
        """Delete the file at `path`, or everything below it if it is a directory (both, where the
        backend allows a file and a directory of the same name). Missing is not an error."""

    def exists(self, path: str) -> bool:
        """True if a file or a directory exists at `path`."""
        return self.stat(path) is not None
