"""The ArtifactStore contract, run unchanged against every store.

`local`: a LocalArtifactStore in tmp_path. `s3`: an S3ArtifactStore talking HTTP to moto's server
(tests/fixtures/s3.py), on a prefix inside a fresh bucket. Each store comes in a `Backend` that can
also see *everything* in its backing storage (the whole tmp_path, the whole bucket) and holds a
"victim" object just outside the store's root, which traversal attempts would reach.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from registry.domain.errors import Conflict, InvalidParameter, InvalidPath, NotFound, StorageError
from registry.storage import (
    ArtifactStore,
    FileInfo,
    LocalArtifactStore,
    build_manifest,
    open_store,
    sha256_of_stream,
)
from registry.storage.paths import RESERVED_PREFIX
from registry.storage.s3 import S3ArtifactStore, create_s3_client
from tests.fixtures.s3 import TEST_MULTIPART_SIZE, MotoBucket

MIB = 1024 * 1024
VICTIM_BYTES = b"must never be touched"


@dataclass
class Backend:
    kind: str
    store: ArtifactStore
    snapshot: Callable[[], dict[str, str]]  # every object in the backing storage -> its sha256
    victim_absolute: str  # an absolute path naming the victim, as a client might try
    moto: MotoBucket | None = None
    tmp_path: Path | None = None


def _local_backend(tmp_path: Path) -> Backend:
    (tmp_path / "victim").write_bytes(VICTIM_BYTES)
    store = LocalArtifactStore(tmp_path / "root")

    def snapshot() -> dict[str, str]:
        seen: dict[str, str] = {}
        for dirpath, dirnames, filenames in os.walk(tmp_path):
            base = Path(dirpath).relative_to(tmp_path)
            for name in dirnames:
                seen[str(base / name) + "/"] = "dir"
            for name in filenames:
                seen[str(base / name)] = hashlib.sha256((Path(dirpath) / name).read_bytes()).hexdigest()
        return seen

    return Backend("local", store, snapshot, str(tmp_path / "victim"), tmp_path=tmp_path)


def _s3_backend(bucket: MotoBucket) -> Backend:
    parent = bucket.prefix.rsplit("/", 1)[0]
    bucket.client.put_object(Bucket=bucket.name, Key=f"{parent}/victim", Body=VICTIM_BYTES)

    def snapshot() -> dict[str, str]:
        return {
            key: bucket.client.head_object(Bucket=bucket.name, Key=key)["ETag"]
            for key in bucket.object_keys()
        }

    return Backend("s3", bucket.store, snapshot, f"/{parent}/victim", moto=bucket)


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "local":
        return _local_backend(tmp_path)
    return _s3_backend(request.getfixturevalue("s3_bucket"))


@pytest.fixture
def store(backend: Backend) -> ArtifactStore:
    return backend.store


def put_bytes(store: ArtifactStore, path: str, data: bytes) -> None:
    store.put(path, io.BytesIO(data))


def read_all(store: ArtifactStore, path: str, offset: int = 0) -> bytes:
    with store.open(path, offset) as stream:
        return stream.read()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class GeneratedStream(io.RawIOBase):
    """`total` deterministic bytes made on the fly, like a request body arriving from a socket.

    Hands out at most `piece` bytes per read (short reads, as sockets do), refuses any read larger
    than `limit` or without a size (that would mean buffering everything), records the largest
    request, and can fail after `fail_after` bytes like a dropped connection.
    """

    _PATTERN_SIZE = MIB + 7  # not a divisor of any part size, so parts never repeat exactly

    def __init__(
        self,
        total: int,
        *,
        limit: int,
        piece: int = 256 * 1024,
        fail_after: int | None = None,
        seed: int = 7,
    ) -> None:
        super().__init__()
        pattern = random.Random(seed).randbytes(self._PATTERN_SIZE)
        self._doubled = pattern + pattern
        self.total = total
        self.limit = limit
        self.piece = piece
        self.fail_after = fail_after
        self.seed = seed
        self.position = 0
        self.max_requested = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1, /) -> bytes:
        if size is None or size < 0 or size > self.limit:
            raise AssertionError(f"read({size}) asks to buffer more than {self.limit} bytes")
        self.max_requested = max(self.max_requested, size)
        if self.fail_after is not None and self.position >= self.fail_after:
            raise SourceBroke("connection dropped")
        count = min(size, self.piece, self.total - self.position)
        start = self.position % self._PATTERN_SIZE
        self.position += count
        return self._doubled[start : start + count]

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def expected_sha256(self) -> str:
        twin = GeneratedStream(self.total, limit=self.limit, seed=self.seed)
        return sha256_of_stream(twin, self.limit)[0]


class SourceBroke(Exception):
    """Raised by a client's stream, not by the store: must reach the caller unchanged."""


# --- round trips ---------------------------------------------------------------------------------


def test_put_then_open_round_trips_binary_data(store: ArtifactStore) -> None:
    data = bytes(range(256)) * 4096 + b"\x00\r\n\x1a\xff"
    stored = store.put("run/artifacts/model.bin", io.BytesIO(data))
    assert stored.path == "run/artifacts/model.bin"
    assert stored.size == len(data)
    assert stored.sha256 == sha256(data)
    assert read_all(store, "run/artifacts/model.bin") == data


def test_put_reports_size_and_sha256_of_an_empty_object(store: ArtifactStore) -> None:
    stored = store.put("empty", io.BytesIO(b""))
    assert (stored.size, stored.sha256) == (0, sha256(b""))
    assert read_all(store, "empty") == b""
    assert store.stat("empty") == FileInfo(path="empty", is_dir=False, file_size=0)


@pytest.mark.parametrize(
    "name",
    ["données/modèle final.bin", "日本語/ファイル 1.txt", "emoji 🚀.txt", "dir with spaces/a b"],
)
def test_unicode_and_space_names_round_trip(store: ArtifactStore, name: str) -> None:
    put_bytes(store, name, name.encode())
    assert read_all(store, name) == name.encode()
    assert [info.path for info in store.walk("")] == [name]


def test_open_from_an_offset(store: ArtifactStore) -> None:
    data = os.urandom(100_000)
    put_bytes(store, "blob", data)
    for offset in (0, 1, 65_535, 99_999, 100_000, 250_000):
        assert read_all(store, "blob", offset) == data[offset:], offset


def test_open_streams_in_chunks(store: ArtifactStore) -> None:
    data = os.urandom(3 * MIB + 11)
    put_bytes(store, "blob", data)
    with store.open("blob", 5) as stream:
        digest, size = sha256_of_stream(stream, 64 * 1024)
    assert (digest, size) == (sha256(data[5:]), len(data) - 5)


def test_open_refuses_a_negative_offset(store: ArtifactStore) -> None:
    put_bytes(store, "blob", b"abc")
    with pytest.raises(InvalidParameter, match="negative"):
        store.open("blob", -1)


def test_overwrite_replaces_the_object(store: ArtifactStore) -> None:
    put_bytes(store, "m/model.pkl", b"first version, longer")
    stored = store.put("m/model.pkl", io.BytesIO(b"second"))
    assert stored.size == 6
    assert read_all(store, "m/model.pkl") == b"second"
    assert store.list("m") == [FileInfo(path="model.pkl", is_dir=False, file_size=6)]


# --- missing objects -----------------------------------------------------------------------------


def test_missing_object_is_not_found(store: ArtifactStore) -> None:
    put_bytes(store, "dir/file", b"x")
    for path in ("nope", "dir/nope", "nope/deeper", "dir/file/under-a-file"):
        with pytest.raises(NotFound, match="No such artifact"):
            store.open(path)
    with pytest.raises(NotFound):
        store.open("dir")  # a directory is not an object
    assert store.stat("nope") is None
    assert not store.exists("nope")


# --- listing -------------------------------------------------------------------------------------


def test_list_gives_sorted_children_with_sizes(store: ArtifactStore) -> None:
    put_bytes(store, "d/b.txt", b"bb")
    put_bytes(store, "d/a.bin", b"a")
    put_bytes(store, "d/Z", b"zzz")
    put_bytes(store, "d/sub/x", b"xxxx")
    put_bytes(store, "d/sub/deeper/y", b"y")
    put_bytes(store, "d-sibling/q", b"q")

    assert store.list("d") == [
        FileInfo(path="Z", is_dir=False, file_size=3),
        FileInfo(path="a.bin", is_dir=False, file_size=1),
        FileInfo(path="b.txt", is_dir=False, file_size=2),
        FileInfo(path="sub", is_dir=True, file_size=None),
    ]
    assert store.list("d/sub") == [
        FileInfo(path="deeper", is_dir=True, file_size=None),
        FileInfo(path="x", is_dir=False, file_size=4),
    ]
    assert store.list("") == [
        FileInfo(path="d", is_dir=True, file_size=None),
        FileInfo(path="d-sibling", is_dir=True, file_size=None),
    ]


def test_list_of_a_missing_directory_or_a_file_is_empty(store: ArtifactStore) -> None:
    assert store.list("") == []
    assert store.list("no/such/dir") == []
    put_bytes(store, "d/file", b"x")
    assert store.list("d/file") == []
    assert store.list("d/fil") == []  # a key prefix is not a directory


def test_walk_yields_every_file_sorted_and_relative(store: ArtifactStore) -> None:
    for path in ("w/a/b", "w/a-c", "w/a.d", "w/ab", "w/a/z/deep", "w/0", "other/x"):
        put_bytes(store, path, path.encode())
    walked = list(store.walk("w"))
    assert [info.path for info in walked] == ["0", "a-c", "a.d", "a/b", "a/z/deep", "ab"]
    assert walked == sorted(walked, key=lambda info: info.path)
    assert all(not info.is_dir for info in walked)
    assert walked[3] == FileInfo(path="a/b", is_dir=False, file_size=len(b"w/a/b"))
    assert [info.path for info in store.walk("")] == [
        "other/x",
        "w/0",
        "w/a-c",
        "w/a.d",
        "w/a/b",
        "w/a/z/deep",
        "w/ab",
    ]
    assert list(store.walk("missing")) == []
    assert list(store.walk("w/0")) == []  # a file has nothing below it


def test_stat_and_exists(store: ArtifactStore) -> None:
    put_bytes(store, "a/b/c.txt", b"hello")
    assert store.stat("a/b/c.txt") == FileInfo(path="a/b/c.txt", is_dir=False, file_size=5)
    assert store.stat("a/b") == FileInfo(path="a/b", is_dir=True, file_size=None)
    assert store.stat("a") == FileInfo(path="a", is_dir=True, file_size=None)
    assert store.stat("a/b/c") is None
    assert store.exists("a/b/c.txt")
    assert store.exists("a")
    assert not store.exists("a/b/c")
    assert not store.exists("b")


# --- deleting ------------------------------------------------------------------------------------


def test_delete_a_file(store: ArtifactStore) -> None:
    put_bytes(store, "d/keep", b"k")
    put_bytes(store, "d/drop", b"d")
    store.delete("d/drop")
    assert not store.exists("d/drop")
    assert [info.path for info in store.list("d")] == ["keep"]


def test_deleting_the_last_file_removes_its_directories(store: ArtifactStore) -> None:
    put_bytes(store, "only/deep/file", b"x")
    store.delete("only/deep/file")
    assert not store.exists("only/deep")
    assert not store.exists("only")
    assert store.list("") == []


def test_delete_a_prefix_recursively(store: ArtifactStore) -> None:
    for path in ("p/a/1", "p/a/2", "p/a/sub/3", "p/ab", "p/a-b/4"):
        put_bytes(store, path, b"x")
    store.delete("p/a")
    assert not store.exists("p/a")
    assert [info.path for info in store.walk("p")] == ["a-b/4", "ab"]


def test_delete_missing_is_not_an_error(store: ArtifactStore) -> None:
    store.delete("never/existed")
    store.delete("never")


# --- large and streamed uploads ------------------------------------------------------------------


def test_multipart_upload_round_trips(backend: Backend) -> None:
    data = random.Random(12).randbytes(12 * MIB)  # > 2 parts of TEST_MULTIPART_SIZE (5 MiB)
    stored = backend.store.put("big/model.bin", io.BytesIO(data))
    assert (stored.size, stored.sha256) == (len(data), sha256(data))
    with backend.store.open("big/model.bin") as stream:
        assert sha256_of_stream(stream) == (sha256(data), len(data))
    if backend.moto is not None:
        assert TEST_MULTIPART_SIZE == 5 * MIB
        head = backend.moto.client.head_object(
            Bucket=backend.moto.name, Key=f"{backend.moto.prefix}/big/model.bin"
        )
        assert head["ETag"].strip('"').endswith("-3")  # S3's mark of a 3-part multipart upload
        assert backend.moto.multipart_uploads() == []


def test_put_streams_without_buffering_the_whole_object(store: ArtifactStore) -> None:
    limit = 8 * MIB  # the most any single read may ask for
    source = GeneratedStream(3 * limit, limit=limit)
    stored = store.put("streamed.bin", source)
    assert source.position == source.total
    assert 0 < source.max_requested <= limit
    assert (stored.size, stored.sha256) == (source.total, source.expected_sha256())
    with store.open("streamed.bin") as stream:
        assert sha256_of_stream(stream) == (source.expected_sha256(), source.total)


@pytest.mark.parametrize("fail_after", [100, 7 * MIB], ids=["small", "during-multipart"])
def test_failed_put_leaves_nothing_behind(backend: Backend, fail_after: int) -> None:
    store = backend.store
    put_bytes(store, "f/model.bin", b"version 1")
    before = backend.snapshot()

    with pytest.raises(SourceBroke):
        store.put("f/model.bin", GeneratedStream(12 * MIB, limit=8 * MIB, fail_after=fail_after))
    with pytest.raises(SourceBroke):
        store.put("g/new/model.bin", GeneratedStream(12 * MIB, limit=8 * MIB, fail_after=fail_after))

    assert read_all(store, "f/model.bin") == b"version 1"
    assert not store.exists("g")
    assert backend.snapshot() == before
    if backend.moto is not None:
        assert backend.moto.multipart_uploads() == []


def test_readers_never_see_a_partial_object(store: ArtifactStore) -> None:
    versions = [bytes([n]) * (2 * MIB) for n in range(3)]
    put_bytes(store, "hot/model.bin", versions[0])
    seen: set[bytes] = set()
    errors: list[BaseException] = []
    done = threading.Event()

    def read_repeatedly() -> None:
        try:
            while not done.is_set():
                data = read_all(store, "hot/model.bin")
                assert data in versions, "read a mix of versions or a partial object"
                seen.add(data[:1])
        except BaseException as exc:
            errors.append(exc)

    reader = threading.Thread(target=read_repeatedly)
    reader.start()
    try:
        for round_ in range(12):
            put_bytes(store, "hot/model.bin", versions[round_ % 3])
    finally:
        done.set()
        reader.join(timeout=60)
    assert not errors, errors
    assert seen


# --- manifests -----------------------------------------------------------------------------------


def test_build_manifest_records_sha256_and_size_of_every_file(store: ArtifactStore) -> None:
    files = {"MLmodel": b"flavors: {}\n", "model.skops": os.urandom(5000), "sub/conda.yaml": b""}
    for name, data in files.items():
        put_bytes(store, f"1/models/m-1/artifacts/{name}", data)
    put_bytes(store, "1/models/m-1/other", b"outside the prefix")

    manifest = build_manifest(store, "1/models/m-1/artifacts")
    assert manifest == {
        name: {"sha256": sha256(data), "size": len(data)} for name, data in sorted(files.items())
    }
    assert list(manifest) == sorted(files)
    assert build_manifest(store, "1/models/none") == {}


# --- path safety ---------------------------------------------------------------------------------

# "{victim}" is replaced by an absolute path naming the object planted just outside the store.
TRAVERSALS = [
    "../victim",
    "a/../../victim",
    "/etc/passwd",
    "{victim}",
    "a\\b",
    "..\\victim",
    "%2e%2e/victim",
    "%2e%2e%2fvictim",
    "%252e%252e%252fvictim",
    "a%2fb",
    "a%2F..%2F..%2Fvictim",
    "%2e%2e%5cvictim",
    "victim\x00",
    "a/\x00/b",
    "./victim",
    "a//b",
    "a/",
    "..",
    "\uff0e\uff0e/victim",
    f"{RESERVED_PREFIX}x",
]


def _every_method(store: ArtifactStore, path: str) -> dict[str, Callable[[], object]]:
    return {
        "put": lambda: store.put(path, io.BytesIO(b"evil")),
        "open": lambda: store.open(path),
        "open-offset": lambda: store.open(path, 3),
        "stat": lambda: store.stat(path),
        "list": lambda: store.list(path),
        "walk": lambda: store.walk(path),  # refused when called, before any iteration
        "delete": lambda: store.delete(path),
        "exists": lambda: store.exists(path),
    }


def assert_refused(label: str, call: Callable[[], object]) -> None:
    try:
        call()
    except InvalidPath:
        return
    pytest.fail(f"{label} was accepted")


@pytest.mark.parametrize("template", TRAVERSALS)
def test_unsafe_paths_are_refused_by_every_method(backend: Backend, template: str) -> None:
    path = template.replace("{victim}", backend.victim_absolute)
    put_bytes(backend.store, "a/b", b"inside")  # so "a/.." style paths have something to climb
    before = backend.snapshot()
    for method, call in _every_method(backend.store, path).items():
        assert_refused(f"{method}({path!r})", call)
    assert backend.snapshot() == before  # nothing written, overwritten or deleted, in or out


def test_the_root_is_addressable_only_by_list_and_walk(store: ArtifactStore) -> None:
    put_bytes(store, "x", b"x")
    assert [info.path for info in store.list("")] == ["x"]
    assert [info.path for info in store.walk("")] == ["x"]
    for method, call in _every_method(store, "").items():
        if method not in ("list", "walk"):
            assert_refused(f"{method}('')", call)
    assert read_all(store, "x") == b"x"


# --- local specifics -----------------------------------------------------------------------------


def test_local_symlinks_that_escape_the_root_are_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_bytes(b"secret")
    store = LocalArtifactStore(tmp_path / "root")
    (tmp_path / "root" / "link").symlink_to(outside)
    (tmp_path / "root" / "file-link").symlink_to(outside / "secret")
    for path in ("link/secret", "link/new", "link", "file-link"):
        for method, call in _every_method(store, path).items():
            assert_refused(f"{method}({path!r})", call)
    assert sorted(p.name for p in outside.iterdir()) == ["secret"]
    assert (outside / "secret").read_bytes() == b"secret"
    assert store.list("") == []  # escaping links are not listed either
    assert list(store.walk("")) == []


def test_local_symlinks_inside_the_root_are_followed(tmp_path: Path) -> None:
    store = LocalArtifactStore(tmp_path / "root")
    put_bytes(store, "real/file", b"data")
    (tmp_path / "root" / "alias").symlink_to(tmp_path / "root" / "real")
    (tmp_path / "root" / "real" / "loop").symlink_to(tmp_path / "root" / "real")
    assert read_all(store, "alias/file") == b"data"
    assert [info.path for info in store.walk("alias")] == ["file"]  # the loop is not followed
    store.delete("alias")  # deletes the link, not what it points to
    assert read_all(store, "real/file") == b"data"


def test_local_partial_files_are_invisible(tmp_path: Path) -> None:
    store = LocalArtifactStore(tmp_path / "root")
    put_bytes(store, "d/real", b"r")
    (tmp_path / "root" / "d" / f"{RESERVED_PREFIX}abc123").write_bytes(b"half")
    assert [info.path for info in store.list("d")] == ["real"]
    assert [info.path for info in store.walk("")] == ["d/real"]


def test_local_paths_that_collide_with_files_or_directories_conflict(tmp_path: Path) -> None:
    # S3 lets a key and a prefix share a name; a file system cannot, so the local store says so.
    store = LocalArtifactStore(tmp_path / "root")
    put_bytes(store, "d/x", b"file")
    with pytest.raises(Conflict, match="parent of it is a file"):
        put_bytes(store, "d/x/y", b"under a file")
    with pytest.raises(Conflict, match="it is a directory"):
        put_bytes(store, "d", b"over a directory")
    assert [info.path for info in store.walk("")] == ["d/x"]
    assert sorted(p.name for p in (tmp_path / "root" / "d").iterdir()) == ["x"]


def test_local_fifo_is_not_an_artifact(tmp_path: Path) -> None:
    store = LocalArtifactStore(tmp_path / "root")
    os.mkfifo(tmp_path / "root" / "pipe")
    with pytest.raises(NotFound):
        store.open("pipe")
    assert store.stat("pipe") is None
    assert store.list("") == []


def test_local_store_creates_its_root_and_reports_its_uri(tmp_path: Path) -> None:
    store = LocalArtifactStore(tmp_path / "new" / "root")
    assert (tmp_path / "new" / "root").is_dir()
    assert store.uri == (tmp_path / "new" / "root").resolve().as_uri()


# --- S3 specifics --------------------------------------------------------------------------------


def test_s3_store_stays_inside_its_prefix(s3_bucket: MotoBucket) -> None:
    client, name = s3_bucket.client, s3_bucket.name
    for key in ("some/prefix-sibling/x", "some/prefixx", "elsewhere/y", "some/prefix/../z"):
        client.put_object(Bucket=name, Key=key, Body=b"not ours")
    client.put_object(Bucket=name, Key="some/prefix/folder-marker/", Body=b"")
    put_bytes(s3_bucket.store, "ours", b"mine")
    assert s3_bucket.store.list("") == [
        FileInfo(path="folder-marker", is_dir=True, file_size=None),
        FileInfo(path="ours", is_dir=False, file_size=4),
    ]
    # The key with ".." was written behind the store's back; it is not addressable, so not shown.
    assert [info.path for info in s3_bucket.store.walk("")] == ["ours"]
    assert "some/prefix/ours" in s3_bucket.object_keys()
    assert s3_bucket.store.uri == s3_bucket.uri


def test_s3_missing_bucket_is_a_storage_error(moto_s3_endpoint: str, s3_credentials: None) -> None:
    store = open_store("s3://podium-no-such-bucket/p", s3_endpoint_url=moto_s3_endpoint)
    calls: list[Callable[[], object]] = [
        lambda: store.put("x", io.BytesIO(b"x")),
        lambda: store.open("x"),
        lambda: store.list(""),
        lambda: list(store.walk("")),
        lambda: store.delete("x"),
    ]
    for call in calls:
        with pytest.raises(StorageError, match="NoSuchBucket"):
            call()


def test_s3_unreachable_endpoint_is_a_storage_error(s3_credentials: None) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = create_s3_client(endpoint_url=f"http://127.0.0.1:{port}", max_attempts=1)
    store = S3ArtifactStore("bucket", "p", client=client)
    calls: list[Callable[[], object]] = [
        lambda: store.put("x", io.BytesIO(b"x")),
        lambda: store.open("x"),
        lambda: store.stat("x"),
        lambda: store.list(""),
        lambda: list(store.walk("")),
        lambda: store.delete("x"),
    ]
    for call in calls:
        with pytest.raises(StorageError, match="S3 failed"):
            call()


def test_s3_store_refuses_parts_smaller_than_s3_allows() -> None:
    with pytest.raises(ValueError, match="multipart_chunksize"):
        S3ArtifactStore("bucket", client=object(), multipart_chunksize=MIB)  # type: ignore[arg-type]


# --- factory -------------------------------------------------------------------------------------


def test_open_store_accepts_folders_and_file_uris(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    by_path = open_store(str(tmp_path / "a"))
    by_uri = open_store((tmp_path / "b").as_uri())
    by_localhost = open_store(f"file://localhost{tmp_path / 'c'}")
    monkeypatch.chdir(tmp_path)
    relative = open_store("rel/store")
    for store, folder in [
        (by_path, "a"),
        (by_uri, "b"),
        (by_localhost, "c"),
        (relative, "rel/store"),
    ]:
        assert isinstance(store, LocalArtifactStore)
        assert store.root == (tmp_path / folder).resolve()
        assert (tmp_path / folder).is_dir()


def test_open_store_builds_s3_stores(s3_bucket: MotoBucket) -> None:
    store = open_store(f"s3://{s3_bucket.name}/x/y/", s3_endpoint_url=s3_bucket.endpoint_url)
    assert isinstance(store, S3ArtifactStore)
    assert (store.bucket, store.prefix, store.uri) == (
        s3_bucket.name,
        "x/y",
        f"s3://{s3_bucket.name}/x/y",
    )
    put_bytes(store, "k", b"v")
    assert "x/y/k" in s3_bucket.object_keys()
    bare = open_store(f"s3://{s3_bucket.name}", s3_endpoint_url=s3_bucket.endpoint_url)
    assert isinstance(bare, S3ArtifactStore)
    assert bare.prefix == ""
    assert [info.path for info in bare.walk("x")] == ["y/k"]


@pytest.mark.parametrize(
    "uri",
    [
        "",
        "s3://",
        "s3:///prefix",
        "gs://bucket/p",
        "file://otherhost/p",
        "s3://b/p?x=1",
        "s3://b/../p",
    ],
)
def test_open_store_refuses_unusable_uris(uri: str) -> None:
    with pytest.raises((ValueError, InvalidPath)):
        open_store(uri)
