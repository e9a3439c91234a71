// The simulated payment provider's checkout page (/betalen#<payment id>, docs/panel.md): what a
// bank app would show, with three answers to choose from. Only for the embedded simulator: it
// says plainly that no real money moves.
//
//   GET  /api/v1/betaalsimulator/{id}  → {id, amount_cents, currency, description, status, expires_at, municipality}
//   POST /api/v1/betaalsimulator/{id}  {"outcome": "paid" | "failed" | "canceled"} → the payment as GET answers it
//
// Stable hooks for tests (data-testid): pay-test-banner, pay-amount, pay-description,
// pay-municipality, pay-approve, pay-fail, pay-cancel, and pay-result (the live region; its
// data-state is loading | open | paid | failed | canceled | expired | unknown | error).

import { api, el, start } from "./common/page.js";
import { formatDateTime, formatMoney, formatTime, onLanguageChange, t } from "./common/i18n.js";

await start("betalen");

const $ = (id) => document.getElementById(id);
const STATUSES = ["open", "paid", "failed", "canceled", "expired"];

/** The payment id: from the fragment (/betalen#tr_123), or a path /betalen/tr_123. */
function paymentId() {
  try {
    const fromHash = decodeURIComponent(location.hash.slice(1)).trim();
    if (fromHash) return fromHash;
    const m = /^\/betalen\/([^/]+)\/?$/.exec(location.pathname);
    return m ? decodeURIComponent(m[1]).trim() : "";
  } catch {
    return "";
  }
}

const id = paymentId();
const state = { payment: null, result: "loading", detail: null, busy: false };
let expiryTimer = 0;

function render() {
  const p = state.payment;
  $("payment").hidden = !p;
  if (p) {
    $("municipality").textContent = p.municipality || t("payment.to.unknown");
    $("description").textContent = p.description || "—";
    $("amount").textContent = formatMoney(p.amount_cents);
    const expires = p.expires_at && p.status === "open";
    $("expires-label").hidden = !expires;
    $("expires").hidden = !expires;
    $("expires").textContent = expires ? formatDateTime(p.expires_at) : "";
  }
  // Still open after a failed answer: the choices stay, with the error above them.
  const open = p?.status === "open";
  $("choices").hidden = !open;
  for (const b of document.querySelectorAll("#choices button")) b.disabled = state.busy;

  const result = $("result");
  result.dataset.state = state.result;
  const key = `result.${state.result}`;
  const lines = state.result === "open" ? [] : [
    el("strong", { text: t(`${key}.title`) }),
    el("p", { text: state.result === "error" && state.detail ? t("result.error.text", { detail: state.detail }) : t(`${key}.text`, { time: p?.expires_at ? formatTime(p.expires_at) : "" }) }),
  ];
  // Rewritten only when it says something new, so the live region speaks once.
  const text = lines.map((l) => l.textContent).join(" ");
  if (result.dataset.said !== text) {
    result.dataset.said = text;
    result.replaceChildren(...lines);
  }
}

function show(payment) {
  state.payment = payment;
  state.result = STATUSES.includes(payment?.status) ? payment.status : "error";
  clearTimeout(expiryTimer);
  // A payment left open past its time has lapsed: ask the provider again then.
  if (payment?.status === "open" && payment.expires_at) {
    const left = new Date(payment.expires_at).getTime() - Date.now();
    if (left > 0 && left < 2 ** 31 - 1) expiryTimer = setTimeout(load, left + 1000);
  }
}

async function load() {
  if (!id) {
    state.result = "unknown";
    render();
    return;
  }
  try {
    show(await api(`/api/v1/betaalsimulator/${encodeURIComponent(id)}`));
  } catch (e) {
    state.payment = null;
    state.result = e.status === 404 ? "unknown" : "error";
    state.detail = e.status === 404 ? null : e.message;
  }
  render();
}

async function answer(outcome) {
  if (state.busy) return;
  state.busy = true;
  render();
  try {
    const after = await api(`/api/v1/betaalsimulator/${encodeURIComponent(id)}`, { method: "POST", body: { outcome } });
    show(after && STATUSES.includes(after.status) ? after : { ...state.payment, status: outcome });
  } catch (e) {
    if (e.status === 404) {
      state.payment = null;
      state.result = "unknown";
    } else if (e.status === 409 || e.status === 410 || e.status === 422) {
      // No longer open (paid, lapsed, answered in another tab): show how it stands now.
      state.busy = false;
      await load();
      if (state.result === "open") {
        state.result = "error";
        state.detail = e.message;
      }
    } else {
      state.result = "error";
      state.detail = e.message;
    }
  }
  state.busy = false;
  render();
  $("result").focus();
}

$("approve").addEventListener("click", () => answer("paid"));
$("fail").addEventListener("click", () => answer("failed"));
$("cancel").addEventListener("click", () => answer("canceled"));
window.addEventListener("hashchange", () => location.reload());
onLanguageChange(() => {
  $("result").dataset.said = "";
  render();
});

render();
await load();
