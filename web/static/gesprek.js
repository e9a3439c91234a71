// The call page: join with the personal link, wait in the lobby, publish camera and microphone,
// show the others. Signalling protocol: docs/signaling.md. The front-end issue refines the UI.

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
  ws: null,
  pc: null,
  me: null,
  role: null,
  iceServers: [],
  local: null,
  screen: null,
  makingOffer: false,
  ended: false,
  retries: 0,
  roster: [],
  pendingCandidates: [],
};
// For tests and debugging: the page's state, including its peer connection.
window.balie = state;

function say(text) {
  $("status").textContent = text;
}

function send(msg) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(msg));
}

const ERRORS = {
  token_unknown: "Deze link is niet geldig.",
  token_revoked: "Deze link werd ingetrokken.",
  token_not_yet_valid: "Deze link werkt nog niet. Probeer het kort voor het begin van uw afspraak opnieuw.",
  token_expired: "Deze link is verlopen.",
  call_ended: "Dit gesprek is afgelopen.",
  call_full: "Dit gesprek is volzet.",
};

const ENDED = {
  ended_by_agent: "Het gesprek is beëindigd. Bedankt!",
  denied: "De medewerker heeft u niet binnengelaten.",
  removed: "U werd uit het gesprek gehaald.",
  left: "U hebt het gesprek verlaten.",
  replaced: "U nam deel vanuit een ander venster of toestel.",
};

function connect() {
  if (!token) {
    say(ERRORS.token_unknown);
    return;
  }
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/v1/signalisatie`);
  state.ws = ws;
  ws.onopen = () => {
    const resume = !!state.pc && state.pc.connectionState !== "closed" && state.pc.connectionState !== "failed";
    ws.send(JSON.stringify({ type: "join", v: 1, token, resume }));
  };
  ws.onmessage = (e) => handle(JSON.parse(e.data)).catch((err) => console.error(err));
  ws.onclose = () => {
    if (state.ended) return;
    if (state.me && state.me.presence !== "lobby") {
      // Within the server's grace period we rejoin without the lobby.
      say("Verbinding verbroken — opnieuw verbinden…");
      const delay = Math.min(1000 * 2 ** state.retries++, 8000);
      setTimeout(connect, delay);
    }
  };
}

async function handle(msg) {
  switch (msg.type) {
    case "welcome":
      state.retries = 0;
      state.me = msg.you;
      state.role = msg.you.role;
      state.iceServers = msg.ice_servers;
      $("who").textContent = msg.you.name;
      $("end").hidden = state.role !== "agent";
      if (msg.you.presence === "lobby") say("U bent in de wachtruimte. De medewerker laat u zo binnen.");
      break;
    case "waiting":
      say(`U bent in de wachtruimte (plaats ${msg.position}). De medewerker laat u zo binnen.`);
      break;
    case "lobby":
      renderLobby(msg.waiting);
      break;
    case "admitted":
      state.me.presence = "in_call";
      say("U bent in het gesprek.");
      $("call").hidden = false;
      $("lobby").hidden = state.role !== "agent";
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
      finish(ENDED[msg.reason] || "Het gesprek is afgelopen.");
      break;
    case "error":
      if (ERRORS[msg.code]) finish(ERRORS[msg.code]);
      else console.warn("balie:", msg.code, msg.message);
      break;
  }
}

function finish(text) {
  state.ended = true;
  clearInterval(state.statsTimer);
  say(text);
  $("call").hidden = true;
  $("lobby").hidden = true;
  if (state.pc) state.pc.close();
  if (state.local) state.local.getTracks().forEach((t) => t.stop());
  sessionStorage.removeItem(TOKEN_KEY);
}

async function startMedia() {
  if (state.pc && state.pc.connectionState !== "closed") return; // resumed
  // The peer connection exists before we wait for the camera: the server offers the others'
  // streams right after admission, and an offer arriving without a peer connection would be lost
  // (the server then refuses our own offer as glare, and nobody gets media).
  const pc = new RTCPeerConnection({ iceServers: state.iceServers });
  state.pc = pc;
  pc.onicecandidate = (e) => {
    if (e.candidate) send({ type: "candidate", candidate: e.candidate.toJSON() });
  };
  pc.onnegotiationneeded = async () => {
    try {
      state.makingOffer = true;
      await pc.setLocalDescription();
      send({ type: "offer", sdp: pc.localDescription.sdp });
    } finally {
      state.makingOffer = false;
    }
  };
  pc.ontrack = (e) => showTrack(e.track, e.streams[0]);
  pc.onconnectionstatechange = () => {
    if (pc.connectionState === "failed") send({ type: "ice_restart" });
  };
  try {
    state.local = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  } catch (e) {
    try {
      state.local = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (e2) {
      state.local = new MediaStream();
      say("Geen camera of microfoon beschikbaar: u kijkt en luistert mee.");
    }
  }
  $("self").srcObject = state.local;
  // addTransceiver, not addTrack: addTrack would reuse a transceiver that a server offer created
  // for someone else's stream, and send our camera on it instead of on a line of our own.
  for (const track of state.local.getTracks()) {
    const init = { direction: "sendrecv", streams: [state.local] };
    // Simulcast: the SFU forwards each subscriber the layer that suits the call's size and drops
    // to a lower one when a layer pauses (the browser pauses its top layers on a weak uplink),
    // so one poor connection does not freeze everyone's picture.
    if (track.kind === "video") init.sendEncodings = [
      { rid: "q", scaleResolutionDownBy: 4, maxBitrate: 150_000 },
      { rid: "h", scaleResolutionDownBy: 2, maxBitrate: 500_000 },
      { rid: "f", maxBitrate: 1_500_000 },
    ];
    pc.addTransceiver(track, init);
  }
  // The server sends its first offer only after answering ours, so a page without camera or
  // microphone still offers: receive-only lines for what it lacks.
  if (state.local.getAudioTracks().length === 0) pc.addTransceiver("audio", { direction: "recvonly" });
  if (state.local.getVideoTracks().length === 0) pc.addTransceiver("video", { direction: "recvonly" });
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
    const caption = document.createElement("figcaption");
    caption.textContent = nameOf(id);
    tile.append(video, caption);
    $("tiles").append(tile);
  }
  track.onended = () => {
    if (stream && stream.getTracks().every((t) => t.readyState === "ended")) tile.remove();
  };
  stream?.addEventListener("removetrack", () => {
    if (stream.getTracks().length === 0) tile.remove();
  });
}

// The SFU names each forwarded stream after its publisher (see docs/signaling.md).
function nameOf(streamId) {
  const m = /(\d+)$/.exec(streamId);
  const p = m && state.roster.find((r) => String(r.id) === m[1]);
  return p ? p.name : "Deelnemer";
}

const ROLE = { agent: "medewerker", citizen: "burger", guest: "gast" };

function renderRoster() {
  $("roster").replaceChildren(
    ...state.roster.map((p) => {
      const li = document.createElement("li");
      const flags = [p.audio ? "" : "microfoon uit", p.video ? "" : "camera uit", p.screen_share ? "deelt scherm" : "",
        p.presence === "reconnecting" ? "verbinding herstellen…" : ""].filter(Boolean);
      li.textContent = `${p.name} (${ROLE[p.role]})${flags.length ? " — " + flags.join(", ") : ""}`;
      if (state.role === "agent" && p.id !== state.me.id) li.append(" ", button("Verwijderen", () => send({ type: "remove", participant: p.id })));
      return li;
    }),
  );
  for (const tile of document.querySelectorAll("[data-stream] figcaption")) tile.textContent = nameOf(tile.parentElement.dataset.stream);
}

function button(label, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.addEventListener("click", onClick);
  return b;
}

function renderLobby(waiting) {
  $("lobby").hidden = false;
  $("waiting").replaceChildren(
    ...(waiting.length
      ? waiting.map((p) => {
          const li = document.createElement("li");
          li.dataset.participant = p.id;
          li.append(`${p.name} (${ROLE[p.role]}) `,
            button(`Binnenlaten`, () => send({ type: "admit", participant: p.id })),
            " ",
            button(`Weigeren`, () => send({ type: "deny", participant: p.id })));
          return li;
        })
      : [Object.assign(document.createElement("li"), { textContent: "Niemand wacht." })]),
  );
}

function renderStats(peers) {
  const kbit = (bps) => Math.round(bps / 1000).toLocaleString("nl-BE");
  $("stats").tBodies[0].replaceChildren(
    ...peers.map((p) => {
      const tr = document.createElement("tr");
      const id = p.peer ? p.peer.participant : null;
      tr.dataset.participant = id;
      const who = state.roster.find((r) => r.id === id);
      const cells = [who ? who.name : `Deelnemer ${id}`, kbit(p.bitrate_in_bps), kbit(p.bitrate_out_bps),
        (p.fraction_lost * 100).toLocaleString("nl-BE", { maximumFractionDigits: 1 }),
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
  li.textContent = `${line.name}: ${line.text}`;
  $("chat").append(li);
}

function toggle(button, kind) {
  const tracks = kind === "audio" ? state.local.getAudioTracks() : state.local.getVideoTracks();
  const off = button.getAttribute("aria-pressed") !== "true";
  tracks.forEach((t) => (t.enabled = !off));
  button.setAttribute("aria-pressed", String(off));
  button.textContent = kind === "audio" ? (off ? "Microfoon aan" : "Microfoon uit") : off ? "Camera aan" : "Camera uit";
  send({
    type: "media_state",
    audio: state.local.getAudioTracks().some((t) => t.enabled),
    video: state.local.getVideoTracks().some((t) => t.enabled),
  });
}

$("mute").addEventListener("click", (e) => toggle(e.currentTarget, "audio"));
$("camera").addEventListener("click", (e) => toggle(e.currentTarget, "video"));
$("share").addEventListener("click", async (e) => {
  const b = e.currentTarget;
  if (state.screen) {
    state.screen.getTracks().forEach((t) => t.stop());
    for (const s of state.pc.getSenders()) if (state.screen.getTracks().includes(s.track)) state.pc.removeTrack(s);
    state.screen = null;
    b.setAttribute("aria-pressed", "false");
    send({ type: "screen_share", active: false });
    return;
  }
  try {
    state.screen = await navigator.mediaDevices.getDisplayMedia({ video: true });
  } catch {
    return;
  }
  for (const t of state.screen.getTracks()) state.pc.addTrack(t, state.screen);
  b.setAttribute("aria-pressed", "true");
  send({ type: "screen_share", active: true });
});
$("leave").addEventListener("click", () => {
  send({ type: "leave" });
});
$("end").addEventListener("click", () => {
  if (confirm("Het gesprek voor iedereen beëindigen?")) send({ type: "end_call" });
});
$("chat-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = $("chat-text").value.trim();
  if (text) send({ type: "chat", text });
  $("chat-text").value = "";
});

connect();
