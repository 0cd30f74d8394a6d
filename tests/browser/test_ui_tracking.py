"""The tracking pages in Chromium, over runs the stock mlflow client logged: the runs table sorts by
a metric when its header is clicked, the comparison draws each chart kind, the run page previews
the plot the run logged."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from registry.domain.identity import Role
from tests.browser.conftest import UiServer, shoot, wait, wait_for

SEED = Path(__file__).resolve().parent / "seeds" / "tracking_sweep.py"
EXPERIMENT = "RandomForest Experiment"
MODEL = "RandomForestRegressor"


@pytest.fixture(scope="module")
def sweep(ui_server: UiServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Four runs logged by the stock client in its own process, as a training job would."""
    workdir = tmp_path_factory.mktemp("sweep")
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": ui_server.url,
        "MLFLOW_TRACKING_TOKEN": ui_server.secrets[Role.CONTRIBUTOR],
    }
    done = subprocess.run(
        [sys.executable, str(SEED), EXPERIMENT, MODEL, str(workdir)],
        env=env,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    result: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
    return result


def table_run_ids(driver: WebDriver) -> list[str]:
    rows = driver.find_elements(By.CSS_SELECTOR, "[data-testid=runs-table] tbody tr[data-run]")
    return [r.get_attribute("data-run") or "" for r in rows]


def test_runs_table_sorts_by_a_metric_header(
    browser: WebDriver, ui_server: UiServer, sweep: dict[str, Any]
) -> None:
    ui_server.sign_in(browser, Role.READER, "/experiments")
    wait_for(browser, "[data-testid=experiments-table]")
    shoot(browser, "experiments-list")
    browser.find_element(By.LINK_TEXT, EXPERIMENT).click()
    wait_for(browser, "[data-testid=runs-table]")
    r2: dict[str, float] = sweep["r2"]
    assert sorted(table_run_ids(browser)) == sorted(r2)

    browser.find_element(By.CSS_SELECTOR, "a.sort[data-sort='metrics.r2_score']").click()
    wait(browser).until(lambda d: "sort=metrics.r2_score" in d.current_url)
    best_first = table_run_ids(browser)
    assert best_first == sorted(r2, key=lambda rid: r2[rid], reverse=True)
    shoot(browser, "runs-table-by-r2")

    # Clicking the sorted header again flips the direction.
    browser.find_element(By.CSS_SELECTOR, "a.sort[data-sort='metrics.r2_score']").click()
    wait(browser).until(lambda d: "dir=asc" in d.current_url)
    assert table_run_ids(browser) == list(reversed(best_first))


def test_compare_draws_each_chart_kind(
    browser: WebDriver, ui_server: UiServer, sweep: dict[str, Any]
) -> None:
    ui_server.sign_in(browser, Role.READER, f"/experiments/{sweep['experiment_id']}")
    wait_for(browser, "[data-testid=runs-table]")
    for box in browser.find_elements(By.CSS_SELECTOR, "[data-testid=pick-run]"):
        box.click()
    browser.find_element(By.CSS_SELECTOR, "[data-testid=compare]").click()
    wait(browser).until(lambda d: "/compare" in d.current_url)
    assert browser.current_url.count("run=") == 4

    def drawn() -> None:
        for kind in ("scatter", "parallel", "lines"):
            css = f"[data-testid=compare-{kind}][data-chart-ready=true]"
            wait_for(browser, css)
            assert browser.find_elements(By.CSS_SELECTOR, f"{css} canvas"), kind

    drawn()
    shoot(browser, "compare-runs")

    # The metric's history: choosing train_mse reloads the page (a GET form) with its curves.
    select = browser.find_element(By.CSS_SELECTOR, "[data-testid=choose-metric]")
    select.find_element(By.CSS_SELECTOR, "option[value=train_mse]").click()
    wait(browser).until(lambda d: "metric=train_mse" in d.current_url)
    drawn()
    data = json.loads(browser.find_element(By.ID, "lines-data").get_attribute("textContent") or "{}")
    assert len(data["series"]) == 4
    assert all(len(s["points"]) == 5 for s in data["series"])
    shoot(browser, "compare-train-mse")


def test_run_page_previews_the_plot(browser: WebDriver, ui_server: UiServer, sweep: dict[str, Any]) -> None:
    best = sweep["best"]
    ui_server.sign_in(browser, Role.READER, f"/runs/{best}")
    wait_for(browser, "[data-testid=artifacts]")
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=run-id]").text == best
    # The version registered from the run links to the model's page.
    versions = browser.find_element(By.CSS_SELECTOR, "[data-testid=registered-versions]")
    assert versions.find_element(By.LINK_TEXT, MODEL).get_attribute("href").endswith(f"/models/{MODEL}")

    browser.find_element(By.CSS_SELECTOR, "[data-path='scatter_plot.png'] > a").click()
    wait_for(browser, "[data-testid=preview-image]")
    image = browser.find_element(By.CSS_SELECTOR, "[data-testid=preview-image]")
    wait(browser).until(
        lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image)
    )
    assert int(browser.execute_script("return arguments[0].naturalWidth", image)) > 100
    shoot(browser, "run-page")

    # MLflow 3 stores the model as a logged model of the run (its files are not in the run's folder).
    made = browser.find_element(By.CSS_SELECTOR, "[data-testid=logged-models]").text
    assert "random_forest_model" in made
