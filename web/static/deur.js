// The door kiosk (/deur): a tablet beside a room's door. Set up once with the door's API key
// (kept in this browser); then anyone with a reservation opens the door with the PIN from their
// confirmation e-mail, on the keypad or typed, or with its QR code (a hand-held scanner types it
// into the QR field and presses Enter; where the browser has BarcodeDetector, also the camera).
// Contract: docs/panel.md, "Door codes".
//
//   GET  /api/v1/deur           Authorization: Bearer <key> → {door, resource, locked_until}
//   POST /api/v1/deur/toegang   Authorization: Bearer <key>, {pin | qr, direction: "in" | "out"}
//        → {decision: "open", door, valid_until} | {decision: "refused", reason, valid_from?}
//          | {decision: "locked", locked_until}
//
// Stable hooks for tests (data-testid): deur-setup-key, deur-setup-save, deur-setup-error;
// deur-room, deur-door, deur-pin (the key field), deur-key-0 … deur-key-9, deur-key-clear,
// deur-key-ok, deur-direction-in, deur-direction-out, deur-qr, deur-qr-submit, deur-camera,
// deur-result (data-decision = open | refused | locked | invalid | error, data-reason), deur-forget.

import { api, el, start } from "./common/page.js";
import { TIME_ZONE, formatDateTime, formatTime, onLanguageChange, t } from "./common/i18n.js";

await start("deur");

const $ = (id) => document.getElementById(id);
const KEY = "balie.deur.sleutel";
const RESET_AFTER_MS = 8000;
const REFRESH_MS = 10 * 60 * 1000;
const PIN = /^\d{6}$/;

const state = { key: null, door: null, result: null, resetTimer: 0, lockTimer: 0, busy: false, setupError: null, camera: null };
window.balieDeur = state; // for tests and debugging

function storedKey() {
  try { return localStorage.getItem(KEY); } catch { return null; }
}
function storeKey(key) {
  try {
    if (key) localStorage.setItem(KEY, key);
    else localStorage.removeItem(KEY);
  } catch { /* storage blocked: the key lives in this page only */ }
}

const auth = () => ({ Authorization: `Bearer ${state.key}` });
const ymd = new Intl.DateTimeFormat("en-CA", { timeZone: TIME_ZONE, year: "numeric", month: "2-digit", day: "2-digit" });
/** "14:30" today, else the date and time. */
const when = (instant) => (ymd.format(new Date(instant)) === ymd.format(new Date()) ? formatTime(instant) : formatDateTime(instant));
const refusedKey = (e) => e.status === 401 || e.status === 403;

// --- set-up ------------------------------------------------------------------------------------

function showSetup(errorKey = null) {
  stopCamera();
  state.setupError = errorKey;
  $("kiosk").hidden = true;
  $("setup").hidden = false;
  $("setup-error").textContent = errorKey ? t(errorKey) : "";
  if (errorKey) $("setup-key").setAttribute("aria-invalid", "true");
  else $("setup-key").removeAttribute("aria-invalid");
  $("setup-key").setAttribute("aria-describedby", "setup-error");
  $("status").textContent = "";
}

$("setup-show").addEventListener("change", (e) => { $("setup-key").type = e.target.checked ? "text" : "password"; });

$("setup-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const key = $("setup-key").value.trim();
  if (!key) {
    showSetup("setup.error.empty");
    $("setup-key").focus();
    return;
  }
  $("setup-save").disabled = true;
  $("status").textContent = t("loading");
  try {
    const door = await api("/api/v1/deur", { headers: { Authorization: `Bearer ${key}` } });
    state.key = key;
    storeKey(key);
    $("setup-key").value = "";
    showKiosk(door);
  } catch (error) {
    showSetup(refusedKey(error) ? "setup.error.refused" : error.status === 0 ? "error.network" : "setup.error.other");
    $("setup-key").focus();
  } finally {
    $("setup-save").disabled = false;
  }
});

$("forget").addEventListener("click", () => {
  if (!confirm(t("admin.forget.confirm"))) return;
  storeKey(null);
  state.key = null;
  state.door = null;
  showSetup();
  $("setup-key").focus();
});

// --- the kiosk ---------------------------------------------------------------------------------

function showKiosk(door) {
  const first = $("kiosk").hidden;
  state.door = door;
  $("setup").hidden = true;
  $("kiosk").hidden = false;
  $("status").textContent = "";
  renderDoor();
  const lockedUntil = door.locked_until && new Date(door.locked_until) > new Date() ? door.locked_until : null;
  // A refresh while someone types must not wipe what they typed.
  if (lockedUntil && state.result?.decision !== "locked") showResult({ decision: "locked", locked_until: lockedUntil });
  else if (first && !state.result) resetKiosk();
}

function renderDoor() {
  if (!state.door) return;
  $("room").textContent = state.door.resource || t("kiosk.title");
  $("door").textContent = state.door.door ? t("kiosk.door", { door: state.door.door }) : "";
  document.title = `${state.door.resource || t("kiosk.title")} — ${t("municipality")}`;
}

/** Loads the door with the stored key; a refused key goes back to set-up. */
async function loadDoor() {
  try {
    showKiosk(await api("/api/v1/deur", { headers: auth() }));
  } catch (error) {
    if (refusedKey(error)) {
      storeKey(null);
      state.key = null;
      showSetup("setup.error.stale");
    } else if (!state.door) {
      // No server yet (power cut, network): keep trying; the kiosk shows once it answers.
      $("status").textContent = t("kiosk.offline");
      setTimeout(loadDoor, 10_000);
    }
  }
}

const direction = () => (document.querySelector("input[name=direction]:checked")?.value === "out" ? "out" : "in");

function setLocked(locked) {
  for (const node of document.querySelectorAll("#kiosk form button, #kiosk form input, #camera")) node.disabled = locked;
}

function resetKiosk() {
  clearTimeout(state.resetTimer);
  state.result = null;
  $("pin").value = "";
  $("qr").value = "";
  $("direction-in").checked = true;
  renderResult();
  setLocked(false);
  // Put the cursor in the PIN field where there is a keyboard; on a touch screen the on-screen
  // keypad is used and the phone keyboard would only cover it.
  if (matchMedia("(pointer: fine)").matches && !$("kiosk").hidden) $("pin").focus();
}

/** A new attempt begins: the last answer goes, the choices stay. */
function clearResult() {
  if (!state.result || state.result.decision === "locked") return;
  clearTimeout(state.resetTimer);
  state.result = null;
  renderResult();
}

function showResult(result) {
  clearTimeout(state.resetTimer);
  clearTimeout(state.lockTimer);
  state.result = result;
  renderResult();
  stopCamera();
  $("pin").value = "";
  $("qr").value = "";
  if (result.decision === "locked") {
    // Locked: nothing to type until the door takes codes again.
    setLocked(true);
    const left = new Date(result.locked_until).getTime() - Date.now();
    state.lockTimer = setTimeout(resetKiosk, Math.max(1000, Math.min(left + 500, 2 ** 31 - 1)));
  } else {
    state.resetTimer = setTimeout(resetKiosk, RESET_AFTER_MS);
  }
}

function resultText(r) {
  switch (r.decision) {
    case "open":
      return [t(r.direction === "out" ? "result.open.out" : "result.open.in"),
        r.valid_until ? t("result.open.valid_until", { time: when(r.valid_until) }) : ""];
    case "refused": {
      const reason = ["unknown_code", "too_early", "too_late", "revoked"].includes(r.reason) ? r.reason : "other";
      if (reason === "too_early" && r.valid_from) return [t("result.refused.title"), t("result.refused.too_early_at", { time: when(r.valid_from) })];
      return [t("result.refused.title"), t(`result.refused.${reason}`)];
    }
    case "locked":
      return [t("result.locked.title"), r.locked_until ? t("result.locked.until", { time: when(r.locked_until) }) : t("result.locked.later")];
    case "invalid":
      return [t("result.invalid.title"), t("result.invalid.text")];
    default:
      return [t("result.error.title"), t(r.messageKey ?? "error.generic")];
  }
}

function renderResult() {
  const box = $("result");
  const r = state.result;
  box.dataset.decision = r?.decision ?? "";
  box.dataset.reason = r?.reason ?? "";
  if (!r) {
    box.replaceChildren();
    return;
  }
  const [title, text] = resultText(r);
  box.replaceChildren(el("strong", { text: title }), text ? el("span", { text }) : null);
}

async function submit(body) {
  if (state.busy || !state.key) return;
  state.busy = true;
  const dir = direction();
  $("status").textContent = t("kiosk.checking");
  try {
    const answer = await api("/api/v1/deur/toegang", { method: "POST", body: { ...body, direction: dir }, headers: auth() });
    showResult({ ...answer, direction: dir });
  } catch (error) {
    if (refusedKey(error)) {
      storeKey(null);
      state.key = null;
      showSetup("setup.error.stale");
      return;
    }
    showResult({ decision: "error", messageKey: error.status === 0 ? "error.network" : error.status === 429 ? "result.error.busy" : "error.generic" });
  } finally {
    state.busy = false;
    $("status").textContent = "";
  }
}

/** The PIN field's text: 6 digits is a PIN; a long code is a QR scanned into the wrong field. */
function submitPin() {
  const text = $("pin").value.trim();
  if (PIN.test(text)) return submit({ pin: text });
  if (text.length > 8) return submit({ qr: text });
  showResult({ decision: "invalid" });
  $("pin").focus();
}

$("pin-form").addEventListener("submit", (e) => {
  e.preventDefault();
  submitPin();
});
$("qr-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = $("qr").value.trim();
  if (text) submit({ qr: text });
});
$("keypad").addEventListener("click", (e) => {
  const button = e.target.closest("button[data-key]");
  if (!button) return;
  clearResult();
  if ($("pin").value.length < 6) $("pin").value += button.dataset.key;
});
$("key-clear").addEventListener("click", () => {
  $("pin").value = "";
  clearResult();
});
// Only digits in the PIN field (a scanner's long code goes through as a QR on Enter).
$("pin").addEventListener("input", () => {
  const v = $("pin").value;
  if (v.length <= 6 && /\D/.test(v)) $("pin").value = v.replace(/\D/g, "");
  clearResult();
});
$("qr").addEventListener("input", clearResult);
for (const radio of document.querySelectorAll("input[name=direction]")) radio.addEventListener("change", clearResult);
// Typing with focus on a key or nowhere in particular goes into the PIN field (a hand-held
// scanner "types" too): no need to click the field first.
document.addEventListener("keydown", (e) => {
  if ($("kiosk").hidden || e.ctrlKey || e.metaKey || e.altKey) return;
  const target = e.target;
  if (target instanceof HTMLInputElement && target.type !== "radio" && target.type !== "checkbox") return;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement || target.closest?.("details")) return;
  if (e.key.length === 1 && /\S/.test(e.key)) {
    e.preventDefault();
    if ($("pin").disabled) return;
    clearResult();
    $("pin").focus();
    $("pin").value += e.key;
  } else if (e.key === "Backspace") {
    e.preventDefault();
    $("pin").value = $("pin").value.slice(0, -1);
  }
});

// --- the camera (optional) -----------------------------------------------------------------------

async function startCamera() {
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
  } catch {
    $("camera-note").textContent = t("camera.refused");
    return;
  }
  const video = $("camera-view");
  video.srcObject = stream;
  video.hidden = false;
  await video.play().catch(() => {});
  const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
  const camera = { stream, timer: 0, stopAt: Date.now() + 60_000 };
  state.camera = camera;
  $("camera").setAttribute("aria-pressed", "true");
  $("camera").dataset.i18n = "camera.stop";
  $("camera").textContent = t("camera.stop");
  $("camera-note").textContent = t("camera.hint");
  const look = async () => {
    if (state.camera !== camera) return;
    if (Date.now() > camera.stopAt) return stopCamera();
    try {
      const codes = await detector.detect(video);
      const code = codes.find((c) => c.rawValue)?.rawValue;
      if (code) {
        stopCamera();
        return submit({ qr: code });
      }
    } catch { /* a frame that could not be read */ }
    camera.timer = setTimeout(look, 250);
  };
  look();
}

function stopCamera() {
  const camera = state.camera;
  if (!camera) return;
  state.camera = null;
  clearTimeout(camera.timer);
  camera.stream.getTracks().forEach((track) => track.stop());
  $("camera-view").srcObject = null;
  $("camera-view").hidden = true;
  $("camera").setAttribute("aria-pressed", "false");
  $("camera").dataset.i18n = "camera.start";
  $("camera").textContent = t("camera.start");
  $("camera-note").textContent = "";
}

if ("BarcodeDetector" in window && navigator.mediaDevices?.getUserMedia) {
  $("camera-part").hidden = false;
  $("camera").addEventListener("click", () => (state.camera ? stopCamera() : startCamera()));
}

// --- start ---------------------------------------------------------------------------------------

onLanguageChange(() => {
  renderDoor();
  renderResult();
  if (state.setupError) $("setup-error").textContent = t(state.setupError);
});

state.key = storedKey();
if (state.key) {
  $("status").textContent = t("loading");
  await loadDoor();
} else {
  showSetup();
}
// Names change rarely, a key may be withdrawn: look again now and then.
setInterval(() => { if (state.key && state.door) loadDoor(); }, REFRESH_MS);
