"""models:/ URIs and the manifest digest: pure rules the CLI, the client and the server share."""

from __future__ import annotations

import hashlib
import json

import pytest

from registry.domain.errors import InvalidParameter
from registry.domain.manifests import (
    FileDigest,
    ManifestError,
    canonical_json,
    digest_record,
    manifest_sha256,
    read_files,
)
from registry.domain.model_uris import ModelReference, parse_model_uri
from registry.domain.stages import Stage

A = "a" * 64
B = "b" * 64


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("models:/fraud@champion", ModelReference("fraud", alias="champion")),
        ("models:/fraud/3", ModelReference("fraud", version=3)),
        ("models:/fraud/Production", ModelReference("fraud", stage=Stage.PRODUCTION)),
        ("models:/fraud/staging", ModelReference("fraud", stage=Stage.STAGING)),
        ("models:/fraud/latest", ModelReference("fraud", latest=True)),
        ("models:/fraud detector v2/1", ModelReference("fraud detector v2", version=1)),
    ],
)
def test_model_uris_name_one_version_alias_or_stage(uri: str, expected: ModelReference) -> None:
    parsed = parse_model_uri(uri)
    assert parsed == expected
    assert parsed.pinned == (expected.version is not None)
    assert parse_model_uri(str(parsed)) == parsed


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("", "required"),
        ("fraud@champion", "expected models:/"),
        ("models:fraud/1", "expected models:/"),
        ("models://fraud/1", "expected models:/"),
        ("models:/fraud", "name a version, stage or alias"),
        ("models:/fraud/", "name a version, stage or alias"),
        ("models:/fraud@", "alias after '@' is empty"),
        ("models:/fraud@a/b", "cannot contain '/'"),
        ("models:/fraud/1/extra", "too many path segments"),
        ("models:/fraud/Productoin", "neither a version number, 'latest' nor a stage"),
        ("models:/fraud/0", "positive integer"),
        ("models:/m-" + "a" * 32, "name a version"),
    ],
)
def test_bad_model_uris_say_what_is_wrong(uri: str, message: str) -> None:
    with pytest.raises(InvalidParameter, match=message):
        parse_model_uri(uri)


def test_manifest_digest_is_sha256_of_documented_canonical_json() -> None:
    files = {"model.pkl": FileDigest(B, 10), "MLmodel": FileDigest(A, 3)}
    expected_text = f'{{"MLmodel":{{"sha256":"{A}","size":3}},"model.pkl":{{"sha256":"{B}","size":10}}}}'
    assert canonical_json(files) == expected_text.encode()
    assert manifest_sha256(files) == hashlib.sha256(expected_text.encode()).hexdigest()
    # Independent of insertion order.
    assert manifest_sha256(dict(reversed(list(files.items())))) == manifest_sha256(files)


def test_digest_record_round_trips_and_detects_edits() -> None:
    record = digest_record("1/models/m-x/artifacts", {"b/x": FileDigest(B, 1), "a": FileDigest(A, 2)})
    assert list(record["files"]) == ["a", "b/x"]
    assert read_files(json.loads(json.dumps(record))) == {"a": FileDigest(A, 2), "b/x": FileDigest(B, 1)}
    edited = json.loads(json.dumps(record))
    edited["files"]["a"]["size"] = 3
    with pytest.raises(ManifestError, match="own digest"):
        read_files(edited)


@pytest.mark.parametrize(
    "record",
    [
        None,
        [],
        {"files": []},
        {"algorithm": "md5", "files": {}},
        {"files": {"a": {"sha256": "XYZ", "size": 1}}},
        {"files": {"a": {"sha256": A, "size": -1}}},
        {"files": {"a": {"sha256": A, "size": True}}},
        {"files": {"a": "nope"}},
    ],
)
def test_malformed_manifests_are_refused(record: object) -> None:
    with pytest.raises(ManifestError):
        read_files(record)
