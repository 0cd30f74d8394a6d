"""Tracking rules: keys, values, metric values, the latest-metric rule, run names, search rules."""

from __future__ import annotations

import math
import re

import pytest

from registry.domain.errors import InvalidFilter, InvalidParameter
from registry.domain.run_names import generate_run_name
from registry.domain.search import Comparison, OrderKey, parse_filter
from registry.domain.tracking import (
    ViewType,
    artifact_uri,
    logged_model_artifact_path,
    metric_is_newer,
    parse_view_type,
    run_artifact_path,
    validate_int,
    validate_key,
    validate_metric_value,
    validate_value,
)
from registry.domain.tracking_search import LOGGED_MODEL_FILTER, RUN_FILTER


@pytest.mark.parametrize("key", ["mse", "r2_score", "eval/loss", "a.b-c d:e", "x" * 250])
def test_keys_accepted(key: str) -> None:
    assert validate_key(key, "Metric") == key


@pytest.mark.parametrize(
    "key", ["", "../x", "a/../b", "/abs", "./a", "tab\there", "semi;colon", "x" * 251, 5]
)
def test_keys_refused(key: object) -> None:
    with pytest.raises(InvalidParameter):
        validate_key(key, "Param")


def test_values() -> None:
    assert validate_value(None, "k", 10, "Param") == ""
    with pytest.raises(InvalidParameter, match="exceeded length limit of 10"):
        validate_value("x" * 11, "k", 10, "Param")
    with pytest.raises(InvalidParameter):
        validate_value(3, "k", 10, "Tag")


def test_metric_values_and_their_protobuf_spellings() -> None:
    assert validate_metric_value(1, "m") == 1.0
    assert math.isnan(validate_metric_value("NaN", "m"))
    assert validate_metric_value("Infinity", "m") == math.inf
    assert validate_metric_value("-Infinity", "m") == -math.inf
    assert validate_metric_value("0.25", "m") == 0.25
    for bad in (True, "abc", None, [1]):
        with pytest.raises(InvalidParameter):
            validate_metric_value(bad, "m")


def test_integers_from_json_and_query_strings() -> None:
    assert validate_int("42", "step") == 42
    assert validate_int(None, "step", default=0) == 0
    assert validate_int(3.0, "step") == 3
    for bad in ("4.5", True, "x", 2**64):
        with pytest.raises(InvalidParameter):
            validate_int(bad, "step")


def test_latest_metric_is_highest_step_then_time_then_value() -> None:
    assert metric_is_newer((2, 1, 0.1), (1, 9, 0.9))
    assert not metric_is_newer((1, 1, 0.9), (1, 2, 0.1))
    assert metric_is_newer((1, 2, 0.5), (1, 2, 0.4))
    assert not metric_is_newer((1, 2, math.nan), (1, 2, 0.4))
    assert metric_is_newer((0, 0, 0.0), None)


def test_run_names_look_like_mlflows() -> None:
    names = {generate_run_name() for _ in range(50)}
    assert all(re.fullmatch(r"[a-z]+-[a-z]+-\d{1,3}", n) for n in names)
    assert len(names) > 40


def test_server_decided_artifact_locations() -> None:
    assert artifact_uri(run_artifact_path("1", "a" * 32)) == f"mlflow-artifacts:/1/{'a' * 32}/artifacts"
    assert logged_model_artifact_path("2", "m-x") == "2/models/m-x/artifacts"


def test_view_types() -> None:
    assert parse_view_type(None) is ViewType.ACTIVE_ONLY
    assert ViewType.ALL.stages() == ("active", "deleted")
    with pytest.raises(InvalidParameter):
        parse_view_type("SOME")


def test_run_search_rules() -> None:
    checked = RUN_FILTER.check(
        parse_filter("metrics.r2 > 0.4 and params.depth = '3' and attributes.created > 5")
    )
    assert checked == [
        Comparison("metric", "r2", ">", 0.4),
        Comparison("param", "depth", "=", "3"),
        Comparison("attribute", "start_time", ">", 5),
    ]
    assert RUN_FILTER.order(["metrics.r2_score DESC", "attributes.start_time"]) == [
        OrderKey("metric", "r2_score", False),
        OrderKey("attribute", "start_time", True),
    ]
    for bad in ("metrics.r2 LIKE 'x'", "params.a > '1'", "attributes.colour = 'x'", "run_id IN 'x'"):
        with pytest.raises(InvalidFilter):
            RUN_FILTER.check(parse_filter(bad))
    assert LOGGED_MODEL_FILTER.check(parse_filter("creation_time > 1")) == [
        Comparison("attribute", "creation_timestamp", ">", 1)
    ]
