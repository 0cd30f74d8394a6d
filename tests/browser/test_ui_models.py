"""The models pages in Chromium: list (sort, search, pages), a model's page, its forms, CSRF."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from registry.domain.identity import Role
from registry.services import versions
from tests.browser.conftest import SOURCE, UiServer, shoot, wait, wait_for

# Seeded once per module: 30 models so the list has a second page at 25 rows.
FRAUD_MODELS = ["fraud-detector", "fraud-scorer", "fraud-rules"]


@pytest.fixture(scope="module")
def seeded(ui_server: UiServer) -> UiServer:
    ui_server.register(
        "fraud-detector",
        versions=4,
        description="Gradient boosted trees over card transactions.",
        tags={"team": "risk", "framework": "sklearn"},
    )
    ui_server.api("PUT", "/models/fraud-detector/aliases/champion", json={"version": 3})
    ui_server.api("PUT", "/models/fraud-detector/aliases/challenger", json={"version": 4})
    ui_server.api("POST", "/models/fraud-detector/versions/3/stage", json={"stage": "Production"})
    ui_server.api("POST", "/models/fraud-detector/versions/4/stage", json={"stage": "Staging"})
    ui_server.api("POST", "/models/fraud-detector/versions/1/stage", json={"stage": "Archived"})
    # Version 5 with the per-file digest the MLflow API records at registration (not in this branch).
    versions.create_model_version(
        ui_server.uow(),
        "fraud-detector",
        SOURCE.format(5),
        run_id=f"{5:032x}",
        description="Retrained on March data.",
        digest={
            "MLmodel": {"sha256": "3f" * 32, "size": 612},
            "model.pkl": {"sha256": "a9" * 32, "size": 2_400_000},
            "requirements.txt": {"sha256": "07" * 32, "size": 88},
        },
    )
    ui_server.register("fraud-scorer", versions=1, tags={"team": "risk"})
    ui_server.register("fraud-rules", versions=0, tags={"team": "ops"})
    for n in range(27):
        ui_server.register(f"forecast-{n:02d}", versions=1 if n % 3 == 0 else 0)
    return ui_server


def row_names(driver: WebDriver) -> list[str]:
    rows = driver.find_elements(By.CSS_SELECTOR, "[data-testid=models-table] tbody tr[data-model]")
    return [r.get_attribute("data-model") or "" for r in rows]


def test_models_list_sorts_searches_and_pages(browser: WebDriver, seeded: UiServer) -> None:
    seeded.sign_in(browser, Role.READER, "/models?size=25")
    wait_for(browser, "[data-testid=models-table]")
    first_page = row_names(browser)
    assert first_page == sorted(first_page)
    assert len(first_page) == 25
    shoot(browser, "models-list")

    browser.find_element(By.CSS_SELECTOR, "[data-testid=next-page]").click()
    wait(browser).until(lambda d: "page_token=" in d.current_url)
    second_page = row_names(browser)
    assert len(second_page) == 5
    assert not set(first_page) & set(second_page)
    assert sorted(first_page + second_page) == first_page + second_page

    # The Name header is the current sort: clicking it flips to descending.
    browser.get(f"{seeded.url}/models?size=25")
    browser.find_element(By.CSS_SELECTOR, "a.sort[data-sort=name]").click()
    wait(browser).until(lambda d: "dir=desc" in d.current_url)
    descending = row_names(browser)
    assert descending == sorted(descending, reverse=True)
    assert descending[0] == "fraud-scorer"

    # Plain words search names; a filter in the API's grammar searches tags.
    search = browser.find_element(By.CSS_SELECTOR, "[data-testid=search]")
    search.clear()
    search.send_keys("fraud\n")
    wait(browser).until(lambda d: "q=fraud" in d.current_url)
    assert sorted(row_names(browser)) == sorted(FRAUD_MODELS)

    browser.get(f"{seeded.url}/models")
    search = browser.find_element(By.CSS_SELECTOR, "[data-testid=search]")
    search.send_keys("tags.team = 'risk'\n")
    wait(browser).until(lambda d: "q=tags.team" in d.current_url)
    assert sorted(row_names(browser)) == ["fraud-detector", "fraud-scorer"]
    shoot(browser, "models-list-search")

    browser.get(f"{seeded.url}/models?q=tags.team+%3C+3")
    error = browser.find_element(By.CSS_SELECTOR, "[data-testid=error]").text
    assert "tags" in error or "team" in error
    assert row_names(browser) == []


def test_models_list_sorts_by_last_update(browser: WebDriver, seeded: UiServer) -> None:
    seeded.sign_in(browser, Role.READER, "/models")
    seeded.api("PATCH", "/models/forecast-05", json={"description": "touched last"})
    browser.get(f"{seeded.url}/models")
    browser.find_element(By.CSS_SELECTOR, "a.sort[data-sort=updated]").click()
    wait(browser).until(lambda d: "sort=updated" in d.current_url)
    assert row_names(browser)[0] == "forecast-05"


def test_model_page_renders_versions_and_chart(browser: WebDriver, seeded: UiServer) -> None:
    seeded.sign_in(browser, Role.READER, "/models/fraud-detector")
    wait_for(browser, "[data-testid=versions-table]")
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=model-name]").text == "fraud-detector"
    rows = browser.find_elements(By.CSS_SELECTOR, "[data-testid=versions-table] tbody tr[data-version]")
    assert [r.get_attribute("data-version") for r in rows] == ["5", "4", "3", "2", "1"]
    v3 = browser.find_element(By.CSS_SELECTOR, "tr[data-version='3']")
    assert "Production" in v3.text
    assert "@champion" in v3.text
    assert "seed" in v3.text  # its tag
    assert "00000000000000000000000000000003"[:12] in v3.text  # its run id
    v5 = browser.find_element(By.CSS_SELECTOR, "tr[data-version='5']")
    assert "3 files" in v5.text
    v5.find_element(By.CSS_SELECTOR, ".digest summary").click()
    assert "model.pkl" in v5.text
    assert "a9a9a9a9a9a9" in v5.text
    aliases = browser.find_element(By.CSS_SELECTOR, "[data-testid=aliases]").text
    assert "@champion" in aliases
    assert "version 3" in aliases
    assert "@challenger" in aliases

    # The versions-over-time chart is drawn by the vendored ECharts through charts.js.
    wait_for(browser, "[data-testid=versions-chart][data-chart-ready=true] canvas")
    assert browser.find_elements(By.CSS_SELECTOR, "[data-testid=versions-chart] .chart-error") == []

    # Sorting versions ascending.
    browser.find_element(By.CSS_SELECTOR, "a.sort[data-sort=version]").click()
    wait(browser).until(lambda d: "dir=asc" in d.current_url)
    rows = browser.find_elements(By.CSS_SELECTOR, "[data-testid=versions-table] tbody tr[data-version]")
    assert [r.get_attribute("data-version") for r in rows] == ["1", "2", "3", "4", "5"]
    browser.get(f"{seeded.url}/models/fraud-detector")
    wait_for(browser, "[data-testid=versions-chart][data-chart-ready=true] canvas")
    shoot(browser, "model-page-reader")


def test_reader_sees_no_write_buttons(browser: WebDriver, seeded: UiServer) -> None:
    write_controls = (
        "[data-testid=set-alias-form]",
        "[data-testid=stage-form]",
        "[data-testid=edit-description]",
        "[data-testid=remove-alias]",
    )
    seeded.sign_in(browser, Role.READER, "/models/fraud-detector")
    wait_for(browser, "[data-testid=versions-table]")
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=role]").text.lower() == "reader"
    for css in write_controls:
        assert browser.find_elements(By.CSS_SELECTOR, css) == [], css

    browser.delete_all_cookies()
    seeded.sign_in(browser, Role.CONTRIBUTOR, "/models/fraud-detector")
    wait_for(browser, "[data-testid=versions-table]")
    for css in write_controls:
        assert browser.find_elements(By.CSS_SELECTOR, css), css
    shoot(browser, "model-page-contributor")


def test_contributor_moves_an_alias_and_a_stage(browser: WebDriver, seeded: UiServer) -> None:
    seeded.register("churn", versions=2)
    seeded.sign_in(browser, Role.CONTRIBUTOR, "/models/churn")
    form = browser.find_element(By.CSS_SELECTOR, "[data-testid=set-alias-form]")
    form.find_element(By.NAME, "alias").send_keys("champion")
    form.find_element(By.NAME, "version").send_keys("2")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(browser, ".note-success")
    assert "@champion now points at version 2" in browser.find_element(By.CSS_SELECTOR, ".note-success").text
    assert seeded.api("GET", "/models/churn/aliases/champion").json()["version"] == 2

    browser.find_element(By.CSS_SELECTOR, "tr[data-version='1'] [data-testid=move-stage]").click()
    stage_form = browser.find_element(By.CSS_SELECTOR, "tr[data-version='1'] [data-testid=stage-form]")
    shoot(browser, "model-page-move-stage")
    stage_form.find_element(By.CSS_SELECTOR, "select[name=stage] option[value=Staging]").click()
    stage_form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(browser).until(
        lambda d: "is now in Staging" in d.find_element(By.CSS_SELECTOR, ".note-success").text
    )
    assert seeded.api("GET", "/models/churn/versions/1").json()["stage"] == "Staging"

    # A bad alias is refused with the reason, and nothing changes.
    form = browser.find_element(By.CSS_SELECTOR, "[data-testid=set-alias-form]")
    browser.execute_script("arguments[0].removeAttribute('pattern')", form.find_element(By.NAME, "alias"))
    form.find_element(By.NAME, "alias").send_keys("latest")
    form.find_element(By.NAME, "version").send_keys("1")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(browser, "[data-testid=error]")
    assert "reserved" in browser.find_element(By.CSS_SELECTOR, "[data-testid=error]").text
    assert seeded.api("GET", "/models/churn").json()["aliases"] == {"champion": 2}
    shoot(browser, "model-page-form-error")


def test_form_without_csrf_token_is_refused(browser: WebDriver, seeded: UiServer) -> None:
    seeded.register("no-csrf", versions=1)
    seeded.sign_in(browser, Role.CONTRIBUTOR, "/models/no-csrf")
    form = browser.find_element(By.CSS_SELECTOR, "[data-testid=set-alias-form]")
    browser.execute_script("arguments[0].querySelector('input[name=csrf_token]').remove()", form)
    form.find_element(By.NAME, "alias").send_keys("champion")
    form.find_element(By.NAME, "version").send_keys("1")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(browser, ".error-page")
    assert browser.find_element(By.CSS_SELECTOR, ".error-page").get_attribute("data-status") == "400"
    assert (
        "the CSRF token is missing"
        in browser.find_element(By.CSS_SELECTOR, "[data-testid=error-message]").text
    )
    shoot(browser, "csrf-refused")
    assert seeded.api("GET", "/models/no-csrf").json()["aliases"] == {}


def test_models_list_on_a_phone(browser: WebDriver, seeded: UiServer) -> None:
    browser.set_window_size(420, 900)
    seeded.sign_in(browser, Role.READER, "/models?q=fraud")
    wait_for(browser, "[data-testid=models-table]")
    # The page itself never scrolls sideways; a wide table scrolls inside its own frame.
    page_width = browser.execute_script("return document.documentElement.scrollWidth")
    view_width = browser.execute_script("return document.documentElement.clientWidth")
    assert page_width <= view_width
    shoot(browser, "models-list-phone")
