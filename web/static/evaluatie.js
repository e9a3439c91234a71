// The evaluation of a used room or court, from the e-mail link (/evaluatie#TOKEN): a score from 1
// to 5, an optional comment, and optionally a defect with up to three photos. The defect goes
// first (multipart, /api/v1/evaluatie/defect): answering (/api/v1/evaluatie/antwoord) uses the
// link up. A defect already sent is not sent again when only the answer needs a retry.
//
// Stable hooks for tests: [data-testid=evaluation-score-N] (N = 1…5), evaluation-comment,
// defect-toggle, defect-description, defect-photos, evaluation-submit, evaluation-thanks; #state
// with data-testid evaluation-unknown (404), evaluation-gone (410) or evaluation-error.
// data-state on <main>: loading | unknown | gone | error | open | sending | thanks.

import { api, ApiError, el, start } from "./common/page.js";
import { LANGUAGES, formatDate, language, onLanguageChange, setLanguage, t } from "./common/i18n.js";

const $ = (id) => document.getElementById(id);
const main = document.querySelector("main");

const MAX_TEXT = 2000;
const MAX_PHOTOS = 3;
const MAX_BYTES = 5 * 1024 * 1024;
const TYPES = ["image/jpeg", "image/png", "image/webp"];

// The token travels in the fragment (never sent to a server); kept for reloads in this tab only
// and taken out of the address bar.
const TOKEN_KEY = "balie.evaluatie";
if (location.hash.length > 1) {
  sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(location.hash.slice(1)));
  history.replaceState(null, "", location.pathname + location.search);
}
const token = sessionStorage.getItem(TOKEN_KEY);

let context = null;
let shownKey = null;
let photos = []; // { file, url }
let reported = false;
const errors = new Map(); // field → message key

const chars = (text) => [...text].length;

function showState(kind) {
  const key = { unknown: "state.unknown", gone: "state.gone", error: "state.error" }[kind];
  shownKey = key;
  main.dataset.state = kind;
  $("loading").hidden = true;
  $("evaluation").hidden = true;
  const box = $("state");
  box.className = `notice ${kind === "error" ? "error" : kind === "gone" ? "ok" : "warn"}`;
  box.setAttribute("data-testid", `evaluation-${kind}`);
  $("state-text").textContent = t(key);
  $("state-retry-wrap").hidden = kind !== "error";
  box.hidden = false;
  $("status").textContent = t(key);
  if (kind !== "error") sessionStorage.removeItem(TOKEN_KEY);
  box.focus();
}

function buildScale() {
  const scale = $("score-scale");
  scale.replaceChildren(...[1, 2, 3, 4, 5].map((n) => {
    const id = `score-${n}`;
    const end = n === 1 ? "score.low" : n === 5 ? "score.high" : null;
    return el("label", { class: "survey-option", for: id },
      el("input", { type: "radio", name: "score", value: String(n), id, required: true, "data-testid": `evaluation-score-${n}` }),
      el("span", { class: "survey-number", text: String(n) }),
      end ? el("span", { class: "survey-end", dataset: { i18n: end }, text: t(end) }) : null);
  }));
}

function relabel() {
  if (context) {
    const day = formatDate(`${context.day}T12:00:00Z`);
    $("context").textContent = t("context", { resource: context.resource_name, day });
  }
  for (const [field, key] of errors) setError(field, key);
  renderPreviews();
  if (shownKey && !$("state").hidden) $("state-text").textContent = t(shownKey);
  const problem = $("problem");
  if (!problem.hidden && problem.dataset.key) problem.textContent = t(problem.dataset.key);
}

// --- photos -----------------------------------------------------------------------------------

function renderPreviews() {
  const list = $("previews");
  list.replaceChildren(...photos.map((p, i) => el("li", {},
    el("img", { src: p.url, alt: t("defect.photo.alt", { n: i + 1 }) }),
    el("span", { class: "name", text: p.file.name }),
    el("button", { type: "button", class: "secondary", "data-testid": `defect-photo-remove-${i}`,
      "aria-label": t("defect.photo.remove.label", { name: p.file.name }), text: t("defect.photo.remove"),
      onclick: () => removePhoto(i) }))));
}

function removePhoto(i) {
  URL.revokeObjectURL(photos[i].url);
  photos.splice(i, 1);
  renderPreviews();
  $("status").textContent = t("defect.photo.removed");
  $("photos").focus();
}

$("photos").addEventListener("change", () => {
  const input = $("photos");
  clearError("photo");
  for (const file of input.files) {
    if (photos.length >= MAX_PHOTOS) { setError("photo", "error.photo.count"); break; }
    if (!TYPES.includes(file.type)) { setError("photo", "error.photo.type"); continue; }
    if (file.size > MAX_BYTES) { setError("photo", "error.photo.size"); continue; }
    photos.push({ file, url: URL.createObjectURL(file) });
  }
  input.value = "";
  renderPreviews();
  $("status").textContent = t("defect.photo.count", { n: photos.length });
});

$("defect-toggle").addEventListener("change", () => {
  const on = $("defect-toggle").checked;
  $("defect-details").hidden = !on;
  $("defect-toggle").setAttribute("aria-expanded", String(on));
  if (on) $("description").focus();
});

// --- errors -----------------------------------------------------------------------------------

const FIELD_PLACE = { score: "score-field", comment: "comment-field", description: "description-field", photo: "photos-field" };
const FIELD_CONTROL = { score: () => document.querySelector("input[name=score]"), comment: () => $("comment"),
  description: () => $("description"), photo: () => $("photos") };

function setError(field, key) {
  errors.set(field, key);
  const id = `${field}-error`;
  let message = $(id);
  const box = $(FIELD_PLACE[field]);
  if (!message) {
    message = el("p", { class: "error-text field-error", id });
    box.querySelector("legend, label").after(message);
  }
  message.textContent = t(key);
  box.classList.add("invalid");
  const inputs = field === "score" ? [...document.querySelectorAll("input[name=score]")] : [FIELD_CONTROL[field]()];
  for (const input of inputs) {
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", [input.dataset.hint, id].filter(Boolean).join(" "));
  }
}

function clearError(field) {
  errors.delete(field);
  $(`${field}-error`)?.remove();
  $(FIELD_PLACE[field]).classList.remove("invalid");
  const inputs = field === "score" ? [...document.querySelectorAll("input[name=score]")] : [FIELD_CONTROL[field]()];
  for (const input of inputs) {
    input.removeAttribute("aria-invalid");
    if (input.dataset.hint) input.setAttribute("aria-describedby", input.dataset.hint);
    else input.removeAttribute("aria-describedby");
  }
}

function showProblem(key) {
  const box = $("problem");
  box.hidden = !key;
  box.dataset.key = key ?? "";
  box.textContent = key ? t(key) : "";
}

function focusFirstError() {
  const first = ["score", "comment", "description", "photo"].find((f) => errors.has(f));
  if (!first) return;
  if (first === "score") (document.querySelector("input[name=score]:checked") ?? document.querySelector("input[name=score]")).focus();
  else FIELD_CONTROL[first]().focus();
}

/** Maps a problem's field errors (`score`, `photo[1]`, …) to ours; returns whether any matched. */
function fieldErrors(problem) {
  let any = false;
  for (const { field } of problem?.errors ?? []) {
    const name = String(field).replace(/\[\d+\]$/, "");
    const key = { score: "error.score", comment: "error.comment", description: "error.description", photo: "error.photo.invalid" }[name];
    if (key) { setError(name, key); any = true; }
  }
  return any;
}

// --- sending ----------------------------------------------------------------------------------

async function sendDefect() {
  const form = new FormData();
  form.append("token", token);
  form.append("description", $("description").value.trim());
  for (const p of photos) form.append("photo", p.file, p.file.name);
  let response;
  try {
    response = await fetch("/api/v1/evaluatie/defect", { method: "POST", body: form, credentials: "same-origin",
      headers: { Accept: "application/json" } });
  } catch {
    throw new ApiError(0, { detail: t("error.network") });
  }
  if (response.ok) return;
  let problem = null;
  try { problem = await response.json(); } catch { problem = null; }
  if (response.status === 413) problem = { ...problem, errors: [{ field: "photo", reason: "too large" }] };
  throw new ApiError(response.status, problem);
}

function finish() {
  main.dataset.state = "thanks";
  for (const p of photos) URL.revokeObjectURL(p.url);
  photos = [];
  $("evaluation").hidden = true;
  const done = $("done");
  done.dataset.i18n = reported ? "thanks.defect" : "thanks";
  done.textContent = t(done.dataset.i18n);
  done.hidden = false;
  sessionStorage.removeItem(TOKEN_KEY);
  done.focus();
}

$("form").addEventListener("submit", async (e) => {
  e.preventDefault();
  if (main.dataset.state === "sending") return;
  for (const f of [...errors.keys()]) clearError(f);
  showProblem(null);
  const score = new FormData($("form")).get("score");
  const comment = $("comment").value.trim();
  const defect = $("defect-toggle").checked && !reported;
  const description = $("description").value.trim();
  if (!score) setError("score", "error.score");
  if (chars(comment) > MAX_TEXT) setError("comment", "error.comment");
  if (defect && !description) setError("description", "error.description");
  if (defect && chars(description) > MAX_TEXT) setError("description", "error.description.long");
  if (errors.size) return focusFirstError();

  main.dataset.state = "sending";
  $("status").textContent = t("sending");
  try {
    if (defect) {
      await sendDefect();
      reported = true;
    }
    await api("/api/v1/evaluatie/antwoord", { method: "POST", body: { token, score: Number(score), ...(comment ? { comment } : {}) } });
    finish();
  } catch (error) {
    main.dataset.state = "open";
    $("status").textContent = "";
    if (error instanceof ApiError && (error.status === 404 || error.status === 410)) return showState(error.status === 404 ? "unknown" : "gone");
    if (error instanceof ApiError && [413, 422, 400].includes(error.status) && fieldErrors(error.problem)) return focusFirstError();
    showProblem(error instanceof ApiError && error.status === 0 ? "error.network" : "error.send");
  }
});

// --- start ------------------------------------------------------------------------------------

async function followInvitationLanguage(code) {
  if (new URLSearchParams(location.search).has("taal")) return;
  try { if (localStorage.getItem("balie.taal")) return; } catch { return; }
  if (code && code !== language() && LANGUAGES.some((l) => l.code === code)) await setLanguage(code);
}

async function load() {
  main.dataset.state = "loading";
  $("loading").hidden = false;
  $("state").hidden = true;
  if (!token) return showState("unknown");
  try {
    context = await api("/api/v1/evaluatie", { method: "POST", body: { token } });
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return showState("unknown");
    if (error instanceof ApiError && error.status === 410) return showState("gone");
    return showState("error");
  }
  await followInvitationLanguage(context.language);
  $("loading").hidden = true;
  main.dataset.state = "open";
  $("evaluation").hidden = false;
  relabel();
}

$("state-retry").addEventListener("click", load);

await start("evaluatie");
buildScale();
onLanguageChange(relabel);
await load();
