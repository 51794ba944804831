"""The Review view of the web page, driven in headless Chromium against a real
`enrich serve` with a keys file (a write key and a read key): keys decide, the store
changes, the item leaves the queue, undo brings it back, and a read key cannot write.

Needs Debian's Chromium, like tests/server/test_browser.py (whose helpers it uses).
"""

from __future__ import annotations

import urllib.parse

import pytest

from enrich.testing.review_corpus import review_store

from .test_browser import TIMEOUT_MS, Watch, browser, serving, shoot, shots  # noqa: F401

pytestmark = pytest.mark.slow

WRITE_KEY = "review-write-key-0123456789"
READ_KEY = "review-read-key-0123456789"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`enrich serve` over an invented corpus, with a keys file; its base URL."""
    root = tmp_path_factory.mktemp("review-browser")
    review_store(root / "data", documents=30, index=True)
    keys = root / "keys"
    keys.write_text(f"alice write {WRITE_KEY}\nkiosk read {READ_KEY}\n")
    keys.chmod(0o600)
    with serving(root / "data", {"ENRICH_API_KEYS_FILE": str(keys), "ENRICH_API_KEY": None},
                 root / "serve.log") as base:
        yield base


def _page(browser, server, key):
    """A page signed in with ``key`` (its session cookie), failing on console errors."""
    context = browser.new_context(base_url=server, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    assert context.request.post(server + "/api/login", data={"key": key}).status == 204
    page = context.new_page()
    page.watch = Watch(page)
    return context, page


def _api(page, path):
    answer = page.request.get(path)
    assert answer.ok, answer.text()
    return answer.json()


def _selected(page) -> str:
    return page.locator("#review-list .review-item[aria-selected=true]").get_attribute("data-key")


def _gone(page, key: str):
    page.locator(f"#review-list .review-item[data-key='{key}']").wait_for(state="detached")


def test_keys_decide_and_the_store_and_queue_follow(browser, server, shots):
    context, page = _page(browser, server, WRITE_KEY)
    try:
        page.goto("/#view=review")
        items = page.locator("#review-list .review-item")
        items.first.wait_for()
        assert "corrections by alice" in page.locator("#review").inner_text()
        shoot(page, shots, "review-1-queue")
        assert page.locator("#review-list .review-item blockquote mark").count() >= 1
        # a: accept the first item
        first = _selected(page)
        page.keyboard.press("a")
        _gone(page, first)
        rows = _api(page, "/api/corrections")["corrections"]
        assert [(r["op"], r["entity"], r["who"]) for r in rows] == [("accept", first, "alice")]
        # j moves; t asks the type in a small form; Enter makes it
        second = _selected(page)
        page.keyboard.press("j")
        third = _selected(page)
        assert third != second
        page.keyboard.press("t")
        form = page.locator("#review-list .ask-form[data-op=retype] input")
        form.wait_for()
        form.fill("event")
        form.press("Enter")
        _gone(page, third)
        retyped = "EVENT:" + third.split(":", 1)[1]
        assert _api(page, "/api/graph/entity?name=" + urllib.parse.quote(retyped))["type"] \
            == "EVENT"
        # m: the merge form holds the suggestion; Escape cancels, Enter makes it
        merge = page.locator("#review-list .review-item", has_text="Suggested: merge").first
        key = merge.get_attribute("data-key")
        merge.locator(".review-title strong").click()
        assert _selected(page) == key
        page.keyboard.press("m")
        target = page.locator("#review-list .ask-form[data-op=merge] input")
        target.wait_for()
        suggested = target.input_value()
        assert suggested and suggested != key
        target.press("Escape")
        target.wait_for(state="detached")
        page.keyboard.press("m")
        target.wait_for()
        target.press("Enter")
        _gone(page, key)
        # the merged key finds the entity its mentions count under now
        assert _api(page, "/api/graph/entity?name=" + urllib.parse.quote(key))["key"] == suggested
        shoot(page, shots, "review-2-decided")
        # u: undo the merge; the entity and its item are back
        page.keyboard.press("u")
        page.locator(f"#review-list .review-item[data-key='{key}']").wait_for()
        assert _api(page, "/api/graph/entity?name=" + urllib.parse.quote(key))["key"] == key
        rows = _api(page, "/api/corrections")["corrections"]
        assert [(r["op"], r["undone_at"] is None) for r in rows] == [
            ("accept", True), ("retype", True), ("merge", False)]
        assert not page.watch.dialogs and not page.watch.unexpected(), page.watch.errors
    finally:
        context.close()


def test_a_read_key_sees_the_queue_but_cannot_decide(browser, server, shots):
    context, page = _page(browser, server, READ_KEY)
    try:
        page.goto("/#view=review")
        page.locator("#review-list .review-item").first.wait_for()
        notice = page.locator("#review-readonly")
        assert "kiosk" in notice.inner_text() and "write role" in notice.inner_text()
        buttons = page.locator("#review-list .review-item .actions button")
        assert buttons.count() >= 5 and all(b.is_disabled() for b in buttons.all())
        before = _api(page, "/api/corrections")["corrections"]
        page.keyboard.press("a")
        page.locator("#review-said", has_text="may only read").wait_for()
        assert _api(page, "/api/corrections")["corrections"] == before
        shoot(page, shots, "review-3-read-only")
        assert not page.watch.dialogs and not page.watch.unexpected(), page.watch.errors
    finally:
        context.close()
