// The camera/microphone/speaker check, before any connection to the server's media. Like
// LiveKit's PreJoin: the stream it opens is the one the call publishes, so the browser asks for
// permission once. Every failure gets step-by-step help for the browser in use.
//
// Result per device: "ok", "denied", "missing", "in_use", "unsupported", "skipped", "untested" or
// "failed" (the same words the server shows the agent in the lobby, docs/signaling.md).

import { t } from "../common/i18n.js";

const $ = (id) => document.getElementById(id);

export const check = { camera: "untested", microphone: "untested", speaker: "untested" };
let stream = null;
let audioContext = null;
let meterFrame = 0;
let failure = null;

/** The browser family, for the help texts (permission settings live in different places). */
export function browserFamily(ua = navigator.userAgent) {
  if (/Firefox\//.test(ua)) return "firefox";
  if (/Edg\//.test(ua)) return "edge";
  if (/SamsungBrowser\//.test(ua)) return "samsung";
  if (/Chrome\/|Chromium\//.test(ua)) return "chrome";
  if (/Safari\//.test(ua)) return "safari";
  return "other";
}

/** What a getUserMedia error means for the person. */
export function classify(error) {
  switch (error?.name) {
    case "NotAllowedError":
    case "SecurityError":
      return "denied";
    case "NotFoundError":
    case "OverconstrainedError":
      return "missing";
    case "NotReadableError":
    case "AbortError":
      return "in_use";
    default:
      return "failed";
  }
}

function setResult(id, kind, key, vars) {
  const el = $(id);
  el.dataset.result = kind;
  el.textContent = t(key, vars);
}

function showHelp(kind) {
  failure = kind;
  const help = $("check-help");
  if (!kind) {
    help.hidden = true;
    help.replaceChildren();
    $("retry-check").hidden = true;
    return;
  }
  const family = browserFamily();
  const title = document.createElement("h2");
  title.textContent = t(`help.${kind}.title`);
  const steps = document.createElement("ol");
  for (const key of [`help.${kind}.${family}`, `help.${kind}.steps`]) {
    const text = t(key);
    if (text === key) continue; // no such text for this browser
    for (const line of text.split("\n")) {
      const li = document.createElement("li");
      li.textContent = line;
      steps.append(li);
    }
  }
  help.replaceChildren(title, steps);
  help.hidden = false;
  $("retry-check").hidden = kind === "unsupported" || kind === "insecure";
}

/** The level meter: the microphone works once the level moves. */
function meter(audioTrack) {
  cancelAnimationFrame(meterFrame);
  if (!audioTrack) return;
  try {
    audioContext ??= new AudioContext();
    // A context made outside a click starts suspended (autoplay rules) and would read silence.
    audioContext.resume().catch(() => {});
    const source = audioContext.createMediaStreamSource(new MediaStream([audioTrack]));
    const analyser = audioContext.createAnalyser();
    analyser.fftSize = 512;
    source.connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    const tick = () => {
      analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const s of samples) sum += s * s;
      const level = Math.min(1, Math.sqrt(sum / samples.length) * 4);
      $("mic-level").value = level;
      if (level > 0.02 && check.microphone !== "ok") {
        check.microphone = "ok";
        setResult("mic-result", "ok", "check.mic.ok");
      }
      meterFrame = requestAnimationFrame(tick);
    };
    tick();
  } catch {
    // No Web Audio: the microphone still works, it just has no meter.
  }
}

async function open(constraints) {
  const got = await navigator.mediaDevices.getUserMedia(constraints);
  stop();
  stream = got;
  $("preview").srcObject = stream;
  return stream;
}

/** Asks for camera and microphone (together, so one permission prompt), then each alone. */
export async function run() {
  showHelp(null);
  if (!window.isSecureContext) {
    check.camera = check.microphone = "unsupported";
    setResult("camera-result", "error", "check.camera.unsupported");
    setResult("mic-result", "error", "check.mic.unsupported");
    showHelp("insecure");
    return;
  }
  if (!navigator.mediaDevices?.getUserMedia || !window.RTCPeerConnection) {
    check.camera = check.microphone = "unsupported";
    setResult("camera-result", "error", "check.camera.unsupported");
    setResult("mic-result", "error", "check.mic.unsupported");
    showHelp("unsupported");
    return;
  }
  if (check.speaker === "untested") setResult("speaker-result", "pending", "check.speaker.untested");
  setResult("camera-result", "pending", "check.camera.asking");
  setResult("mic-result", "pending", "check.mic.asking");
  try {
    await open({ video: pick("pick-camera"), audio: pick("pick-mic") });
    check.camera = "ok";
    check.microphone = "untested";
  } catch (both) {
    const kind = classify(both);
    if (kind === "denied") {
      check.camera = check.microphone = "denied";
    } else {
      // One of the two may still work: a laptop without camera, a headset without microphone.
      check.camera = await tryAlone({ video: pick("pick-camera") });
      check.microphone = await tryAlone({ audio: pick("pick-mic") });
      if (check.camera === "ok" || check.microphone === "ok") {
        try {
          await open({ video: check.camera === "ok" ? pick("pick-camera") : false, audio: check.microphone === "ok" ? pick("pick-mic") : false });
        } catch { /* keep what we know */ }
      }
      if (check.microphone === "ok") check.microphone = "untested"; // the meter decides
    }
  }
  const hasVideo = stream?.getVideoTracks().length > 0;
  const hasAudio = stream?.getAudioTracks().length > 0;
  if (hasVideo) setResult("camera-result", "ok", "check.camera.ok");
  else setResult("camera-result", "error", `check.camera.${check.camera === "untested" ? "failed" : check.camera}`);
  if (hasAudio) setResult("mic-result", "pending", "check.mic.speak");
  else setResult("mic-result", "error", `check.mic.${check.microphone === "untested" ? "failed" : check.microphone}`);
  const problem = [check.camera, check.microphone].find((r) => !["ok", "untested"].includes(r));
  showHelp(problem ?? null);
  meter(stream?.getAudioTracks()[0]);
  await listDevices();
}

async function tryAlone(constraints) {
  try {
    const s = await navigator.mediaDevices.getUserMedia(constraints);
    s.getTracks().forEach((track) => track.stop());
    return "ok";
  } catch (e) {
    return classify(e);
  }
}

function pick(selectId) {
  const value = $(selectId)?.value;
  return value ? { deviceId: { exact: value } } : true;
}

async function listDevices() {
  let devices = [];
  try {
    devices = await navigator.mediaDevices.enumerateDevices();
  } catch {
    return;
  }
  const fill = (id, kind, current) => {
    const select = $(id);
    const options = devices.filter((d) => d.kind === kind).map((d, i) => {
      const option = document.createElement("option");
      option.value = d.deviceId;
      option.textContent = d.label || t(`check.pick.${kind}.unnamed`, { n: i + 1 });
      return option;
    });
    select.replaceChildren(...options);
    if (current) select.value = current;
    select.disabled = options.length === 0;
  };
  fill("pick-camera", "videoinput", stream?.getVideoTracks()[0]?.getSettings().deviceId);
  fill("pick-mic", "audioinput", stream?.getAudioTracks()[0]?.getSettings().deviceId);
  // Choosing the speaker needs setSinkId (not in every browser).
  const canPickSpeaker = "setSinkId" in HTMLMediaElement.prototype;
  $("pick-speaker-field").hidden = !canPickSpeaker;
  if (canPickSpeaker) fill("pick-speaker", "audiooutput");
}

/** The chosen speaker, for the call's <video> elements. */
export function speakerId() {
  const field = $("pick-speaker-field");
  return field && !field.hidden ? $("pick-speaker").value : "";
}

/** Plays a short two-note chime on the chosen speaker, then asks whether it was heard. */
async function playTestSound() {
  try {
    audioContext ??= new AudioContext();
    await audioContext.resume();
    const sink = speakerId();
    if (sink && audioContext.setSinkId) await audioContext.setSinkId(sink).catch(() => {});
    const now = audioContext.currentTime;
    for (const [i, freq] of [660, 880].entries()) {
      const osc = audioContext.createOscillator();
      const gain = audioContext.createGain();
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, now + i * 0.35);
      gain.gain.exponentialRampToValueAtTime(0.3, now + i * 0.35 + 0.03);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.35 + 0.3);
      osc.connect(gain).connect(audioContext.destination);
      osc.start(now + i * 0.35);
      osc.stop(now + i * 0.35 + 0.32);
    }
    $("speaker-question").hidden = false;
    setResult("speaker-result", "pending", "check.speaker.playing");
  } catch {
    check.speaker = "failed";
    setResult("speaker-result", "error", "check.speaker.failed");
  }
}

function stop() {
  stream?.getTracks().forEach((track) => track.stop());
  stream = null;
}

/**
 * The stream to publish for the chosen way of joining: "full" (what works), "audio" (microphone
 * only) or "view" (nothing: watch and listen). Devices left out count as skipped.
 */
export function finish(how) {
  cancelAnimationFrame(meterFrame);
  const keep = stream ?? new MediaStream();
  if (how !== "full") {
    for (const track of keep.getVideoTracks()) { track.stop(); keep.removeTrack(track); }
    if (check.camera === "ok" || check.camera === "untested") check.camera = "skipped";
  }
  if (how === "view") {
    for (const track of keep.getAudioTracks()) { track.stop(); keep.removeTrack(track); }
    if (check.microphone === "ok" || check.microphone === "untested") check.microphone = "skipped";
  }
  stream = null;
  return { stream: keep, check: { ...check } };
}

/** Wires the controls of the check step (once). */
export function wire() {
  $("speaker-test").addEventListener("click", playTestSound);
  $("speaker-yes").addEventListener("click", () => {
    check.speaker = "ok";
    $("speaker-question").hidden = true;
    setResult("speaker-result", "ok", "check.speaker.ok");
  });
  $("speaker-no").addEventListener("click", () => {
    check.speaker = "failed";
    $("speaker-question").hidden = true;
    setResult("speaker-result", "error", "check.speaker.no_sound");
  });
  $("retry-check").addEventListener("click", run);
  $("pick-camera").addEventListener("change", run);
  $("pick-mic").addEventListener("change", run);
}

/** The failure shown now, if any ("denied", "missing", …), for tests and the lobby. */
export function currentFailure() {
  return failure;
}
