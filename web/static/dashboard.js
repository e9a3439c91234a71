// The managers' satisfaction dashboard (/dashboard, role manager; docs/survey.md): filters kept
// in the address (?van&tot&dienst&medewerker&kanaal&q, so a view can be shared), key figures,
// charts as inline SVG built with DOM APIs (each with a title, a description and a table with the
// same numbers), the rooms and courts (evaluations and defects in the period, /api/v1/dashboard/zalen),
// the free-text comments with a search, and a CSV download of the same answers.
// Not signed in: the staff console's sign-in (balie/staff-page.js with balie/signin.js, same element ids).
//
// Stable hooks for tests: data-testid dash-from, dash-to, dash-service, dash-agent, dash-channel,
// dash-apply (the filters); dash-invited, dash-answered, dash-rate, dash-average (the figures,
// each with data-value = the raw number, "" when none); dash-chart-week, dash-chart-service,
// dash-chart-agent, dash-chart-channel, dash-chart-quality, dash-chart-again (chart sections:
// svg[role=img] and a table, rows tr[data-key]); dash-rooms (the rooms section: svg[role=img] and
// the table dash-rooms-table, rows tr[data-key=resource_id]); dash-comments (the list, li[data-day]), dash-q
// (comment search, submitted with #q-apply), dash-csv (the download link). #signin (signed out),
// #no-role (signed in without the manager role), #dashboard; #results[aria-busy] while loading.

import { api, ApiError, el, start } from "./common/page.js";
import { formatDate, language, onLanguageChange, t } from "./common/i18n.js";
import { addDays, announce, brusselsDate, problemText } from "./balie/shared.js";
import { staffSession } from "./balie/staff-page.js";

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
const CHANNELS = ["video", "hybrid"];
const QUALITY = ["good", "fair", "poor", "unknown"];
const AGAIN = ["yes", "maybe", "no", "unanswered"];
const DATE = /^\d{4}-\d{2}-\d{2}$/;

const state = { filters: null, data: null, comments: null, rooms: null, roomsError: null, seq: 0, commentSeq: 0, shown: false };

// --- numbers and dates in the page's language -------------------------------------------------

const locale = () => ({ nl: "nl-BE", en: "en-GB", fr: "fr-BE" })[language()] ?? "nl-BE";
const int = (n) => new Intl.NumberFormat(locale()).format(n ?? 0);
const avg = (v) => (v == null ? "–" : new Intl.NumberFormat(locale(), { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(v));
const pct = (v) => (v == null ? "–" : new Intl.NumberFormat(locale(), { style: "percent", maximumFractionDigits: 0 }).format(v));
const day = (date) => formatDate(`${date}T12:00:00Z`, { dateStyle: "long" });
const answers = (n) => t(n === 1 ? "n.one" : "n.many", { n: int(n) });
const evaluations = (n) => t(n === 1 ? "rooms.n.one" : "rooms.n.many", { n: int(n) });

const pad = (n) => String(n).padStart(2, "0");
/** The same day `months` months earlier (the last day of that month when it is shorter). */
function monthsBefore(date, months) {
  const [y, m, d] = date.split("-").map(Number);
  const first = new Date(Date.UTC(y, m - 1 - months, 1));
  const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
  return `${first.getUTCFullYear()}-${pad(first.getUTCMonth() + 1)}-${pad(Math.min(d, last))}`;
}
function validDate(s) {
  if (!DATE.test(s ?? "")) return false;
  const d = new Date(`${s}T12:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/** ISO week "2026-W48" of a date, and the Monday a week key starts on. */
function weekKey(date) {
  const d = new Date(`${date}T12:00:00Z`);
  const weekday = (d.getUTCDay() + 6) % 7;
  d.setUTCDate(d.getUTCDate() - weekday + 3); // that week's Thursday decides the year
  const year = d.getUTCFullYear();
  const jan4 = new Date(Date.UTC(year, 0, 4, 12));
  const week = 1 + Math.round((d - jan4) / 86_400_000 / 7 - (3 - ((jan4.getUTCDay() + 6) % 7)) / 7);
  return `${year}-W${pad(week)}`;
}
function weekMonday(key) {
  const m = /^(\d{4})-W(\d{2})$/.exec(key);
  if (!m) return null;
  const jan4 = new Date(Date.UTC(Number(m[1]), 0, 4, 12));
  jan4.setUTCDate(jan4.getUTCDate() - ((jan4.getUTCDay() + 6) % 7) + (Number(m[2]) - 1) * 7);
  return jan4.toISOString().slice(0, 10);
}
const weekNumber = (key) => Number(key.slice(-2));

// --- filters, in the form and in the address ----------------------------------------------------

function defaults() {
  const to = brusselsDate();
  return { van: addDays(monthsBefore(to, 3), 1), tot: to, dienst: "", medewerker: "", kanaal: "", q: "" };
}

function readUrl() {
  const p = new URLSearchParams(location.search);
  const f = defaults();
  if (validDate(p.get("van"))) f.van = p.get("van");
  if (validDate(p.get("tot"))) f.tot = p.get("tot");
  f.dienst = (p.get("dienst") ?? "").slice(0, 200);
  if (/^\d+$/.test(p.get("medewerker") ?? "")) f.medewerker = p.get("medewerker");
  if (CHANNELS.includes(p.get("kanaal"))) f.kanaal = p.get("kanaal");
  f.q = (p.get("q") ?? "").slice(0, 200);
  return f;
}

/** The API query for `f`; `withQ` adds the comment search. */
function query(f, withQ = false) {
  const p = new URLSearchParams({ van: f.van, tot: f.tot });
  if (f.dienst) p.set("dienst", f.dienst);
  if (f.medewerker) p.set("medewerker", f.medewerker);
  if (f.kanaal) p.set("kanaal", f.kanaal);
  if (withQ && f.q) p.set("q", f.q);
  return p;
}

/** Puts the filters in the address (keeping ?taal=), as a new history entry when they changed. */
function writeUrl(f) {
  const p = query(f, true);
  const taal = new URLSearchParams(location.search).get("taal");
  if (taal) p.set("taal", taal);
  const url = `${location.pathname}?${p}`;
  if (url !== `${location.pathname}${location.search}`) history.pushState(null, "", url);
}

function fillSelects() {
  const f = state.filters;
  const services = [...(state.data?.services ?? [])];
  if (f.dienst && !services.includes(f.dienst)) services.push(f.dienst);
  setOptions($("service"), [["", t("filter.service.all")], ...services.map((s) => [s, s])], f.dienst);
  const agents = [...(state.data?.agents ?? [])].map((a) => [String(a.id), a.name]);
  agents.sort((a, b) => a[1].localeCompare(b[1], locale()));
  if (f.medewerker && !agents.some(([id]) => id === f.medewerker)) agents.push([f.medewerker, t("filter.agent.id", { id: f.medewerker })]);
  setOptions($("agent"), [["", t("filter.agent.all")], ...agents], f.medewerker);
  setOptions($("channel"), [["", t("filter.channel.all")], ...CHANNELS.map((c) => [c, t(`channel.${c}`)])], f.kanaal);
}

function setOptions(select, list, value) {
  select.replaceChildren(...list.map(([v, text]) => el("option", { value: v, text })));
  select.value = value;
}

function fillForm() {
  $("from").value = state.filters.van;
  $("to").value = state.filters.tot;
  $("q").value = state.filters.q;
  fillSelects();
}

function clearFilterErrors() {
  for (const id of ["from", "to"]) {
    $(id).removeAttribute("aria-invalid");
    $(id).removeAttribute("aria-describedby");
    $(`${id}-error`)?.remove();
  }
}

function filterError(id, key) {
  const input = $(id);
  const message = el("p", { class: "error-text field-error", id: `${id}-error`, text: t(key) });
  input.setAttribute("aria-invalid", "true");
  input.setAttribute("aria-describedby", message.id);
  input.closest(".field").append(message);
}

/** The form's filters, or null (with the errors shown next to the dates, focus on the first). */
function formFilters() {
  clearFilterErrors();
  const f = { van: $("from").value, tot: $("to").value, dienst: $("service").value, medewerker: $("agent").value,
    kanaal: $("channel").value, q: $("q").value.trim() };
  if (!validDate(f.van)) filterError("from", "filter.error.date");
  if (!validDate(f.tot)) filterError("to", "filter.error.date");
  if (validDate(f.van) && validDate(f.tot) && f.van > f.tot) filterError("to", "filter.error.order");
  const first = document.querySelector("#filters [aria-invalid=true]");
  if (first) {
    first.focus();
    return null;
  }
  return f;
}

// --- loading ----------------------------------------------------------------------------------

async function load() {
  const seq = ++state.seq;
  ++state.commentSeq;
  const f = state.filters;
  $("results").setAttribute("aria-busy", "true");
  $("load-error").hidden = true;
  updateCsv();
  try {
    // The rooms only follow the period; their failure leaves the survey's figures standing.
    const [data, comments, rooms] = await Promise.all([
      api(`/api/v1/dashboard/tevredenheid?${query(f)}`),
      api(`/api/v1/dashboard/opmerkingen?${query(f, true)}`),
      api(`/api/v1/dashboard/zalen?${new URLSearchParams({ van: f.van, tot: f.tot })}`).catch((error) => ({ error })),
    ]);
    if (seq !== state.seq) return;
    if (rooms?.error instanceof ApiError && [401, 403].includes(rooms.error.status)) throw rooms.error;
    state.data = data;
    state.comments = comments ?? [];
    state.rooms = rooms?.error ? null : rooms;
    state.roomsError = rooms?.error ?? null;
    state.shown = true;
    fillSelects();
    render();
    announce(t("loaded", { answered: int(data.answered), invited: int(data.invited) }));
  } catch (error) {
    if (seq === state.seq) failed(error);
  } finally {
    if (seq === state.seq) $("results").setAttribute("aria-busy", "false");
  }
}

async function loadComments() {
  const seq = ++state.commentSeq;
  $("comments").setAttribute("aria-busy", "true");
  try {
    const comments = await api(`/api/v1/dashboard/opmerkingen?${query(state.filters, true)}`);
    if (seq !== state.commentSeq) return;
    state.comments = comments ?? [];
    renderComments();
    announce($("comments-count").textContent);
  } catch (error) {
    if (seq === state.commentSeq) failed(error);
  } finally {
    $("comments").setAttribute("aria-busy", "false");
  }
}

function failed(error) {
  if (error instanceof ApiError && error.status === 401) return signedOut(t("expired"));
  if (error instanceof ApiError && error.status === 403) return noRole();
  const box = $("load-error");
  box.textContent = error instanceof ApiError && error.status === 0 ? error.message : `${t("load.error")} ${problemText(error)}`;
  box.hidden = false;
}

function updateCsv() {
  $("csv").href = `/api/v1/dashboard/antwoorden.csv?${query(state.filters)}`;
  // The rooms' exports follow the period only, like their figures.
  const period = new URLSearchParams({ van: state.filters.van, tot: state.filters.tot });
  $("csv-evaluations").href = `/api/v1/dashboard/zalen/evaluaties.csv?${period}`;
  $("csv-defects").href = `/api/v1/dashboard/zalen/defecten.csv?${period}`;
}

// --- rendering ----------------------------------------------------------------------------------

function render() {
  if (!state.data) return;
  renderSummary();
  renderFigures();
  renderCharts();
  renderRooms();
  renderComments();
}

function renderSummary() {
  const f = state.filters;
  const agent = state.data?.agents?.find((a) => String(a.id) === f.medewerker)?.name ?? (f.medewerker ? t("filter.agent.id", { id: f.medewerker }) : "");
  const parts = [t("summary.period", { from: day(f.van), to: day(f.tot) }),
    f.dienst || t("filter.service.all"), agent || t("filter.agent.all"), f.kanaal ? t(`channel.${f.kanaal}`) : t("filter.channel.all")];
  $("summary").textContent = `${parts.join(" · ")}.`;
}

function figure(id, value, text) {
  $(id).dataset.value = value == null ? "" : String(value);
  $(id).textContent = text;
}

function renderFigures() {
  const d = state.data;
  figure("invited", d.invited, int(d.invited));
  figure("answered", d.answered, int(d.answered));
  figure("rate", d.response_rate, pct(d.response_rate));
  figure("average", d.average, d.average == null ? t("figures.none") : t("figures.average.value", { avg: avg(d.average) }));
}

function renderCharts() {
  const d = state.data;
  const byKey = (list, order) => order.map((key) => (list ?? []).find((r) => r.key === key)).filter(Boolean);
  weekChart();
  barChart("service", (d.by_service ?? []).map((r) => ({ key: r.key, label: r.key, n: r.n, average: r.average })),
    { column: "table.service", empty: "chart.empty" });
  barChart("agent", (d.by_agent ?? []).map((r) => ({ key: r.key, label: r.label ?? r.key, n: r.n, average: r.average })),
    { column: "table.agent", empty: "chart.agent.empty" });
  barChart("channel", byKey(d.by_channel, CHANNELS).map((r) => ({ key: r.key, label: t(`channel.${r.key}`), n: r.n, average: r.average })),
    { column: "table.channel", empty: "chart.empty" });
  barChart("quality", byKey(d.by_quality, QUALITY).map((r) => ({ key: r.key, label: t(`quality.${r.key}`), n: r.n, average: r.average })),
    { column: "table.quality", empty: "chart.empty" });
  againChart(byKey(d.again, AGAIN));
}

// SVG, built element by element: presentation attributes and classes only, never style="".
function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null) continue;
    if (key === "text") node.textContent = value;
    else node.setAttribute(key, String(value));
  }
  node.append(...children.filter(Boolean));
  return node;
}

/** The chart's <svg role=img> with its title and description (its accessible name and description). */
function chartSvg(name, width, height, title, desc) {
  // Drawn at its own size (text as large as the page's), smaller only where the column is narrower.
  return svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, class: "chart-svg", role: "img",
    "aria-labelledby": `chart-${name}-svg-title`, "aria-describedby": `chart-${name}-svg-desc` },
  svg("title", { id: `chart-${name}-svg-title`, text: title }),
  svg("desc", { id: `chart-${name}-svg-desc`, text: desc }));
}

/** The same numbers as the chart, as a table in a <details> (closed by default). */
function dataTable(name, caption, headers, rows, testid) {
  return el("details", { class: "chart-table" },
    el("summary", { text: t("chart.table") }),
    el("div", { class: "table-wrap" }, el("table", { id: `chart-${name}-table`, "data-testid": testid },
      el("caption", { text: caption }),
      el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, ...rows.map(({ key, cells }) => el("tr", { dataset: { key } },
        el("th", { scope: "row", text: cells[0] }), ...cells.slice(1).map((c) => el("td", { text: c }))))))));
}

function describe(rows, line) {
  const shown = rows.filter((r) => r.n > 0);
  if (shown.length <= 12) return shown.map(line).join("; ");
  const rated = shown.filter((r) => r.average != null);
  if (!rated.length) return "";
  const best = rated.reduce((a, b) => (b.average > a.average ? b : a), rated[0]);
  const worst = rated.reduce((a, b) => (b.average < a.average ? b : a), rated[0]);
  return t("chart.desc.range", { best: line(best), worst: line(worst) });
}

/**
 * Horizontal bars: one row per group, the bar the average (1–5, from 0), with the average and the
 * number of answers after it.
 */
function barChart(name, rows, { column, empty }) {
  const body = $(`chart-${name}-body`);
  const title = t(`chart.${name}.title`);
  if (!rows.some((r) => r.n > 0)) {
    body.replaceChildren(el("p", { class: "chart-empty", text: t(empty) }));
    return;
  }
  const W = Math.min(470, Math.max(300, body.clientWidth || 470)); // narrower on a phone, text as large
  const labelW = Math.round(W * 0.37);
  const barW = W - labelW - 125;
  const rowH = 34;
  const top = 26;
  const H = top + rows.length * rowH + 6;
  const x = (v) => labelW + (v / 5) * barW;
  const line = (r) => t("chart.desc.item", { label: r.label, avg: avg(r.average), n: answers(r.n) });
  const chart = chartSvg(name, W, H, title, `${t("chart.desc.bars")} ${describe(rows, line)}.`);
  const grid = svg("g", { class: "chart-grid", "aria-hidden": "true" });
  for (let v = 1; v <= 5; v++) {
    grid.append(svg("line", { x1: x(v), x2: x(v), y1: top - 6, y2: H - 4, class: "chart-gridline" }),
      svg("text", { x: x(v), y: top - 10, "text-anchor": "middle", class: "chart-tick", text: String(v) }));
  }
  chart.append(grid, svg("line", { x1: labelW, x2: labelW, y1: top - 6, y2: H - 4, class: "chart-axis" }));
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    const g = svg("g", { class: "chart-row", "data-key": r.key });
    g.append(svg("text", { x: labelW - 8, y: y + rowH / 2 + 5, "text-anchor": "end", class: "chart-label", text: r.label }));
    if (r.average != null) g.append(svg("rect", { x: labelW, y: y + 6, width: Math.max(1, x(r.average) - labelW), height: rowH - 12, class: "chart-bar" }));
    g.append(svg("text", { x: (r.average != null ? x(r.average) : labelW) + 6, y: y + rowH / 2 + 5, class: "chart-value",
      text: r.average != null ? `${avg(r.average)} · n = ${int(r.n)}` : t("chart.no_answers") }));
    chart.append(g);
  });
  body.replaceChildren(chart, dataTable(name, title, [t(column), t("table.average"), t("table.n")],
    rows.map((r) => ({ key: r.key, cells: [r.label, avg(r.average), int(r.n)] }))));
  fitLabels(chart, labelW - 12);
}

/** Shortens labels (with "…") that do not fit left of the bars; the table keeps them whole. */
function fitLabels(chart, width) {
  for (const label of chart.querySelectorAll(".chart-label")) {
    let text = label.textContent;
    while (text.length > 4 && label.getComputedTextLength() > width) {
      text = text.slice(0, -1);
      label.textContent = `${text.trimEnd()}…`;
    }
  }
}

/** Satisfaction by week: every week of the period (also those without answers), bars with the n. */
function weekChart() {
  const body = $("chart-week-body");
  const title = t("chart.week.title");
  const f = state.filters;
  const found = new Map((state.data.by_week ?? []).map((r) => [r.key, r]));
  const keys = [];
  for (let d = f.van; d <= f.tot && keys.length < 110; d = addDays(d, 7)) keys.push(weekKey(d));
  if (!keys.includes(weekKey(f.tot))) keys.push(weekKey(f.tot));
  for (const k of found.keys()) if (!keys.includes(k)) keys.push(k);
  keys.sort();
  const rows = keys.map((key) => ({ key, n: found.get(key)?.n ?? 0, average: found.get(key)?.average ?? null,
    label: t("week.label", { week: weekNumber(key), date: day(weekMonday(key)) }) }));
  if (!rows.some((r) => r.n > 0)) {
    body.replaceChildren(el("p", { class: "chart-empty", text: t("chart.empty") }));
    return;
  }
  const left = 34;
  const top = 24;
  const plotH = 170;
  // Columns fit the frame's width (between 14 and 56 units), so the text keeps the page's size.
  const room = Math.max(320, body.clientWidth || 640) - left - 8;
  const colW = Math.max(14, Math.min(56, Math.floor(room / rows.length)));
  const W = left + rows.length * colW + 8;
  const H = top + plotH + 46;
  const y = (v) => top + plotH * (1 - v / 5);
  const every = Math.ceil(48 / colW); // axis labels on every week, or every 2nd, 3rd… when columns are narrow
  const line = (r) => t("chart.desc.item", { label: r.label, avg: avg(r.average), n: answers(r.n) });
  const chart = chartSvg("week", W, H, title, `${t("chart.desc.weeks")} ${describe(rows, line)}.`);
  const grid = svg("g", { class: "chart-grid", "aria-hidden": "true" });
  for (let v = 1; v <= 5; v++) {
    grid.append(svg("line", { x1: left, x2: W - 4, y1: y(v), y2: y(v), class: "chart-gridline" }),
      svg("text", { x: left - 8, y: y(v) + 4, "text-anchor": "end", class: "chart-tick", text: String(v) }));
  }
  chart.append(grid, svg("line", { x1: left, x2: W - 4, y1: y(0), y2: y(0), class: "chart-axis" }));
  rows.forEach((r, i) => {
    const cx = left + i * colW + colW / 2;
    const g = svg("g", { class: "chart-col", "data-key": r.key });
    if (r.average != null) {
      g.append(svg("rect", { x: cx - colW * 0.3, y: y(r.average), width: colW * 0.6, height: y(0) - y(r.average), class: "chart-bar" }));
      if (colW >= 40) g.append(svg("text", { x: cx, y: y(r.average) - 5, "text-anchor": "middle", class: "chart-value", text: avg(r.average) }));
    }
    if (i % every === 0) {
      g.append(svg("text", { x: cx, y: y(0) + 18, "text-anchor": "middle", class: "chart-tick", text: t("week.short", { week: weekNumber(r.key) }) }),
        svg("text", { x: cx, y: y(0) + 36, "text-anchor": "middle", class: "chart-n", text: `n = ${int(r.n)}` }));
    }
    chart.append(g);
  });
  body.replaceChildren(chart, dataTable("week", title,
    [t("table.week"), t("table.average"), t("table.n")],
    rows.map((r) => ({ key: r.key, cells: [r.label, avg(r.average), int(r.n)] }))));
}

/** Would use the video counter again: how many answered what, with their share. */
function againChart(rows) {
  const body = $("chart-again-body");
  const title = t("chart.again.title");
  const total = rows.reduce((sum, r) => sum + (r.n ?? 0), 0);
  if (!total) {
    body.replaceChildren(el("p", { class: "chart-empty", text: t("chart.empty") }));
    return;
  }
  const W = Math.min(470, Math.max(300, body.clientWidth || 470)); // narrower on a phone, text as large
  const labelW = Math.round(W * 0.37);
  const barW = W - labelW - 125;
  const rowH = 34;
  const top = 8;
  const H = top + rows.length * rowH + 6;
  const share = (r) => r.n / total;
  const line = (r) => t("chart.desc.share", { label: t(`again.${r.key}`), n: answers(r.n), share: pct(share(r)) });
  const chart = chartSvg("again", W, H, title, `${t("chart.desc.again")} ${rows.map(line).join("; ")}.`);
  chart.append(svg("line", { x1: labelW, x2: labelW, y1: top, y2: H - 4, class: "chart-axis" }));
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    chart.append(svg("g", { class: "chart-row", "data-key": r.key },
      svg("text", { x: labelW - 8, y: y + rowH / 2 + 5, "text-anchor": "end", class: "chart-label", text: t(`again.${r.key}`) }),
      r.n > 0 ? svg("rect", { x: labelW, y: y + 6, width: Math.max(1, share(r) * barW), height: rowH - 12, class: "chart-bar" }) : null,
      svg("text", { x: labelW + share(r) * barW + 6, y: y + rowH / 2 + 5, class: "chart-value", text: `${pct(share(r))} · n = ${int(r.n)}` })));
  });
  const withAverage = rows.some((r) => r.average !== undefined);
  body.replaceChildren(chart, dataTable("again", title,
    [t("table.again"), t("table.n"), t("table.share"), ...(withAverage ? [t("table.average")] : [])],
    rows.map((r) => ({ key: r.key, cells: [t(`again.${r.key}`), int(r.n), pct(share(r)), ...(withAverage ? [avg(r.average)] : [])] }))));
  fitLabels(chart, labelW - 12);
}

/**
 * Rooms and courts: per room a bar for the average evaluation (1–5, from 0) with the average and
 * the number of evaluations after it, and on a line below the defects reported in the period.
 */
function renderRooms() {
  const body = $("chart-rooms-body");
  const box = $("rooms-error");
  box.hidden = !state.roomsError;
  box.textContent = state.roomsError ? `${t("rooms.error")} ${problemText(state.roomsError)}` : "";
  if (state.roomsError) {
    body.replaceChildren();
    return;
  }
  const title = t("rooms.chart.title");
  const rows = (state.rooms?.rooms ?? []).map((r) => ({ key: String(r.resource_id), label: r.resource_name || t("rooms.unnamed", { id: r.resource_id }),
    n: r.n ?? 0, average: r.n > 0 ? r.average : null, open: r.defects_open ?? 0, closed: r.defects_closed ?? 0 }));
  if (!rows.length) {
    body.replaceChildren(el("p", { class: "chart-empty", text: t("rooms.empty") }));
    return;
  }
  const W = Math.min(760, Math.max(300, body.clientWidth || 640)); // narrower on a phone, text as large
  // Narrow (a phone): each room's name on its own line above its bar, so names stay whole.
  const stacked = W < 520;
  const labelW = stacked ? 6 : Math.min(260, Math.round(W * 0.37));
  const barW = W - labelW - 125;
  const rowH = stacked ? 80 : 56;
  const barY = stacked ? 26 : 6; // within a row; the label, the value and the defects line follow it
  const top = 26;
  const H = top + rows.length * rowH + 6;
  const x = (v) => labelW + (v / 5) * barW;
  const defects = (r) => t("rooms.defects.value", { open: int(r.open), closed: int(r.closed) });
  const line = (r) => t(r.average != null ? "rooms.desc.item" : "rooms.desc.item.none", { label: r.label, avg: avg(r.average),
    n: evaluations(r.n), defects: t("rooms.desc.defects", { open: int(r.open), closed: int(r.closed) }) });
  const totalOpen = rows.reduce((sum, r) => sum + r.open, 0);
  const rated = rows.filter((r) => r.average != null);
  let desc = rows.map(line).join("; ");
  if (rows.length > 12) {
    const best = rated.reduce((a, b) => (b.average > a.average ? b : a), rated[0]);
    const worst = rated.reduce((a, b) => (b.average < a.average ? b : a), rated[0]);
    desc = [best ? t("chart.desc.range", { best: line(best), worst: line(worst) }) : null, t("rooms.desc.open", { n: int(totalOpen) })]
      .filter(Boolean).join("; ");
  }
  const chart = chartSvg("rooms", W, H, title, `${t("rooms.desc")} ${desc}.`);
  const grid = svg("g", { class: "chart-grid", "aria-hidden": "true" });
  for (let v = 1; v <= 5; v++) {
    grid.append(svg("line", { x1: x(v), x2: x(v), y1: top - 6, y2: H - 4, class: "chart-gridline" }),
      svg("text", { x: x(v), y: top - 10, "text-anchor": "middle", class: "chart-tick", text: String(v) }));
  }
  chart.append(grid, svg("line", { x1: labelW, x2: labelW, y1: top - 6, y2: H - 4, class: "chart-axis" }));
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    const g = svg("g", { class: "chart-row", "data-key": r.key });
    g.append(stacked ? svg("text", { x: labelW + 6, y: y + 18, class: "chart-label", text: r.label })
      : svg("text", { x: labelW - 8, y: y + barY + 16, "text-anchor": "end", class: "chart-label", text: r.label }));
    if (r.average != null) g.append(svg("rect", { x: labelW, y: y + barY, width: Math.max(1, x(r.average) - labelW), height: 22, class: "chart-bar" }));
    g.append(svg("text", { x: (r.average != null ? x(r.average) : labelW) + 6, y: y + barY + 16, class: "chart-value",
      text: r.average != null ? `${avg(r.average)} · n = ${int(r.n)}` : t("rooms.no_evaluations") }));
    g.append(svg("text", { x: labelW + 6, y: y + barY + 40, class: r.open > 0 ? "chart-defects chart-defects-open" : "chart-defects", text: defects(r) }));
    chart.append(g);
  });
  body.replaceChildren(chart, dataTable("rooms", title,
    [t("rooms.table.room"), t("rooms.table.n"), t("rooms.table.average"), t("rooms.table.open"), t("rooms.table.closed")],
    rows.map((r) => ({ key: r.key, cells: [r.label, int(r.n), avg(r.average), int(r.open), int(r.closed)] })), "dash-rooms-table"));
  fitLabels(chart, stacked ? W - 12 : labelW - 12);
  // Texts wider than the frame (long translations on a phone): the drawing grows, and scales down.
  let right = W;
  for (const text of chart.querySelectorAll(stacked ? ".chart-value, .chart-defects, .chart-label" : ".chart-value, .chart-defects")) {
    right = Math.max(right, Number(text.getAttribute("x")) + text.getComputedTextLength() + 4);
  }
  if (right > W) {
    chart.setAttribute("viewBox", `0 0 ${Math.ceil(right)} ${H}`);
    chart.setAttribute("width", String(Math.ceil(right)));
  }
}

function score(key, value, scale = true) {
  if (value == null) return null;
  return el("li", {}, el("span", { class: "score-label", text: `${t(key)}: ` }),
    el("strong", { text: scale ? t("score.value", { n: value }) : t(`again.${value}`) }));
}

function renderComments() {
  const list = state.comments ?? [];
  const count = $("comments-count");
  const q = state.filters.q;
  count.textContent = list.length === 0 ? t(q ? "comments.none.q" : "comments.none", { q })
    : list.length >= 200 ? t("comments.max", { n: int(list.length) })
      : t(list.length === 1 ? "comments.one" : "comments.count", { n: int(list.length) });
  count.dataset.count = String(list.length);
  $("comments").replaceChildren(...list.map((c) => {
    const quality = [c.rtt_ms != null ? t("comment.rtt", { ms: int(Math.round(c.rtt_ms)) }) : null,
      c.loss_permille != null ? t("comment.loss", { pct: new Intl.NumberFormat(locale(), { maximumFractionDigits: 1 }).format(c.loss_permille / 10) }) : null]
      .filter(Boolean);
    return el("li", { class: "comment", dataset: { day: c.day, overall: c.overall } },
      el("p", { class: "comment-meta", text: [day(c.day), c.service, c.channel ? t(`channel.${c.channel}`) : null].filter(Boolean).join(" · ") }),
      el("ul", { class: "comment-scores" },
        score("score.overall", c.overall), score("score.ease", c.ease), score("score.quality", c.quality), score("score.again", c.again, false)),
      c.comment ? el("blockquote", { class: "comment-text", text: c.comment }) : null,
      quality.length ? el("p", { class: "hint", text: `${t("comment.connection")}: ${quality.join(", ")}` }) : null);
  }));
}

// --- session ------------------------------------------------------------------------------------

const session = staffSession({
  role: "manager",
  main: "dashboard",
  /** The dashboard for a signed-in manager. */
  async onEnter(me, { focus }) {
    fillForm();
    if (focus) $("filters-heading").focus();
    await load();
  },
  onSignedOut() {
    state.data = null;
    state.comments = null;
    state.rooms = null;
    state.roomsError = null;
  },
});
const { signedOut, noRole, whoami } = session;

// --- wiring -------------------------------------------------------------------------------------

$("filters").addEventListener("submit", (e) => {
  e.preventDefault();
  const f = formFilters();
  if (!f) return;
  state.filters = f;
  writeUrl(f);
  load();
});

$("reset").addEventListener("click", () => {
  clearFilterErrors();
  state.filters = defaults();
  fillForm();
  writeUrl(state.filters);
  load();
});

$("comments-form").addEventListener("submit", (e) => {
  e.preventDefault();
  state.filters = { ...state.filters, q: $("q").value.trim() };
  writeUrl(state.filters);
  loadComments();
});

window.addEventListener("popstate", () => {
  state.filters = readUrl();
  if (!session.me || $("dashboard").hidden) return;
  clearFilterErrors();
  fillForm();
  load();
});

await start("dashboard");
state.filters = readUrl();
$("filters-heading").tabIndex = -1;
fillForm();
updateCsv();
onLanguageChange(() => {
  whoami();
  clearFilterErrors();
  fillSelects();
  if (state.shown) render();
});

await session.resume();
