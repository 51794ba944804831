// How the graph looks: a colour per entity type (or per community), node sizes, edge
// widths and the Cytoscape stylesheet that draws them. Values are computed here and
// stored on the elements' data, so the stylesheet only maps data to looks.

const TYPE_COLORS = {
  PERSON: "#2f6fd6", ORG: "#d9731a", GPE: "#2e9a46", LOC: "#17a2b8", FAC: "#8c564b",
  NORP: "#d6479c", PRODUCT: "#8a55c9", EVENT: "#b8a300", WORK_OF_ART: "#5c6bc0",
  LAW: "#455a64", LANGUAGE: "#c0392b", DATE: "#9e9d24", MONEY: "#00897b",
};
// Types not named above get one of these by a hash of their name; communities take
// them in order (0 = the largest); OTHER for communities beyond the palette.
const PALETTE = ["#e6550d", "#3182bd", "#31a354", "#756bb1", "#d6616b", "#8c6d31",
  "#17becf", "#7b4173", "#637939", "#e7ba52", "#636363", "#ce6dbd"];
const OTHER = "#b3b3b3";
const FONT = "12px system-ui, sans-serif";
const LABEL_CHARS = 24;

/** The colour of an entity type: fixed for the common types, else a stable one. */
export function typeColor(type) {
  const t = String(type || "");
  if (TYPE_COLORS[t]) return TYPE_COLORS[t];
  let hash = 0;
  for (const ch of t) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
  return PALETTE[hash % PALETTE.length];
}

/** The colour of a community (0 = the largest). */
export const communityColor = (n) => (Number.isInteger(n) && n >= 0 && n < PALETTE.length ? PALETTE[n] : OTHER);

/** The label drawn next to a node: the name, shortened to LABEL_CHARS characters. */
export const shortLabel = (name) => {
  const text = String(name ?? "");
  return text.length > LABEL_CHARS ? text.slice(0, LABEL_CHARS - 1) + "…" : text;
};

/** What a node's size can show, and how to read it from its data. */
const SIZES = {
  mentions: (d) => d.mentions,
  documents: (d) => d.documents,
  degree: (d) => d.degree,
  matches: (d) => d.hits ?? d.documents,
};
/** What an edge's width can show: npmi is already 0..1; counts and LLR are scaled to the largest. */
const WIDTHS = { npmi: (d) => d.npmi, llr: (d) => d.llr, count: (d) => d.count };

/** Set `size` (px) on every node and `w`, `alpha` on every edge of `cy`, and each
 * node's `color`, from the view's settings: {size, width, color}. */
export function paint(cy, settings) {
  const sizeOf = SIZES[settings.size] || SIZES.mentions;
  const widthOf = WIDTHS[settings.width] || WIDTHS.npmi;
  const nodes = cy.nodes();
  const edges = cy.edges();
  const top = Math.max(1, ...nodes.map((n) => Number(sizeOf(n.data())) || 0));
  // smaller nodes the more there are, so that thousands still leave room to see links
  const crowd = Math.min(1, Math.max(0, Math.log10(Math.max(1, nodes.length) / 100) / Math.log10(20)));
  const small = 12 - 7 * crowd;
  const large = 42 - 24 * crowd;
  const topEdge = Math.max(1e-9, ...edges.map((e) => Number(widthOf(e.data())) || 0));
  cy.batch(() => {
    nodes.forEach((n) => {
      const d = n.data();
      const v = Math.max(0, Number(sizeOf(d)) || 0);
      n.data("size", Math.round(small + (large - small) * Math.sqrt(v / top)));
      n.data("color", settings.color === "community" ? communityColor(d.community) : typeColor(d.type));
    });
    edges.forEach((e) => {
      const raw = Number(widthOf(e.data())) || 0;
      const x = settings.width === "npmi" || !settings.width
        ? Math.min(1, Math.max(0, raw)) : Math.sqrt(Math.max(0, raw) / topEdge);
      e.data("w", Number((0.6 + 6 * x).toFixed(2)));
      e.data("alpha", Number((0.1 + 0.75 * x * x).toFixed(3))); // weak links fade out of the way
    });
  });
}

/** The Cytoscape stylesheet. */
export function stylesheet() {
  return [
    {
      selector: "node",
      style: {
        "background-color": "data(color)", width: "data(size)", height: "data(size)",
        label: "data(label)", "font-family": FONT.replace(/^\d+px /, ""), "font-size": 12, color: "#1d2330",
        "text-valign": "center", "text-halign": "right", "text-margin-x": 4,
        "text-outline-color": "#fbfbfc", "text-outline-width": 2, "min-zoomed-font-size": 7,
        "border-width": 1.5, "border-color": "#ffffff",
      },
    },
    { selector: "node.nolabel", style: { label: "" } },
    { selector: "node.outside", style: { "background-opacity": 0.55, "border-style": "dashed", "border-color": "#666666" } },
    { selector: "node.pinned", style: { "border-color": "#1d2330", "border-width": 3, "border-style": "double" } },
    {
      selector: "edge",
      style: { width: "data(w)", "line-color": "#7d8596", opacity: "data(alpha)", "curve-style": "haystack", "haystack-radius": 0 },
    },
    { selector: "edge.near", style: { "line-color": "#2f6fd6", opacity: 0.9, "z-index": 5 } },
    { selector: ".faded", style: { opacity: 0.15, "text-opacity": 0.3 } },
    { selector: "node.path", style: { "border-color": "#c62828", "border-width": 4, opacity: 1 } },
    { selector: "edge.path", style: { "line-color": "#c62828", width: 5, opacity: 1, "z-index": 9 } },
    { selector: "node.hover, node:selected", style: { label: "data(name)", "font-weight": "bold", "z-index": 20, "text-opacity": 1 } },
    { selector: "node:selected", style: { "border-color": "#000000", "border-width": 4 } },
    { selector: ".hidden", style: { display: "none" } },
  ];
}

let measure = null;

/** Width in px of a label drawn at zoom 1 (the stylesheet's font). */
export function labelWidth(text) {
  if (!measure) {
    measure = document.createElement("canvas").getContext("2d");
    measure.font = FONT;
  }
  return measure.measureText(text).width;
}
