"""Search modes, best passages and "more like this" in the web page, driven in headless
Chromium against a real `enrich serve` over a small corpus indexed with chunk vectors
(the `chunks` and `embeddings` skills, the default MiniLM model, offline).

The corpus is invented: a two-page PDF whose second page is about a sleeping kitten,
and three short text files (a sea voyage, baking bread, a dozing cat). The page's mode
switch (in the URL), the header naming the mode that answered, the passage of a vector
hit with its page link into the document viewer, "more like this" (in the URL), and
the error bar for a mode the API refuses are checked. Needs Debian's Chromium, like
tests/server/test_browser.py (whose helpers it uses). One test needs no browser: the
API's `no_vectors` answers on an index without vectors (the shared API corpus).
"""

from __future__ import annotations

import urllib.parse

import pytest

from enrich.indexer import IndexOptions, run_index
from enrich.testing import factories
from tests.server.conftest import error_of

from .test_browser import TIMEOUT_MS, Watch, browser, serving, shoot, shots  # noqa: F401

pytestmark = pytest.mark.slow

ORCHARD_PAGES = [
    "Vendry counted the crates in the storehouse at dawn. The ledger listed every barrel.",
    ("The kitten curled up on the warm windowsill and purred softly. Small felines love "
     "sleeping in sunny spots."),
]
TEXTS = {  # a title line, then the text
    "voyage.txt": "Voyage Log\n\nThe old freighter crossed the stormy ocean. Sailors lashed "
                  "the cargo against the waves while the captain watched for harbour lights.",
    "bakery.txt": "Bakery Steps\n\nKnead the dough until it is smooth and elastic. Let it "
                  "rise in a bowl, then bake the loaf until the crust turns golden brown.",
    "tabby.txt": "Tabby Diary\n\nA young cat napped beside the stove with its tail around "
                 "its paws. The tabby dozed through the whole afternoon.",
}
# shares no word with any document (keyword mode finds nothing) but means the kitten page
MEANING = "drowsy housecat"
SKILLSET = {"name": "vectors-browser",
            "skills": [{"skill": "merge"}, {"skill": "join"}, {"skill": "chunks"},
                       {"skill": "embeddings", "params": {"device": "cpu"}}],
            "entities": []}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """The invented corpus, indexed with chunk vectors; (data folder, title -> id)."""
    root = tmp_path_factory.mktemp("vectors-browser")
    docs = root / "docs"
    docs.mkdir()
    factories.text_pdf(docs / "orchard.pdf", ORCHARD_PAGES, title="Orchard Ledger")
    for name, text in TEXTS.items():
        (docs / name).write_text(text + "\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")  # the model comes installed, never downloaded
        summary = run_index(str(docs), IndexOptions(data_dir=root / "data", skillset=SKILLSET,
                                                    workers=0))
    assert summary.documents["indexed"] == 4 and not summary.errors, summary.errors
    return root / "data"


@pytest.fixture(scope="module")
def server(corpus, tmp_path_factory):
    log = tmp_path_factory.mktemp("server") / "serve.log"
    with serving(corpus, {"ENRICH_API_KEY": None, "ENRICH_API_KEYS_FILE": None}, log) as base:
        yield base


@pytest.fixture
def page(browser, server):  # noqa: F811
    """A page that fails its test on console errors, page errors and dialogs; it records
    the search requests it sends (page.searches: their query parameters)."""
    context = browser.new_context(base_url=server, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.watch = Watch(page)
    page.searches = []

    def seen(request):
        url = urllib.parse.urlsplit(request.url)
        if url.path == "/api/search" or url.path.endswith("/similar"):
            page.searches.append((url.path, urllib.parse.parse_qs(url.query)))

    page.on("request", seen)
    yield page
    context.close()
    assert not page.watch.dialogs, f"dialogs fired: {page.watch.dialogs}"
    assert not page.watch.unexpected(), f"console errors: {page.watch.unexpected()}"


def settled(page):
    page.wait_for_function("() => document.querySelector('#count')?.dataset.count !== undefined "
                           "&& !document.querySelector('#results[aria-busy]')")


def used_mode(page) -> str:
    settled(page)
    badge = page.locator("#mode-used")
    return badge.get_attribute("data-mode") if badge.is_visible() else ""


def titles(page) -> list[str]:
    settled(page)
    return page.locator("#results .result h3").all_inner_texts()


def search(page, text: str):
    page.locator("#q").fill(text)
    page.locator("#q").press("Enter")


def test_the_mode_switch_changes_the_request_the_url_and_the_header(page, shots):  # noqa: F811
    page.goto("/#q=crates")
    assert used_mode(page) == "hybrid"  # auto: the index holds vectors and the query has words
    assert "Hybrid" in page.locator("#mode-used").inner_text()
    assert "mode" not in page.searches[-1][1]
    page.locator("#mode").select_option("keyword")
    page.wait_for_function("() => location.hash.includes('mode=keyword')")
    assert used_mode(page) == "keyword"
    assert page.searches[-1][1]["mode"] == ["keyword"] and page.searches[-1][1]["q"] == ["crates"]
    assert titles(page) == ["Orchard Ledger"]
    # keyword mode still highlights the words
    marks = page.locator("#results .result .hl mark")
    assert marks.count() >= 1 and {m.lower() for m in marks.all_inner_texts()} == {"crates"}
    assert page.locator("#results .passage").count() == 0  # no chunk in keyword results
    page.locator("#mode").select_option("vector")
    page.wait_for_function("() => location.hash.includes('mode=vector')")
    assert used_mode(page) == "vector"
    assert page.locator("#mode-used").inner_text() == "Meaning (vector)"
    assert page.searches[-1][1]["mode"] == ["vector"]
    # a reload keeps the mode, in the switch and in the request
    page.reload()
    assert used_mode(page) == "vector"
    assert page.locator("#mode").input_value() == "vector"
    assert page.searches[-1][1]["mode"] == ["vector"]
    shoot(page, shots, "modes-1-vector")


def test_meaning_finds_a_document_without_its_words_and_links_its_page(page, shots):  # noqa: F811
    page.goto("/#mode=keyword")
    search(page, MEANING)
    page.wait_for_function("() => location.hash.includes('q=')")
    assert titles(page) == []  # not one word of the query is in the corpus
    page.locator("#mode").select_option("vector")
    page.wait_for_function("() => location.hash.includes('mode=vector')")
    assert used_mode(page) == "vector"
    assert "Orchard Ledger" in titles(page)
    orchard = page.locator("#results .result", has_text="Orchard Ledger")
    passage = orchard.locator(".passage")
    assert "kitten curled up on the warm windowsill" in passage.inner_text()
    assert passage.locator("mark, b, script").count() == 0  # plain text
    link = passage.locator("a.page-link")
    assert link.inner_text() == "p. 2"
    assert "page=2" in link.get_attribute("href") and "doc=" in link.get_attribute("href")
    assert len(passage.locator(".text").inner_text()) <= 301
    shoot(page, shots, "modes-2-passage")
    link.click()
    page.locator("#doc").wait_for(state="visible")
    assert "page=2" in page.url
    target = page.locator("#doc .page.target")
    target.wait_for()
    assert target.get_attribute("data-page") == "2"
    assert page.locator("#doc-title").inner_text() == "Orchard Ledger"
    assert "kitten curled up" in target.inner_text()
    # Escape closes the document and forgets its page; the hits stay
    page.keyboard.press("Escape")
    page.locator("#doc").wait_for(state="hidden")
    assert "page=" not in page.url and "doc=" not in page.url
    assert used_mode(page) == "vector"


def test_more_like_this_lists_other_documents_and_survives_a_reload(page, shots):  # noqa: F811
    page.goto("/#q=cat&mode=keyword")
    tabby = page.locator("#results .result", has_text="Tabby Diary")
    tabby.wait_for()
    tabby_id = tabby.get_attribute("data-id")
    tabby.locator("a.more-like").click()
    page.wait_for_function("() => location.hash.includes('similar=')")
    head = page.locator("#similar-head")
    head.wait_for()
    assert head.locator("h2").inner_text() == "Documents like Tabby Diary"
    listed = titles(page)
    assert listed and "Tabby Diary" not in listed
    assert set(listed) <= {"Orchard Ledger", "Voyage Log", "Bakery Steps"}
    ids = page.locator("#results .result").evaluate_all("els => els.map(e => e.dataset.id)")
    assert tabby_id not in ids
    path, params = page.searches[-1]
    assert path == f"/api/documents/{tabby_id}/similar" and "q" not in params
    assert page.locator("#sort").is_disabled()
    shoot(page, shots, "modes-3-similar")
    # a reload shows the same list, and the title again (from the document itself)
    page.reload()
    page.locator("#similar-head h2", has_text="Documents like Tabby Diary").wait_for()
    assert titles(page) == listed
    # the way back: the search as it was
    head.locator("button.back").click()
    page.wait_for_function("() => !location.hash.includes('similar=')")
    head.wait_for(state="hidden")
    assert "Tabby Diary" in titles(page) and used_mode(page) == "keyword"
    assert not page.locator("#sort").is_disabled()
    # a new search leaves "more like this" too
    page.locator(".result", has_text="Tabby Diary").locator("a.more-like").click()
    head.wait_for()
    search(page, "dough")
    head.wait_for(state="hidden")
    assert titles(page) == ["Bakery Steps"]


def test_a_mode_the_api_refuses_shows_its_message_in_the_error_bar(page):
    page.watch.allow(400)
    page.goto("/#q=dough&mode=vector&sort=uri")  # a sort has no meaning for vectors
    bar = page.locator("#error")
    bar.wait_for(state="visible")
    assert "mode" in bar.inner_text().lower()
    assert page.locator("#count").inner_text() == "Search failed"
    assert page.locator("#mode-used").is_hidden()
    bar.locator(".close").click()
    page.goto("/#q=dough&mode=vector")
    assert used_mode(page) == "vector"


def test_a_vector_mode_on_an_index_without_vectors_shows_the_api_message(
        browser, indexed, tmp_path):  # noqa: F811
    """The shared API corpus has no chunk vectors: Meaning mode is refused (no_vectors),
    in the error bar; keyword mode still answers."""
    with serving(indexed.data, {"ENRICH_API_KEY": None, "ENRICH_API_KEYS_FILE": None},
                 tmp_path / "serve.log") as base:
        context = browser.new_context(base_url=base)
        context.set_default_timeout(TIMEOUT_MS)
        try:
            page = context.new_page()
            watch = Watch(page)
            watch.allow(400)
            message = error_of_api(page, "/api/search?q=Quilmar&mode=vector")
            page.goto("/#q=Quilmar&mode=vector")
            bar = page.locator("#error")
            bar.wait_for(state="visible")
            assert bar.locator(".msg").inner_text() == message
            assert page.locator("#count").inner_text() == "Search failed"
            page.locator("#mode").select_option("keyword")
            bar.wait_for(state="hidden")
            assert used_mode(page) == "keyword" and titles(page)
            assert page.locator("a.more-like").count() == 0  # no vectors, no such link
            assert not watch.dialogs and not watch.unexpected(), watch.unexpected()
        finally:
            context.close()


def error_of_api(page, path: str) -> str:
    """The message of the API's no_vectors refusal of ``path``."""
    answer = page.request.get(path)
    assert answer.status == 400, answer.text()
    error = answer.json()["error"]
    assert error["code"] == "no_vectors", error
    return error["message"]


def test_no_vectors_answers_of_an_index_without_vectors(client, indexed):
    """The shared API corpus has no chunk vectors: a vector mode is refused (400) and
    "more like this" of any document is a 404, both `no_vectors`."""
    doc_id = indexed.ids["visit.pdf"]
    answer = client.get(f"/api/documents/{doc_id}/similar")
    assert answer.status_code == 404 and error_of(answer)["code"] == "no_vectors"
    for mode in ("vector", "hybrid"):
        answer = client.get("/api/search", params={"q": "Quilmar", "mode": mode})
        assert answer.status_code == 400 and error_of(answer)["code"] == "no_vectors", mode
    answer = client.get("/api/search", params={"q": "Quilmar"})  # auto: the words alone
    assert answer.status_code == 200 and answer.json()["mode"] == "keyword"
    assert answer.json()["vectors"] is False  # the page offers no "more like this" then
