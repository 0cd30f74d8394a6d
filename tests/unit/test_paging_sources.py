import base64

import pytest

from registry.domain.errors import InvalidPageToken, InvalidParameter
from registry.domain.paging import decode_page_token, encode_page_token, fingerprint, page_size
from registry.domain.sources import parse_source

M = "m-" + "a" * 32
R = "b" * 32


def test_page_tokens_round_trip_and_are_bound_to_their_query() -> None:
    q = fingerprint("models", "name LIKE 'a%'", [])
    token = encode_page_token(200, q)
    assert decode_page_token(token, q) == 200
    assert decode_page_token(None, q) == 0
    with pytest.raises(InvalidPageToken, match="different filter"):
        decode_page_token(token, fingerprint("models", "", []))


@pytest.mark.parametrize(
    "token",
    [
        "garbage!!",
        "eyJvZmZzZXQiOiAxfQ",  # MLflow's {"offset": 1}: not ours
        base64.urlsafe_b64encode(b'{"offset": -5, "query": "x"}').decode(),
        base64.urlsafe_b64encode(b"[1,2]").decode(),
        "x" * 600,
        "\u00e9\u00e9",
    ],
)
def test_foreign_or_broken_tokens_are_refused(token: str) -> None:
    with pytest.raises(InvalidPageToken):
        decode_page_token(token, "x")


def test_page_size() -> None:
    assert page_size(None, default=100, maximum=1000, cap=1000) == 100
    assert page_size("50", default=100, maximum=1000, cap=1000) == 50
    assert page_size(10000, default=100, maximum=200000, cap=500) == 500
    for bad in (0, -1, "x", 1001, True):
        with pytest.raises(InvalidParameter):
            page_size(bad, default=100, maximum=1000, cap=1000)


def test_sources_inside_the_store_are_accepted() -> None:
    assert parse_source(f"models:/{M}", M).logged_model_id == M
    run = parse_source(f"runs:/{R}/random_forest_model", None)
    assert (run.kind, run.run_id, run.path) == ("run", R, "random_forest_model")
    art = parse_source("mlflow-artifacts:/1/models/x/artifacts", None)
    assert (art.kind, art.path) == ("artifacts", "1/models/x/artifacts")


@pytest.mark.parametrize(
    ("source", "model_id", "fragment"),
    [
        (f"models:/{M}", None, "model_id request parameter must identify"),
        ("file:///etc/passwd", None, "must be inside Podium's artifact store"),
        ("/abs/path", None, "must be inside"),
        ("s3://other-bucket/model", None, "must be inside"),
        ("mlflow-artifacts:/1/../../etc", None, "'..' segments"),
        ("mlflow-artifacts:/1/%2e%2e/x", None, "encoded separators"),
        ("mlflow-artifacts:/1/%252e%252e/x", None, "encoded separators"),
        ("mlflow-artifacts://evil.example/x", None, "without a host"),
        (f"runs:/{R}/a\\b", None, "backslashes"),
        ("", None, "Missing value"),
    ],
)
def test_sources_outside_the_store_are_refused(source: str, model_id: str | None, fragment: str) -> None:
    with pytest.raises(InvalidParameter) as info:
        parse_source(source, model_id)
    assert fragment in info.value.message
