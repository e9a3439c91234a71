// One appointment: who takes part and the agent's actions on it — open the call, the meeting
// room's device link, move, cancel, third parties in and out, resend someone's link, follow-up
// notes, and booking a follow-up appointment.

import { api, el } from "../common/page.js";
import { formatDateTime, t } from "../common/i18n.js";
import { announce, clearFieldErrors, field, modeText, options, problemText, relationText, serviceName, showFieldErrors, statusText, whenText } from "./shared.js";
import { go, register } from "./nav.js";

const state = { id: null, a: null, notes: null, moments: null, confirmCancel: false, result: null };
const root = () => document.getElementById("view-details");
const RELATIONS = ["family", "caregiver", "interpreter", "professional", "other"];

async function load(id) {
  state.id = id;
  [state.a, state.notes] = await Promise.all([api(`/api/v1/afspraken/${id}`), api(`/api/v1/afspraken/${id}/notities`)]);
}

/** Tells what happened: visibly in the status box and through the live region. */
function report(text, kind = "ok") {
  state.result = { text, kind };
  const box = document.getElementById("details-result");
  if (box) {
    box.className = `notice ${kind}`;
    box.textContent = text;
    box.hidden = false;
  }
  announce(text);
}

/** Runs an action with its button disabled; reloads and redraws after, keeping focus near. */
async function act(button, fn, { focus } = {}) {
  button.disabled = true;
  try {
    const text = await fn();
    await load(state.id);
    draw();
    if (text) report(text);
    root().querySelector(focus ?? "#details-result")?.focus();
  } catch (error) {
    button.disabled = false;
    report(problemText(error), "error");
  }
}

function facts(a) {
  const rows = [
    ["details.when", whenText(a.period)],
    ["details.service", serviceName(a.service)],
    ["details.mode", modeText(a.mode)],
    ["details.status", statusText(a.status)],
    ["details.agent", a.agent_name],
    ["details.email", a.citizen.email],
    ["details.phone", a.citizen.phone || t("details.none")],
    ["details.language", t(`lang.${a.citizen.language}`)],
    ["details.bookedby", t(a.booked_by ? "details.bookedby.agent" : "details.bookedby.citizen")],
  ];
  return el("dl", { class: "facts" }, ...rows.flatMap(([k, v]) => [el("dt", { text: t(k) }), el("dd", { text: v })]));
}

function callActions(a) {
  const booked = a.status === "booked";
  const out = el("div", { class: "actions" });
  if (booked && a.call_id) {
    out.append(el("button", { type: "button", id: "open-call", onclick: (e) => openCall(e.currentTarget) }, t("details.opencall")));
  }
  if (booked && a.mode === "hybrid") {
    out.append(el("button", { type: "button", class: "secondary", id: "device-link", onclick: (e) => deviceLink(e.currentTarget) }, t("details.device")));
  }
  if (booked) {
    out.append(el("button", { type: "button", class: "secondary", id: "resend-citizen",
      onclick: (e) => act(e.currentTarget, () => resend(null), { focus: "#resend-citizen" }) }, t("details.resend.citizen")));
  }
  out.append(el("button", { type: "button", class: "secondary", id: "follow-up",
    onclick: () => go("book", { name: a.citizen.name, email: a.citizen.email, phone: a.citizen.phone, language: a.citizen.language, service: a.service }) }, t("details.followup")));
  return out;
}

async function openCall(button) {
  button.disabled = true;
  try {
    const { url } = await api(`/api/v1/afspraken/${state.id}/gesprek`, { method: "POST" });
    announce(t("details.opencall.done"));
    // A tab of its own keeps the console at hand; where pop-ups are blocked, this tab goes.
    const w = window.open(url, "_blank");
    if (w) w.opener = null;
    else location.assign(url);
  } catch (error) {
    report(problemText(error), "error");
  } finally {
    button.disabled = false;
  }
}

async function deviceLink(button) {
  button.disabled = true;
  try {
    const { url } = await api(`/api/v1/afspraken/${state.id}/zaaltoestel`, { method: "POST" });
    const box = document.getElementById("device-box");
    box.replaceChildren(
      el("p", { text: t("details.device.hint") }),
      field("device-url", "details.device.label", el("input", { type: "text", readonly: true, value: url })));
    box.hidden = false;
    report(t("details.device.done"));
    document.getElementById("device-url").focus();
  } catch (error) {
    report(problemText(error), "error");
  } finally {
    button.disabled = false;
  }
}

async function resend(party) {
  const body = party ? { third_party: party } : {};
  const { recipient } = await api(`/api/v1/afspraken/${state.id}/opnieuw-sturen`, { method: "POST", body });
  return t("details.resend.done", { email: recipient });
}

function thirdParties(a) {
  const booked = a.status === "booked";
  const list = a.third_parties.length
    ? el("ul", { class: "parties" }, ...a.third_parties.map((p) => el("li", {},
      el("span", { text: `${p.name} (${relationText(p.relation)}) — ${p.email}` }),
      booked ? el("span", { class: "actions inline" },
        el("button", { type: "button", class: "secondary", id: `resend-party-${p.id}`,
          "aria-label": t("details.resend.party", { name: p.name }),
          onclick: (e) => act(e.currentTarget, () => resend(p.id), { focus: `#resend-party-${p.id}` }) }, t("details.resend")),
        el("button", { type: "button", class: "secondary", id: `remove-party-${p.id}`,
          "aria-label": t("details.party.remove.label", { name: p.name }),
          onclick: (e) => act(e.currentTarget, async () => {
            await api(`/api/v1/afspraken/${state.id}/derden/${p.id}`, { method: "DELETE" });
            return t("details.party.removed", { name: p.name });
          }, { focus: "#parties-heading" }) }, t("details.party.remove"))) : null)))
    : el("p", { text: t("details.parties.none") });
  const section = [el("h3", { id: "parties-heading", tabindex: "-1", text: t("details.parties") }), list];
  if (booked && a.third_parties.length < 4) section.push(partyForm());
  return el("section", { "aria-labelledby": "parties-heading" }, ...section);
}

function partyForm() {
  const relation = options(el("select", { name: "relation" }), RELATIONS.map((r) => [r, t(`relation.${r}`)]));
  const other = field("party-other", "details.party.other", el("input", { type: "text", maxlength: "60" }));
  other.hidden = true;
  relation.addEventListener("change", () => { other.hidden = relation.value !== "other"; });
  const summary = el("div", { class: "notice error", id: "party-summary", tabindex: "-1", hidden: true });
  const form = el("form", { id: "party-form", novalidate: true },
    el("fieldset", {}, el("legend", { text: t("details.party.add") }),
      summary,
      field("party-name", "details.party.name", el("input", { type: "text", autocomplete: "off", maxlength: "200" })),
      field("party-email", "details.party.email", el("input", { type: "email", autocomplete: "off" })),
      field("party-relation", "details.party.relation", relation),
      other,
      el("button", { type: "submit" }, t("details.party.submit"))));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const v = (id) => document.getElementById(id).value.trim();
    const rel = v("party-relation") === "other" ? { other: v("party-other") } : v("party-relation");
    const body = { name: v("party-name"), email: v("party-email"), relation: rel };
    const button = e.submitter ?? form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await api(`/api/v1/afspraken/${state.id}/derden`, { method: "POST", body });
      await load(state.id);
      draw();
      report(t("details.party.added", { name: body.name }));
      document.getElementById("parties-heading").focus();
    } catch (error) {
      button.disabled = false;
      const ids = (f) => ({ name: "party-name", email: "party-email", relation: "party-relation" })[f.split(".").pop()] ?? null;
      if (!showFieldErrors(form, summary, error, ids)) report(problemText(error), "error");
    }
  });
  return form;
}

function changeSection(a) {
  if (a.status !== "booked") return null;
  const parts = [el("h3", { id: "change-heading", text: t("details.change") })];
  if (state.moments === null) {
    parts.push(el("button", { type: "button", class: "secondary", id: "load-moments", onclick: async (e) => {
      e.currentTarget.disabled = true;
      try {
        state.moments = await api(`/api/v1/afspraken/diensten/${encodeURIComponent(a.service)}/momenten?dagen=14`);
        draw();
        announce(t("details.moments.loaded", { count: state.moments.length }));
        document.getElementById("move-moment")?.focus();
      } catch (error) { report(problemText(error), "error"); }
    } }, t("details.move.choose")));
  } else if (!state.moments.length) {
    parts.push(el("p", { text: t("details.moments.none") }));
  } else {
    const select = options(el("select"), state.moments.map((m) => [m.start, whenText(m)]));
    parts.push(field("move-moment", "details.move.moment", select),
      el("button", { type: "button", id: "move", onclick: (e) => act(e.currentTarget, async () => {
        const start = document.getElementById("move-moment").value;
        await api(`/api/v1/afspraken/${state.id}/verplaatsen`, { method: "POST", body: { start } });
        state.moments = null;
        return t("details.moved");
      }) }, t("details.move")));
  }
  if (!state.confirmCancel) {
    parts.push(el("div", { class: "actions" }, el("button", { type: "button", class: "danger", id: "cancel", onclick: () => {
      state.confirmCancel = true;
      draw();
      document.getElementById("cancel-confirm").focus();
    } }, t("details.cancel"))));
  } else {
    parts.push(el("div", { class: "notice warn", role: "group", "aria-labelledby": "cancel-question" },
      el("p", { id: "cancel-question", text: t("details.cancel.question") }),
      el("div", { class: "actions" },
        el("button", { type: "button", class: "danger", id: "cancel-confirm", onclick: (e) => act(e.currentTarget, async () => {
          await api(`/api/v1/afspraken/${state.id}/annuleren`, { method: "POST" });
          state.confirmCancel = false;
          return t("details.cancelled");
        }) }, t("details.cancel.yes")),
        el("button", { type: "button", class: "secondary", onclick: () => { state.confirmCancel = false; draw(); document.getElementById("cancel").focus(); } }, t("details.cancel.no")))));
  }
  return el("section", { "aria-labelledby": "change-heading" }, ...parts);
}

function notesSection() {
  const text = el("textarea", { rows: "6", maxlength: "4000" });
  text.value = state.notes.text;
  const counter = el("p", { class: "hint", id: "notes-count", "aria-live": "off" });
  const count = () => { counter.textContent = t("details.notes.count", { count: text.value.length }); };
  text.addEventListener("input", count);
  count();
  const saved = state.notes.updated_at
    ? el("p", { class: "hint", id: "notes-saved", text: t("details.notes.saved", { name: state.notes.updated_by, when: formatDateTime(state.notes.updated_at) }) })
    : null;
  const form = el("form", { id: "notes-form", novalidate: true },
    field("notes-text", "details.notes.label", text, "details.notes.hint"), counter, saved,
    el("button", { type: "submit", id: "notes-save" }, t("details.notes.save")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const button = document.getElementById("notes-save");
    button.disabled = true;
    clearFieldErrors(form, null);
    try {
      state.notes = await api(`/api/v1/afspraken/${state.id}/notities`, { method: "PUT", body: { text: text.value } });
      draw();
      report(t("details.notes.done"));
      document.getElementById("notes-text").focus();
    } catch (error) {
      button.disabled = false;
      showFieldErrors(form, null, error, () => "notes-text");
      report(problemText(error), "error");
    }
  });
  return el("section", { "aria-labelledby": "notes-heading" }, el("h3", { id: "notes-heading", text: t("details.notes") }), form);
}

function draw() {
  const a = state.a;
  if (!a) return;
  const result = el("div", { id: "details-result", tabindex: "-1", role: "status", hidden: !state.result,
    class: `notice ${state.result?.kind ?? ""}`, text: state.result?.text ?? "" });
  root().replaceChildren(
    el("div", { class: "actions" }, el("button", { type: "button", class: "secondary", id: "back", onclick: () => go("agenda") }, t("details.back"))),
    el("h2", { id: "details-heading", tabindex: "-1", text: t("details.heading", { name: a.citizen.name }) }),
    result,
    facts(a),
    callActions(a),
    el("div", { id: "device-box", class: "card", hidden: true }),
    thirdParties(a),
    changeSection(a),
    notesSection());
}

register("details", {
  async render(id) {
    state.moments = null;
    state.confirmCancel = false;
    state.result = null;
    try {
      await load(id);
      draw();
      announce(t("details.opened", { name: state.a.citizen.name }));
    } catch (error) {
      root().replaceChildren(el("h2", { id: "details-heading", tabindex: "-1", text: t("details.heading.unknown") }),
        el("p", { class: "notice error", role: "alert", text: problemText(error) }),
        el("button", { type: "button", class: "secondary", onclick: () => go("agenda") }, t("details.back")));
    }
  },
  rerender: draw,
});
