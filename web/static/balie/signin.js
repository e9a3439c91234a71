// Sign-in with a staff account. Wrong passwords and the 15-minute lock get a clear message in an
// alert next to the form; focus stays in the form so one can retype.

import { api, ApiError } from "../common/page.js";
import { t } from "../common/i18n.js";
import { announce, problemText } from "./shared.js";

const $ = (id) => document.getElementById(id);
let onSignedIn = null;

export function showSignin(enter) {
  onSignedIn = enter;
  $("signin").hidden = false;
  $("signin-error").hidden = true;
  $("signin-password").value = "";
  $("signin-heading").focus();
}

function signinError(error) {
  if (error instanceof ApiError) {
    const kind = (error.problem.type ?? "").replace("/problems/", "");
    if (kind === "bad-credentials") return t("signin.bad");
    if (kind === "account-locked") return t("signin.locked");
    if (kind === "rate-limited") return t("signin.rate");
  }
  return problemText(error);
}

$("signin-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const box = $("signin-error");
  const email = $("signin-email").value.trim();
  const password = $("signin-password").value;
  if (!email || !password) {
    box.textContent = t("signin.missing");
    box.hidden = false;
    (email ? $("signin-password") : $("signin-email")).focus();
    return;
  }
  const button = e.submitter ?? $("signin-form").querySelector("button");
  button.disabled = true;
  try {
    await api("/api/v1/sessie", { method: "POST", body: { email, password } });
    const me = await api("/api/v1/sessie");
    box.hidden = true;
    $("signin-password").value = "";
    announce(t("signin.done", { name: me.name }));
    await onSignedIn(me);
  } catch (error) {
    box.textContent = signinError(error);
    box.hidden = false;
    $("signin-password").value = "";
    $("signin-password").focus();
  } finally {
    button.disabled = false;
  }
});
