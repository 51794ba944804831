// The document viewer: a dialog over the page (#doc=ID in the URL) with the facts,
// entity chips, the text of each page with its entity mentions marked, page images,
// and the embedded images with their tags, labels and text.

import { api } from "./api.js";
import { $, $$, h, safeUrl, withParam } from "./dom.js";
import { report } from "./errorbar.js";
import { FACET_NAMES, filterChip } from "./facets.js";
import { fileName, fmt, kv, labelText, prettyUri, typeClass } from "./format.js";
import { go, hashOf, state } from "./router.js";

const docView = { id: null, seq: 0, returnFocus: null, page: null, loading: false };
const FIRST_PAGES = 30; // the others behind a button

export function init() {
  $("#doc .close").addEventListener("click", closeDoc);
  $("#doc .backdrop").addEventListener("click", closeDoc);
}

/** Forget which document is shown, so the next open loads it again (after signing in). */
export function forget() {
  docView.id = null;
}

/** Whether the document dialog is open. */
export const docOpen = () => !$("#doc").hidden;

/** Leave the document (the URL changes; the router closes the dialog). */
export function closeDoc() {
  go({ doc: null });
}

/** Open the dialog and load document `id` into it (at `page`, when given); focus moves
 * to its close button. */
export async function openDoc(id, page = null) {
  const panel = $("#doc");
  if (docView.id === id && !panel.hidden) {
    if (page && !docView.loading) showPage(page);
    docView.page = page;
    return;
  }
  if (panel.hidden) docView.returnFocus = document.activeElement;
  docView.id = id;
  docView.page = page;
  docView.loading = true;
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
    docView.loading = false;
    if (docView.page) showPage(docView.page);
    if (isMessage(doc)) loadThread(doc.id, seq);
  } catch (exc) {
    if (seq !== docView.seq) return;
    docView.loading = false;
    body.replaceChildren(h("h2", { id: "doc-title" }, "Document"), h("p", { class: "muted" }, exc.message || "Cannot load the document."));
    report(exc);
  }
}

/** Scroll to page `number` (shown first, if behind the "other pages" button) and mark it. */
function showPage(number) {
  let section = $(`#doc .page[data-page="${Number(number)}"]`);
  if (!section) {
    $("#doc .pages button.more")?.click();
    section = $(`#doc .page[data-page="${Number(number)}"]`);
  }
  $$("#doc .page.target").forEach((s) => s.classList.remove("target"));
  if (!section) return;
  section.classList.add("target");
  section.scrollIntoView({ block: "start" });
}

/** Close the dialog; focus goes back where it was (or to the document's result). */
export function closeDocPanel() {
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

function renderDoc(doc) {
  const entities = doc.entities || [];
  const images = doc.images || [];
  const out = [...heading(doc), facts(doc)];
  if ((doc.warnings || []).length) {
    out.push(h("details", { class: "warnings" }, h("summary", null, `${doc.warnings.length} warning${doc.warnings.length === 1 ? "" : "s"}`),
      h("ul", null, doc.warnings.map((w) => h("li", null, typeof w === "object" ? labelText(w.message ?? w) : String(w))))));
  }
  if (doc.metadata && Object.keys(doc.metadata).length) {
    out.push(h("details", { class: "metadata" }, h("summary", null, "Metadata"), kv(doc.metadata)));
  }
  if (isMessage(doc)) out.push(h("section", { class: "thread" }, h("h3", null, "Thread"), h("p", { class: "muted" }, "Loading…")));
  out.push(...fieldChips(doc.fields || {}, entities));
  const text = textSection(doc, entities);
  if (text) out.push(text);
  if (images.length) {
    out.push(h("section", { class: "images" }, h("h3", null, `Images (${images.length})`), images.map(imageBlock)));
  }
  return out;
}

function heading(doc) {
  const out = [h("h2", { id: "doc-title" }, doc.title || fileName(doc.uri) || doc.id),
    h("p", { class: "uri" }, prettyUri(doc.source_uri || doc.uri))];
  const file = safeUrl(doc.file);
  if (file) {
    out.push(h("p", { class: "links" },
      h("a", { href: file, target: "_blank", rel: "noopener", class: "open-file" }, "Open original"),
      h("a", { href: withParam(file, "download", "true"), download: fileName(doc.uri) || "", class: "download" }, "Download")));
  }
  return out;
}

function facts(doc) {
  const values = {
    "content type": doc.content_type, "file type": doc.file_type,
    language: (doc.fields?.language || []).join(", "), status: doc.status,
    pages: (doc.pages || []).length, images: (doc.images || []).length, entities: (doc.entities || []).length,
  };
  const dl = h("dl", { class: "facts" });
  for (const [key, value] of Object.entries(values)) {
    if (value !== "" && value != null) dl.append(h("dt", null, key), h("dd", { class: key === "status" ? `status-${typeClass(value)}` : null }, fmt(value)));
  }
  return dl;
}

const isMessage = (doc) => ["message_id", "in_reply_to", "references"].some((k) => doc.metadata?.[k]);

/** The mail thread of message `id` (GET /api/documents/ID/thread), each message linked. */
async function loadThread(id, seq) {
  let thread;
  try {
    thread = await api(`/api/documents/${encodeURIComponent(id)}/thread`);
  } catch (exc) {
    if (seq === docView.seq) $("#doc .thread")?.replaceChildren(h("h3", null, "Thread"), h("p", { class: "muted" }, exc.message || "No thread."));
    return;
  }
  const section = $("#doc .thread");
  if (seq !== docView.seq || !section) return;
  const n = thread.messages.length;
  section.replaceChildren(h("h3", null, `Thread (${n} message${n === 1 ? "" : "s"})`),
    h("ol", { class: "thread-list" }, thread.messages.map((m) => threadItem(m, id))));
}

function threadItem(m, current) {
  const label = m.subject || m.title || fileName(m.uri) || m.doc_id;
  const who = (m.from || []).join(", ");
  const when = m.date ? String(m.date).replace("T", " ").slice(0, 16) : "";
  const open = (event) => {
    if (event.button === 0 && !event.ctrlKey && !event.metaKey && !event.shiftKey) {
      event.preventDefault();
      go({ doc: m.doc_id, page: null });
    }
  };
  const title = m.doc_id === current
    ? h("strong", { "aria-current": "true" }, label)
    : h("a", { href: hashOf({ ...state, doc: m.doc_id, page: null }), onclick: open, "data-id": m.doc_id }, label);
  const item = h("li", { class: "thread-message", "data-depth": m.depth },
    title, h("span", { class: "muted" }, [who, when].filter(Boolean).join(" · ")),
    m.missing_parent ? h("span", { class: "badge", title: `In reply to ${m.missing_parent}, which is not indexed` }, "reply to a missing message") : null);
  item.style.marginLeft = `${Math.min(m.depth, 8) * 18}px`; // CSSOM: the CSP forbids style attributes
  return item;
}

/** A row of filter chips per keyword field; a chip leaves the document for the results. */
function fieldChips(fields, entities) {
  const close = { doc: null };
  const typeOf = new Map(entities.map((e) => [e.name, e.type]));
  const out = [];
  for (const field of ["keyphrases", "people", "organizations", "locations", "entities", "tags", "labels"]) {
    const values = fields[field] || [];
    if (!values.length) continue;
    out.push(h("div", { class: "doc-field", "data-field": field },
      h("span", { class: "field-name" }, FACET_NAMES[field] || field),
      h("div", { class: "chips" }, values.slice(0, 40).map((v) => filterChip(field, String(v), close, field === "entities" ? typeOf.get(v) : null)))));
  }
  return out;
}

/** The pages (the first ones, the others behind a button), or else the whole text. */
function textSection(doc, entities) {
  const pages = doc.pages || [];
  const byPage = new Map();
  const loose = [];
  for (const e of entities) {
    if (e.page == null) loose.push(e);
    else {
      if (!byPage.has(e.page)) byPage.set(e.page, []);
      byPage.get(e.page).push(e);
    }
  }
  if (!pages.length) {
    if (typeof doc.content !== "string" || !doc.content) return null;
    return h("section", { class: "pages" }, h("h3", null, "Text"), h("div", { class: "page-text" }, markedText(doc.content, loose)));
  }
  const block = (p) => pageBlock(p, byPage.get(p.number) || [], pages.length);
  const section = h("section", { class: "pages" }, h("h3", null, pages.length === 1 ? "Text" : `Pages (${pages.length})`));
  pages.slice(0, FIRST_PAGES).forEach((p) => section.append(block(p)));
  if (pages.length > FIRST_PAGES) {
    const more = h("button", { type: "button", class: "more" }, `Show the other ${pages.length - FIRST_PAGES} pages`);
    more.addEventListener("click", () => more.replaceWith(...pages.slice(FIRST_PAGES).map(block)));
    section.append(more);
  }
  return section;
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
