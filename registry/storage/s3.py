"""`ArtifactStore` on an S3-compatible bucket (AWS S3, MinIO, Ceph, moto in tests).

This is the only module in Podium that imports boto3 or botocore: every vendor exception is
translated here into `NotFound` or `StorageError`, so nothing above the storage layer knows S3
exists. Objects are the keys `<prefix>/<path>`; directories are implied by key prefixes, as S3
itself has none.

Uploads use boto3's managed transfer: objects below `multipart_threshold` go up in one PUT, larger
ones as a multipart upload of `multipart_chunksize` parts sent by a few threads. Both are atomic in
S3 (an object appears only when complete), and a failed multipart upload is aborted, so no partial
object is ever visible. Because the length of a client's stream is unknown up front, boto3 buffers
parts in memory; that memory is bounded by `max_concurrency` parts per upload, never the object.
"""

from __future__ import annotations

import builtins
import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any, BinaryIO, Literal, cast

import boto3
from boto3.exceptions import Boto3Error
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from registry.domain.errors import InvalidParameter, InvalidPath, NotFound, StorageError
from registry.storage.base import ArtifactStore, FileInfo, ReadableStream, StoredObject
from registry.storage.digests import HashingReader
from registry.storage.paths import MAX_PATH_BYTES, is_safe_name, join_path, safe_path

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer
    from botocore.response import StreamingBody
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import ObjectIdentifierTypeDef

logger = logging.getLogger(__name__)

DEFAULT_REGION = "us-east-1"
MIB = 1024 * 1024
#: S3 refuses multipart parts smaller than this (except the last one).
MIN_PART_SIZE = 5 * MIB
DEFAULT_MULTIPART_THRESHOLD = 8 * MIB
DEFAULT_MULTIPART_CHUNKSIZE = 8 * MIB
DEFAULT_MAX_CONCURRENCY = 4
_READ_BUFFER_SIZE = 64 * 1024

# HEAD answers a missing key with a bare 404; GET with NoSuchKey.
_NOT_FOUND_CODES = frozenset({"404", "NoSuchKey", "NotFound"})


def create_s3_client(
    *,
    endpoint_url: str | None = None,
    region_name: str | None = None,
    addressing_style: Literal["auto", "virtual", "path"] | None = None,
    max_pool_connections: int = 32,
    connect_timeout: float = 10,
    read_timeout: float = 60,
    max_attempts: int = 5,
) -> S3Client:
    """Build an S3 client; credentials come from boto3's usual chain (environment, profile, role).

    `endpoint_url` points at any S3-compatible service. The region is `region_name`, else the one
    boto3 is configured with, else us-east-1. `addressing_style` ("path" or "virtual") is for
    services that support only one of them. Retries use botocore's "standard" mode.
    """
    session = boto3.session.Session()
    region = region_name or session.region_name or DEFAULT_REGION
    config = Config(
        region_name=region,
        retries={"mode": "standard", "max_attempts": max_attempts},
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        # Enough for several concurrent requests each running a few multipart threads.
        max_pool_connections=max_pool_connections,
        s3={"addressing_style": addressing_style} if addressing_style else None,
    )
    return session.client("s3", endpoint_url=endpoint_url, region_name=region, config=config)


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _storage_error(action: str, rel: str, exc: Exception) -> StorageError:
    if isinstance(exc, ClientError):
        code = _error_code(exc)
        message = exc.response.get("Error", {}).get("Message", "")
        return StorageError(
            f"S3 failed to {action} artifact {rel!r}: {code} {message}".rstrip(),
            details={"s3_error_code": code},
        )
    return StorageError(f"S3 failed to {action} artifact {rel!r}: {exc}")


@contextmanager
def _vendor_errors(action: str, rel: str) -> Iterator[None]:
    """Translate whatever boto3/botocore raise inside the block into `StorageError`."""
    try:
        yield
    except (ClientError, BotoCoreError, Boto3Error) as exc:
        raise _storage_error(action, rel, exc) from exc


class _S3Body(io.RawIOBase):
    """A GET response body as a raw stream whose read errors are `StorageError`, not botocore's."""

    def __init__(self, body: StreamingBody, rel: str) -> None:
        super().__init__()
        self._body = body
        self._rel = rel

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        view = memoryview(buffer).cast("B")
        with _vendor_errors("read", self._rel):
            data = self._body.read(len(view))
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            # Closing mid-body drops the connection rather than draining a large object.
            self._body.close()
        super().close()


class S3ArtifactStore(ArtifactStore):
    """Artifacts as objects `<prefix>/<path>` in `bucket`. See `ArtifactStore` for the contract.

    `client` defaults to `create_s3_client(endpoint_url=..., region_name=...)`. The transfer
    settings decide when an upload becomes multipart and how big its parts are (S3's minimum part
    size is 5 MiB; tests lower the threshold to force multipart with small objects). Memory per
    upload is about `max_concurrency * multipart_chunksize` (plus one part being read).
    S3 specifics: a key and a prefix may share a name (`a` and `a/b`); `list` then shows both.
    """

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        client: S3Client | None = None,
        endpoint_url: str | None = None,
        region_name: str | None = None,
        multipart_threshold: int = DEFAULT_MULTIPART_THRESHOLD,
        multipart_chunksize: int = DEFAULT_MULTIPART_CHUNKSIZE,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
    ) -> None:
        if not bucket or "/" in bucket:
            raise ValueError(f"Invalid S3 bucket name {bucket!r}")
        if multipart_chunksize < MIN_PART_SIZE:
            raise ValueError(f"multipart_chunksize must be at least {MIN_PART_SIZE} bytes (S3 rule)")
        if multipart_threshold < 1 or max_concurrency < 1:
            raise ValueError("multipart_threshold and max_concurrency must be positive")
        self._bucket = bucket
        # The prefix obeys the same rules as any artifact path, so keys built from it are canonical.
        self._prefix = safe_path(prefix.strip("/"), allow_root=True)
        self._client = client or create_s3_client(endpoint_url=endpoint_url, region_name=region_name)
        self._transfer_config = TransferConfig(
            multipart_threshold=multipart_threshold,
            multipart_chunksize=multipart_chunksize,
            max_concurrency=max_concurrency,
            use_threads=True,
            # The CRT client, when installed, behaves differently with streams; stay predictable.
            preferred_transfer_client="classic",
        )
        # boto3's default would let 10 parts queue up in memory per upload; keep it near the
        # number actually being sent.
        self._transfer_config.max_in_memory_upload_chunks = max_concurrency

    @property
    def bucket(self) -> str:
        return self._bucket

    @property
    def prefix(self) -> str:
        return self._prefix

    @property
    def uri(self) -> str:
        return f"s3://{self._bucket}/{self._prefix}" if self._prefix else f"s3://{self._bucket}"

    def _key(self, rel: str) -> str:
        key = join_path(self._prefix, rel)
        if len(key.encode("utf-8")) > MAX_PATH_BYTES:
            raise InvalidPath(
                f"Invalid artifact path {rel!r}: with the store's prefix it is longer than "
                f"{MAX_PATH_BYTES} bytes",
                field="path",
            )
        return key

    def _dir_prefix(self, rel: str) -> str:
        """The key prefix of everything inside directory `rel` ("" is the store's root)."""
        base = join_path(self._prefix, rel)
        return f"{base}/" if base else ""

    def put(self, path: str, stream: ReadableStream) -> StoredObject:
        rel = safe_path(path)
        key = self._key(rel)
        reader = HashingReader(stream)
        with _vendor_errors("write", rel):
            # boto3 wants a file object; the reader implements the part of that protocol it uses
            # (read, readable, seekable=False) and being unseekable, each byte is hashed once.
            self._client.upload_fileobj(
                cast(IO[Any], reader), self._bucket, key, Config=self._transfer_config
            )
        return StoredObject(path=rel, size=reader.size, sha256=reader.hexdigest())

    def open(self, path: str, offset: int = 0) -> BinaryIO:
        rel = safe_path(path)
        key = self._key(rel)
        if offset < 0:
            raise InvalidParameter(f"Offset must not be negative, got {offset}", field="offset")
        try:
            if offset:
                response = self._client.get_object(Bucket=self._bucket, Key=key, Range=f"bytes={offset}-")
            else:
                response = self._client.get_object(Bucket=self._bucket, Key=key)
        except ClientError as exc:
            code = _error_code(exc)
            if code in _NOT_FOUND_CODES:
                raise NotFound(f"No such artifact: {rel!r}") from exc
            if code == "InvalidRange":
                # The object exists but the offset is at or past its end: nothing left to read.
                return io.BytesIO()
            raise _storage_error("read", rel, exc) from exc
        except (BotoCoreError, Boto3Error) as exc:
            raise _storage_error("read", rel, exc) from exc
        return io.BufferedReader(_S3Body(response["Body"], rel), buffer_size=_READ_BUFFER_SIZE)

    def stat(self, path: str) -> FileInfo | None:
        rel = safe_path(path)
        key = self._key(rel)
        try:
            head = self._client.head_object(Bucket=self._bucket, Key=key)
        except ClientError as exc:
            if _error_code(exc) not in _NOT_FOUND_CODES:
                raise _storage_error("inspect", rel, exc) from exc
        except (BotoCoreError, Boto3Error) as exc:
            raise _storage_error("inspect", rel, exc) from exc
        else:
            return FileInfo(path=rel, is_dir=False, file_size=head["ContentLength"])
        with _vendor_errors("inspect", rel):
            below = self._client.list_objects_v2(Bucket=self._bucket, Prefix=self._dir_prefix(rel), MaxKeys=1)
        if below.get("KeyCount", 0) > 0:
            return FileInfo(path=rel, is_dir=True, file_size=None)
        return None

    def list(self, path: str = "") -> builtins.list[FileInfo]:
        rel = safe_path(path, allow_root=True)
        dir_prefix = self._dir_prefix(rel)
        entries: builtins.list[FileInfo] = []
        paginator = self._client.get_paginator("list_objects_v2")
        with _vendor_errors("list", rel):
            for page in paginator.paginate(Bucket=self._bucket, Prefix=dir_prefix, Delimiter="/"):
                for common in page.get("CommonPrefixes", []):
                    name = common.get("Prefix", "")[len(dir_prefix) : -1]
                    if is_safe_name(name):
                        entries.append(FileInfo(path=name, is_dir=True, file_size=None))
                for obj in page.get("Contents", []):
                    name = obj.get("Key", "")[len(dir_prefix) :]
                    # "" is a folder marker object (`dir/`) made by consoles and other tools.
                    if name and is_safe_name(name):
                        entries.append(FileInfo(path=name, is_dir=False, file_size=obj.get("Size")))
        return sorted(entries, key=lambda info: info.path)

    def walk(self, path: str = "") -> Iterator[FileInfo]:
        # Checked here, eagerly; only the listing below is lazy.
        rel = safe_path(path, allow_root=True)
        return self._walk(rel, self._dir_prefix(rel))

    def _walk(self, rel: str, dir_prefix: str) -> Iterator[FileInfo]:
        paginator = self._client.get_paginator("list_objects_v2")
        with _vendor_errors("list", rel):
            # S3 returns keys in UTF-8 byte order, which is the code point order Python sorts by.
            for page in paginator.paginate(Bucket=self._bucket, Prefix=dir_prefix):
                for obj in page.get("Contents", []):
                    child = obj.get("Key", "")[len(dir_prefix) :]
                    if not child or child.endswith("/"):
                        continue  # folder markers
                    if not self._addressable(child):
                        logger.warning("Skipping S3 key with an unsafe path: %r", obj.get("Key"))
                        continue
                    yield FileInfo(path=child, is_dir=False, file_size=obj.get("Size"))

    @staticmethod
    def _addressable(rel: str) -> bool:
        try:
            safe_path(rel)
        except InvalidPath:
            return False
        return True

    def delete(self, path: str) -> None:
        rel = safe_path(path)
        key = self._key(rel)
        paginator = self._client.get_paginator("list_objects_v2")
        with _vendor_errors("delete", rel):
            self._client.delete_object(Bucket=self._bucket, Key=key)  # missing keys are fine
            for page in paginator.paginate(Bucket=self._bucket, Prefix=self._dir_prefix(rel)):
                # A page holds at most 1000 keys, exactly what one DeleteObjects call accepts.
                doomed: builtins.list[ObjectIdentifierTypeDef] = [
                    {"Key": obj["Key"]} for obj in page.get("Contents", []) if "Key" in obj
                ]
                if not doomed:
                    continue
                answer = self._client.delete_objects(
                    Bucket=self._bucket, Delete={"Objects": doomed, "Quiet": True}
                )
                failures = answer.get("Errors", [])
                if failures:
                    first = failures[0]
                    raise StorageError(
                        f"S3 failed to delete {len(failures)} object(s) under {rel!r}: "
                        f"{first.get('Code', '')} {first.get('Message', '')}".rstrip(),
                        details={"s3_error_code": first.get("Code", "")},
                    )
