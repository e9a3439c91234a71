// Defect reports for resource admins (/defecten, role resource-admin): what users reported with a
// room or court evaluation, open or closed (?status=closed in the address), each as a card with the
// room, the day, the description and the photos; an open one is closed with what was done
// (POST /api/v1/defecten/{id}/afsluiten), which the reporter receives by e-mail.
// Not signed in: the staff console's sign-in (balie/staff-page.js with balie/signin.js, same element ids).
//
// Stable hooks for tests: data-testid defect-list (the <ol>, data-status = open | closed),
// defect-<id> (a card, data-status), defect-resolution-<id> (the textarea of an open one),
// defect-close-<id> (its button), defect-status (the outcome of closing), defect-tab-open and
// defect-tab-closed (the radio buttons). #signin (signed out), #no-role, #defects.

import { api, ApiError, el, start } from "./common/page.js";
import { formatDate, formatTime, language, onLanguageChange, t } from "./common/i18n.js";
import { announce, problemText } from "./balie/shared.js";
import { staffSession } from "./balie/staff-page.js";

const $ = (id) => document.getElementById(id);
const STATUSES = ["open", "closed"];
const MAX_TEXT = 2000;

const state = { status: "open", reports: null, seq: 0, errors: new Map() };

const locale = () => ({ nl: "nl-BE", en: "en-GB", fr: "fr-BE" })[language()] ?? "nl-BE";
const int = (n) => new Intl.NumberFormat(locale()).format(n ?? 0);
const when = (ts) => t("when", { date: formatDate(ts, { dateStyle: "long" }), time: formatTime(ts) });
const roomName = (r) => r.resource_name || t("room.unnamed", { id: r.resource_id });
const photoUrl = (id, photo) => `/api/v1/defecten/${encodeURIComponent(id)}/fotos/${encodeURIComponent(photo)}`;

// --- the chosen list, in the address ------------------------------------------------------------

function readUrl() {
  const status = new URLSearchParams(location.search).get("status");
  return STATUSES.includes(status) ? status : "open";
}

function writeUrl(status) {
  const p = new URLSearchParams(location.search);
  if (status === "open") p.delete("status");
  else p.set("status", status);
  const query = p.toString();
  const url = `${location.pathname}${query ? `?${query}` : ""}`;
  if (url !== `${location.pathname}${location.search}`) history.pushState(null, "", url);
}

function showStatusChoice() {
  for (const radio of document.querySelectorAll("input[name=status]")) radio.checked = radio.value === state.status;
  const heading = $("list-heading");
  heading.dataset.i18n = `list.${state.status}`;
  heading.textContent = t(heading.dataset.i18n);
  $("defect-list").dataset.status = state.status;
}

// --- loading ------------------------------------------------------------------------------------

async function load({ quiet = false } = {}) {
  const seq = ++state.seq;
  const status = state.status;
  const list = $("defect-list");
  list.setAttribute("aria-busy", "true");
  $("load-error").hidden = true;
  try {
    const reports = await api(`/api/v1/defecten?status=${status}`);
    if (seq !== state.seq) return;
    state.reports = reports ?? [];
    state.errors.clear();
    render();
    if (!quiet) announce($("count").textContent);
  } catch (error) {
    if (seq === state.seq) failed(error);
  } finally {
    if (seq === state.seq) list.setAttribute("aria-busy", "false");
  }
}

function failed(error) {
  if (error instanceof ApiError && error.status === 401) return signedOut(t("expired"));
  if (error instanceof ApiError && error.status === 403) return noRole();
  const box = $("load-error");
  box.textContent = error instanceof ApiError && error.status === 0 ? error.message : `${t("load.error")} ${problemText(error)}`;
  box.hidden = false;
}

// --- rendering ----------------------------------------------------------------------------------

function countText() {
  const n = state.reports?.length ?? 0;
  if (n === 0) return t(`count.${state.status}.none`);
  return t(n === 1 ? `count.${state.status}.one` : `count.${state.status}.many`, { n: int(n) });
}

/** Draws the list; what was typed in the open cards' text fields survives (a language switch). */
function render() {
  if (!state.reports) return;
  const typed = new Map([...document.querySelectorAll("#defect-list textarea")].map((a) => [a.id, a.value]));
  showStatusChoice();
  $("count").textContent = countText();
  $("defect-list").replaceChildren(...state.reports.map((r) => card(r, typed)));
}

function card(r, typed) {
  const room = roomName(r);
  const headingId = `defect-${r.id}-heading`;
  const photos = r.photos ?? [];
  const open = r.status === "open";
  return el("li", { class: `card defect defect-${r.status}`, id: `defect-${r.id}`, "data-testid": `defect-${r.id}`,
    dataset: { status: r.status, id: String(r.id) } },
  el("h3", { id: headingId, tabindex: "-1", text: room }),
  el("p", { class: "defect-meta", text: t("reported", { when: when(r.created_at), id: r.id }) }),
  el("h4", { class: "defect-label", text: t("description") }),
  el("blockquote", { class: "defect-text", text: r.description }),
  photos.length ? el("ul", { class: "photos", "aria-label": t("photos.label", { n: int(photos.length) }) },
    ...photos.map((photo, i) => el("li", {},
      el("a", { href: photoUrl(r.id, photo), target: "_blank", rel: "noopener" },
        el("img", { src: photoUrl(r.id, photo), loading: "lazy", width: "160", height: "120",
          alt: t("photo.alt", { n: i + 1, total: photos.length, room }) }))))) : el("p", { class: "hint", text: t("photos.none") }),
  open ? closeForm(r, typed) : closedPart(r));
}

function closedPart(r) {
  return el("div", { class: "defect-resolution" },
    el("h4", { class: "defect-label", text: t("resolution.done") }),
    el("blockquote", { class: "defect-text", text: r.resolution ?? "" }),
    el("p", { class: "defect-meta", text: [r.closed_at ? t("closed.when", { when: when(r.closed_at) }) : null,
      t(r.reporter_notified_on_close ? "closed.mailed" : "closed.nomail")].filter(Boolean).join(" ") }));
}

function closeForm(r, typed) {
  const id = `defect-resolution-${r.id}`;
  const hintId = `${id}-hint`;
  const error = state.errors.get(r.id);
  const errorId = `${id}-error`;
  const area = el("textarea", { id, name: "resolution", rows: "4", maxlength: String(MAX_TEXT), required: true,
    "data-testid": id, "aria-describedby": error ? `${hintId} ${errorId}` : hintId, "aria-invalid": error ? "true" : null });
  area.value = typed.get(id) ?? "";
  // The room in the label and the button too (unseen): every card has the same visible words.
  const which = el("span", { class: "visually-hidden", text: ` (${t("close.which", { room: roomName(r), id: r.id })})` });
  const form = el("form", { class: "close-form", novalidate: true },
    el("div", { class: "field" },
      el("label", { for: id }, t("resolution.label"), which),
      el("p", { class: "hint", id: hintId, text: t(r.reporter_notified_on_close ? "resolution.hint" : "resolution.hint.nomail") }),
      error ? el("p", { class: "error-text field-error", id: errorId, text: error }) : null,
      area),
    el("div", { class: "actions" },
      el("button", { type: "submit", "data-testid": `defect-close-${r.id}` }, t("close"), which.cloneNode(true))));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    closeReport(r, form, area, e.submitter ?? form.querySelector("button"));
  });
  return form;
}

/** Shows (or clears) the error under one card's text field, keeping what was typed. */
function fieldError(r, area, text) {
  if (text) state.errors.set(r.id, text);
  else state.errors.delete(r.id);
  const errorId = `${area.id}-error`;
  $(errorId)?.remove();
  const hintId = `${area.id}-hint`;
  if (!text) {
    area.removeAttribute("aria-invalid");
    area.setAttribute("aria-describedby", hintId);
    return;
  }
  area.before(el("p", { class: "error-text field-error", id: errorId, text }));
  area.setAttribute("aria-invalid", "true");
  area.setAttribute("aria-describedby", `${hintId} ${errorId}`);
  area.focus();
}

function setStatus(text, kind = "ok") {
  const box = $("defect-status");
  box.className = text ? `notice ${kind}` : "";
  box.textContent = text;
}

async function closeReport(r, form, area, button) {
  const resolution = area.value.trim();
  if (!resolution) return fieldError(r, area, t("resolution.missing"));
  if ([...resolution].length > MAX_TEXT) return fieldError(r, area, t("resolution.long", { max: int(MAX_TEXT) }));
  fieldError(r, area, null);
  setStatus("");
  button.disabled = true;
  form.setAttribute("aria-busy", "true");
  try {
    const closed = await api(`/api/v1/defecten/${encodeURIComponent(r.id)}/afsluiten`, { method: "POST", body: { resolution } });
    const room = roomName(closed ?? r);
    const mailed = closed?.reporter_notified_on_close ?? r.reporter_notified_on_close;
    removeCard(r.id);
    setStatus(t(mailed ? "closed.done" : "closed.done.nomail", { room }));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return signedOut(t("expired"));
    if (error instanceof ApiError && error.status === 403) return noRole();
    const fieldProblem = error instanceof ApiError ? (error.problem.errors ?? []).find((f) => f.field === "resolution") : null;
    if (error instanceof ApiError && error.status === 422 && fieldProblem) {
      return fieldError(r, area, t("resolution.invalid", { reason: fieldProblem.reason ?? "" }));
    }
    if (error instanceof ApiError && error.status === 409) {
      // Closed in the meantime (by a colleague): it belongs in the other list now.
      removeCard(r.id);
      setStatus(t("closed.already", { room: roomName(r) }), "warn");
      return;
    }
    if (error instanceof ApiError && error.status === 404) {
      removeCard(r.id);
      setStatus(t("closed.gone"), "error");
      return;
    }
    setStatus(`${t("close.error")} ${problemText(error)}`, "error");
    button.focus();
  } finally {
    button.disabled = false;
    form.removeAttribute("aria-busy");
  }
}

/** Takes a closed report out of the open list; focus goes to the next card, else the heading. */
function removeCard(id) {
  const index = state.reports.findIndex((x) => x.id === id);
  if (index >= 0) state.reports.splice(index, 1);
  state.errors.delete(id);
  const node = $(`defect-${id}`);
  const next = node?.nextElementSibling ?? node?.previousElementSibling;
  node?.remove();
  $("count").textContent = countText();
  (next?.querySelector("h3") ?? $("list-heading")).focus();
}

// --- session ------------------------------------------------------------------------------------

const session = staffSession({
  role: "resource-admin",
  main: "defects",
  /** The reports for a signed-in resource admin. */
  async onEnter(me, { focus }) {
    showStatusChoice();
    if (focus) $("list-heading").focus();
    await load({ quiet: !focus });
  },
  onSignedOut() {
    state.reports = null;
    state.errors.clear();
    ++state.seq;
    $("defect-list").replaceChildren();
    $("count").textContent = "";
    setStatus("");
  },
});
const { signedOut, noRole, whoami } = session;

// --- wiring -------------------------------------------------------------------------------------

for (const radio of document.querySelectorAll("input[name=status]")) {
  radio.addEventListener("change", () => {
    if (!radio.checked || radio.value === state.status) return;
    state.status = radio.value;
    state.reports = null;
    writeUrl(state.status);
    showStatusChoice();
    setStatus("");
    $("count").textContent = "";
    $("defect-list").replaceChildren();
    load();
  });
}

$("refresh").addEventListener("click", () => {
  setStatus("");
  load();
});

window.addEventListener("popstate", () => {
  const status = readUrl();
  if (status === state.status) return;
  state.status = status;
  state.reports = null;
  showStatusChoice();
  if (!session.me || $("defects").hidden) return;
  setStatus("");
  load();
});

await start("defecten");
state.status = readUrl();
showStatusChoice();
onLanguageChange(() => {
  whoami();
  showStatusChoice();
  if (state.reports) render();
  // A status message stays in the language it was said in; the next one follows the new one.
});

await session.resume();
