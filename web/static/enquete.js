// The survey from the e-mail invitation (/enquete#TOKEN, docs/survey.md): what it is about (the
// service and the day), then the same form as on the call's end page (common/survey.js).
//
// Stable hooks for tests: everything common/survey.js lists, and #state with data-testid
// survey-unknown (404), survey-gone (410: answered or closed) or survey-error (server out of
// reach; #state-retry tries again). data-state on <main>: loading | unknown | gone | error | open.

import { api, ApiError, start } from "./common/page.js";
import { LANGUAGES, language, onLanguageChange, setLanguage, t } from "./common/i18n.js";
import { mountSurvey } from "./common/survey.js";

const $ = (id) => document.getElementById(id);

// The token travels in the fragment, never sent to a server; kept for reloads in this tab only and
// taken out of the address bar (screenshots, shared screens, bookmarks).
const TOKEN_KEY = "balie.enquete";
if (location.hash.length > 1) {
  sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(location.hash.slice(1)));
  history.replaceState(null, "", location.pathname + location.search);
}
const token = sessionStorage.getItem(TOKEN_KEY);

let shownKey = null;

function showState(kind) {
  const key = { unknown: "state.unknown", gone: "survey.gone", error: "state.error" }[kind];
  shownKey = key;
  document.querySelector("main").dataset.state = kind;
  $("loading").hidden = true;
  const box = $("state");
  box.className = `notice ${kind === "error" ? "error" : kind === "gone" ? "ok" : "warn"}`;
  box.setAttribute("data-testid", `survey-${kind}`);
  $("state-text").textContent = t(key);
  $("state-retry-wrap").hidden = kind !== "error";
  box.hidden = false;
  $("status").textContent = t(key);
  if (kind === "gone" || kind === "unknown") sessionStorage.removeItem(TOKEN_KEY);
}

/** When neither the address (?taal=) nor an earlier choice says which language: the invitation's. */
async function followInvitationLanguage(code) {
  if (new URLSearchParams(location.search).has("taal")) return;
  try { if (localStorage.getItem("balie.taal")) return; } catch { return; }
  if (code && code !== language() && LANGUAGES.some((l) => l.code === code)) await setLanguage(code);
}

async function load() {
  document.querySelector("main").dataset.state = "loading";
  $("loading").hidden = false;
  $("state").hidden = true;
  if (!token) return showState("unknown");
  let info;
  try {
    info = await api("/api/v1/enquete", { method: "POST", body: { token } });
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return showState("unknown");
    if (error instanceof ApiError && error.status === 410) return showState("gone");
    showState("error");
    return;
  }
  if (info?.status !== "open") return showState("gone");
  await followInvitationLanguage(info.language);
  $("loading").hidden = true;
  document.querySelector("main").dataset.state = "open";
  mountSurvey($("survey"), {
    token,
    context: info,
    onDone: (state) => { if (state !== "skipped") sessionStorage.removeItem(TOKEN_KEY); },
  });
}

$("state-retry").addEventListener("click", load);

await start("enquete");
onLanguageChange(() => {
  if (shownKey && !$("state").hidden) $("state-text").textContent = t(shownKey);
});
await load();
