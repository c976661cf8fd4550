"""The GraphiQL explorer in a real browser: Debian's headless Chromium, driven by selenium, runs a
query through the page served by the local server (its assets too: the machine has no internet)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service as ChromeService
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import ADMIN, Api

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WAIT_SECONDS = 20
# Offline and quiet: no GPU, no QUIC, no first-run, update, sync or background requests.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
]
# GraphiQL 3 edits with CodeMirror 5, whose instance hangs on its element.
SET_EDITOR = "arguments[0].CodeMirror.setValue(arguments[1]);"
RESULT = "const e = document.querySelector('.result-window .CodeMirror'); return e ? e.CodeMirror.getValue() : '';"

pytestmark = pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()), reason="needs Debian's chromium and chromium-driver"
)


@pytest.fixture
def url(cities_url: str) -> str:
    return cities_url


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "SEVERE"})  # the page's errors, for failures
    # An explicit driver path: selenium-manager never runs, so nothing is downloaded.
    driver = webdriver.Chrome(service=ChromeService(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.mark.slow
def test_graphiql_runs_a_query_in_a_browser(cities: Api, url: str, browser: webdriver.Chrome, tmp_path: Path) -> None:
    cities.data('mutation { createCity(input: {data: {name: "Shoreline City"}}) { data { id } } }')
    browser.get(url)
    try:
        result = _run_query(browser, "{ cities { name } }", json.dumps(ADMIN), "Shoreline City")
    except TimeoutException:
        errors = [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
        pytest.fail(f"GraphiQL showed no result within {WAIT_SECONDS} s; the page's errors: {errors}")
    finally:
        browser.save_screenshot(str(tmp_path / "graphiql.png"))
    assert json.loads(result) == {"data": {"cities": [{"name": "Shoreline City"}]}}


def _run_query(browser: webdriver.Chrome, query: str, headers: str, expected: str) -> str:
    """Types the query and the headers into GraphiQL, runs it, and waits for `expected` in the result."""
    wait = WebDriverWait(browser, WAIT_SECONDS)
    query_editor = wait.until(lambda b: b.find_element(By.CSS_SELECTOR, ".graphiql-query-editor .CodeMirror"))
    browser.execute_script(SET_EDITOR, query_editor, query)
    headers_tab = next(b for b in browser.find_elements(By.CSS_SELECTOR, "button") if b.text.strip() == "Headers")
    headers_tab.click()
    headers_editor = wait.until(
        lambda b: b.find_element(By.CSS_SELECTOR, ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror")
    )
    browser.execute_script(SET_EDITOR, headers_editor, headers)
    browser.find_element(By.CSS_SELECTOR, ".graphiql-execute-button").click()
    wait.until(lambda b: expected in (b.execute_script(RESULT) or ""))
    return str(browser.execute_script(RESULT))
