// Rooms and sports courts (/zalen): search with the catalogue's filters, a results list, one
// room or court in detail (facilities, opening hours, prices) and its read-only availability as a
// month calendar (this month up to twelve months ahead). Booking happens with the counter, not
// here (yet).
//
// Stable selectors for tests (keep them):
//   #filters                  the search form; #q, #kind (""|room|court), #type (""|resource type),
//                             #min-capacity, #wheelchair, #equipment input[name=equipment] (value =
//                             facility code, id `equipment-<code>`), #search (submit), #reset
//   #result-count             "N rooms and courts found" (data-count = N)
//   #results > li.result      one per resource: data-id, data-code; its button `#open-<id>`
//   #detail                   the detail view (receives focus); #detail-name, #back, #prices
//                             (price table, when the resource has prices), #equipment-list
//   #calendar-table table     the month: caption, th[scope=col] weekdays, th[scope=row] weeks,
//                             td[data-date=YYYY-MM-DD][data-status=free|partial|full|closed|
//                             unavailable], busy times in td .busy li (text "HH:MM–HH:MM")
//   #prev-month, #next-month  month navigation (aria-disabled="true" at the ends); #month-label
//                             (data-month = YYYY-MM)
//   #status, #calendar-status polite live regions

import { api, el, start } from "./common/page.js";
import { TIME_ZONE, formatDate, formatMoney, formatTime, onLanguageChange, t } from "./common/i18n.js";

await start("zalen");

const $ = (id) => document.getElementById(id);
const say = (message) => { $("status").textContent = message; };

const TYPES = {
  room: ["meeting_room", "multipurpose_room", "party_hall", "theatre_hall", "youth_room", "rehearsal_room", "classroom"],
  court: ["sports_hall", "sports_hall_part", "badminton_court", "tennis_court", "padel_court"],
};
const EQUIPMENT = ["projector", "screen", "whiteboard", "video_conferencing", "wifi", "kitchen", "bar", "sound_system", "stage",
  "stage_lighting", "piano", "showers", "changing_rooms", "nets", "scoreboard", "floodlights", "lift", "accessible_toilet"];
const CUSTOMERS = ["resident", "non_resident", "recognised_association", "other_association", "company"];
const STATUS_SYMBOL = { free: "✓", partial: "◐", full: "✕", closed: "–", unavailable: "·" };
const MONTHS_AHEAD = 12;

const state = { results: null, all: [], detail: null, month: null, calendar: null, busy: {}, opener: null };

// --- dates ---------------------------------------------------------------------------------------------

const ymd = new Intl.DateTimeFormat("en-CA", { timeZone: TIME_ZONE, year: "numeric", month: "2-digit", day: "2-digit" });
const dateOf = (instant) => ymd.format(new Date(instant));
const thisMonth = () => dateOf(Date.now()).slice(0, 7);
function addMonths(month, n) {
  const [y, m] = month.split("-").map(Number);
  const d = new Date(Date.UTC(y, m - 1 + n, 1));
  return d.toISOString().slice(0, 7);
}
const noon = (date) => `${date}T12:00:00Z`; // the same civil date in Brussels
const monthName = (month) => formatDate(noon(`${month}-15`), { dateStyle: undefined, month: "long", year: "numeric" });
const weekday = (date) => (new Date(noon(date)).getUTCDay() + 6) % 7; // 0 = Monday
function isoWeek(date) {
  const d = new Date(noon(date));
  d.setUTCDate(d.getUTCDate() + 3 - weekday(date)); // the Thursday of that week
  const jan4 = new Date(Date.UTC(d.getUTCFullYear(), 0, 4));
  return 1 + Math.round((d - jan4) / 86400000 / 7 - (3 - ((jan4.getUTCDay() + 6) % 7)) / 7);
}
// Weekday names, Monday first, in the page's language.
const weekdayName = (i, style) => formatDate(noon(`2024-01-0${i + 1}`), { dateStyle: undefined, weekday: style });

// --- filters and results -------------------------------------------------------------------------------

function fillSelects() {
  const kind = $("kind");
  const kindValue = kind.value;
  kind.replaceChildren(...["", "room", "court"].map((k) => el("option", { value: k, text: t(k ? `kind.${k}` : "kind.any") })));
  kind.value = kindValue;
  const type = $("type");
  const typeValue = type.value;
  const kinds = kind.value ? [kind.value] : ["room", "court"];
  type.replaceChildren(el("option", { value: "", text: t("type.any") }),
    ...kinds.flatMap((k) => TYPES[k]).map((code) => el("option", { value: code, text: t(`type.${code}`) })));
  type.value = [...type.options].some((o) => o.value === typeValue) ? typeValue : "";
  const checked = new Set([...document.querySelectorAll("input[name=equipment]:checked")].map((i) => i.value));
  $("equipment").replaceChildren(...EQUIPMENT.map((code) => el("div", { class: "check" },
    el("input", { type: "checkbox", name: "equipment", id: `equipment-${code}`, value: code, checked: checked.has(code) }),
    el("label", { for: `equipment-${code}`, text: t(`equipment.${code}`) }))));
}

function query() {
  const params = new URLSearchParams({ per_page: "100", sort: "name" });
  const q = $("q").value.trim();
  if (q) params.set("q", q);
  if ($("kind").value) params.set("kind", $("kind").value);
  if ($("type").value) params.set("type", $("type").value);
  const capacity = $("min-capacity").value.trim();
  if (capacity) params.set("min_capacity", capacity);
  if ($("wheelchair").checked) params.set("wheelchair_accessible", "true");
  const equipment = [...document.querySelectorAll("input[name=equipment]:checked")].map((i) => i.value);
  if (equipment.length) params.set("equipment", equipment.join(","));
  return params;
}

function capacityValid() {
  const input = $("min-capacity");
  const raw = input.value.trim();
  const ok = raw === "" || (/^\d+$/.test(raw) && Number(raw) >= 1 && Number(raw) <= 10000);
  const error = $("min-capacity-error");
  error.hidden = ok;
  error.textContent = ok ? "" : t("filter.capacity.error");
  if (ok) {
    input.removeAttribute("aria-invalid");
    input.removeAttribute("aria-describedby");
  } else {
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", "min-capacity-error");
  }
  return ok;
}

async function search() {
  if (!capacityValid()) {
    $("min-capacity").focus();
    return;
  }
  $("result-count").textContent = t("loading");
  try {
    const page = await api(`/api/v1/infrastructuur?${query()}`);
    state.results = page.items;
    state.total = page.total;
  } catch (error) {
    state.results = [];
    state.total = 0;
    state.error = error.status === 0 ? t("error.network") : t("results.error");
  }
  renderResults();
  say($("result-count").textContent);
}

const typeLabel = (r) => t(`type.${r.type}`);
const capacityLabel = (r) => t("capacity", { count: r.capacity });
const wheelchairLabel = (r) => t(r.wheelchair_accessible ? "wheelchair.yes" : "wheelchair.no");

function renderResults() {
  if (!state.results) return;
  const count = $("result-count");
  count.dataset.count = String(state.total);
  count.textContent = state.error ?? (state.total === 0 ? t("results.none") : t(state.total === 1 ? "results.one" : "results.count", { count: state.total }));
  state.error = null;
  $("results").replaceChildren(...state.results.map((r) => el("li", { class: "card result", dataset: { id: r.id, code: r.code } },
    el("h3", { text: r.name }),
    el("p", { class: "facts" }, el("span", { text: `${t(`kind.${r.kind}`)} · ${typeLabel(r)}` }), " · ",
      el("span", { text: capacityLabel(r) }), " · ", el("span", { text: wheelchairLabel(r) })),
    el("p", { class: "hint", text: r.address }),
    el("button", { type: "button", id: `open-${r.id}`, class: "secondary", "aria-describedby": undefined,
      onclick: () => openDetail(r.id, `open-${r.id}`) }, t("results.open"), el("span", { class: "visually-hidden", text: `: ${r.name}` })))));
}

// --- one room or court -----------------------------------------------------------------------------------

async function openDetail(id, opener) {
  state.opener = opener;
  try {
    state.detail = await api(`/api/v1/infrastructuur/${id}`);
  } catch (error) {
    say(error.status === 404 ? t("detail.missing") : t("error.generic"));
    return;
  }
  if (!state.all.length) {
    try { state.all = (await api("/api/v1/infrastructuur?per_page=100")).items; } catch { state.all = []; }
  }
  state.month = thisMonth();
  $("search-view").hidden = true;
  $("detail").hidden = false;
  renderDetail();
  $("detail").focus();
  await loadCalendar();
}

function closeDetail() {
  state.detail = null;
  $("detail").hidden = true;
  $("search-view").hidden = false;
  ($(state.opener) ?? $("results-heading")).focus();
}

function dl(rows) {
  return el("dl", { class: "details" }, ...rows.filter(Boolean).flatMap(([key, value]) => [el("dt", { text: t(key) }), el("dd", {}, value)]));
}

function openingHours(r) {
  const byDay = new Map();
  for (const slot of r.opening_hours) {
    const range = `${slot.opens.slice(0, 5)}–${slot.closes.slice(0, 5)}`;
    byDay.set(slot.weekday, [...(byDay.get(slot.weekday) ?? []), range]);
  }
  return el("ul", { class: "plain" }, ...[1, 2, 3, 4, 5, 6, 7].map((d) =>
    el("li", {}, el("span", { class: "weekday", text: `${weekdayName(d - 1, "long")}: ` }), byDay.has(d) ? byDay.get(d).join(", ") : t("closed"))));
}

function prices(r) {
  if (!r.prices?.length) return el("p", { text: t("prices.none") });
  const vat = r.vat_basis_points ? t("prices.vat", { rate: (r.vat_basis_points / 100).toLocaleString() }) : t("prices.vat-free");
  const sorted = CUSTOMERS.map((c) => r.prices.find((p) => p.customer_type === c)).filter(Boolean);
  return el("div", { class: "table-wrap" }, el("table", { id: "prices" },
    el("caption", { text: t("prices.caption") }),
    el("thead", {}, el("tr", {}, el("th", { scope: "col", text: t("prices.customer") }),
      ...["weekday", "evening", "weekend"].map((band) => el("th", { scope: "col", text: t(`prices.${band}`) })))),
    el("tbody", {}, ...sorted.map((p) => el("tr", {}, el("th", { scope: "row", text: t(`customer.${p.customer_type}`) }),
      el("td", { text: formatMoney(p.hourly_cents) }), el("td", { text: formatMoney(p.evening_hourly_cents) }),
      el("td", { text: formatMoney(p.weekend_hourly_cents) }))))),
  el("p", { class: "hint", text: vat }));
}

function renderDetail() {
  const r = state.detail;
  if (!r) return;
  $("detail-name").textContent = r.name;
  const nameOf = (id) => state.all.find((x) => x.id === id)?.name ?? `#${id}`;
  const equipment = r.equipment.length
    ? el("ul", { id: "equipment-list", class: "tags" }, ...r.equipment.map((e) => el("li", { text: t(`equipment.${e}`) })))
    : el("p", { id: "equipment-list", text: t("equipment.none") });
  $("detail-body").replaceChildren(
    r.description ? el("p", { text: r.description }) : null,
    dl([
      ["detail.kind", `${t(`kind.${r.kind}`)} · ${typeLabel(r)}`],
      ["detail.capacity", capacityLabel(r)],
      ["detail.wheelchair", wheelchairLabel(r)],
      ["detail.address", r.address],
      r.part_of ? ["detail.part-of", t("detail.part-of-value", { hall: nameOf(r.part_of) })] : null,
      r.parts?.length ? ["detail.parts", t("detail.parts-value", { parts: r.parts.map(nameOf).join(", ") })] : null,
    ]),
    el("h3", { text: t("detail.equipment") }), equipment,
    el("h3", { text: t("detail.hours") }), openingHours(r),
    el("h3", { text: t("detail.prices") }), prices(r),
    r.practical_info ? el("h3", { text: t("detail.practical") }) : null,
    r.practical_info ? el("p", { text: r.practical_info }) : null,
    el("p", { class: "notice" }, t("detail.book"), " ", el("a", { href: "/afspraak-maken", text: t("book.link") })));
}

// --- the availability calendar -----------------------------------------------------------------------------

async function loadCalendar() {
  const r = state.detail;
  const month = state.month;
  renderMonthNav();
  $("calendar-table").replaceChildren(el("p", { text: t("loading") }));
  // Busy intervals with a day's margin either side (the window is in UTC; days are Brussels days).
  const from = `${addDays(`${month}-01`, -1)}T00:00:00Z`;
  const until = `${addDays(`${addMonths(month, 1)}-01`, 1)}T00:00:00Z`;
  try {
    const [days, availability] = await Promise.all([
      api(`/api/v1/infrastructuur/${r.id}/kalender?month=${month}`),
      api(`/api/v1/infrastructuur/${r.id}/beschikbaarheid?from=${encodeURIComponent(from)}&until=${encodeURIComponent(until)}`),
    ]);
    if (state.detail?.id !== r.id || state.month !== month) return;
    state.calendar = days;
    state.busy = busyByDay(availability.busy);
  } catch {
    state.calendar = null;
    $("calendar-table").replaceChildren(el("p", { class: "notice error", text: t("calendar.error") }));
    return;
  }
  renderCalendar();
  $("calendar-status").textContent = t("calendar.shown", { month: monthName(month) });
}

function addDays(date, n) {
  const d = new Date(noon(date));
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

// Busy intervals split over the Brussels days they touch: {date: ["10:00–12:00", …]}.
function busyByDay(busy) {
  const out = {};
  for (const b of busy) {
    const first = dateOf(b.period.start);
    const last = dateOf(new Date(b.period.end).getTime() - 1);
    for (let day = first; day <= last; day = addDays(day, 1)) {
      const from = day === first ? formatTime(b.period.start) : "00:00";
      const to = day === dateOf(b.period.end) ? formatTime(b.period.end) : "24:00";
      (out[day] ??= []).push(`${from}–${to}`);
    }
  }
  return out;
}

function renderMonthNav() {
  $("month-label").textContent = monthName(state.month);
  $("month-label").dataset.month = state.month;
  $("prev-month").setAttribute("aria-disabled", String(state.month <= thisMonth()));
  $("next-month").setAttribute("aria-disabled", String(state.month >= addMonths(thisMonth(), MONTHS_AHEAD)));
}

function cell(day) {
  const busy = state.busy[day.date] ?? [];
  const showBusy = day.status === "partial" || day.status === "full";
  return el("td", { dataset: { date: day.date, status: day.status }, class: `day ${day.status}` },
    el("span", { class: "date", text: String(Number(day.date.slice(8))) }),
    el("span", { class: "status" }, el("span", { class: "symbol", "aria-hidden": "true", text: STATUS_SYMBOL[day.status] }), " ", t(`status.${day.status}`)),
    showBusy && busy.length ? el("ul", { class: "busy", "aria-label": t("calendar.busy-at") }, ...busy.map((b) => el("li", { text: b }))) : null);
}

function renderCalendar() {
  const days = state.calendar;
  if (!days?.length) return;
  const rows = [];
  let row = [];
  const lead = weekday(days[0].date);
  for (let i = 0; i < lead; i++) row.push(el("td", { class: "empty" }));
  for (const day of days) {
    row.push(cell(day));
    if (row.length === 7) { rows.push(row); row = []; }
  }
  if (row.length) {
    while (row.length < 7) row.push(el("td", { class: "empty" }));
    rows.push(row);
  }
  let firstOfRow = 0;
  const trs = rows.map((cells) => {
    const anchor = days[Math.max(0, firstOfRow - lead)].date;
    firstOfRow += 7;
    const week = isoWeek(anchor);
    return el("tr", {}, el("th", { scope: "row", class: "week" },
      el("span", { "aria-hidden": "true", text: t("calendar.week-short", { week }) }),
      el("span", { class: "visually-hidden", text: t("calendar.week", { week }) })), ...cells);
  });
  const table = el("table", { class: "calendar" },
    el("caption", { text: t("calendar.caption", { name: state.detail.name, month: monthName(state.month) }) }),
    el("thead", {}, el("tr", {}, el("th", { scope: "col", class: "week", text: t("calendar.week-col") }),
      ...[0, 1, 2, 3, 4, 5, 6].map((i) => el("th", { scope: "col" },
        el("span", { "aria-hidden": "true", text: weekdayName(i, "short") }),
        el("span", { class: "visually-hidden", text: weekdayName(i, "long") }))))),
    el("tbody", {}, ...trs));
  $("calendar-table").replaceChildren(table);
  $("legend").replaceChildren(el("h4", { text: t("legend") }),
    el("ul", { class: "plain legend-list" }, ...Object.keys(STATUS_SYMBOL).map((s) => el("li", { class: `day ${s}` },
      el("span", { class: "symbol", "aria-hidden": "true", text: STATUS_SYMBOL[s] }), " ",
      el("strong", { text: t(`status.${s}`) }), `: ${t(`status.${s}.explain`)}`))));
}

// --- wiring ----------------------------------------------------------------------------------------------

$("filters").addEventListener("submit", (e) => { e.preventDefault(); search(); });
$("kind").addEventListener("change", fillSelects);
$("reset").addEventListener("click", () => {
  $("filters").reset();
  fillSelects();
  capacityValid();
  search();
});
$("back").addEventListener("click", closeDetail);
for (const [id, step] of [["prev-month", -1], ["next-month", 1]]) {
  $(id).addEventListener("click", () => {
    if ($(id).getAttribute("aria-disabled") === "true") return;
    state.month = addMonths(state.month, step);
    loadCalendar();
  });
}

onLanguageChange(() => {
  fillSelects();
  renderResults();
  if (state.detail) {
    renderDetail();
    renderMonthNav();
    renderCalendar();
  }
});

fillSelects();
await search();
