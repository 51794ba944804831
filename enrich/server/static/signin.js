// Sign-in: when the server needs its API key, a form trades it for an HttpOnly session
// cookie (POST /api/login); "Sign out" forgets the cookie.

import { api } from "./api.js";
import { $ } from "./dom.js";
import { hideError, report } from "./errorbar.js";

let afterSignIn = () => {};

/** Wire the form and the sign-out button; `onSignedIn` runs after a good key. */
export function init(onSignedIn) {
  afterSignIn = onSignedIn;
  $("#login form").addEventListener("submit", onLogin);
  $("#logout").addEventListener("click", onLogout);
}

/** Whether the page may go on: false when the key is needed (the form is then up). */
export async function checkAuth() {
  try {
    const auth = await api("/api/auth", { quiet401: true });
    $("#logout").hidden = !(auth && auth.required && auth.authenticated);
    if (auth && auth.required && !auth.authenticated) {
      showLogin();
      return false;
    }
  } catch (exc) {
    if (exc.status === 401) {
      showLogin();
      return false;
    }
    report(exc); // go on: the API answers for itself
  }
  return true;
}

/** Show the sign-in form (with a message, if any) and put the cursor in it. */
export function showLogin(message = "") {
  const box = $("#login");
  $(".msg", box).textContent = message;
  if (box.hidden) {
    box.hidden = false;
    $("#key").value = "";
  }
  $("#key").focus();
}

/** Whether the sign-in form is up. */
export const signingIn = () => !$("#login").hidden;

async function onLogin(event) {
  event.preventDefault();
  const key = $("#key").value;
  const button = $("#login button[type=submit]");
  button.disabled = true;
  try {
    await api("/api/login", { method: "POST", body: { key }, quiet401: true });
    $("#login").hidden = true;
    $("#logout").hidden = false;
    hideError();
    afterSignIn();
    $("#q").focus();
  } catch (exc) {
    showLogin(exc.status === 401 ? exc.message || "Wrong key." : exc.message);
  } finally {
    button.disabled = false;
  }
}

async function onLogout() {
  try {
    await api("/api/logout", { method: "POST", quiet401: true });
  } catch (exc) {
    report(exc);
  }
  $("#logout").hidden = true;
  await checkAuth();
}
