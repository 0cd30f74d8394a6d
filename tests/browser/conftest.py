"""Headless Chromium (Debian's `chromium` + `chromium-driver`) driven by selenium, and a real
`podium server` with auth on, seeded over its HTTP API, for the browser tests.

`make test` installs Chromium when it is missing. Without it these tests skip outside CI and fail
in CI (CI=true), like the PostgreSQL tests. Screenshots go to tests/artifacts/screenshots/.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from registry.db import migrate
from registry.db.engine import create_database
from registry.db.uow import UnitOfWork
from registry.domain.identity import SYSTEM, Role
from registry.services import tokens
from tests.fixtures.databases import IN_CI
from tests.fixtures.servers import PodiumProcess

SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
# What works on these machines: without the background-networking flags Chromium's own connections
# (component updates, sync) are refused on the closed network and page loads stall behind them.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1366,900",
)
WAIT_SECONDS = 20
SOURCE = "mlflow-artifacts:/1/models/m-{:032x}/artifacts"


def chromium_binaries() -> tuple[str, str]:
    """Paths of chromium and chromedriver; skips (or fails in CI) when they are not installed."""
    browser = shutil.which("chromium")
    driver = shutil.which("chromedriver")
    if browser and driver:
        return browser, driver
    problem = "Chromium is not installed (make test installs Debian's chromium and chromium-driver)"
    if IN_CI:
        pytest.fail(f"{problem}; CI requires the browser tests.")
    pytest.skip(problem)


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    """A fresh headless Chromium (its own profile, so no cookie outlives a test)."""
    binary, driver_path = chromium_binaries()
    profile = tempfile.mkdtemp(prefix="podium-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def shoot(driver: WebDriver, name: str) -> Path:
    """Save a screenshot of the whole page (the window grows to the page's height for it)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    width, height = driver.get_window_size()["width"], driver.get_window_size()["height"]
    driver.execute_script("window.scrollTo(0, 0)")
    full = int(driver.execute_script("return document.documentElement.scrollHeight"))
    driver.set_window_size(width, max(height, min(full + 120, 4000)))
    driver.save_screenshot(str(path))
    driver.set_window_size(width, height)
    return path


def wait(driver: WebDriver) -> WebDriverWait[WebDriver]:
    # A form post reloads the page: an element found just before the reload goes stale, which
    # means "not there yet", not a failure.
    return WebDriverWait(driver, WAIT_SECONDS, ignored_exceptions=(StaleElementReferenceException,))


def wait_for(driver: WebDriver, css: str) -> None:
    wait(driver).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css)))


@dataclass
class UiServer:
    """A running `podium server` with auth on, and a token per role."""

    process: PodiumProcess
    secrets: dict[Role, str] = field(default_factory=dict)

    def uow(self) -> UnitOfWork:
        """A unit of work on the server's own database, for what no API offers yet (digests)."""
        return UnitOfWork(create_database(self.process.database_url), SYSTEM)

    @property
    def url(self) -> str:
        return self.process.url

    def api(self, method: str, path: str, role: Role = Role.ADMIN, **kw: object) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.secrets[role]}"}
        r = requests.request(method, f"{self.url}/api/v1{path}", headers=headers, timeout=30, **kw)  # type: ignore[arg-type]
        assert r.status_code < 400, f"{method} {path}: {r.status_code} {r.text}"
        return r

    def register(self, name: str, versions: int, **model: object) -> None:
        self.api("POST", "/models", json={"name": name, **model})
        for n in range(versions):
            self.api(
                "POST",
                f"/models/{name}/versions",
                json={"source": SOURCE.format(n + 1), "run_id": f"{n + 1:032x}", "tags": {"seed": str(n)}},
            )

    def sign_in(self, driver: WebDriver, role: Role, path: str = "/models") -> None:
        driver.get(f"{self.url}/signin?next={path}")
        driver.find_element(By.ID, "token").send_keys(self.secrets[role])
        driver.find_element(By.CSS_SELECTOR, "[data-testid=sign-in]").click()
        wait(driver).until(lambda d: "/signin" not in d.current_url)


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiServer]:
    """A server with auth on (2 workers, no PODIUM_SECRET_KEY: the workers share the key the
    server made before forking) and one token per role."""
    home = tmp_path_factory.mktemp("ui-server")
    url = f"sqlite:///{home / 'podium.db'}"
    database = create_database(url)
    migrate.upgrade(database)
    made = {
        role: tokens.create_token(UnitOfWork(database, SYSTEM), f"{role.value}-user", role)[1]
        for role in (Role.READER, Role.CONTRIBUTOR, Role.REVIEWER, Role.ADMIN)
    }
    database.dispose()
    process = PodiumProcess(
        home=home, database_url=url, artifacts_uri=str(home / "artifacts"), env={"PODIUM_AUTH": "on"}
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("PODIUM_SECRET_KEY", raising=False)
        process.start()
    try:
        yield UiServer(process, made)
    finally:
        process.stop()
