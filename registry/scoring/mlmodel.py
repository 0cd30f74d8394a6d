"""Reading an MLflow model directory's `MLmodel` file: which flavor to load, from which file, and
what input the model expects (its signature).

What Podium loads (anything else is refused with a message naming the flavor and the alternative):
- the `sklearn` flavor, serialised with skops (only the types skops trusts plus the ones listed
  under `skops_trusted_types`), cloudpickle or pickle, predicting with the `predict_fn` MLflow
  recorded (`predict`, `predict_proba`, ...);
- a `python_function` flavor whose `loader_module` is `mlflow.sklearn` (as above) or a module of
  your own that is importable where Podium runs, called as MLflow does:
  `loader_module._load_pyfunc(<model dir>/<data>)`, after adding the model's `code` folder to the
  import path. Loaders inside mlflow itself (`mlflow.pyfunc.model` for `PythonModel` subclasses,
  other flavors) need mlflow installed and are refused: serve those with `mlflow models serve`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from registry.domain.errors import UnsupportedModel

SERIALISATIONS = ("skops", "cloudpickle", "pickle")
#: Formats whose loading can run arbitrary code: loaded only once their digest is verified.
PICKLE_BASED = ("cloudpickle", "pickle")
PREDICT_FUNCTIONS = ("predict", "predict_proba", "predict_log_proba", "predict_joint_log_proba", "score")
NUMERIC_TYPES = ("double", "float", "long", "integer", "boolean")


@dataclass(frozen=True)
class Column:
    """One input column of a column-based signature (`name` may be None for unnamed columns)."""

    name: str | None
    type: str
    required: bool = True


@dataclass(frozen=True)
class ModelSpec:
    """How to load and call the model in `directory`."""

    directory: Path
    #: "sklearn" or "custom" (a python_function loader module of the user's)
    kind: str
    #: the serialised estimator (sklearn) or the `data` path handed to the loader module (custom)
    model_file: str | None
    #: skops, cloudpickle or pickle for sklearn; "code" for a custom loader module
    serialisation: str
    trusted_types: tuple[str, ...] = ()
    predict_fn: str = "predict"
    loader_module: str | None = None
    code_path: str | None = None
    #: the signature's columns, when it is column-based
    columns: tuple[Column, ...] | None = None

    @property
    def runs_code_when_loaded(self) -> bool:
        """True when loading may execute code from the model's files (pickles, loader modules)."""
        return self.serialisation in PICKLE_BASED or self.kind == "custom"


def _refuse(directory: Path, why: str) -> UnsupportedModel:
    return UnsupportedModel(f"Cannot load the model in {directory}: {why}")


def read_spec(directory: Path) -> ModelSpec:
    """Read `directory/MLmodel` and decide how to load the model; UnsupportedModel says why not."""
    mlmodel = directory / "MLmodel"
    try:
        document = yaml.safe_load(mlmodel.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _refuse(directory, "there is no MLmodel file (is it an MLflow model?).") from None
    except (yaml.YAMLError, UnicodeDecodeError, OSError) as exc:
        raise _refuse(directory, f"its MLmodel file cannot be read: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("flavors"), dict):
        raise _refuse(directory, "its MLmodel file has no 'flavors' section.")
    flavors: dict[str, Any] = document["flavors"]
    found = flavors.get("python_function")
    pyfunc: dict[str, Any] = found if isinstance(found, dict) else {}
    columns = _columns(directory, document.get("signature"))
    predict_fn = str(pyfunc.get("predict_fn") or "predict")
    if predict_fn not in PREDICT_FUNCTIONS:
        raise _refuse(directory, f"predict_fn {predict_fn!r} is not one of {', '.join(PREDICT_FUNCTIONS)}.")
    sklearn = flavors.get("sklearn")
    if isinstance(sklearn, dict):
        return _sklearn_spec(directory, sklearn, predict_fn, columns)
    loader = pyfunc.get("loader_module")
    if not isinstance(loader, str) or not loader:
        names = ", ".join(sorted(flavors)) or "none"
        raise _refuse(
            directory,
            f"it has no sklearn flavor and no python_function loader module (flavors: {names}).",
        )
    if loader == "mlflow.sklearn":
        path = pyfunc.get("model_path") or pyfunc.get("data")
        return _sklearn_spec(directory, {"pickled_model": path}, predict_fn, columns)
    if loader == "mlflow" or loader.startswith("mlflow."):
        raise _refuse(
            directory,
            f"its loader module {loader!r} is part of mlflow, which Podium does not use. Podium loads "
            "scikit-learn models and python_function models with a loader module of your own; serve "
            "this one with `mlflow models serve`.",
        )
    data = pyfunc.get("data")
    code = pyfunc.get("code")
    return ModelSpec(
        directory,
        "custom",
        str(data) if data else None,
        "code",
        loader_module=loader,
        code_path=str(code) if code else None,
        columns=columns,
    )


def _sklearn_spec(
    directory: Path, conf: dict[str, Any], predict_fn: str, columns: tuple[Column, ...] | None
) -> ModelSpec:
    model_file = conf.get("pickled_model")
    if not isinstance(model_file, str) or not model_file:
        raise _refuse(directory, "its sklearn flavor names no model file ('pickled_model').")
    fmt = conf.get("serialization_format") or ("skops" if model_file.endswith(".skops") else "cloudpickle")
    if fmt not in SERIALISATIONS:
        raise _refuse(directory, f"serialization format {fmt!r} is not one of {', '.join(SERIALISATIONS)}.")
    trusted = conf.get("skops_trusted_types") or []
    if not isinstance(trusted, list) or not all(isinstance(t, str) for t in trusted):
        raise _refuse(directory, "'skops_trusted_types' in its MLmodel file is not a list of type names.")
    return ModelSpec(
        directory,
        "sklearn",
        model_file,
        str(fmt),
        trusted_types=tuple(trusted),
        predict_fn=predict_fn,
        code_path=str(conf["code"]) if conf.get("code") else None,
        columns=columns,
    )


def _columns(directory: Path, signature: object) -> tuple[Column, ...] | None:
    """The signature's input columns; None when there is no signature or it is tensor-based."""
    if not isinstance(signature, dict) or not signature.get("inputs"):
        return None
    raw = signature["inputs"]
    try:
        specs = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        raise _refuse(directory, "the input signature in its MLmodel file is not valid JSON.") from None
    if not isinstance(specs, list) or not all(isinstance(s, dict) for s in specs):
        raise _refuse(directory, "the input signature in its MLmodel file is not a list of columns.")
    if any(s.get("type") == "tensor" for s in specs):
        return None
    return tuple(
        Column(
            str(s["name"]) if s.get("name") is not None else None,
            str(s.get("type", "")),
            bool(s.get("required", True)),
        )
        for s in specs
    )
