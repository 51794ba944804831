// Filters: the facet checkboxes beside the results, the active-filter chips under the
// header, and the entity chips (in results and documents) that add a filter.

import { $, $$, h } from "./dom.js";
import { fmt, typeClass } from "./format.js";
import { go, state } from "./router.js";

/** The facet fields the page asks for, with their labels, in display order. */
export const FACETS = [
  ["people", "People"], ["organizations", "Organizations"], ["locations", "Locations"],
  ["entities", "All entities"], ["keyphrases", "Key phrases"], ["tags", "Tags"],
  ["labels", "Labels"], ["file_type", "File type"], ["language", "Language"],
];
export const FACET_NAMES = Object.fromEntries(FACETS);

/** Add the filter field:value (once), back to the first page; `extra` patches the state too. */
export function addFilter(field, value, extra = {}) {
  const filter = `${field}:${value}`;
  const filters = state.filters.includes(filter) ? state.filters : [...state.filters, filter];
  go({ filters, skip: 0, ...extra });
}

function removeFilter(filter) {
  go({ filters: state.filters.filter((f) => f !== filter), skip: 0 });
}

/** A chip that adds the filter field:value (results, documents). */
export function filterChip(field, value, extra = {}, entityType = null) {
  const type = entityType || { people: "PERSON", organizations: "ORG", locations: "GPE" }[field] || field;
  return h("button", {
    type: "button", class: `chip ent-${typeClass(type)}`, "data-field": field, title: `Filter: ${FACET_NAMES[field] || field} = ${value}`,
    onclick: () => addFilter(field, value, extra),
  }, value);
}

/** The chips of the active filters, each removing its filter; "clear all" for two or more. */
export function renderActiveFilters() {
  const bar = $("#active-filters");
  bar.replaceChildren();
  for (const filter of state.filters) {
    const cut = filter.indexOf(":");
    const field = filter.slice(0, cut);
    const value = filter.slice(cut + 1);
    bar.append(h("button", {
      type: "button", class: "chip filter-chip", "data-filter": filter,
      title: "Remove this filter", onclick: () => removeFilter(filter),
    }, h("span", { class: "field" }, (FACET_NAMES[field] || field) + ": "), value, h("span", { class: "x", "aria-hidden": "true" }, " ×")));
  }
  if (state.filters.length > 1) {
    bar.append(h("button", { type: "button", class: "link", onclick: () => go({ filters: [], skip: 0 }) }, "clear all"));
  }
  bar.hidden = !state.filters.length;
}

/** One fieldset of checkboxes per facet with values; keyboard focus survives the redraw. */
export function renderFacets(facets) {
  const aside = $("#facets");
  const focused = document.activeElement?.closest?.(".facet") ? document.activeElement : null;
  const refocus = focused && { field: focused.closest(".facet").dataset.field, value: focused.value };
  aside.replaceChildren();
  for (const [field, label] of FACETS) {
    const box = facetBox(field, label, facets[field] || []);
    if (box) aside.append(box);
  }
  if (!aside.children.length) aside.append(h("p", { class: "muted" }, "No facets."));
  if (refocus) {
    const again = $$(`.facet[data-field="${CSS.escape(refocus.field)}"] input`).find((i) => i.value === refocus.value);
    again?.focus();
  }
}

function facetBox(field, label, buckets) {
  const values = buckets.filter((b) => b && b.value != null && b.value !== "");
  const checked = state.filters.filter((f) => f.startsWith(field + ":")).map((f) => f.slice(field.length + 1));
  const shown = new Set(values.map((b) => String(b.value)));
  // Checked values stay visible (and checked) even when their count drops out.
  const rows = [...values, ...checked.filter((v) => !shown.has(v)).map((value) => ({ value, count: null }))];
  if (!rows.length) return null;
  const box = h("fieldset", { class: "facet", "data-field": field }, h("legend", null, label));
  for (const bucket of rows) {
    const value = String(bucket.value);
    const input = h("input", { type: "checkbox", value, "data-value": value });
    input.checked = checked.includes(value);
    input.addEventListener("change", () => {
      if (input.checked) addFilter(field, value);
      else removeFilter(`${field}:${value}`);
    });
    box.append(h("label", { class: "facet-value", title: value }, input,
      h("span", { class: "v" }, value), h("span", { class: "n" }, bucket.count == null ? "" : fmt(bucket.count))));
  }
  return box;
}
