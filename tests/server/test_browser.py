"""The web page of `enrich serve`, driven in headless Chromium against a real server.

A small corpus is indexed once, the server is started once (with an API key, so the
sign-in form is exercised too), and each test opens a fresh page: every module and
style sheet loading with its type, search with highlights, autocomplete, facets, paging state in the URL, the document view
(the graph view is in test_graph_browser.py), the status view, the error bar, and escaping of hostile text. Every test
fails on a JavaScript error, an unexpected console error or an `alert` dialog.

Needs Debian's Chromium (/usr/bin/chromium); skipped without it unless
ENRICH_REQUIRE_BROWSER=1 (CI), where a missing browser fails. Screenshots go to
$ENRICH_SCREENSHOTS, or else a temporary folder.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from enrich.server.app import STATIC
from enrich.testing import factories

pytestmark = pytest.mark.slow

ENRICH = [sys.executable, "-m", "enrich"]
KEY = "browser-test-key-0123456789"
HOSTILE = "Warning <script>alert(1)</script> and <img src=x onerror=alert(2)> about Nike in Boston."
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 30_000  # generous: CI machines are shared


def _chromium() -> str | None:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def _missing(reason: str):
    if os.environ.get("ENRICH_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (ENRICH_REQUIRE_BROWSER=1)")
    pytest.skip(reason)


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """A corpus of two PDFs (one with a picture), a hostile text file and a CSV, indexed."""
    folder = tmp_path_factory.mktemp("corpus")
    factories.text_pdf(folder / "game.pdf", [
        "LeBron James signed a new contract with Nike in Los Angeles. The Lakers celebrated the Nike deal.",
        "Later LeBron James met Michael Jordan in Chicago to talk about Nike shoes.",
    ], image=True, title="Game Notes")
    factories.text_pdf(folder / "bulls.pdf", [
        "Michael Jordan and Scottie Pippen played for the Chicago Bulls. Nike sponsored the Bulls in Chicago.",
    ], title="Bulls History")
    (folder / "hostile.txt").write_text(HOSTILE + " Larry Bird read it.\n")
    factories.csv_file(folder / "players.csv", [["name", "team", "city"],
                                                ["Larry Bird", "Celtics", "Boston"],
                                                ["Magic Johnson", "Lakers", "Los Angeles"]])
    data = tmp_path_factory.mktemp("data")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "NO_COLOR": "1"}
    # without vectors: these tests are of keyword search (counts, highlights);
    # test_search_modes_browser.py covers the vector modes
    skillset = factories.default_skillset_without(
        tmp_path_factory.mktemp("skillset") / "words.yaml", ("chunks", "embeddings", "clip"))
    run = subprocess.run(ENRICH + ["index", str(folder), "--data", str(data), "--workers", "1",
                                   "--skillset", str(skillset)],
                         capture_output=True, text=True, timeout=300, env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    return data


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(data_dir, tmp_path_factory):
    """`enrich serve` on a free loopback port, with an API key; its base URL."""
    log = tmp_path_factory.mktemp("server") / "serve.log"
    with serving(data_dir, {"ENRICH_API_KEY": KEY}, log) as base:
        yield base


@contextmanager
def serving(data_dir: Path, env: dict[str, str], log_path: Path, args: tuple[str, ...] = ()):
    """`enrich serve --data DATA_DIR [ARGS]` on a free loopback port with ``env`` added to
    the environment (a value of None removes the variable); its base URL, once healthy."""
    port = _free_port()
    log = log_path.open("w+")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "NO_COLOR": "1", **env}
    env = {k: v for k, v in env.items() if v is not None}
    process = subprocess.Popen(ENRICH + ["serve", "--data", str(data_dir), "--host", "127.0.0.1",
                                         "--port", str(port), *args],
                               stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/api/health", timeout=2) as answer:
                    if json.load(answer)["status"] == "ok":
                        break
            except (OSError, urllib.error.URLError, ValueError):
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"enrich serve did not start (exit {process.poll()}):\n{log.read()}")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    if executable is None:
        _missing("no Chromium at /usr/bin/chromium or on PATH (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is not installed")
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    """Where screenshots go: $ENRICH_SCREENSHOTS or a temporary folder."""
    folder = os.environ.get("ENRICH_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


class Watch:
    """Console errors, uncaught exceptions and dialogs of one page."""

    def __init__(self, page):
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.allowed: list[str] = []
        page.on("console", lambda msg: msg.type == "error" and self.errors.append(msg.text))
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))
        page.on("dialog", self._dialog)

    def _dialog(self, dialog):
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def allow(self, status: int):
        """Expect failed requests with this HTTP status (Chromium logs them as errors)."""
        self.allowed.append(f"status of {status}")

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(a in e for a in self.allowed)]


@pytest.fixture
def context(browser, server):
    ctx = browser.new_context(base_url=server, viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(TIMEOUT_MS)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context, server):
    """A signed-in page (the session cookie comes from /api/login) that fails its test
    on console errors, page errors and dialogs."""
    answer = context.request.post(server + "/api/login", data={"key": KEY})
    assert answer.status == 204, answer.text()
    page = context.new_page()
    watch = Watch(page)
    page.watch = watch
    yield page
    assert not watch.dialogs, f"dialogs fired: {watch.dialogs}"
    assert not watch.unexpected(), f"console errors: {watch.unexpected()}"


def shoot(page, shots, name):
    path = shots / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.exists() and path.stat().st_size > 1000, path
    return path


def count_of(page) -> int:
    return int(page.locator("#count").get_attribute("data-count"))


def wait_count(page, n: int):
    page.wait_for_function(
        "n => document.querySelector('#count')?.dataset.count === String(n) "
        "&& !document.querySelector('#results[aria-busy]')", arg=n)


def search(page, text: str):
    page.locator("#q").fill(text)
    page.locator("#q").press("Enter")


# ------------------------------------------------------------------ tests


def test_the_page_loads_every_module_and_sheet_with_the_right_type(page):
    """Every JavaScript module and style sheet of the page arrives (as JavaScript, as
    CSS) and the entry module runs to its end; a module that fails to load or link is a
    console error, which fails the test (the `page` fixture)."""
    loaded: dict[str, tuple[int, str]] = {}

    def seen(response):
        path = urllib.parse.urlsplit(response.url).path
        if path.startswith("/static/"):
            loaded[path.removeprefix("/static/")] = (response.status, response.headers.get("content-type", ""))

    page.on("response", seen)
    page.goto("/")
    page.locator("body[data-ready=true]").wait_for(state="attached")
    page.locator("#results .result").first.wait_for()
    expected = {p.relative_to(STATIC).as_posix() for p in STATIC.rglob("*") if p.suffix in (".js", ".css")}
    assert expected and set(loaded) == expected, sorted(set(loaded) ^ expected)
    for name, (status, kind) in loaded.items():
        assert status in (200, 304), (name, status)
        assert kind.startswith("text/javascript" if name.endswith(".js") else "text/css"), (name, kind)


def test_sign_in_asks_for_the_key_and_rejects_a_wrong_one(context, server, shots):
    page = context.new_page()
    watch = Watch(page)
    watch.allow(401)  # the wrong key's answer
    page.goto("/")
    login = page.locator("#login")
    login.wait_for(state="visible")
    assert page.evaluate("document.activeElement.id") == "key"
    page.locator("#key").fill("not-the-key")
    page.locator("#key").press("Enter")
    page.locator("#login .msg").filter(has_text="wrong API key").wait_for()
    assert login.is_visible()
    shoot(page, shots, "0-login")
    page.locator("#key").fill(KEY)
    page.locator("#login button[type=submit]").click()
    login.wait_for(state="hidden")
    page.locator("#results .result").first.wait_for()
    assert count_of(page) >= 4  # the empty query lists every document
    assert page.locator("#logout").is_visible()
    # A reload keeps the session (an HttpOnly cookie).
    page.reload()
    page.locator("#results .result").first.wait_for()
    assert page.locator("#login").is_hidden()
    # Signing out forgets the cookie: the form is back, and the API says 401 again.
    page.locator("#logout").click()
    login.wait_for(state="visible")
    assert page.request.get("/api/search?q=nike").status == 401
    assert not watch.dialogs and not watch.unexpected(), (watch.dialogs, watch.unexpected())


def test_search_shows_highlights_thumbnails_facets_and_keeps_state_in_the_url(page, shots):
    page.goto("/")
    page.locator("#results .result").first.wait_for()
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("nike")
    page.keyboard.press("Enter")
    wait_count(page, 3)
    assert "q=nike" in page.url
    assert re.search(r"1\D+3 of 3", page.locator("#count").inner_text())
    marks = page.locator("#results .result .hl mark")
    assert marks.count() >= 3
    assert {m.lower() for m in marks.all_inner_texts()} == {"nike"}
    game = page.locator("#results .result", has_text="Game Notes")
    thumb = game.locator("img.thumb")
    thumb.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
    assert game.locator(".chip", has_text="LeBron James").count() == 1
    shoot(page, shots, "1-results")

    # A facet checkbox filters; the filter lives in the URL (reload, back).
    pdf = page.locator(".facet[data-field=file_type] input[type=checkbox][value=pdf]")
    pdf.check()
    wait_count(page, 2)
    assert "filter=file_type%3Apdf" in page.url
    assert page.locator("#active-filters .filter-chip").inner_text().startswith("File type")
    people = page.locator(".facet[data-field=people] input[type=checkbox]")
    assert people.count() >= 2
    page.reload()
    wait_count(page, 2)
    assert page.locator(".facet[data-field=file_type] input[value=pdf]").is_checked()
    page.go_back()
    wait_count(page, 3)
    assert not page.locator(".facet[data-field=file_type] input[value=pdf]").is_checked()

    # Sorting by name, descending and ascending.
    page.locator("#sort").select_option("-uri")
    page.wait_for_function("() => location.hash.includes('sort=-uri')")
    wait_count(page, 3)
    page.wait_for_function("() => !document.querySelector('#results .score')")
    names = [u.rsplit("/", 1)[-1] for u in page.locator("#results .result .uri").all_inner_texts()]
    assert names == sorted(names, reverse=True), names
    # A result's entity chip adds its filter.
    page.locator("#results .chip", has_text="Scottie Pippen").first.click()
    wait_count(page, 1)
    assert "Scottie Pippen" in page.locator("#active-filters").inner_text()


def test_autocomplete_adds_an_entity_filter_from_the_keyboard(page, shots):
    page.goto("/")
    page.locator("#results .result").first.wait_for()
    everything = count_of(page)
    page.locator("#q").click()
    page.keyboard.type("lebr", delay=40)
    option = page.locator("#suggest li.suggestion").first
    option.wait_for()
    assert "LeBron James" in option.inner_text()
    shoot(page, shots, "2-autocomplete")
    page.keyboard.press("ArrowDown")
    assert option.get_attribute("aria-selected") == "true"
    page.keyboard.press("Enter")
    chip = page.locator("#active-filters .filter-chip[data-filter='people:LeBron James']")
    chip.wait_for()
    assert page.locator("#suggest").is_hidden()
    assert page.locator("#q").input_value() == ""
    page.wait_for_function("n => +document.querySelector('#count').dataset.count < n", arg=everything)
    titles = page.locator("#results .result h3").all_inner_texts()
    assert "Game Notes" in titles and "Bulls History" not in titles
    assert page.locator(".facet[data-field=people] input[value='LeBron James']").is_checked()
    # Escape closes the list without searching.
    page.locator("#q").click()
    page.keyboard.type("mich", delay=40)
    page.locator("#suggest li.suggestion").first.wait_for()
    page.keyboard.press("Escape")
    assert page.locator("#suggest").is_hidden()
    # Removing the filter chip brings everything back.
    chip.click()
    wait_count(page, everything)


def test_hostile_text_is_rendered_as_text(page, shots):
    page.goto("/#q=onerror")
    result = page.locator("#results .result").first
    result.wait_for()
    assert "<script>alert(1)</script>" in result.locator("h3").inner_text()
    assert "<img src=x onerror=alert(2)>" in result.locator(".hl").inner_text()
    assert page.locator("#results script, #results img:not(.thumb), img[src=x]").count() == 0
    result.locator("a.title").click()
    text = page.locator("#doc .page-text")
    text.wait_for()
    assert "<script>alert(1)</script>" in text.inner_text()
    assert page.locator("#doc script, #doc img[src=x]").count() == 0
    assert page.locator("#doc .page-text mark.ent-ORG", has_text="Nike").count() == 1
    page.wait_for_timeout(300)  # an onerror handler would fire by now
    assert not page.watch.dialogs
    shoot(page, shots, "3-hostile")


def test_document_view_highlights_entities_and_shows_images(page, shots):
    page.goto("/#q=contract")
    page.locator("#results .result", has_text="Game Notes").locator("a.title").click()
    doc = page.locator("#doc")
    doc.wait_for(state="visible")
    assert page.locator("#doc-title").inner_text() == "Game Notes"
    assert "doc=" in page.url
    first = page.locator("#doc .page[data-page='1'] .page-text")
    first.wait_for()
    assert "signed a new contract with Nike" in first.inner_text()
    person = first.locator("mark.ent.ent-PERSON").first
    assert person.inner_text() == "LeBron James"
    assert person.get_attribute("title") == "PERSON: LeBron James"
    assert page.locator("#doc .page[data-page='2'] mark.ent", has_text="Michael Jordan").count() == 1
    assert page.locator("#doc a.download").get_attribute("href").endswith("/file?download=true")
    first.scroll_into_view_if_needed()
    shoot(page, shots, "4-document")
    # The embedded picture, and the page image behind its toggle.
    picture = page.locator("#doc figure.image img")
    picture.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=picture.element_handle())
    page.locator("#doc .page[data-page='1'] details.page-image-box summary").click()
    rendered = page.locator("#doc .page[data-page='1'] img.page-image")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=rendered.element_handle())
    # The original file answers.
    href = page.locator("#doc a.open-file").get_attribute("href")
    answer = page.request.get(href)
    assert answer.status == 200 and answer.body().startswith(b"%PDF")
    # Escape closes the document; back reopens it.
    page.keyboard.press("Escape")
    doc.wait_for(state="hidden")
    assert "doc=" not in page.url
    page.go_back()
    doc.wait_for(state="visible")
    page.locator("#doc .close").click()
    doc.wait_for(state="hidden")


def test_status_view_lists_runs_and_their_errors(page, shots):
    page.goto("/")
    page.locator("#results .result").first.wait_for()
    page.locator("#tabs [data-view=status]").click()
    run = page.locator("#status tr.run").first
    run.wait_for()
    assert "ok" in run.inner_text()
    assert "documents" in page.locator("#status .card").first.inner_text()
    run.locator("button").click()
    page.locator("#run-errors").wait_for()
    assert "view=status" in page.url
    shoot(page, shots, "7-status")


def test_a_bad_query_shows_the_api_message_in_a_dismissable_bar(page, shots):
    page.watch.allow(400)
    page.goto("/")
    page.locator("#results .result").first.wait_for()
    page.goto("/#q=nike&filter=content:nike")  # a query is never refused (lenient syntax)
    bar = page.locator("#error")
    bar.wait_for(state="visible")
    assert "cannot filter on 'content'" in bar.inner_text()
    assert page.locator("#count").inner_text() == "Search failed"
    shoot(page, shots, "8-error")
    bar.locator(".close").click()
    bar.wait_for(state="hidden")
    # The page still works afterwards.
    page.goto("/#q=pippen")
    wait_count(page, 1)
