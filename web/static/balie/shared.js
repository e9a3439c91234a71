// What the console's views share: the signed-in person, the service catalogue, announcing state
// changes to screen readers, turning API problems into clear text, and form field errors.

import { api, ApiError, el } from "../common/page.js";
import { t, has, formatDate, formatTime, language } from "../common/i18n.js";

export const session = { me: null, services: [], consent: {} };

/** Says `text` through the polite live region (screen readers), e.g. "Notities bewaard". */
export function announce(text) {
  const live = document.getElementById("live");
  live.textContent = "";
  // A fresh node after a tick: the same text twice in a row is announced twice.
  setTimeout(() => { live.textContent = text; }, 50);
}

/** A service's name in the current language, by its code. */
export function serviceName(code) {
  const s = session.services.find((x) => x.code === code);
  return s ? s.name[language()] ?? s.name.nl : code;
}

export const modeText = (mode) => t(`mode.${mode}`);
export const statusText = (status) => t(`status.${status}`);

/** "14:30–14:45". */
export const timeRange = (period) => `${formatTime(period.start)}–${formatTime(period.end)}`;

/** "dinsdag 24 november 2026, 14:30–14:45". */
export const whenText = (period) => `${formatDate(period.start)}, ${timeRange(period)}`;

export function relationText(relation) {
  if (relation && typeof relation === "object") return relation.other ?? "";
  return t(`relation.${relation}`);
}

/** The Brussels calendar date of an instant, as YYYY-MM-DD. */
export function brusselsDate(when = new Date()) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Brussels", year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date(when));
}

/** YYYY-MM-DD plus `days` (calendar arithmetic, no time zone involved). */
export function addDays(date, days) {
  const d = new Date(`${date}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/**
 * What to tell a person about a failed call: our own text for the kinds of problem we know
 * (the server's details are English), else the server's detail.
 */
export function problemText(error) {
  if (!(error instanceof ApiError)) return t("error.generic");
  const kind = (error.problem.type ?? "").replace("/problems/", "");
  if (error.status === 0) return error.message;
  if (has(`problem.${kind}`)) {
    const base = t(`problem.${kind}`);
    // A state problem's detail says why (in English); shown too, it helps the helpdesk.
    return kind === "state" && error.problem.detail ? `${base} (${error.problem.detail})` : base;
  }
  return error.problem.detail || t("error.generic");
}

/** The text for one field error: ours for known fields, else the server's reason. */
export function fieldErrorText(field, reason) {
  const leaf = field.replace(/^.*\]\./, "").replace(/^third_party\./, "");
  const key = `field.${leaf}`;
  return has(key) ? t(key) : reason;
}

/**
 * Shows a 422's field errors next to the fields and in a summary that gets focus. `fieldIds`
 * maps API field names (`third_parties[0].email`) to input ids. Returns true when it did.
 */
export function showFieldErrors(form, summary, error, fieldIds) {
  clearFieldErrors(form, summary);
  const errors = error instanceof ApiError ? error.problem.errors ?? [] : [];
  if (!errors.length) return false;
  const items = [];
  for (const { field, reason } of errors) {
    const text = fieldErrorText(field, reason);
    const id = fieldIds(field);
    const input = id && document.getElementById(id);
    if (input) {
      const message = el("p", { class: "error-text field-error", id: `${id}-error`, text });
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", [input.dataset.hint, message.id].filter(Boolean).join(" "));
      (input.closest(".field") ?? input.parentElement).append(message);
      items.push(el("li", {}, el("a", { href: `#${id}`, onclick: (e) => { e.preventDefault(); input.focus(); } }, text)));
    } else {
      items.push(el("li", { text }));
    }
  }
  if (summary) showSummary(summary, t("errors.heading"), items);
  return true;
}

/** Fills the error summary (a heading and items) and moves focus to it. */
export function showSummary(summary, heading, items = []) {
  summary.replaceChildren(el("h3", { text: heading }), ...(items.length ? [el("ul", {}, ...items)] : []));
  summary.hidden = false;
  summary.focus();
}

export function clearFieldErrors(form, summary) {
  for (const p of form.querySelectorAll(".field-error")) p.remove();
  for (const input of form.querySelectorAll("[aria-invalid]")) {
    input.removeAttribute("aria-invalid");
    if (input.dataset.hint) input.setAttribute("aria-describedby", input.dataset.hint);
    else input.removeAttribute("aria-describedby");
  }
  if (summary) { summary.hidden = true; summary.replaceChildren(); }
}

/** A labelled field: <div class="field"><label for=id>…</label>control</div>. */
export function field(id, labelKey, control, hintKey) {
  control.id = id;
  const parts = [el("label", { for: id, text: t(labelKey) })];
  if (hintKey) {
    const hint = el("p", { class: "hint", id: `${id}-hint`, text: t(hintKey) });
    control.dataset.hint = hint.id;
    control.setAttribute("aria-describedby", hint.id);
    parts.push(hint);
  }
  return el("div", { class: "field" }, ...parts, control);
}

export function options(select, list, selected) {
  select.replaceChildren(...list.map(([value, text]) => el("option", { value, text })));
  if (selected !== undefined) select.value = selected;
  return select;
}

export async function loadServices() {
  const guide = await api("/api/v1/afspraken/gids");
  session.services = guide.services;
  session.consent = guide.consent;
}
