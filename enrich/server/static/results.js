// The results view: one page of search hits (highlights, thumbnails, entity chips),
// the count, sorting, paging, and the facets of the same answer.

import { api } from "./api.js";
import { $, h, qs, safeUrl } from "./dom.js";
import { report } from "./errorbar.js";
import { FACETS, filterChip, renderFacets } from "./facets.js";
import { fileName, fmt, highlightNodes, prettyUri } from "./format.js";
import { go, hashOf, state } from "./router.js";

const PAGE_SIZE = 10;
const results = { key: null, seq: 0, controller: null };

/** Sorting and paging change the URL state. */
export function init() {
  $("#sort").addEventListener("change", () => go({ sort: $("#sort").value, skip: 0 }));
  $("#pager .prev").addEventListener("click", () => go({ skip: Math.max(0, state.skip - PAGE_SIZE) }));
  $("#pager .next").addEventListener("click", () => go({ skip: state.skip + PAGE_SIZE }));
}

/** Forget the last answer, so the next load asks again (after signing in). */
export function forget() {
  results.key = null;
}

/** Search for the state's query, filters, page and sort, unless that is already shown
 * (or `force`); a newer search supersedes (aborts) an older one. */
export async function loadResults(force = false) {
  const key = JSON.stringify([state.q, state.filters, state.skip, state.sort]);
  if (!force && key === results.key) return;
  results.key = key;
  const seq = ++results.seq;
  results.controller?.abort();
  results.controller = new AbortController();
  const params = {
    q: state.q.trim() || "*", filter: state.filters, facet: FACETS.map(([f]) => f),
    facet_size: 10, top: PAGE_SIZE, skip: state.skip, sort: state.sort,
  };
  $("#results").setAttribute("aria-busy", "true");
  document.body.classList.add("loading");
  try {
    const data = await api("/api/search?" + qs(params), { signal: results.controller.signal });
    if (seq !== results.seq) return;
    renderResults(data);
    renderFacets(data.facets || {});
  } catch (exc) {
    if (seq !== results.seq) return;
    results.key = null;
    if (exc.name !== "AbortError") {
      renderResults({ count: 0, results: [], failed: true });
      renderFacets({});
    }
    report(exc);
  } finally {
    if (seq === results.seq) {
      $("#results").removeAttribute("aria-busy");
      document.body.classList.remove("loading");
    }
  }
}

function renderResults(data) {
  const list = $("#results");
  const count = Number(data.count) || 0;
  const hits = data.results || [];
  const from = hits.length ? state.skip + 1 : 0;
  const to = state.skip + hits.length;
  const counter = $("#count");
  counter.dataset.count = String(count);
  counter.textContent = data.failed ? "Search failed" : count === 0
    ? "No documents match" : `${fmt(from)}–${fmt(to)} of ${fmt(count)} document${count === 1 ? "" : "s"}`;
  $("#tab-count").textContent = data.failed ? "" : `(${fmt(count)})`;
  $("#sort").value = state.sort;
  list.replaceChildren(...hits.map(resultItem));
  if (!hits.length && !data.failed) {
    list.append(h("li", { class: "empty muted" }, state.skip && count
      ? "No results on this page." : "Nothing found. Try fewer words, a prefix* or fewer filters."));
  }
  const pager = $("#pager");
  pager.hidden = count <= PAGE_SIZE && state.skip === 0;
  $(".range", pager).textContent = counter.textContent;
  $(".prev", pager).disabled = state.skip <= 0;
  $(".next", pager).disabled = to >= count || state.skip + PAGE_SIZE > 10000;
}

function resultItem(hit) {
  const title = hit.title || fileName(hit.uri) || hit.id;
  const open = (event) => {
    if (event.button === 0 && !event.ctrlKey && !event.metaKey && !event.shiftKey) {
      event.preventDefault();
      go({ doc: hit.id });
    }
  };
  const thumb = safeUrl(hit.thumbnail);
  const chips = [];
  for (const field of ["people", "organizations", "locations", "tags"]) {
    for (const value of (hit[field] || []).slice(0, 4)) chips.push(filterChip(field, value));
  }
  return h("li", { class: "result", "data-id": hit.id },
    thumb && h("img", { class: "thumb", src: thumb, alt: "", loading: "lazy", width: 96, height: 96, decoding: "async" }),
    h("div", { class: "body" },
      h("h3", null, h("a", { class: "title", href: hashOf({ ...state, doc: hit.id }), onclick: open }, title)),
      h("div", { class: "meta" },
        h("span", { class: "uri", title: prettyUri(hit.uri) }, prettyUri(hit.uri)),
        hit.file_type && h("span", { class: "badge" }, hit.file_type),
        (hit.language || []).length ? h("span", { class: "badge" }, hit.language.join(", ")) : null,
        state.sort === "relevance" && !["", "*"].includes(state.q.trim()) && typeof hit.score === "number" && h("span", { class: "score", title: "relevance score" }, hit.score.toFixed(2))),
      (hit.highlights || []).map((hl) => h("p", { class: "hl" }, highlightNodes(hl))),
      chips.length ? h("div", { class: "chips" }, chips) : null));
}
