// Question-guided self-service booking (/afspraak-maken): topic → question (which names the
// service) → how (video / town hall / hybrid, only what the service offers) → a free moment in a
// week → the citizen's details, third parties and consent → confirmation. One form that grows as
// it is answered (nothing moves focus on its own while choosing; arrow keys work in every radio
// group). The server decides what is valid: its 422 names every bad field and each error is shown
// next to its field and in a summary that takes focus; a 409 (moment just taken) reloads the week.
//
// Stable selectors for tests (keep them):
//   #booking                 the form; hidden until the guide is loaded
//   input[name=topic]        topics, id `topic-<topic code>`; `#topic-all` lists every service once
//   input[name=service]      value = service code; id `question-<question code>` (per question of
//                            the topic) or `service-<service code>` (under #topic-all)
//   input[name=mode]         value = video | physical | hybrid, id `mode-<mode>` (offered modes only)
//   #week-prev, #week-next   week navigation (aria-disabled="true" at the ends); #week-label
//   #moments                 the moments of the week: input[name=moment] radios, id `moment-<n>`,
//                            value and data-start = ISO start (Brussels offset), data-end
//   #moments-note            "no free moments this week" / "that moment was just taken"
//   #name #email #phone #language #consent   the details (#language: language of the e-mails)
//   #add-third-party         adds a person (up to 4); their fields #tp-<i>-name, #tp-<i>-email,
//                            #tp-<i>-relation, #tp-<i>-other, remove button #tp-<i>-remove
//   #book                    the submit button
//   #error-summary           the error summary (receives focus), links in #error-list
//   #<field>-error           an error next to a field (e.g. #name-error, #moment-group-error);
//                            the field gets aria-invalid="true" and the error in aria-describedby
//   #confirmation            the confirmation region (receives focus), #confirmation-details,
//                            #manage-link (the personal link), #confirmation-email
//   #status                  polite live region for what changed

import { api, el, start } from "./common/page.js";
import { TIME_ZONE, formatDate, formatDateTime, formatTime, language, onLanguageChange, t } from "./common/i18n.js";

await start("afspraak-maken");

const $ = (id) => document.getElementById(id);
const MAX_THIRD_PARTIES = 4; // the API's limit (booking::appointments::request::MAX_THIRD_PARTIES)
const RELATIONS = ["family", "caregiver", "interpreter", "professional", "other"];

const state = {
  guide: null,
  topic: null,
  service: null,
  serviceInput: null, // id of the chosen service radio (two questions may lead to one service)
  mode: null,
  week: null, // first day shown, YYYY-MM-DD (Brussels)
  moments: [],
  momentsLoaded: false,
  moment: null, // the chosen moment {start, end}
  note: null, // { key, kind } shown above the moments
  thirdParties: [],
  errors: [], // { field, key, vars, text }
  busy: false,
  booked: null,
  languageTouched: false,
};

// --- dates (civil dates as YYYY-MM-DD, in Brussels) ---------------------------------------------

const ymd = new Intl.DateTimeFormat("en-CA", { timeZone: TIME_ZONE, year: "numeric", month: "2-digit", day: "2-digit" });
const dateOf = (instant) => ymd.format(new Date(instant));
const today = () => dateOf(Date.now());
function addDays(date, days) {
  const d = new Date(`${date}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}
// Noon UTC is the same date in Brussels, whatever the season.
const dayName = (date) => formatDate(`${date}T12:00:00Z`, { dateStyle: undefined, weekday: "long", day: "numeric", month: "long" });

const text = (texts) => (texts ? texts[language()] || texts.nl : "");
const service = () => state.guide?.services.find((s) => s.code === state.service);
const say = (message) => { $("status").textContent = message; };

// --- step 1 and 2: topic and question ------------------------------------------------------------

function radio(name, id, value, label, hint, checked, extra = {}) {
  const hintId = hint ? `${id}-hint` : undefined;
  return el("div", { class: "choice" },
    el("input", { type: "radio", name, id, value, checked, "aria-describedby": hintId, ...extra }),
    el("label", { for: id }, label, hint ? el("span", { class: "hint", id: hintId, text: hint }) : null));
}

function renderTopics() {
  const topics = state.guide.topics.map((topic) =>
    radio("topic", `topic-${topic.code}`, topic.code, text(topic.label), null, state.topic === topic.code));
  topics.push(radio("topic", "topic-all", "all", t("topic.all"), null, state.topic === "all"));
  $("topics").replaceChildren(...topics);
}

const minutes = (s) => t("minutes", { minutes: s.duration_minutes });

function renderServices() {
  const section = $("step-service");
  section.hidden = !state.topic;
  if (!state.topic) return;
  const byCode = Object.fromEntries(state.guide.services.map((s) => [s.code, s]));
  let choices;
  if (state.topic === "all") {
    choices = state.guide.services.map((s) => radio("service", `service-${s.code}`, s.code, text(s.name),
      `${text(s.description)} ${minutes(s)}`, state.serviceInput === `service-${s.code}`));
  } else {
    choices = state.guide.questions.filter((q) => q.topic === state.topic).map((q) => {
      const s = byCode[q.service];
      return radio("service", `question-${q.code}`, q.service, text(q.label),
        s ? t("service.leads-to", { service: text(s.name), duration: minutes(s) }) : null, state.serviceInput === `question-${q.code}`);
    });
  }
  $("services").replaceChildren(...choices);
}

// --- step 3: how ----------------------------------------------------------------------------------

function renderModes() {
  const s = service();
  $("step-mode").hidden = !s;
  if (!s) return;
  $("modes").replaceChildren(...s.modes.map((mode) =>
    radio("mode", `mode-${mode}`, mode, t(`mode.${mode}`), t(`mode.${mode}.hint`, { location: s.location ?? t("town-hall") }), state.mode === mode)));
}

// --- step 4: a moment -----------------------------------------------------------------------------

function lastWeekStart() {
  const s = service();
  return addDays(today(), Math.max(0, (s?.horizon_days ?? 60) - 7));
}

async function loadMoments() {
  const s = service();
  if (!s) return;
  const week = state.week;
  state.momentsLoaded = false;
  renderMoments();
  say(t("moments.loading"));
  try {
    const moments = await api(`/api/v1/afspraken/diensten/${encodeURIComponent(s.code)}/momenten?van=${week}&dagen=7`);
    if (week !== state.week || s.code !== state.service) return; // a newer request took over
    state.moments = moments;
    state.momentsLoaded = true;
    if (state.moment && !moments.some((m) => m.start === state.moment.start)) state.moment = null;
  } catch (error) {
    state.moments = [];
    state.momentsLoaded = true;
    state.note = { key: "moments.error", kind: "error" };
  }
  renderMoments();
  renderDetails();
  say(state.note?.key === "moments.taken" ? t("moments.taken")
    : state.moments.length ? t("moments.found", { count: state.moments.length, week: weekLabel() }) : t("moments.none"));
}

const weekLabel = () => t("week.label", { from: dayName(state.week), to: dayName(addDays(state.week, 6)) });

function renderMoments() {
  const section = $("step-moment");
  section.hidden = !(service() && state.mode);
  if (section.hidden) return;
  $("week-label").textContent = weekLabel();
  $("week-prev").setAttribute("aria-disabled", String(state.week <= today()));
  $("week-next").setAttribute("aria-disabled", String(state.week >= lastWeekStart()));
  const note = $("moments-note");
  let noteKey = state.note?.key;
  let kind = state.note?.kind ?? "warn";
  if (!noteKey && state.momentsLoaded && state.moments.length === 0) { noteKey = "moments.none"; kind = "warn"; }
  if (!state.momentsLoaded) { noteKey = "moments.loading"; kind = ""; }
  note.hidden = !noteKey;
  note.className = `notice ${kind}`.trim();
  note.textContent = noteKey ? t(noteKey) : "";
  if (!state.momentsLoaded) { $("moments").replaceChildren(); return; }
  const days = new Map();
  state.moments.forEach((m, i) => {
    const day = dateOf(m.start);
    if (!days.has(day)) days.set(day, []);
    days.get(day).push(el("span", { class: "slot" },
      el("input", { type: "radio", name: "moment", id: `moment-${i}`, value: m.start, checked: state.moment?.start === m.start,
        dataset: { start: m.start, end: m.end } }),
      el("label", { for: `moment-${i}`, text: formatTime(m.start) })));
  });
  $("moments").replaceChildren(...[...days].map(([day, slots]) =>
    el("fieldset", { class: "day" }, el("legend", { text: dayName(day) }), el("div", { class: "slots" }, ...slots))));
}

// --- step 5: details ------------------------------------------------------------------------------

function renderDetails() {
  const s = service();
  const show = Boolean(s && state.mode && state.moment);
  $("step-details").hidden = !show;
  $("consent-label").textContent = text(state.guide?.consent) || state.guide?.consent?.nl || "";
  $("third-hint").textContent = t("third.hint", { max: MAX_THIRD_PARTIES });
  if (!show) return;
  $("chosen").textContent = t("chosen", {
    service: text(s.name), mode: t(`mode.${state.mode}`), when: formatDateTime(state.moment.start), end: formatTime(state.moment.end), duration: minutes(s),
  });
}

function renderThirdParties() {
  const rows = state.thirdParties.map((p, i) => {
    const n = i + 1;
    const id = (f) => `tp-${i}-${f}`;
    const input = (field, type, autocomplete) => el("div", { class: "field" },
      el("label", { for: id(field), text: t(`third.${field}`) }),
      el("input", { id: id(field), type, autocomplete, value: p[field], maxlength: field === "email" ? 254 : 200,
        oninput: (e) => { p[field] = e.target.value; } }));
    const relation = el("select", { id: id("relation"), onchange: (e) => {
      p.relation = e.target.value;
      $(id("other")).closest(".field").hidden = p.relation !== "other";
    } }, ...RELATIONS.map((r) => el("option", { value: r, text: t(`relation.${r}`) })));
    relation.value = p.relation;
    const other = el("div", { class: "field", hidden: p.relation !== "other" },
      el("label", { for: id("other"), text: t("third.other") }),
      el("input", { id: id("other"), value: p.other, maxlength: 60, oninput: (e) => { p.other = e.target.value; } }));
    return el("fieldset", { class: "person", id: id("group") },
      el("legend", { text: t("third.person", { n }) }),
      input("name", "text", "off"), input("email", "email", "off"),
      el("div", { class: "field" }, el("label", { for: id("relation"), text: t("third.relation") }), relation),
      other,
      el("button", { type: "button", class: "secondary", id: id("remove"), text: t("third.remove", { n }), onclick: () => {
        state.thirdParties.splice(i, 1);
        renderThirdParties();
        showFieldErrors();
        $("add-third-party").focus();
        say(t("third.removed", { n }));
      } }));
  });
  $("third-parties").replaceChildren(...rows);
  $("add-third-party").hidden = state.thirdParties.length >= MAX_THIRD_PARTIES;
}

// --- errors ----------------------------------------------------------------------------------------

// Where an error of the API's `field` is shown: the element that gets aria-invalid and the error
// text, and the one the summary's link focuses.
function targetOf(field) {
  if (field === "general") return { box: null, focus: null };
  const simple = { name: "name", email: "email", phone: "phone", language: "language", consent: "consent" };
  if (simple[field]) return { box: $(simple[field]), focus: $(simple[field]) };
  const group = (groupId, name) => ({ box: $(groupId), focus: document.querySelector(`input[name=${name}]:checked`) ?? document.querySelector(`input[name=${name}]`) ?? $(groupId) });
  if (field === "service") return group("service-group", "service");
  if (field === "mode") return group("mode-group", "mode");
  if (field === "start") return group("moment-group", "moment");
  const third = /^third_parties\[(\d+)\]\.(name|email|relation)$/.exec(field);
  if (third) {
    const [, i, part] = third;
    const id = part === "relation" && state.thirdParties[i]?.relation === "other" ? `tp-${i}-other` : `tp-${i}-${part}`;
    if ($(id)) return { box: $(id), focus: $(id) };
  }
  return { box: $("third-parties-group"), focus: $("add-third-party") };
}

function messageOf(error) {
  if (error.key) return t(error.key, error.vars);
  const { field, reason } = error;
  const third = /^third_parties\[(\d+)\]\.(name|email|relation)$/.exec(field);
  if (third) {
    const n = Number(third[1]) + 1;
    if (third[2] === "email" && /already/.test(reason)) return t("error.third.duplicate", { n });
    return t(`error.third.${third[2]}`, { n });
  }
  if (field === "email" && /already/.test(reason)) return t("error.email.duplicate");
  const known = ["service", "mode", "start", "name", "email", "phone", "language", "consent", "third_parties"];
  return known.includes(field) ? t(`error.${field}`) : t("error.field", { field, reason });
}

function clearFieldErrors() {
  for (const node of document.querySelectorAll("[data-error-for]")) node.remove();
  for (const node of document.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
  for (const node of document.querySelectorAll("[data-described]")) {
    if (node.dataset.described) node.setAttribute("aria-describedby", node.dataset.described);
    else node.removeAttribute("aria-describedby");
    delete node.dataset.described;
  }
}

// Each error next to its field: the text before the input (or under a group's legend),
// aria-invalid on the field, and the text added to its aria-describedby.
function showFieldErrors() {
  clearFieldErrors();
  for (const error of state.errors) {
    const { box } = targetOf(error.field);
    if (!box || box.hidden) continue;
    const errorId = `${box.id}-error`;
    let node = $(errorId);
    const message = messageOf(error);
    if (node) { node.textContent += ` ${message}`; continue; }
    node = el("p", { class: "error-text", id: errorId, dataset: { errorFor: error.field } }, message);
    if (box.tagName === "FIELDSET") {
      box.querySelector("legend").after(node);
    } else {
      (box.type === "checkbox" ? box.closest(".check") : box).before(node);
      box.setAttribute("aria-invalid", "true");
    }
    if (!("described" in box.dataset)) box.dataset.described = box.getAttribute("aria-describedby") ?? "";
    box.setAttribute("aria-describedby", `${box.dataset.described} ${errorId}`.trim());
  }
}

function renderSummary() {
  const summary = $("error-summary");
  summary.hidden = state.errors.length === 0;
  $("error-list").replaceChildren(...state.errors.map((error) => {
    const { focus } = targetOf(error.field);
    if (!focus) return el("li", { text: messageOf(error) });
    return el("li", {}, el("a", { href: `#${focus.id}`, text: messageOf(error), onclick: (e) => {
      e.preventDefault();
      const target = targetOf(error.field).focus;
      target?.focus();
      target?.scrollIntoView({ block: "center" });
    } }));
  }));
}

function showErrors(errors) {
  state.errors = errors;
  showFieldErrors();
  renderSummary();
  if (errors.length) {
    $("error-summary").focus();
    say(t("errors.count", { count: errors.length }));
  }
}

// --- booking ---------------------------------------------------------------------------------------

async function book(event) {
  event.preventDefault();
  if (state.busy) return;
  if (!state.moment) {
    showErrors([{ field: "start", key: "error.moment" }]);
    return;
  }
  const body = {
    service: state.service,
    mode: state.mode,
    start: state.moment.start,
    name: $("name").value,
    email: $("email").value,
    phone: $("phone").value.trim() ? $("phone").value : null,
    language: $("language").value,
    consent: $("consent").checked,
    third_parties: state.thirdParties.map((p) => ({
      name: p.name, email: p.email, relation: p.relation === "other" ? { other: p.other } : p.relation,
    })),
  };
  state.busy = true;
  $("book").setAttribute("aria-disabled", "true");
  say(t("booking"));
  try {
    const booked = await api("/api/v1/afspraken", { method: "POST", body });
    state.booked = { ...booked, email: body.email };
    showErrors([]);
    renderConfirmation();
    $("confirmation").focus();
    say(t("confirm.heading"));
  } catch (error) {
    if (error.status === 422 && Array.isArray(error.problem.errors)) {
      showErrors(error.problem.errors.map((e) => ({ field: e.field, reason: e.reason })));
    } else if (error.status === 409) {
      state.moment = null;
      state.note = { key: "moments.taken", kind: "error" };
      await loadMoments();
      showErrors([{ field: "start", key: "moments.taken" }]);
    } else if (error.status === 429) {
      showErrors([{ field: "general", key: "error.busy" }]);
    } else {
      showErrors([{ field: "general", key: error.status === 0 ? "error.network" : "error.generic" }]);
    }
  } finally {
    state.busy = false;
    $("book").removeAttribute("aria-disabled");
  }
}

function renderConfirmation() {
  const booked = state.booked;
  if (!booked) return;
  const a = booked.appointment;
  const s = state.guide.services.find((x) => x.code === a.service);
  $("booking").hidden = true;
  $("error-summary").hidden = true;
  $("confirmation").hidden = false;
  const rows = [
    ["confirm.what", s ? text(s.name) : a.service],
    ["confirm.when", t("confirm.when-value", { when: formatDateTime(a.period.start), end: formatTime(a.period.end) })],
    ["confirm.how", t(`mode.${a.mode}`)],
  ];
  if (a.mode !== "video" && s?.location) rows.push(["confirm.where", s.location]);
  $("confirmation-details").replaceChildren(...rows.flatMap(([key, value]) => [el("dt", { text: t(key) }), el("dd", { text: value })]));
  $("confirmation-email").textContent = t("confirm.email", { email: booked.email });
  $("manage-link").href = booked.manage_url;
}

// --- wiring ----------------------------------------------------------------------------------------

function resetFrom(step) {
  if (step <= 1) { state.service = null; state.serviceInput = null; }
  if (step <= 2) { state.mode = null; }
  if (step <= 3) { state.moment = null; state.note = null; }
}

$("topics").addEventListener("change", (e) => {
  state.topic = e.target.value;
  resetFrom(1);
  renderAfter(1);
  say(t("service.shown"));
});

$("services").addEventListener("change", (e) => {
  const previous = state.service;
  state.service = e.target.value;
  state.serviceInput = e.target.id;
  if (previous !== state.service) {
    resetFrom(2);
    const modes = service()?.modes ?? [];
    if (modes.length === 1) state.mode = modes[0];
    state.week = today();
    state.moments = [];
    state.momentsLoaded = false;
  }
  renderAfter(2);
  if (previous !== state.service && state.mode) loadMoments();
});

$("modes").addEventListener("change", (e) => {
  const first = !state.mode;
  state.mode = e.target.value;
  renderAfter(3);
  if (first && !state.momentsLoaded) loadMoments();
});

$("moments").addEventListener("change", (e) => {
  if (e.target.name !== "moment") return;
  state.moment = { start: e.target.dataset.start, end: e.target.dataset.end };
  if (state.note) {
    state.note = null;
    $("moments-note").hidden = true;
  }
  renderDetails();
});

for (const [id, days] of [["week-prev", -7], ["week-next", 7]]) {
  $(id).addEventListener("click", () => {
    if ($(id).getAttribute("aria-disabled") === "true") return;
    const next = addDays(state.week, days);
    state.week = next < today() ? today() : next > lastWeekStart() ? lastWeekStart() : next;
    state.note = null;
    loadMoments();
  });
}

$("add-third-party").addEventListener("click", () => {
  if (state.thirdParties.length >= MAX_THIRD_PARTIES) return;
  state.thirdParties.push({ name: "", email: "", relation: "family", other: "" });
  renderThirdParties();
  showFieldErrors();
  $(`tp-${state.thirdParties.length - 1}-name`).focus();
});

$("language").addEventListener("change", () => { state.languageTouched = true; });
$("booking").addEventListener("submit", book);

// Redraws what follows step `step` (never the radio group in use, which would lose focus).
function renderAfter(step) {
  if (step < 1) renderTopics();
  if (step < 2) renderServices();
  if (step < 3) renderModes();
  renderMoments();
  renderDetails();
}

function renderAll() {
  renderAfter(0);
  renderThirdParties();
  showFieldErrors();
  renderSummary();
  renderConfirmation();
}

onLanguageChange((code) => {
  if (!state.languageTouched) $("language").value = code;
  if (state.guide) renderAll();
});
// (The header's picker keeps focus while the page redraws in the new language.)

$("language").value = language();
try {
  state.guide = await api("/api/v1/afspraken/gids");
  state.week = today();
  $("booking").hidden = false;
  renderAll();
} catch (error) {
  $("load-error").hidden = false;
  $("load-error").textContent = t("error.load");
}
