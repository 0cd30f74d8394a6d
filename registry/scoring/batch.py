"""`podium predict`: score a CSV file in chunks and write the predictions as CSV.

The input is read `chunk_rows` rows at a time, so files larger than memory work. The output is
written to a temporary file beside the destination and renamed into place at the end: a failed run
leaves no partial predictions file. Rows keep the input's order; the output has one column
`prediction`, or `prediction_0`, `prediction_1`, ... for models returning several values per row
(e.g. `predict_proba`), or the model's own columns when it returns a table.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from registry.domain.errors import InvalidParameter
from registry.scoring.loading import LoadedModel

DEFAULT_CHUNK_ROWS = 10_000

#: Called with (bytes of input read so far, total bytes of the input).
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class BatchResult:
    rows: int
    output: Path


def as_table(result: Any, index: pd.Index[Any]) -> pd.DataFrame:
    """Predictions as a table with one row per input row."""
    if isinstance(result, pd.DataFrame):
        return result.set_axis(index, axis=0)
    values = np.asarray(result.to_numpy() if isinstance(result, pd.Series) else result)
    if values.ndim == 1:
        return pd.DataFrame({"prediction": values}, index=index)
    if values.ndim == 2:
        return pd.DataFrame(values, index=index, columns=[f"prediction_{i}" for i in range(values.shape[1])])
    raise InvalidParameter(f"The model returned {values.ndim}-dimensional predictions; CSV holds at most 2.")


def predict_csv(
    model: LoadedModel,
    input_path: Path,
    output_path: Path,
    *,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: Progress | None = None,
) -> BatchResult:
    """Score every row of `input_path` (CSV with a header) into `output_path`.

    Raises InvalidParameter naming the row and column when the input does not fit the model.
    """
    if chunk_rows < 1:
        raise InvalidParameter("The chunk size must be at least 1 row.")
    total = input_path.stat().st_size
    output_path = output_path.absolute()
    fd, temp_name = tempfile.mkstemp(
        prefix=f".{output_path.name}.", suffix=".partial", dir=output_path.parent
    )
    rows = 0
    try:
        with open(input_path, "rb") as source, os.fdopen(fd, "w", newline="", encoding="utf-8") as out:
            for chunk in _chunks(source, chunk_rows):
                conformed = model.conform(chunk, positional=False, first_row=rows + 1)
                try:
                    result = model.predict_conformed(conformed)
                except (ValueError, TypeError) as exc:
                    raise InvalidParameter(
                        f"The model cannot score rows {rows + 1}-{rows + len(chunk)}: {exc}"
                    ) from exc
                as_table(result, chunk.index).to_csv(out, header=rows == 0, index=False)
                rows += len(chunk)
                if progress:
                    progress(source.tell(), total)
            if rows == 0:
                raise InvalidParameter(f"{input_path} has no rows to score.")
        os.replace(temp_name, output_path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    return BatchResult(rows, output_path)


def _chunks(source: Any, chunk_rows: int) -> Any:
    try:
        reader = pd.read_csv(source, chunksize=chunk_rows)
        yield from reader
    except pd.errors.EmptyDataError:
        raise InvalidParameter("The input CSV is empty: it needs a header row and rows of values.") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InvalidParameter(f"The input CSV cannot be read: {str(exc).strip().splitlines()[0]}") from None
