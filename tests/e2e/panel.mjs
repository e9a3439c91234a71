// The co-browsed booking panel in a real call, and the door kiosk, in headless Chromium.
//
//   node tests/e2e/panel.mjs < input.json
//
// Phase "call" — input {phase, base, links: [agent, citizen, guest] as POST /api/v1/gesprekken
// returned them, resource_id, day: "YYYY-MM-DD", extra: service code}:
//   1. all three join (welcome → device check → lobby); the agent admits the citizen and the guest;
//   2. the agent opens the panel, searches courts and picks one: the citizen and the guest see it,
//      each change within 200 ms (timed from the agent's panel_edit leaving its page to the `panel`
//      arriving at the citizen's page, both seen by this script on the same clock);
//   3. the agent picks a day and a slot (a hold), then hands control to the citizen; the guest's
//      panel stays read-only;
//   4. the citizen picks an extra (the quote grows), fills in their address and confirms their
//      details; the agent records how identity was checked and starts the online payment;
//   5. the citizen's panel shows the QR code and the checkout link; a third browser context (the
//      citizen's phone) opens it and approves the payment on the simulated bank's page;
//   6. both the agent's and the citizen's panels show "paid" and the done step.
//   axe-core checks the panel (citizen and guest) and the checkout page.
//
// Phase "kiosk" — input {phase, base, key, pin, expect: "open" | "too_early"}: the door kiosk
// page is set up with the door's key, the PIN is typed on its keypad, and the answer must be the
// expected one; axe-core checks the page in that state.
//
// Prints a JSON summary on stdout (exit 0) or what failed (exit 1).

import { setTimeout as sleep } from "node:timers/promises";
import { check, expectAccessible, launch, log, readInput, recordConsole, runMain, screenshot } from "./lib.mjs";

const LATENCY_LIMIT_MS = 200;
const STEP_TIMEOUT = 20_000;

/**
 * Runs in every page before its scripts: notes the wall-clock time (the same clock in every page
 * of this machine) at which each panel message leaves or arrives, inside the page itself — what
 * a person would see, without the DevTools protocol's own delays.
 */
function timePanelMessages() {
  const times = [];
  Object.defineProperty(window, "__panelTimes", { value: times });
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    try {
      const m = JSON.parse(data);
      if (m.type === "panel_edit") times.push({ dir: "out", at: Date.now() });
    } catch {}
    return send.call(this, data);
  };
  const note = (e) => {
    try {
      const m = JSON.parse(e.data);
      if (m.type === "panel") times.push({ dir: "in", at: Date.now(), by: m.by, version: m.version });
    } catch {}
  };
  // The call page listens with `ws.onmessage = …`.
  const handler = Object.getOwnPropertyDescriptor(WebSocket.prototype, "onmessage");
  Object.defineProperty(WebSocket.prototype, "onmessage", {
    configurable: true,
    get() { return handler.get.call(this); },
    set(fn) { handler.set.call(this, fn && ((e) => { note(e); return fn.call(this, e); })); },
  });
}

async function join(browser, base, link) {
  const context = await browser.newContext({ locale: "nl-BE", viewport: { width: 1400, height: 1000 } });
  await context.grantPermissions(["camera", "microphone"], { origin: base });
  await context.addInitScript(timePanelMessages);
  const page = await context.newPage();
  const logLines = recordConsole(page, link.role);
  const frames = [];
  page.on("websocket", (ws) => {
    ws.on("framesent", (f) => {
      try {
        const m = JSON.parse(f.payload);
        if (m.type?.startsWith("panel")) frames.push({ dir: "out", at: performance.now(), msg: m });
      } catch {}
    });
    ws.on("framereceived", (f) => {
      try {
        const m = JSON.parse(f.payload);
        if (m.type === "panel" || m.type === "error") frames.push({ dir: "in", at: performance.now(), msg: m });
      } catch {}
    });
  });
  await page.goto(link.url);
  await page.click("#to-check", { timeout: STEP_TIMEOUT });
  await page.waitForSelector('#camera-result[data-result="ok"]', { timeout: STEP_TIMEOUT });
  await page.click("#join", { timeout: STEP_TIMEOUT });
  return { page, context, frames, logLines, link };
}

/** Waits until the page's last panel message satisfies `fn(panel, arg)`. Polled from here: the
 * page's CSP forbids evaluating strings, which `waitForFunction` would need for a closure. */
async function panelState(who, what, fn, arg = null) {
  const until = Date.now() + STEP_TIMEOUT;
  let last = null;
  while (Date.now() < until) {
    last = await who.page.evaluate(() => window.balie?.panel ?? null);
    if (fn(last, arg)) return last;
    await sleep(15);
  }
  throw new Error(`${who.link.role}: ${what} did not happen; last panel: ${JSON.stringify(last)}\n${who.logLines.join("\n")}`);
}

async function callPhase(input) {
  const { base } = input;
  const [agentLink, citizenLink, guestLink] = input.links;
  const browser = await launch();
  const summary = { axe: {}, latencies_ms: [] };
  try {
    const agent = await join(browser, base, agentLink);
    const citizen = await join(browser, base, citizenLink);
    const guest = await join(browser, base, guestLink);
    for (const p of [citizen, guest]) {
      const item = agent.page.locator(`#waiting li[data-participant="${p.link.participant_id}"]`);
      await item.getByRole("button", { name: "Binnenlaten", exact: true }).click({ timeout: STEP_TIMEOUT });
    }
    for (const p of [citizen, guest]) {
      await p.page.waitForFunction(() => window.balie?.me?.presence === "in_call", null, { timeout: STEP_TIMEOUT });
    }
    log("all three in the call");

    // 2. The agent opens the panel and searches courts.
    await agent.page.click('[data-testid="panel-toggle"]');
    for (const p of [citizen, guest]) {
      await panelState(p, "the panel opens", (m) => m?.state?.open === true);
      await p.page.waitForSelector("#panel-slot:not([hidden])", { timeout: STEP_TIMEOUT });
    }
    const opened = await panelState(citizen, "identity prefilled", (m) => m?.state?.identity?.name);
    check(opened.state.identity.email === input.citizen_email, `the panel is prefilled with the citizen's e-mail: ${JSON.stringify(opened.state.identity)}`);
    await agent.page.selectOption('[data-testid="panel-kind"]', "court");
    await panelState(citizen, "the court filter", (m) => m?.state?.kind === "court");
    const result = agent.page.locator(`[data-testid="panel-result-${input.resource_id}"]`);
    await result.click({ timeout: STEP_TIMEOUT });
    for (const p of [citizen, guest]) {
      await panelState(p, "the chosen court", (m) => m?.state?.resource_id && m.state.step === "slot");
    }
    const chosenName = await citizen.page.locator("#panel-slot").innerText();
    check(chosenName.includes(input.resource_name), `the citizen's panel shows ${input.resource_name}`);

    // 3. A day and a slot: the server holds it and prices it.
    await agent.page.fill('[data-testid="panel-date"]', input.day);
    const slot = agent.page.locator(`[data-testid="panel-slot-${input.slot}"]`);
    await slot.click({ timeout: STEP_TIMEOUT });
    const held = await panelState(citizen, "the hold", (m) => m?.state?.hold?.reservation_id && m?.state?.quote);
    summary.reservation_id = held.state.hold.reservation_id;
    const quoteBefore = held.state.quote.total_cents;
    log(`held reservation ${summary.reservation_id}, ${quoteBefore} cents`);
    await agent.page.click(`[data-testid="panel-give-${citizenLink.participant_id}"]`);
    await panelState(citizen, "control handed over", (m, id) => m?.controller === id, citizenLink.participant_id);
    await citizen.page.waitForSelector('[data-testid="panel-readonly"][hidden]', { state: "attached", timeout: 5000 }).catch(async () => {
      const why = await citizen.page.evaluate(() => ({ text: document.querySelector('[data-testid="panel-readonly"]')?.textContent,
        me: window.balie?.me, role: window.balie?.role, controller: window.balie?.panel?.controller }));
      throw new Error(`the citizen's panel still says it is read-only: ${JSON.stringify(why)}`);
    });
    check(await guest.page.locator('[data-testid="panel-readonly"]').isVisible(), "the guest's panel says it is read-only");
    check(await guest.page.locator('[data-testid="panel-next-details"]').isDisabled(), "the guest cannot move the panel");

    log("control handed to the citizen");
    // 4. The citizen, now in control, picks the extra, fills in the address, confirms.
    await citizen.page.click('[data-testid="panel-next-details"]');
    await panelState(agent, "the details step", (m) => m?.state?.step === "details");
    await citizen.page.check(`[data-testid="panel-extra-${input.extra}"]`, { timeout: STEP_TIMEOUT });
    const priced = await panelState(agent, "the extra priced in", (m) => m?.state?.quote?.lines?.some((l) => l.code === "sportmateriaal") && m?.state?.hold);
    check(priced.state.quote.total_cents > quoteBefore, `the extra raises the price: ${quoteBefore} → ${priced.state.quote.total_cents}`);
    summary.total_cents = priced.state.quote.total_cents;
    summary.reservation_id = priced.state.hold.reservation_id;
    summary.axe.panel_details_citizen = await expectAccessible(citizen.page, "citizen's panel, details step");
    log(`extra priced in: ${summary.total_cents} cents`);
    await citizen.page.click('[data-testid="panel-next-identify"]');
    await panelState(agent, "the identify step", (m) => m?.state?.step === "identify");
    await citizen.page.fill('[data-testid="panel-identity-address"]', "Kerkstraat 1, 9999 Lindeveld");
    await citizen.page.locator('[data-testid="panel-identity-address"]').blur();
    await panelState(agent, "the address", (m) => m?.state?.identity?.address?.startsWith("Kerkstraat 1"));
    await citizen.page.check('[data-testid="panel-identity-confirmed"]');
    await panelState(agent, "details confirmed", (m) => m?.state?.identity_confirmed === true);
    await agent.page.selectOption('[data-testid="panel-identity-check"]', "eid_shown");
    await panelState(citizen, "identity check recorded", (m) => m?.state?.identity_check === "eid_shown");
    await agent.page.click('[data-testid="panel-next-pay"]');
    await panelState(citizen, "the pay step", (m) => m?.state?.step === "pay");
    check(!(await citizen.page.locator('[data-testid="panel-pay-online"]').isVisible()), "only the agent starts a payment");
    log("identity confirmed and checked; paying online");
    await agent.page.click('[data-testid="panel-pay-online"]');

    // 5. The citizen pays on their phone: a third browser context.
    const open = await panelState(citizen, "the payment", (m) => m?.state?.payment?.status === "open");
    await citizen.page.waitForSelector('[data-testid="panel-qr"]', { timeout: STEP_TIMEOUT });
    const qrLoaded = async () => citizen.page.locator('[data-testid="panel-qr"]').evaluate((img) => img.complete && img.naturalWidth > 0);
    for (let i = 0; i < 100 && !(await qrLoaded()); i++) await sleep(50);
    check(await qrLoaded(), "the QR code image loads");
    const href = await citizen.page.locator('[data-testid="panel-checkout-link"]').getAttribute("href");
    check(href === open.state.payment.checkout_url && href.startsWith(`${base}/betalen#pay_`), `the checkout link: ${href}`);
    summary.axe.panel_pay_citizen = await expectAccessible(citizen.page, "citizen's panel, pay step");
    await screenshot(citizen.page, "panel-citizen-pay");
    const phone = await browser.newContext({ locale: "nl-BE", viewport: { width: 390, height: 844 }, isMobile: true });
    const payPage = await phone.newPage();
    const phoneLog = recordConsole(payPage, "phone");
    await payPage.goto(href);
    await payPage.waitForSelector('[data-testid="pay-result"][data-state="open"]', { state: "attached", timeout: STEP_TIMEOUT }).catch(async (e) => {
      const state = await payPage.locator('[data-testid="pay-result"]').getAttribute("data-state").catch(() => "none");
      throw new Error(`checkout page not open (state ${state}): ${e.message.split("\n")[0]}\n${phoneLog.join("\n")}`);
    });
    summary.axe.checkout = await expectAccessible(payPage, "the simulated bank's checkout");
    log("the phone shows the checkout; approving");
    await payPage.click('[data-testid="pay-approve"]');
    await payPage.waitForSelector('[data-testid="pay-result"][data-state="paid"]', { state: "attached", timeout: STEP_TIMEOUT }).catch((e) => {
      throw new Error(`checkout: ${e.message}\n${phoneLog.join("\n")}`);
    });
    await screenshot(payPage, "checkout-paid");

    // 6. Both see it paid, live.
    for (const p of [agent, citizen]) {
      await panelState(p, "paid", (m) => m?.state?.payment?.status === "paid" && m?.state?.reservation?.status === "confirmed");
      await p.page.waitForSelector('[data-testid="panel-done"]', { state: "visible", timeout: STEP_TIMEOUT });
    }
    const done = await citizen.page.evaluate(() => window.balie.panel);
    check(!JSON.stringify(done).match(/"pin"/i), "the panel never carries the PIN");
    summary.access = done.state.reservation.access;
    summary.axe.panel_done_citizen = await expectAccessible(citizen.page, "citizen's panel, done");
    summary.axe.panel_done_guest = await expectAccessible(guest.page, "guest's panel, done");
    await screenshot(citizen.page, "panel-citizen-done");
    await screenshot(agent.page, "panel-agent-done");
    const guestLast = await guest.page.evaluate(() => window.balie.panel);
    check(guestLast.version === done.version, `the guest sees the same panel (version ${guestLast.version} vs ${done.version})`);

    // Latency: each agent edit, from leaving the agent's page until the citizen's page received
    // the panel it produced (the first panel by the agent after it).
    const sentTimes = (await agent.page.evaluate(() => window.__panelTimes)).filter((t) => t.dir === "out");
    const receivedTimes = (await citizen.page.evaluate(() => window.__panelTimes))
      .filter((t) => t.dir === "in" && t.by === agentLink.participant_id);
    // An edit that changes nothing (the same value twice) produces no panel: it is paired with
    // nothing before the agent's next edit and left out.
    sentTimes.forEach((sent, i) => {
      const nextSend = sentTimes[i + 1]?.at ?? Infinity;
      const next = receivedTimes.find((r) => r.at >= sent.at && r.at < nextSend);
      if (next) summary.latencies_ms.push(next.at - sent.at);
    });
    check(summary.latencies_ms.length >= 5, `enough timed edits: ${summary.latencies_ms.length}`);
    const worst = Math.max(...summary.latencies_ms);
    check(worst <= LATENCY_LIMIT_MS, `a change reached the citizen after ${worst} ms (limit ${LATENCY_LIMIT_MS}): ${summary.latencies_ms}`);
    summary.latency_max_ms = worst;
    summary.conflicts = [agent, citizen].flatMap((p) => p.frames.filter((f) => f.msg.code === "panel_conflict")).length;
    summary.ok = true;
    return summary;
  } finally {
    await browser.close();
  }
}

async function kioskPhase(input) {
  const browser = await launch();
  try {
    const context = await browser.newContext({ locale: "nl-BE", viewport: { width: 1024, height: 768 } });
    const page = await context.newPage();
    const lines = recordConsole(page, "kiosk");
    await page.goto(`${input.base}/deur`);
    await page.fill('[data-testid="deur-setup-key"]', input.key);
    await page.click('[data-testid="deur-setup-save"]');
    await page.waitForSelector('[data-testid="deur-key-ok"]', { state: "visible", timeout: STEP_TIMEOUT });
    const summary = { axe: {} };
    summary.axe.ready = await expectAccessible(page, "kiosk, ready");
    await page.locator('[data-testid="deur-direction-in"]').check({ force: true });
    for (const digit of input.pin) await page.click(`[data-testid="deur-key-${digit}"]`);
    await page.click('[data-testid="deur-key-ok"]');
    const result = page.locator('[data-testid="deur-result"][data-decision]');
    await result.waitFor({ timeout: STEP_TIMEOUT }).catch((e) => {
      throw new Error(`kiosk: no answer: ${e.message}\n${lines.join("\n")}`);
    });
    summary.decision = await result.getAttribute("data-decision");
    summary.reason = await result.getAttribute("data-reason");
    summary.text = (await result.innerText()).trim();
    if (input.expect === "open") {
      check(summary.decision === "open", `the kiosk opens for the PIN: ${JSON.stringify(summary)}`);
    } else {
      check(summary.decision === "refused" && summary.reason === input.expect, `the kiosk refuses (${input.expect}): ${JSON.stringify(summary)}`);
    }
    summary.axe.answer = await expectAccessible(page, `kiosk, ${summary.decision}`);
    await screenshot(page, `kiosk-${input.expect}`);
    await sleep(10);
    return summary;
  } finally {
    await browser.close();
  }
}

runMain(async () => {
  const input = readInput();
  if (input.phase === "call") return callPhase(input);
  if (input.phase === "kiosk") return kioskPhase(input);
  throw new Error(`unknown phase ${input.phase}`);
}, 150_000);
