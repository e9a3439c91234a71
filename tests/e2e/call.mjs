// End-to-end test of a three-way video call through balie's real server and SFU, in real
// browsers: Debian's Chromium with its fake camera and microphone, driven by playwright-core.
//
//   node tests/e2e/call.mjs < input.json          (or: node tests/e2e/call.mjs 'JSON')
//
// Input: {"base": "http://127.0.0.1:PORT", "links": [...]}, where `links` is the `links` array of
// `POST /api/v1/gesprekken` exactly as the server returned it (agent first, then a citizen and a
// guest). tests/tests/browser_call.rs starts the server, makes the call and runs this script inside
// a loopback-only network namespace (see /work/shared/TESTING.md); run by hand, do the same.
//
// What it checks, in order:
//   1. the agent's link puts the agent straight into the call;
//   2. the citizen's and the guest's links put them in the lobby, and before admission their pages
//      have no RTCPeerConnection, no remote media, no roster, and received nothing about the call
//      over the signalling socket; the agent's page lists both in #waiting;
//   3. the agent admits both by clicking "Binnenlaten";
//   4. every page then decodes video and audio from the two others: in `getStats()` of its peer
//      connection, two inbound-rtp video streams whose `framesDecoded` grows and two inbound-rtp
//      audio streams whose `totalSamplesReceived` grows between two samples ~2 s apart, and these
//      streams come from the two other participants (not an echo of its own camera);
//   5. every page shows both others' tiles, named after them, with a playing video;
//   6. every page publishes simulcast (at least two layers sending) and receives each other's
//      video at the width of that publisher's widest sending layer.
// It prints a JSON summary on stdout and exits 0, or prints what failed (with the diagnostics that
// explain it: connection states, ICE/DTLS, stats, signalling messages, console errors) and exits 1.

import { accessSync, constants, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { chromium } from "playwright-core";

const CHROMIUM = process.env.BALIE_E2E_CHROMIUM || "/usr/bin/chromium";
/** The whole run, browser start included. Generous for a loaded CI machine, short enough to fail fast. */
const OVERALL_TIMEOUT_MS = 60_000;
/** Between the two stats samples whose difference proves media is flowing, not just once flowed. */
const SAMPLE_GAP_MS = 2_000;

// Flags from TESTING.md. The fake devices give every page a camera (a test pattern at ~20 fps) and
// a microphone (a beep) without hardware or a permission prompt; loopback ICE candidates are
// allowed because the SFU announces 127.0.0.1 here; autoplay lets remote <video> play without a
// click. The rest keep Chromium from phoning home or doing background work in the namespace.
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--use-fake-device-for-media-stream",
  "--use-fake-ui-for-media-stream",
  "--allow-loopback-in-peer-connection",
  "--autoplay-policy=no-user-gesture-required",
];

const started = Date.now();
const deadline = started + OVERALL_TIMEOUT_MS;
const remaining = () => Math.max(1, deadline - Date.now());
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const log = (msg) => process.stderr.write(`[e2e ${elapsed()}] ${msg}\n`);

class Failure extends Error {}
function check(condition, message) {
  if (!condition) throw new Failure(message);
}

// ---------------------------------------------------------------------------------------------
// Input
// ---------------------------------------------------------------------------------------------

function readInput() {
  const raw = process.argv[2] ?? readFileSync(0, "utf8");
  let input;
  try {
    input = JSON.parse(raw);
  } catch (e) {
    throw new Failure(`input is not JSON (${e.message}); expected {"base": URL, "links": [...]}`);
  }
  const base = String(input.base ?? "").replace(/\/+$/, "");
  check(/^https?:\/\/[^/]+$/.test(base), `input.base must be an origin like http://127.0.0.1:PORT, got ${input.base}`);
  const links = input.links;
  check(Array.isArray(links) && links.length === 3, `input.links must hold 3 links (agent, citizen, guest), got ${JSON.stringify(links)}`);
  const byRole = {};
  for (const l of links) {
    check(["agent", "citizen", "guest"].includes(l.role) && !byRole[l.role], `unexpected or repeated role in ${JSON.stringify(l)}`);
    check(Number.isInteger(l.participant_id) && typeof l.name === "string", `link without participant_id/name: ${JSON.stringify(l)}`);
    // The browser opens exactly the URL the API handed out: its origin must be the server's, and
    // the token must sit in the fragment (never sent to the server).
    check(l.url.startsWith(`${base}/gesprek#`) && l.url.length > `${base}/gesprek#`.length,
      `${l.role}'s link ${l.url} is not ${base}/gesprek#TOKEN (is --public-url the server's address?)`);
    byRole[l.role] = l;
  }
  check(links[0].role === "agent", "the API must list the agent's link first");
  return { base, people: [byRole.agent, byRole.citizen, byRole.guest] };
}

// ---------------------------------------------------------------------------------------------
// Instrumentation injected into every page before its own scripts run
// ---------------------------------------------------------------------------------------------

// Records every RTCPeerConnection the page makes (so "no peer connection before admission" covers
// connections that never reach window.balie), which remote track belongs to which stream (stream
// ids end in the publisher's participant id, docs/signaling.md), and getUserMedia calls.
function instrument() {
  const rec = { pcs: [], tracks: [], getUserMedia: 0 };
  Object.defineProperty(window, "__balieTest", { value: rec });
  const Original = window.RTCPeerConnection;
  class Recorded extends Original {
    constructor(...args) {
      super(...args);
      rec.pcs.push(this);
      this.addEventListener("track", (e) => {
        rec.tracks.push({ trackId: e.track.id, kind: e.track.kind, streams: e.streams.map((s) => s.id) });
      });
    }
  }
  window.RTCPeerConnection = Recorded;
  const md = navigator.mediaDevices;
  if (md && md.getUserMedia) {
    const gum = md.getUserMedia.bind(md);
    md.getUserMedia = (...args) => {
      rec.getUserMedia++;
      return gum(...args);
    };
  }
}

// Runs in the page: the state the assertions look at.
async function snapshot() {
  const b = window.balie;
  const t = window.__balieTest;
  const visible = (id) => !document.getElementById(id).hidden;
  const out = {
    status: document.getElementById("status").textContent,
    me: b?.me ?? null,
    lobbyVisible: visible("lobby"),
    callVisible: visible("call"),
    hasPc: !!b?.pc,
    pcsCreated: t.pcs.length,
    samePc: !!b?.pc && t.pcs.includes(b.pc),
    getUserMedia: t.getUserMedia,
    roster: (b?.roster ?? []).map((p) => ({ id: p.id, name: p.name, role: p.role, presence: p.presence })),
    rosterItems: document.querySelectorAll("#roster li").length,
    waiting: [...document.querySelectorAll("#waiting li[data-participant]")].map((li) => Number(li.dataset.participant)),
    tiles: [...document.querySelectorAll("#tiles [data-stream]")].map((f) => {
      const v = f.querySelector("video");
      return {
        stream: f.dataset.stream,
        caption: f.querySelector("figcaption")?.textContent ?? "",
        videoWidth: v?.videoWidth ?? 0,
        videoHeight: v?.videoHeight ?? 0,
        playing: !!v && !v.paused && v.readyState >= 2,
      };
    }),
    remoteTracks: t.tracks,
    pc: null,
    inbound: [],
    outbound: [],
  };
  const pc = b?.pc;
  if (!pc) return out;
  out.pc = {
    connectionState: pc.connectionState,
    iceConnectionState: pc.iceConnectionState,
    signalingState: pc.signalingState,
    transceivers: pc.getTransceivers().map((tr) => ({ mid: tr.mid, direction: tr.direction, current: tr.currentDirection, kind: tr.receiver.track?.kind })),
  };
  const stats = await pc.getStats();
  const byId = new Map();
  stats.forEach((s) => byId.set(s.id, s));
  for (const s of stats.values()) {
    if (s.type === "inbound-rtp") {
      out.inbound.push({
        kind: s.kind, ssrc: s.ssrc, mid: s.mid, trackIdentifier: s.trackIdentifier,
        packetsReceived: s.packetsReceived, bytesReceived: s.bytesReceived, packetsLost: s.packetsLost,
        framesReceived: s.framesReceived, framesDecoded: s.framesDecoded, frameWidth: s.frameWidth, frameHeight: s.frameHeight,
        totalSamplesReceived: s.totalSamplesReceived, concealedSamples: s.concealedSamples,
        codec: byId.get(s.codecId)?.mimeType,
      });
    } else if (s.type === "outbound-rtp") {
      out.outbound.push({ kind: s.kind, ssrc: s.ssrc, rid: s.rid, packetsSent: s.packetsSent, framesEncoded: s.framesEncoded, keyFramesEncoded: s.keyFramesEncoded, pliCount: s.pliCount, nackCount: s.nackCount, frameWidth: s.frameWidth, active: s.active, qualityLimitationReason: s.qualityLimitationReason, codec: byId.get(s.codecId)?.mimeType });
    } else if (s.type === "transport") {
      const pair = byId.get(s.selectedCandidatePairId);
      const local = pair && byId.get(pair.localCandidateId);
      const remote = pair && byId.get(pair.remoteCandidateId);
      out.transport = {
        availableOutgoingBitrate: pair?.availableOutgoingBitrate, bytesSent: pair?.bytesSent, bytesReceived: pair?.bytesReceived,
        iceState: s.iceState, dtlsState: s.dtlsState, dtlsRole: s.dtlsRole, srtpCipher: s.srtpCipher,
        selectedPair: pair ? {
          state: pair.state,
          local: local && `${local.candidateType} ${local.protocol} ${local.address}:${local.port}`,
          remote: remote && `${remote.candidateType} ${remote.protocol} ${remote.address}:${remote.port}`,
          remoteAddress: remote?.address,
        } : null,
      };
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

const { base, people } = (() => {
  try {
    return readInput();
  } catch (e) {
    process.stderr.write(`e2e: ${e.message}\n`);
    process.exit(2);
  }
})();
const [agent, citizen, guest] = people;
const pages = {}; // role -> { page, person, frames: [{dir, type}], console: [] }
let browser = null;

async function open(person) {
  // Dutch, the default language: the assertions below read Dutch texts ("Binnenlaten").
  const context = await browser.newContext({ locale: "nl-BE" });
  // Granted up front: without it Chromium would hide host candidates behind mDNS names (TESTING.md),
  // and a prompt would hang the page.
  await context.grantPermissions(["camera", "microphone"], { origin: base });
  await context.addInitScript(instrument);
  const page = await context.newPage();
  const entry = { page, person, frames: [], console: [], serverCandidates: [] };
  pages[person.role] = entry;
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") entry.console.push(`${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => entry.console.push(`pageerror: ${e.message}`));
  // Every signalling message, by type: proves what a lobby participant did (not) receive.
  page.on("websocket", (ws) => {
    const note = (dir) => (f) => {
      let msg = {};
      try {
        msg = JSON.parse(f.payload);
      } catch {}
      // Errors and the DTLS roles (a=setup) of each description: what explains a failed negotiation.
      const detail = msg.type === "error" ? `${msg.code}: ${msg.message}`
        : typeof msg.sdp === "string" ? [...new Set(msg.sdp.match(/^a=setup:\S+/gm) ?? [])].join(",") + ` ${(msg.sdp.match(/^m=/gm) ?? []).length} m-lines`
        : undefined;
      entry.frames.push({ dir, type: msg.type ?? "?", at: Date.now() - started, ...(detail ? { detail } : {}) });
      // The SFU's ICE candidates, in its SDP and trickled: which addresses it announces.
      if (dir === "in" && (msg.type === "offer" || msg.type === "answer")) {
        entry.serverCandidates.push(...msg.sdp.split(/\r?\n/).filter((l) => l.startsWith("a=candidate:")).map((l) => l.slice(2)));
      } else if (dir === "in" && msg.type === "candidate" && msg.candidate?.candidate) {
        entry.serverCandidates.push(msg.candidate.candidate);
      }
    };
    ws.on("framereceived", note("in"));
    ws.on("framesent", note("out"));
  });
  log(`opening ${person.role} (${person.name}, participant ${person.participant_id})`);
  await page.goto(person.url, { timeout: remaining() });
  // The welcome step, then the device check (the fake camera and microphone pass), then join.
  await page.click("#to-check", { timeout: remaining() });
  await page.waitForSelector('#camera-result[data-result="ok"]', { timeout: remaining() });
  await page.click("#join", { timeout: remaining() });
  return entry;
}

async function waitFor(entry, what, fn, arg) {
  try {
    await entry.page.waitForFunction(fn, arg, { timeout: remaining(), polling: 100 });
  } catch (e) {
    throw new Failure(`${entry.person.role}: timed out waiting until ${what} (${e.message.split("\n")[0]})`);
  }
}

const snap = (entry) => entry.page.evaluate(snapshot);
const receivedTypes = (entry) => [...new Set(entry.frames.filter((f) => f.dir === "in").map((f) => f.type))].sort();

/** The participant id of the publisher of a remote track, from its stream id (participant-N). */
function publisherOf(snapshot, trackId) {
  const t = snapshot.remoteTracks.find((r) => r.trackId === trackId);
  const m = t && t.streams.map((s) => /(\d+)$/.exec(s)).find(Boolean);
  return m ? Number(m[1]) : null;
}

/** Inbound streams of `kind` whose counter grew between two snapshots, with their publisher. */
function growing(before, after, kind, counter) {
  return after.inbound
    .filter((s) => s.kind === kind)
    .map((s) => {
      const prev = before.inbound.find((p) => p.kind === kind && p.ssrc === s.ssrc);
      return { ssrc: s.ssrc, publisher: publisherOf(after, s.trackIdentifier), from: prev?.[counter] ?? 0, to: s[counter] ?? 0 };
    })
    .filter((s) => s.to > s.from);
}

async function main() {
  try {
    accessSync(CHROMIUM, constants.X_OK);
  } catch (e) {
    throw new Failure(`${CHROMIUM} is missing (${e.code}): install Debian's chromium (scripts/test does)`);
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: remaining() });
  log(`chromium ${browser.version()} started`);

  // 1. The agent goes straight into the call.
  const a = await open(agent);
  await waitFor(a, "the agent is in the call", () => window.balie?.me?.presence === "in_call" && !document.getElementById("call").hidden);

  // 2. Citizen and guest wait in the lobby.
  const c = await open(citizen);
  const g = await open(guest);
  for (const e of [c, g]) {
    await waitFor(e, "the page shows the lobby", () => window.balie?.me?.presence === "lobby" && /wachtruimte/i.test(document.getElementById("status").textContent));
  }
  await waitFor(a, "the agent's #waiting lists citizen and guest",
    (ids) => ids.every((id) => document.querySelector(`#waiting li[data-participant="${id}"]`)), [citizen.participant_id, guest.participant_id]);
  // Give a stray roster or offer a moment to arrive before asserting that none did.
  await sleep(500);
  const lobby = {};
  for (const e of [c, g]) {
    const s = await snap(e);
    const who = e.person.role;
    lobby[who] = { status: s.status, received: receivedTypes(e), getUserMedia: s.getUserMedia };
    check(s.me?.id === e.person.participant_id, `${who}: welcome names participant ${s.me?.id}, the link is ${e.person.participant_id}`);
    check(!s.callVisible, `${who}: the call section is visible before admission`);
    check(!s.hasPc && s.pcsCreated === 0, `${who}: an RTCPeerConnection exists before admission (window.balie.pc ${s.hasPc ? "set" : "null"}, ${s.pcsCreated} created)`);
    check(s.remoteTracks.length === 0 && s.tiles.length === 0, `${who}: remote media before admission: ${JSON.stringify({ tracks: s.remoteTracks, tiles: s.tiles })}`);
    check(s.roster.length === 0 && s.rosterItems === 0, `${who}: sees a roster before admission: ${JSON.stringify(s.roster)}`);
    // docs/signaling.md: before admission a participant receives nothing about the call.
    const leaked = receivedTypes(e).filter((t) => !["welcome", "waiting", "pong"].includes(t));
    check(leaked.length === 0, `${who}: received ${leaked.join(", ")} over the signalling socket while in the lobby`);
  }
  const aLobby = await snap(a);
  check(aLobby.tiles.length === 0 && aLobby.remoteTracks.length === 0, `agent: remote media before anyone was admitted: ${JSON.stringify(aLobby.tiles)}`);
  log(`lobby ok: ${JSON.stringify(lobby)}`);

  // 3. The agent admits both, as a person would: the "Binnenlaten" button of each waiting entry.
  for (const p of [citizen, guest]) {
    const item = a.page.locator(`#waiting li[data-participant="${p.participant_id}"]`);
    await item.getByRole("button", { name: "Binnenlaten", exact: true }).click({ timeout: remaining() });
    log(`admitted ${p.role}`);
  }
  for (const e of [c, g]) {
    await waitFor(e, "the page is in the call", () => window.balie?.me?.presence === "in_call" && !document.getElementById("call").hidden && !!window.balie.pc);
  }
  await waitFor(a, "the agent's #waiting is empty", () => document.querySelectorAll("#waiting li[data-participant]").length === 0);

  // 4. Media: wait until each page decodes something from two publishers, then take two samples
  //    SAMPLE_GAP_MS apart; growth between them is what proves media flows.
  const all = [a, g, c];
  // A loop in Node rather than waitForFunction: getStats() is asynchronous, and waitForFunction
  // would take the pending promise for a truthy answer.
  const decoding = async () => {
    const st = await window.balie.pc.getStats();
    let v = 0, s = 0;
    st.forEach((x) => {
      if (x.type === "inbound-rtp" && x.kind === "video" && x.framesDecoded > 0) v++;
      if (x.type === "inbound-rtp" && x.kind === "audio" && x.totalSamplesReceived > 0) s++;
    });
    return { video: v, audio: s };
  };
  for (const e of all) {
    const until = deadline - SAMPLE_GAP_MS - 3_000;
    let got;
    for (;;) {
      got = await e.page.evaluate(decoding);
      if (got.video >= 2 && got.audio >= 2) break;
      if (Date.now() > until) {
        throw new Failure(`${e.person.role}: decodes video from ${got.video} and audio from ${got.audio} stream(s), not 2 each, ${elapsed()} into the run`);
      }
      await sleep(250);
    }
  }
  log("media decoded on every page; sampling");
  const first = await Promise.all(all.map(snap));
  await sleep(SAMPLE_GAP_MS);
  const second = await Promise.all(all.map(snap));

  const summary = { ok: true, base, chromium: browser.version(), sample_gap_ms: SAMPLE_GAP_MS, lobby, pages: {} };
  all.forEach((e, i) => {
    const who = e.person.role;
    const before = first[i], after = second[i];
    const others = people.filter((p) => p !== e.person);
    const otherIds = others.map((p) => p.participant_id).sort();
    const video = growing(before, after, "video", "framesDecoded");
    const audio = growing(before, after, "audio", "totalSamplesReceived");
    summary.pages[who] = {
      participant: e.person.participant_id,
      connection: after.pc,
      transport: after.transport,
      peer_connections_created: after.pcsCreated,
      inbound: after.inbound.map((s) => ({
        kind: s.kind, ssrc: s.ssrc, codec: s.codec, packetsReceived: s.packetsReceived,
        ...(s.kind === "video" ? { framesDecoded: s.framesDecoded, frameWidth: s.frameWidth, frameHeight: s.frameHeight } : { totalSamplesReceived: s.totalSamplesReceived }),
      })),
      video_growing: video,
      audio_growing: audio,
      outbound: after.outbound,
      tiles: after.tiles,
      roster: after.roster.map((p) => `${p.id}:${p.presence}`),
    };
    const pub = (streams) => [...new Set(streams.map((s) => s.publisher))].sort();
    check(after.pcsCreated === 1 && after.samePc, `${who}: expected exactly one RTCPeerConnection (window.balie.pc), found ${after.pcsCreated}`);
    check(after.pc.connectionState === "connected", `${who}: peer connection is ${after.pc.connectionState}`);
    check(after.transport?.dtlsState === "connected", `${who}: DTLS is ${after.transport?.dtlsState}`);
    // The SFU announces only the addresses it is given (127.0.0.1 here), and media uses one of
    // them. (Chromium hides the address of a peer-reflexive remote candidate, so the selected
    // pair is matched by port; in this namespace 127.0.0.1 is the only address there is anyway.)
    const announced = e.serverCandidates.map((c) => c.split(" ")).map((f) => ({ address: f[4], port: Number(f[5]), type: f[7] }));
    summary.pages[who].server_candidates = [...new Set(e.serverCandidates)];
    check(announced.length > 0, `${who}: the server sent no ICE candidates`);
    check(announced.every((c) => c.address === "127.0.0.1"), `${who}: the SFU announces addresses other than 127.0.0.1: ${JSON.stringify(e.serverCandidates)}`);
    const remotePort = Number(/:(\d+)$/.exec(after.transport?.selectedPair?.remote ?? "")?.[1]);
    check(announced.some((c) => c.port === remotePort), `${who}: media goes to ${after.transport?.selectedPair?.remote}, not to an announced SFU candidate`);
    check(video.length >= 2, `${who}: ${video.length} inbound video stream(s) with framesDecoded growing over ${SAMPLE_GAP_MS} ms, need 2: ${JSON.stringify(after.inbound.filter((s) => s.kind === "video"))}`);
    check(audio.length >= 2, `${who}: ${audio.length} inbound audio stream(s) with totalSamplesReceived growing over ${SAMPLE_GAP_MS} ms, need 2: ${JSON.stringify(after.inbound.filter((s) => s.kind === "audio"))}`);
    // Two streams are not enough: they must be the two others (not this page's own camera echoed).
    check(JSON.stringify(pub(video)) === JSON.stringify(otherIds), `${who}: decoded video comes from participants ${JSON.stringify(pub(video))}, expected ${JSON.stringify(otherIds)}`);
    check(JSON.stringify(pub(audio)) === JSON.stringify(otherIds), `${who}: decoded audio comes from participants ${JSON.stringify(pub(audio))}, expected ${JSON.stringify(otherIds)}`);
    // Simulcast: the page publishes its camera in several layers (rid q/h/f; Chromium leaves out
    // layers the camera is too small for), at least two of them sending between the samples.
    const layersSending = after.outbound.filter((o) => o.kind === "video" && o.rid &&
      o.packetsSent > (before.outbound.find((b) => b.ssrc === o.ssrc)?.packetsSent ?? 0));
    summary.pages[who].simulcast_layers_sending = layersSending.map((o) => `${o.rid} ${o.frameWidth}px`).sort();
    check(layersSending.length >= 2, `${who}: publishes ${layersSending.length} simulcast layer(s) that send, need 2: ${JSON.stringify(after.outbound)}`);
    // 5. What the person sees: everyone in the roster, a playing, named tile for each other.
    const rosterIds = after.roster.filter((p) => p.presence === "in_call").map((p) => p.id).sort();
    const everyone = people.map((p) => p.participant_id).sort();
    check(JSON.stringify(rosterIds) === JSON.stringify(everyone), `${who}: roster in_call is ${JSON.stringify(rosterIds)}, expected ${JSON.stringify(everyone)}`);
    for (const o of others) {
      check(after.tiles.some((t) => t.caption.startsWith(`${o.name} (`) && t.playing && t.videoWidth > 0),
        `${who}: no playing video tile named "${o.name}": ${JSON.stringify(after.tiles)}`);
    }
  });
  // In a call of three the SFU forwards each publisher's best layer that is sending: every
  // picture arrives as wide as the widest layer its publisher sends.
  for (const [i, e] of all.entries()) {
    for (const o of people.filter((p) => p !== e.person)) {
      const from = all.findIndex((x) => x.person === o);
      const widest = Math.max(...second[from].outbound.filter((x) => x.kind === "video" && x.packetsSent > 0).map((x) => x.frameWidth ?? 0));
      const got = second[i].inbound.find((s) => s.kind === "video" && publisherOf(second[i], s.trackIdentifier) === o.participant_id);
      summary.pages[e.person.role][`video_from_${o.role}_px`] = got?.frameWidth;
      check(got?.frameWidth === widest, `${e.person.role}: receives ${o.role}'s video ${got?.frameWidth} px wide, but ${o.role} sends a ${widest} px layer`);
    }
  }
  // 6. The agent sees every participant's connection quality from the SFU, with media flowing in.
  const agentEntry = pages.agent;
  await waitFor(agentEntry, "the agent's quality table lists three participants receiving media",
    () => {
      const rows = [...document.querySelectorAll("#stats tbody tr")];
      return rows.length >= 3 && rows.every((r) => Number(r.children[1].textContent.replace(/\D/g, "")) > 0);
    });
  summary.agent_quality_rows = await agentEntry.page.evaluate(() =>
    [...document.querySelectorAll("#stats tbody tr")].map((r) => [...r.children].map((c) => c.textContent)));
  summary.elapsed_ms = Date.now() - started;
  return summary;
}

async function diagnostics() {
  const out = {};
  for (const [role, e] of Object.entries(pages)) {
    let state;
    try {
      state = await Promise.race([snap(e), sleep(3_000).then(() => "snapshot timed out")]);
    } catch (err) {
      state = `snapshot failed: ${err.message}`;
    }
    out[role] = { state, signalling: e.frames.map((f) => `${f.at}ms ${f.dir} ${f.type}${f.detail ? ` (${f.detail})` : ""}`), console: e.console };
  }
  return out;
}

const watchdog = setTimeout(async () => {
  process.stderr.write(`e2e: FAILED: overall timeout of ${OVERALL_TIMEOUT_MS / 1000} s\n`);
  console.log(JSON.stringify({ ok: false, error: "overall timeout", diagnostics: await diagnostics() }, null, 2));
  await Promise.race([browser?.close(), sleep(3_000)]);
  process.exit(1);
}, OVERALL_TIMEOUT_MS + 5_000);

let code = 0;
try {
  const summary = await main();
  console.log(JSON.stringify(summary, null, 2));
  log("PASSED");
} catch (e) {
  code = 1;
  const message = e instanceof Failure ? e.message : `${e.stack || e}`;
  const diag = await diagnostics();
  console.log(JSON.stringify({ ok: false, error: message, diagnostics: diag }, null, 2));
  process.stderr.write(`e2e: FAILED: ${message}\n`);
  // One line per page with what usually explains a media failure (the full record is on stdout).
  for (const [role, d] of Object.entries(diag)) {
    const st = typeof d.state === "object" ? d.state : {};
    const problems = d.console.filter((l) => !l.includes("Failed to load resource"));
    process.stderr.write(`e2e: ${role}: peer connection ${st.pc?.connectionState ?? "none"} / ${st.pc?.signalingState ?? "-"}, DTLS ${st.transport?.dtlsState ?? "-"}, ` +
      `inbound ${(st.inbound ?? []).map((x) => x.kind).join("+") || "none"}, outbound ${(st.outbound ?? []).map((x) => x.kind).join("+") || "none"}` +
      `${problems.length ? `; last page error: ${problems.at(-1)}` : ""}\n`);
  }
} finally {
  clearTimeout(watchdog);
  await Promise.race([browser?.close(), sleep(5_000)]);
}
process.exit(code);
