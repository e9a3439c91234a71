// The call page, in five steps: welcome → device check → lobby → call → end. One personal link
// (/gesprek#TOKEN) leads through all of them. Signalling protocol: docs/signaling.md.
//
// Stable hooks for tests: sections #welcome #check #lobby #call #ended; buttons #to-check #join
// #join-audio #join-view #leave-lobby #mute #camera #share #leave #end; #status (live region);
// #waiting li[data-participant] with "admit"/"deny" buttons for the agent; window.balie (state).
// The booking panel in #panel-slot: gesprek/panel.js (its test hooks are listed there).

import { start } from "./common/page.js";
import { onLanguageChange, t } from "./common/i18n.js";
import * as checkStep from "./gesprek/check.js";
import * as welcome from "./gesprek/welcome.js";
import { watchQuality } from "./gesprek/quality.js";
import * as panel from "./gesprek/panel.js";
import { mountAfterCall } from "./common/survey.js";

const $ = (id) => document.getElementById(id);

// The token travels in the URL fragment, which is never sent to a server. Keep it for reloads in
// this tab only, and take it out of the address bar.
const TOKEN_KEY = "balie.token";
if (location.hash.length > 1) {
  sessionStorage.setItem(TOKEN_KEY, location.hash.slice(1));
  history.replaceState(null, "", location.pathname);
}
const token = sessionStorage.getItem(TOKEN_KEY);

const state = {
  step: null,
  ws: null,
  pc: null,
  me: null,
  role: null,
  iceServers: [],
  local: null,
  screen: null,
  deviceCheck: null,
  ended: false,
  retries: 0,
  roster: [],
  waiting: [],
  position: null,
  pendingCandidates: [],
};
// For tests and debugging: the page's state, including its peer connection.
window.balie = state;

/** Says `key` in the live region (and keeps it for re-translation). */
function say(key, vars = {}) {
  state.said = [key, vars];
  $("status").textContent = t(key, vars);
}

function show(step) {
  state.step = step;
  for (const id of ["welcome", "check", "lobby", "call", "ended"]) $(id).hidden = id !== step;
  document.body.dataset.step = step;
  // Keyboard and screen-reader users land on the new step's heading.
  const heading = $(step).querySelector("h1");
  if (heading) {
    heading.tabIndex = -1;
    heading.focus({ preventScroll: false });
  }
}

function send(msg) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(msg));
}

// ------------------------------------------------------------------------------------------
// 1. Welcome

async function begin() {
  if (!token) return finish("error.token_unknown");
  try {
    await welcome.load(token);
  } catch (e) {
    if (e.status === 404) return finish("error.token_unknown");
    if (e.status === 410) return finish("error.link_gone");
    say("error.network");
    return;
  }
  show("welcome");
  welcome.render(() => say("welcome.open_now"));
  say(welcome.details().status === "open" ? "status.welcome" : "status.too_early");
}

$("to-check").addEventListener("click", async () => {
  show("check");
  say("status.check");
  await checkStep.run();
});

// ------------------------------------------------------------------------------------------
// 2. Device check → join

checkStep.wire();
for (const [id, how] of [["join", "full"], ["join-audio", "audio"], ["join-view", "view"]]) {
  $(id).addEventListener("click", () => {
    const { stream, check } = checkStep.finish(how);
    state.local = stream;
    state.deviceCheck = check;
    connect();
  });
}

// ------------------------------------------------------------------------------------------
// Signalling

function connect() {
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/v1/signalisatie`);
  state.ws = ws;
  ws.onopen = () => {
    const resume = !!state.pc && state.pc.connectionState !== "closed" && state.pc.connectionState !== "failed";
    ws.send(JSON.stringify({ type: "join", v: 1, token, resume, device_check: state.deviceCheck ?? undefined }));
  };
  ws.onmessage = (e) => handle(JSON.parse(e.data)).catch((err) => console.error(err));
  ws.onclose = () => {
    if (state.ended) return;
    if (state.me && state.me.presence !== "lobby") {
      // Within the server's grace period we rejoin without the lobby.
      $("reconnecting").hidden = false;
      say("call.reconnecting");
      const delay = Math.min(1000 * 2 ** state.retries++, 8000);
      setTimeout(connect, delay);
    } else if (state.me) {
      say("error.connection_lost_lobby");
      setTimeout(connect, 2000);
    }
  };
}

const ERRORS = {
  token_unknown: "error.token_unknown",
  token_revoked: "error.link_gone",
  token_not_yet_valid: "error.not_yet_valid",
  token_expired: "error.link_gone",
  call_ended: "ended.call_ended",
  call_full: "error.call_full",
};

async function handle(msg) {
  switch (msg.type) {
    case "welcome":
      state.retries = 0;
      state.me = msg.you;
      state.role = msg.you.role;
      state.iceServers = msg.ice_servers;
      $("end").hidden = state.role !== "agent";
      $("reconnecting").hidden = true;
      panel.refresh();
      if (msg.you.presence === "lobby") {
        show("lobby");
        say("status.lobby");
      }
      break;
    case "waiting":
      state.position = msg.position;
      $("lobby-position").textContent = t("lobby.position", { n: msg.position });
      say("status.lobby_position", { n: msg.position });
      break;
    case "lobby":
      state.waiting = msg.waiting;
      renderLobby();
      break;
    case "admitted":
      state.me.presence = "in_call";
      $("reconnecting").hidden = true;
      if (state.step !== "call") show("call");
      say("status.in_call");
      panel.refresh();
      if (state.role === "agent" && !state.statsTimer) {
        // The agent watches everyone's connection quality (from the SFU), every 3 seconds.
        $("quality").hidden = false;
        send({ type: "get_stats" });
        state.statsTimer = setInterval(() => send({ type: "get_stats" }), 3000);
      }
      await startMedia();
      break;
    case "roster":
      state.roster = msg.participants;
      renderRoster();
      panel.refresh();
      break;
    case "panel":
      // The shared booking panel (docs/panel.md): the whole state after every change.
      panel.update(msg);
      break;
    case "offer":
      await onOffer(msg.sdp);
      break;
    case "answer":
      await state.pc.setRemoteDescription({ type: "answer", sdp: msg.sdp });
      // Candidates that came while this answer was being applied were queued; add them now.
      for (const c of state.pendingCandidates.splice(0)) await state.pc.addIceCandidate(c);
      break;
    case "candidate":
      if (state.pc && state.pc.remoteDescription) await state.pc.addIceCandidate(msg.candidate);
      else state.pendingCandidates.push(msg.candidate);
      break;
    case "chat":
      addChat(msg.line);
      break;
    case "stats":
      renderStats(msg.peers);
      break;
    case "chat_history":
      $("chat").replaceChildren();
      msg.lines.forEach(addChat);
      break;
    case "ended":
      finish(`ended.${msg.reason}`);
      break;
    case "error":
      if (msg.code === "panel_conflict" || /^panel_/.test(msg.re ?? "")) panel.error(msg);
      else if (ERRORS[msg.code]) finish(ERRORS[msg.code]);
      else console.warn("balie:", msg.code, msg.message);
      break;
  }
}

// ------------------------------------------------------------------------------------------
// 5. The end

// The endings after which a citizen or guest who was in the call is asked for the survey.
const SURVEY_AFTER = ["ended.ended_by_agent", "ended.left", "ended.removed", "ended.call_ended"];

function finish(key) {
  state.ended = true;
  clearInterval(state.statsTimer);
  state.stopQuality?.();
  if (state.pc) state.pc.close();
  if (state.local) state.local.getTracks().forEach((track) => track.stop());
  state.ws?.close();
  sessionStorage.removeItem(TOKEN_KEY);
  state.endedKey = key;
  $("ended-title").textContent = t(key.startsWith("ended.") ? "ended.title" : "ended.title.error");
  $("ended-text").textContent = t(key);
  show("ended");
  say(key);
  // A citizen or guest who was in the call (a peer connection exists) gets the survey (docs/survey.md).
  if (state.pc && state.role && state.role !== "agent" && SURVEY_AFTER.includes(key)) mountAfterCall($("survey-slot"), token);
}

// ------------------------------------------------------------------------------------------
// 4. The call: media

async function startMedia() {
  if (state.pc && state.pc.connectionState !== "closed") return; // resumed
  // The peer connection exists before anything else: the server offers the others' streams right
  // after admission, and an offer arriving without a peer connection would be lost.
  const pc = new RTCPeerConnection({ iceServers: state.iceServers });
  state.pc = pc;
  pc.onicecandidate = (e) => {
    if (e.candidate) send({ type: "candidate", candidate: e.candidate.toJSON() });
  };
  pc.onnegotiationneeded = async () => {
    await pc.setLocalDescription();
    send({ type: "offer", sdp: pc.localDescription.sdp });
  };
  pc.ontrack = (e) => showTrack(e.track, e.streams[0]);
  pc.onconnectionstatechange = () => {
    if (pc.connectionState === "failed") send({ type: "ice_restart" });
    $("reconnecting").hidden = !["disconnected", "failed"].includes(pc.connectionState);
  };
  state.stopQuality = watchQuality(pc, $("quality-indicator"));
  const local = state.local ?? new MediaStream();
  state.local = local;
  $("self").srcObject = local;
  $("self-tile").hidden = local.getVideoTracks().length === 0;
  // addTransceiver, not addTrack: addTrack would reuse a transceiver that a server offer created
  // for someone else's stream, and send our camera on it instead of on a line of our own.
  for (const track of local.getTracks()) {
    const init = { direction: "sendrecv", streams: [local] };
    // Simulcast: the SFU forwards the layer that suits the call's size and drops to a lower one
    // when a layer pauses (the browser pauses its top layers on a weak uplink).
    if (track.kind === "video") init.sendEncodings = [
      { rid: "q", scaleResolutionDownBy: 4, maxBitrate: 150_000 },
      { rid: "h", scaleResolutionDownBy: 2, maxBitrate: 500_000 },
      { rid: "f", maxBitrate: 1_500_000 },
    ];
    pc.addTransceiver(track, init);
  }
  // The server sends its first offer only after answering ours, so a page without camera or
  // microphone still offers: receive-only lines for what it lacks.
  if (local.getAudioTracks().length === 0) pc.addTransceiver("audio", { direction: "recvonly" });
  if (local.getVideoTracks().length === 0) pc.addTransceiver("video", { direction: "recvonly" });
  setPressed($("mute"), local.getAudioTracks().length === 0, "call.unmute", "call.mute");
  setPressed($("camera"), local.getVideoTracks().length === 0, "call.camera_on", "call.camera");
  $("mute").disabled = local.getAudioTracks().length === 0;
  $("camera").disabled = local.getVideoTracks().length === 0;
  send({ type: "media_state", audio: local.getAudioTracks().length > 0, video: local.getVideoTracks().length > 0 });
}

// Perfect negotiation: the server is impolite, this page is polite. An offer from the server
// during our own offer rolls ours back (setRemoteDescription does that implicitly); negotiation
// is needed again afterwards and our offer follows.
async function onOffer(sdp) {
  const pc = state.pc;
  if (!pc) return;
  await pc.setRemoteDescription({ type: "offer", sdp });
  await pc.setLocalDescription();
  send({ type: "answer", sdp: pc.localDescription.sdp });
  for (const c of state.pendingCandidates.splice(0)) await pc.addIceCandidate(c);
}

function showTrack(track, stream) {
  const id = stream ? stream.id : track.id;
  let tile = document.querySelector(`[data-stream="${CSS.escape(id)}"]`);
  if (!tile) {
    tile = document.createElement("figure");
    tile.className = "tile";
    tile.dataset.stream = id;
    const video = document.createElement("video");
    video.autoplay = true;
    video.playsInline = true;
    video.srcObject = stream || new MediaStream([track]);
    const sink = checkStep.speakerId();
    if (sink && video.setSinkId) video.setSinkId(sink).catch(() => {});
    const caption = document.createElement("figcaption");
    tile.append(video, caption);
    $("tiles").append(tile);
    captionTile(tile);
  }
  track.onended = () => {
    if (stream && stream.getTracks().every((x) => x.readyState === "ended")) tile.remove();
  };
  stream?.addEventListener("removetrack", () => {
    if (stream.getTracks().length === 0) tile.remove();
  });
}

// The SFU names each forwarded stream after its publisher (see docs/signaling.md).
function personOf(streamId) {
  const m = /(\d+)$/.exec(streamId);
  return m && state.roster.find((r) => String(r.id) === m[1]);
}

function captionTile(tile) {
  const p = personOf(tile.dataset.stream);
  const caption = tile.querySelector("figcaption");
  caption.textContent = p ? `${p.name} (${t(`role.${p.role}`)})` : t("call.participant");
  const flags = p ? [p.audio ? null : t("call.flag.muted"), p.video ? null : t("call.flag.camera_off")].filter(Boolean) : [];
  if (flags.length) caption.textContent += ` — ${flags.join(", ")}`;
}

function button(key, onClick, vars) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "secondary";
  b.textContent = t(key, vars);
  b.addEventListener("click", onClick);
  return b;
}

function renderRoster() {
  $("roster").replaceChildren(
    ...state.roster.map((p) => {
      const li = document.createElement("li");
      const flags = [p.audio ? "" : t("call.flag.muted"), p.video ? "" : t("call.flag.camera_off"),
        p.screen_share ? t("call.flag.sharing") : "", p.presence === "reconnecting" ? t("call.flag.reconnecting") : ""].filter(Boolean);
      li.textContent = `${p.name} (${t(`role.${p.role}`)})${flags.length ? " — " + flags.join(", ") : ""}`;
      if (state.role === "agent" && p.id !== state.me.id) li.append(" ", button("agent.remove", () => send({ type: "remove", participant: p.id })));
      return li;
    }),
  );
  for (const tile of document.querySelectorAll("[data-stream]")) captionTile(tile);
}

/**
 * The agent's view of who waits, with what their device check found. Entries are updated in
 * place, not rebuilt: a keyboard user's focus stays on their button, and a click is never lost to
 * a list that was redrawn under the pointer.
 */
function renderLobby() {
  $("agent-lobby").hidden = false;
  const list = $("waiting");
  const ids = new Set(state.waiting.map((p) => String(p.id)));
  for (const li of [...list.children]) if (!ids.has(li.dataset.participant ?? "")) li.remove();
  for (const p of state.waiting) {
    let li = list.querySelector(`li[data-participant="${p.id}"]`);
    if (!li) {
      li = document.createElement("li");
      li.dataset.participant = p.id;
      const who = document.createElement("strong");
      const found = document.createElement("span");
      found.className = "device-check";
      const admit = button("agent.admit", () => send({ type: "admit", participant: p.id }));
      const deny = button("agent.deny", () => send({ type: "deny", participant: p.id }));
      admit.dataset.i18n = "agent.admit";
      deny.dataset.i18n = "agent.deny";
      li.append(who, found, admit, " ", deny);
      list.append(li);
    }
    li.querySelector("strong").textContent = `${p.name} (${t(`role.${p.role}`)})`;
    li.querySelector(".device-check").textContent = p.device_check
      ? ["camera", "microphone", "speaker"].map((d) => `${t(`device.${d}`)}: ${t(`device.status.${p.device_check[d]}`)}`).join(" · ")
      : t("device.none");
  }
  let empty = list.querySelector("li.empty");
  if (state.waiting.length === 0 && !empty) {
    empty = document.createElement("li");
    empty.className = "empty";
    empty.dataset.i18n = "agent.lobby.empty";
    empty.textContent = t("agent.lobby.empty");
    list.append(empty);
  } else if (state.waiting.length > 0 && empty) {
    empty.remove();
  }
}

function renderStats(peers) {
  const kbit = (bps) => Math.round(bps / 1000).toLocaleString(document.documentElement.lang);
  state.lastStats = peers;
  $("stats").tBodies[0].replaceChildren(
    ...peers.map((p) => {
      const tr = document.createElement("tr");
      const id = p.peer ? p.peer.participant : null;
      tr.dataset.participant = id;
      const who = state.roster.find((r) => r.id === id);
      const cells = [who ? who.name : t("call.participant"), kbit(p.bitrate_in_bps), kbit(p.bitrate_out_bps),
        (p.fraction_lost * 100).toLocaleString(document.documentElement.lang, { maximumFractionDigits: 1 }),
        p.rtt_ms == null ? "–" : Math.round(p.rtt_ms).toString()];
      for (const [i, text] of cells.entries()) {
        const cell = document.createElement(i === 0 ? "th" : "td");
        if (i === 0) cell.scope = "row";
        cell.textContent = text;
        tr.append(cell);
      }
      return tr;
    }),
  );
}

function addChat(line) {
  const li = document.createElement("li");
  const name = document.createElement("strong");
  name.textContent = `${line.name}: `;
  li.append(name, line.text);
  $("chat").append(li);
}

function setPressed(btn, pressed, onKey, offKey) {
  btn.setAttribute("aria-pressed", String(pressed));
  btn.dataset.i18n = pressed ? onKey : offKey;
  btn.textContent = t(btn.dataset.i18n);
}

function toggle(btn, kind) {
  const tracks = kind === "audio" ? state.local.getAudioTracks() : state.local.getVideoTracks();
  const off = btn.getAttribute("aria-pressed") !== "true";
  tracks.forEach((track) => (track.enabled = !off));
  if (kind === "audio") setPressed(btn, off, "call.unmute", "call.mute");
  else setPressed(btn, off, "call.camera_on", "call.camera");
  say(kind === "audio" ? (off ? "status.muted" : "status.unmuted") : off ? "status.camera_off" : "status.camera_on");
  send({
    type: "media_state",
    audio: state.local.getAudioTracks().some((x) => x.enabled),
    video: state.local.getVideoTracks().some((x) => x.enabled),
  });
}

$("mute").addEventListener("click", (e) => toggle(e.currentTarget, "audio"));
$("camera").addEventListener("click", (e) => toggle(e.currentTarget, "video"));
$("share").addEventListener("click", async (e) => {
  const b = e.currentTarget;
  if (state.screen) {
    state.screen.getTracks().forEach((track) => track.stop());
    for (const s of state.pc.getSenders()) if (state.screen.getTracks().includes(s.track)) state.pc.removeTrack(s);
    state.screen = null;
    setPressed(b, false, "call.share_stop", "call.share");
    send({ type: "screen_share", active: false });
    return;
  }
  try {
    state.screen = await navigator.mediaDevices.getDisplayMedia({ video: true });
  } catch {
    say("status.share_refused");
    return;
  }
  for (const track of state.screen.getTracks()) state.pc.addTrack(track, state.screen);
  setPressed(b, true, "call.share_stop", "call.share");
  send({ type: "screen_share", active: true });
});
$("leave").addEventListener("click", () => send({ type: "leave" }));
$("leave-lobby").addEventListener("click", () => {
  send({ type: "leave" });
  finish("ended.left");
});
$("end").addEventListener("click", () => {
  if (confirm(t("call.end.confirm"))) send({ type: "end_call" });
});
$("chat-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = $("chat-text").value.trim();
  if (text) send({ type: "chat", text });
  $("chat-text").value = "";
});

await start("gesprek");
panel.init({ state, send });
onLanguageChange(() => {
  if (state.said) say(...state.said);
  if (state.step === "welcome") welcome.render();
  if (state.endedKey) $("ended-text").textContent = t(state.endedKey);
  if (state.position) $("lobby-position").textContent = t("lobby.position", { n: state.position });
  renderRoster();
  if (state.waiting.length || !$("agent-lobby").hidden) renderLobby();
  if (state.lastStats) renderStats(state.lastStats);
});
await begin();
