// The results view: one page of search hits (highlights, the best passage of a vector
// hit, thumbnails, entity chips), the count and the mode that answered, sorting,
// paging, the facets of the same answer, and "more like this" (the documents nearest
// one document in meaning, listed the same way).

import { api } from "./api.js";
import { $, h, qs, safeUrl } from "./dom.js";
import { report } from "./errorbar.js";
import { FACETS, filterChip, renderFacets } from "./facets.js";
import { fileName, fmt, highlightNodes, prettyUri } from "./format.js";
import { go, hashOf, state } from "./router.js";

const PAGE_SIZE = 10;
const PASSAGE_CHARS = 300;
const MODE_NAMES = { keyword: "Keyword", vector: "Meaning (vector)", hybrid: "Hybrid" };
const results = { key: null, seq: 0, controller: null };
const titles = new Map(); // document id -> title, for the "Documents like" header

/** Sorting and paging change the URL state. */
export function init() {
  $("#sort").addEventListener("change", () => go({ sort: $("#sort").value, skip: 0 }));
  $("#pager .prev").addEventListener("click", () => go({ skip: Math.max(0, state.skip - PAGE_SIZE) }));
  $("#pager .next").addEventListener("click", () => go({ skip: state.skip + PAGE_SIZE }));
  $("#similar-head .back").addEventListener("click", () => go({ similar: null, skip: 0 }));
}

/** Forget the last answer, so the next load asks again (after signing in). */
export function forget() {
  results.key = null;
}

/** The request of the state: "more like this" of a document, or else a search (its
 * mode only with words: the vector modes need some, and "*" lists everything). */
function request() {
  const common = { filter: state.filters, facet: FACETS.map(([f]) => f), facet_size: 10, top: PAGE_SIZE, skip: state.skip };
  if (state.similar) return `/api/documents/${encodeURIComponent(state.similar)}/similar?` + qs(common);
  const q = state.q.trim() || "*";
  const mode = q === "*" || state.mode === "auto" ? null : state.mode;
  return "/api/search?" + qs({ q, ...common, sort: state.sort, mode });
}

/** Search for the state's query, filters, mode, page and sort (or list the documents
 * like state.similar), unless that is already shown (or `force`); a newer search
 * supersedes (aborts) an older one. */
export async function loadResults(force = false) {
  const key = JSON.stringify([state.q, state.filters, state.skip, state.sort, state.mode, state.similar]);
  if (!force && key === results.key) return;
  results.key = key;
  const seq = ++results.seq;
  results.controller?.abort();
  results.controller = new AbortController();
  const path = request();
  $("#results").setAttribute("aria-busy", "true");
  document.body.classList.add("loading");
  showSimilarHead(state.similar);
  try {
    const data = await api(path, { signal: results.controller.signal });
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
  $("#sort").disabled = !!state.similar; // nearest first, always
  const used = $("#mode-used");
  used.hidden = data.failed || !MODE_NAMES[data.mode];
  used.dataset.mode = data.mode || "";
  used.textContent = MODE_NAMES[data.mode] || "";
  used.title = data.mode === "vector" ? "found by meaning (the nearest passages)"
    : data.mode === "hybrid" ? "words and meaning, ranks fused" : "found by the words";
  for (const hit of hits) titles.set(hit.id, hit.title || fileName(hit.uri) || hit.id);
  list.replaceChildren(...hits.map((hit) => resultItem(hit, data.vectors !== false)));
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

function resultItem(hit, vectors) {
  const title = hit.title || fileName(hit.uri) || hit.id;
  const open = (event) => {
    if (event.button === 0 && !event.ctrlKey && !event.metaKey && !event.shiftKey) {
      event.preventDefault();
      go({ doc: hit.id, page: null });
    }
  };
  const like = (event) => {
    if (event.button === 0 && !event.ctrlKey && !event.metaKey && !event.shiftKey) {
      event.preventDefault();
      titles.set(hit.id, title);
      go({ similar: hit.id, skip: 0, doc: null, view: "results" });
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
      h("h3", null, h("a", { class: "title", href: hashOf({ ...state, doc: hit.id, page: null }), onclick: open }, title)),
      h("div", { class: "meta" },
        h("span", { class: "uri", title: prettyUri(hit.uri) }, prettyUri(hit.uri)),
        hit.file_type && h("span", { class: "badge" }, hit.file_type),
        (hit.language || []).length ? h("span", { class: "badge" }, hit.language.join(", ")) : null,
        state.sort === "relevance" && !["", "*"].includes(state.q.trim()) && typeof hit.score === "number" && h("span", { class: "score", title: "relevance score" }, hit.score.toFixed(2))),
      (hit.highlights || []).map((hl) => h("p", { class: "hl" }, highlightNodes(hl))),
      passage(hit),
      chips.length ? h("div", { class: "chips" }, chips) : null,
      vectors ? h("div", { class: "actions" },
        h("a", { class: "more-like", href: hashOf({ ...state, similar: hit.id, skip: 0, doc: null }), onclick: like }, "More like this")) : null));
}

/** The best passage of a vector hit: "p. N" (a link to that page of the document)
 * and its text, trimmed; an image chunk says "image". Null without a chunk. */
function passage(hit) {
  const chunk = hit.chunk;
  if (!chunk || (!chunk.image && !(typeof chunk.text === "string" && chunk.text.trim()))) return null;
  const page = Number.isInteger(chunk.page) && chunk.page > 0 ? chunk.page : null;
  const openPage = (event) => {
    if (event.button === 0 && !event.ctrlKey && !event.metaKey && !event.shiftKey) {
      event.preventDefault();
      go({ doc: hit.id, page });
    }
  };
  const where = page ? h("a", { class: "page-link", href: hashOf({ ...state, doc: hit.id, page }), onclick: openPage }, `p. ${page}`) : null;
  const own = typeof chunk.score === "number" && chunk.score !== hit.score; // the hit's score unless fused
  const score = own ? h("span", { class: "score", title: "cosine similarity of this passage" }, chunk.score.toFixed(2)) : null;
  if (chunk.image) {
    return h("p", { class: "passage image", "data-page": page }, where, " ", h("span", { class: "kind" }, "image"), score);
  }
  return h("p", { class: "passage", "data-page": page }, where, where ? " " : null, h("span", { class: "text" }, trimmed(chunk.text)), score);
}

/** At most PASSAGE_CHARS characters, cut at a space, with an ellipsis when cut. */
function trimmed(text) {
  const flat = text.replace(/\s+/g, " ").trim();
  if (flat.length <= PASSAGE_CHARS) return flat;
  const cut = flat.slice(0, PASSAGE_CHARS);
  const space = cut.lastIndexOf(" ");
  return (space > PASSAGE_CHARS * 0.6 ? cut.slice(0, space) : cut) + "…";
}

/** The "Documents like <title>" header (and its way back), or none. */
async function showSimilarHead(id) {
  const head = $("#similar-head");
  head.hidden = !id;
  if (!id) return;
  const name = $(".like-title", head);
  name.textContent = titles.get(id) || "…";
  if (titles.has(id)) return;
  try { // after a reload: the document's own title
    const doc = await api(`/api/documents/${encodeURIComponent(id)}`);
    titles.set(id, doc.title || fileName(doc.uri) || id);
  } catch {
    titles.set(id, id); // the list's own request reports what went wrong
  }
  if (state.similar === id) name.textContent = titles.get(id);
}
