"""Loading an MLflow-format model without mlflow, and `load_model` for Python callers.

Anything whose loading can run code from the model's files (pickle, cloudpickle, a loader module,
a `code` folder) is loaded only from a directory whose every file was just verified against the
manifest the registry recorded at registration; a plain directory without a manifest may hold only
a skops model (skops refuses types nobody trusted).
"""

from __future__ import annotations

import importlib
import logging
import os
import pickle
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from registry.deploy.connection import RegistryConnection
from registry.deploy.fetch import FetchedModel, ensure_cached, resolve
from registry.deploy.verify import verify_directory
from registry.domain.errors import UnsupportedModel
from registry.domain.manifests import FileDigest
from registry.scoring.mlmodel import ModelSpec, read_spec

if TYPE_CHECKING:
    import pandas as pd

    from registry.scoring.contract import InputContract
    from registry.scoring.payloads import Payload

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadedModel:
    """A model ready to score tables: `predict(frame)` conforms the input, then calls the model."""

    spec: ModelSpec
    model: Any
    contract: InputContract
    #: the registered version it came from, when it came from the registry
    name: str | None = None
    version: int | None = None
    manifest_sha256: str | None = None

    @property
    def takes_arrays(self) -> bool:
        """True for scikit-learn models fitted on arrays: they get one (a DataFrame would make
        scikit-learn warn about feature names on every call)."""
        return self.spec.kind == "sklearn" and getattr(self.model, "feature_names_in_", None) is None

    def conform(self, frame: pd.DataFrame, positional: bool = False, first_row: int = 1) -> pd.DataFrame:
        from registry.scoring.contract import conform

        return conform(frame, self.contract, positional, first_row)

    @property
    def named_in_contract_order(self) -> bool:
        """True for scikit-learn models fitted on a DataFrame whose columns are the contract's, in
        its order: an array in that order is then exactly what the model would make of a table."""
        names = getattr(self.model, "feature_names_in_", None)
        return (
            self.spec.kind == "sklearn"
            and names is not None
            and self.contract.names is not None
            and [str(n) for n in names] == list(self.contract.names)
        )

    def prepare(self, payload: Payload, arrays_for_named: bool = False) -> Any:
        """The model's input for a scoring request: a matrix straight from the rows when they are
        plain numbers for a model of doubles (no DataFrame to build), else a conformed table.

        `arrays_for_named` passes that matrix even to models fitted on a DataFrame when its columns
        are in their order (the scoring server, which silences scikit-learn's feature-name warning
        for it): building a one-row DataFrame costs more than many a prediction.
        """
        from registry.scoring.contract import numeric_rows

        if payload.rows is not None:
            matrix = numeric_rows(
                payload.rows, None if payload.positional else payload.columns, self.contract
            )
            if matrix is not None:
                if self.takes_arrays or (arrays_for_named and self.named_in_contract_order):
                    return matrix
                import pandas as pd

                names = self.contract.names or (None if payload.positional else payload.columns)
                return pd.DataFrame(matrix, columns=list(names) if names else None, copy=False)
        return self.conform(payload.table(), payload.positional)

    def predict_conformed(self, data: Any) -> Any:
        """Call the model on input already conformed to its contract (`prepare` or `conform`)."""
        if self.spec.kind == "custom":
            return self.model.predict(data)
        method = getattr(self.model, self.spec.predict_fn)
        if self.takes_arrays and hasattr(data, "to_numpy"):
            return method(data.to_numpy())
        return method(data)

    def predict(self, frame: pd.DataFrame, positional: bool = False) -> Any:
        return self.predict_conformed(self.conform(frame, positional))


def load_directory(
    directory: str | os.PathLike[str],
    files: Mapping[str, FileDigest] | None = None,
    *,
    name: str | None = None,
    version: int | None = None,
    manifest_sha256: str | None = None,
) -> LoadedModel:
    """Load the MLflow model in `directory`, first verifying it against `files` when given.

    Without `files`, models whose loading runs code from the files are refused (UnsupportedModel).
    """
    path = Path(directory)
    if files is not None:
        verify_directory(path, files)
    spec = read_spec(path)
    if files is None and spec.runs_code_when_loaded:
        raise UnsupportedModel(
            f"The model in {path} is stored as {spec.serialisation}, which runs code when loaded; "
            "Podium loads such models only after verifying them against the registry's manifest. "
            "Load it by its models:/ URI instead."
        )
    model = _load(spec)
    from registry.scoring.contract import InputContract

    return LoadedModel(spec, model, InputContract.of(spec.columns, model), name, version, manifest_sha256)


def load_fetched(fetched: FetchedModel) -> LoadedModel:
    """Load a fetched version, verifying its files again right before loading."""
    resolved = fetched.resolved
    return load_directory(
        fetched.path,
        resolved.files,
        name=resolved.name,
        version=resolved.version,
        manifest_sha256=resolved.sha256,
    )


def load_model(
    uri: str,
    *,
    registry_url: str | None = None,
    token: str | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    connection: RegistryConnection | None = None,
) -> LoadedModel:
    """Fetch `uri` (`models:/<name>@<alias>` ...) through the registry, verify it and load it.

    Files are kept under `cache_dir` (default: a `podium-models` folder in the system's temporary
    directory) and reused, after verification, by later calls.
    """
    own = connection is None
    conn = connection or RegistryConnection(registry_url or "http://127.0.0.1:5000", token)
    try:
        resolved = resolve(conn, uri)
        root = Path(cache_dir) if cache_dir is not None else Path(tempfile.gettempdir()) / "podium-models"
        return load_fetched(ensure_cached(conn, resolved, root))
    finally:
        if own:
            conn.close()


def _load(spec: ModelSpec) -> Any:
    if spec.code_path:
        _add_code_path(spec)
    if spec.kind == "custom":
        return _load_custom(spec)
    assert spec.model_file is not None
    model_path = spec.directory / spec.model_file
    if not model_path.is_file():
        raise UnsupportedModel(f"The model file {spec.model_file!r} named in MLmodel is missing.")
    model = _load_serialised(spec, model_path)
    if not callable(getattr(model, spec.predict_fn, None)):
        raise UnsupportedModel(
            f"The model in {spec.directory} has no {spec.predict_fn}() method (MLmodel's predict_fn)."
        )
    return model


def _load_serialised(spec: ModelSpec, model_path: Path) -> Any:
    if spec.serialisation == "skops":
        import skops.io

        untrusted = [t for t in skops.io.get_untrusted_types(file=model_path) if t not in spec.trusted_types]
        if untrusted:
            raise UnsupportedModel(
                f"The skops file {spec.model_file!r} contains types nobody trusted: {', '.join(untrusted)}. "
                "List them in skops_trusted_types when logging the model if they are safe."
            )
        return skops.io.load(model_path, trusted=list(spec.trusted_types) or None)
    with open(model_path, "rb") as stream:
        if spec.serialisation == "cloudpickle":
            import cloudpickle

            return cloudpickle.load(stream)
        return pickle.load(stream)  # noqa: S301  # verified against the registry's manifest first


def _load_custom(spec: ModelSpec) -> Any:
    assert spec.loader_module is not None
    try:
        module = importlib.import_module(spec.loader_module)
    except ImportError as exc:
        raise UnsupportedModel(
            f"The model's loader module {spec.loader_module!r} cannot be imported here: {exc}"
        ) from exc
    loader = getattr(module, "_load_pyfunc", None)
    if not callable(loader):
        raise UnsupportedModel(f"Loader module {spec.loader_module!r} has no _load_pyfunc(path) function.")
    data = str(spec.directory / spec.model_file) if spec.model_file else str(spec.directory)
    model = loader(data)
    if not callable(getattr(model, "predict", None)):
        raise UnsupportedModel(f"{spec.loader_module}._load_pyfunc returned an object without predict().")
    return model


def _add_code_path(spec: ModelSpec) -> None:
    code = (spec.directory / str(spec.code_path)).resolve()
    if not code.is_relative_to(spec.directory.resolve()):
        raise UnsupportedModel(f"The model's code path {spec.code_path!r} leaves the model directory.")
    if str(code) not in sys.path:
        sys.path.insert(0, str(code))
