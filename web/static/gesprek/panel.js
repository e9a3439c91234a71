// The shared booking panel of the call page (contract: docs/panel.md). During the call the agent
// and the citizen reserve a room or court together; everyone admitted sees the same panel.
//
// The server holds the truth. This module only draws the last `panel` message it received
// (state → DOM) and turns every input into a `panel_edit` with `base` = the last version seen,
// or into the agent's `panel_control` / `panel_action`. What it keeps itself is only what cannot
// be shared: fetched catalogue data (each page fetches results, availability and services itself
// from the shared state), the slot length chosen before a slot is picked, and what someone is
// typing until it has been sent and echoed.
//
// Hooks for tests (data-testid):
//   panel-toggle, panel-reset                 agent: open/close the panel, start again
//   panel-control                             the line saying who controls the panel
//   panel-readonly                            why the controls are disabled (guests; a citizen without control)
//   panel-give-<participant id>, panel-take-back   agent: hand control over / take it back
//   panel-notice                              role=alert: the server's notice in words (data-code)
//   panel-live                                role=status: step changes, conflicts
//   panel-step-<step>                         the steps list items (aria-current="step" on the current)
//   panel-kind, panel-type, panel-capacity, panel-wheelchair, panel-equipment-<code>
//   panel-results (ul), panel-result-<resource id> (the choose button of each result)
//   panel-date (day input), panel-prev-month, panel-next-month, panel-day-<YYYY-MM-DD> (day buttons),
//   panel-duration, panel-slots (ul), panel-slot-<HHMM> (each free slot button, data-start/data-end), panel-hold
//   panel-attendees, panel-extra-<code> (checkbox), panel-extra-qty-<code>, panel-customer-<type>,
//   panel-organisation, panel-purpose, panel-quote (table), panel-quote-total
//   panel-identity-name, panel-identity-address, panel-identity-email, panel-identity-confirmed,
//   panel-identity-check (agent only)
//   panel-pay-online, panel-pay-invoice (agent only), panel-payment-status (aria-live),
//   panel-qr (img), panel-checkout-link, panel-invoice
//   panel-done
//   panel-next-<step>, panel-back-<step>      the buttons that move between steps
// window.balie.panel: the last panel message ({version, controller, by, state}).

import { TIME_ZONE, apply, formatDate, formatDateTime, formatMoney, formatTime, has, language, onLanguageChange, t } from "../common/i18n.js";
import { api, el } from "../common/page.js";

const STEPS = ["search", "slot", "details", "identify", "pay", "done"];
const TYPES = {
  room: ["meeting_room", "multipurpose_room", "party_hall", "theatre_hall", "youth_room", "rehearsal_room", "classroom"],
  court: ["sports_hall", "sports_hall_part", "badminton_court", "tennis_court", "padel_court"],
};
const EQUIPMENT = ["projector", "screen", "whiteboard", "video_conferencing", "wifi", "kitchen", "bar", "sound_system", "stage",
  "stage_lighting", "piano", "showers", "changing_rooms", "nets", "scoreboard", "floodlights", "lift", "accessible_toilet"];
// booking's customer types (the panel's signalling accepts these names): a private person, living
// in the municipality or not, or someone acting for an association or a company.
const CUSTOMER_TYPES = ["resident", "non_resident", "recognised_association", "other_association", "company"];
const ORGANISATIONS = ["recognised_association", "other_association", "company"];
const IDENTITY_CHECKS = ["eid_shown", "known_person", "itsme_later", "other"];
const DURATIONS = [60, 90, 120, 180, 240, 360, 480]; // minutes
const MONTHS_AHEAD = 12;
const TYPING_DELAY = 600; // ms of quiet before typed text is sent
const STATUS_SYMBOL = { free: "✓", partial: "◐", full: "✕", closed: "–", unavailable: "·" };

const $ = (id) => document.getElementById(id);

let call = null; // gesprek.js's state: role, me, roster
let sendMessage = () => {};
let panel = null; // the last panel message
const view = {
  duration: 120,
  results: { sig: null, items: null, total: 0, error: null },
  resources: new Map(), // id → resource (or a promise while loading)
  services: null, // [ExtraService] once loaded
  month: { sig: null, days: null, error: false },
  day: { sig: null, free: null, error: false },
  notice: "",
};
const pending = new WeakMap(); // input → {base, at}: sent, echo not yet seen

// --- dates ------------------------------------------------------------------------------------

const ymd = new Intl.DateTimeFormat("en-CA", { timeZone: TIME_ZONE, year: "numeric", month: "2-digit", day: "2-digit" });
const dateOf = (when) => ymd.format(new Date(when));
const today = () => dateOf(Date.now());
const thisMonth = () => today().slice(0, 7);
const noon = (date) => `${date}T12:00:00Z`; // the same civil date in Brussels
function addMonths(month, n) {
  const [y, m] = month.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1 + n, 1)).toISOString().slice(0, 7);
}
function addDays(date, n) {
  const d = new Date(noon(date));
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}
const lastDay = () => addDays(`${addMonths(thisMonth(), MONTHS_AHEAD + 1)}-01`, -1);
const weekday = (date) => (new Date(noon(date)).getUTCDay() + 6) % 7; // 0 = Monday
const weekdayName = (i, style) => formatDate(noon(`2024-01-0${i + 1}`), { dateStyle: undefined, weekday: style });
const monthName = (month) => formatDate(noon(`${month}-15`), { dateStyle: undefined, month: "long", year: "numeric" });
const dayName = (date) => formatDate(noon(date));

/** An instant from the server ("…+01:00" or "…+01:00[Europe/Brussels]"). */
const instant = (s) => new Date(String(s).replace(/\[[^\]]*\]$/, ""));

const zonedParts = new Intl.DateTimeFormat("en-GB", {
  timeZone: TIME_ZONE, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
  second: "2-digit", hourCycle: "h23", timeZoneName: "longOffset",
});
/** "2026-12-05T10:00:00+01:00[Europe/Brussels]", the form the panel's `slot` uses. */
function zoned(ms) {
  const p = Object.fromEntries(zonedParts.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  const offset = (p.timeZoneName ?? "GMT").replace("GMT", "") || "+00:00";
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}${offset}[${TIME_ZONE}]`;
}
const hhmm = (ms) => formatTime(ms);
const number = (n) => n.toLocaleString(language(), { maximumFractionDigits: 2 });

// --- who may do what ----------------------------------------------------------------------------

const S = () => panel?.state ?? {};
const isAgent = () => call?.role === "agent";
const myId = () => call?.me?.id;
/** The agent always may edit; a citizen only while in control; a guest never. */
const canEdit = () => isAgent() || (call?.role === "citizen" && panel?.controller != null && panel.controller === myId());
const person = (id) => call?.roster?.find((p) => p.id === id);
function currentStep(state = S()) {
  if (state.reservation?.status === "confirmed") return "done";
  return STEPS.includes(state.step) ? state.step : "search";
}
/** Once a payment runs or is done, going back would only confuse. */
const paymentBusy = (state = S()) => !!state.reservation || ["open", "paid"].includes(state.payment?.status);

// --- sending ------------------------------------------------------------------------------------

function edit(set, input) {
  if (!canEdit()) return;
  const base = panel?.version ?? 0;
  if (input) pending.set(input, { base, at: Date.now() });
  sendMessage({ type: "panel_edit", base, set });
}
const action = (msg) => { if (isAgent()) sendMessage({ type: "panel_action", ...msg }); };
const control = (to) => { if (isAgent()) sendMessage({ type: "panel_control", to }); };

/**
 * Sends what `input` holds: at once for choices, after a pause in typing for text. `toSet`
 * returns the `set` object (or null for nothing to send).
 */
function watch(input, toSet, typing = false) {
  let timer = 0;
  const flush = () => {
    clearTimeout(timer);
    if (!input.dataset.dirty) return;
    delete input.dataset.dirty;
    const set = toSet(input);
    if (set) edit(set, input);
  };
  if (typing) {
    input.addEventListener("input", () => {
      input.dataset.dirty = "1";
      clearTimeout(timer);
      timer = setTimeout(flush, TYPING_DELAY);
    });
    input.addEventListener("change", flush);
    input.addEventListener("blur", flush);
  } else {
    input.addEventListener("change", () => {
      input.dataset.dirty = "1";
      flush();
    });
  }
}

/** Shows the server's value, unless the person is typing or their edit has not come back yet. */
function setValue(input, value) {
  if (input.dataset.dirty) return;
  const p = pending.get(input);
  if (p && (panel?.version ?? 0) <= p.base && Date.now() - p.at < 3000) return;
  pending.delete(input);
  if (input.type === "checkbox" || input.type === "radio") input.checked = !!value;
  else {
    const v = value == null ? "" : String(value);
    if (input.value !== v) input.value = v;
  }
}

// --- building blocks ----------------------------------------------------------------------------

const tx = (tag, key, attrs = {}) => el(tag, { ...attrs, "data-i18n": key, text: t(key) });
const button = (key, attrs) => tx("button", key, { type: "button", ...attrs });
function field(id, key, input, withHint = false) {
  return el("div", { class: "field" }, tx("label", key, { for: id }), withHint ? el("span", { class: "hint", id: `${id}-hint` }) : null, input);
}
function check(id, key, attrs = {}) {
  return el("div", { class: "check" }, el("input", { type: "checkbox", id, ...attrs }), tx("label", key, { for: id }));
}
function stepSection(step, ...children) {
  return el("section", { id: `panel-step-${step}`, class: "panel-step", hidden: true, "aria-labelledby": `panel-${step}-title` },
    tx("h3", `panel.${step}.title`, { id: `panel-${step}-title`, tabindex: "-1" }), ...children);
}
/**
 * Replaces `container`'s children when `sig` changed, keeping keyboard focus on the element with
 * the same id (a redrawn list must not lose a keyboard user's place).
 */
function sync(container, sig, build) {
  if (container.dataset.sig === sig) return;
  container.dataset.sig = sig;
  const focused = container.contains(document.activeElement) ? document.activeElement.id : null;
  const value = container.tagName === "SELECT" ? container.value : null;
  container.replaceChildren(...[build()].flat().filter(Boolean));
  if (value !== null && [...container.options].some((o) => o.value === value)) container.value = value;
  if (focused && $(focused)) $(focused).focus();
}
const say = (text) => { $("panel-live").textContent = text; };
const pageSay = (text) => { const s = $("status"); if (s) s.textContent = text; };

// --- the skeleton, built once -------------------------------------------------------------------

function build() {
  const root = $("panel-slot");
  root.classList.add("panel");
  const kind = el("select", { id: "panel-kind", "data-testid": "panel-kind", "data-edit": "" });
  const type = el("select", { id: "panel-type", "data-testid": "panel-type", "data-edit": "" });
  const capacity = el("input", { id: "panel-capacity", type: "number", min: "1", max: "10000", inputmode: "numeric", "data-testid": "panel-capacity", "data-edit": "" });
  const duration = el("select", { id: "panel-duration", "data-testid": "panel-duration", "data-edit": "" });
  const date = el("input", { id: "panel-date", type: "date", "data-testid": "panel-date", "data-edit": "" });
  const attendees = el("input", { id: "panel-attendees", type: "number", min: "1", max: "10000", inputmode: "numeric", "data-testid": "panel-attendees", "data-edit": "", "aria-describedby": "panel-attendees-hint" });
  const organisation = el("input", { id: "panel-organisation", maxlength: "200", autocomplete: "organization", "data-testid": "panel-organisation", "data-edit": "" });
  const purpose = el("textarea", { id: "panel-purpose", rows: "2", maxlength: "500", "data-testid": "panel-purpose", "data-edit": "" });
  const name = el("input", { id: "panel-identity-name", maxlength: "200", autocomplete: "name", "data-testid": "panel-identity-name", "data-edit": "" });
  const address = el("textarea", { id: "panel-identity-address", rows: "2", maxlength: "200", autocomplete: "street-address", "data-testid": "panel-identity-address", "data-edit": "" });
  const email = el("input", { id: "panel-identity-email", type: "email", maxlength: "200", autocomplete: "email", "data-testid": "panel-identity-email", "data-edit": "" });
  const identityCheck = el("select", { id: "panel-identity-check", "data-testid": "panel-identity-check", "data-edit": "" });

  root.append(
    el("div", { class: "panel-bar", "data-agent": "" },
      tx("p", "panel.closed.hint", { id: "panel-closed-hint", class: "hint" }),
      el("div", { class: "actions" },
        el("button", { type: "button", id: "panel-toggle", "data-testid": "panel-toggle", onclick: () => edit({ open: !S().open }) }),
        button("panel.reset", { id: "panel-reset", class: "secondary", "data-testid": "panel-reset", onclick: reset }))),
    el("p", { id: "panel-live", class: "panel-live", role: "status", "data-testid": "panel-live" }),
    el("div", { id: "panel-body" },
      el("div", { class: "panel-control" },
        el("p", { id: "panel-control-line", "data-testid": "panel-control" }),
        el("p", { id: "panel-readonly", class: "notice", "data-testid": "panel-readonly", hidden: true }),
        el("div", { id: "panel-handover", class: "actions", "data-agent": "" })),
      el("div", { id: "panel-notice", class: "panel-notice", role: "alert", "data-testid": "panel-notice" }),
      el("nav", { class: "panel-steps", "aria-labelledby": "panel-steps-title" },
        tx("h3", "panel.steps", { id: "panel-steps-title", class: "visually-hidden" }),
        el("ol", { id: "panel-steps" })),

      stepSection("search",
        el("div", { class: "panel-grid" },
          field("panel-kind", "panel.filter.kind", kind),
          field("panel-type", "panel.filter.type", type),
          field("panel-capacity", "panel.filter.capacity", capacity)),
        check("panel-wheelchair", "panel.filter.wheelchair", { "data-testid": "panel-wheelchair", "data-edit": "" }),
        el("details", { class: "panel-equipment" },
          tx("summary", "panel.filter.equipment"),
          el("fieldset", {}, tx("legend", "panel.filter.equipment.legend"), el("div", { id: "panel-equipment", class: "panel-checks" }))),
        tx("h4", "panel.results.title", { id: "panel-results-title" }),
        el("p", { id: "panel-result-count", class: "hint" }),
        el("ul", { id: "panel-results", class: "panel-results", "aria-labelledby": "panel-results-title", "data-testid": "panel-results" })),

      stepSection("slot",
        el("div", { id: "panel-resource", class: "panel-resource" }),
        field("panel-date", "panel.slot.date", date),
        el("div", { class: "panel-month-nav" },
          button("panel.slot.prev_month", { id: "panel-prev-month", class: "secondary", "data-testid": "panel-prev-month", "data-edit": "", onclick: () => moveMonth(-1) }),
          el("p", { id: "panel-month-label", class: "panel-month-label" }),
          button("panel.slot.next_month", { id: "panel-next-month", class: "secondary", "data-testid": "panel-next-month", "data-edit": "", onclick: () => moveMonth(1) })),
        el("div", { id: "panel-month", class: "panel-month" }),
        field("panel-duration", "panel.slot.duration", duration),
        el("h4", { id: "panel-slots-title" }),
        el("ul", { id: "panel-slots", class: "panel-slots", "aria-labelledby": "panel-slots-title", "data-testid": "panel-slots" }),
        el("div", { id: "panel-hold", class: "panel-hold", "data-testid": "panel-hold" }),
        el("div", { class: "actions" },
          button("panel.back.search", { id: "panel-back-search", class: "secondary", "data-testid": "panel-back-search", "data-edit": "", onclick: () => edit({ step: "search" }) }),
          button("panel.next.details", { id: "panel-next-details", "data-testid": "panel-next-details", "data-edit": "", onclick: () => edit({ step: "details" }) }))),

      stepSection("details",
        field("panel-attendees", "panel.details.attendees", attendees, true),
        el("fieldset", { class: "panel-extras" }, tx("legend", "panel.details.extras"), el("div", { id: "panel-extras", class: "panel-checks" })),
        el("fieldset", { class: "panel-customer" }, tx("legend", "panel.details.customer"),
          ...CUSTOMER_TYPES.map((c) => el("div", { class: "check" },
            el("input", { type: "radio", name: "panel-customer", id: `panel-customer-${c}`, value: c, "data-testid": `panel-customer-${c}`, "data-edit": "" }),
            tx("label", `panel.customer.${c}`, { for: `panel-customer-${c}` })))),
        el("div", { id: "panel-organisation-field" }, field("panel-organisation", "panel.details.organisation", organisation)),
        field("panel-purpose", "panel.details.purpose", purpose),
        el("div", { id: "panel-quote", class: "panel-quote" }),
        el("div", { class: "actions" },
          button("panel.back.slot", { id: "panel-back-slot", class: "secondary", "data-testid": "panel-back-slot", "data-edit": "", onclick: () => edit({ step: "slot" }) }),
          button("panel.next.identify", { id: "panel-next-identify", "data-testid": "panel-next-identify", "data-edit": "", onclick: () => edit({ step: "identify" }) }))),

      stepSection("identify",
        tx("p", "panel.identify.intro", { class: "hint" }),
        field("panel-identity-name", "panel.identify.name", name),
        field("panel-identity-address", "panel.identify.address", address),
        field("panel-identity-email", "panel.identify.email", email),
        check("panel-identity-confirmed", "panel.identify.confirmed", { "data-testid": "panel-identity-confirmed", "data-edit": "" }),
        el("div", { "data-agent": "" }, field("panel-identity-check", "panel.identify.check", identityCheck)),
        el("div", { class: "actions" },
          button("panel.back.details", { id: "panel-back-details", class: "secondary", "data-testid": "panel-back-details", "data-edit": "", onclick: () => edit({ step: "details" }) }),
          button("panel.next.pay", { id: "panel-next-pay", "data-testid": "panel-next-pay", "data-edit": "", onclick: () => edit({ step: "pay" }) })),
        el("p", { id: "panel-identify-missing", class: "hint" })),

      stepSection("pay",
        el("p", { id: "panel-pay-total", class: "panel-total" }),
        el("div", { class: "actions", "data-agent": "" },
          button("panel.pay.online", { id: "panel-pay-online", "data-testid": "panel-pay-online", onclick: () => action({ action: "pay", method: "online" }) }),
          button("panel.pay.invoice", { id: "panel-pay-invoice", class: "secondary", "data-testid": "panel-pay-invoice", onclick: () => action({ action: "pay", method: "invoice" }) })),
        el("p", { id: "panel-pay-wait", class: "hint" }),
        el("div", { id: "panel-payment" }),
        el("p", { id: "panel-payment-status", class: "panel-payment-status", role: "status", "aria-live": "polite", "data-testid": "panel-payment-status" }),
        el("div", { class: "actions" },
          button("panel.back.identify", { id: "panel-back-identify", class: "secondary", "data-testid": "panel-back-identify", "data-edit": "", onclick: () => edit({ step: "identify" }) }))),

      stepSection("done", el("div", { id: "panel-done", "data-testid": "panel-done" }))),
  );
  apply(root);

  // Choices send at once; typing is sent after a pause, on Enter or on leaving the field.
  watch(kind, () => {
    const k = kind.value || null;
    const f = filtersFromForm();
    // A type of the other kind no longer applies; the other filters stay as they are.
    if (!f.type || !k || TYPES[k].includes(f.type)) return { kind: k };
    delete f.type;
    return { kind: k, filters: f };
  });
  watch(type, () => ({ filters: filtersFromForm() }));
  watch(capacity, () => ({ filters: filtersFromForm() }), true);
  watch($("panel-wheelchair"), () => ({ filters: filtersFromForm() }));
  watch(date, () => {
    const d = date.value;
    return /^\d{4}-\d{2}-\d{2}$/.test(d) && d >= today() && d <= lastDay() ? { date: d } : null;
  });
  duration.addEventListener("change", () => {
    view.duration = Number(duration.value);
    const slot = S().slot;
    // With a slot chosen, the length is the slot's: changing it changes the shared slot.
    if (slot && canEdit()) {
      const start = instant(slot.start).getTime();
      edit({ slot: { start: zoned(start), end: zoned(start + view.duration * 60000) } }, duration);
    }
    render();
  });
  watch(attendees, () => {
    const n = Number(attendees.value);
    return attendees.value.trim() === "" ? { attendees: null } : Number.isInteger(n) && n >= 1 ? { attendees: n } : null;
  }, true);
  for (const c of CUSTOMER_TYPES) {
    watch($(`panel-customer-${c}`), (input) => (input.checked ? { customer_type: c, ...(ORGANISATIONS.includes(c) ? {} : { organisation: null }) } : null));
  }
  watch(organisation, () => ({ organisation: organisation.value.trim() || null }), true);
  watch(purpose, () => ({ purpose: purpose.value.trim() || null }), true);
  for (const input of [name, address, email]) {
    watch(input, () => ({
      identity: { name: name.value.trim(), address: address.value.trim(), email: email.value.trim() },
      // Changed details must be confirmed again.
      ...(S().identity_confirmed ? { identity_confirmed: false } : {}),
    }), true);
  }
  watch($("panel-identity-confirmed"), (input) => ({ identity_confirmed: input.checked }));
  watch(identityCheck, () => ({ identity_check: identityCheck.value || null }));
}

function filtersFromForm() {
  const f = {};
  const capacity = Number($("panel-capacity").value);
  if ($("panel-capacity").value.trim() && Number.isInteger(capacity) && capacity >= 1) f.min_capacity = capacity;
  if ($("panel-wheelchair").checked) f.wheelchair_accessible = true;
  if ($("panel-type").value) f.type = $("panel-type").value;
  const equipment = [...document.querySelectorAll("#panel-equipment input:checked")].map((i) => i.value);
  if (equipment.length) f.equipment = equipment;
  return f;
}

function reset() {
  if (confirm(t("panel.reset.confirm"))) action({ action: "reset" });
}

function moveMonth(step) {
  const month = (S().date ?? today()).slice(0, 7);
  const next = addMonths(month, step);
  if (next < thisMonth() || next > addMonths(thisMonth(), MONTHS_AHEAD)) return;
  edit({ date: next === thisMonth() ? today() : `${next}-01` });
}

// --- rendering ----------------------------------------------------------------------------------

/** Draws the whole panel from the last state. Idempotent: safe to call at any time. */
function render() {
  const root = $("panel-slot");
  if (!root || !call) return;
  const state = S();
  const agent = isAgent();
  const open = !!state.open;
  root.hidden = !(open || agent);
  document.body.dataset.panel = open ? "open" : "closed";
  for (const node of root.querySelectorAll("[data-agent]")) node.hidden = !agent;
  $("panel-body").hidden = !open;
  $("panel-closed-hint").hidden = open;
  const toggle = $("panel-toggle");
  toggle.dataset.i18n = open ? "panel.close" : "panel.open";
  toggle.textContent = t(toggle.dataset.i18n);
  toggle.className = open ? "secondary" : "";
  $("panel-reset").hidden = !open;
  if (!open) return;

  const step = currentStep(state);
  renderControl();
  renderNotice(state);
  renderSteps(step);
  for (const s of STEPS) $(`panel-step-${s}`).hidden = s !== step;
  ({ search: renderSearch, slot: renderSlot, details: renderDetails, identify: renderIdentify, pay: renderPay, done: renderDone })[step](state);

  // Disabled for whoever may not edit; typing of someone who just lost control is dropped.
  const can = canEdit();
  for (const node of root.querySelectorAll("[data-edit]")) {
    if (!can) {
      node.disabled = true;
      delete node.dataset.dirty;
    } else if (node.dataset.off === undefined) {
      node.disabled = false;
    }
  }
}

function renderControl() {
  const agent = isAgent();
  // Before the panel's first change the server names no controller yet: that is the agent.
  const controller = panel?.controller ?? call.roster?.find((p) => p.role === "agent")?.id ?? null;
  const who = person(controller);
  const line = $("panel-control-line");
  if (controller === myId()) line.textContent = t(agent ? "panel.control.you_agent" : "panel.control.you");
  else if (who) line.textContent = t(agent ? "panel.control.other_agent" : "panel.control.other", { name: who.name, role: t(`role.${who.role}`) });
  else line.textContent = t("panel.control.agent");
  const readonly = $("panel-readonly");
  const reason = call.role === "guest" ? "panel.readonly.guest" : !canEdit() ? "panel.readonly.citizen" : null;
  readonly.hidden = !reason;
  readonly.textContent = reason ? t(reason) : "";
  if (!agent) return;
  const citizens = (call.roster ?? []).filter((p) => p.role === "citizen" && p.presence !== "lobby");
  sync($("panel-handover"), JSON.stringify([language(), controller, myId(), citizens.map((p) => [p.id, p.name])]), () => [
    ...citizens.filter((p) => p.id !== controller).map((p) =>
      el("button", { type: "button", class: "secondary", id: `panel-give-${p.id}`, "data-testid": `panel-give-${p.id}`, onclick: () => control(p.id) },
        t("panel.control.give", { name: p.name }))),
    controller != null && controller !== myId()
      ? button("panel.control.take_back", { id: "panel-take-back", class: "secondary", "data-testid": "panel-take-back", onclick: () => control(myId()) })
      : null,
  ]);
}

function noticeText(notice) {
  if (!notice) return "";
  const key = `panel.notice.${notice.code}`;
  const text = has(key) ? t(key) : t("panel.notice.other");
  return typeof notice.detail === "string" && notice.code === "invalid" ? `${text} ${notice.detail}` : text;
}

function renderNotice(state) {
  const box = $("panel-notice");
  const text = noticeText(state.notice);
  box.dataset.code = state.notice?.code ?? "";
  box.classList.toggle("notice", !!text);
  box.classList.toggle("error", !!text);
  // Only a new notice is written (and so announced), not every redraw.
  if (box.textContent !== text) box.textContent = text;
}

function renderSteps(step) {
  const can = canEdit();
  const index = STEPS.indexOf(step);
  const back = can && !paymentBusy();
  sync($("panel-steps"), JSON.stringify([language(), step, back]), () => STEPS.map((s, i) => {
    const label = [el("span", { class: "panel-step-number", "aria-hidden": "true", text: String(i + 1) }),
      el("span", { class: "panel-step-name", text: t(`panel.step.${s}`) }),
      i === index ? el("span", { class: "visually-hidden", text: ` (${t("panel.step.current")})` }) : null,
      i < index ? el("span", { class: "visually-hidden", text: ` (${t("panel.step.past")})` }) : null];
    const content = back && i < index && s !== "done"
      ? el("button", { type: "button", class: "link", id: `panel-goto-${s}`, "data-edit": "", onclick: () => edit({ step: s }) }, ...label)
      : el("span", {}, ...label);
    return el("li", { "data-testid": `panel-step-${s}`, "data-step": s, class: i < index ? "past" : i === index ? "current" : "future",
      "aria-current": i === index ? "step" : undefined }, content);
  }));
}

// Search ------------------------------------------------------------------------------------------

function renderSearch(state) {
  const f = state.filters ?? {};
  const kind = $("panel-kind");
  const lang = language();
  sync(kind, lang, () => ["", "room", "court"].map((k) => el("option", { value: k, text: t(k ? `panel.kind.${k}` : "panel.kind.any") })));
  setValue(kind, state.kind ?? "");
  const kinds = state.kind ? [state.kind] : ["room", "court"];
  const type = $("panel-type");
  sync(type, `${lang}:${kinds}`, () => [el("option", { value: "", text: t("panel.type.any") }),
    ...kinds.flatMap((k) => TYPES[k]).map((code) => el("option", { value: code, text: t(`panel.type.${code}`) }))]);
  setValue(type, f.type ?? "");
  setValue($("panel-capacity"), f.min_capacity ?? "");
  setValue($("panel-wheelchair"), !!f.wheelchair_accessible);
  const equipment = $("panel-equipment");
  sync(equipment, lang, () => EQUIPMENT.map((code) => {
    const input = el("input", { type: "checkbox", id: `panel-equipment-${code}`, value: code, "data-testid": `panel-equipment-${code}`, "data-edit": "" });
    watch(input, () => ({ filters: filtersFromForm() }));
    return el("div", { class: "check" }, input, el("label", { for: input.id, text: t(`panel.equipment.${code}`) }));
  }));
  const chosen = new Set(f.equipment ?? []);
  for (const input of equipment.querySelectorAll("input")) setValue(input, chosen.has(input.value));
  if ((f.equipment ?? []).length) equipment.closest("details").open = true;
  loadResults(state);
  renderResults();
}

function resultsQuery(state) {
  const f = state.filters ?? {};
  const params = new URLSearchParams({ per_page: "100", sort: "name" });
  if (state.kind) params.set("kind", state.kind);
  if (f.type) params.set("type", f.type);
  if (f.min_capacity) params.set("min_capacity", String(f.min_capacity));
  if (f.wheelchair_accessible) params.set("wheelchair_accessible", "true");
  if (f.equipment?.length) params.set("equipment", f.equipment.join(","));
  return params.toString();
}

async function loadResults(state) {
  const sig = resultsQuery(state);
  if (view.results.sig === sig) return;
  view.results = { sig, items: null, total: 0, error: null };
  try {
    const page = await api(`/api/v1/infrastructuur?${sig}`);
    if (view.results.sig !== sig) return;
    view.results.items = page.items ?? [];
    view.results.total = page.total ?? view.results.items.length;
    for (const r of view.results.items) if (!view.resources.get(r.id)?.data) view.resources.set(r.id, { ...view.resources.get(r.id), data: r });
  } catch (e) {
    if (view.results.sig !== sig) return;
    view.results.items = [];
    view.results.error = e.status === 0 ? "error.network" : "panel.results.error";
  }
  render();
}

const typeOf = (r) => r.type ?? r.resource_type;
const resourceFacts = (r) => [`${t(`panel.kind.${r.kind}`)} · ${t(`panel.type.${typeOf(r)}`)}`, t("panel.capacity", { count: r.capacity }),
  t(r.wheelchair_accessible ? "panel.wheelchair.yes" : "panel.wheelchair.no")].join(" · ");

function renderResults() {
  const { items, total, error } = view.results;
  const count = $("panel-result-count");
  count.textContent = items === null ? t("loading") : error ? t(error) : total === 0 ? t("panel.results.none")
    : t(total === 1 ? "panel.results.one" : "panel.results.count", { count: total });
  const chosen = S().resource_id;
  sync($("panel-results"), JSON.stringify([language(), view.results.sig, items?.length ?? -1, chosen, canEdit()]), () => (items ?? []).map((r) =>
    el("li", { class: "panel-result", "data-id": r.id },
      el("h5", { text: r.name }),
      el("p", { class: "hint", text: resourceFacts(r) }),
      r.address ? el("p", { class: "hint", text: r.address }) : null,
      el("button", { type: "button", id: `panel-result-${r.id}`, "data-testid": `panel-result-${r.id}`, "data-edit": "", class: r.id === chosen ? "" : "secondary",
        "aria-pressed": String(r.id === chosen), onclick: () => choose(r.id) },
      t(r.id === chosen ? "panel.results.chosen" : "panel.results.choose"), el("span", { class: "visually-hidden", text: `: ${r.name}` })))));
}

function choose(id) {
  const state = S();
  const set = { resource_id: id, step: "slot" };
  if (state.slot && state.resource_id !== id) set.slot = null;
  edit(set);
}

// Slot ----------------------------------------------------------------------------------------------

/**
 * The resource in full (GET /api/v1/infrastructuur/{id}), fetched once; meanwhile the search
 * result's summary, or null. `{failed: true}` when it cannot be loaded.
 */
function resource(id) {
  let entry = view.resources.get(id);
  if (!entry?.full && !entry?.loading && !entry?.failed) {
    entry = { ...entry, loading: true };
    view.resources.set(id, entry);
    api(`/api/v1/infrastructuur/${id}`).then(
      (r) => view.resources.set(id, { data: r, full: true }),
      () => view.resources.set(id, { ...view.resources.get(id), loading: false, failed: true }),
    ).then(render);
  }
  return entry.data ?? (entry.failed ? { failed: true } : null);
}

function renderResource(r) {
  const box = $("panel-resource");
  if (!r) return sync(box, "loading", () => el("p", { text: t("loading") }));
  if (r.failed) return sync(box, `failed:${language()}`, () => el("p", { class: "notice error", text: t("panel.resource.error") }));
  sync(box, JSON.stringify([language(), r.id, !!r.opening_hours, r.photos ?? null]), () => [
    el("h4", { text: r.name }),
    el("dl", { class: "panel-facts" },
      el("dt", { text: t("panel.resource.address") }), el("dd", { text: r.address || "—" }),
      el("dt", { text: t("panel.resource.capacity") }), el("dd", { text: t("panel.capacity", { count: r.capacity }) }),
      el("dt", { text: t("panel.resource.wheelchair") }), el("dd", { text: t(r.wheelchair_accessible ? "panel.wheelchair.yes" : "panel.wheelchair.no") }),
      el("dt", { text: t("panel.resource.equipment") }),
      el("dd", {}, r.equipment?.length
        ? el("ul", { class: "panel-tags" }, ...r.equipment.map((e) => el("li", { text: t(`panel.equipment.${e}`) })))
        : t("panel.resource.no_equipment"))),
    Array.isArray(r.photos) && r.photos.length
      ? el("ul", { class: "panel-photos", "aria-label": t("panel.resource.photos") }, ...r.photos.filter((p) => p?.url).map((p) =>
        el("li", {}, el("img", { src: p.url, alt: p.alt ?? "", loading: "lazy", width: "320", height: "213" }))))
      : null,
  ]);
}

function renderSlot(state) {
  const id = state.resource_id;
  const r = id != null ? resource(id) : null;
  renderResource(id != null ? r : { failed: true });
  const date = state.date ?? null;
  const dateInput = $("panel-date");
  dateInput.min = today();
  dateInput.max = lastDay();
  setValue(dateInput, date ?? "");

  // The month shown is the chosen day's, so everyone sees the same month.
  const month = (date ?? today()).slice(0, 7);
  $("panel-month-label").textContent = monthName(month);
  $("panel-month-label").dataset.month = month;
  offWhen($("panel-prev-month"), month <= thisMonth());
  offWhen($("panel-next-month"), month >= addMonths(thisMonth(), MONTHS_AHEAD));
  if (id != null) loadMonth(id, month);
  renderMonth(month, date);

  // The slot's length: the chosen slot's, else this page's choice.
  const slot = state.slot;
  const slotMinutes = slot ? Math.round((instant(slot.end) - instant(slot.start)) / 60000) : null;
  const minutes = slotMinutes ?? view.duration;
  const options = DURATIONS.includes(minutes) ? DURATIONS : [...DURATIONS, minutes].sort((a, b) => a - b);
  sync($("panel-duration"), JSON.stringify([language(), options]), () => options.map((m) =>
    el("option", { value: String(m), text: m % 60 ? t("panel.hours", { n: number(m / 60) }) : t(m === 60 ? "panel.hour" : "panel.hours", { n: m / 60 }) })));
  setValue($("panel-duration"), String(minutes));

  $("panel-slots-title").textContent = date ? t("panel.slot.free_on", { date: dayName(date) }) : t("panel.slot.choose_day");
  if (id != null && date) loadDay(id, date, state);
  renderSlots(state, date, minutes);
  renderHold(state);
  offWhen($("panel-next-details"), !state.hold);
}

/** Disables a control for a reason of its own (beside "may not edit"). */
function offWhen(node, off) {
  if (off) node.dataset.off = "";
  else delete node.dataset.off;
  node.disabled = off || (node.hasAttribute("data-edit") && !canEdit());
}

async function loadMonth(id, month) {
  const sig = `${id}:${month}`;
  if (view.month.sig === sig) return;
  view.month = { sig, days: null, error: false };
  try {
    const days = await api(`/api/v1/infrastructuur/${id}/kalender?month=${month}`);
    if (view.month.sig === sig) view.month.days = days;
  } catch {
    if (view.month.sig === sig) view.month.error = true;
  }
  if (view.month.sig === sig) render();
}

function renderMonth(month, chosen) {
  const box = $("panel-month");
  const { days, error } = view.month;
  if (error) return sync(box, `error:${language()}`, () => el("p", { class: "notice error", text: t("panel.slot.calendar_error") }));
  if (!days) return sync(box, `loading:${language()}`, () => el("p", { text: t("loading") }));
  const can = canEdit();
  sync(box, JSON.stringify([language(), view.month.sig, chosen, can, today()]), () => {
    const rows = [];
    let row = [];
    for (let i = 0; i < weekday(days[0].date); i++) row.push(el("td"));
    for (const day of days) {
      const bookable = (day.status === "free" || day.status === "partial") && day.date >= today() && day.date <= lastDay();
      const label = [el("span", { "aria-hidden": "true", text: String(Number(day.date.slice(8))) }),
        el("span", { class: "visually-hidden", text: `${dayName(day.date)}: ${t(`panel.day.${day.status}`)}` })];
      const symbol = el("span", { class: "panel-day-symbol", "aria-hidden": "true", text: STATUS_SYMBOL[day.status] ?? "" });
      row.push(el("td", { class: `panel-day ${day.status}`, "data-date": day.date, "data-status": day.status },
        bookable
          ? el("button", { type: "button", id: `panel-day-${day.date}`, "data-testid": `panel-day-${day.date}`, "data-edit": "",
            "aria-pressed": String(day.date === chosen), onclick: () => edit({ date: day.date }) }, ...label, symbol)
          : el("span", { class: "panel-day-off" }, ...label, symbol)));
      if (row.length === 7) { rows.push(el("tr", {}, ...row)); row = []; }
    }
    if (row.length) {
      while (row.length < 7) row.push(el("td"));
      rows.push(el("tr", {}, ...row));
    }
    return [el("table", { class: "panel-calendar" },
      el("caption", { text: t("panel.slot.calendar_caption", { month: monthName(month) }) }),
      el("thead", {}, el("tr", {}, ...[0, 1, 2, 3, 4, 5, 6].map((i) => el("th", { scope: "col" },
        el("span", { "aria-hidden": "true", text: weekdayName(i, "short") }),
        el("span", { class: "visually-hidden", text: weekdayName(i, "long") }))))),
      el("tbody", {}, ...rows)),
    el("p", { class: "hint panel-legend" }, ...["free", "partial", "full", "closed"].flatMap((s) =>
      [el("span", { "aria-hidden": "true", text: `${STATUS_SYMBOL[s]} ` }), `${t(`panel.day.${s}`)}  `]))];
  });
}

async function loadDay(id, date, state) {
  // A slot taken meanwhile or a lapsed hold makes the free times worth fetching again.
  const stale = ["slot_taken", "hold_expired"].includes(state.notice?.code) ? JSON.stringify(state.notice) : "";
  const sig = `${id}:${date}:${stale}`;
  if (view.day.sig === sig) return;
  view.day = { sig, free: null, error: false };
  const from = `${addDays(date, -1)}T12:00:00Z`;
  const until = `${addDays(date, 1)}T12:00:00Z`;
  try {
    const a = await api(`/api/v1/infrastructuur/${id}/beschikbaarheid?from=${encodeURIComponent(from)}&until=${encodeURIComponent(until)}`);
    if (view.day.sig === sig) view.day.free = a.free ?? [];
  } catch {
    if (view.day.sig === sig) view.day.error = true;
  }
  if (view.day.sig === sig) render();
}

/** Slots of `minutes` within the free intervals of `date`: from each interval's start, then on every full hour. */
function slotsOf(free, date, minutes) {
  const out = [];
  const length = minutes * 60000;
  const now = Date.now();
  for (const period of free) {
    const start = instant(period.start).getTime();
    const end = instant(period.end).getTime();
    for (let at = start; at + length <= end; at = Math.floor(at / 3600000) * 3600000 + 3600000) {
      if (at >= now && dateOf(at) === date) out.push({ start: at, end: at + length });
    }
  }
  return out;
}

function renderSlots(state, date, minutes) {
  const list = $("panel-slots");
  if (!date) return sync(list, "none", () => []);
  const { free, error } = view.day;
  if (error) return sync(list, `error:${language()}`, () => el("li", { class: "notice error", text: t("panel.slot.error") }));
  if (!free) return sync(list, `loading:${language()}`, () => el("li", { text: t("loading") }));
  const chosen = state.slot && dateOf(instant(state.slot.start)) === date
    ? { start: instant(state.slot.start).getTime(), end: instant(state.slot.end).getTime() } : null;
  const slots = slotsOf(free, date, minutes);
  // The chosen slot is held by this call, so it is busy now: show it anyway.
  if (chosen && !slots.some((s) => s.start === chosen.start && s.end === chosen.end)) slots.push(chosen);
  slots.sort((a, b) => a.start - b.start);
  sync(list, JSON.stringify([language(), view.day.sig, minutes, chosen, canEdit()]), () => slots.length
    ? slots.map((s) => {
      const hm = hhmm(s.start).replace(":", "");
      const isChosen = !!chosen && s.start === chosen.start && s.end === chosen.end;
      return el("li", {}, el("button", { type: "button", id: `panel-slot-${hm}`, "data-testid": `panel-slot-${hm}`, "data-edit": "",
        "data-start": new Date(s.start).toISOString(), "data-end": new Date(s.end).toISOString(),
        class: isChosen ? "" : "secondary", "aria-pressed": String(isChosen),
        onclick: () => edit({ slot: { start: zoned(s.start), end: zoned(s.end) }, date }) }, `${hhmm(s.start)}–${hhmm(s.end)}`));
    })
    : el("li", { class: "hint", text: t("panel.slot.none") }));
}

function renderHold(state) {
  const box = $("panel-hold");
  const { slot, hold, quote } = state;
  sync(box, JSON.stringify([language(), slot, hold, quote?.total_cents]), () => {
    if (!slot) return [];
    const when = t("panel.slot.when", { date: dayName(dateOf(instant(slot.start))), start: hhmm(instant(slot.start)), end: hhmm(instant(slot.end)) });
    if (!hold) {
      const taken = state.notice?.code === "slot_taken" || state.notice?.code === "hold_expired";
      return el("p", { class: "hint" }, el("strong", { text: t("panel.slot.chosen") }), ` ${when} `, t(taken ? "panel.slot.choose_again" : "panel.slot.holding"));
    }
    return el("div", { class: "notice ok" },
      el("p", {}, el("strong", { text: t("panel.slot.chosen") }), ` ${when}`),
      el("p", { text: t("panel.slot.held_until", { time: hhmm(instant(hold.expires_at)) }) }),
      quote ? el("p", { text: t("panel.slot.price", { total: formatMoney(quote.total_cents) }) }) : null);
  });
}

// Details ---------------------------------------------------------------------------------------------

let servicesLoading = false;
async function loadServices() {
  if (view.services || servicesLoading) return;
  servicesLoading = true;
  try {
    view.services = await api("/api/v1/diensten");
  } catch {
    view.services = [];
    view.servicesError = true;
  }
  render();
}

function renderDetails(state) {
  const r = state.resource_id != null ? resource(state.resource_id) : null;
  const attendees = $("panel-attendees");
  if (r?.capacity) attendees.max = String(r.capacity);
  setValue(attendees, state.attendees ?? "");
  const over = r?.capacity && Number(state.attendees) > r.capacity;
  if (over) attendees.setAttribute("aria-invalid", "true");
  else attendees.removeAttribute("aria-invalid");
  $("panel-attendees-hint").textContent = r?.capacity ? t(over ? "panel.details.attendees.over" : "panel.details.attendees.max", { count: r.capacity }) : "";
  $("panel-attendees-hint").className = over ? "error-text" : "hint";

  loadServices();
  const offered = (view.services ?? []).filter((s) => !s.retired && (r?.services ?? []).includes(s.code));
  const box = $("panel-extras");
  sync(box, JSON.stringify([language(), !!view.services, offered.map((s) => [s.code, s.price_cents, s.unit])]), () => {
    if (!view.services) return el("p", { text: t("loading") });
    if (!offered.length) return el("p", { class: "hint", text: t(view.servicesError ? "panel.extras.error" : "panel.extras.none") });
    return offered.map((s) => {
      const box = el("input", { type: "checkbox", id: `panel-extra-${s.code}`, value: s.code, "data-testid": `panel-extra-${s.code}`, "data-edit": "",
        "aria-describedby": s.description ? `panel-extra-${s.code}-hint` : undefined });
      watch(box, extrasFromForm);
      const quantity = s.unit === "per_booking"
        ? el("input", { type: "number", min: "1", max: "99", id: `panel-extra-qty-${s.code}`, "data-testid": `panel-extra-qty-${s.code}`, "data-edit": "", class: "panel-qty" })
        : null;
      if (quantity) watch(quantity, extrasFromForm, true);
      return el("div", { class: "panel-extra", "data-code": s.code },
        el("div", { class: "check" }, box, el("label", { for: box.id, text: `${s.name} — ${t(`panel.extras.unit.${s.unit}`, { price: formatMoney(s.price_cents) })}` })),
        s.description ? el("p", { class: "hint", id: `panel-extra-${s.code}-hint`, text: s.description }) : null,
        quantity ? el("div", { class: "panel-qty-field", "data-qty": s.code }, el("label", { for: quantity.id, text: t("panel.extras.quantity") }), quantity) : null);
    });
  });
  const chosen = new Map((state.extras ?? []).map((e) => [e.code, e.quantity ?? 1]));
  for (const s of offered) {
    setValue($(`panel-extra-${s.code}`), chosen.has(s.code));
    const q = $(`panel-extra-qty-${s.code}`);
    if (q) {
      setValue(q, chosen.get(s.code) ?? 1);
      q.closest(".panel-qty-field").hidden = !$(`panel-extra-${s.code}`).checked;
    }
  }

  const customer = state.customer_type ?? null;
  for (const c of CUSTOMER_TYPES) setValue($(`panel-customer-${c}`), customer === c);
  $("panel-organisation-field").hidden = !ORGANISATIONS.includes(customer);
  const orgLabel = $("panel-organisation-field").querySelector("label");
  orgLabel.dataset.i18n = customer === "company" ? "panel.details.company" : "panel.details.organisation";
  orgLabel.textContent = t(orgLabel.dataset.i18n);
  setValue($("panel-organisation"), state.organisation ?? "");
  setValue($("panel-purpose"), state.purpose ?? "");
  renderQuote(state.quote);
  offWhen($("panel-next-identify"), !state.hold);
}

function extrasFromForm() {
  const extras = [];
  for (const box of document.querySelectorAll("#panel-extras input[type=checkbox]:checked")) {
    const q = $(`panel-extra-qty-${box.value}`);
    const n = q ? Number(q.value) : 1;
    extras.push({ code: box.value, quantity: Number.isInteger(n) && n >= 1 ? n : 1 });
  }
  return { extras };
}

function lineQuantity(line) {
  if (line.unit === "hour") return t(line.quantity === 60 ? "panel.hour" : "panel.hours", { n: number(line.quantity / 60) });
  if (line.unit === "person") return t("panel.quote.persons", { n: line.quantity });
  return `${line.quantity}×`;
}

function lineText(line) {
  const key = `panel.quote.rent.${line.code}`;
  return line.kind === "rent" && has(key) ? t(key) : line.description || line.code;
}

function renderQuote(quote) {
  const box = $("panel-quote");
  sync(box, JSON.stringify([language(), quote ?? null]), () => {
    if (!quote) return el("p", { class: "hint", text: t("panel.quote.none") });
    const vatRate = (bp) => number(bp / 100);
    return el("div", { class: "panel-table" }, el("table", { "data-testid": "panel-quote" },
      el("caption", { text: t("panel.quote.caption") }),
      el("thead", {}, el("tr", {},
        el("th", { scope: "col", text: t("panel.quote.item") }),
        el("th", { scope: "col", text: t("panel.quote.quantity") }),
        el("th", { scope: "col", class: "num", text: t("panel.quote.amount") }))),
      el("tbody", {}, ...quote.lines.map((line) => el("tr", {},
        el("td", {}, lineText(line), el("span", { class: "hint panel-unit", text: ` (${formatMoney(line.unit_price_cents)} ${t(`panel.quote.per.${line.unit}`)})` })),
        el("td", { text: lineQuantity(line) }),
        el("td", { class: "num", text: formatMoney(line.amount_cents) })))),
      el("tfoot", {},
        el("tr", {}, el("th", { scope: "row", colspan: "2", text: t("panel.quote.subtotal") }), el("td", { class: "num", text: formatMoney(quote.subtotal_cents) })),
        ...quote.vat.map((v) => el("tr", {}, el("th", { scope: "row", colspan: "2", text: t("panel.quote.vat", { rate: vatRate(v.vat_basis_points), base: formatMoney(v.base_cents) }) }),
          el("td", { class: "num", text: formatMoney(v.vat_cents) }))),
        el("tr", { class: "panel-total-row" }, el("th", { scope: "row", colspan: "2", text: t("panel.quote.total") }),
          el("td", { class: "num", "data-testid": "panel-quote-total", text: formatMoney(quote.total_cents) })))));
  });
}

// Identify ---------------------------------------------------------------------------------------------

function renderIdentify(state) {
  const id = state.identity ?? {};
  setValue($("panel-identity-name"), id.name ?? "");
  setValue($("panel-identity-address"), id.address ?? "");
  setValue($("panel-identity-email"), id.email ?? "");
  setValue($("panel-identity-confirmed"), !!state.identity_confirmed);
  const select = $("panel-identity-check");
  sync(select, language(), () => [el("option", { value: "", text: t("panel.identify.check.none") }),
    ...IDENTITY_CHECKS.map((c) => el("option", { value: c, text: t(`panel.identify.check.${c}`) }))]);
  setValue(select, state.identity_check ?? "");
  const complete = !!(id.name && id.address && id.email);
  offWhen($("panel-identity-confirmed"), !complete && !state.identity_confirmed);
  offWhen($("panel-next-pay"), !state.identity_confirmed || !state.hold);
  $("panel-identify-missing").textContent = !state.hold ? t("panel.identify.no_hold")
    : !complete ? t("panel.identify.incomplete") : !state.identity_confirmed ? t("panel.identify.unconfirmed") : "";
}

// Pay ----------------------------------------------------------------------------------------------------

function renderPay(state) {
  const p = state.payment ?? null;
  $("panel-pay-total").textContent = state.quote ? t("panel.pay.total", { total: formatMoney(state.quote.total_cents) }) : "";
  const ready = !!state.hold && !!state.identity_confirmed;
  const busy = paymentBusy(state);
  for (const id of ["panel-pay-online", "panel-pay-invoice"]) offWhen($(id), !ready || busy);
  $("panel-pay-wait").textContent = p ? "" : isAgent() ? (ready ? t("panel.pay.choose") : t("panel.pay.not_ready"))
    : t("panel.pay.wait");
  renderPayment(p, state);
  const status = p ? t("panel.payment.status", { status: t(`panel.payment.${p.status}`) }) : "";
  const region = $("panel-payment-status");
  region.dataset.status = p?.status ?? "";
  if (region.textContent !== status) region.textContent = status;
  $("panel-back-identify").hidden = busy;
}

function invoiceFacts(invoice) {
  return el("dl", { class: "panel-facts", "data-testid": "panel-invoice" },
    el("dt", { text: t("panel.invoice.number") }), el("dd", { text: invoice.number ?? "—" }),
    el("dt", { text: t("panel.invoice.communication") }), el("dd", { class: "panel-ogm", text: invoice.structured_communication ?? "—" }),
    el("dt", { text: t("panel.invoice.due") }), el("dd", { text: invoice.due_date ? dayName(String(invoice.due_date).slice(0, 10)) : "—" }));
}

function renderPayment(p, state) {
  sync($("panel-payment"), JSON.stringify([language(), p]), () => {
    if (!p) return [];
    if (p.method === "invoice") {
      return [el("p", { text: t("panel.invoice.sent", { email: state.identity?.email ?? "" }) }), p.invoice ? invoiceFacts(p.invoice) : null];
    }
    if (p.status !== "open") return [];
    return el("div", { class: "panel-checkout" },
      p.qr_url ? el("figure", { class: "panel-qr" },
        el("img", { src: p.qr_url, alt: t("panel.pay.qr_alt"), width: "220", height: "220", "data-testid": "panel-qr" }),
        el("figcaption", { text: t("panel.pay.qr_caption") })) : null,
      p.checkout_url ? el("p", {}, el("a", { href: p.checkout_url, target: "_blank", rel: "noopener", "data-testid": "panel-checkout-link" },
        t("panel.pay.link"), el("span", { class: "visually-hidden", text: ` (${t("panel.new_window")})` }))) : null,
      p.expires_at ? el("p", { class: "hint", text: t("panel.pay.expires", { time: hhmm(instant(p.expires_at)) }) }) : null);
  });
}

// Done -----------------------------------------------------------------------------------------------------

function renderDone(state) {
  const p = state.payment ?? null;
  const res = state.reservation ?? null;
  const r = state.resource_id != null ? resource(state.resource_id) : null;
  const title = $("panel-done-title");
  title.dataset.i18n = p?.method === "invoice" ? "panel.done.invoice" : p?.status === "paid" ? "panel.done.paid" : "panel.done.title";
  title.textContent = t(title.dataset.i18n);
  sync($("panel-done"), JSON.stringify([language(), p, res, state.slot, r?.name, state.identity?.email]), () => {
    const slot = state.slot;
    const access = res?.access;
    return [
      el("p", { class: "notice ok", text: t(res?.status === "confirmed" ? "panel.done.confirmed" : "panel.done.pending") }),
      el("dl", { class: "panel-facts" },
        r?.name ? el("dt", { text: t("panel.done.resource") }) : null, r?.name ? el("dd", { text: r.name }) : null,
        slot ? el("dt", { text: t("panel.done.when") }) : null,
        slot ? el("dd", { text: t("panel.slot.when", { date: dayName(dateOf(instant(slot.start))), start: hhmm(instant(slot.start)), end: hhmm(instant(slot.end)) }) }) : null,
        res?.id != null ? el("dt", { text: t("panel.done.number") }) : null, res?.id != null ? el("dd", { text: String(res.id) }) : null,
        state.quote ? el("dt", { text: t("panel.done.amount") }) : null, state.quote ? el("dd", { text: formatMoney(state.quote.total_cents) }) : null,
        access?.door ? el("dt", { text: t("panel.done.door") }) : null, access?.door ? el("dd", { text: access.door }) : null,
        access?.valid_from ? el("dt", { text: t("panel.done.access") }) : null,
        access?.valid_from ? el("dd", { text: t("panel.done.access_value", { from: formatDateTime(instant(access.valid_from)), until: formatTime(instant(access.valid_until)) }) }) : null),
      p?.method === "invoice" && p.invoice ? invoiceFacts(p.invoice) : null,
      el("p", { class: "notice", text: state.identity?.email ? t("panel.done.code_mail_to", { email: state.identity.email }) : t("panel.done.code_mail") }),
    ];
  });
}

// --- messages from the server ---------------------------------------------------------------------------

/** A `panel` message: the whole state, after any change. */
export function update(msg) {
  const before = panel;
  const active = document.activeElement;
  const wasInside = $("panel-slot")?.contains(active);
  panel = { version: msg.version, controller: msg.controller ?? null, by: msg.by ?? null, state: msg.state ?? {} };
  if (call) call.panel = panel;
  render();

  const wasOpen = !!before?.state?.open;
  const open = !!panel.state.open;
  if (open !== wasOpen && before !== null && !isAgent()) pageSay(t(open ? "panel.announce.opened" : "panel.announce.closed"));
  if (open && wasOpen) {
    const step = currentStep();
    if (currentStep(before.state) !== step) {
      say(t("panel.step.now", { n: STEPS.indexOf(step) + 1, total: STEPS.length, name: t(`panel.step.${step}`) }));
      // Who moved on lands on the new step's heading; the others keep their place.
      if (panel.by === myId() && wasInside) $(`panel-${step}-title`).focus();
    }
    if (before.controller !== panel.controller) say(panel.controller === myId() ? t("panel.control.now_you") : $("panel-control-line").textContent);
  }
  // Focus on something now hidden or disabled would be lost: put it on the step's heading.
  const now = document.activeElement;
  const gone = now === document.body || now?.disabled || (now?.checkVisibility ? !now.checkVisibility() : false);
  if (wasInside && open && gone) {
    $(`panel-${currentStep()}-title`)?.focus();
  }
}

/** A refused panel message: `panel_conflict` (the current panel follows) or another error about the panel. */
export function error(msg) {
  if (msg.code === "panel_conflict") say(t("panel.conflict"));
  else if (msg.code === "not_allowed") say(t("panel.error.not_allowed"));
  else say(t("panel.error.other"));
  console.warn("balie panel:", msg.code, msg.message ?? "", msg.context ?? "");
}

/** Redraws after a change of roster, role or admission. */
export function refresh() {
  render();
}

/** Builds the panel in #panel-slot. `state` is the call page's (role, me, roster); `send` sends a message. */
export function init({ state, send }) {
  call = state;
  sendMessage = send;
  build();
  render();
  onLanguageChange(render);
}
