"""Governance in Chromium against a real `podium server`: a reviewer approves a promotion request
from its page and the protected alias moves; a reader sees no way to decide; screenshots of the
promotions list, a request, the webhooks pages and the model page's policy and history.

Seeded as people would: runs and their metrics through the stock mlflow client, the model, its
versions (made from those runs), its policy and the request through the native API.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from registry.db.secrets import SecretBox
from registry.domain.identity import Role
from registry.domain.webhooks import Flavor
from registry.services import webhooks
from registry.services.webhooks import Keys
from tests.browser.conftest import SOURCE, UiServer, shoot, wait, wait_for
from tests.fixtures.webhooks import TEST_SECRET_KEY, fast_settings

MODEL = "gov-forest"


@dataclass
class Seeded:
    server: UiServer
    request_id: int
    webhook_id: str


@pytest.fixture(scope="module")
def seeded(ui_server: UiServer) -> Seeded:
    from mlflow import MlflowClient

    with pytest.MonkeyPatch.context() as patch:
        # The stock client reads its token from the environment, as a data scientist's would.
        patch.setenv("MLFLOW_TRACKING_TOKEN", ui_server.secrets[Role.CONTRIBUTOR])
        client = MlflowClient(tracking_uri=ui_server.url)
        experiment = client.create_experiment("gov-sweep")
        run_ids = []
        for r2 in (0.48, 0.61):
            run = client.create_run(experiment)
            client.log_metric(run.info.run_id, "r2_score", r2)
            client.set_terminated(run.info.run_id)
            run_ids.append(run.info.run_id)

    ui_server.api("POST", "/models", role=Role.CONTRIBUTOR, json={"name": MODEL, "description": "Forest."})
    for n, run_id in enumerate(run_ids, start=1):
        ui_server.api(
            "POST",
            f"/models/{MODEL}/versions",
            role=Role.CONTRIBUTOR,
            json={"source": SOURCE.format(n), "run_id": run_id},
        )
    ui_server.api(
        "PUT",
        f"/models/{MODEL}/policy",
        json={"protected": ["alias:champion"], "required_approvals": 1, "rules": ["r2_score >= 0.5"]},
    )
    made = ui_server.api(
        "POST",
        "/promotions",
        role=Role.CONTRIBUTOR,
        json={"model": MODEL, "version": 2, "target": "alias:champion", "comment": "r2 0.61 on the sweep"},
    ).json()
    assert made["status"] == "pending"
    # A subscription for the webhooks pages, made on the server's database (without a signing
    # secret, so the server's own key is not needed). It wants an event nothing here sends.
    hook = webhooks.create_webhook(
        ui_server.uow(),
        Keys(fast_settings(), SecretBox(TEST_SECRET_KEY)),
        url="http://127.0.0.1:9/hooks/deploy",
        events=["registered_model.deleted"],
        name="deploy-bot",
        flavor=Flavor.MLFLOW,
    )
    return Seeded(ui_server, int(made["id"]), hook.webhook.id)


def champion(seeded: Seeded) -> int | None:
    aliases = seeded.server.api("GET", f"/models/{MODEL}", role=Role.READER).json()["aliases"]
    value = aliases.get("champion")
    return int(value) if value is not None else None


def test_a_reader_sees_no_way_to_decide(browser: WebDriver, seeded: Seeded) -> None:
    seeded.server.sign_in(browser, Role.READER, "/promotions")
    wait_for(browser, "[data-testid=promotions-table]")
    rows = browser.find_elements(By.CSS_SELECTOR, "[data-testid=promotions-table] tbody tr[data-request]")
    assert [r.get_attribute("data-request") for r in rows] == [str(seeded.request_id)]
    shoot(browser, "promotions-list")

    browser.find_element(By.CSS_SELECTOR, "[data-testid=request-link]").click()
    wait_for(browser, "[data-testid=gate-table]")
    assert not browser.find_elements(By.CSS_SELECTOR, "[data-testid=approve]")
    assert not browser.find_elements(By.CSS_SELECTOR, "[data-testid=reject]")
    assert not browser.find_elements(By.CSS_SELECTOR, "[data-testid=cancel]")
    # Nor does the navigation offer the admin's webhooks.
    assert not browser.find_elements(By.CSS_SELECTOR, "nav.nav a[href='/webhooks']")


def test_an_approval_without_the_csrf_token_is_refused(browser: WebDriver, seeded: Seeded) -> None:
    seeded.server.sign_in(browser, Role.REVIEWER, f"/promotions/{seeded.request_id}")
    form = browser.find_element(By.CSS_SELECTOR, "[data-testid=approve-form]")
    browser.execute_script("arguments[0].querySelector('input[name=csrf_token]').remove()", form)
    form.find_element(By.CSS_SELECTOR, "[data-testid=approve]").click()
    wait_for(browser, ".error-page")
    assert browser.find_element(By.CSS_SELECTOR, ".error-page").get_attribute("data-status") == "400"
    assert (
        "the CSRF token is missing"
        in browser.find_element(By.CSS_SELECTOR, "[data-testid=error-message]").text
    )
    request = seeded.server.api("GET", f"/promotions/{seeded.request_id}", role=Role.READER).json()
    assert request["status"] == "pending"
    assert request["approvals"] == []


def test_a_reviewer_approves_and_the_alias_moves(browser: WebDriver, seeded: Seeded) -> None:
    assert champion(seeded) is None
    seeded.server.sign_in(browser, Role.REVIEWER, f"/promotions/{seeded.request_id}")
    wait_for(browser, "[data-testid=gate-table]")
    status = browser.find_element(By.CSS_SELECTOR, ".page-head [data-testid=request-status]")
    assert status.text == "pending"
    rule = browser.find_element(By.CSS_SELECTOR, "[data-testid=gate-table] tbody tr[data-rule]")
    assert rule.get_attribute("data-passed") == "true"
    assert "0.61" in rule.text
    shoot(browser, "promotion-request")

    form = browser.find_element(By.CSS_SELECTOR, "[data-testid=approve-form]")
    form.find_element(By.NAME, "comment").send_keys("Checked the sweep: ship it.")
    form.find_element(By.CSS_SELECTOR, "[data-testid=approve]").click()
    wait(browser).until(
        lambda d: d.find_element(By.CSS_SELECTOR, ".page-head [data-testid=request-status]").text == "applied"
    )
    assert "now holds @champion" in browser.find_element(By.CSS_SELECTOR, ".note-success").text
    assert (
        "Checked the sweep: ship it." in browser.find_element(By.CSS_SELECTOR, "[data-testid=decisions]").text
    )
    assert not browser.find_elements(By.CSS_SELECTOR, "[data-testid=approve]")
    shoot(browser, "promotion-request-applied")
    # The API sees the move the page made.
    assert champion(seeded) == 2

    browser.get(f"{seeded.server.url}/models/{MODEL}")
    wait_for(browser, "[data-testid=policy]")
    assert "alias:champion" in browser.find_element(By.CSS_SELECTOR, "[data-testid=policy-protected]").text
    applied = browser.find_element(By.CSS_SELECTOR, "[data-action='promotion_request.applied']")
    assert "approved by reviewer-user" in applied.text
    assert (
        applied.find_element(By.CSS_SELECTOR, "[data-testid=history-request]").get_attribute("href")
        == f"{seeded.server.url}/promotions/{seeded.request_id}"
    )
    shoot(browser, "model-policy-history")


def test_an_admin_sees_webhooks_and_their_deliveries(browser: WebDriver, seeded: Seeded) -> None:
    seeded.server.sign_in(browser, Role.ADMIN, "/webhooks")
    wait_for(browser, "[data-testid=webhooks-table]")
    row = browser.find_element(By.CSS_SELECTOR, f"tr[data-webhook='{seeded.webhook_id}']")
    assert "http://127.0.0.1:9/hooks/deploy" in row.text
    assert "registered_model.deleted" in row.text
    shoot(browser, "webhooks-list")

    row.find_element(By.CSS_SELECTOR, "[data-testid=webhook-link]").click()
    wait_for(browser, "[data-testid=deliveries-table]")
    browser.find_element(By.CSS_SELECTOR, "[data-testid=ping]").click()
    wait(browser).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=deliveries-table] tr[data-delivery]")
    )
    assert "Test ping queued" in browser.find_element(By.CSS_SELECTOR, ".note-success").text
    shoot(browser, "webhook-deliveries")
