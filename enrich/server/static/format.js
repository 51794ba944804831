// Text of the page: numbers, times, names, entity types, search highlights, and a
// read-only view of any JSON value. Builds text nodes only (see dom.js).

import { h } from "./dom.js";

const NAMED_ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0" };

/** Decode the character references of escaped HTML text (&amp; &lt; &#39; &#x27; ...). */
function decodeEntities(text) {
  return text.replace(/&(#[xX][0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]{2,6});/g, (whole, ref) => {
    if (ref[0] === "#") {
      const code = ref[1] === "x" || ref[1] === "X" ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[ref.toLowerCase()] ?? whole;
  });
}

/** A highlight ("text &lt;escaped&gt; with <b>matches</b>") as text nodes and <mark>s:
 * split on its <b> tags, its character references decoded into text, never parsed. */
export function highlightNodes(html) {
  const fragment = document.createDocumentFragment();
  let bold = false;
  for (const part of String(html).split(/(<\/?b>)/i)) {
    if (/^<\/?b>$/i.test(part)) {
      bold = part[1] !== "/";
    } else if (part) {
      const text = decodeEntities(part);
      fragment.append(bold ? h("mark", null, text) : document.createTextNode(text));
    }
  }
  return fragment;
}

/** A CSS class suffix for an entity type ("PERSON", "WORK_OF_ART", anything). */
export const typeClass = (type) => String(type || "other").replace(/[^A-Za-z0-9_-]/g, "_");

/** The keyword field that filters by an entity of this type. */
export function fieldOfType(type) {
  const t = String(type || "").toUpperCase();
  if (t === "PERSON") return "people";
  if (t === "ORG") return "organizations";
  if (t === "GPE" || t === "LOC" || t === "FAC") return "locations";
  return "entities";
}

/** The last part of a URI's path, decoded ("a%20b.pdf" → "a b.pdf"). */
export function fileName(uri) {
  const tail = String(uri || "").replace(/[?#].*$/, "").replace(/\/+$/, "").split("/").pop() || String(uri || "");
  try {
    return decodeURIComponent(tail);
  } catch {
    return tail;
  }
}

/** A URI as people read it (percent escapes decoded where that is safe). */
export function prettyUri(uri) {
  try {
    return decodeURI(String(uri || ""));
  } catch {
    return String(uri || "");
  }
}

const numberFormat = new Intl.NumberFormat();

/** A number in the reader's locale (3 decimals under 10, else 1); anything else as text. */
export function fmt(value) {
  if (typeof value === "number") {
    return Number.isInteger(value) ? numberFormat.format(value) : value.toFixed(Math.abs(value) < 10 ? 3 : 1);
  }
  return value == null ? "" : String(value);
}

/** A timestamp in the reader's locale; unparseable values as given. */
export function fmtTime(value) {
  if (!value) return "";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString();
}

/** Any JSON value as a small read-only tree of <dl>/<ul>. */
export function kv(value, depth = 0) {
  if (value == null || value === "") return h("span", { class: "muted" }, "—");
  if (Array.isArray(value)) {
    if (!value.length) return h("span", { class: "muted" }, "—");
    if (value.every((v) => v == null || typeof v !== "object")) return value.map(fmt).join(", ");
    if (depth > 3) return `${value.length} items`;
    return h("ul", { class: "kv-list" }, value.slice(0, 50).map((v) => h("li", null, kv(v, depth + 1))));
  }
  if (typeof value === "object") {
    if (depth > 3) return JSON.stringify(value);
    const dl = h("dl", { class: "kv" });
    for (const [key, v] of Object.entries(value)) dl.append(h("dt", null, key), h("dd", null, kv(v, depth + 1)));
    return dl;
  }
  return fmt(value);
}

/** A short label for a tag, label or evidence item of unknown shape. */
export function labelText(item) {
  if (item == null) return "";
  if (typeof item !== "object") return String(item);
  const name = item.name ?? item.label ?? item.text ?? item.value ?? item.key;
  return name != null ? String(name) : JSON.stringify(item);
}
