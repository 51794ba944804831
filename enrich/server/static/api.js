// The API client: every request of the page goes through api(), and every failure
// becomes an ApiError carrying the API's own error shape (status, code, message).

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || {};
  }
}

let unauthorized = () => {};

/** What to do when the API answers 401 (the page shows its sign-in form). */
export function onUnauthorized(handler) {
  unauthorized = handler;
}

/** GET (or send) JSON; a non-2xx answer throws an ApiError with the API's message.
 * A 401 also calls the onUnauthorized handler, unless quiet401 (the caller decides). */
export async function api(path, { method = "GET", body, signal, quiet401 = false } = {}) {
  const response = await send(path, { method, body, signal });
  const data = await readJson(response);
  if (!response.ok) {
    const error = (data && data.error) || {};
    const message = error.message || `${response.status} ${response.statusText || "error"} (${path.split("?")[0]})`;
    const exc = new ApiError(response.status, error.code || `http_${response.status}`, message, error.details);
    if (response.status === 401 && !quiet401) unauthorized();
    throw exc;
  }
  return data;
}

async function send(path, { method, body, signal }) {
  const init = { method, signal, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  try {
    return await fetch(path, init);
  } catch (exc) {
    if (exc.name === "AbortError") throw exc;
    throw new ApiError(0, "network", "Cannot reach the server; is `enrich serve` still running?");
  }
}

async function readJson(response) {
  if (response.status === 204 || !(response.headers.get("content-type") || "").includes("json")) return null;
  try {
    return await response.json();
  } catch {
    return null;
  }
}
