// The error bar under the header: one message at a time, dismissable.

import { ApiError } from "./api.js";
import { $ } from "./dom.js";

/** Show what went wrong, unless the request was superseded or asks for the key. */
export function report(exc) {
  if (!exc || exc.name === "AbortError") return;
  if (exc instanceof ApiError && exc.status === 401) return; // the sign-in form is up
  showError(exc.message || String(exc));
  if (!(exc instanceof ApiError)) console.warn(exc); // a bug of this page: keep the trace
}

function showError(message) {
  const bar = $("#error");
  $(".msg", bar).textContent = message;
  bar.hidden = false;
}

export function hideError() {
  $("#error").hidden = true;
}
