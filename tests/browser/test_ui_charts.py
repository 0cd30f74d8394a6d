"""charts.js draws each kind of chart phase 2 needs (scatter, parallel coordinates, lines) with the
vendored ECharts, offline, and reports what it cannot draw instead of failing silently."""

from __future__ import annotations

from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.browser.conftest import shoot, wait_for

PAGE = Path(__file__).parent / "pages" / "charts.html"


def test_charts_module_draws_every_kind(browser: WebDriver) -> None:
    browser.get(PAGE.as_uri())
    for chart in ("scatter", "parallel", "lines"):
        wait_for(browser, f"#{chart}[data-chart-ready=true] canvas")
        assert browser.find_elements(By.CSS_SELECTOR, f"#{chart} .chart-error") == []
    drawn = browser.execute_script(
        "return ['scatter', 'parallel', 'lines'].map(function (id) {"
        "  var chart = echarts.getInstanceByDom(document.getElementById(id));"
        "  return chart.getOption().series.map(function (s) { return s.type + ':' + s.data.length; });"
        "});"
    )
    assert drawn == [["scatter:3", "scatter:3"], ["parallel:4"], ["line:4", "line:5"]]

    wait_for(browser, "#empty[data-chart-ready=true] .chart-empty")
    error = browser.find_element(By.ID, "unknown").get_attribute("data-chart-error")
    assert error == "unknown chart kind pie"
    shoot(browser, "charts-module")
