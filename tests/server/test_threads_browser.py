"""The mail thread in the web page's document view, in headless Chromium against a real
`enrich serve` over the conversation of :mod:`enrich.testing.mail_threads` (indexed with
the correspondents skill). Needs Debian's Chromium, like tests/server/test_browser.py
(whose helpers it uses).
"""

from __future__ import annotations

import pytest

from enrich.testing.mail_threads import indexed_conversation

from .test_browser import TIMEOUT_MS, Watch, browser, serving, shoot, shots  # noqa: F401

pytestmark = pytest.mark.slow

@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return indexed_conversation(tmp_path_factory.mktemp("threads-browser"))


@pytest.fixture(scope="module")
def server(corpus, tmp_path_factory):
    log = tmp_path_factory.mktemp("server") / "serve.log"
    with serving(corpus[0], {"ENRICH_API_KEY": None, "ENRICH_API_KEYS_FILE": None}, log) as base:
        yield base


@pytest.fixture
def page(browser, server):  # noqa: F811
    context = browser.new_context(base_url=server, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.watch = Watch(page)
    yield page
    context.close()
    assert not page.watch.dialogs, f"dialogs fired: {page.watch.dialogs}"
    assert not page.watch.unexpected(), f"console errors: {page.watch.unexpected()}"


def thread_items(page):
    page.wait_for_selector("#doc .thread .thread-message")
    return page.locator("#doc .thread .thread-message")


def test_a_message_shows_its_thread_and_links_to_the_others(page, corpus, shots):  # noqa: F811
    ids = corpus[1]
    page.goto(f"/#doc={ids['followup.eml']}")
    items = thread_items(page)
    assert items.count() == 3
    assert [items.nth(i).get_attribute("data-depth") for i in range(3)] == ["0", "1", "2"]
    assert page.locator("#doc .thread h3").inner_text() == "Thread (3 messages)"
    current = page.locator("#doc .thread [aria-current]")
    assert current.count() == 1 and current.inner_text() == "Re: Plan"
    assert items.nth(2).locator("[aria-current]").count() == 1  # the followup, deepest
    # the people of the headers are chips, as any other entity
    assert "Ann Lee" in page.locator("#doc .doc-field[data-field='people']").inner_text()
    shoot(page, shots, "thread-1-followup")
    items.nth(0).locator("a").click()  # to the first message
    page.wait_for_function("id => location.hash.includes('doc=' + id)", arg=ids["plan.eml"])
    page.wait_for_selector("#doc .thread [aria-current]")
    assert page.locator("#doc-title").inner_text() == "Plan"
    assert page.locator("#doc .thread [aria-current]").inner_text() == "Plan"


def test_a_reply_to_a_missing_message_says_so(page, corpus):
    page.goto(f"/#doc={corpus[1]['orphan.eml']}")
    items = thread_items(page)
    assert items.count() == 2
    assert items.nth(0).locator(".badge").inner_text() == "reply to a missing message"


def test_a_document_that_is_no_message_has_no_thread(page, corpus):
    page.goto(f"/#doc={corpus[1]['box.mbox']}")
    page.wait_for_selector("#doc-title")
    page.wait_for_selector("#doc .facts")
    assert page.locator("#doc .thread").count() == 0
