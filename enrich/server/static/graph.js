// The graph view: the entities of the matching documents (or of the whole corpus) and
// their co-occurrence links, from one bounded request (/api/graph/view), drawn by
// Cytoscape.js (graph-view.js) with its looks from graph-style.js; the toolbar, legend
// and entity list in graph-controls.js; the side panel (node cards, evidence, paths) in
// graph-card.js; exports in graph-export.js. Everything a link should reproduce (limits,
// thresholds, looks, hidden types, expansions, pins, the selection, a path) is in the
// URL's g.* keys.

import { api } from "./api.js";
import { $, qs } from "./dom.js";
import { report } from "./errorbar.js";
import { addFilter } from "./facets.js";
import { fieldOfType, fmt } from "./format.js";
import * as card from "./graph-card.js";
import * as tools from "./graph-controls.js";
import * as exporter from "./graph-export.js";
import * as view from "./graph-view.js";
import { replace, state } from "./router.js";

const shown = { key: null, seq: 0, query: null, loading: false, answer: null, picking: null, cy: null };

const settingsNow = () => tools.settings(state.graph);
// what the server's answer depends on: a change of any of these loads the graph again
const viewKey = (st) => JSON.stringify([state.q, state.filters, st.limit, st.color === "community", st.exp, [...st.drop].sort()]);

/** Forget the graph shown, so the next load asks again (after signing in). */
export function forget() {
  shown.key = null;
}

function cy() {
  if (!shown.cy) {
    shown.cy = view.canvas($("#graph"), { node: onNode, edge: onEdge, background: onBackground, drag: onDrag });
    $("#graph-list").addEventListener("toggle", () => tools.entityList(shown.cy, pickFromList));
  }
  return shown.cy;
}

/** Save settings into the URL (no new history entry) without drawing again. */
function remember(st) {
  replace({ graph: tools.encode(st) });
}

/** Load the graph of the state's query, filters and settings, unless it is already
 * shown; then apply what the URL says about it (selection, path). */
export async function loadGraph(force = false) {
  const st = settingsNow();
  const key = viewKey(st);
  if (!force && key === shown.key) {
    if (!shown.loading && shown.cy) resync(st); // back, forward, a link in this tab
    return;
  }
  shown.key = key;
  const seq = ++shown.seq;
  const query = JSON.stringify([state.q, state.filters]);
  if (shown.query != null && shown.query !== query && (st.sel || st.from || st.exp.length || Object.keys(st.pin).length)) {
    // a new search: the selection, path, expansions and pins were the old graph's
    Object.assign(st, { sel: null, from: null, to: null, exp: [], pin: {} });
    remember(st);
    shown.key = viewKey(st);
  }
  shown.query = query;
  shown.loading = true;
  $("#graph-info").textContent = "Loading the graph…";
  try {
    const graph = cy();
    const query = state.q.trim() === "*" ? "" : state.q.trim();
    const answer = await api("/api/graph/view?" + qs({
      q: query || null, filter: state.filters, limit: st.limit, communities: st.color === "community" || null,
    }));
    const extra = await Promise.all(st.exp.map((id) => api("/api/graph/ego?" + qs({ entity: id, limit: 10 })).catch(() => null)));
    if (seq !== shown.seq) return;
    Object.assign(st, settingsNow()); // what changed in the URL while the answer came
    shown.answer = answer;
    const nodes = answer.nodes.filter((n) => !st.drop.has(n.id));
    view.show(nodes, answer.edges, st);
    for (const [i, more] of extra.entries()) {
      if (!more) continue;
      view.merge(more.nodes.filter((n) => !st.drop.has(n.id)), more.edges, st);
      graph.getElementById(st.exp[i]).data("expanded", true);
    }
    for (const [id, [x, y]] of Object.entries(st.pin)) {
      const node = graph.getElementById(id);
      if (node.nonempty()) node.position({ x, y }).addClass("pinned").data("pinned", true);
    }
    applyFilter(st);
    view.layout(false);
    view.fit();
    describe(answer, st);
    shown.loading = false;
    await restoreDetails(st, seq);
  } catch (exc) {
    if (seq !== shown.seq) return;
    shown.loading = false;
    shown.key = null;
    $("#graph-info").textContent = "The graph could not be loaded.";
    report(exc);
  }
}

/** Show what the URL says when only the display changed (thresholds, looks, hidden
 * types, the selection, the path): no new request unless a path must be found. */
function resync(st) {
  applyFilter(st);
  view.repaint(st);
  const selected = cy().nodes(":selected").map((n) => n.id())[0] || null;
  const path = shown.pathEnds || [null, null];
  if (st.from && st.to) {
    if (st.from !== path[0] || st.to !== path[1]) findPath(st.from, st.to, shown.seq);
  } else if (path[0] || (st.sel || null) !== selected) {
    showSelection(st.sel, false);
  }
}

async function restoreDetails(st, seq) {
  if (st.from && st.to) await findPath(st.from, st.to, seq);
  else showSelection(st.sel, false);
}

function describe(answer, st) {
  const graph = cy();
  const n = graph.nodes().length;
  const matches = answer.matches;
  $("#graph-info").textContent = !n
    ? "No entities in the matching documents."
    : `${fmt(n)} entities${matches != null ? ` in ${fmt(matches)} matching document${matches === 1 ? "" : "s"}` : " of the whole collection"}. `
      + `Node size: ${st.size}; edge width: ${st.width === "count" ? "co-occurrences" : st.width.toUpperCase()}. `
      + (answer.dropped_edges ? `${fmt(answer.dropped_edges)} weaker links left out. ` : "")
      + "Labels that would overlap are hidden until you zoom in or point at the node.";
  $("#graph").dataset.nodes = String(n);
  $("#graph").dataset.edges = String(graph.edges().length);
  tools.toolbar(st, { nodes: n, edges: graph.edges(":visible").length, more: answer.more }, {
    change: changeSettings, more: showMore, unhide, fit: () => view.fit(), relayout, exportAs,
  });
  tools.legend(graph, st, toggleType);
  tools.entityList(graph, pickFromList);
}

function applyFilter(st) {
  view.filter({ hiddenTypes: st.hide, minCount: st.count, minNpmi: st.npmi, minLlr: st.llr });
}

/** A setting changed in the toolbar: those the server answers reload, others restyle. */
function changeSettings(patch, reload = false) {
  const st = { ...settingsNow(), ...patch };
  remember(st);
  if (reload) {
    loadGraph();
    return;
  }
  if ("size" in patch || "width" in patch) {
    view.repaint(st);
  }
  applyFilter(st);
  describe(shown.answer || { nodes: [], edges: [] }, st);
}

function showMore() {
  const st = settingsNow();
  st.limit = Math.min(tools.MAX_NODES, st.limit * 2);
  remember(st);
  loadGraph();
}

function unhide() {
  const st = settingsNow();
  st.drop.clear();
  remember(st);
  loadGraph(); // the hidden entities come back with the server's answer
}

function relayout() {
  view.layout(false);
  view.fit();
}

function toggleType(type) {
  const st = settingsNow();
  const before = cy().nodes(":visible").map((n) => n.id());
  const showing = st.hide.has(type);
  if (showing) st.hide.delete(type);
  else st.hide.add(type);
  remember(st);
  applyFilter(st);
  if (showing) view.layout(true, before); // its nodes may never have been laid out
  tools.legend(cy(), st, toggleType);
  tools.entityList(cy(), pickFromList);
}

async function exportAs(format) {
  const graph = cy();
  const name = `enrich-graph${state.q ? "-" + state.q.replace(/[^\w-]+/g, "_").slice(0, 40) : ""}`;
  try {
    if (format === "png") exporter.download(await exporter.png(graph), `${name}.png`);
    if (format === "svg") exporter.download(exporter.svg(graph), `${name}.svg`);
    if (format === "gexf") exporter.download(exporter.gexf(graph, `enrich graph of ${state.q || "all documents"}`), `${name}.gexf`);
    if (format === "json") exporter.download(exporter.json(graph, { q: state.q, filters: state.filters, ...tools.encode(settingsNow()) }), `${name}.json`);
  } catch (exc) {
    report(exc);
  }
}

// ----------------------------------------------------------------- interaction

function onNode(id) {
  if (shown.picking) {
    const from = shown.picking;
    shown.picking = null;
    if (from !== id) findPath(from, id, shown.seq);
    return;
  }
  selectNode(id);
}

function onEdge(source, target) {
  const graph = cy();
  const a = graph.getElementById(source).data();
  const b = graph.getElementById(target).data();
  card.showEdge(a, b, () => selectNode(a.id));
}

function onBackground() {
  if (shown.picking) return;
  unselectNode();
}

function onDrag(id) {
  const node = cy().getElementById(id);
  node.addClass("pinned").data("pinned", true);
  const st = settingsNow();
  const p = node.position();
  st.pin[id] = [Math.round(p.x), Math.round(p.y)];
  remember(st);
}

function pickFromList(id) {
  selectNode(id);
  const node = cy().getElementById(id);
  if (node.nonempty()) cy().animate({ center: { eles: node }, duration: 200 });
}

/** Empty the side panel (no node selected). */
export function hidePanel() {
  card.hint();
}

/** Unselect the selected node or path (Escape); false if there was none. */
export function unselectNode() {
  const st = settingsNow();
  if (!st.sel && !st.from && !shown.picking) return false;
  shown.picking = null;
  showSelection(null, true);
  return true;
}

function selectNode(id) {
  if (cy().getElementById(id).nonempty()) showSelection(id, true);
}

/** Show `id` selected with its card (null, or a node not drawn: nothing selected, the
 * hint), and no path; with `save`, the URL says so too. */
function showSelection(id, save) {
  const node = id ? cy().getElementById(id) : null;
  const shownId = node && node.nonempty() ? id : null;
  if (save) {
    const st = settingsNow();
    Object.assign(st, { sel: shownId, from: null, to: null });
    remember(st);
  }
  shown.pathEnds = null;
  view.markPath([]);
  view.select(shownId);
  if (shownId) card.showCard(node.data(), actions);
  else card.hint();
}

const actions = {
  close: () => unselectNode(),
  filter: (node) => addFilter(fieldOfType(node.type), node.name, { view: "results" }),
  expand: (id) => expandNode(id),
  pin: (id) => togglePin(id),
  hide: (id) => dropNode(id),
  path: (id) => {
    shown.picking = id;
    const graph = cy();
    card.askPathEnd(graph.getElementById(id).data(), graph.nodes().map((n) => n.data("name")).sort(),
      (name) => { shown.picking = null; findPath(id, name, shown.seq); },
      () => { shown.picking = null; selectNode(id); });
  },
  inView: (key) => cy().getElementById(key).nonempty(),
  focus: (row, from) => {
    if (cy().getElementById(row.key).empty()) {
      const st = settingsNow();
      view.merge([{ id: row.key, name: row.name, type: row.type }],
        [{ source: from, target: row.key, count: row.count, documents: row.documents, npmi: row.npmi, llr: row.llr }], st, from);
      view.layout(true);
    }
    pickFromList(row.key);
  },
};

async function expandNode(id) {
  if (shown.loading) return; // the graph is being replaced; its answer decides
  const graph = cy();
  const seq = shown.seq;
  try {
    const data = await api("/api/graph/ego?" + qs({ entity: id, limit: 10 }));
    if (seq !== shown.seq) return;
    const st = settingsNow();
    const before = graph.nodes().map((n) => n.id());
    view.merge(data.nodes.filter((n) => !st.drop.has(n.id)), data.edges, st, id);
    graph.getElementById(id).data("expanded", true);
    view.layout(true, before);
    if (!st.exp.includes(id)) st.exp.push(id);
    shown.key = viewKey(st);
    remember(st);
    applyFilter(st);
    describe(shown.answer, st);
    selectNode(id);
  } catch (exc) {
    report(exc);
  }
}

function togglePin(id) {
  const node = cy().getElementById(id);
  const st = settingsNow();
  if (node.hasClass("pinned")) {
    node.removeClass("pinned").data("pinned", false);
    delete st.pin[id];
  } else {
    const p = node.position();
    node.addClass("pinned").data("pinned", true);
    st.pin[id] = [Math.round(p.x), Math.round(p.y)];
  }
  remember(st);
  card.showCard(node.data(), actions);
}

function dropNode(id) {
  const st = settingsNow();
  st.drop.add(id);
  delete st.pin[id];
  st.exp = st.exp.filter((k) => k !== id);
  Object.assign(st, { sel: null, from: null, to: null });
  shown.key = viewKey(st);
  remember(st);
  cy().getElementById(id).remove();
  showSelection(null, false);
  describe(shown.answer, st);
}

async function findPath(from, to, seq) {
  try {
    const answer = await api("/api/graph/path?" + qs({ a: from, b: to }));
    if (seq !== shown.seq) return;
    const st = settingsNow();
    const keys = [answer.a, ...(answer.hops || []).map((hop) => hop.b)];
    const added = view.merge((answer.nodes || []).filter((n) => !st.drop.has(n.id)), answer.edges || [], st, from);
    if (added.length) view.layout(true, cy().nodes().map((n) => n.id()).filter((k) => !added.includes(k)));
    st.from = answer.a;
    st.to = answer.b;
    shown.pathEnds = [answer.a, answer.b];
    st.sel = null;
    remember(st);
    view.select(null);
    view.markPath(keys);
    view.fit(cy().elements(".path"));
    card.showPath(answer, () => unselectNode());
  } catch (exc) {
    if (seq !== shown.seq) return;
    if (exc.code === "no_path" || exc.code === "entity_not_found" || exc.code === "ambiguous_entity") {
      card.showNote("No path", exc.message, () => selectNode(from));
    } else {
      report(exc);
    }
  }
}
