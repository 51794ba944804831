// The status view: index and graph statistics, the latest runs (refreshed every 5 s
// while one is running), and one run's summary with its errors and warnings.

import { api } from "./api.js";
import { $, $$, h } from "./dom.js";
import { report } from "./errorbar.js";
import { fmt, fmtTime, kv, labelText, prettyUri, typeClass } from "./format.js";
import { state } from "./router.js";

const statusView = { seq: 0, timer: 0, run: null };

/** Load and show the status (and the selected run, if any). */
export async function loadStatus() {
  clearTimeout(statusView.timer);
  const seq = ++statusView.seq;
  const root = $("#status");
  if (!root.children.length) root.append(h("p", { class: "muted" }, "Loading…"));
  try {
    const data = await api("/api/status");
    if (seq !== statusView.seq || state.view !== "status") return;
    const runs = data.runs || [];
    root.replaceChildren(
      h("div", { class: "status-head" }, h("h2", null, "Status"),
        h("button", { type: "button", class: "refresh", onclick: () => loadStatus() }, "Refresh")),
      h("div", { class: "cards" },
        h("section", { class: "card" }, h("h3", null, "Index"), kv(data.stats)),
        h("section", { class: "card" }, h("h3", null, "Knowledge graph"), kv(data.graph))),
      h("h3", null, "Latest runs"),
      runs.length ? runsTable(runs) : h("p", { class: "muted" }, "No runs yet: `enrich index FOLDER` starts one."),
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

function runsTable(runs) {
  return h("table", { class: "runs" },
    h("thead", null, h("tr", null, ["run", "source", "started", "finished", "status", "errors", "warnings"].map((t) => h("th", null, t)))),
    h("tbody", null, runs.map((run) => h("tr", { class: `run${statusView.run === run.id ? " selected" : ""}`, "data-id": run.id },
      h("td", null, h("button", { type: "button", class: "link", onclick: () => loadRun(run.id) }, run.id)),
      h("td", { class: "uri" }, labelText(run.source)), h("td", null, fmtTime(run.started_at)), h("td", null, fmtTime(run.finished_at)),
      h("td", null, h("span", { class: `badge status-${typeClass(run.status)}` }, run.status ?? "")),
      h("td", { class: "num" }, fmt(run.errors)), h("td", { class: "num" }, fmt(run.warnings))))));
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
      errors.length ? errorsTable(errors) : h("p", { id: "run-errors", class: "muted" }, "Every document went through cleanly."));
  } catch (exc) {
    report(exc);
  }
}

function errorsTable(errors) {
  return h("table", { id: "run-errors", class: "errors" },
    h("thead", null, h("tr", null, ["severity", "document", "stage", "message", "at"].map((t) => h("th", null, t)))),
    h("tbody", null, errors.map((e) => h("tr", { class: `sev-${typeClass(e.severity)}` },
      h("td", null, e.severity ?? ""), h("td", { class: "uri" }, prettyUri(e.uri)), h("td", null, e.stage ?? ""),
      h("td", { class: "message" }, e.message ?? ""), h("td", null, fmtTime(e.at))))));
}
