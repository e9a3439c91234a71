// The page the payment provider sends the payer back to (/betaling#<payment id>, docs/panel.md):
// how the payment stands. The payer often returns before the bank's answer reached balie, so an
// open payment is asked about again every few seconds for two minutes; after that a button
// asks once more. Nothing here changes a payment.
//
//   GET /api/v1/betalingen/{id} → {id, amount_cents, currency, description, status, expires_at, municipality}
//
// Stable hooks for tests (data-testid): return-municipality, return-description, return-amount,
// return-again, and return-result (the live region; its data-state is loading | waiting | paid |
// failed | canceled | expired | invoiced | slow | unknown | error).

import { api, el, start } from "./common/page.js";
import { formatMoney, onLanguageChange, t } from "./common/i18n.js";

await start("betaling");

const $ = (id) => document.getElementById(id);
const WAITING = ["open", "pending", "authorized"];
const FINAL = ["paid", "failed", "canceled", "expired", "invoiced"];
const POLL_MS = 3000;
const POLL_FOR_MS = 120_000;

const id = (() => {
  try {
    return decodeURIComponent(location.hash.slice(1)).trim();
  } catch {
    return "";
  }
})();
const state = { payment: null, result: "loading", since: Date.now() };
let timer = 0;

function render() {
  const p = state.payment;
  $("payment").hidden = !p;
  if (p) {
    $("municipality").textContent = p.municipality || "—";
    $("description").textContent = p.description || "—";
    $("amount").textContent = formatMoney(p.amount_cents);
  }
  $("again").hidden = !["slow", "error"].includes(state.result);
  const result = $("result");
  result.dataset.state = state.result;
  const lines = [el("strong", { text: t(`result.${state.result}.title`) }), el("p", { text: t(`result.${state.result}.text`) })];
  // Rewritten only when it says something new, so the live region speaks once.
  const text = lines.map((l) => l.textContent).join(" ");
  if (result.dataset.said !== text) {
    result.dataset.said = text;
    result.replaceChildren(...lines);
  }
}

async function load() {
  clearTimeout(timer);
  if (!/^pay_[0-9a-f]{32}$/.test(id)) {
    state.result = "unknown";
    return render();
  }
  try {
    const p = await api(`/api/v1/betalingen/${encodeURIComponent(id)}`);
    state.payment = p;
    if (FINAL.includes(p.status)) state.result = p.status;
    else if (WAITING.includes(p.status)) state.result = Date.now() - state.since < POLL_FOR_MS ? "waiting" : "slow";
    else state.result = "error";
  } catch (e) {
    state.result = e.status === 404 ? "unknown" : "error";
  }
  render();
  if (state.result === "waiting") timer = setTimeout(load, POLL_MS);
}

$("again").addEventListener("click", () => {
  state.since = Date.now();
  state.result = "loading";
  // The button hides while loading: keep keyboard and screen-reader users on the answer.
  $("result").focus();
  render();
  load();
});
window.addEventListener("hashchange", () => location.reload());
onLanguageChange(() => {
  $("result").dataset.said = "";
  render();
});

render();
await load();
