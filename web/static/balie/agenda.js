// The agenda: appointments of one day or one week (GET /api/v1/afspraken?van=&dagen=&agent=),
// with day navigation. Each row opens the appointment's details.

import { api, el } from "../common/page.js";
import { formatDate, t } from "../common/i18n.js";
import { addDays, announce, brusselsDate, field, modeText, problemText, serviceName, session, statusText, timeRange } from "./shared.js";
import { go, register } from "./nav.js";

const state = { day: brusselsDate(), week: false, mine: false, items: [], error: null };
const root = () => document.getElementById("view-agenda");

async function load() {
  const days = state.week ? 7 : 1;
  const agent = state.mine && session.me ? `&agent=${session.me.staff_id}` : "";
  try {
    state.items = await api(`/api/v1/afspraken?van=${state.day}&dagen=${days}${agent}`);
    state.error = null;
  } catch (error) {
    state.items = [];
    state.error = problemText(error);
  }
}

function rangeText() {
  const first = formatDate(`${state.day}T12:00:00Z`);
  if (!state.week) return first;
  return t("agenda.range", { from: first, to: formatDate(`${addDays(state.day, 6)}T12:00:00Z`) });
}

function table(items, caption) {
  const head = el("tr", {}, ...["agenda.time", "agenda.service", "agenda.citizen", "agenda.mode", "agenda.status"].map((k) => el("th", { scope: "col", text: t(k) })));
  const rows = items.map((a) => el("tr", { class: a.status === "cancelled" ? "cancelled" : undefined },
    el("td", { text: timeRange(a.period) }),
    el("td", { text: serviceName(a.service) }),
    el("td", {}, el("button", { type: "button", class: "link", dataset: { appointment: a.id }, onclick: () => go("details", a.id),
      "aria-label": t("agenda.open", { name: a.citizen.name, time: timeRange(a.period) }) }, a.citizen.name)),
    el("td", { text: modeText(a.mode) }),
    el("td", {}, el("span", { class: `badge ${a.status}`, text: statusText(a.status) }))));
  return el("table", { class: "agenda" }, el("caption", { class: "visually-hidden", text: caption }), el("thead", {}, head), el("tbody", {}, ...rows));
}

function draw() {
  const dayInput = el("input", { type: "date", value: state.day, onchange: (e) => { if (e.target.value) move(e.target.value); } });
  const mine = el("input", { type: "checkbox", id: "agenda-mine", onchange: (e) => { state.mine = e.target.checked; refresh(); } });
  mine.checked = state.mine;
  const controls = el("div", { class: "agenda-controls" },
    el("div", { class: "actions", role: "group", "aria-label": t("agenda.navigate") },
      el("button", { type: "button", id: "agenda-prev", class: "secondary", onclick: () => move(addDays(state.day, state.week ? -7 : -1), "#agenda-prev") }, t(state.week ? "agenda.prevweek" : "agenda.prev")),
      el("button", { type: "button", id: "agenda-today", class: "secondary", onclick: () => move(brusselsDate(), "#agenda-today") }, t("agenda.today")),
      el("button", { type: "button", id: "agenda-next", class: "secondary", onclick: () => move(addDays(state.day, state.week ? 7 : 1), "#agenda-next") }, t(state.week ? "agenda.nextweek" : "agenda.next"))),
    field("agenda-day", "agenda.day", dayInput),
    el("div", { class: "actions", role: "group", "aria-label": t("agenda.span") },
      el("button", { type: "button", class: "secondary", "aria-pressed": String(!state.week), onclick: () => span(false) }, t("agenda.dayview")),
      el("button", { type: "button", class: "secondary", "aria-pressed": String(state.week), onclick: () => span(true) }, t("agenda.weekview"))),
    el("div", { class: "check" }, mine, el("label", { for: "agenda-mine", text: t("agenda.mine") })));

  const body = [];
  if (state.error) body.push(el("p", { class: "notice error", role: "alert", text: state.error }));
  else if (!state.items.length) body.push(el("p", { class: "notice", text: t(state.week ? "agenda.emptyweek" : "agenda.empty") }));
  else if (!state.week) body.push(table(state.items, rangeText()));
  else {
    for (let i = 0; i < 7; i++) {
      const date = addDays(state.day, i);
      const items = state.items.filter((a) => brusselsDate(a.period.start) === date);
      if (!items.length) continue;
      const title = formatDate(`${date}T12:00:00Z`);
      body.push(el("h3", { text: title }), table(items, title));
    }
  }
  root().replaceChildren(
    el("h2", { id: "agenda-heading", tabindex: "-1", text: t("agenda.heading") }),
    controls,
    el("p", { class: "agenda-range", id: "agenda-range", text: rangeText() }),
    ...body);
}

function summaryText() {
  const count = state.items.length;
  return t(count === 1 ? "agenda.count1" : "agenda.count", { count, range: rangeText() });
}

async function refresh({ focus } = {}) {
  await load();
  draw();
  if (focus) root().querySelector(focus)?.focus();
  announce(state.error ?? summaryText());
}

async function move(day, focus = "#agenda-day") {
  state.day = day;
  await refresh({ focus });
}

async function span(week) {
  state.week = week;
  await refresh();
  root().querySelector(`[aria-pressed="true"]`)?.focus();
}

register("agenda", {
  async render() { await load(); draw(); announce(state.error ?? summaryText()); },
  rerender: draw,
});
