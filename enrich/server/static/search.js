// The search box: submitting searches (the results or the graph view), the search mode
// (auto, keyword, meaning, hybrid), and the autocomplete list of entities, which adds
// an entity filter instead of searching text.

import { api } from "./api.js";
import { $, $$, h, qs } from "./dom.js";
import { fieldOfType, fmt, typeClass } from "./format.js";
import { loadResults } from "./results.js";
import { go, MODES, state } from "./router.js";
import { showLogin } from "./signin.js";

const suggest = { timer: 0, seq: 0, items: [], active: -1 };

export function init() {
  $("#search-form").addEventListener("submit", onSearchSubmit);
  $("#q").addEventListener("input", onSearchInput);
  $("#q").addEventListener("keydown", onSearchKey);
  $("#q").addEventListener("blur", () => setTimeout(closeSuggest, 100));
  $("#mode").addEventListener("change", onModeChange);
}

/** Show the state's mode in the switch. */
export function showMode(mode) {
  $("#mode").value = MODES.includes(mode) ? mode : "auto";
}

/** A new mode searches the words in the box again (leaving "more like this"). */
function onModeChange() {
  const q = $("#q").value.trim();
  go({ mode: $("#mode").value, q, skip: 0, similar: null, doc: null,
    view: state.view === "status" || state.view === "review" ? "results" : state.view });
}

/** Whether the suggestion list is open. */
export const suggesting = () => !$("#suggest").hidden;

function onSearchSubmit(event) {
  event.preventDefault();
  closeSuggest();
  const q = $("#q").value.trim();
  const again = q === state.q && !state.similar;
  go({ q, skip: 0, doc: null, similar: null, view: state.view === "status" ? "results" : state.view });
  if (again) loadResults(true); // the same query again: search again
}

function onSearchInput() {
  clearTimeout(suggest.timer);
  const value = $("#q").value.trim();
  if (value.length < 2 || value.length > 100) {
    closeSuggest();
    return;
  }
  suggest.timer = setTimeout(() => fetchSuggest(value), 150);
}

async function fetchSuggest(value) {
  const seq = ++suggest.seq;
  try {
    const data = await api("/api/suggest?" + qs({ q: value, limit: 8 }), { quiet401: true });
    if (seq !== suggest.seq || $("#q").value.trim() !== value || document.activeElement !== $("#q")) return;
    renderSuggest(data.suggestions || []);
  } catch (exc) {
    if (exc.status === 401) showLogin();
    closeSuggest(); // suggestions are a convenience: no error bar while typing
  }
}

function renderSuggest(items) {
  suggest.items = items;
  suggest.active = -1;
  const list = $("#suggest");
  list.replaceChildren(...items.map((item, i) => h("li", {
    id: `suggest-${i}`, role: "option", class: "suggestion", "aria-selected": "false",
    "data-field": item.field || fieldOfType(item.type), "data-name": item.name,
    onmousedown: (event) => { event.preventDefault(); pickSuggestion(i); },
  }, h("span", { class: `dot ent-${typeClass(item.type)}`, "aria-hidden": "true" }),
  h("span", { class: "name" }, item.name),
  h("span", { class: "type" }, item.type),
  h("span", { class: "n", title: "documents" }, fmt(item.documents)))));
  list.hidden = !items.length;
  $("#q").setAttribute("aria-expanded", String(!!items.length));
  $("#q").removeAttribute("aria-activedescendant");
}

function moveSuggestion(step) {
  const n = suggest.items.length;
  if (!n) return;
  let next = suggest.active + step; // -1 is the search box itself
  if (next >= n) next = -1;
  else if (next < -1) next = n - 1;
  suggest.active = next;
  $$("#suggest li").forEach((li, i) => li.setAttribute("aria-selected", String(i === suggest.active)));
  if (suggest.active >= 0) {
    $("#q").setAttribute("aria-activedescendant", `suggest-${suggest.active}`);
    $(`#suggest-${suggest.active}`).scrollIntoView({ block: "nearest" });
  } else {
    $("#q").removeAttribute("aria-activedescendant");
  }
}

function pickSuggestion(i) {
  const item = suggest.items[i];
  closeSuggest();
  if (!item) return;
  $("#q").value = "";
  const filter = `${item.field || fieldOfType(item.type)}:${item.name}`;
  const filters = state.filters.includes(filter) ? state.filters : [...state.filters, filter];
  go({ q: "", filters, skip: 0, doc: null, similar: null, view: state.view === "status" ? "results" : state.view });
}

/** Close the suggestion list (and drop any answer still on its way). */
export function closeSuggest() {
  clearTimeout(suggest.timer);
  suggest.seq++;
  suggest.items = [];
  suggest.active = -1;
  $("#suggest").hidden = true;
  $("#suggest").replaceChildren();
  $("#q").setAttribute("aria-expanded", "false");
  $("#q").removeAttribute("aria-activedescendant");
}

function onSearchKey(event) {
  const open = suggesting() && suggest.items.length;
  if (event.key === "ArrowDown" && open) {
    event.preventDefault();
    moveSuggestion(1);
  } else if (event.key === "ArrowUp" && open) {
    event.preventDefault();
    moveSuggestion(-1);
  } else if (event.key === "Enter" && open && suggest.active >= 0) {
    event.preventDefault();
    pickSuggestion(suggest.active);
  } else if (event.key === "Escape" && open) {
    event.preventDefault();
    event.stopPropagation();
    closeSuggest();
  }
}
