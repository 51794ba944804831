// The review view: the queue of GET /api/review (entities most worth a decision
// first, with their doubts, a suggested correction and evidence sentences), decided
// from the keyboard: j/k move, a accept, r reject, t retype, m merge, l alias (a small
// form for the value; Enter makes it, Escape cancels), u undo the last decision.
// Each decision is POST /api/corrections; its item leaves the list, and the other
// views load again when next shown, so they show the corrected entities. Without the
// write role the buttons are disabled and the page says why.

import { api } from "./api.js";
import { $, $$, h, qs } from "./dom.js";
import { report } from "./errorbar.js";
import { fmt, typeClass } from "./format.js";
import { state } from "./router.js";

const ACTIONS = { a: "accept", r: "reject", t: "retype", m: "merge", l: "alias" };
const ASKS = { retype: ["type", "New type"], merge: ["into", "Merge into (key or name)"], alias: ["alias", "Alias"] };
const view = { seq: 0, items: [], types: [], user: null, at: 0, done: [], busy: false, said: "", onChange: () => {} };

/** Wire the view's keys; `onChange` runs after each correction and undo. */
export function init(onChange) {
  view.onChange = onChange;
  document.addEventListener("keydown", onKey);
}

/** Load the queue and show it. */
export async function loadReview() {
  const seq = ++view.seq;
  const root = $("#review");
  if (!root.children.length) root.append(h("p", { class: "muted" }, "Loading the review queue…"));
  try {
    const data = await api("/api/review?" + qs({ limit: 50, evidence: 3 }));
    if (seq !== view.seq || state.view !== "review") return;
    view.items = data.items || [];
    view.types = data.types || [];
    view.user = data.user || { can_write: false };
    view.at = Math.min(view.at, Math.max(0, view.items.length - 1));
    render();
  } catch (exc) {
    if (seq !== view.seq) return;
    root.replaceChildren(h("h2", null, "Review"), h("p", { class: "muted" }, "The review queue could not be loaded."));
    report(exc);
  }
}

function render() {
  const user = view.user;
  const head = h("div", { class: "review-head" }, h("h2", null, "Review"),
    h("span", { id: "review-count", class: "muted", "data-count": view.items.length }, `${fmt(view.items.length)} to decide`),
    h("button", { type: "button", class: "refresh", onclick: () => loadReview() }, "Refresh"));
  const who = user.can_write
    ? h("p", { class: "muted" }, `Decisions are corrections by ${user.name}. Keys: j/k move · a accept · r reject · t retype · m merge · l alias · u undo.`)
    : h("p", { id: "review-readonly", class: "notice" }, `Your key (${user.name || "none"}) may only read: `,
      "decisions need a key of the write role, so the buttons are disabled.");
  const list = view.items.length
    ? h("ol", { id: "review-list" }, view.items.map(itemView))
    : h("p", { class: "muted" }, "Nothing to review: no entity has a doubt the queue looks for.");
  $("#review").replaceChildren(head, who, h("p", { id: "review-said", class: "muted", "aria-live": "polite" }, view.said || ""), list);
  select(view.at, false);
}

function itemView(item, i) {
  const s = item.suggestion || {};
  const value = s.into ?? s.type ?? s.alias ?? s.name;
  const off = !view.user.can_write || null;
  return h("li", { class: "review-item", "data-key": item.key, "data-index": i, tabindex: -1, onclick: () => select(i, false) },
    h("div", { class: "review-title" },
      h("span", { class: `dot ent-${typeClass(item.type)}` }), " ",
      h("strong", null, item.name), h("code", null, item.key),
      item.kind === "rejected" ? h("span", { class: "badge" }, "rejected as a common word") : null,
      h("span", { class: "muted" }, ` ${fmt(item.mentions)} mentions · ${fmt(item.documents)} documents · score ${fmt(item.score)}`)),
    h("ul", { class: "signals" }, (item.signals || []).map(signalView)),
    h("p", { class: "suggestion" }, "Suggested: ", h("b", null, s.op || "—"), value ? ` ${value}` : ""),
    (item.evidence || []).length ? h("ul", { class: "review-evidence" }, item.evidence.map(evidenceView)) : null,
    h("div", { class: "actions" }, Object.entries(ACTIONS).map(([key, op]) =>
      h("button", { type: "button", class: `act-${op}`, disabled: off, title: `${op} (${key})`,
        onclick: (event) => { event.stopPropagation(); select(i, false); start(op); } }, `${op} (${key})`))),
    h("div", { class: "ask" }));
}

function signalView(signal) {
  const extra = signal.key ? ` → ${signal.key}` : signal.mean != null ? ` (mean ${fmt(signal.mean)})` : "";
  return h("li", { class: `signal sig-${typeClass(signal.name)}`, title: JSON.stringify(signal) },
    `${signal.name.replace(/_/g, " ")} ${fmt(signal.value)}${extra}`);
}

function evidenceView(ev) {
  return h("li", null, h("blockquote", null, ev.before || "", h("mark", null, ev.text), ev.after || ""),
    h("span", { class: "muted" }, ev.title || ev.doc_id, ev.page ? ` · page ${ev.page}` : ""));
}

function select(i, focus = true) {
  const items = $$("#review-list .review-item");
  if (!items.length) return;
  view.at = Math.max(0, Math.min(items.length - 1, i));
  items.forEach((li, n) => li.setAttribute("aria-selected", String(n === view.at)));
  const li = items[view.at];
  if (focus) {
    li.focus();
    li.scrollIntoView({ block: "nearest" });
  }
}

function onKey(event) {
  if (state.view !== "review" || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target instanceof HTMLInputElement || target instanceof HTMLSelectElement || target instanceof HTMLTextAreaElement) return;
  const key = event.key.toLowerCase();
  if (key === "j" || key === "arrowdown") select(view.at + 1);
  else if (key === "k" || key === "arrowup") select(view.at - 1);
  else if (key === "u") undoLast();
  else if (ACTIONS[key]) start(ACTIONS[key]);
  else return;
  event.preventDefault();
}

/** Begin a decision on the selected item: at once, or after its small form. */
function start(op) {
  const item = view.items[view.at];
  if (!item || view.busy) return;
  if (!view.user.can_write) {
    say("Your key may only read: decisions need a key of the write role.");
    return;
  }
  if (!ASKS[op]) {
    decide(item, { op, entity: item.key });
    return;
  }
  const [field, label] = ASKS[op];
  const s = item.suggestion || {};
  const input = h("input", { name: field, "aria-label": label, list: op === "retype" ? "review-types" : null,
    autocomplete: "off", spellcheck: "false", value: s.op === op ? s[field] ?? "" : "" });
  const form = h("form", { class: "ask-form", "data-op": op }, h("label", null, label, " ", input),
    op === "retype" ? h("datalist", { id: "review-types" }, view.types.map((t) => h("option", { value: t }))) : null,
    h("button", { type: "submit" }, op), h("button", { type: "button", class: "link cancel", onclick: () => closeAsk(form) }, "cancel"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = input.value.trim();
    if (!value) return;
    decide(item, { op, entity: item.key, [field]: op === "retype" ? value.toUpperCase() : value });
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      closeAsk(form);
    }
  });
  const box = $(".ask", $$("#review-list .review-item")[view.at]);
  box.replaceChildren(form);
  input.focus();
  input.select();
}

function closeAsk(form) {
  form.remove();
  select(view.at);
}

async function decide(item, correction) {
  view.busy = true;
  try {
    const data = await api("/api/corrections", { method: "POST", body: correction });
    const row = (data.corrections || [])[0];
    view.done.push({ row, item, index: view.at });
    view.items = view.items.filter((it) => it.key !== item.key);
    view.said = `${row.op} ${row.entity}${row.value ? ` → ${row.value}` : ""}: done (u undoes it)`;
    render();
    select(view.at);
    view.onChange();
  } catch (exc) {
    report(exc);
  } finally {
    view.busy = false;
  }
}

async function undoLast() {
  const last = view.done.pop();
  if (!last || view.busy) {
    if (last) view.done.push(last);
    else say("Nothing to undo.");
    return;
  }
  view.busy = true;
  try {
    await api(`/api/corrections/${encodeURIComponent(last.row.id)}/undo`, { method: "POST", body: {} });
    view.said = `undone: ${last.row.op} ${last.row.entity}`;
    view.at = last.index;
    view.onChange();
    await loadReview();
  } catch (exc) {
    view.done.push(last);
    report(exc);
  } finally {
    view.busy = false;
  }
}

function say(text) {
  view.said = text;
  const out = $("#review-said");
  if (out) out.textContent = text;
}
