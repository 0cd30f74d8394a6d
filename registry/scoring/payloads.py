"""MLflow's scoring request formats, read into a table.

JSON bodies carry exactly one of (plus an optional `params` object, accepted and not used: the
scikit-learn flavor takes no inference parameters):
- `{"dataframe_split": {"columns": [...], "data": [[...], ...], "index"?: [...]}}`
- `{"dataframe_records": [{"col": value, ...}, ...]}`
- `{"instances": ...}` / `{"inputs": ...}`: a list of rows (lists of values, or objects), a list
  of single values (one column), an object of columns (`{"col": [values]}`) or of single values
  (one row).
CSV bodies (`Content-Type: text/csv`) have a header row naming the columns.

Problems are `InvalidParameter` with a message that names the format and what is wrong.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

import pandas as pd

from registry.domain.errors import InvalidParameter

FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")


@dataclass(frozen=True)
class Payload:
    """A request's rows; `positional` when its columns came without names.

    JSON rows are kept as they came (`rows`, with `columns` naming them unless positional), so a
    model taking plain numbers can get them as one array without building a DataFrame first (the
    scoring server's fast path); `table()` gives the DataFrame every other path uses.
    """

    positional: bool
    rows: list[list[Any]] | None = None
    columns: list[Any] | None = None
    frame: pd.DataFrame | None = None

    def table(self) -> pd.DataFrame:
        if self.frame is not None:
            return self.frame
        rows = self.rows or []
        width = len(rows[0]) if rows else len(self.columns or [])
        return pd.DataFrame(rows, columns=self.columns if self.columns is not None else range(width))


def parse_json(body: bytes) -> Payload:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidParameter(f"The request body is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise InvalidParameter(_expected_keys("The JSON body must be an object"))
    keys = [k for k in document if k != "params"]
    known = [k for k in keys if k in FORMATS]
    if len(known) != 1 or len(keys) != 1:
        found = ", ".join(repr(k) for k in keys) or "none"
        raise InvalidParameter(_expected_keys(f"The JSON body has the keys {found}"))
    params = document.get("params")
    if params is not None and not isinstance(params, dict):
        raise InvalidParameter("'params' must be an object.")
    key = known[0]
    value = document[key]
    if key == "dataframe_split":
        return _split(value)
    if key == "dataframe_records":
        return _records(value, key)
    return _tensor_like(value, key)


def parse_csv(body: bytes) -> Payload:
    if not body.strip():
        raise InvalidParameter("The CSV body is empty: send a header row and at least one row of values.")
    try:
        frame = pd.read_csv(io.BytesIO(body))
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InvalidParameter(f"The CSV body cannot be read: {first_line}") from None
    return Payload(positional=False, frame=frame)


def _expected_keys(start: str) -> str:
    return f"{start}; send exactly one of {', '.join(FORMATS)} (and optionally 'params')."


def _split(value: Any) -> Payload:
    if not isinstance(value, dict):
        raise InvalidParameter("'dataframe_split' must be an object with 'columns' and 'data'.")
    unknown = set(value) - {"columns", "data", "index"}
    if unknown:
        names = ", ".join(sorted(map(repr, unknown)))
        raise InvalidParameter(f"'dataframe_split' has unknown keys: {names}.")
    data = value.get("data")
    if not isinstance(data, list):
        raise InvalidParameter("'dataframe_split' needs 'data': a list of rows.")
    columns = value.get("columns")
    if columns is not None and (
        not isinstance(columns, list) or not all(isinstance(c, str | int) for c in columns)
    ):
        raise InvalidParameter("'dataframe_split.columns' must be a list of column names.")
    _check_rows(data, "dataframe_split.data", len(columns) if columns is not None else None)
    if columns is not None and len(set(columns)) != len(columns):
        raise InvalidParameter("'dataframe_split.columns' names a column twice.")
    index = value.get("index")
    if index is not None and (not isinstance(index, list) or len(index) != len(data)):
        raise InvalidParameter("'dataframe_split.index' must be a list as long as 'data'.")
    return Payload(positional=columns is None, rows=data, columns=columns)


def _check_rows(rows: list[Any], where: str, width: int | None) -> None:
    """Every row is a list of values, all of the same length (`width`, or the first row's)."""
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, list):
            raise InvalidParameter(f"'{where}' row {number} is not a list of values.")
        if width is None:
            width = len(row)
        elif len(row) != width:
            raise InvalidParameter(
                f"'{where}' row {number} has {len(row)} values; expected {width}"
                + (" (one per column)." if where.startswith("dataframe_split") else " (as in row 1).")
            )


def _records(value: Any, key: str) -> Payload:
    if not isinstance(value, list):
        raise InvalidParameter(f"'{key}' must be a list of objects (one per row).")
    for number, record in enumerate(value, start=1):
        if not isinstance(record, dict):
            raise InvalidParameter(f"'{key}' row {number} is not an object of column values.")
    if value and all(record.keys() == value[0].keys() for record in value):
        columns = list(value[0])
        return Payload(positional=False, rows=[[r[c] for c in columns] for r in value], columns=columns)
    # Records with different keys: the table has every key, with missing values where one lacks it.
    return Payload(positional=False, frame=pd.DataFrame.from_records(value))


def _tensor_like(value: Any, key: str) -> Payload:
    if isinstance(value, dict):
        lengths = {len(v) if isinstance(v, list) else None for v in value.values()}
        if lengths == {None}:  # one row given as {"col": value}
            return Payload(positional=False, rows=[list(value.values())], columns=list(value))
        if None in lengths or len(lengths) != 1:
            raise InvalidParameter(
                f"'{key}' as an object must map every column to a list of values of the same length."
            )
        return Payload(positional=False, frame=pd.DataFrame(value))
    if not isinstance(value, list):
        raise InvalidParameter(f"'{key}' must be a list of rows or an object of columns.")
    if not value:
        raise InvalidParameter(f"'{key}' is empty: send at least one row.")
    if all(isinstance(row, dict) for row in value):
        return _records(value, key)
    if any(isinstance(row, list) for row in value):
        _check_rows(value, key, None)
        return Payload(positional=True, rows=value)
    # A list of single values: one column, one value per row.
    return Payload(positional=True, rows=[[v] for v in value])
