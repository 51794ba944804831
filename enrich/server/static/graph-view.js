// The graph canvas: one Cytoscape.js instance (vendor/, loaded as classic scripts
// before the modules), its elements, the fcose force layout, and label decluttering:
// after each layout, zoom and pan, labels that would overlap a larger node's label are
// hidden (hover or select a node to read it; zoom in and they come back).

import { labelWidth, paint, shortLabel, stylesheet } from "./graph-style.js";

const LARGE = 400; // nodes above which the layout runs in draft quality without label boxes
const FIT_MAX_ZOOM = 1.6;
const CY_SHEET = "__________cytoscape_stylesheet";

let cy = null;
let declutterTimer = 0;
const timings = {}; // ms of the last build, layout and declutter (read by the tests)

/** The Cytoscape instance (created on first use inside `container`), with `on` handlers
 * {node(id), edge(source, target), background(), drag(id)}. */
export function canvas(container, on) {
  if (cy) return cy;
  const cytoscape = window.cytoscape;
  if (!document.getElementById(CY_SHEET)) {
    // Cytoscape injects a <style> unless an element with this id exists, and the page's
    // CSP refuses inline styles; its one rule (#graph is position: relative) is in graph.css
    document.head.append(Object.assign(document.createElement("meta"), { id: CY_SHEET }));
  }
  if (!cytoscape) throw new Error("the graph library (static/vendor/cytoscape.min.js) did not load");
  if (window.cytoscapeFcose && !cytoscape.prototype.hasFcose) {
    cytoscape.use(window.cytoscapeFcose);
    cytoscape.prototype.hasFcose = true;
  }
  cy = cytoscape({
    container, style: stylesheet(), minZoom: 0.05, maxZoom: 6,
    boxSelectionEnabled: false, selectionType: "single", textureOnViewport: false,
  });
  cy.on("tap", "node", (event) => on.node(event.target.id()));
  cy.on("tap", "edge", (event) => on.edge(event.target.data("source"), event.target.data("target")));
  cy.on("tap", (event) => { if (event.target === cy) on.background(); });
  cy.on("mouseover", "node", (event) => event.target.addClass("hover"));
  cy.on("mouseout", "node", (event) => event.target.removeClass("hover"));
  cy.on("dragfree", "node", (event) => on.drag(event.target.id()));
  cy.on("viewport", () => scheduleDeclutter());
  window.enrichGraph = { cy, timings }; // for the console and the browser tests
  return cy;
}

/** Node and edge elements of an API answer's nodes and edges (those not there yet). */
function elementsOf(nodes, edges, outside) {
  const els = [];
  const added = new Set();
  const there = (id) => added.has(id) || cy.getElementById(id).nonempty();
  for (const n of nodes) {
    if (!n || n.id == null || there(n.id)) continue;
    added.add(n.id);
    els.push({ group: "nodes", data: { ...n, id: n.id, label: shortLabel(n.name) }, classes: outside ? "outside" : "" });
  }
  for (const e of edges) {
    const id = e && edgeId(e.source, e.target);
    if (!e || e.source === e.target || !there(e.source) || !there(e.target) || there(id)) continue;
    added.add(id);
    els.push({ group: "edges", data: { ...e, id } });
  }
  return els;
}

/** The id of the edge between two entity keys (either order). */
const edgeId = (a, b) => (a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`);

/** Replace the elements with these nodes and edges. */
export function show(nodes, edges, settings) {
  const t0 = performance.now();
  cy.batch(() => {
    cy.elements().remove();
    cy.add(elementsOf(nodes, edges, false));
    degrees();
    paint(cy, settings);
  });
  timings.build = performance.now() - t0;
}

/** Add the nodes and edges of an answer (an expansion, a path); new nodes start around
 * `around` (an entity key) when given. Returns the ids of the nodes added. */
export function merge(nodes, edges, settings, around = null) {
  const els = elementsOf(nodes, edges, true);
  const centre = around && cy.getElementById(around).nonempty() ? cy.getElementById(around).position() : null;
  let i = 0;
  for (const el of els) {
    if (el.group !== "nodes") continue;
    if (centre) {
      const angle = i * 2.39996;
      const r = 60 + 14 * Math.sqrt(i++);
      el.position = { x: centre.x + r * Math.cos(angle), y: centre.y + r * Math.sin(angle) };
    }
  }
  cy.batch(() => {
    cy.add(els);
    degrees();
    paint(cy, settings);
  });
  return els.filter((el) => el.group === "nodes").map((el) => el.data.id);
}

function degrees() {
  cy.nodes().forEach((n) => n.data("degree", n.connectedEdges().length));
}

/** Run the force layout on the visible elements, seeded so that the same graph gets the
 * same picture; pinned nodes (and those whose ids are in `keep`) stay where they are.
 * `incremental` starts from the current positions (after an expansion) instead of a
 * fresh spectral start. */
export function layout(incremental = false, keep = []) {
  const eles = cy.elements(":visible");
  const nodes = eles.nodes();
  if (!nodes.length) return;
  const large = nodes.length > LARGE;
  // fcose's draft is a fresh spectral layout only, and its refinement takes minutes at
  // this size: new nodes of a large graph keep the spiral merge() gave them
  if (large && incremental) return;
  const held = new Set(keep);
  const still = nodes.filter((n) => n.hasClass("pinned") || held.has(n.id()));
  const fixed = still.map((n) => ({ nodeId: n.id(), position: { ...n.position() } }));
  const t0 = performance.now();
  const locked = still.filter((n) => !n.locked()).lock(); // layouts leave locked nodes where they are
  seeded(() => eles.layout({
    name: window.cytoscapeFcose ? "fcose" : "cose",
    quality: large ? "draft" : "default", randomize: !incremental, animate: false, fit: false,
    nodeDimensionsIncludeLabels: !large, packComponents: true, tile: true,
    nodeRepulsion: () => 9000, idealEdgeLength: () => 90, edgeElasticity: () => 0.3,
    nodeSeparation: large ? 40 + nodes.length / 10 : 60, numIter: 2500,
    fixedNodeConstraint: fixed.length ? fixed : undefined,
  }).run());
  if (!large) separateLabels(nodes);
  locked.unlock();
  if (!incremental) packComponents(eles);
  timings.layout = performance.now() - t0;
}

/** Place the connected components in rows, largest first, filling a band as wide as the
 * canvas is relative to its height (the layout leaves small components far out, so the
 * fit would zoom out until labels are unreadable). */
function packComponents(eles) {
  const all = eles.components();
  // components holding a pinned node stay where they are; the others go in rows below them
  const held = all.filter((c) => c.nodes(".pinned").nonempty());
  const parts = all.filter((c) => c.nodes(".pinned").empty())
    .map((c) => ({ c, box: c.nodes().boundingBox({ includeLabels: true }) }))
    .sort((a, b) => b.box.w * b.box.h - a.box.w * a.box.h);
  if (!parts.length || (parts.length < 2 && !held.length)) return;
  const gap = 30;
  const area = parts.reduce((sum, p) => sum + (p.box.w + gap) * (p.box.h + gap), 0);
  const band = Math.max(parts[0].box.w, Math.sqrt(area * (cy.width() / Math.max(1, cy.height()))));
  const fixedBox = held.length ? cy.collection(held.flatMap((c) => c.nodes().toArray())).boundingBox({ includeLabels: true }) : null;
  const left = fixedBox ? fixedBox.x1 : 0;
  let x = left;
  let y = fixedBox ? fixedBox.y2 + gap : 0;
  let row = 0;
  cy.batch(() => {
    for (const { c, box } of parts) {
      if (x > left && x - left + box.w > band) {
        x = left;
        y += row + gap;
        row = 0;
      }
      const dx = x - box.x1;
      const dy = y - box.y1;
      c.nodes().positions((n) => ({ x: n.position("x") + dx, y: n.position("y") + dy }));
      x += box.w + gap;
      row = Math.max(row, box.h);
    }
  });
}

/** Push apart the nodes whose boxes (the circle and the label to its right, at zoom 1)
 * overlap, along the axis that overlaps least, until none do (Gephi's "label adjust"):
 * the force layout spaces nodes, this makes their labels readable. Pinned nodes and
 * those held by the layout stay put. */
function separateLabels(nodes, rounds = 80) {
  const items = nodes.map((n) => {
    const r = n.data("size") / 2;
    return { n, x: n.position("x"), y: n.position("y"), left: r + 2, right: r + 10 + labelWidth(n.data("label")),
      half: Math.max(r, 9) + 3, fixed: n.hasClass("pinned") || n.locked() };
  });
  for (let round = 0; round < rounds; round++) {
    let moved = false;
    for (let i = 0; i < items.length; i++) {
      const a = items[i];
      for (let j = i + 1; j < items.length; j++) {
        const b = items[j];
        const ox = Math.min(a.x + a.right, b.x + b.right) - Math.max(a.x - a.left, b.x - b.left);
        const oy = Math.min(a.y + a.half, b.y + b.half) - Math.max(a.y - a.half, b.y - b.half);
        if (ox <= 0 || oy <= 0 || (a.fixed && b.fixed)) continue;
        moved = true;
        const share = a.fixed || b.fixed ? 1 : 0.5;
        if (oy <= ox) {
          const d = (oy + 1) * share * (a.y < b.y || (a.y === b.y && i < j) ? -1 : 1);
          if (!a.fixed) a.y += d;
          if (!b.fixed) b.y -= d;
        } else {
          const d = (ox + 1) * share * (a.x < b.x ? -1 : 1);
          if (!a.fixed) a.x += d;
          if (!b.fixed) b.x -= d;
        }
      }
    }
    if (!moved) break;
  }
  cy.batch(() => items.forEach((it) => { if (!it.fixed) it.n.position({ x: it.x, y: it.y }); }));
}

/** Run `fn` with Math.random replaced by a fixed-seed generator (the layout's spectral
 * start samples nodes at random), so a link shows the same picture again. */
function seeded(fn, seed = 20201) {
  const random = Math.random;
  let s = seed >>> 0;
  Math.random = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  try {
    return fn();
  } finally {
    Math.random = random;
  }
}

/** Size and colour the elements again after a change of the settings. */
export function repaint(settings) {
  paint(cy, settings);
  declutter();
}

/** Fit the visible graph into the canvas (not zooming in past FIT_MAX_ZOOM). */
export function fit(eles = null) {
  cy.resize();
  cy.fit(eles || cy.elements(":visible"), 30);
  if (cy.zoom() > FIT_MAX_ZOOM) {
    cy.zoom(FIT_MAX_ZOOM);
    cy.center(eles || cy.elements(":visible"));
  }
  declutter();
}

function scheduleDeclutter() {
  clearTimeout(declutterTimer);
  declutterTimer = setTimeout(declutter, 80);
}

/** Hide the labels that would overlap another label (or a node) already placed, placing
 * the selected node first, then larger nodes first; returns the number of labels shown. */
function declutter() {
  if (!cy) return 0;
  const t0 = performance.now();
  const zoom = cy.zoom();
  const width = cy.width();
  const height = cy.height();
  const cell = 80;
  const grid = new Map();
  const put = (box) => {
    for (let gx = Math.floor(box.x1 / cell); gx <= Math.floor(box.x2 / cell); gx++) {
      for (let gy = Math.floor(box.y1 / cell); gy <= Math.floor(box.y2 / cell); gy++) {
        const key = `${gx},${gy}`;
        if (!grid.has(key)) grid.set(key, []);
        grid.get(key).push(box);
      }
    }
  };
  const nodes = cy.nodes(":visible").toArray();
  const onScreen = nodes.filter((n) => {
    const p = n.renderedPosition();
    return p.x > -200 && p.y > -50 && p.x < width + 50 && p.y < height + 50;
  });
  for (const n of onScreen) {
    const p = n.renderedPosition();
    const r = (n.data("size") * zoom) / 2;
    put({ x1: p.x - r, y1: p.y - r, x2: p.x + r, y2: p.y + r, node: n.id() });
  }
  onScreen.sort((a, b) => Number(b.selected()) - Number(a.selected()) || b.data("size") - a.data("size")
    || (b.data("degree") || 0) - (a.data("degree") || 0) || (a.id() < b.id() ? -1 : 1));
  let shown = 0;
  cy.batch(() => {
    const hidden = new Set(nodes.map((n) => n.id()));
    for (const n of onScreen) {
      const p = n.renderedPosition();
      const r = (n.data("size") * zoom) / 2;
      const w = (labelWidth(n.data("label")) + 4) * zoom;
      const hh = 9 * zoom;
      const box = { x1: p.x + r + 2 * zoom, y1: p.y - hh, x2: p.x + r + 2 * zoom + w, y2: p.y + hh };
      const clear = !overlapsOthers(box, n.id(), grid, cell);
      if (clear || n.selected()) {
        put(box);
        hidden.delete(n.id());
        shown++;
      }
    }
    nodes.forEach((n) => n.toggleClass("nolabel", hidden.has(n.id())));
  });
  timings.declutter = performance.now() - t0;
  return shown;
}

/** Whether `box` overlaps a placed box other than its own node's circle. */
function overlapsOthers(box, id, grid, cell) {
  for (let gx = Math.floor(box.x1 / cell); gx <= Math.floor(box.x2 / cell); gx++) {
    for (let gy = Math.floor(box.y1 / cell); gy <= Math.floor(box.y2 / cell); gy++) {
      for (const other of grid.get(`${gx},${gy}`) || []) {
        if (other.node === id) continue;
        if (box.x1 < other.x2 && other.x1 < box.x2 && box.y1 < other.y2 && other.y1 < box.y2) return true;
      }
    }
  }
  return false;
}

/** Select one node (null: none), fade what is not linked to it, and keep its label. */
export function select(id) {
  cy.batch(() => {
    cy.elements().unselect().removeClass("near faded");
    const node = id ? cy.getElementById(id) : null;
    if (node && node.nonempty()) {
      node.select();
      const hood = node.closedNeighborhood();
      node.connectedEdges().addClass("near");
      cy.elements().not(hood).addClass("faded");
    }
  });
  declutter();
}

/** Mark a chain of entity keys (a shortest path) and fade everything else; [] clears. */
export function markPath(keys) {
  cy.batch(() => {
    cy.elements().removeClass("path");
    if (!keys.length) return;
    const nodes = cy.collection(keys.map((k) => cy.getElementById(k)).filter((n) => n.nonempty()));
    nodes.addClass("path").removeClass("hidden");
    for (let i = 0; i + 1 < keys.length; i++) cy.getElementById(edgeId(keys[i], keys[i + 1])).addClass("path").removeClass("hidden");
    cy.elements().not(cy.elements(".path")).addClass("faded");
  });
}

/** Show only the nodes of types not in `hiddenTypes` and the edges passing the thresholds
 * (an unknown NPMI, a pair never together in that scope, fails any NPMI threshold). */
export function filter({ hiddenTypes, minCount, minNpmi, minLlr }) {
  cy.batch(() => {
    cy.nodes().forEach((n) => n.toggleClass("hidden", hiddenTypes.has(n.data("type")) && !n.hasClass("path")));
    cy.edges().forEach((e) => {
      if (e.hasClass("path")) return; // a path stays whole, whatever the thresholds
      const d = e.data();
      const weak = (d.count ?? 0) < minCount || (minNpmi > -1 && (d.npmi ?? -1) < minNpmi)
        || (minLlr > 0 && (d.llr ?? 0) < minLlr);
      e.toggleClass("hidden", weak);
    });
  });
  scheduleDeclutter();
}
