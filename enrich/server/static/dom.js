// Shared DOM helpers: element builders, query strings and safe URLs.
//
// Safety rule of the whole page: nothing from the API is ever parsed as HTML. Elements
// are built with h() (createElement, textContent, attributes), never innerHTML.

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

/** An element: attrs (class, text, on*, data-*, others as attributes) and children. */
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

function build(el, attrs, children) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value == null || value === false) continue;
    if (key === "class") el.setAttribute("class", value);
    else if (key === "text") el.textContent = String(value);
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** A query string: arrays repeat their parameter; null and undefined are left out. */
export function qs(params) {
  const out = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      if (v != null) out.append(key, String(v));
    }
  }
  return out.toString();
}

/** Only same-origin paths ("/api/...") and http(s) URLs become links or image sources. */
export function safeUrl(url) {
  if (typeof url !== "string" || !url) return null;
  if (url.startsWith("/") && !url.startsWith("//")) return url;
  try {
    const parsed = new URL(url, location.href);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch {
    return null;
  }
}

/** The URL with one more query parameter. */
export function withParam(url, key, value) {
  return url + (url.includes("?") ? "&" : "?") + qs({ [key]: value });
}
