// The graph on screen as files: PNG (Cytoscape's renderer), SVG (drawn here from the
// positions, sizes and colours on screen: Cytoscape has no SVG output of its own and the
// SVG extension is GPL), GEXF 1.3 for Gephi (with positions, colours and sizes) and JSON.

const XML = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };
// XML 1.0 forbids most control characters, even escaped
const esc = (value) => String(value ?? "").replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "").replace(/[&<>"']/g, (c) => XML[c]);
const num = (x) => (Number.isFinite(x) ? Number(x.toFixed(2)) : 0);

/** Save `blob` as a download named `name`. */
export function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

const visible = (cy) => ({ nodes: cy.nodes(":visible"), edges: cy.edges(":visible") });

/** The picture as PNG, the whole graph at up to twice the screen's resolution. */
export function png(cy) {
  // at most 8,000 px a side: larger canvases fail in browsers, and then the export is empty
  const box = cy.elements(":visible").boundingBox();
  const scale = Math.max(0.05, Math.min(2, 8000 / Math.max(1, box.w, box.h)));
  return cy.png({ output: "blob", full: true, scale, bg: "#ffffff" });
}

/** The picture as SVG: edges as lines, nodes as circles, the labels shown as text. */
export function svg(cy) {
  const { nodes, edges } = visible(cy);
  const box = nodes.boundingBox({ includeLabels: true });
  const pad = 20;
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="${num(box.x1 - pad)} ${num(box.y1 - pad)} ${num(box.w + 2 * pad)} ${num(box.h + 2 * pad)}" width="${num(box.w + 2 * pad)}" height="${num(box.h + 2 * pad)}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect x="${num(box.x1 - pad)}" y="${num(box.y1 - pad)}" width="${num(box.w + 2 * pad)}" height="${num(box.h + 2 * pad)}" fill="#ffffff"/>`,
    "<g stroke-linecap=\"round\">"];
  edges.forEach((e) => {
    const a = e.source().position();
    const b = e.target().position();
    out.push(`<line x1="${num(a.x)}" y1="${num(a.y)}" x2="${num(b.x)}" y2="${num(b.y)}" stroke="${esc(e.style("line-color"))}" stroke-width="${num(e.numericStyle("width"))}" stroke-opacity="${num(e.numericStyle("opacity"))}"><title>${esc(e.source().data("name"))} — ${esc(e.target().data("name"))}</title></line>`);
  });
  out.push("</g><g>");
  nodes.forEach((n) => {
    const p = n.position();
    const r = n.data("size") / 2;
    out.push(`<g><title>${esc(n.data("name"))} (${esc(n.data("type"))})</title><circle cx="${num(p.x)}" cy="${num(p.y)}" r="${num(r)}" fill="${esc(n.data("color"))}" stroke="#ffffff" stroke-width="1.5"/>`);
    if (!n.hasClass("nolabel")) {
      out.push(`<text x="${num(p.x + r + 4)}" y="${num(p.y + 4)}" fill="#1d2330" stroke="#ffffff" stroke-width="3" paint-order="stroke">${esc(n.data("label"))}</text>`);
    }
    out.push("</g>");
  });
  out.push("</g></svg>");
  return new Blob([out.join("\n")], { type: "image/svg+xml" });
}

const NODE_ATTRS = [["type", "string"], ["documents", "integer"], ["mentions", "integer"], ["degree", "integer"],
  ["hits", "integer"], ["community", "integer"]];
const EDGE_ATTRS = [["count", "integer"], ["documents", "integer"], ["npmi", "double"], ["llr", "double"], ["hits", "integer"]];

function attvalues(data, attrs) {
  const values = attrs.map(([name], i) => (data[name] == null ? "" : `<attvalue for="${i}" value="${esc(data[name])}"/>`)).join("");
  return values ? `<attvalues>${values}</attvalues>` : "";
}

function rgb(color) {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color || "");
  return m ? m.slice(1).map((x) => parseInt(x, 16)) : [128, 128, 128];
}

/** The graph as GEXF 1.3 (Gephi): node and edge attributes, positions, colours, sizes. */
export function gexf(cy, description) {
  const { nodes, edges } = visible(cy);
  const declare = (cls, attrs) => `<attributes class="${cls}">${attrs.map(([name, type], i) => `<attribute id="${i}" title="${name}" type="${type}"/>`).join("")}</attributes>`;
  const out = ['<?xml version="1.0" encoding="UTF-8"?>',
    '<gexf xmlns="http://gexf.net/1.3" xmlns:viz="http://gexf.net/1.3/viz" version="1.3">',
    `<meta><creator>enrich</creator><description>${esc(description)}</description></meta>`,
    '<graph defaultedgetype="undirected" mode="static">', declare("node", NODE_ATTRS), declare("edge", EDGE_ATTRS), "<nodes>"];
  nodes.forEach((n) => {
    const d = n.data();
    const p = n.position();
    const [r, g, b] = rgb(d.color);
    out.push(`<node id="${esc(d.id)}" label="${esc(d.name)}">${attvalues(d, NODE_ATTRS)}<viz:color r="${r}" g="${g}" b="${b}"/><viz:position x="${num(p.x)}" y="${num(-p.y)}" z="0"/><viz:size value="${num(d.size / 2)}"/></node>`);
  });
  out.push("</nodes><edges>");
  edges.forEach((e, i) => {
    const d = e.data();
    out.push(`<edge id="${i}" source="${esc(d.source)}" target="${esc(d.target)}" weight="${num(d.count ?? 1)}">${attvalues(d, EDGE_ATTRS)}</edge>`);
  });
  out.push("</edges></graph></gexf>");
  return new Blob([out.join("\n")], { type: "application/gexf+xml" });
}

/** The graph as JSON: the view's settings, then nodes (with x, y, pinned) and edges. */
export function json(cy, view) {
  const { nodes, edges } = visible(cy);
  const strip = ({ label, size, color, w, alpha, ...rest }) => rest;
  const data = {
    generator: "enrich", view,
    nodes: nodes.map((n) => ({ ...strip(n.data()), x: num(n.position().x), y: num(n.position().y), pinned: n.hasClass("pinned") })),
    edges: edges.map((e) => { const { id, ...rest } = strip(e.data()); return rest; }),
  };
  return new Blob([JSON.stringify(data, null, 1)], { type: "application/json" });
}
