// The graph view's settings and their controls: the toolbar (entity limit and "show
// more", edge thresholds, what sizes, widths and colours show, fit, re-layout, export),
// the legend that filters by type, and the entity list (keyboard access to every node).
// Settings live in the URL hash as g.* keys (router.js); defaults are left out.

import { $, $$, h } from "./dom.js";
import { fmt } from "./format.js";
import { communityColor } from "./graph-style.js";
import { typeDot } from "./graph-card.js";

export const MAX_NODES = 2000; // the API's bound on one view
const DEFAULTS = { limit: 30, count: 1, npmi: 0, llr: 0, size: "mentions", width: "npmi", color: "type" };
const CHOICES = {
  size: [["mentions", "mentions"], ["documents", "documents"], ["degree", "links in view"], ["matches", "matching documents"]],
  width: [["npmi", "NPMI"], ["llr", "LLR"], ["count", "co-occurrences"]],
  color: [["type", "type"], ["community", "community"]],
};

const list = (text) => {
  try {
    const value = JSON.parse(text || "[]");
    return Array.isArray(value) ? value.filter((v) => typeof v === "string") : [];
  } catch {
    return [];
  }
};

const pins = (text) => {
  try {
    const value = JSON.parse(text || "{}");
    return Object.fromEntries(Object.entries(value && typeof value === "object" ? value : {})
      .filter(([, p]) => Array.isArray(p) && p.length === 2 && p.every(Number.isFinite)));
  } catch {
    return {};
  }
};

const number = (text, fallback, lo, hi) => {
  const x = Number.parseFloat(text);
  return Number.isFinite(x) ? Math.min(hi, Math.max(lo, x)) : fallback;
};

const pick = (text, key) => (CHOICES[key].some(([v]) => v === text) ? text : DEFAULTS[key]);

/** The settings of a state's `graph` (its g.* keys), every value checked. */
export function settings(g = {}) {
  return {
    limit: Math.round(number(g.limit, DEFAULTS.limit, 1, MAX_NODES)),
    count: Math.round(number(g.count, DEFAULTS.count, 1, 1e9)),
    npmi: number(g.npmi, DEFAULTS.npmi, -1, 1),
    llr: number(g.llr, DEFAULTS.llr, 0, 1e9),
    size: pick(g.size, "size"), width: pick(g.width, "width"), color: pick(g.color, "color"),
    hide: new Set(list(g.hide)), drop: new Set(list(g.drop)), exp: list(g.exp), pin: pins(g.pin),
    sel: g.sel || null, from: g.from || null, to: g.to || null,
  };
}

/** A state's `graph` from settings (defaults and empty values left out). */
export function encode(st) {
  const out = {};
  for (const key of ["limit", "count", "npmi", "llr", "size", "width", "color"]) if (st[key] !== DEFAULTS[key]) out[key] = String(st[key]);
  if (st.hide.size) out.hide = JSON.stringify([...st.hide].sort());
  if (st.drop.size) out.drop = JSON.stringify([...st.drop].sort());
  if (st.exp.length) out.exp = JSON.stringify(st.exp);
  if (Object.keys(st.pin).length) out.pin = JSON.stringify(st.pin);
  for (const key of ["sel", "from", "to"]) if (st[key]) out[key] = st[key];
  return out;
}

/** Build the toolbar; `on` = {change(patch, reload), more(), unhide(), fit(), relayout(), exportAs(format)}. */
export function toolbar(st, view, on) {
  const select = (key, label) => h("label", null, `${label} `, h("select", {
    name: key, onchange: (event) => on.change({ [key]: event.target.value }, key === "color"),
  }, CHOICES[key].map(([value, text]) => h("option", { value, selected: value === st[key] || null }, text))));
  const had = document.activeElement?.closest?.("#graph-tools") ? document.activeElement.getAttribute("name") : null;
  const npmiOut = h("output", { for: "graph-npmi" }, st.npmi > -1 ? fmt(st.npmi) : "any");
  $("#graph-tools").replaceChildren(
    h("span", { class: "shown" }, `${fmt(view.nodes)}${view.more ? "+" : ""} entities · ${fmt(view.edges)} links`,
      view.more && st.limit < MAX_NODES
        ? h("button", { type: "button", class: "more", onclick: on.more }, `Show ${fmt(Math.min(MAX_NODES, st.limit * 2))}`) : null,
      st.drop.size
        ? h("button", { type: "button", class: "unhide", onclick: on.unhide, title: "Bring back the entities hidden with Hide" },
          `Show ${fmt(st.drop.size)} hidden`) : null),
    h("label", null, "Min. together ", h("input", {
      type: "number", name: "count", min: 1, step: 1, value: st.count, class: "count",
      onchange: (event) => on.change({ count: Math.max(1, Math.round(Number(event.target.value) || 1)) }),
    })),
    h("label", null, "Min. NPMI ", h("input", {
      type: "range", id: "graph-npmi", name: "npmi", min: -1, max: 1, step: 0.05, value: st.npmi,
      oninput: (event) => { npmiOut.textContent = Number(event.target.value) > -1 ? fmt(Number(event.target.value)) : "any"; },
      onchange: (event) => on.change({ npmi: Number(event.target.value) }),
    }), npmiOut),
    h("label", null, "Min. LLR ", h("input", {
      type: "number", name: "llr", min: 0, step: 1, value: st.llr, class: "count",
      onchange: (event) => on.change({ llr: Math.max(0, Number(event.target.value) || 0) }),
    })),
    select("size", "Size:"), select("width", "Width:"), select("color", "Colour:"),
    h("span", { class: "group" },
      h("button", { type: "button", class: "fit", onclick: on.fit, title: "Fit the graph in the frame" }, "Fit"),
      h("button", { type: "button", class: "relayout", onclick: on.relayout, title: "Lay the graph out again (pinned nodes stay)" }, "Re-layout")),
    h("span", { class: "group export", role: "group", "aria-label": "Export" }, "Export ",
      ["PNG", "SVG", "GEXF", "JSON"].map((format) => h("button", {
        type: "button", "data-format": format.toLowerCase(), onclick: () => on.exportAs(format.toLowerCase()),
      }, format))));
  if (had) $(`#graph-tools [name="${had}"]`)?.focus(); // rebuilt: keep the keyboard where it was
}

/** The legend: one toggle per entity type present (hides or shows that type), and in
 * community colouring the largest communities, named by their largest entity. */
export function legend(cy, st, onToggle) {
  const byType = new Map();
  cy.nodes().forEach((n) => byType.set(n.data("type"), (byType.get(n.data("type")) || 0) + 1));
  const types = [...byType].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const items = types.map(([type, n]) => h("li", null, h("button", {
    type: "button", class: "type", "data-type": type, "aria-pressed": String(!st.hide.has(type)),
    title: st.hide.has(type) ? `Show ${type}` : `Hide ${type}`, onclick: () => onToggle(type),
  }, typeDot(type), ` ${type} `, h("span", { class: "n" }, fmt(n)))));
  const parts = [h("ul", { class: "legend", "aria-label": "Entity types (click to hide or show)" }, items)];
  if (st.color === "community") {
    const groups = new Map();
    cy.nodes().forEach((n) => {
      const c = n.data("community");
      if (!Number.isInteger(c)) return;
      const best = groups.get(c);
      if (!best || (n.data("size") || 0) > (best.data("size") || 0)) groups.set(c, n);
    });
    const shown = [...groups].sort((a, b) => a[0] - b[0]).slice(0, 12);
    parts.push(h("ul", { class: "legend communities", "aria-label": "Communities" }, shown.map(([c, n]) => {
      const dot = h("span", { class: "dot" });
      dot.style.background = communityColor(c);
      return h("li", null, dot, ` ${n.data("name")}'s group`);
    })));
  }
  const had = document.activeElement?.closest?.("#graph-legend") ? document.activeElement.dataset.type : null;
  $("#graph-legend").replaceChildren(...parts);
  if (had != null) $$("#graph-legend button.type").find((b) => b.dataset.type === had)?.focus();
}

/** The entity list under the graph: a button per visible node, largest first (Enter or
 * click selects it); built only while open, so a large graph costs nothing here. */
export function entityList(cy, onPick) {
  const details = $("#graph-list");
  const nodes = cy.nodes(":visible");
  const summary = h("summary", null, `Entity list (${fmt(nodes.length)})`);
  if (!details.open) {
    details.replaceChildren(summary);
    return;
  }
  const sorted = nodes.sort((a, b) => b.data("size") - a.data("size") || (a.data("name") < b.data("name") ? -1 : 1));
  details.replaceChildren(summary, h("ol", null, sorted.map((n) => h("li", null, h("button", {
    type: "button", class: "link", "data-key": n.id(), onclick: () => onPick(n.id()),
  }, n.data("name")), h("span", { class: "muted" }, ` ${n.data("type")} · ${fmt(n.data("degree"))} links`)))));
}
