"""Loading MLflow-format models without mlflow: every supported format predicts exactly what mlflow
itself predicts, code-running formats load only after verification, and the rest are refused."""

from __future__ import annotations

import pickle
import shutil
import textwrap
from pathlib import Path

import numpy as np
import pytest

from registry.deploy.verify import hash_file
from registry.domain.errors import DigestMismatch, UnsupportedModel
from registry.domain.manifests import FileDigest
from registry.scoring.loading import load_directory
from tests.fixtures.deploy import SavedModel, sample_frame


def manifest_of(directory: Path) -> dict[str, FileDigest]:
    return {p.relative_to(directory).as_posix(): hash_file(p) for p in directory.rglob("*") if p.is_file()}


def copy_of(model: SavedModel, tmp_path: Path) -> Path:
    target = tmp_path / model.path.name
    shutil.copytree(model.path, target)
    return target


@pytest.mark.parametrize("name", ["regressor", "regressor_v2", "classifier"])
def test_loaded_models_predict_what_mlflow_predicts(name: str, mlflow_models: dict[str, SavedModel]) -> None:
    model = mlflow_models[name]
    loaded = load_directory(model.path, manifest_of(model.path))
    frame = sample_frame(20)
    np.testing.assert_array_equal(np.asarray(loaded.predict(frame)), model.predict(frame))
    # Positional rows (e.g. "instances": [[...]]) give the same answers.
    np.testing.assert_array_equal(
        np.asarray(loaded.predict(frame.set_axis(range(3), axis=1), positional=True)), model.predict(frame)
    )


def test_pickles_load_only_after_verification(mlflow_models: dict[str, SavedModel], tmp_path: Path) -> None:
    with pytest.raises(UnsupportedModel, match="stored as pickle, which runs code when loaded"):
        load_directory(mlflow_models["classifier"].path)
    with pytest.raises(UnsupportedModel, match="stored as cloudpickle"):
        load_directory(mlflow_models["regressor_v2"].path)
    # skops refuses untrusted types by itself, so a plain directory is fine.
    assert load_directory(mlflow_models["regressor"].path).spec.serialisation == "skops"


class _Payload:
    """Unpickling this runs code: it creates the file named by its argument."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.marker), "w"))


def test_a_tampered_pickle_is_never_unpickled(mlflow_models: dict[str, SavedModel], tmp_path: Path) -> None:
    directory = copy_of(mlflow_models["classifier"], tmp_path)
    recorded = manifest_of(directory)
    marker = tmp_path / "pwned"
    (directory / "model.pkl").write_bytes(pickle.dumps(_Payload(marker)))
    with pytest.raises(DigestMismatch, match=r"'model\.pkl' does not match the manifest"):
        load_directory(directory, recorded)
    assert not marker.exists()

    shutil.copy(mlflow_models["classifier"].path / "model.pkl", directory / "model.pkl")
    (directory / "sitecustomize.py").write_text("raise SystemExit\n")
    with pytest.raises(DigestMismatch, match=r"'sitecustomize\.py' is not in the manifest"):
        load_directory(directory, recorded)
    (directory / "sitecustomize.py").unlink()
    (directory / "conda.yaml").unlink()
    with pytest.raises(DigestMismatch, match=r"'conda\.yaml' is missing"):
        load_directory(directory, recorded)


def test_skops_types_nobody_trusted_are_refused(mlflow_models: dict[str, SavedModel], tmp_path: Path) -> None:
    directory = copy_of(mlflow_models["regressor"], tmp_path)
    mlmodel = directory / "MLmodel"
    mlmodel.write_text(mlmodel.read_text().replace("- sklearn.tree._tree.Tree", "- some.other.Type"))
    with pytest.raises(UnsupportedModel, match=r"types nobody trusted: sklearn\.tree\._tree\.Tree"):
        load_directory(directory)


def test_python_function_with_its_own_loader_module(tmp_path: Path) -> None:
    directory = tmp_path / "custom"
    (directory / "code").mkdir(parents=True)
    (directory / "MLmodel").write_text(
        textwrap.dedent(
            """
            flavors:
              python_function:
                loader_module: podium_test_scaler
                code: code
                data: factor.txt
            signature:
              inputs: '[{"type": "double", "name": "x"}, {"type": "double", "name": "y"}]'
            """
        )
    )
    (directory / "factor.txt").write_text("2.5")
    (directory / "code" / "podium_test_scaler.py").write_text(
        textwrap.dedent(
            """
            class Scaler:
                def __init__(self, factor):
                    self.factor = factor

                def predict(self, frame):
                    return (frame["x"] + frame["y"]) * self.factor


            def _load_pyfunc(path):
                with open(path) as stream:
                    return Scaler(float(stream.read()))
            """
        )
    )
    with pytest.raises(UnsupportedModel, match="runs code when loaded"):
        load_directory(directory)
    loaded = load_directory(directory, manifest_of(directory))
    frame = sample_frame(3).rename(columns={"a": "y", "b": "x"})
    expected = (frame["x"] + frame["y"]) * 2.5
    np.testing.assert_array_equal(np.asarray(loaded.predict(frame)), expected.to_numpy())


def test_models_that_need_mlflow_are_refused_with_the_alternative(tmp_path: Path) -> None:
    import mlflow.pyfunc

    class Echo(mlflow.pyfunc.PythonModel):
        # list[...] hints: the form mlflow accepts without warnings about schema inference.
        def predict(self, model_input: list[str]) -> list[str]:
            return model_input

    mlflow.pyfunc.save_model(tmp_path / "python-model", python_model=Echo(), pip_requirements=[])
    with pytest.raises(
        UnsupportedModel,
        match=r"loader module 'mlflow\.pyfunc\.model' is part of mlflow.*mlflow models serve",
    ):
        load_directory(tmp_path / "python-model", manifest_of(tmp_path / "python-model"))

    (tmp_path / "empty").mkdir()
    with pytest.raises(UnsupportedModel, match="there is no MLmodel file"):
        load_directory(tmp_path / "empty")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "MLmodel").write_text("flavors: [unclosed")
    with pytest.raises(UnsupportedModel, match="cannot be read"):
        load_directory(tmp_path / "broken")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "MLmodel").write_text("flavors:\n  keras: {}\n")
    with pytest.raises(UnsupportedModel, match=r"no sklearn flavor .*\(flavors: keras\)"):
        load_directory(tmp_path / "other")
