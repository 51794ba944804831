// The web page of `enrich serve`: plain JavaScript modules, no build step; one
// vendored library (Cytoscape.js with the fcose layout, static/vendor/) draws the graph. This entry module wires the page together and renders the URL state:
//
//   router.js    the state in the URL hash      api.js       the API client
//   search.js    search box and autocomplete    results.js   hits, count, paging
//   facets.js    facets and filter chips        document.js  the document viewer
//   graph.js     the graph view (graph-view.js its canvas, graph-style.js its looks,
//                graph-controls.js its toolbar, graph-card.js its side panel,
//                graph-export.js PNG/SVG/GEXF/JSON)
//   status.js    runs and statistics            signin.js    the API key form
//   review.js    the review queue and its decisions (corrections)
//   dom.js, format.js, errorbar.js              shared helpers and widgets
//
// Safety rule: nothing from the API is ever parsed as HTML (see dom.js).

import { onUnauthorized } from "./api.js";
import * as docs from "./document.js";
import { $, $$ } from "./dom.js";
import { hideError } from "./errorbar.js";
import { renderActiveFilters } from "./facets.js";
import * as graph from "./graph.js";
import * as results from "./results.js";
import * as review from "./review.js";
import { go, listen, refresh, state } from "./router.js";
import * as search from "./search.js";
import * as signin from "./signin.js";
import { loadStatus } from "./status.js";

/** Render the state: the view, its data, and the document dialog. */
function route(now, previous) {
  hideError(); // each navigation starts clean; its own failures show again
  if (now.skip !== previous.skip) window.scrollTo(0, 0);
  $("#q").value = now.q;
  search.showMode(now.mode);
  showView(now.view);
  renderActiveFilters();
  if (now.view === "results" || now.view === "graph") results.loadResults();
  if (now.view === "graph") graph.loadGraph();
  if (now.view === "status") loadStatus();
  if (now.view === "review") review.loadReview();
  if (now.doc) docs.openDoc(now.doc, now.page);
  else docs.closeDocPanel();
}

function showView(view) {
  for (const tab of $$("#tabs [data-view]")) {
    const on = tab.dataset.view === view;
    tab.setAttribute("aria-selected", String(on));
    tab.classList.toggle("active", on);
  }
  $("#results-view").hidden = view !== "results";
  $("#graph-view").hidden = view !== "graph";
  $("#status").hidden = view !== "status";
  $("#review").hidden = view !== "review";
  $("#facets").hidden = view === "status" || view === "review";
  document.body.dataset.view = view;
}

/** Forget what the views show, so each loads again when next shown. */
function forgetViews() {
  results.forget();
  graph.forget();
  docs.forget();
}

/** After signing in: load everything again. */
function reload() {
  forgetViews();
  refresh();
}

/** "/" focuses the search box; Escape closes the innermost thing open. */
function onGlobalKey(event) {
  const target = event.target;
  const typing = target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement
    || target instanceof HTMLSelectElement || target?.isContentEditable;
  if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
    event.preventDefault();
    $("#q").focus();
    $("#q").select();
  } else if (event.key === "Escape") {
    if (signin.signingIn()) return;
    if (search.suggesting()) search.closeSuggest();
    else if (docs.docOpen()) docs.closeDoc();
    else if (state.view === "graph" && graph.unselectNode()) return;
    else if (!$("#error").hidden) hideError();
    else if (typing && target === $("#q")) target.blur();
  }
}

function wireTabs() {
  for (const tab of $$("#tabs [data-view]")) tab.addEventListener("click", () => go({ view: tab.dataset.view }));
  $("#tabs").addEventListener("keydown", (event) => {
    if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
    const tabs = $$("#tabs [data-view]");
    const i = tabs.indexOf(document.activeElement);
    if (i < 0) return;
    tabs[(i + (event.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length].focus();
  });
}

async function main() {
  onUnauthorized(() => signin.showLogin());
  search.init();
  results.init();
  docs.init();
  review.init(forgetViews); // a correction changes what the other views show
  signin.init(reload);
  wireTabs();
  $("#error .close").addEventListener("click", hideError);
  $("a.brand").addEventListener("click", (event) => {
    event.preventDefault();
    $("#q").value = "";
    go({ q: "", filters: [], skip: 0, sort: "relevance", view: "results", similar: null, doc: null });
  });
  document.addEventListener("keydown", onGlobalKey);
  listen(route);
  showView(state.view);
  graph.hidePanel();
  if (await signin.checkAuth()) refresh();
  document.body.dataset.ready = "true";
}

main();
