"""`podium serve` as a real process in front of a real `podium server`: the same predictions as
the model loaded in-process by mlflow, for every input format; clear 400s for bad input; and
`--follow` swapping versions under load without a failed request."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import requests

from registry.storage.local import LocalArtifactStore
from tests.fixtures.deploy import (
    SavedModel,
    ScoringFactory,
    move_alias,
    register_http,
    run_podium,
    sample_frame,
    upload_model,
)
from tests.fixtures.servers import PodiumProcess

FRAME = sample_frame(5, seed=11)
ROWS = FRAME.to_numpy().tolist()


REORDERED = FRAME[["c", "a", "b"]]


def split(frame: pd.DataFrame) -> dict[str, Any]:
    # Not frame.to_json: pandas rounds floats to 10 digits there, and the model would see other values.
    return {"columns": list(frame.columns), "data": frame.to_numpy().tolist()}


def bodies() -> list[tuple[str, str, bytes, pd.DataFrame]]:
    """(format, content type, body, the table it carries) in every format MLflow's server reads."""
    as_json = [
        ("dataframe_split", {"dataframe_split": {"columns": list(FRAME.columns), "data": ROWS}}, FRAME),
        # Named columns in another order: a model that knows its columns' names reorders them; one
        # fitted on a bare array takes them as they come, in process as well as served.
        (
            "dataframe_split reordered",
            {"dataframe_split": split(REORDERED)},
            REORDERED,
        ),
        ("dataframe_records", {"dataframe_records": FRAME.to_dict(orient="records")}, FRAME),
        ("instances rows", {"instances": ROWS}, FRAME),
        ("instances records", {"instances": FRAME.to_dict(orient="records")}, FRAME),
        ("inputs rows", {"inputs": ROWS}, FRAME),
        ("inputs columns", {"inputs": FRAME.to_dict(orient="list"), "params": {}}, FRAME),
    ]
    out = [(name, "application/json", json.dumps(body).encode(), frame) for name, body, frame in as_json]
    out.append(("csv", "text/csv", FRAME.to_csv(index=False).encode(), FRAME))
    return out


@pytest.mark.parametrize("model_name", ["regressor", "classifier"])
def test_serve_predicts_what_the_model_predicts_in_process(
    model_name: str,
    podium_server: PodiumProcess,
    scoring_server: ScoringFactory,
    mlflow_models: dict[str, SavedModel],
) -> None:
    model = mlflow_models[model_name]
    store = LocalArtifactStore(podium_server.artifacts_uri)
    register_http(podium_server.url, "churn", upload_model(store, model.path), alias="champion")
    served = scoring_server(podium_server.url, "models:/churn@champion")

    with requests.Session() as http:
        for name, content_type, body, frame in bodies():
            r = http.post(
                f"{served.url}/invocations", data=body, headers={"Content-Type": content_type}, timeout=30
            )
            assert r.status_code == 200, (name, r.text)
            assert r.json() == {"predictions": model.predict(frame).tolist()}, name
            assert r.headers["X-Podium-Model-Version"] == "1"
        # One row against the same one row in process: BLAS may sum a batch of one in another order
        # than a batch of many, so a row's last bit can differ between the two batch sizes.
        single = http.post(f"{served.url}/invocations", json={"instances": ROWS[:1]}, timeout=30)
        assert single.json() == {"predictions": model.predict(FRAME.iloc[:1]).tolist()}

        assert http.get(f"{served.url}/ping", timeout=10).status_code == 200
        assert http.get(f"{served.url}/health", timeout=10).json()["status"] == "ok"
        version = http.get(f"{served.url}/version", timeout=10).json()
        assert (version["name"], version["version"], version["uri"]) == ("churn", 1, "models:/churn/1")


BAD_REQUESTS: list[tuple[str, str, bytes, int, str]] = [
    ("POST", "application/json", b"{not json", 400, "not valid JSON"),
    (
        "POST",
        "application/json",
        b'{"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2]]}}',
        400,
        "Missing column(s) 'c'",
    ),
    ("POST", "application/json", b'{"instances": [[1, 2]]}', 400, "Each row must have 3 values"),
    ("POST", "application/json", b'{"instances": [[1, 2, 3, 4]]}', 400, "got 4"),
    (
        "POST",
        "application/json",
        b'{"dataframe_records": [{"a": 1, "b": "two", "c": 3}]}',
        400,
        "Column 'b' expects numbers (double); row 1 has 'two'",
    ),
    ("POST", "application/json", b'{"instances": [[1, [2, 3], 4]]}', 400, "Column 'b' expects numbers"),
    ("POST", "application/json", b'{"records": []}', 400, "send exactly one of dataframe_split"),
    ("POST", "application/json", b'{"instances": []}', 400, "is empty"),
    ("POST", "application/json", b'{"instances": [[1, 2, 3], [4, 5]]}', 400, "row 2 has 2 values"),
    ("POST", "application/json", b'"just a string"', 400, "must be an object"),
    ("POST", "text/csv", b"a,b,c\n1,2,x\n", 400, "Column 'c' expects numbers (double); row 1 has 'x'"),
    ("POST", "text/csv", b"a,b\n1,2\n", 400, "Missing column(s) 'c'"),
    ("POST", "text/csv", b"", 400, "The CSV body is empty"),
    ("POST", "text/plain", b"1,2,3", 415, "Content-Type 'text/plain' is not supported"),
    ("GET", "application/json", b"", 405, "Use POST"),
]


def test_bad_input_gets_a_400_naming_the_problem(
    podium_server: PodiumProcess, scoring_server: ScoringFactory, mlflow_models: dict[str, SavedModel]
) -> None:
    store = LocalArtifactStore(podium_server.artifacts_uri)
    register_http(podium_server.url, "churn", upload_model(store, mlflow_models["regressor"].path))
    served = scoring_server(podium_server.url, "models:/churn/1")
    with requests.Session() as http:
        for method, content_type, body, status, message in BAD_REQUESTS:
            r = http.request(
                method,
                f"{served.url}/invocations",
                data=body,
                headers={"Content-Type": content_type},
                timeout=30,
            )
            assert r.status_code == status, (body, r.text)
            error = r.json()
            assert set(error) == {"error_code", "message"}
            assert message in error["message"], (body, error)
            assert "Traceback" not in r.text
        r = http.get(f"{served.url}/nope", timeout=10)
        assert (r.status_code, r.json()["error_code"]) == (404, "NOT_FOUND")
        # Still serving after all that.
        assert http.post(f"{served.url}/invocations", json={"instances": ROWS}, timeout=30).status_code == 200
    assert "Traceback" not in served.log()


def test_serve_refuses_a_model_whose_files_changed(
    podium_server: PodiumProcess, tmp_path: Path, mlflow_models: dict[str, SavedModel]
) -> None:
    store = LocalArtifactStore(podium_server.artifacts_uri)
    source = upload_model(store, mlflow_models["classifier"].path)
    register_http(podium_server.url, "churn", source, alias="champion")
    pickle_file = Path(podium_server.artifacts_uri) / source.removeprefix("mlflow-artifacts:/") / "model.pkl"
    pickle_file.write_bytes(pickle_file.read_bytes() + b"\x00")
    done = run_podium(
        [
            "serve",
            "models:/churn@champion",
            "--registry-url",
            podium_server.url,
            "--cache-dir",
            str(tmp_path / "c"),
        ],
        tmp_path,
    )
    assert done.returncode == 1
    assert "'model.pkl' does not match the manifest recorded at registration" in done.stderr


def test_follow_swaps_to_the_new_version_without_a_failed_request(
    podium_server: PodiumProcess, scoring_server: ScoringFactory, mlflow_models: dict[str, SavedModel]
) -> None:
    store = LocalArtifactStore(podium_server.artifacts_uri)
    first, second = mlflow_models["regressor"], mlflow_models["regressor_v2"]
    register_http(podium_server.url, "churn", upload_model(store, first.path), alias="champion")
    register_http(podium_server.url, "churn", upload_model(store, second.path))
    expected = {"1": first.predict(FRAME).tolist(), "2": second.predict(FRAME).tolist()}
    assert expected["1"] != expected["2"]
    served = scoring_server(podium_server.url, "models:/churn@champion", "--follow", "--poll-interval", "0.3")

    answers: list[tuple[int, str | None, Any]] = []
    failures: list[str] = []
    stop = threading.Event()

    def client() -> None:
        with requests.Session() as http:
            while not stop.is_set():
                try:
                    r = http.post(
                        f"{served.url}/invocations",
                        json={"dataframe_split": split(FRAME)},
                        timeout=30,
                    )
                except requests.RequestException as exc:
                    failures.append(repr(exc))
                    continue
                answers.append((r.status_code, r.headers.get("X-Podium-Model-Version"), r.json()))

    clients = [threading.Thread(target=client) for _ in range(3)]
    for thread in clients:
        thread.start()
    try:
        _wait_for(lambda: len(answers) >= 20, "requests before the alias moves")
        move_alias(podium_server.url, "churn", "champion", 2)
        # Every worker has swapped once 30 answers in a row came from version 2.
        _wait_for(
            lambda: len(answers) > 30 and all(a[1] == "2" for a in answers[-30:]), "the swap to version 2"
        )
    finally:
        stop.set()
        for thread in clients:
            thread.join(timeout=60)

    assert failures == []
    assert {status for status, _, _ in answers} == {200}
    versions = [version for _, version, _ in answers]
    assert versions[0] == "1"
    assert set(versions) == {"1", "2"}
    # Each answer is exactly the prediction of the version that says it answered.
    for _, version, body in answers:
        assert body == {"predictions": expected[str(version)]}
    # Workers swap independently; each one that answers /version gets there.
    _wait_for(lambda: requests.get(f"{served.url}/version", timeout=10).json()["version"] == 2, "/version")


def _wait_for(condition: Any, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_in_process_reference_is_not_trivial(mlflow_models: dict[str, SavedModel]) -> None:
    """The comparisons above mean something: the two models disagree, row by row."""
    first = mlflow_models["regressor"].predict(FRAME)
    second = mlflow_models["regressor_v2"].predict(FRAME)
    assert not np.isclose(first, second).any()
