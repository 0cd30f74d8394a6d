"""`ArtifactStore` on a local folder: the default backend (`./.podium/artifacts`).

Objects are plain files under the root, so an operator can inspect or back them up with ordinary
tools. Writes go to a hidden temporary file in the target's own directory and are renamed into
place (`os.replace` is atomic within one file system, and the same directory guarantees the same
file system), so a concurrent reader sees either the old file or the complete new one.
"""

from __future__ import annotations

import builtins
import contextlib
import errno
import logging
import os
import secrets
import shutil
import stat as stat_module
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from registry.domain.errors import Conflict, InvalidParameter, NotFound, StorageError
from registry.storage.base import ArtifactStore, FileInfo, ReadableStream, StoredObject
from registry.storage.digests import CHUNK_SIZE, HashingReader
from registry.storage.paths import RESERVED_PREFIX, is_inside, is_safe_name, resolve_local

logger = logging.getLogger(__name__)

# A concurrent delete may prune the directory we just created before our temp file lands in it;
# recreating it a few times resolves the race without locks.
_CREATE_ATTEMPTS = 5


class LocalArtifactStore(ArtifactStore):
    """Artifacts as files under `root` (created if missing). See `ArtifactStore` for the contract.

    Local specifics: a path whose parent is a file, or that names an existing directory, cannot be
    written (`Conflict`), unlike S3 where a key and a prefix may share a name. Symlinks placed in
    the root by an operator are followed only while they stay inside the root. Leftover temporary
    files from a crash (`.podium-partial-*`) are invisible to every method and safe to delete.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        try:
            os.makedirs(root, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"Cannot create artifact root {os.fspath(root)!r}: {exc}") from exc
        # Every containment check compares real paths, so the root must be real too (it may itself
        # be a symlink, e.g. to a mounted volume).
        self._root = Path(os.path.realpath(root))

    @property
    def root(self) -> Path:
        """The real, absolute path of the store's folder."""
        return self._root

    @property
    def uri(self) -> str:
        return self._root.as_uri()

    def put(self, path: str, stream: ReadableStream) -> StoredObject:
        rel, target = resolve_local(self._root, path)
        reader = HashingReader(stream)
        fd, temp_name = self._create_temp_beside(rel, target)
        try:
            with os.fdopen(fd, "wb") as temp_file:
                self._copy(reader, temp_file, rel)
            self._publish(temp_name, target, rel)
        except BaseException:
            # Whatever failed (the source, the disk, an interrupt), leave no trace: no temp file and
            # no directories created only for this object.
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp_name)
            self._prune_empty_parents(target)
            raise
        self._fsync_directory(target.parent)
        return StoredObject(path=rel, size=reader.size, sha256=reader.hexdigest())

    def _copy(self, reader: HashingReader, temp_file: BinaryIO, rel: str) -> None:
        # Reading stays outside the try blocks: errors from the caller's stream are theirs and
        # propagate unchanged; only our own writes become StorageError.
        while chunk := reader.read(CHUNK_SIZE):
            try:
                temp_file.write(chunk)
            except OSError as exc:
                raise StorageError(f"Cannot write artifact {rel!r}: {exc}") from exc
        try:
            temp_file.flush()
            # Durable before visible: after a crash the name never points at a short file.
            os.fsync(temp_file.fileno())
        except OSError as exc:
            raise StorageError(f"Cannot write artifact {rel!r}: {exc}") from exc

    def _publish(self, temp_name: str, target: Path, rel: str) -> None:
        try:
            os.replace(temp_name, target)
        except IsADirectoryError as exc:
            raise Conflict(f"Cannot write artifact {rel!r}: it is a directory") from exc
        except OSError as exc:
            raise StorageError(f"Cannot write artifact {rel!r}: {exc}") from exc

    def _create_temp_beside(self, rel: str, target: Path) -> tuple[int, str]:
        for _ in range(_CREATE_ATTEMPTS):
            try:
                os.makedirs(target.parent, exist_ok=True)
            except (FileExistsError, NotADirectoryError) as exc:
                raise Conflict(f"Cannot write artifact {rel!r}: a parent of it is a file") from exc
            except OSError as exc:
                raise StorageError(f"Cannot write artifact {rel!r}: {exc}") from exc
            temp_name = str(target.parent / f"{RESERVED_PREFIX}{secrets.token_hex(8)}")
            try:
                # Mode 0o666 less the umask, like any file a program creates (mkstemp forces 0600,
                # which would surprise operators whose backup jobs run as another user).
                return os.open(temp_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), temp_name
            except (FileNotFoundError, FileExistsError):
                continue  # the directory was just pruned, or (astronomically rare) a name clash
            except OSError as exc:
                raise StorageError(f"Cannot write artifact {rel!r}: {exc}") from exc
        raise StorageError(f"Cannot create a temporary file for artifact {rel!r}")

    def _fsync_directory(self, directory: Path) -> None:
        # Makes the rename itself durable. Best effort: not every platform can open a directory.
        try:
            fd = os.open(directory, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(fd)
        except OSError:
            logger.debug("fsync of directory %s failed", directory, exc_info=True)
        finally:
            os.close(fd)

    def open(self, path: str, offset: int = 0) -> BinaryIO:
        rel, target = resolve_local(self._root, path)
        if offset < 0:
            raise InvalidParameter(f"Offset must not be negative, got {offset}", field="offset")
        info = self._describe(target, rel)
        # Checked before opening: opening a FIFO someone left in the root would block forever.
        if info is None or info.is_dir:
            raise NotFound(f"No such artifact: {rel!r}")
        try:
            stream = builtins.open(target, "rb")  # noqa: SIM115  # the caller owns and closes it
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
            raise NotFound(f"No such artifact: {rel!r}") from exc  # deleted since the check
        except OSError as exc:
            raise StorageError(f"Cannot read artifact {rel!r}: {exc}") from exc
        if offset:
            try:
                stream.seek(offset)
            except BaseException:
                stream.close()
                raise
        return stream

    def stat(self, path: str) -> FileInfo | None:
        rel, target = resolve_local(self._root, path)
        return self._describe(target, rel)

    def _describe(self, target: Path, name: str) -> FileInfo | None:
        try:
            info = os.stat(target)  # follows symlinks; resolve_local vetted where they lead
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            raise StorageError(f"Cannot inspect artifact {name!r}: {exc}") from exc
        if stat_module.S_ISDIR(info.st_mode):
            return FileInfo(path=name, is_dir=True, file_size=None)
        if stat_module.S_ISREG(info.st_mode):
            return FileInfo(path=name, is_dir=False, file_size=info.st_size)
        return None  # sockets, FIFOs, devices: not artifacts

    def list(self, path: str = "") -> builtins.list[FileInfo]:
        _, directory = resolve_local(self._root, path, allow_root=True)
        return sorted(self._children(directory), key=lambda info: info.path)

    def _children(self, directory: Path) -> Iterator[FileInfo]:
        """Visible entries of `directory` (names relative to it); nothing if it is not one."""
        try:
            entries = builtins.list(os.scandir(directory))
        except (FileNotFoundError, NotADirectoryError):
            return
        except OSError as exc:
            raise StorageError(f"Cannot list {directory}: {exc}") from exc
        for entry in entries:
            # Temp files of in-flight writes, and names no client path could address.
            if not is_safe_name(entry.name):
                continue
            if entry.is_symlink() and not is_inside(self._root, Path(os.path.realpath(entry.path))):
                continue
            info = self._describe(Path(entry.path), entry.name)
            if info is not None:
                yield info

    def walk(self, path: str = "") -> Iterator[FileInfo]:
        # Checked here, eagerly; only the traversal below is lazy.
        _, directory = resolve_local(self._root, path, allow_root=True)
        return self._walk(directory, "", frozenset())

    def _walk(self, directory: Path, prefix: str, ancestors: frozenset[str]) -> Iterator[FileInfo]:
        real = os.path.realpath(directory)
        if real in ancestors:  # a symlink loop inside the root
            return
        ancestors = ancestors | {real}
        # Sorting a directory's entries with directories keyed as "name/" yields the full relative
        # paths in plain string order without collecting the whole tree (the order S3 lists keys).
        children = sorted(
            self._children(directory),
            key=lambda info: info.path + "/" if info.is_dir else info.path,
        )
        for child in children:
            rel = f"{prefix}{child.path}"
            if child.is_dir:
                yield from self._walk(directory / child.path, rel + "/", ancestors)
            else:
                yield FileInfo(path=rel, is_dir=False, file_size=child.file_size)

    def delete(self, path: str) -> None:
        rel, target = resolve_local(self._root, path)
        try:
            if target.is_symlink() or not target.is_dir():
                target.unlink()
            else:
                # rmtree removes links inside the tree, never what they point to.
                shutil.rmtree(target)
        except FileNotFoundError:
            return
        except NotADirectoryError:
            return
        except OSError as exc:
            raise StorageError(f"Cannot delete artifact {rel!r}: {exc}") from exc
        self._prune_empty_parents(target)

    def _prune_empty_parents(self, target: Path) -> None:
        # Directories are implied by their contents (as in S3): drop the ones a delete or a failed
        # write left empty, up to but never including the root.
        parent = target.parent
        while parent != self._root and parent.is_relative_to(self._root):
            try:
                parent.rmdir()
            except OSError as exc:
                if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOENT):
                    logger.debug("Could not prune %s", parent, exc_info=True)
                return
            parent = parent.parent
