"""What input a model accepts, and bringing a request's table into that shape (or saying why not).

The contract comes from the model's signature when MLflow recorded one (column names and types),
else from what scikit-learn remembers of the training data (`feature_names_in_`, `n_features_in_`).
Every refusal is an `InvalidParameter` whose message names the column, the row and the value, so
the scoring server can answer 400 with it and a batch job can print it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from registry.domain.errors import InvalidParameter
from registry.scoring.mlmodel import Column

_FLOAT_TYPES = {"double": np.float64, "float": np.float32}
_INT_TYPES = {"long": np.int64, "integer": np.int32}


@dataclass(frozen=True)
class InputContract:
    """Expected columns (names in order, their types) or at least how many there are."""

    names: tuple[str, ...] | None = None
    types: tuple[str | None, ...] | None = None
    required: tuple[bool, ...] | None = None
    n_features: int | None = None

    @classmethod
    def of(cls, columns: Sequence[Column] | None, estimator: object) -> InputContract:
        if columns and all(c.name is not None for c in columns):
            return cls(
                names=tuple(str(c.name) for c in columns),
                types=tuple(c.type for c in columns),
                required=tuple(c.required for c in columns),
                n_features=len(columns),
            )
        names = getattr(estimator, "feature_names_in_", None)
        if names is not None:
            return cls(names=tuple(str(n) for n in names), n_features=len(names))
        count = getattr(estimator, "n_features_in_", None)
        if columns:
            count = len(columns)
        return cls(n_features=int(count) if isinstance(count, int | np.integer) else None)

    def describe(self) -> str:
        if self.names:
            return f"{len(self.names)} columns ({', '.join(self.names)})"
        return f"{self.n_features} columns"


def conform(
    frame: pd.DataFrame, contract: InputContract, positional: bool, first_row: int = 1
) -> pd.DataFrame:
    """`frame` with the contract's columns, in its order, converted to its types.

    `positional` says the columns came without names (lists of values): they are then matched by
    position and must be exactly as many as the model expects. Named columns are matched by name;
    extra ones are dropped (as MLflow does). `first_row` numbers rows in messages (batch chunks).
    """
    if frame.shape[0] == 0:
        raise InvalidParameter("The input has no rows.")
    expected = contract.n_features
    if positional:
        if expected is not None and frame.shape[1] != expected:
            raise InvalidParameter(
                f"Each row must have {expected} values (the model expects {contract.describe()}); "
                f"got {frame.shape[1]}."
            )
        if contract.names:
            frame = frame.set_axis(list(contract.names), axis=1)
    elif contract.names:
        frame = _select(frame, contract)
    elif expected is not None and frame.shape[1] != expected:
        raise InvalidParameter(
            f"The input has {frame.shape[1]} columns; the model expects {contract.describe()}."
        )
    return _convert(frame, contract, first_row)


def _select(frame: pd.DataFrame, contract: InputContract) -> pd.DataFrame:
    names = contract.names or ()
    required = contract.required or (True,) * len(names)
    present = set(frame.columns)
    missing = [n for n, needed in zip(names, required, strict=True) if needed and n not in present]
    if missing:
        raise InvalidParameter(
            f"Missing column(s) {', '.join(repr(m) for m in missing)}; the model expects "
            f"{contract.describe()}."
        )
    if list(frame.columns) == list(names):
        return frame
    # Optional columns absent from the input are passed as missing values (MLflow does the same).
    return frame.reindex(columns=list(names))


def numeric_rows(
    rows: list[list[Any]], columns: list[Any] | None, contract: InputContract
) -> np.ndarray[Any, np.dtype[np.float64]] | None:
    """The fast path: rows of plain numbers as one float64 matrix in the contract's column order.

    Applies when every input the model declares is a double (or it declares no types) and every
    value converts to a float; returns None otherwise, and `conform` then decides, with its
    messages. The matrix holds the same values `conform` would produce for such input, laid out
    column by column as pandas lays out a table: BLAS then adds in the same order, so predictions
    equal those made from a DataFrame to the last bit.
    """
    if contract.types is not None and any(t != "double" for t in contract.types):
        return None
    try:
        matrix = np.array(rows, dtype=np.float64)
    except (ValueError, TypeError):
        return None
    if matrix.ndim != 2 or matrix.shape[0] == 0:
        return None
    expected = contract.n_features
    if columns is None or contract.names is None:
        if expected is not None and matrix.shape[1] != expected:
            return None
    elif columns != list(contract.names):
        position = {name: i for i, name in enumerate(columns)}
        if len(position) != len(columns) or any(name not in position for name in contract.names):
            return None
        matrix = matrix[:, [position[name] for name in contract.names]]
    return np.asfortranarray(matrix)


def _settled(dtype: Any, wanted: str | None) -> bool:
    """True when a column of `dtype` already is what `wanted` asks for (nothing to convert)."""
    if wanted is None:
        return bool(dtype.kind in "fiub")
    target = _FLOAT_TYPES.get(wanted) or _INT_TYPES.get(wanted)
    if target is not None:
        return bool(dtype == target)
    if wanted == "boolean":
        return bool(dtype.kind == "b")
    return True


def _convert(frame: pd.DataFrame, contract: InputContract, first_row: int) -> pd.DataFrame:
    types = contract.types
    changed: dict[Any, pd.Series[Any]] = {}
    for position, (column, dtype) in enumerate(zip(frame.columns, frame.dtypes, strict=True)):
        wanted = types[position] if types else None
        if _settled(dtype, wanted):
            continue
        series = frame.iloc[:, position]
        converted = _column(series, column, wanted, first_row)
        if converted is not series:
            changed[column] = converted
    if not changed:
        return frame
    frame = frame.copy()
    for column, converted in changed.items():
        frame[column] = converted
    return frame


def _column(series: pd.Series[Any], column: object, wanted: str | None, first_row: int) -> pd.Series[Any]:
    if wanted is None:
        # No signature: numbers sent as text become numbers; anything else is left for the model.
        # (pandas 3 gives text its own string dtype, so test for "not numeric", not for object.)
        if series.dtype.kind not in "fiub":
            numeric = pd.to_numeric(series, errors="coerce")
            if not (numeric.isna() & series.notna()).any():
                return numeric
        return series
    if wanted in _FLOAT_TYPES:
        target = _FLOAT_TYPES[wanted]
        numeric = _numbers(series, column, wanted, first_row)
        return numeric if numeric.dtype == target else numeric.astype(target)
    if wanted in _INT_TYPES:
        numeric = _numbers(series, column, wanted, first_row)
        if numeric.dtype.kind in "iu":
            return numeric if numeric.dtype == _INT_TYPES[wanted] else numeric.astype(_INT_TYPES[wanted])
        holes = numeric.isna().to_numpy()
        if holes.any():
            row = int(np.flatnonzero(holes)[0])
            raise InvalidParameter(
                f"Column {column!r} ({wanted}) has a missing value at row {first_row + row}."
            )
        fractional = (numeric != np.floor(numeric)).to_numpy()
        if fractional.any():
            row = int(np.flatnonzero(fractional)[0])
            raise InvalidParameter(
                f"Column {column!r} expects whole numbers ({wanted}); row {first_row + row} has "
                f"{series.iloc[row]!r}."
            )
        return numeric.astype(_INT_TYPES[wanted])
    if wanted == "boolean":
        if series.dtype == bool:
            return series
        allowed = series.isin([True, False, 0, 1]).to_numpy()
        if not allowed.all():
            row = int(np.flatnonzero(~allowed)[0])
            raise InvalidParameter(
                f"Column {column!r} expects booleans; row {first_row + row} has {series.iloc[row]!r}."
            )
        return series.astype(bool)
    return series


def _numbers(series: pd.Series[Any], column: object, wanted: str, first_row: int) -> pd.Series[Any]:
    if series.dtype.kind in "fiu":
        return series
    if series.dtype == bool:
        return series.astype(np.int64)
    numeric = pd.to_numeric(series, errors="coerce")
    bad = (numeric.isna() & series.notna()).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InvalidParameter(
            f"Column {column!r} expects numbers ({wanted}); row {first_row + row} has "
            f"{_shown(series.iloc[row])}."
        )
    return numeric


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
