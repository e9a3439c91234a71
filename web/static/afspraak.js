// The citizen's page for their appointment, reached by the personal link in their e-mail
// (/afspraak#TOKEN). The token stays in the URL fragment, which browsers never send to a server;
// this page sends it in the body of its API calls only.

import { start } from "./common/page.js";
import { formatDateTime, formatTime, language, onLanguageChange, t } from "./common/i18n.js";

const $ = (id) => document.getElementById(id);
let said = null;
const say = (key, vars = {}) => { said = [key, vars]; $("status").textContent = t(key, vars); };
let token = location.hash.slice(1);
let current = null;

const when = (period) => t("period", { start: formatDateTime(period.start), end: formatTime(period.end) });

async function call(path, body) {
  const r = await fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const data = await r.json().catch(() => ({}));
  return { status: r.status, data };
}

function explain({ status, data }) {
  if (status === 404) return say("error.404");
  if (status === 410) return say("error.410");
  if (status === 409) return say("error.409", { detail: data.detail ?? "" });
  if (status === 422) return say("error.422", { detail: (data.errors ?? []).map((e) => e.reason).join("; ") });
  return say("error.other");
}

// Service names by code, from the public guide (the appointment carries only the code).
let services = {};
async function loadNames() {
  const r = await fetch("/api/v1/afspraken/gids");
  if (r.ok) services = Object.fromEntries((await r.json()).services.map((s) => [s.code, s.name]));
}

function show(a) {
  current = a;
  const name = services[a.service];
  $("service").textContent = name ? (name[language()] ?? name.nl) : a.service;
  $("when").textContent = when(a.period);
  $("mode").textContent = t(`mode.${a.mode}`);
  $("agent").textContent = a.agent_name;
  $("others").textContent = a.third_parties.length ? a.third_parties.map((p) => p.name).join(", ") : t("nobody");
  $("details").hidden = false;
  const cancelled = a.status === "cancelled";
  $("change").hidden = cancelled;
}

let moments = [];
async function loadMoments(a) {
  const r = await fetch(`/api/v1/afspraken/diensten/${encodeURIComponent(a.service)}/momenten?dagen=14`);
  moments = r.ok ? await r.json() : [];
  renderMoments();
}

function renderMoments() {
  $("moment").replaceChildren(...moments.map((m) => {
    const o = document.createElement("option");
    o.value = m.start;
    o.textContent = when(m);
    return o;
  }));
  $("move").disabled = moments.length === 0;
}

async function main() {
  await start("afspraak");
  onLanguageChange(() => {
    if (current) show(current);
    renderMoments();
    if (said) say(...said);
  });
  if (!token) return say("error.no_token");
  say("loading.appointment");
  const [r] = await Promise.all([call("/api/v1/afspraak-link", { token }), loadNames()]);
  if (r.status !== 200) return explain(r);
  show(r.data);
  say(r.data.status === "cancelled" ? "status.cancelled" : "status.booked");
  if (r.data.status === "booked") await loadMoments(r.data);

  $("cancel").addEventListener("click", async () => {
    if (!confirm(t("cancel.confirm"))) return;
    const c = await call("/api/v1/afspraak-link/annuleren", { token });
    if (c.status !== 200) return explain(c);
    show(c.data);
    say("status.cancelled_now");
  });
  $("move").addEventListener("click", async () => {
    const m = await call("/api/v1/afspraak-link/verplaatsen", { token, start: $("moment").value });
    if (m.status !== 200) return explain(m);
    // The move replaced every personal link: keep the new one in the address bar.
    token = new URL(m.data.manage_url).hash.slice(1);
    history.replaceState(null, "", `#${token}`);
    show(m.data.appointment);
    await loadMoments(m.data.appointment);
    say("status.moved");
  });
}

main();
