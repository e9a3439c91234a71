// The welcome step: what the personal link says about the appointment (POST /api/v1/gesprek-link,
// the token in the body), and a countdown when the link does not open yet.

import { formatDateTime, formatTime, t } from "../common/i18n.js";
import { api, el } from "../common/page.js";

const $ = (id) => document.getElementById(id);
let info = null;
let timer = 0;
let lastAnnounced = null;
let whenOpen = null;

/** Loads the link's details; throws ApiError (404 unknown, 410 no longer valid). */
export async function load(token) {
  info = await api("/api/v1/gesprek-link", { method: "POST", body: { token } });
  return info;
}

export function details() {
  return info;
}

/**
 * Fills the welcome text (again after a language switch) and starts the countdown if needed;
 * `onOpen` (kept across re-renders) runs when the link opens.
 */
export function render(onOpen) {
  if (!info) return;
  if (onOpen) whenOpen = onOpen;
  const role = t(`role.${info.you.role}`);
  const lines = [
    el("p", { class: "lead", text: t("welcome.hello", { name: info.you.name }) }),
    el("dl", { class: "facts" },
      el("dt", { text: t("welcome.subject") }), el("dd", { text: info.title }),
      el("dt", { text: t("welcome.when") }), el("dd", { text: t("welcome.when.value", { start: formatDateTime(info.period.start), end: formatTime(info.period.end) }) }),
      info.host ? el("dt", { text: t("welcome.host") }) : null, info.host ? el("dd", { text: info.host }) : null,
      el("dt", { text: t("welcome.as") }), el("dd", { text: role })),
  ];
  $("welcome-details").replaceChildren(...lines);
  clearInterval(timer);
  tick();
  if (info.status === "not_yet_open") timer = setInterval(tick, 1000);
}

function tick() {
  const opensAt = new Date(info.valid.start).getTime();
  const left = Math.max(0, opensAt - Date.now());
  const waiting = info.status === "not_yet_open" && left > 0;
  $("countdown").hidden = !waiting;
  $("to-check").disabled = waiting;
  if (!waiting) {
    clearInterval(timer);
    if (info.status === "not_yet_open") {
      info.status = "open";
      $("countdown-live").textContent = t("welcome.open_now");
      whenOpen?.();
    }
    return;
  }
  const minutes = Math.floor(left / 60000);
  const seconds = Math.floor((left % 60000) / 1000);
  $("countdown").textContent = t("welcome.countdown", {
    time: formatTime(info.valid.start),
    left: minutes >= 60 ? t("welcome.left.hours", { h: Math.floor(minutes / 60), m: minutes % 60 })
      : t("welcome.left.minutes", { m: minutes, s: String(seconds).padStart(2, "0") }),
  });
  // Screen readers hear the countdown once a minute, not every second.
  if (lastAnnounced !== minutes) {
    lastAnnounced = minutes;
    $("countdown-live").textContent = $("countdown").textContent;
  }
}
