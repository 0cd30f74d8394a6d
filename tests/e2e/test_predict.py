"""`podium predict` as a scheduled job would run it: a real registry process, a CSV in, a CSV out,
compared with the predictions of the model loaded in-process by mlflow."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from registry.scoring.batch import predict_csv
from registry.scoring.loading import load_model
from registry.storage.local import LocalArtifactStore
from tests.fixtures.deploy import SavedModel, register_http, run_podium, sample_frame, upload_model
from tests.fixtures.servers import PodiumProcess


def test_batch_predictions_equal_in_process_predictions(
    podium_server: PodiumProcess, tmp_path: Path, mlflow_models: dict[str, SavedModel]
) -> None:
    store = LocalArtifactStore(podium_server.artifacts_uri)
    register_http(podium_server.url, "churn", upload_model(store, mlflow_models["regressor"].path))
    register_http(
        podium_server.url, "churn", upload_model(store, mlflow_models["classifier"].path), alias="champion"
    )
    data = sample_frame(2_500, seed=5)
    source = tmp_path / "data.csv"
    data.to_csv(source, index=False)
    cache = ["--cache-dir", str(tmp_path / "cache"), "--registry-url", podium_server.url]

    # Several chunks, so chunking cannot change the answer.
    done = run_podium(
        [
            "predict",
            "models:/churn/1",
            "--input",
            str(source),
            "--output",
            str(tmp_path / "v1.csv"),
            "--chunk-rows",
            "700",
            *cache,
        ],
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "models:/churn/1\n"
    assert "Wrote 2500 predictions" in done.stderr
    written = pd.read_csv(tmp_path / "v1.csv")
    assert list(written.columns) == ["prediction"]
    np.testing.assert_array_equal(written["prediction"].to_numpy(), mlflow_models["regressor"].predict(data))

    done = run_podium(
        [
            "predict",
            "models:/churn@champion",
            "-i",
            str(source),
            "-o",
            str(tmp_path / "champion.csv"),
            *cache,
        ],
        tmp_path,
    )
    assert (done.returncode, done.stdout) == (0, "models:/churn/2\n"), done.stderr
    written = pd.read_csv(tmp_path / "champion.csv")
    assert list(written.columns) == ["prediction_0", "prediction_1"]
    np.testing.assert_array_equal(written.to_numpy(), mlflow_models["classifier"].predict(data))


def test_bad_rows_fail_the_job_with_the_row_and_leave_the_old_output(
    podium_server: PodiumProcess, tmp_path: Path, mlflow_models: dict[str, SavedModel]
) -> None:
    store = LocalArtifactStore(podium_server.artifacts_uri)
    register_http(podium_server.url, "churn", upload_model(store, mlflow_models["regressor"].path))
    data = sample_frame(3_000, seed=2).astype(object)
    data.loc[2_345, "b"] = "n/a [bold]?"  # brackets: printed as they are, not as terminal markup
    source = tmp_path / "data.csv"
    data.to_csv(source, index=False)
    output = tmp_path / "predictions.csv"
    output.write_text("yesterday's predictions\n")
    base = ["--registry-url", podium_server.url, "--cache-dir", str(tmp_path / "cache")]

    done = run_podium(
        ["predict", "models:/churn/1", "-i", str(source), "-o", str(output), "--chunk-rows", "1000", *base],
        tmp_path,
    )
    assert done.returncode == 1
    assert "Column 'b' expects numbers (double); row 2346 has 'n/a [bold]?'" in done.stderr
    assert "Traceback" not in done.stderr
    assert output.read_text() == "yesterday's predictions\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".predictions")) == []

    wrong = tmp_path / "wrong.csv"
    wrong.write_text("a,b\n1,2\n")
    done = run_podium(["predict", "models:/churn/1", "-i", str(wrong), "-o", str(output), *base], tmp_path)
    assert done.returncode == 1
    assert "Missing column(s) 'c'" in done.stderr


def test_progress_reaches_the_end_of_the_input(
    podium_server: PodiumProcess, tmp_path: Path, mlflow_models: dict[str, SavedModel]
) -> None:
    store = LocalArtifactStore(podium_server.artifacts_uri)
    register_http(podium_server.url, "churn", upload_model(store, mlflow_models["regressor"].path))
    model = load_model("models:/churn/1", registry_url=podium_server.url, cache_dir=tmp_path / "cache")
    data = sample_frame(5_000, seed=3)
    data.to_csv(tmp_path / "in.csv", index=False)
    seen: list[tuple[int, int]] = []
    result = predict_csv(
        model,
        tmp_path / "in.csv",
        tmp_path / "out.csv",
        chunk_rows=1_000,
        progress=lambda d, t: seen.append((d, t)),
    )
    assert result.rows == 5_000
    size = (tmp_path / "in.csv").stat().st_size
    assert len(seen) == 5
    assert seen[-1] == (size, size)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
