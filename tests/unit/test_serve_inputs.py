"""Scoring inputs: MLflow's request formats into one table, and the model's contract applied to it."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

from registry.domain.errors import InvalidParameter
from registry.scoring.contract import InputContract, conform, numeric_rows
from registry.scoring.mlmodel import Column
from registry.scoring.payloads import parse_csv, parse_json

SIGNED = InputContract.of([Column("a", "double"), Column("b", "double"), Column("c", "long")], None)
ROWS = [[0.5, 1.5, 2], [3.0, 4.25, 5]]
EXPECTED = pd.DataFrame({"a": [0.5, 3.0], "b": [1.5, 4.25], "c": np.array([2, 5], dtype=np.int64)})

SAME_ROWS: list[dict[str, Any]] = [
    {"dataframe_split": {"columns": ["a", "b", "c"], "data": ROWS}},
    {"dataframe_split": {"columns": ["c", "a", "b"], "data": [[2, 0.5, 1.5], [5, 3.0, 4.25]]}},
    {"dataframe_split": {"columns": ["a", "b", "c"], "data": ROWS, "index": [10, 11]}},
    {"dataframe_split": {"data": ROWS}},
    {"dataframe_records": [{"a": 0.5, "b": 1.5, "c": 2}, {"c": 5, "b": 4.25, "a": 3.0}]},
    {"instances": ROWS},
    {"instances": [{"a": 0.5, "b": 1.5, "c": 2}, {"a": 3.0, "b": 4.25, "c": 5}]},
    {"inputs": ROWS, "params": {}},
    {"inputs": {"a": [0.5, 3.0], "b": [1.5, 4.25], "c": [2, 5]}},
    {"dataframe_records": [{"a": "0.5", "b": 1.5, "c": "2"}, {"a": 3, "b": 4.25, "c": 5.0}]},
    {"dataframe_records": [{"a": 0.5, "b": 1.5, "c": 2, "extra": "dropped"}, {"a": 3, "b": 4.25, "c": 5}]},
]


@pytest.mark.parametrize("body", SAME_ROWS)
def test_every_json_format_gives_the_same_table(body: dict[str, Any]) -> None:
    payload = parse_json(json.dumps(body).encode())
    frame = conform(payload.table(), SIGNED, payload.positional)
    pd.testing.assert_frame_equal(frame.reset_index(drop=True), EXPECTED)


def test_csv_gives_the_same_table() -> None:
    payload = parse_csv(b"a,b,c\n0.5,1.5,2\n3.0,4.25,5\n")
    pd.testing.assert_frame_equal(conform(payload.table(), SIGNED, payload.positional), EXPECTED)


def test_single_row_forms() -> None:
    one = pd.DataFrame({"a": [0.5], "b": [1.5], "c": np.array([2], dtype=np.int64)})
    for body in ({"inputs": {"a": 0.5, "b": 1.5, "c": 2}}, {"instances": [[0.5, 1.5, 2]]}):
        payload = parse_json(json.dumps(body).encode())
        pd.testing.assert_frame_equal(conform(payload.table(), SIGNED, payload.positional), one)


BAD_BODIES: list[tuple[bytes, str]] = [
    (b"{not json", "not valid JSON"),
    (b"\xff\xfe", "not valid JSON"),
    (b"[1, 2]", "must be an object"),
    (b'{"data": [[1, 2, 3]]}', "has the keys 'data'; send exactly one of dataframe_split"),
    (b'{"instances": [[1,2,3]], "inputs": [[1,2,3]]}', "send exactly one of"),
    (b'{"dataframe_split": [[1,2,3]]}', "must be an object with 'columns' and 'data'"),
    (b'{"dataframe_split": {"columns": ["a","b","c"]}}', "needs 'data'"),
    (b'{"dataframe_split": {"columns": ["a","b","c"], "data": [[1,2,3],[1,2]]}}', "row 2 has 2 values"),
    (b'{"dataframe_split": {"columns": ["a","a","c"], "data": [[1,2,3]]}}', "names a column twice"),
    (b'{"dataframe_split": {"columns": "abc", "data": [[1,2,3]]}}', "list of column names"),
    (b'{"dataframe_split": {"data": [[1,2,3]], "orient": "x"}}', "unknown keys: 'orient'"),
    (b'{"dataframe_split": {"data": [[1,2,3]], "index": [1, 2]}}', "as long as 'data'"),
    (b'{"dataframe_split": {"data": [5]}}', "row 1 is not a list"),
    (b'{"dataframe_records": {"a": 1}}', "must be a list of objects"),
    (b'{"dataframe_records": [{"a": 1}, 7]}', "row 2 is not an object"),
    (b'{"instances": []}', "is empty"),
    (b'{"instances": 5}', "list of rows or an object of columns"),
    (b'{"instances": [[1,2,3], [1,2]]}', "row 2 has 2 values; expected 3"),
    (b'{"inputs": {"a": [1, 2], "b": [1]}}', "same length"),
    (b'{"inputs": {"a": [1, 2], "b": 1}}', "same length"),
    (b'{"inputs": [[1,2,3]], "params": 5}', "'params' must be an object"),
]


@pytest.mark.parametrize(("body", "message"), BAD_BODIES)
def test_malformed_bodies_are_named(body: bytes, message: str) -> None:
    with pytest.raises(InvalidParameter, match=message):
        parse_json(body)


@pytest.mark.parametrize(
    ("body", "message"),
    [(b"", "empty"), (b"  \n", "empty"), (b'a,b\n"1,2\n', "cannot be read")],
)
def test_malformed_csv_is_named(body: bytes, message: str) -> None:
    with pytest.raises(InvalidParameter, match=message):
        parse_csv(body)


BAD_VALUES: list[tuple[dict[str, Any], str]] = [
    (
        {"instances": [[1, 2]]},
        r"Each row must have 3 values \(the model expects 3 columns \(a, b, c\)\); got 2",
    ),
    ({"instances": [[1, 2, 3, 4]]}, "got 4"),
    ({"dataframe_records": [{"a": 1, "b": 2}]}, "Missing column.*'c'"),
    (
        {"dataframe_records": [{"a": 1, "b": 2, "c": 3}, {"a": "x", "b": 2, "c": 3}]},
        "Column 'a'.*row 2 has 'x'",
    ),
    ({"dataframe_records": [{"a": 1, "b": [1, 2], "c": 3}]}, "Column 'b'.*row 1 has \\[1, 2\\]"),
    ({"dataframe_records": [{"a": 1, "b": {"x": 1}, "c": 3}]}, "Column 'b' expects numbers"),
    ({"dataframe_records": [{"a": 1, "b": 2, "c": 3.5}]}, "Column 'c' expects whole numbers.*3.5"),
    ({"dataframe_records": [{"a": 1, "b": 2, "c": None}]}, "Column 'c' .*missing value at row 1"),
    ({"dataframe_split": {"columns": ["a", "b", "c"], "data": []}}, "no rows"),
]


@pytest.mark.parametrize(("body", "message"), BAD_VALUES)
def test_values_the_model_cannot_take_are_named(body: dict[str, Any], message: str) -> None:
    payload = parse_json(json.dumps(body).encode())
    with pytest.raises(InvalidParameter, match=message):
        conform(payload.table(), SIGNED, payload.positional)


def test_without_a_signature_the_estimator_decides_the_columns() -> None:
    class Fitted:
        n_features_in_ = 2

    contract = InputContract.of(None, Fitted())
    assert contract == InputContract(n_features=2)
    payload = parse_json(b'{"instances": [["1", 2]]}')
    frame = conform(payload.table(), contract, payload.positional)
    assert frame.dtypes.tolist() == [np.int64, np.int64]
    with pytest.raises(InvalidParameter, match="has 3 columns; the model expects 2 columns"):
        conform(pd.DataFrame({"x": [1], "y": [2], "z": [3]}), contract, positional=False)

    class Named:
        feature_names_in_ = np.array(["b", "a"])

    named = InputContract.of(None, Named())
    frame = conform(pd.DataFrame({"a": [1], "b": [2]}), named, positional=False)
    assert list(frame.columns) == ["b", "a"]


def test_batch_rows_are_numbered_from_the_chunk_start() -> None:
    frame = pd.DataFrame({"a": [1, 2], "b": [1, 2], "c": ["3", "x"]}, index=[500, 501])
    with pytest.raises(InvalidParameter, match="row 502 has 'x'"):
        conform(frame, SIGNED, positional=False, first_row=501)


DOUBLES = InputContract.of([Column("a", "double"), Column("b", "double"), Column("c", "double")], None)


@pytest.mark.parametrize("body", SAME_ROWS)
def test_the_numeric_fast_path_gives_what_conform_gives(body: dict[str, Any]) -> None:
    payload = parse_json(json.dumps(body).encode())
    slow = conform(payload.table(), DOUBLES, payload.positional).to_numpy()
    if payload.rows is None:
        return  # column-oriented input: only the table path exists
    fast = numeric_rows(payload.rows, None if payload.positional else payload.columns, DOUBLES)
    assert fast is not None
    assert fast.dtype == np.float64
    np.testing.assert_array_equal(fast, slow)


@pytest.mark.parametrize(
    ("rows", "columns", "contract"),
    [
        ([[1, 2, 3]], ["a", "b", "c"], SIGNED),  # a long column: conform casts and checks it
        ([[1, "x", 3]], ["a", "b", "c"], DOUBLES),  # not a number: conform names it
        ([[1, [2], 3]], ["a", "b", "c"], DOUBLES),
        ([[1, 2]], ["a", "b"], DOUBLES),  # a missing column
        ([[1, 2, 3]], ["a", "b", "b"], DOUBLES),
        ([[1, 2]], None, DOUBLES),  # too few values
        ([], ["a", "b", "c"], DOUBLES),
    ],
)
def test_the_fast_path_leaves_everything_else_to_conform(
    rows: list[list[Any]], columns: list[str] | None, contract: InputContract
) -> None:
    assert numeric_rows(rows, columns, contract) is None


def test_the_fast_path_lays_out_columns_like_pandas() -> None:
    # Column-major like DataFrame.to_numpy(): BLAS sums in the same order, so results match bit for bit.
    payload = parse_json(json.dumps({"dataframe_split": {"columns": ["c", "a", "b"], "data": ROWS}}).encode())
    fast = numeric_rows(payload.rows or [], payload.columns, DOUBLES)
    assert fast is not None
    assert fast.flags["F_CONTIGUOUS"]
    assert conform(payload.table(), DOUBLES, False).to_numpy().flags["F_CONTIGUOUS"]
