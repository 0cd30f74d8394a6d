"""Signing in with a token and out again, in Chromium against a server with auth on."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from registry.domain.identity import Role
from tests.browser.conftest import UiServer, shoot, wait, wait_for


def test_sign_in_with_a_token_and_sign_out(browser: WebDriver, ui_server: UiServer) -> None:
    ui_server.api("POST", "/models", json={"name": "signin-demo"})

    # A page asked for without a session leads to the sign-in form, and back after signing in.
    browser.get(f"{ui_server.url}/models/signin-demo")
    wait(browser).until(lambda d: "/signin" in d.current_url)
    assert browser.current_url.endswith("/signin?next=/models/signin-demo")
    shoot(browser, "signin")

    browser.find_element(By.ID, "token").send_keys("pdm_not-a-real-token")
    browser.find_element(By.CSS_SELECTOR, "[data-testid=sign-in]").click()
    wait_for(browser, "[data-testid=error]")
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=error]").text == "Invalid token."
    shoot(browser, "signin-refused")

    browser.find_element(By.ID, "token").send_keys(ui_server.secrets[Role.REVIEWER])
    browser.find_element(By.CSS_SELECTOR, "[data-testid=sign-in]").click()
    wait(browser).until(lambda d: d.current_url.endswith("/models/signin-demo"))
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=who]").text == "reviewer-user"
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=role]").text.lower() == "reviewer"

    # The cookie holds no token and cannot be read by scripts.
    cookie = browser.get_cookie("podium_session")
    assert cookie is not None
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert ui_server.secrets[Role.REVIEWER] not in cookie["value"]
    assert browser.execute_script("return document.cookie") == ""

    # Several pages in a row: the server's two workers accept each other's sessions.
    for _ in range(6):
        browser.get(f"{ui_server.url}/models")
        assert browser.find_element(By.CSS_SELECTOR, "[data-testid=who]").text == "reviewer-user"

    browser.find_element(By.CSS_SELECTOR, "[data-testid=sign-out]").click()
    wait(browser).until(lambda d: "/signin" in d.current_url)
    assert "signed out" in browser.find_element(By.CSS_SELECTOR, ".note-success").text
    browser.get(f"{ui_server.url}/models")
    wait(browser).until(lambda d: "/signin" in d.current_url)


def test_revoking_the_token_ends_its_sessions(browser: WebDriver, ui_server: UiServer) -> None:
    made = ui_server.api("POST", "/tokens", json={"name": "short-lived", "role": "reader"}).json()
    browser.get(f"{ui_server.url}/signin")
    browser.find_element(By.ID, "token").send_keys(made["secret"])
    browser.find_element(By.CSS_SELECTOR, "[data-testid=sign-in]").click()
    wait(browser).until(lambda d: "/signin" not in d.current_url)
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=who]").text == "short-lived"

    ui_server.api("DELETE", "/tokens/short-lived")
    browser.get(f"{ui_server.url}/models")
    wait(browser).until(lambda d: "/signin" in d.current_url)
    assert "revoked" in browser.find_element(By.CSS_SELECTOR, ".note-error").text
