"""The gate's registry adapter and `podium gate resolve`, against a real `podium server`."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
import requests

from ci.podium_registry import PodiumRegistry
from ci.registry_port import ModelState, RegistryRefused, RegistryUnavailable
from registry.domain.stages import Stage
from tests.fixtures.registry_seed import seed_model, start_podium, unique_model
from tests.fixtures.servers import PodiumProcess, free_port


@pytest.fixture(scope="module")
def podium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PodiumProcess]:
    yield from start_podium(tmp_path_factory.mktemp("podium"))


def test_model_state_and_versions(podium: PodiumProcess) -> None:
    model = unique_model()
    seed_model(
        podium.url,
        model,
        5,
        aliases={"champion": 2, "challenger": 4},
        stages={1: "Archived", 2: "Production", 3: "Staging", 4: "Staging"},
    )
    tags = f"{podium.url}/api/v1/models/{model}/versions/{{}}/tags/{{}}"
    for version, key, value in [
        (4, "eval_dataset", "holdout-q3"),
        (3, "podium.metric.r2", "0.91"),
        (3, "podium.metric.loss", "Infinity"),
        (3, "podium.metric.mae", "not a number"),
    ]:
        response = requests.put(tags.format(version, key), json={"value": value}, timeout=30)
        assert response.status_code == 200, response.text
    with PodiumRegistry.connect(podium.url) as registry:
        check_model(registry, model)


def check_model(registry: PodiumRegistry, model: str) -> None:
    assert registry.model_state(model) == ModelState(
        model,
        {"champion": 2, "challenger": 4},
        {Stage.ARCHIVED: 1, Stage.PRODUCTION: 2, Stage.STAGING: 4, Stage.NONE: 5},
    )
    version = registry.version(model, 4)
    assert version is not None
    assert (version.version, version.stage, version.run_id) == (4, Stage.STAGING, None)
    assert version.tags == {"eval_dataset": "holdout-q3"}
    assert registry.version(model, 99) is None
    assert registry.model_state(unique_model("absent")) is None
    assert registry.resolve_alias(model, "champion") == 2
    assert registry.resolve_alias(model, "shadow") is None
    # Metrics come from Podium's own reader: with no source run, `podium.metric.*` version tags.
    # A version without any has no metrics (every rule then reports them missing).
    assert registry.metrics(model, 4) == {}
    metrics = registry.metrics(model, 3)
    assert (metrics["r2"], metrics["loss"]) == (0.91, math.inf)
    assert math.isnan(metrics["mae"])  # kept, so a rule on it fails instead of passing silently
    assert set(metrics) == {"r2", "loss", "mae"}
    with pytest.raises(RegistryRefused) as missing:
        registry.metrics(model, 99)
    assert missing.value.status == 404


def test_names_are_escaped_in_paths(podium: PodiumProcess) -> None:
    model = unique_model("prices eu?x")
    response = requests.post(f"{podium.url}/api/v1/models", json={"name": model}, timeout=30)
    assert response.status_code == 201, response.text
    with PodiumRegistry.connect(podium.url) as registry:
        assert registry.model_state(model) == ModelState(model, {}, {})


def test_unreachable_podium_raises_unavailable() -> None:
    registry = PodiumRegistry.connect(f"http://127.0.0.1:{free_port()}", timeout=5)
    with pytest.raises(RegistryUnavailable, match="is unreachable"):
        registry.model_state("x")


def test_refusals_carry_podiums_message(podium: PodiumProcess) -> None:
    model = unique_model()
    seed_model(podium.url, model, 1)
    with PodiumRegistry.connect(podium.url) as registry:
        with pytest.raises(RegistryRefused) as caught:
            registry.version(model, 0)
        assert caught.value.status == 400
        assert "Podium answered 400 to GET version 0 of" in str(caught.value)
    # A wrong base URL reaches no Podium route: never mistaken for "the model does not exist".
    with (
        PodiumRegistry.connect(f"{podium.url}/not-podium") as wrong,
        pytest.raises((RegistryRefused, RegistryUnavailable)),
    ):
        wrong.model_state(model)


def resolve(podium_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "registry.cli", "gate", "resolve", *args],
        env={**os.environ, "PODIUM_URL": podium_url},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_podium_gate_resolve_prints_the_version(podium: PodiumProcess) -> None:
    model = unique_model()
    seed_model(podium.url, model, 3, aliases={"champion": 3})
    done = resolve(podium.url, f"models:/{model}@champion")
    assert (done.returncode, done.stdout) == (0, "3\n"), done.stderr
    missing = resolve(podium.url, f"models:/{model}@shadow")
    assert missing.returncode == 1
    assert f"models:/{model}@shadow is not set in Podium" in missing.stderr
    bad = resolve(podium.url, f"models:/{model}/3")
    assert bad.returncode == 2
    assert "is not models:/<name>@<alias>" in bad.stderr
    down = resolve(f"http://127.0.0.1:{free_port()}", f"models:/{model}@champion")
    assert down.returncode == 1
    assert "is unreachable" in down.stderr
