"""The Graph tab in headless Chromium against a real `enrich serve`: over the samples
(every label readable, an edge's evidence in two clicks, the document at its page), the
interactions (thresholds, legend, looks, communities, expand in place, pin by drag,
shortest path, hide, the entity list from the keyboard, exports, the view state in the
URL), and a generated graph of 2,000 entities and 20,000 links (loaded in one request,
laid out, still answering pans, zooms and clicks; its timings are printed and saved
next to the screenshots). Needs Debian's Chromium, like tests/server/test_browser.py
(whose helpers it uses). Screenshots go to $ENRICH_SCREENSHOTS or a temporary folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.parse
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from enrich.testing.graph_stores import graph_store

from .test_browser import TIMEOUT_MS, Watch, browser, serving, shoot, shots  # noqa: F401

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
OPEN = {"ENRICH_API_KEY": None, "ENRICH_API_KEYS_FILE": None}


@pytest.fixture(scope="module")
def samples_server(tmp_path_factory):
    """`enrich serve` over the samples, indexed as `make demo` does."""
    data = tmp_path_factory.mktemp("samples-data")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "NO_COLOR": "1", "OMP_THREAD_LIMIT": "1"}
    run = subprocess.run([sys.executable, "-m", "enrich", "index", str(ROOT / "samples" / "corpus"),
                          "--data", str(data), "--workers", "1"],
                         capture_output=True, text=True, timeout=600, env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    with serving(data, OPEN, tmp_path_factory.mktemp("samples-server") / "serve.log") as base:
        yield base


@pytest.fixture(scope="module")
def big_server(tmp_path_factory):
    """`enrich serve` over a generated graph of 2,000 entities and 20,000 links."""
    data = graph_store(tmp_path_factory.mktemp("big-graph"))
    with serving(data, OPEN, tmp_path_factory.mktemp("big-server") / "serve.log") as base:
        yield base


def open_page(browser, base):  # noqa: F811
    context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.watch = Watch(page)
    return context, page


@pytest.fixture
def page(browser, samples_server):  # noqa: F811
    context, page = open_page(browser, samples_server)
    yield page
    context.close()
    assert not page.watch.dialogs, f"dialogs fired: {page.watch.dialogs}"
    assert not page.watch.unexpected(), f"console errors: {page.watch.unexpected()}"


def show_graph(page, hash_: str = "view=graph"):
    page.goto("/#" + hash_)
    page.wait_for_function("() => document.querySelector('#graph')?.dataset.nodes && window.enrichGraph")
    page.wait_for_timeout(200)  # the declutter after the fit's viewport event


def js(page, expression: str, arg=None):
    """Evaluate `expression` (a function of `cy` and `arg`) against the page's Cytoscape."""
    return page.evaluate(f"([arg]) => {{ const cy = window.enrichGraph.cy; return ({expression}); }}", [arg])


def click_node(page, key: str):
    x, y = js(page, "(() => { const p = cy.getElementById(arg).renderedPosition(); "
                    "const r = cy.container().getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; })()", key)
    page.mouse.click(x, y)


def label_boxes_overlap(page) -> list:
    """Pairs of visible nodes whose drawn labels overlap (Cytoscape's own label boxes)."""
    return js(page, """(() => {
      const boxes = cy.nodes(':visible').filter((n) => !n.hasClass('nolabel')).map((n) => [n.data('name'),
        n.boundingBox({ includeNodes: false, includeEdges: false, includeLabels: true })]);
      const out = [];
      for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
        const [a, p] = boxes[i]; const [b, q] = boxes[j];
        if (p.x1 < q.x2 - 1 && q.x1 < p.x2 - 1 && p.y1 < q.y2 - 1 && q.y1 < p.y2 - 1) out.push([a, b]);
      }
      return out; })()""")


def test_the_samples_graph_reads_without_hovering_and_gives_evidence_in_two_clicks(page, shots):  # noqa: F811
    show_graph(page)
    n = int(page.locator("#graph").get_attribute("data-nodes"))
    assert n >= 20
    # every label is drawn, none overlaps another, and the font is at least 9 px on screen
    assert js(page, "cy.nodes('.nolabel').map((n) => n.data('name'))") == []
    assert label_boxes_overlap(page) == []
    assert js(page, "cy.zoom()") * 12 >= 9
    # distinct colours for the place types, and a legend entry per type
    colours = js(page, "Object.fromEntries(cy.nodes().map((n) => [n.data('type'), n.data('color')]))")
    assert len(set(colours.values())) == len(colours), colours
    assert page.locator("#graph-legend button.type").count() == len(colours)
    shoot(page, shots, "graph-1-samples")
    # click 1: the most mentioned person; click 2: its first neighbour -> the evidence
    person = js(page, "cy.nodes('[type = \"PERSON\"]').sort((a, b) => b.data('mentions') - a.data('mentions'))[0].id()")
    click_node(page, person)
    panel = page.locator("#graph-panel")
    first = panel.locator(".neighbors details").first
    first.locator("summary").click()
    link = first.locator(".evidence li a[data-page]").first
    link.wait_for()
    names = [js(page, "cy.getElementById(arg).data('name')", person), first.locator("summary").inner_text()]
    snippets = first.locator(".evidence blockquote").all_inner_texts()
    assert any(names[0].split()[-1].lower() in s.lower() for s in snippets), (names, snippets)
    shoot(page, shots, "graph-2-node-card")
    # the card's other names and aliases never repeat its name (nor a form of it split by a line break)
    title = " ".join(panel.locator("h3").inner_text().split()).lower()
    listed = [v.strip().lower() for dd in panel.locator("dl.card dd").all_inner_texts() for v in dd.split(",")]
    assert title not in listed, listed
    assert "g.sel=" in page.url
    # the evidence opens the document at its page
    page_number = link.get_attribute("data-page")
    link.click()
    page.wait_for_function("p => location.hash.includes('doc=') && location.hash.includes('page=' + p)", arg=page_number)
    page.locator("#doc").wait_for()


def test_thresholds_legend_looks_and_more_change_the_view_and_the_url(page, shots):  # noqa: F811
    show_graph(page)
    edges = lambda: js(page, "cy.edges(':visible').length")  # noqa: E731
    before = edges()
    page.locator("#graph-tools input[name=count]").fill("3")
    page.locator("#graph-tools input[name=count]").dispatch_event("change")
    assert 0 < edges() < before
    assert js(page, "cy.edges(':visible').every((e) => e.data('count') >= 3)")
    assert "g.count=3" in page.url
    # the legend hides a type, and shows it again
    kind = page.locator("#graph-legend button.type").first.get_attribute("data-type")
    page.locator(f"#graph-legend button.type[data-type='{kind}']").click()
    assert js(page, "cy.nodes(':visible').filter((n) => n.data('type') === arg).length", kind) == 0
    assert "g.hide=" in page.url
    hidden_hash = page.evaluate("location.hash")
    page.locator(f"#graph-legend button.type[data-type='{kind}']").click()
    assert js(page, "cy.nodes(':visible').filter((n) => n.data('type') === arg).length", kind) > 0
    assert page.evaluate("document.activeElement.dataset.type") == kind  # the keyboard stays there
    # a link followed in this tab (or back and forward) shows its state without a reload
    shown_hash = page.evaluate("location.hash")
    page.evaluate("h => { location.hash = h; }", hidden_hash)
    page.wait_for_function("t => !window.enrichGraph.cy.nodes(':visible').some((n) => n.data('type') === t)", arg=kind)
    page.evaluate("h => { location.hash = h; }", shown_hash)
    page.wait_for_function("t => window.enrichGraph.cy.nodes(':visible').some((n) => n.data('type') === t)", arg=kind)
    # size by degree instead of mentions
    sizes = js(page, "cy.nodes().map((n) => n.data('size'))")
    page.locator("#graph-tools select[name=size]").select_option("degree")
    assert js(page, "cy.nodes().map((n) => n.data('size'))") != sizes
    # colour by community: the server's communities, a legend of them
    page.locator("#graph-tools select[name=color]").select_option("community")
    page.wait_for_function("() => window.enrichGraph.cy.nodes().every((n) => Number.isInteger(n.data('community')))")
    page.locator("#graph-legend .communities li").first.wait_for()
    assert js(page, "new Set(cy.nodes().map((n) => n.data('color'))).size") >= 2
    shoot(page, shots, "graph-3-communities")
    # zoom in and pan away, then Fit brings every visible node back into the frame
    inside = ("(() => { const e = cy.extent(); return cy.nodes(':visible').every((n) => { const p = n.position(); "
              "return p.x >= e.x1 && p.x <= e.x2 && p.y >= e.y1 && p.y <= e.y2; }); })()")
    js(page, "cy.zoom(cy.zoom() * 4) && cy.panBy({ x: 900, y: 700 })")
    assert not js(page, inside)
    page.locator("#graph-tools button.fit").click()
    assert js(page, inside)
    # show more entities (a larger bounded request)
    shown = int(page.locator("#graph").get_attribute("data-nodes"))
    page.locator("#graph-tools button.more").click()
    page.wait_for_function("n => +document.querySelector('#graph').dataset.nodes > n", arg=shown)
    assert "g.limit=" in page.url


def test_expand_pin_path_hide_and_the_entity_list(page, shots):  # noqa: F811
    show_graph(page)
    # the entity list gives keyboard access to every node
    page.locator("#graph-list summary").click()
    button = page.locator("#graph-list button[data-key]").first
    key = button.get_attribute("data-key")
    button.focus()
    page.keyboard.press("Enter")
    page.locator("#graph-panel h3").wait_for()
    assert js(page, "cy.getElementById(arg).selected()", key)
    # expand in place: nodes already there do not move, new ones join
    old = js(page, "Object.fromEntries(cy.nodes().map((n) => [n.id(), n.position()]))")
    page.locator("#graph-panel button.expand").click()
    page.locator("#graph-panel button.expand[disabled]").wait_for()
    moved = js(page, "Object.entries(arg).filter(([k, p]) => { const q = cy.getElementById(k).position(); "
                     "return Math.hypot(q.x - p.x, q.y - p.y) > 1; }).map(([k]) => k)", old)
    assert moved == []
    assert "g.exp=" in page.url
    # drag a node: it is pinned where it was dropped
    other = js(page, "cy.nodes().filter((n) => n.id() !== arg)[0].id()", key)
    x, y = js(page, "(() => { const p = cy.getElementById(arg).renderedPosition(); "
                    "const r = cy.container().getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; })()", other)
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 40, y + 30, steps=5)
    page.mouse.up()
    assert js(page, "cy.getElementById(arg).hasClass('pinned')", other)
    assert "g.pin=" in page.url
    # shortest path from the selected node to a name typed
    click_node(page, key)
    page.locator("#graph-panel button.path").click()
    target = js(page, "cy.getElementById(arg).component().nodes().filter((n) => n.id() !== arg)"
                      ".sort((a, b) => a.data('degree') - b.data('degree'))[0].data('name')", key)
    page.locator("#graph-panel form.path-to input").fill(target)
    page.locator("#graph-panel form.path-to button").click()
    page.locator("#graph-panel ol.hops li").first.wait_for()
    assert js(page, "cy.nodes('.path').length") >= 2
    assert js(page, "cy.edges('.path').length") == js(page, "cy.nodes('.path').length") - 1
    assert "g.from=" in page.url and "g.to=" in page.url
    shoot(page, shots, "graph-4-path")
    # the link reproduces the view: same entities, pins, path
    url = page.url
    state = js(page, "[cy.nodes().map((n) => n.id()).sort(), cy.nodes('.path').map((n) => n.id()).sort(), cy.nodes('.pinned').map((n) => [n.id(), Math.round(n.position('x')), Math.round(n.position('y'))])]")
    second = page.context.new_page()
    second.watch = Watch(second)
    second.goto(url)
    second.wait_for_function("() => window.enrichGraph && window.enrichGraph.cy.nodes('.path').length >= 2")
    again = second.evaluate("() => { const cy = window.enrichGraph.cy; return [cy.nodes().map((n) => n.id()).sort(), cy.nodes('.path').map((n) => n.id()).sort(), cy.nodes('.pinned').map((n) => [n.id(), Math.round(n.position('x')), Math.round(n.position('y'))])]; }")
    assert again == state
    assert not second.watch.unexpected(), second.watch.unexpected()
    # hide a node: gone, and remembered
    page.keyboard.press("Escape")
    click_node(page, other)
    page.locator("#graph-panel button.hide").click()
    assert js(page, "cy.getElementById(arg).empty()", other)
    assert "g.drop=" in page.url
    page.locator("#graph-tools button.unhide").click()  # and back
    page.wait_for_function("k => window.enrichGraph.cy.getElementById(k).nonempty()", arg=other)
    assert "g.drop=" not in page.url


def test_the_graph_exports_as_png_svg_gexf_and_json(page, tmp_path):
    show_graph(page)
    visible = js(page, "[cy.nodes(':visible').length, cy.edges(':visible').length]")
    saved = {}
    for fmt in ("png", "svg", "gexf", "json"):
        with page.expect_download() as download:
            page.locator(f"#graph-tools button[data-format={fmt}]").click()
        path = tmp_path / download.value.suggested_filename
        download.value.save_as(path)
        assert path.suffix == f".{fmt}"
        saved[fmt] = path
    assert saved["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = ET.parse(saved["svg"]).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    assert len(svg.findall(f".//{ns}circle")) == visible[0]
    assert len(svg.findall(f".//{ns}line")) == visible[1]
    gexf = ET.parse(saved["gexf"]).getroot()
    g = "{http://gexf.net/1.3}"
    nodes = gexf.findall(f".//{g}node")
    assert len(nodes) == visible[0] and len(gexf.findall(f".//{g}edge")) == visible[1]
    assert all(node.get("label") for node in nodes)
    data = json.loads(saved["json"].read_text())
    assert len(data["nodes"]) == visible[0] and len(data["edges"]) == visible[1]
    assert {"id", "name", "type", "x", "y"} <= set(data["nodes"][0])


def test_a_graph_of_2000_entities_and_20000_links_stays_interactive(browser, big_server, shots):  # noqa: F811
    context, page = open_page(browser, big_server)
    try:
        show_graph(page, "view=graph&g.limit=2000&g.npmi=-1")
        nodes, edges = js(page, "[cy.nodes().length, cy.edges().length]")
        assert nodes == 2000 and edges >= 19_000
        frames = page.evaluate("""async () => {
          const cy = window.enrichGraph.cy; const times = []; let last = performance.now();
          for (let i = 0; i < 20; i++) {
            cy.zoom({ level: cy.zoom() * (i % 2 ? 1.15 : 0.9), renderedPosition: { x: 300, y: 300 } });
            cy.panBy({ x: 9, y: -6 });
            await new Promise((r) => requestAnimationFrame(() => r()));
            const now = performance.now(); times.push(now - last); last = now;
          }
          return times.sort((a, b) => a - b); }""")
        timings = {**page.evaluate("() => window.enrichGraph.timings"),
                   "frame_median_ms": frames[len(frames) // 2], "frame_p90_ms": frames[int(len(frames) * 0.9)]}
        (shots / "graph-2000-timings.json").write_text(json.dumps(timings, indent=1))
        print("2,000 nodes / 20,000 links:", timings)
        # still answers a click with the node's card
        key = js(page, "cy.nodes().sort((a, b) => b.data('size') - a.data('size'))[0].id()")
        page.evaluate("k => window.enrichGraph.cy.animate({ center: { eles: window.enrichGraph.cy.getElementById(k) }, zoom: 2, duration: 0 })", key)
        page.wait_for_timeout(100)
        click_node(page, key)
        page.locator("#graph-panel .neighbors details").first.wait_for()
        shoot(page, shots, "graph-5-2000-nodes")
        assert not page.watch.unexpected(), page.watch.unexpected()
    finally:
        context.close()


def test_a_search_draws_the_entities_of_its_matches(page):
    show_graph(page)
    rare = js(page, "cy.nodes('[type = \"PERSON\"]').sort((a, b) => a.data('documents') - b.data('documents')"
                    " || (a.id() < b.id() ? -1 : 1))[0].data()")
    show_graph(page, "q=" + urllib.parse.quote(f'"{rare["name"]}"') + "&view=graph")
    page.wait_for_function("() => document.querySelector('#graph-info').textContent.includes('matching document')")
    nodes = js(page, "cy.nodes().map((n) => n.data())")
    assert rare["id"] in {n["id"] for n in nodes}
    matches = int(page.locator("#graph-info").inner_text().split(" in ")[1].split()[0].replace(",", ""))
    assert 1 <= matches <= rare["documents"]
    assert all(1 <= n["hits"] <= matches for n in nodes)
    assert all(e["hits"] >= 1 for e in js(page, "cy.edges().map((e) => e.data())"))
