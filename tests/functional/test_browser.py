"""Real browsers: Debian's headless Chromium, driven by selenium, runs a query, a subscription and
a sign-up in the GraphiQL explorer served by the local server (its assets too: the machine has no
internet), and a page on another origin drives Gadget's own client against the server as `make run`
serves it."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service as ChromeService
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import ADMIN, ROOT, Api
from tests.functional.local_process import KEY, serving

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WAIT_SECONDS = 20
JS = ROOT / "tests" / "js"
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


def _run_query(browser: webdriver.Chrome, query: str, headers: str | None, expected: str) -> str:
    """Types the query (and the headers, unless None) into GraphiQL, runs it, and waits for
    `expected` in the result."""
    wait = WebDriverWait(browser, WAIT_SECONDS)
    query_editor = wait.until(lambda b: b.find_element(By.CSS_SELECTOR, ".graphiql-query-editor .CodeMirror"))
    browser.execute_script(SET_EDITOR, query_editor, query)
    if headers is not None:
        browser.execute_script(SET_EDITOR, _headers_editor(browser), headers)
    browser.find_element(By.CSS_SELECTOR, ".graphiql-execute-button").click()
    wait.until(lambda b: expected in (b.execute_script(RESULT) or ""))
    return str(browser.execute_script(RESULT))


def _headers_editor(browser: webdriver.Chrome) -> WebElement:
    """The Headers pane's editor, its tab opened."""
    headers_tab = next(b for b in browser.find_elements(By.CSS_SELECTOR, "button") if b.text.strip() == "Headers")
    headers_tab.click()
    return WebDriverWait(browser, WAIT_SECONDS).until(
        lambda b: b.find_element(By.CSS_SELECTOR, ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror")
    )


def _page_errors(browser: webdriver.Chrome) -> list[str]:
    return [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


@pytest.mark.slow
def test_graphiql_runs_a_subscription_and_shows_another_clients_write(browser: webdriver.Chrome) -> None:
    """GraphiQL subscribes over graphql-transport-ws (as `make run` serves it); a mutation from
    another client, over HTTP, appears in its result pane."""
    with serving("examples/cities.graphql") as api:
        browser.get(f"{api}/graphql")
        wait = WebDriverWait(browser, WAIT_SECONDS)
        query_editor = wait.until(lambda b: b.find_element(By.CSS_SELECTOR, ".graphiql-query-editor .CodeMirror"))
        browser.execute_script(SET_EDITOR, query_editor, "subscription { city { mutation node { name } } }")
        browser.execute_script(SET_EDITOR, _headers_editor(browser), json.dumps({"Authorization": f"Bearer {KEY}"}))
        browser.find_element(By.CSS_SELECTOR, ".graphiql-execute-button").click()
        # A change committed before the subscription began is not delivered, and the page cannot
        # say when it began: write until a write shows.
        for attempt in range(WAIT_SECONDS):
            _post(
                api, f'mutation {{ createCity(input: {{data: {{name: "Live {attempt}"}}}}) {{ data {{ id }} }} }}', KEY
            )
            try:
                WebDriverWait(browser, 1).until(lambda b: "Live " in (b.execute_script(RESULT) or ""))
                break
            except TimeoutException:
                continue
        else:
            pytest.fail(f"no event reached GraphiQL; the page's errors: {_page_errors(browser)}")
        event = json.loads(str(browser.execute_script(RESULT)))
        assert event["data"]["city"]["mutation"] == "CREATED"
        assert event["data"]["city"]["node"]["name"].startswith("Live ")


@pytest.mark.slow
def test_graphiql_keeps_the_session_token_so_a_sign_up_signs_the_explorer_in(browser: webdriver.Chrome) -> None:
    """The explorer puts the token of `x-set-authorization` into its Headers pane: after signUp,
    its next query runs as the signed-up user, without a header typed."""
    with serving() as api:
        browser.get(f"{api}/graphql")
        signed_up = _run_query(
            browser,
            'mutation { signUp(email: "explorer@example.com", password: "long enough") { success session { id } } }',
            "{}",
            "success",
        )
        session_id = json.loads(signed_up)["data"]["signUp"]["session"]["id"]
        headers = json.loads(
            str(browser.execute_script("return arguments[0].CodeMirror.getValue();", _headers_editor(browser)))
        )
        assert headers["Authorization"].startswith("Session ")
        result = _run_query(browser, "{ currentSession { id user { email } } }", None, "explorer@example.com")
        assert json.loads(result)["data"]["currentSession"] == {
            "id": session_id,
            "user": {"email": "explorer@example.com"},
        }
        # The pane's token is the session's, seen from outside the browser.
        answer = _post(api, "{ currentSession { id } }", authorization=headers["Authorization"])
        assert answer["data"]["currentSession"]["id"] == session_id


def _post(api: str, query: str, key: str | None = None, authorization: str | None = None) -> Any:
    credential = authorization or f"Bearer {key}"
    request = urllib.request.Request(
        f"{api}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json", "Authorization": credential},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("node") is None or not (JS / "node_modules" / "@gadgetinc" / "api-client-core").exists(),
    reason="needs node and `npm ci` in tests/js (make test runs it)",
)
def test_gadgets_client_on_another_origin_follows_the_session_token(browser: webdriver.Chrome, tmp_path: Path) -> None:
    """A page on another origin uses Gadget's real client (bundled from npm) against the server as
    `make run` serves it: CORS lets its headers through, and it keeps the token each answer sets."""
    site = tmp_path / "site"
    site.mkdir()
    subprocess.run(["node", "build-page.mjs", str(site / "bundle.js")], cwd=JS, check=True, timeout=120)
    (site / "index.html").write_text('<!doctype html><title>app</title><script src="bundle.js"></script>\n')
    with serving() as api, _static(site) as page:
        assert page.split(":")[-1] != api.split(":")[-1]  # another port: another origin
        browser.get(f"{page}/index.html")
        browser.set_script_timeout(WAIT_SECONDS * 3)
        outcome = browser.execute_async_script(SCENARIO, f"{api}/graphql", "gadget@example.com", "long enough")
        assert "error" not in outcome, (outcome, browser.get_log("browser"))
        steps = {step["name"]: step for step in outcome["steps"]}
        session_id = steps["currentSession"]["data"]["currentSession"]["id"]
        assert steps["currentSession"]["data"]["currentSession"]["state"] == {"created": "loggedOut"}
        assert steps["signUp"]["data"]["signUp"]["success"] is True
        assert steps["query"]["data"]["currentSession"] == {
            "id": session_id,
            # urql (under Gadget's client) adds __typename to every selection, for its cache.
            "user": {"email": "gadget@example.com", "__typename": "User"},
            "__typename": "Session",
        }
        assert steps["query"]["data"]["users"] == [{"email": "gadget@example.com", "__typename": "User"}]
        assert steps["logOut"]["data"]["logOut"]["success"] is True
        assert steps["afterLogOut"]["data"]["currentSession"]["user"] is None
        # The token rotated at sign-up and at log-out, and the client followed each time.
        tokens = [steps[name]["token"] for name in ("currentSession", "signUp", "query", "logOut", "afterLogOut")]
        assert tokens[0]
        assert tokens[0] != tokens[1] == tokens[2] != tokens[3] == tokens[4]
        # The token the page holds at the end is the session's, seen from outside the browser.
        request = urllib.request.Request(
            f"{api}/graphql",
            data=json.dumps({"query": "{ currentSession { id } }"}).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Session {tokens[-1]}"},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            assert json.loads(answer.read())["data"]["currentSession"]["id"] == session_id


SCENARIO = """
const done = arguments[arguments.length - 1];
window.runScenario(arguments[0], arguments[1], arguments[2]).then(
  (steps) => done({steps}), (error) => done({error: String(error)}));
"""


@contextmanager
def _static(folder: Path) -> Iterator[str]:
    """`folder` served over HTTP on a port of its own: the page's origin."""
    handler = partial(QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass
