// The page's state lives in the URL hash (#q=...&filter=...&mode=vector&view=graph
// &similar=ID&doc=ID&page=N, and the graph view's own g.* keys such as g.limit=100),
// so reload, back/forward and shared links all work. `state` is always the current hash,
// parsed; go() changes it, and the handler given to listen() renders it.

const VIEWS = ["results", "graph", "status", "review"];
const SORTS = ["relevance", "uri", "-uri"];
export const MODES = ["auto", "keyword", "vector", "hybrid"];

export let state = readState();
let handler = () => {};

function readState() {
  const p = new URLSearchParams(location.hash.replace(/^#/, ""));
  const skip = Number.parseInt(p.get("skip") || "0", 10);
  const doc = p.get("doc") || null;
  const page = Number.parseInt(p.get("page") || "", 10);
  return {
    q: p.get("q") || "",
    filters: [...new Set(p.getAll("filter").filter((f) => f.indexOf(":") > 0))],
    skip: Number.isFinite(skip) ? Math.min(10000, Math.max(0, skip)) : 0,
    sort: SORTS.includes(p.get("sort")) ? p.get("sort") : "relevance",
    mode: MODES.includes(p.get("mode")) ? p.get("mode") : "auto",
    view: VIEWS.includes(p.get("view")) ? p.get("view") : "results",
    similar: p.get("similar") || null, // "more like this": the documents like this one
    doc,
    page: doc && page > 0 ? page : null, // the document's page to show
    graph: Object.fromEntries([...p].filter(([k]) => k.startsWith("g.")).map(([k, v]) => [k.slice(2), v])),
  };
}

/** The hash ("#q=...") of a state; defaults are left out. */
export function hashOf(st) {
  const p = new URLSearchParams();
  if (st.q) p.set("q", st.q);
  for (const f of st.filters) p.append("filter", f);
  if (st.skip) p.set("skip", String(st.skip));
  if (st.sort !== "relevance") p.set("sort", st.sort);
  if (st.mode && st.mode !== "auto") p.set("mode", st.mode);
  if (st.view !== "results") p.set("view", st.view);
  if (st.similar) p.set("similar", st.similar);
  if (st.doc) p.set("doc", st.doc);
  if (st.doc && st.page) p.set("page", String(st.page));
  for (const [k, v] of Object.entries(st.graph || {})) if (v != null && v !== "") p.set(`g.${k}`, String(v));
  return "#" + p.toString();
}

/** Render the state on every change of the hash: handler(state, previous). */
export function listen(onChange) {
  handler = onChange;
  window.addEventListener("hashchange", refresh);
}

/** Read the hash again and render it, even if it did not change. */
export function refresh() {
  const previous = state;
  state = readState();
  handler(state, previous);
}

/** Change the state: a new history entry (back/forward work), then render it. */
export function go(patch) {
  const hash = hashOf({ ...state, ...patch });
  if (hash === "#" + location.hash.replace(/^#/, "")) {
    refresh();
  } else {
    location.hash = hash; // fires hashchange → refresh()
  }
}

/** Change the state without a new history entry and without rendering it: for view
 * details (the graph's selection, pins, thresholds) that the view already shows. */
export function replace(patch) {
  state = { ...state, ...patch };
  history.replaceState(history.state, "", hashOf(state));
}
