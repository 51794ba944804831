// The web page of `enrich serve`: plain JavaScript, no dependencies, no build step.
//
// Safety rule: nothing from the API is ever parsed as HTML. The DOM is built with
// createElement/textContent; search highlights (HTML with <b> and escaped text) are
// split on their <b> tags and their entities decoded into text nodes.

const VIEWS = ["results", "graph", "status"];
const SORTS = ["relevance", "uri", "-uri"];
const PAGE_SIZE = 10;
const FACETS = [
  ["people", "People"], ["organizations", "Organizations"], ["locations", "Locations"],
  ["entities", "All entities"], ["keyphrases", "Key phrases"], ["tags", "Tags"],
  ["labels", "Labels"], ["file_type", "File type"], ["language", "Language"],
];
const FACET_NAMES = Object.fromEntries(FACETS);
const SVG_NS = "http://www.w3.org/2000/svg";

// ------------------------------------------------------------------ helpers

const $ = (selector, root = document) => root.querySelector(selector);
const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

/** An element: attrs (class, text, on*, data-*, others as attributes) and children. */
function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** An SVG element, like h(). */
function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

function build(el, attrs, children) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value == null || value === false) continue;
    if (key === "class") el.setAttribute("class", value);
    else if (key === "text") el.textContent = String(value);
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** A query string: arrays repeat their parameter; null and undefined are left out. */
function qs(params) {
  const out = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      if (v != null) out.append(key, String(v));
    }
  }
  return out.toString();
}

/** Only same-origin paths ("/api/...") and http(s) URLs become links or image sources. */
function safeUrl(url) {
  if (typeof url !== "string" || !url) return null;
  if (url.startsWith("/") && !url.startsWith("//")) return url;
  try {
    const parsed = new URL(url, location.href);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch {
    return null;
  }
}

function withParam(url, key, value) {
  return url + (url.includes("?") ? "&" : "?") + qs({ [key]: value });
}

const NAMED_ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0" };

/** Decode the character references of escaped HTML text (&amp; &lt; &#39; &#x27; ...). */
function decodeEntities(text) {
  return text.replace(/&(#[xX][0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]{2,6});/g, (whole, ref) => {
    if (ref[0] === "#") {
      const code = ref[1] === "x" || ref[1] === "X" ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[ref.toLowerCase()] ?? whole;
  });
}

/** A highlight ("text &lt;escaped&gt; with <b>matches</b>") as text nodes and <mark>s. */
function highlightNodes(html) {
  const fragment = document.createDocumentFragment();
  let bold = false;
  for (const part of String(html).split(/(<\/?b>)/i)) {
    if (/^<\/?b>$/i.test(part)) {
      bold = part[1] !== "/";
    } else if (part) {
      const text = decodeEntities(part);
      fragment.append(bold ? h("mark", null, text) : document.createTextNode(text));
    }
  }
  return fragment;
}

/** A CSS class suffix for an entity type ("PERSON", "WORK_OF_ART", anything). */
const typeClass = (type) => String(type || "other").replace(/[^A-Za-z0-9_-]/g, "_");

/** The keyword field that filters by an entity of this type. */
function fieldOfType(type) {
  const t = String(type || "").toUpperCase();
  if (t === "PERSON") return "people";
  if (t === "ORG") return "organizations";
  if (t === "GPE" || t === "LOC" || t === "FAC") return "locations";
  return "entities";
}

function fileName(uri) {
  const tail = String(uri || "").replace(/[?#].*$/, "").replace(/\/+$/, "").split("/").pop() || String(uri || "");
  try {
    return decodeURIComponent(tail);
  } catch {
    return tail;
  }
}

function prettyUri(uri) {
  try {
    return decodeURI(String(uri || ""));
  } catch {
    return String(uri || "");
  }
}

const numberFormat = new Intl.NumberFormat();
function fmt(value) {
  if (typeof value === "number") {
    return Number.isInteger(value) ? numberFormat.format(value) : value.toFixed(Math.abs(value) < 10 ? 3 : 1);
  }
  return value == null ? "" : String(value);
}

function fmtTime(value) {
  if (!value) return "";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString();
}

const clamp01 = (x) => (typeof x === "number" && Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0);

/** Any JSON value as a small read-only tree of <dl>/<ul>. */
function kv(value, depth = 0) {
  if (value == null || value === "") return h("span", { class: "muted" }, "—");
  if (Array.isArray(value)) {
    if (!value.length) return h("span", { class: "muted" }, "—");
    if (value.every((v) => v == null || typeof v !== "object")) return value.map(fmt).join(", ");
    if (depth > 3) return `${value.length} items`;
    return h("ul", { class: "kv-list" }, value.slice(0, 50).map((v) => h("li", null, kv(v, depth + 1))));
  }
  if (typeof value === "object") {
    if (depth > 3) return JSON.stringify(value);
    const dl = h("dl", { class: "kv" });
    for (const [key, v] of Object.entries(value)) dl.append(h("dt", null, key), h("dd", null, kv(v, depth + 1)));
    return dl;
  }
  return fmt(value);
}

/** A short label for a tag, label or evidence item of unknown shape. */
function labelText(item) {
  if (item == null) return "";
  if (typeof item !== "object") return String(item);
  const name = item.name ?? item.label ?? item.text ?? item.value ?? item.key;
  return name != null ? String(name) : JSON.stringify(item);
}

// ------------------------------------------------------------------ API

class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || {};
  }
}

/** GET (or send) JSON; a non-2xx answer throws an ApiError with the API's message. */
async function api(path, { method = "GET", body, signal, quiet401 = false } = {}) {
  const init = { method, signal, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (exc) {
    if (exc.name === "AbortError") throw exc;
    throw new ApiError(0, "network", "Cannot reach the server; is `enrich serve` still running?");
  }
  let data = null;
  if (response.status !== 204 && (response.headers.get("content-type") || "").includes("json")) {
    try {
      data = await response.json();
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const error = (data && data.error) || {};
    const message = error.message || `${response.status} ${response.statusText || "error"} (${path.split("?")[0]})`;
    const exc = new ApiError(response.status, error.code || `http_${response.status}`, message, error.details);
    if (response.status === 401 && !quiet401) showLogin();
    throw exc;
  }
  return data;
}

/** Show what went wrong, unless the request was superseded or asks for the key. */
function report(exc) {
  if (!exc || exc.name === "AbortError") return;
  if (exc instanceof ApiError && exc.status === 401) return; // the sign-in form is up
  showError(exc.message || String(exc));
  if (!(exc instanceof ApiError)) console.warn(exc); // a bug of this page: keep the trace
}

function showError(message) {
  const bar = $("#error");
  $(".msg", bar).textContent = message;
  bar.hidden = false;
}

function hideError() {
  $("#error").hidden = true;
}

// ------------------------------------------------------------------ state (the URL hash)

let state = readState();

function readState() {
  const p = new URLSearchParams(location.hash.replace(/^#/, ""));
  const skip = Number.parseInt(p.get("skip") || "0", 10);
  return {
    q: p.get("q") || "",
    filters: [...new Set(p.getAll("filter").filter((f) => f.indexOf(":") > 0))],
    skip: Number.isFinite(skip) ? Math.min(10000, Math.max(0, skip)) : 0,
    sort: SORTS.includes(p.get("sort")) ? p.get("sort") : "relevance",
    view: VIEWS.includes(p.get("view")) ? p.get("view") : "results",
    doc: p.get("doc") || null,
  };
}

function hashOf(st) {
  const p = new URLSearchParams();
  if (st.q) p.set("q", st.q);
  for (const f of st.filters) p.append("filter", f);
  if (st.skip) p.set("skip", String(st.skip));
  if (st.sort !== "relevance") p.set("sort", st.sort);
  if (st.view !== "results") p.set("view", st.view);
  if (st.doc) p.set("doc", st.doc);
  return "#" + p.toString();
}

/** Change the state: a new history entry (back/forward work), then render it. */
function go(patch, { replace = false } = {}) {
  const hash = hashOf({ ...state, ...patch });
  if (hash === "#" + location.hash.replace(/^#/, "")) {
    route();
  } else if (replace) {
    history.replaceState(null, "", hash);
    route();
  } else {
    location.hash = hash; // fires hashchange → route()
  }
}

function addFilter(field, value, extra = {}) {
  const filter = `${field}:${value}`;
  const filters = state.filters.includes(filter) ? state.filters : [...state.filters, filter];
  go({ filters, skip: 0, ...extra });
}

function removeFilter(filter) {
  go({ filters: state.filters.filter((f) => f !== filter), skip: 0 });
}

function route() {
  const previous = state;
  state = readState();
  hideError(); // each navigation starts clean; its own failures show again
  if (state.skip !== previous.skip) window.scrollTo(0, 0);
  $("#q").value = state.q;
  showView(state.view);
  renderActiveFilters();
  if (state.view === "results" || state.view === "graph") loadResults();
  if (state.view === "graph") loadGraph();
  if (state.view === "status") loadStatus();
  if (state.doc) openDoc(state.doc);
  else closeDocPanel();
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
  $("#facets").hidden = view === "status";
  document.body.dataset.view = view;
}

function renderActiveFilters() {
  const bar = $("#active-filters");
  bar.replaceChildren();
  for (const filter of state.filters) {
    const cut = filter.indexOf(":");
    const field = filter.slice(0, cut);
    const value = filter.slice(cut + 1);
    bar.append(h("button", {
      type: "button", class: "chip filter-chip", "data-filter": filter,
      title: "Remove this filter", onclick: () => removeFilter(filter),
    }, h("span", { class: "field" }, (FACET_NAMES[field] || field) + ": "), value, h("span", { class: "x", "aria-hidden": "true" }, " ×")));
  }
  if (state.filters.length > 1) {
    bar.append(h("button", { type: "button", class: "link", onclick: () => go({ filters: [], skip: 0 }) }, "clear all"));
  }
  bar.hidden = !state.filters.length;
}

// ------------------------------------------------------------------ search and results

const results = { key: null, seq: 0, controller: null, data: null };

async function loadResults(force = false) {
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
    results.data = data;
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

/** A chip that adds the filter field:value (results, documents). */
function filterChip(field, value, extra = {}, entityType = null) {
  const type = entityType || { people: "PERSON", organizations: "ORG", locations: "GPE" }[field] || field;
  return h("button", {
    type: "button", class: `chip ent-${typeClass(type)}`, "data-field": field, title: `Filter: ${FACET_NAMES[field] || field} = ${value}`,
    onclick: () => addFilter(field, value, extra),
  }, value);
}

function renderFacets(facets) {
  const aside = $("#facets");
  const focused = document.activeElement?.closest?.(".facet") ? document.activeElement : null;
  const refocus = focused && { field: focused.closest(".facet").dataset.field, value: focused.value };
  aside.replaceChildren();
  for (const [field, label] of FACETS) {
    const buckets = (facets[field] || []).filter((b) => b && b.value != null && b.value !== "");
    const checked = state.filters.filter((f) => f.startsWith(field + ":")).map((f) => f.slice(field.length + 1));
    const shown = new Set(buckets.map((b) => String(b.value)));
    // Checked values stay visible (and checked) even when their count drops out.
    const rows = [...buckets, ...checked.filter((v) => !shown.has(v)).map((value) => ({ value, count: null }))];
    if (!rows.length) continue;
    const box = h("fieldset", { class: "facet", "data-field": field }, h("legend", null, label));
    for (const bucket of rows) {
      const value = String(bucket.value);
      const input = h("input", { type: "checkbox", value, "data-value": value });
      input.checked = checked.includes(value);
      input.addEventListener("change", () => {
        const filter = `${field}:${value}`;
        if (input.checked) addFilter(field, value);
        else removeFilter(filter);
      });
      box.append(h("label", { class: "facet-value", title: value }, input,
        h("span", { class: "v" }, value), h("span", { class: "n" }, bucket.count == null ? "" : fmt(bucket.count))));
    }
    aside.append(box);
  }
  if (!aside.children.length) aside.append(h("p", { class: "muted" }, "No facets."));
  if (refocus) {
    const again = $$(`.facet[data-field="${CSS.escape(refocus.field)}"] input`).find((i) => i.value === refocus.value);
    again?.focus();
  }
}

// ------------------------------------------------------------------ autocomplete

const suggest = { timer: 0, seq: 0, items: [], active: -1 };

function onSearchInput() {
  clearTimeout(suggest.timer);
  const value = $("#q").value.trim();
  if (value.length < 2 || value.length > 100) {
    closeSuggest();
    return;
  }
  suggest.timer = setTimeout(() => fetchSuggest(value), 150);
}

async function fetchSuggest(value) {
  const seq = ++suggest.seq;
  try {
    const data = await api("/api/suggest?" + qs({ q: value, limit: 8 }), { quiet401: true });
    if (seq !== suggest.seq || $("#q").value.trim() !== value || document.activeElement !== $("#q")) return;
    renderSuggest(data.suggestions || []);
  } catch (exc) {
    if (exc.status === 401) showLogin();
    closeSuggest(); // suggestions are a convenience: no error bar while typing
  }
}

function renderSuggest(items) {
  suggest.items = items;
  suggest.active = -1;
  const list = $("#suggest");
  list.replaceChildren(...items.map((item, i) => h("li", {
    id: `suggest-${i}`, role: "option", class: "suggestion", "aria-selected": "false",
    "data-field": item.field || fieldOfType(item.type), "data-name": item.name,
    onmousedown: (event) => { event.preventDefault(); pickSuggestion(i); },
  }, h("span", { class: `dot ent-${typeClass(item.type)}`, "aria-hidden": "true" }),
  h("span", { class: "name" }, item.name),
  h("span", { class: "type" }, item.type),
  h("span", { class: "n", title: "documents" }, fmt(item.documents)))));
  list.hidden = !items.length;
  $("#q").setAttribute("aria-expanded", String(!!items.length));
  $("#q").removeAttribute("aria-activedescendant");
}

function moveSuggestion(step) {
  const n = suggest.items.length;
  if (!n) return;
  let next = suggest.active + step; // -1 is the search box itself
  if (next >= n) next = -1;
  else if (next < -1) next = n - 1;
  suggest.active = next;
  $$("#suggest li").forEach((li, i) => li.setAttribute("aria-selected", String(i === suggest.active)));
  if (suggest.active >= 0) {
    $("#q").setAttribute("aria-activedescendant", `suggest-${suggest.active}`);
    $(`#suggest-${suggest.active}`).scrollIntoView({ block: "nearest" });
  } else {
    $("#q").removeAttribute("aria-activedescendant");
  }
}

function pickSuggestion(i) {
  const item = suggest.items[i];
  closeSuggest();
  if (!item) return;
  $("#q").value = "";
  const filter = `${item.field || fieldOfType(item.type)}:${item.name}`;
  const filters = state.filters.includes(filter) ? state.filters : [...state.filters, filter];
  go({ q: "", filters, skip: 0, doc: null, view: state.view === "status" ? "results" : state.view });
}

function closeSuggest() {
  clearTimeout(suggest.timer);
  suggest.seq++;
  suggest.items = [];
  suggest.active = -1;
  $("#suggest").hidden = true;
  $("#suggest").replaceChildren();
  $("#q").setAttribute("aria-expanded", "false");
  $("#q").removeAttribute("aria-activedescendant");
}

function onSearchKey(event) {
  const open = !$("#suggest").hidden && suggest.items.length;
  if (event.key === "ArrowDown" && open) {
    event.preventDefault();
    moveSuggestion(1);
  } else if (event.key === "ArrowUp" && open) {
    event.preventDefault();
    moveSuggestion(-1);
  } else if (event.key === "Enter" && open && suggest.active >= 0) {
    event.preventDefault();
    pickSuggestion(suggest.active);
  } else if (event.key === "Escape" && open) {
    event.preventDefault();
    event.stopPropagation();
    closeSuggest();
  }
}

function onSearchSubmit(event) {
  event.preventDefault();
  closeSuggest();
  const q = $("#q").value.trim();
  go({ q, skip: 0, doc: null, view: state.view === "status" ? "results" : state.view });
  if (q === state.q) loadResults(true); // the same query again: search again
}

// ------------------------------------------------------------------ document view

const docView = { id: null, seq: 0, returnFocus: null };

async function openDoc(id) {
  const panel = $("#doc");
  if (docView.id === id && !panel.hidden) return;
  if (panel.hidden) docView.returnFocus = document.activeElement;
  docView.id = id;
  const seq = ++docView.seq;
  panel.hidden = false;
  document.body.classList.add("doc-open");
  const body = $("#doc-body");
  body.replaceChildren(h("p", { class: "muted" }, "Loading…"));
  $("#doc .close").focus();
  try {
    const doc = await api(`/api/documents/${encodeURIComponent(id)}`);
    if (seq !== docView.seq) return;
    body.replaceChildren(...renderDoc(doc));
    $("#doc article").scrollTop = 0;
  } catch (exc) {
    if (seq !== docView.seq) return;
    body.replaceChildren(h("h2", { id: "doc-title" }, "Document"), h("p", { class: "muted" }, exc.message || "Cannot load the document."));
    report(exc);
  }
}

function closeDocPanel() {
  const panel = $("#doc");
  if (panel.hidden) return;
  panel.hidden = true;
  const closed = docView.id;
  docView.id = null;
  docView.seq++;
  document.body.classList.remove("doc-open");
  $("#doc-body").replaceChildren();
  const back = docView.returnFocus;
  docView.returnFocus = null;
  if (back && back.isConnected && back !== document.body) back.focus();
  else {
    const link = $$("#results .result").find((li) => li.dataset.id === closed);
    link && $("a.title", link).focus();
  }
}

function closeDoc() {
  go({ doc: null });
}

function renderDoc(doc) {
  const out = [];
  const title = doc.title || fileName(doc.uri) || doc.id;
  out.push(h("h2", { id: "doc-title" }, title));
  out.push(h("p", { class: "uri" }, prettyUri(doc.source_uri || doc.uri)));
  const file = safeUrl(doc.file);
  if (file) {
    out.push(h("p", { class: "links" },
      h("a", { href: file, target: "_blank", rel: "noopener", class: "open-file" }, "Open original"),
      h("a", { href: withParam(file, "download", "true"), download: fileName(doc.uri) || "", class: "download" }, "Download")));
  }
  const pages = doc.pages || [];
  const entities = doc.entities || [];
  const images = doc.images || [];
  const facts = {
    "content type": doc.content_type, "file type": doc.file_type,
    language: (doc.fields?.language || []).join(", "), status: doc.status,
    pages: pages.length, images: images.length, entities: entities.length,
  };
  const dl = h("dl", { class: "facts" });
  for (const [key, value] of Object.entries(facts)) {
    if (value !== "" && value != null) dl.append(h("dt", null, key), h("dd", { class: key === "status" ? `status-${typeClass(value)}` : null }, fmt(value)));
  }
  out.push(dl);
  if ((doc.warnings || []).length) {
    out.push(h("details", { class: "warnings" }, h("summary", null, `${doc.warnings.length} warning${doc.warnings.length === 1 ? "" : "s"}`),
      h("ul", null, doc.warnings.map((w) => h("li", null, typeof w === "object" ? labelText(w.message ?? w) : String(w))))));
  }
  if (doc.metadata && Object.keys(doc.metadata).length) {
    out.push(h("details", { class: "metadata" }, h("summary", null, "Metadata"), kv(doc.metadata)));
  }
  const fields = doc.fields || {};
  const close = { doc: null };
  const typeOf = new Map(entities.map((e) => [e.name, e.type]));
  for (const field of ["keyphrases", "people", "organizations", "locations", "entities", "tags", "labels"]) {
    const values = fields[field] || [];
    if (!values.length) continue;
    out.push(h("div", { class: "doc-field", "data-field": field },
      h("span", { class: "field-name" }, FACET_NAMES[field] || field),
      h("div", { class: "chips" }, values.slice(0, 40).map((v) => filterChip(field, String(v), close, field === "entities" ? typeOf.get(v) : null)))));
  }

  const byPage = new Map();
  const loose = [];
  for (const e of entities) {
    if (e.page == null) loose.push(e);
    else {
      if (!byPage.has(e.page)) byPage.set(e.page, []);
      byPage.get(e.page).push(e);
    }
  }
  if (pages.length) {
    const section = h("section", { class: "pages" }, h("h3", null, pages.length === 1 ? "Text" : `Pages (${pages.length})`));
    const first = 30;
    pages.slice(0, first).forEach((p) => section.append(pageBlock(p, byPage.get(p.number) || [], pages.length)));
    if (pages.length > first) {
      const more = h("button", { type: "button", class: "more" }, `Show the other ${pages.length - first} pages`);
      more.addEventListener("click", () => more.replaceWith(...pages.slice(first).map((p) => pageBlock(p, byPage.get(p.number) || [], pages.length))));
      section.append(more);
    }
    out.push(section);
  } else if (typeof doc.content === "string" && doc.content) {
    out.push(h("section", { class: "pages" }, h("h3", null, "Text"), h("div", { class: "page-text" }, markedText(doc.content, loose))));
  }
  if (images.length) {
    out.push(h("section", { class: "images" }, h("h3", null, `Images (${images.length})`), images.map(imageBlock)));
  }
  return out;
}

function pageBlock(page, entities, total) {
  const section = h("section", { class: "page", "data-page": page.number });
  if (total > 1 || page.needs_ocr) {
    section.append(h("h4", null, `Page ${page.number}`, page.needs_ocr ? h("span", { class: "badge" }, "scanned") : null));
  }
  const image = safeUrl(page.image);
  if (image) {
    const img = h("img", { class: "page-image", alt: `Page ${page.number}`, loading: "lazy", decoding: "async" });
    const details = h("details", { class: "page-image-box" }, h("summary", null, "Show page image"), img);
    details.addEventListener("toggle", () => {
      if (details.open && !img.getAttribute("src")) img.setAttribute("src", image);
    });
    section.append(details);
  }
  const text = typeof page.text === "string" ? page.text : "";
  section.append(text.trim()
    ? h("div", { class: "page-text" }, markedText(text, entities))
    : h("p", { class: "muted" }, "(no text on this page)"));
  return section;
}

/** The text with each entity mention (start/end offsets, in code points) in a <mark>. */
function markedText(text, entities) {
  const fragment = document.createDocumentFragment();
  // Python counts code points, JavaScript UTF-16 units: they differ only past U+FFFF.
  const points = /[\uD800-\uDFFF]/.test(text) ? Array.from(text) : null;
  const length = points ? points.length : text.length;
  const slice = (a, b) => (points ? points.slice(a, b).join("") : text.slice(a, b));
  const spans = entities
    .filter((e) => Number.isInteger(e.start) && Number.isInteger(e.end) && e.start >= 0 && e.end > e.start && e.end <= length)
    .sort((a, b) => a.start - b.start || b.end - a.end);
  let at = 0;
  for (const e of spans) {
    if (e.start < at) continue; // overlaps the previous mention
    if (e.start > at) fragment.append(slice(at, e.start));
    fragment.append(h("mark", {
      class: `ent ent-${typeClass(e.type)}`, title: `${e.type}: ${e.name}`, "data-key": e.key,
    }, slice(e.start, e.end)));
    at = e.end;
  }
  if (at < length) fragment.append(slice(at, length));
  return fragment;
}

function imageBlock(image) {
  const url = safeUrl(image.url);
  const thumb = safeUrl(image.thumbnail) || url;
  const picture = thumb && h("img", { src: thumb, alt: image.caption || `Image ${image.id}`, loading: "lazy", decoding: "async" });
  const tags = (image.tags || []).filter((t) => t != null);
  const labels = (image.labels || []).filter((t) => t != null);
  const size = image.width && image.height ? `${image.width}×${image.height}` : "";
  return h("figure", { class: "image", "data-image": image.id },
    url && picture ? h("a", { href: url, target: "_blank", rel: "noopener" }, picture) : picture,
    h("figcaption", null,
      image.caption ? h("p", { class: "caption" }, image.caption) : null,
      h("p", { class: "muted" }, [image.page != null ? `page ${image.page}` : null, size, image.format, image.kind].filter(Boolean).join(" · ")),
      tags.length ? h("ul", { class: "tags" }, tags.map((t) => h("li", null, labelText(t),
        typeof t.score === "number" ? h("span", { class: "n" }, ` ${Math.round(t.score * 100)}%`) : null))) : null,
      labels.length ? h("ul", { class: "labels" }, labels.map((l) => h("li", { class: `ent-${typeClass(l.type)}` }, labelText(l)))) : null,
      image.text ? h("details", { class: "ocr" }, h("summary", null, "Text in the image"), h("pre", null, image.text)) : null));
}

// ------------------------------------------------------------------ graph view

let W = 1000; // the graph's frame (viewBox), fitted to its box when a graph loads
let H = 620;
const graph = { key: null, seq: 0, nodes: new Map(), edges: new Map(), selected: null, matches: null };

const edgeKey = (a, b) => (a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`);

async function loadGraph(force = false) {
  const key = JSON.stringify([state.q, state.filters]);
  if (!force && key === graph.key) return;
  graph.key = key;
  const seq = ++graph.seq;
  $("#graph-info").textContent = "Loading the graph…";
  try {
    const data = await api("/api/graph/search?" + qs({ q: state.q.trim() || "*", filter: state.filters, limit: 30 }));
    if (seq !== graph.seq) return;
    W = Math.max(480, Math.round($("#graph").clientWidth || 1000));
    H = Math.round(Math.min(680, Math.max(420, W * 0.62)));
    graph.nodes = new Map();
    graph.edges = new Map();
    graph.selected = null;
    graph.matches = data.matches;
    mergeGraph(data, null);
    layout(graph, 400, 1);
    drawGraph();
    hidePanel();
  } catch (exc) {
    if (seq !== graph.seq) return;
    graph.key = null;
    $("#graph-info").textContent = "The graph could not be loaded.";
    report(exc);
  }
}

function mergeGraph(data, around) {
  const fresh = (data.nodes || []).filter((n) => n && n.id != null && !graph.nodes.has(n.id));
  const start = graph.nodes.size;
  (data.nodes || []).forEach((n) => {
    const old = graph.nodes.get(n.id);
    if (old) {
      for (const [k, v] of Object.entries(n)) if (old[k] == null) old[k] = v;
    }
  });
  fresh.forEach((n, i) => {
    // Deterministic start: a golden-angle spiral, or a ring around the expanded node.
    const angle = (start + i) * 2.39996;
    const radius = around ? 60 : 30 + 18 * Math.sqrt(start + i);
    const cx = around ? around.x : W / 2;
    const cy = around ? around.y : H / 2;
    graph.nodes.set(n.id, { ...n, x: cx + radius * Math.cos(angle), y: cy + radius * Math.sin(angle), outside: around != null && n.hits == null });
  });
  for (const e of data.edges || []) {
    if (!graph.nodes.has(e.source) || !graph.nodes.has(e.target) || e.source === e.target) continue;
    const key = edgeKey(e.source, e.target);
    if (!graph.edges.has(key)) graph.edges.set(key, { ...e });
  }
}

/** Fruchterman–Reingold: repulsion k²/d, springs d²/k (stronger for higher npmi),
 * a pull to the centre, and a cooling step limit; synchronous, O(n²) per round. */
function layout(g, rounds, heat) {
  const nodes = [...g.nodes.values()];
  const n = nodes.length;
  if (!n) return;
  const k = Math.min(170, Math.sqrt((W * H) / n) * 0.62);
  const index = new Map(nodes.map((node, i) => [node.id, i]));
  const springs = [...g.edges.values()].map((e) => [index.get(e.source), index.get(e.target), clamp01(e.npmi)]);
  const dx = new Float64Array(n);
  const dy = new Float64Array(n);
  const margin = 30;
  for (let round = 0; round < rounds; round++) {
    dx.fill(0);
    dy.fill(0);
    for (let i = 0; i < n; i++) {
      const a = nodes[i];
      for (let j = i + 1; j < n; j++) {
        const b = nodes[j];
        let x = a.x - b.x;
        let y = a.y - b.y;
        let d2 = x * x + y * y;
        if (d2 < 0.01) {
          x = 0.1 * ((i % 7) - 3) + 0.05;
          y = 0.1 * ((j % 5) - 2) + 0.05;
          d2 = x * x + y * y;
        }
        const f = (k * k) / d2;
        dx[i] += x * f; dy[i] += y * f;
        dx[j] -= x * f; dy[j] -= y * f;
      }
    }
    for (const [i, j, w] of springs) {
      const x = nodes[i].x - nodes[j].x;
      const y = nodes[i].y - nodes[j].y;
      const f = (Math.sqrt(x * x + y * y) / k) * (0.15 + 0.6 * w);
      dx[i] -= x * f; dy[i] -= y * f;
      dx[j] += x * f; dy[j] += y * f;
    }
    const limit = heat * (W / 12) * (1 - round / rounds) + 0.5;
    for (let i = 0; i < n; i++) {
      const node = nodes[i];
      dx[i] += (W / 2 - 40 - node.x) * 0.04 * Math.sqrt(n);
      dy[i] += (H / 2 - node.y) * 0.07 * Math.sqrt(n);
      const d = Math.sqrt(dx[i] * dx[i] + dy[i] * dy[i]);
      if (d > 0) {
        const step = Math.min(d, limit) / d;
        node.x = Math.min(W - margin - 80, Math.max(margin, node.x + dx[i] * step));
        node.y = Math.min(H - margin, Math.max(margin, node.y + dy[i] * step));
      }
    }
  }
}

const nodeSize = (node) => node.hits ?? (node.outside ? 0 : node.documents) ?? 0;
const radiusOf = (node) => Math.min(28, 6 + 3.2 * Math.sqrt(nodeSize(node) || 0));

function drawGraph() {
  const nodes = [...graph.nodes.values()];
  const info = $("#graph-info");
  if (!nodes.length) {
    info.textContent = "No entities in the matching documents.";
    $("#graph").replaceChildren();
    return;
  }
  info.textContent = `${fmt(nodes.length)} entities${graph.matches != null ? ` in ${fmt(graph.matches)} matching document${graph.matches === 1 ? "" : "s"}` : ""}. `
    + "Larger nodes appear in more matches; thicker edges co-occur more significantly (NPMI). Select a node to filter or expand.";
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, "aria-label": "Entities co-occurring with the query", role: "group" });
  const edgeLayer = s("g", { class: "edges" });
  const nodeLayer = s("g", { class: "nodes" });
  const selected = graph.selected;
  for (const e of graph.edges.values()) {
    const a = graph.nodes.get(e.source);
    const b = graph.nodes.get(e.target);
    const w = clamp01(e.npmi);
    const near = selected && (e.source === selected || e.target === selected);
    const ends = { x1: a.x.toFixed(1), y1: a.y.toFixed(1), x2: b.x.toFixed(1), y2: b.y.toFixed(1) };
    const group = s("g", { class: `edge${near ? " near" : ""}`, "data-source": e.source, "data-target": e.target, onclick: () => showEvidence(e) },
      s("title", null, `${a.name} — ${b.name}: ${fmt(e.hits ?? e.documents ?? e.count)} documents together, NPMI ${fmt(e.npmi ?? 0)}`),
      s("line", { ...ends, class: "edge-line", "stroke-width": (1 + 5 * w).toFixed(2), "stroke-opacity": (0.2 + 0.7 * w).toFixed(2) }),
      s("line", { ...ends, class: "edge-hit" }));
    edgeLayer.append(group);
  }
  for (const node of nodes) {
    const r = radiusOf(node);
    const label = node.name.length > 28 ? node.name.slice(0, 27) + "…" : node.name;
    const classes = ["node", `t-${typeClass(node.type)}`];
    if (node.id === selected) classes.push("selected");
    if (node.outside) classes.push("outside");
    if (node.expanded) classes.push("expanded");
    const group = s("g", {
      class: classes.join(" "), transform: `translate(${node.x.toFixed(1)} ${node.y.toFixed(1)})`,
      tabindex: 0, role: "button", "data-key": node.id, "data-type": node.type,
      "aria-label": `${node.name}, ${node.type}, ${fmt(nodeSize(node))} documents`,
      onclick: () => selectNode(node.id),
      onkeydown: (event) => {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          selectNode(node.id);
        }
      },
    }, s("title", null, `${node.name} (${node.type}): ${node.hits != null ? `${fmt(node.hits)} matching documents, ` : ""}${fmt(node.documents)} in all`),
    s("circle", { r: r.toFixed(1) }),
    s("text", { x: (r + 3).toFixed(1), y: "4" }, label));
    nodeLayer.append(group);
  }
  svg.append(edgeLayer, nodeLayer);
  const types = [...new Set(nodes.map((n) => n.type))].sort();
  const legend = h("ul", { class: "legend" }, types.map((t) => h("li", null, h("span", { class: `dot ent-${typeClass(t)}` }), t)));
  $("#graph").replaceChildren(svg, legend);
}

function focusNode(id) {
  $$("#graph g.node").find((g) => g.dataset.key === id)?.focus();
}

function hidePanel() {
  graph.selected = null;
  $("#graph-panel").replaceChildren(h("p", { class: "muted hint" },
    "Select a node (click it, or Tab to it and press Enter) to filter the search by it, ",
    "expand its strongest neighbours, or read the evidence of its links."));
}

function selectNode(id) {
  const node = graph.nodes.get(id);
  if (!node) return;
  graph.selected = id;
  drawGraph();
  focusNode(id);
  const panel = $("#graph-panel");
  const links = [...graph.edges.values()]
    .filter((e) => e.source === id || e.target === id)
    .sort((a, b) => (b.npmi ?? 0) - (a.npmi ?? 0));
  panel.replaceChildren(
    h("button", { type: "button", class: "close", "aria-label": "Close", onclick: () => { hidePanel(); drawGraph(); } }, "×"),
    h("h3", null, node.name),
    h("p", { class: "muted" }, h("span", { class: `dot ent-${typeClass(node.type)}` }), ` ${node.type}`,
      node.hits != null ? ` · ${fmt(node.hits)} matching` : "", node.documents != null ? ` · ${fmt(node.documents)} documents` : ""),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "filter", onclick: () => addFilter(fieldOfType(node.type), node.name, { view: "results" }) }, "Filter"),
      h("button", { type: "button", class: "expand", disabled: node.expanded || null, onclick: () => expandNode(id) }, node.expanded ? "Expanded" : "Expand")),
    links.length ? h("h4", null, "Co-occurs with") : null,
    links.length ? h("ul", { class: "neighbors" }, links.slice(0, 30).map((e) => {
      const other = graph.nodes.get(e.source === id ? e.target : e.source);
      return h("li", null, h("button", { type: "button", class: "link", title: "Show the evidence", onclick: () => showEvidence(e) }, other.name),
        h("span", { class: "n" }, ` npmi ${fmt(e.npmi ?? 0)}`));
    })) : null);
}

async function expandNode(id) {
  const node = graph.nodes.get(id);
  if (!node) return;
  const seq = graph.seq;
  try {
    const data = await api("/api/graph/ego?" + qs({ entity: id, limit: 10 }));
    if (seq !== graph.seq) return;
    mergeGraph(data, node);
    node.expanded = true;
    layout(graph, 250, 0.35);
    selectNode(id);
  } catch (exc) {
    report(exc);
  }
}

async function showEvidence(edge) {
  const a = graph.nodes.get(edge.source);
  const b = graph.nodes.get(edge.target);
  const panel = $("#graph-panel");
  const back = h("button", { type: "button", class: "link back", onclick: () => selectNode(a.id) }, `← ${a.name}`);
  panel.replaceChildren(back, h("h3", null, `${a.name} & ${b.name}`), h("p", { class: "muted" }, "Loading the evidence…"));
  const seq = graph.seq;
  try {
    const data = await api("/api/graph/evidence?" + qs({ a: edge.source, b: edge.target, limit: 5 }));
    if (seq !== graph.seq) return;
    const scopes = h("table", { class: "scopes" }, h("tr", null, ["together in", "count", "documents", "npmi"].map((t) => h("th", null, t))),
      Object.entries(data.scopes || {}).map(([scope, v]) => h("tr", null, h("td", null, scope), h("td", null, fmt(v.count)), h("td", null, fmt(v.documents)), h("td", null, fmt(v.npmi)))));
    const items = (data.evidence || []).map((ev) => {
      const id = ev.id ?? ev.doc_id;
      const snippets = [...new Set((ev.snippets || []).map(labelText).filter(Boolean))].slice(0, 3);
      return h("li", null,
        id ? h("a", { href: hashOf({ ...state, doc: id }), onclick: (event) => { event.preventDefault(); go({ doc: id }); } }, ev.title || fileName(ev.uri))
          : h("span", null, ev.title || fileName(ev.uri)),
        (ev.pages || []).length ? h("span", { class: "muted" }, ` · page${ev.pages.length > 1 ? "s" : ""} ${ev.pages.join(", ")}`) : null,
        snippets.map((text) => h("blockquote", null, text)));
    });
    panel.replaceChildren(back, h("h3", null, `${a.name} & ${b.name}`), scopes,
      items.length ? h("ul", { class: "evidence" }, items) : h("p", { class: "muted" }, "No evidence found."));
  } catch (exc) {
    report(exc);
  }
}

// ------------------------------------------------------------------ status view

const statusView = { seq: 0, timer: 0, run: null };

async function loadStatus() {
  clearTimeout(statusView.timer);
  const seq = ++statusView.seq;
  const root = $("#status");
  if (!root.children.length) root.append(h("p", { class: "muted" }, "Loading…"));
  try {
    const data = await api("/api/status");
    if (seq !== statusView.seq || state.view !== "status") return;
    const runs = data.runs || [];
    const table = h("table", { class: "runs" },
      h("thead", null, h("tr", null, ["run", "source", "started", "finished", "status", "errors", "warnings"].map((t) => h("th", null, t)))),
      h("tbody", null, runs.map((run) => h("tr", { class: `run${statusView.run === run.id ? " selected" : ""}`, "data-id": run.id },
        h("td", null, h("button", { type: "button", class: "link", onclick: () => loadRun(run.id) }, run.id)),
        h("td", { class: "uri" }, labelText(run.source)), h("td", null, fmtTime(run.started_at)), h("td", null, fmtTime(run.finished_at)),
        h("td", null, h("span", { class: `badge status-${typeClass(run.status)}` }, run.status ?? "")),
        h("td", { class: "num" }, fmt(run.errors)), h("td", { class: "num" }, fmt(run.warnings))))));
    root.replaceChildren(
      h("div", { class: "status-head" }, h("h2", null, "Status"),
        h("button", { type: "button", class: "refresh", onclick: () => loadStatus() }, "Refresh")),
      h("div", { class: "cards" },
        h("section", { class: "card" }, h("h3", null, "Index"), kv(data.stats)),
        h("section", { class: "card" }, h("h3", null, "Knowledge graph"), kv(data.graph))),
      h("h3", null, "Latest runs"),
      runs.length ? table : h("p", { class: "muted" }, "No runs yet: `enrich index FOLDER` starts one."),
      h("div", { id: "run-detail" }));
    if (statusView.run) loadRun(statusView.run);
    if (runs.some((r) => r.status === "running")) {
      statusView.timer = setTimeout(() => state.view === "status" && loadStatus(), 5000);
    }
  } catch (exc) {
    if (seq !== statusView.seq) return;
    root.replaceChildren(h("h2", null, "Status"), h("p", { class: "muted" }, "The status could not be loaded."));
    report(exc);
  }
}

async function loadRun(id) {
  statusView.run = id;
  $$("#status tr.run").forEach((tr) => tr.classList.toggle("selected", tr.dataset.id === id));
  try {
    const run = await api(`/api/runs/${encodeURIComponent(id)}`);
    const box = $("#run-detail");
    if (!box || statusView.run !== id) return;
    const errors = Array.isArray(run.errors) ? run.errors : [];
    const { errors: _e, summary, ...rest } = run;
    box.replaceChildren(
      h("h3", null, `Run ${run.id}`),
      kv(rest),
      summary ? h("details", { class: "summary" }, h("summary", null, "Summary"), kv(summary)) : null,
      h("h4", null, errors.length ? `Errors and warnings (${errors.length})` : "No errors or warnings"),
      errors.length ? h("table", { id: "run-errors", class: "errors" },
        h("thead", null, h("tr", null, ["severity", "document", "stage", "message", "at"].map((t) => h("th", null, t)))),
        h("tbody", null, errors.map((e) => h("tr", { class: `sev-${typeClass(e.severity)}` },
          h("td", null, e.severity ?? ""), h("td", { class: "uri" }, prettyUri(e.uri)), h("td", null, e.stage ?? ""),
          h("td", { class: "message" }, e.message ?? ""), h("td", null, fmtTime(e.at))))))
        : h("p", { id: "run-errors", class: "muted" }, "Every document went through cleanly."));
  } catch (exc) {
    report(exc);
  }
}

// ------------------------------------------------------------------ sign-in

async function checkAuth() {
  try {
    const auth = await api("/api/auth", { quiet401: true });
    $("#logout").hidden = !(auth && auth.required && auth.authenticated);
    if (auth && auth.required && !auth.authenticated) {
      showLogin();
      return false;
    }
  } catch (exc) {
    if (exc.status === 401) {
      showLogin();
      return false;
    }
    report(exc); // go on: the API answers for itself
  }
  return true;
}

function showLogin(message = "") {
  const box = $("#login");
  $(".msg", box).textContent = message;
  if (box.hidden) {
    box.hidden = false;
    $("#key").value = "";
  }
  $("#key").focus();
}

async function onLogin(event) {
  event.preventDefault();
  const key = $("#key").value;
  const button = $("#login button[type=submit]");
  button.disabled = true;
  try {
    await api("/api/login", { method: "POST", body: { key }, quiet401: true });
    $("#login").hidden = true;
    $("#logout").hidden = false;
    hideError();
    results.key = graph.key = null;
    docView.id = null;
    route();
    $("#q").focus();
  } catch (exc) {
    showLogin(exc.status === 401 ? exc.message || "Wrong key." : exc.message);
  } finally {
    button.disabled = false;
  }
}

async function onLogout() {
  try {
    await api("/api/logout", { method: "POST", quiet401: true });
  } catch (exc) {
    report(exc);
  }
  $("#logout").hidden = true;
  await checkAuth();
}

// ------------------------------------------------------------------ wiring

function onGlobalKey(event) {
  const target = event.target;
  const typing = target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement
    || target instanceof HTMLSelectElement || target?.isContentEditable;
  if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
    event.preventDefault();
    $("#q").focus();
    $("#q").select();
  } else if (event.key === "Escape") {
    if (!$("#login").hidden) return;
    if (!$("#suggest").hidden) closeSuggest();
    else if (!$("#doc").hidden) closeDoc();
    else if (graph.selected && state.view === "graph") {
      const id = graph.selected;
      hidePanel();
      drawGraph();
      focusNode(id);
    } else if (!$("#error").hidden) hideError();
    else if (typing && target === $("#q")) target.blur();
  }
}

async function main() {
  $("#search-form").addEventListener("submit", onSearchSubmit);
  $("#q").addEventListener("input", onSearchInput);
  $("#q").addEventListener("keydown", onSearchKey);
  $("#q").addEventListener("blur", () => setTimeout(closeSuggest, 100));
  $("#sort").addEventListener("change", () => go({ sort: $("#sort").value, skip: 0 }));
  $("#pager .prev").addEventListener("click", () => go({ skip: Math.max(0, state.skip - PAGE_SIZE) }));
  $("#pager .next").addEventListener("click", () => go({ skip: state.skip + PAGE_SIZE }));
  for (const tab of $$("#tabs [data-view]")) tab.addEventListener("click", () => go({ view: tab.dataset.view }));
  $("#tabs").addEventListener("keydown", (event) => {
    if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
    const tabs = $$("#tabs [data-view]");
    const i = tabs.indexOf(document.activeElement);
    if (i < 0) return;
    tabs[(i + (event.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length].focus();
  });
  $("#error .close").addEventListener("click", hideError);
  $("#doc .close").addEventListener("click", closeDoc);
  $("#doc .backdrop").addEventListener("click", closeDoc);
  $("#login form").addEventListener("submit", onLogin);
  $("#logout").addEventListener("click", onLogout);
  $("a.brand").addEventListener("click", (event) => {
    event.preventDefault();
    $("#q").value = "";
    go({ q: "", filters: [], skip: 0, sort: "relevance", view: "results", doc: null });
  });
  document.addEventListener("keydown", onGlobalKey);
  window.addEventListener("hashchange", route);
  showView(state.view);
  hidePanel();
  if (await checkAuth()) route();
  document.body.dataset.ready = "true";
}

main();
