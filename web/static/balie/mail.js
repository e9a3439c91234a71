// E-mails the outbox could not deliver (GET /api/v1/berichten): a person has to phone the
// citizen, or correct the address and resend the link from the appointment.

import { api, el } from "../common/page.js";
import { formatDateTime, t } from "../common/i18n.js";
import { announce, field, options, problemText } from "./shared.js";
import { go, register } from "./nav.js";

const state = { status: "failed", items: [], error: null };
const root = () => document.getElementById("view-mail");

async function load() {
  try {
    state.items = await api(`/api/v1/berichten?status=${state.status}`);
    state.error = null;
  } catch (error) {
    state.items = [];
    state.error = problemText(error);
  }
}

function kindText(kind) {
  const key = `mail.kind.${kind}`;
  const text = t(key);
  return text === key ? kind : text;
}

function draw() {
  const filter = options(el("select"), ["failed", "pending", "sent"].map((s) => [s, t(`mail.status.${s}`)]), state.status);
  filter.addEventListener("change", async () => {
    state.status = filter.value;
    await load();
    draw();
    document.getElementById("mail-status").focus();
    announce(state.error ?? t("mail.count", { count: state.items.length }));
  });
  const head = el("tr", {}, ...["mail.recipient", "mail.subject", "mail.kind", "mail.attempts", "mail.error", "mail.created", "mail.appointment"]
    .map((k) => el("th", { scope: "col", text: t(k) })));
  const rows = state.items.map((m) => el("tr", {},
    el("td", { text: m.recipient }),
    el("td", { text: m.subject }),
    el("td", { text: kindText(m.kind) }),
    el("td", { text: String(m.attempts) }),
    el("td", { text: m.last_error ?? "" }),
    el("td", { text: formatDateTime(m.created_at) }),
    el("td", {}, m.appointment_id
      ? el("button", { type: "button", class: "link", onclick: () => go("details", m.appointment_id),
        "aria-label": t("mail.open.label", { email: m.recipient }) }, t("mail.open"))
      : "")));
  const body = state.error
    ? el("p", { class: "notice error", role: "alert", text: state.error })
    : state.items.length
      ? el("div", { class: "table-wrap" }, el("table", {}, el("caption", { class: "visually-hidden", text: t(`mail.status.${state.status}`) }), el("thead", {}, head), el("tbody", {}, ...rows)))
      : el("p", { class: "notice ok", text: t(`mail.none.${state.status}`) });
  root().replaceChildren(
    el("h2", { id: "mail-heading", tabindex: "-1", text: t("mail.heading") }),
    el("p", { text: t("mail.intro") }),
    field("mail-status", "mail.show", filter),
    body);
}

register("mail", {
  async render() { await load(); draw(); announce(state.error ?? t("mail.count", { count: state.items.length })); },
  rerender: draw,
});
