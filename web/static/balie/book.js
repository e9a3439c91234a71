// Booking on a citizen's behalf (POST /api/v1/afspraken/namens): service, mode, a free moment,
// the citizen's details (consent read out to them) and up to four third parties. A refusal names
// its fields: each gets its message next to it, and a summary at the top takes focus.

import { api, ApiError, el } from "../common/page.js";
import { language, t } from "../common/i18n.js";
import { addDays, announce, brusselsDate, clearFieldErrors, field, modeText, options, problemText, serviceName, session, showFieldErrors, showSummary, whenText } from "./shared.js";
import { go, register } from "./nav.js";

const RELATIONS = ["family", "caregiver", "interpreter", "professional", "other"];
const MAX_PARTIES = 4;
const state = { prefill: {}, moments: [], parties: 0 };
const root = () => document.getElementById("view-book");
const $ = (id) => document.getElementById(id);

function service() {
  return session.services.find((s) => s.code === $("book-service")?.value) ?? session.services[0];
}

async function loadMoments() {
  const s = service();
  const from = $("book-from").value || brusselsDate();
  const select = $("book-start");
  try {
    state.moments = await api(`/api/v1/afspraken/diensten/${encodeURIComponent(s.code)}/momenten?van=${from}&dagen=14`);
  } catch (error) {
    state.moments = [];
    announce(problemText(error));
  }
  options(select, state.moments.length ? state.moments.map((m) => [m.start, whenText(m)]) : [["", t("book.moments.none")]]);
  announce(t("book.moments.loaded", { count: state.moments.length }));
}

function fillModes() {
  const s = service();
  options($("book-mode"), s.modes.map((m) => [m, modeText(m)]));
}

function partyFields(i) {
  const relation = options(el("select"), RELATIONS.map((r) => [r, t(`relation.${r}`)]));
  const other = field(`party-${i}-other`, "details.party.other", el("input", { type: "text", maxlength: "60" }));
  other.hidden = true;
  relation.addEventListener("change", () => { other.hidden = relation.value !== "other"; });
  return el("fieldset", { class: "party", id: `party-${i}` },
    el("legend", { text: t("book.party", { n: i + 1 }) }),
    field(`party-${i}-name`, "details.party.name", el("input", { type: "text", autocomplete: "off", maxlength: "200" })),
    field(`party-${i}-email`, "details.party.email", el("input", { type: "email", autocomplete: "off" })),
    field(`party-${i}-relation`, "details.party.relation", relation),
    other,
    el("button", { type: "button", class: "secondary", onclick: (e) => { e.currentTarget.closest("fieldset").remove(); renumber(); $("add-party").focus(); announce(t("book.party.removed")); } },
      t("book.party.remove", { n: i + 1 })));
}

/** After a removal the remaining third parties are numbered again, so the ids match the API's indexes. */
function renumber() {
  const values = [...root().querySelectorAll("fieldset.party")].map((f) => [...f.querySelectorAll("input, select")].map((x) => x.value));
  const box = $("book-parties");
  box.replaceChildren();
  values.forEach((v, i) => {
    const f = partyFields(i);
    box.append(f);
    [...f.querySelectorAll("input, select")].forEach((x, j) => { x.value = v[j]; });
    f.querySelector(`#party-${i}-other`).closest(".field").hidden = v[2] !== "other";
  });
  state.parties = values.length;
  $("add-party").hidden = state.parties >= MAX_PARTIES;
}

function fieldId(name) {
  const m = name.match(/^third_parties\[(\d+)\]\.(name|email|relation)/);
  if (m) return `party-${m[1]}-${m[2] === "relation" && $(`party-${m[1]}-relation`)?.value === "other" ? "other" : m[2]}`;
  return { service: "book-service", mode: "book-mode", start: "book-start", name: "book-name", email: "book-email",
    phone: "book-phone", language: "book-language", consent: "book-consent", third_parties: "add-party" }[name] ?? null;
}

function draw() {
  const p = state.prefill;
  const services = options(el("select"), session.services.map((s) => [s.code, serviceName(s.code)]), p.service);
  services.addEventListener("change", () => { fillModes(); loadMoments(); });
  const consent = el("input", { type: "checkbox" });
  const consentText = session.consent?.[language()] ?? session.consent?.nl ?? "";
  const summary = el("div", { class: "notice error", id: "book-summary", tabindex: "-1", hidden: true });
  const form = el("form", { id: "book-form", novalidate: true },
    summary,
    el("fieldset", {}, el("legend", { text: t("book.what") }),
      field("book-service", "book.service", services),
      field("book-mode", "book.mode", el("select")),
      field("book-from", "book.from", el("input", { type: "date", value: brusselsDate(), min: brusselsDate(), max: addDays(brusselsDate(), 365) }), "book.from.hint"),
      field("book-start", "book.start", el("select"))),
    el("fieldset", {}, el("legend", { text: t("book.who") }),
      field("book-name", "book.name", el("input", { type: "text", autocomplete: "off", maxlength: "200", value: p.name ?? "" })),
      field("book-email", "book.email", el("input", { type: "email", autocomplete: "off", value: p.email ?? "" })),
      field("book-phone", "book.phone", el("input", { type: "tel", autocomplete: "off", value: p.phone ?? "" }), "book.phone.hint"),
      field("book-language", "book.language", options(el("select"), ["nl", "en", "fr"].map((l) => [l, t(`lang.${l}`)]), p.language ?? "nl"), "book.language.hint"),
      el("div", { class: "field" },
        el("p", { class: "consent-text", id: "book-consent-text", text: consentText }),
        el("div", { class: "check" }, consent, el("label", { for: "book-consent", text: t("book.consent") })))),
    el("fieldset", {}, el("legend", { text: t("book.parties") }),
      el("p", { class: "hint", text: t("book.parties.hint") }),
      el("div", { id: "book-parties" }),
      el("button", { type: "button", class: "secondary", id: "add-party", onclick: () => {
        const f = partyFields(state.parties++);
        $("book-parties").append(f);
        $("add-party").hidden = state.parties >= MAX_PARTIES;
        f.querySelector("input").focus();
        announce(t("book.party.added"));
      } }, t("book.party.add"))),
    el("button", { type: "submit", id: "book-submit" }, t("book.submit")));
  consent.id = "book-consent";
  consent.setAttribute("aria-describedby", "book-consent-text");
  consent.dataset.hint = "book-consent-text";
  form.addEventListener("change", (e) => { if (e.target.id === "book-from") loadMoments(); });
  form.addEventListener("submit", submit);
  state.parties = 0;
  root().replaceChildren(
    el("h2", { id: "book-heading", tabindex: "-1", text: t(p.name ? "book.heading.followup" : "book.heading") }),
    el("p", { text: t("book.intro") }),
    el("div", { id: "book-result", role: "status", tabindex: "-1", hidden: true }),
    form);
  fillModes();
}

function body() {
  const v = (id) => $(id).value.trim();
  const parties = [...root().querySelectorAll("fieldset.party")].map((_, i) => ({
    name: v(`party-${i}-name`),
    email: v(`party-${i}-email`),
    relation: v(`party-${i}-relation`) === "other" ? { other: v(`party-${i}-other`) } : v(`party-${i}-relation`),
  }));
  return {
    service: v("book-service"), mode: v("book-mode"), start: v("book-start"), name: v("book-name"), email: v("book-email"),
    phone: v("book-phone") || undefined, language: v("book-language"), consent: $("book-consent").checked, third_parties: parties,
  };
}

async function submit(e) {
  e.preventDefault();
  const form = $("book-form");
  const summary = $("book-summary");
  clearFieldErrors(form, summary);
  const request = body();
  if (!request.start) {
    showSummary(summary, t("errors.heading"), [el("li", {}, el("a", { href: "#book-start" }, t("field.start")))]);
    return;
  }
  const button = $("book-submit");
  button.disabled = true;
  try {
    const a = await api("/api/v1/afspraken/namens", { method: "POST", body: request });
    announce(t("book.done", { name: a.citizen.name, when: whenText(a.period) }));
    await go("details", a.id);
    const box = $("details-result");
    if (box) { box.className = "notice ok"; box.textContent = t("book.done", { name: a.citizen.name, when: whenText(a.period) }); box.hidden = false; }
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) {
      showSummary(summary, t("book.taken"));
      await loadMoments();
    } else if (!showFieldErrors(form, summary, error, fieldId)) {
      showSummary(summary, problemText(error));
    }
  } finally {
    button.disabled = false;
  }
}

register("book", {
  async render(prefill) {
    state.prefill = prefill && typeof prefill === "object" ? prefill : {};
    draw();
    await loadMoments();
  },
  rerender() { draw(); loadMoments(); },
});
