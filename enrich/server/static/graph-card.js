// The graph view's side panel: a node's card (types, aliases, counts, its top
// neighbours with the evidence of each link, and the actions on the node), the evidence
// of one edge, and a shortest path's hops. What the actions do is graph.js's business:
// it passes them in, so this module only reads the API and builds the panel.

import { api } from "./api.js";
import { $, h, qs } from "./dom.js";
import { report } from "./errorbar.js";
import { fileName, fmt, labelText } from "./format.js";
import { typeColor } from "./graph-style.js";
import { go, hashOf, state } from "./router.js";

let seq = 0; // the panel's current content; an older answer arriving late is dropped

const panel = () => $("#graph-panel");

/** A coloured dot for an entity type (coloured by script: the page allows no inline styles). */
export function typeDot(type) {
  const dot = h("span", { class: "dot" });
  dot.style.background = typeColor(type);
  return dot;
}

/** The empty panel: what selecting a node or an edge does. */
export function hint() {
  seq++;
  panel().replaceChildren(h("p", { class: "muted hint" },
    "Click a node (or pick one from the entity list under the graph) for its card: aliases, top neighbours ",
    "and the evidence of each link. Click an edge for the evidence of that link. Drag a node to pin it; ",
    "scroll to zoom, drag the background to pan."));
}

/** The card of a node: `node` is its data in the view; `actions` are {filter, expand,
 * pin, path, hide, focus(key), inView(key)} from graph.js. */
export async function showCard(node, actions) {
  const mine = ++seq;
  const close = h("button", { type: "button", class: "close", "aria-label": "Close (Escape)", onclick: actions.close }, "×");
  const head = [close, h("h3", null, node.name),
    h("p", { class: "muted types" }, typeDot(node.type), ` ${node.type}`,
      node.hits != null ? ` · ${fmt(node.hits)} matching` : "",
      node.documents != null ? ` · ${fmt(node.documents)} documents` : "",
      node.mentions != null ? ` · ${fmt(node.mentions)} mentions` : ""),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "filter", onclick: () => actions.filter(node) }, "Filter"),
      h("button", { type: "button", class: "expand", disabled: node.expanded || null, onclick: () => actions.expand(node.id) },
        node.expanded ? "Expanded" : "Expand"),
      h("button", { type: "button", class: "pin", "aria-pressed": String(Boolean(node.pinned)), onclick: () => actions.pin(node.id) },
        node.pinned ? "Unpin" : "Pin"),
      h("button", { type: "button", class: "path", onclick: () => actions.path(node.id) }, "Path to…"),
      h("button", { type: "button", class: "hide", onclick: () => actions.hide(node.id) }, "Hide"))];
  panel().replaceChildren(...head, h("p", { class: "muted" }, "Loading the card…"));
  try {
    // the neighbours' answer carries the entity's card too: one request
    const near = await api("/api/graph/neighbors?" + qs({ entity: node.id, rank: "llr", limit: 8 }));
    if (mine !== seq) return;
    panel().replaceChildren(...head, details(near.entity), ...neighbours(node, near.neighbors || [], actions));
  } catch (exc) {
    if (mine !== seq) return;
    panel().replaceChildren(...head, h("p", { class: "muted" }, "The card could not be loaded."));
    report(exc);
  }
}

function details(card) {
  // the server folds whitespace and leaves out the aliases that are a name in another case
  const other = (n) => n.toLowerCase() !== String(card.name).replace(/\s+/g, " ").trim().toLowerCase();
  const names = Object.keys(card.names || {}).filter(other);
  const aliases = Object.keys(card.aliases || {}).filter(other).slice(0, 8);
  const acronyms = Object.keys(card.acronyms || {});
  const labels = Object.entries(card.labels || {}).map(([label, n]) => `${label} (${fmt(n)})`);
  const rows = [["Also named", names], ["Aliases", aliases], ["Acronyms", acronyms], ["Tagged as", labels]]
    .filter(([, values]) => values.length);
  return h("dl", { class: "card" }, rows.map(([term, values]) => [h("dt", null, term), h("dd", null, values.join(", "))]),
    card.description ? [h("dt", null, "Description"), h("dd", null, card.description)] : null);
}

function neighbours(node, rows, actions) {
  if (!rows.length) return [h("p", { class: "muted" }, "No co-occurring entities.")];
  return [h("h4", null, "Top neighbours"),
    h("ul", { class: "neighbors" }, rows.map((row) => {
      const body = h("div", { class: "link-evidence" });
      const item = h("details", {
        "data-key": row.key,
        ontoggle: () => item.open && !body.childElementCount && loadEvidence(node.id, row.key, body),
      }, h("summary", null, typeDot(row.type), ` ${row.name} `,
        h("span", { class: "n" }, `${fmt(row.count)} together · npmi ${fmt(row.npmi ?? 0)}`)), body);
      const there = actions.inView(row.key);
      return h("li", null, item, h("button", {
        type: "button", class: "link show", title: there ? "Select it in the graph" : "Add it to the graph, linked to this one",
        onclick: () => actions.focus(row, node.id),
      }, there ? "select" : "add"));
    }))];
}

async function loadEvidence(a, b, into) {
  into.replaceChildren(h("p", { class: "muted" }, "Loading the evidence…"));
  try {
    const data = await api("/api/graph/evidence?" + qs({ a, b, limit: 5 }));
    into.replaceChildren(...evidence(data));
  } catch (exc) {
    into.replaceChildren(h("p", { class: "muted" }, "The evidence could not be loaded."));
    report(exc);
  }
}

function evidence(data) {
  const items = (data.evidence || []).map(evidenceItem);
  return [scopesTable(data.scopes || {}),
    items.length ? h("ul", { class: "evidence" }, items) : h("p", { class: "muted" }, "No evidence found.")];
}

/** The evidence of the edge between `a` and `b` (node data), with a way back to `a`. */
export async function showEdge(a, b, back) {
  const mine = ++seq;
  const top = [h("button", { type: "button", class: "link back", onclick: back }, `← ${a.name}`),
    h("h3", null, `${a.name} & ${b.name}`)];
  panel().replaceChildren(...top, h("p", { class: "muted" }, "Loading the evidence…"));
  try {
    const data = await api("/api/graph/evidence?" + qs({ a: a.id, b: b.id, limit: 5 }));
    if (mine === seq) panel().replaceChildren(...top, ...evidence(data));
  } catch (exc) {
    if (mine === seq) panel().replaceChildren(...top, h("p", { class: "muted" }, "The evidence could not be loaded."));
    report(exc);
  }
}

/** Ask for the other end of a path (`from` is node data): a name typed or a node clicked. */
export function askPathEnd(from, names, pick, cancel) {
  seq++;
  const list = h("datalist", { id: "graph-path-names" }, names.map((n) => h("option", { value: n })));
  const input = h("input", { type: "text", name: "to", list: "graph-path-names", placeholder: "an entity's name",
    "aria-label": "Path to which entity" });
  panel().replaceChildren(
    h("button", { type: "button", class: "close", "aria-label": "Cancel", onclick: cancel }, "×"),
    h("h3", null, `Shortest path from ${from.name}`),
    h("p", { class: "muted" }, "Click the entity to reach in the graph, or type its name:"),
    h("form", { class: "path-to", onsubmit: (event) => { event.preventDefault(); if (input.value.trim()) pick(input.value.trim()); } },
      input, list, h("button", { type: "submit" }, "Find")));
  input.focus();
}

/** A short message in the panel (a path not found, a name not known), with a way back. */
export function showNote(title, text, back) {
  seq++;
  panel().replaceChildren(h("button", { type: "button", class: "close", "aria-label": "Close", onclick: back }, "×"),
    h("h3", null, title), h("p", { class: "note" }, text));
}

/** A shortest path's hops, each with the documents linking its two entities. */
export function showPath(answer, clear) {
  seq++;
  const hops = answer.hops || [];
  panel().replaceChildren(
    h("button", { type: "button", class: "close", "aria-label": "Clear the path", onclick: clear }, "×"),
    h("h3", null, hops.length ? `${hops[0].a_name} → ${hops[hops.length - 1].b_name}` : "Path"),
    h("p", { class: "muted" }, hops.length === 1 ? "They co-occur directly." : `${fmt(hops.length)} hops.`),
    h("ol", { class: "hops" }, hops.map((hop) => h("li", null,
      h("b", null, hop.a_name), " — ", h("b", null, hop.b_name),
      h("span", { class: "n" }, ` ${fmt(hop.count)} together · npmi ${fmt(hop.npmi ?? 0)}`),
      h("ul", { class: "evidence" }, (hop.evidence || []).map((ev) => h("li", null, docLink(ev.id, null, ev.title || ev.id))))))));
}

function scopesTable(scopes) {
  return h("table", { class: "scopes" }, h("tr", null, ["together in", "count", "documents", "npmi"].map((t) => h("th", null, t))),
    Object.entries(scopes).map(([scope, v]) => h("tr", null, h("td", null, scope), h("td", null, fmt(v.count)),
      h("td", null, fmt(v.documents)), h("td", null, fmt(v.npmi)))));
}

/** A link opening the document viewer (at `page` when given). */
function docLink(id, page, text) {
  if (!id) return h("span", null, text);
  const target = { doc: id, page: page || null };
  return h("a", { href: hashOf({ ...state, ...target }), "data-doc": id, "data-page": page || null,
    onclick: (event) => { event.preventDefault(); go(target); } }, text);
}

function evidenceItem(ev) {
  const id = ev.id;
  const pages = ev.pages || [];
  const snippets = [...new Set((ev.snippets || []).map(labelText).filter(Boolean))].slice(0, 3);
  return h("li", null, docLink(id, pages[0], ev.title || fileName(ev.uri)),
    pages.length ? h("span", { class: "muted" }, ` · page${pages.length > 1 ? "s" : ""} `,
      pages.slice(0, 8).map((p, i) => [i ? ", " : "", docLink(id, p, String(p))])) : null,
    snippets.map((text) => h("blockquote", null, text)));
}
