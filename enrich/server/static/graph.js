// The graph view: the entities of the matching documents and their co-occurrence
// edges as SVG (positions from graph-layout.js), and a side panel per node: filter by
// it, expand its strongest neighbours, read the evidence of an edge.

import { api } from "./api.js";
import { $, $$, h, qs, s } from "./dom.js";
import { report } from "./errorbar.js";
import { addFilter } from "./facets.js";
import { clamp01, fieldOfType, fileName, fmt, labelText, typeClass } from "./format.js";
import { layout, startAt } from "./graph-layout.js";
import { go, hashOf, state } from "./router.js";

const frame = { width: 1000, height: 620 }; // the viewBox, fitted to its box when a graph loads
const graph = { key: null, seq: 0, nodes: new Map(), edges: new Map(), selected: null, matches: null };

const edgeKey = (a, b) => (a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`);
const nodeSize = (node) => node.hits ?? (node.outside ? 0 : node.documents) ?? 0;
const radiusOf = (node) => Math.min(28, 6 + 3.2 * Math.sqrt(nodeSize(node) || 0));

/** Forget the graph shown, so the next load asks again (after signing in). */
export function forget() {
  graph.key = null;
}

/** Load the graph of the state's query and filters, unless it is already shown. */
export async function loadGraph(force = false) {
  const key = JSON.stringify([state.q, state.filters]);
  if (!force && key === graph.key) return;
  graph.key = key;
  const seq = ++graph.seq;
  $("#graph-info").textContent = "Loading the graph…";
  try {
    const data = await api("/api/graph/search?" + qs({ q: state.q.trim() || "*", filter: state.filters, limit: 30 }));
    if (seq !== graph.seq) return;
    frame.width = Math.max(480, Math.round($("#graph").clientWidth || 1000));
    frame.height = Math.round(Math.min(680, Math.max(420, frame.width * 0.62)));
    graph.nodes = new Map();
    graph.edges = new Map();
    graph.selected = null;
    graph.matches = data.matches;
    mergeGraph(data, null);
    layout(graph, frame, 400, 1);
    drawGraph();
    hidePanel();
  } catch (exc) {
    if (seq !== graph.seq) return;
    graph.key = null;
    $("#graph-info").textContent = "The graph could not be loaded.";
    report(exc);
  }
}

/** Add the nodes and edges of an answer; new nodes start around `around` (if any). */
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
    graph.nodes.set(n.id, { ...n, ...startAt(start + i, around, frame), outside: around != null && n.hits == null });
  });
  for (const e of data.edges || []) {
    if (!graph.nodes.has(e.source) || !graph.nodes.has(e.target) || e.source === e.target) continue;
    const key = edgeKey(e.source, e.target);
    if (!graph.edges.has(key)) graph.edges.set(key, { ...e });
  }
}

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
  const svg = s("svg", { viewBox: `0 0 ${frame.width} ${frame.height}`, "aria-label": "Entities co-occurring with the query", role: "group" });
  svg.append(s("g", { class: "edges" }, [...graph.edges.values()].map(edgeShape)),
    s("g", { class: "nodes" }, nodes.map(nodeShape)));
  const types = [...new Set(nodes.map((n) => n.type))].sort();
  const legend = h("ul", { class: "legend" }, types.map((t) => h("li", null, h("span", { class: `dot ent-${typeClass(t)}` }), t)));
  $("#graph").replaceChildren(svg, legend);
}

function edgeShape(e) {
  const a = graph.nodes.get(e.source);
  const b = graph.nodes.get(e.target);
  const w = clamp01(e.npmi);
  const near = graph.selected && (e.source === graph.selected || e.target === graph.selected);
  const ends = { x1: a.x.toFixed(1), y1: a.y.toFixed(1), x2: b.x.toFixed(1), y2: b.y.toFixed(1) };
  return s("g", { class: `edge${near ? " near" : ""}`, "data-source": e.source, "data-target": e.target, onclick: () => showEvidence(e) },
    s("title", null, `${a.name} — ${b.name}: ${fmt(e.hits ?? e.documents ?? e.count)} documents together, NPMI ${fmt(e.npmi ?? 0)}`),
    s("line", { ...ends, class: "edge-line", "stroke-width": (1 + 5 * w).toFixed(2), "stroke-opacity": (0.2 + 0.7 * w).toFixed(2) }),
    s("line", { ...ends, class: "edge-hit" }));
}

function nodeShape(node) {
  const r = radiusOf(node);
  const label = node.name.length > 28 ? node.name.slice(0, 27) + "…" : node.name;
  const classes = ["node", `t-${typeClass(node.type)}`];
  if (node.id === graph.selected) classes.push("selected");
  if (node.outside) classes.push("outside");
  if (node.expanded) classes.push("expanded");
  return s("g", {
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
}

function focusNode(id) {
  $$("#graph g.node").find((g) => g.dataset.key === id)?.focus();
}

/** Empty the side panel (no node selected): it says what selecting a node does. */
export function hidePanel() {
  graph.selected = null;
  $("#graph-panel").replaceChildren(h("p", { class: "muted hint" },
    "Select a node (click it, or Tab to it and press Enter) to filter the search by it, ",
    "expand its strongest neighbours, or read the evidence of its links."));
}

/** Unselect the selected node (Escape), keeping the keyboard focus on it; false if none. */
export function unselectNode() {
  const id = graph.selected;
  if (!id) return false;
  hidePanel();
  drawGraph();
  focusNode(id);
  return true;
}

function selectNode(id) {
  const node = graph.nodes.get(id);
  if (!node) return;
  graph.selected = id;
  drawGraph();
  focusNode(id);
  const links = [...graph.edges.values()]
    .filter((e) => e.source === id || e.target === id)
    .sort((a, b) => (b.npmi ?? 0) - (a.npmi ?? 0));
  $("#graph-panel").replaceChildren(
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
    layout(graph, frame, 250, 0.35);
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
    const items = (data.evidence || []).map(evidenceItem);
    panel.replaceChildren(back, h("h3", null, `${a.name} & ${b.name}`), scopesTable(data.scopes || {}),
      items.length ? h("ul", { class: "evidence" }, items) : h("p", { class: "muted" }, "No evidence found."));
  } catch (exc) {
    report(exc);
  }
}

function scopesTable(scopes) {
  return h("table", { class: "scopes" }, h("tr", null, ["together in", "count", "documents", "npmi"].map((t) => h("th", null, t))),
    Object.entries(scopes).map(([scope, v]) => h("tr", null, h("td", null, scope), h("td", null, fmt(v.count)), h("td", null, fmt(v.documents)), h("td", null, fmt(v.npmi)))));
}

function evidenceItem(ev) {
  const id = ev.id ?? ev.doc_id;
  const snippets = [...new Set((ev.snippets || []).map(labelText).filter(Boolean))].slice(0, 3);
  return h("li", null,
    id ? h("a", { href: hashOf({ ...state, doc: id }), onclick: (event) => { event.preventDefault(); go({ doc: id }); } }, ev.title || fileName(ev.uri))
      : h("span", null, ev.title || fileName(ev.uri)),
    (ev.pages || []).length ? h("span", { class: "muted" }, ` · page${ev.pages.length > 1 ? "s" : ""} ${ev.pages.join(", ")}`) : null,
    snippets.map((text) => h("blockquote", null, text)));
}
