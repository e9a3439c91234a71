// A newcomer's journey, in two phases driven by tests/tests/browser_journey.rs:
//
//   {"phase": "book", base}   books a video appointment on /afspraak-maken (with one invited
//                             person) and prints the chosen start. Rust then reads the links from
//                             the delivered e-mails.
//   {"phase": "call", base, citizen_url, guest_url, appointment_id, day, agent: {email, password}}
//     1. the invited person's browser denies camera and microphone (no fake permission UI, en):
//        the check shows the help for that, and they join view-only;
//     2. a browser without any devices (nl) shows the "no devices found" help;
//     3. the citizen, keyboard only: welcome → device check passes → lobby;
//     4. the agent signs in on /balie, opens the appointment's call, passes the check, sees both
//        waiting with what their device checks found, and admits the citizen;
//     5. agent and citizen decode each other's video;
//     6. the agent lets the invited person in too (view-only, English);
//     7. the agent ends the call; both see the end page.
//   axe-core finds no WCAG 2.1 A/AA violation at any step; screenshots: target/screenshots/journey-*.

import { setTimeout as sleep } from "node:timers/promises";
import { check, expectAccessible, launch, log, readInput, recordConsole, runMain, screenshot, tabTo } from "./lib.mjs";

const FAKE_UI = "--use-fake-ui-for-media-stream";
const FAKE_DEVICES = "--use-fake-device-for-media-stream";

async function book(base) {
  const browser = await launch();
  try {
    const page = await (await browser.newContext({ locale: "nl-BE" })).newPage();
    await page.goto(`${base}/afspraak-maken`);
    await page.waitForSelector("#topic-all");
    await page.check("#topic-all");
    await page.check("#service-afval-en-milieu");
    for (let week = 0; week < 4; week++) {
      const found = await page.waitForFunction(() => document.querySelector("#moments input[name=moment]") || /geen/i.test(document.querySelector("#moments-note")?.textContent ?? ""), null, { timeout: 15_000 });
      if (await page.$("#moments input[name=moment]")) break;
      await found.dispose();
      await page.click("#week-next");
    }
    const moment = page.locator("#moments input[name=moment]").first();
    const start = await moment.getAttribute("data-start");
    await moment.check();
    await page.waitForSelector("#step-details:not([hidden])");
    await page.fill("#name", "Lotte Claes");
    await page.fill("#email", "lotte@example.org");
    await page.click("#add-third-party");
    await page.fill("#tp-0-name", "Ward Claes");
    await page.fill("#tp-0-email", "ward@example.org");
    await page.selectOption("#tp-0-relation", "family");
    await page.check("#consent");
    await screenshot(page, "journey-00-booking");
    await page.click("#book");
    await page.waitForSelector("#confirmation:not([hidden])", { timeout: 15_000 });
    return { ok: true, start };
  } finally {
    await browser.close();
  }
}

/** Opens a personal link and goes to the device check. */
async function toCheck(page, url) {
  await page.goto(url);
  await page.waitForSelector("#welcome:not([hidden])");
  await page.click("#to-check");
  await page.waitForSelector("#check:not([hidden])");
}

async function framesDecoded(page) {
  return page.evaluate(async () => {
    let frames = 0;
    (await window.balie.pc.getStats()).forEach((s) => { if (s.type === "inbound-rtp" && s.kind === "video") frames += s.framesDecoded ?? 0; });
    return frames;
  });
}

async function call(input) {
  const { base, citizen_url, guest_url, appointment_id, day, agent } = input;
  const summary = { ok: true, axe: {}, help: {} };

  // 1. The invited person: camera and microphone refused (no fake permission UI, nothing granted).
  const refusing = await launch([], { without: [FAKE_UI] });
  const guestContext = await refusing.newContext({ locale: "en-GB" });
  const guest = await guestContext.newPage();
  const guestConsole = recordConsole(guest, "guest");
  await guest.goto(guest_url);
  await guest.waitForSelector("#welcome:not([hidden])");
  summary.axe.welcome_en = await expectAccessible(guest, "welcome (en)");
  check((await guest.textContent("#welcome-title")).includes("Welcome"), "the welcome page is in English");
  await screenshot(guest, "journey-01-welcome-en");
  await guest.click("#to-check");
  await guest.waitForSelector("#check-help:not([hidden])", { timeout: 20_000 });
  summary.help.denied = await guest.textContent("#check-help");
  check(summary.help.denied.includes("does not allow access") && summary.help.denied.includes("Allow"),
    `the help for a refused permission: ${summary.help.denied}`);
  check(await guest.getAttribute("#camera-result", "data-result") === "error", "the camera is marked as not working");
  summary.axe.check_denied_en = await expectAccessible(guest, "device check, permission denied (en)");
  await screenshot(guest, "journey-02-check-denied-en");
  await guest.click("#join-view");
  await guest.waitForSelector("#lobby:not([hidden])");
  summary.axe.lobby_en = await expectAccessible(guest, "lobby (en)");

  // 2. No camera or microphone at all.
  const bare = await launch([], { without: [FAKE_DEVICES] });
  const bareContext = await bare.newContext({ locale: "nl-BE" });
  await bareContext.grantPermissions(["camera", "microphone"], { origin: base });
  const nodev = await bareContext.newPage();
  await toCheck(nodev, guest_url);
  await nodev.waitForSelector("#check-help:not([hidden])", { timeout: 20_000 });
  summary.help.missing = await nodev.textContent("#check-help");
  check(summary.help.missing.includes("We vinden geen camera of microfoon"), `the help when there are no devices: ${summary.help.missing}`);
  summary.axe.check_missing_nl = await expectAccessible(nodev, "device check, no devices (nl)");
  await screenshot(nodev, "journey-03-check-no-devices-nl");
  await bare.close();

  // 3. The citizen, with the keyboard only.
  const browser = await launch();
  const citizenContext = await browser.newContext({ locale: "nl-BE" });
  await citizenContext.grantPermissions(["camera", "microphone"], { origin: base });
  const citizen = await citizenContext.newPage();
  const citizenConsole = recordConsole(citizen, "citizen");
  await citizen.goto(citizen_url);
  await citizen.waitForSelector("#welcome:not([hidden])");
  check((await citizen.textContent("#welcome-details")).includes("Lotte Claes"), "the welcome greets the citizen by name");
  summary.axe.welcome_nl = await expectAccessible(citizen, "welcome (nl)");
  await screenshot(citizen, "journey-04-welcome-nl");
  await tabTo(citizen, "#to-check");
  await citizen.keyboard.press("Enter");
  await citizen.waitForSelector('#camera-result[data-result="ok"]', { timeout: 20_000 });
  // The fake microphone beeps: the level meter must move and say so.
  await citizen.waitForSelector('#mic-result[data-result="ok"]', { timeout: 10_000 });
  check(await citizen.isHidden("#retry-check") && await citizen.isHidden("#check-help"), "no help or retry button when everything works");
  summary.axe.check_nl = await expectAccessible(citizen, "device check (nl)");
  await screenshot(citizen, "journey-05-check-nl");
  await tabTo(citizen, "#join");
  await citizen.keyboard.press("Enter");
  await citizen.waitForSelector("#lobby:not([hidden])");
  summary.axe.lobby_nl = await expectAccessible(citizen, "lobby (nl)");
  await screenshot(citizen, "journey-06-lobby-nl");

  // 4. The agent: sign in, the appointment, open its call.
  const agentContext = await browser.newContext({ locale: "nl-BE" });
  await agentContext.grantPermissions(["camera", "microphone"], { origin: base });
  const console = await agentContext.newPage();
  await console.goto(`${base}/balie`);
  await console.fill("#signin-email", agent.email);
  await console.fill("#signin-password", agent.password);
  await console.press("#signin-password", "Enter");
  await console.waitForSelector("#agenda-heading");
  await console.fill("#agenda-day", day);
  await console.dispatchEvent("#agenda-day", "change");
  await console.click(`button[data-appointment="${appointment_id}"]`);
  const [host] = await Promise.all([agentContext.waitForEvent("page"), console.click("#open-call")]);
  const hostConsole = recordConsole(host, "agent");
  await host.waitForSelector("#welcome:not([hidden])");
  await host.click("#to-check");
  await host.waitForSelector('#camera-result[data-result="ok"]', { timeout: 20_000 });
  await host.click("#join");
  await host.waitForSelector("#call:not([hidden])");
  await host.waitForFunction(() => document.querySelectorAll("#waiting li[data-participant]").length === 2, null, { timeout: 15_000 });
  const waiting = await host.$$eval("#waiting li[data-participant]", (lis) => lis.map((li) => li.textContent));
  summary.agent_lobby = waiting;
  check(waiting.some((w) => w.includes("Lotte Claes") && w.includes("camera: werkt")), `the citizen's device check in the agent's lobby: ${waiting}`);
  check(waiting.some((w) => w.includes("Ward Claes") && w.includes("camera: geen toestemming")), `the invited person's refused camera in the agent's lobby: ${waiting}`);
  summary.axe.call_agent = await expectAccessible(host, "call, agent with people waiting (nl)");
  await screenshot(host, "journey-07-agent-lobby");
  await host.locator("#waiting li", { hasText: "Lotte Claes" }).getByRole("button", { name: "Binnenlaten" }).click();

  // 5. Both see each other.
  await citizen.waitForSelector("#call:not([hidden])");
  for (const [who, page] of [["citizen", citizen], ["agent", host]]) {
    await page.waitForFunction(() => window.balie?.pc, null, { timeout: 15_000 });
    let before = 0;
    const until = Date.now() + 20_000;
    while ((before = await framesDecoded(page)) === 0) {
      check(Date.now() < until, `${who}: no video decoded`);
      await sleep(250);
    }
    await sleep(1_500);
    const after = await framesDecoded(page);
    check(after > before, `${who}: video frames stopped at ${before}`);
    summary[`${who}_frames`] = after;
  }
  await citizen.waitForFunction(() => [...document.querySelectorAll("#tiles [data-stream] figcaption")].some((c) => c.textContent.startsWith("An Peeters (medewerker)")));
  // The invited person too, view-only and in English.
  await host.locator("#waiting li", { hasText: "Ward Claes" }).getByRole("button", { name: "Binnenlaten" }).click();
  await guest.waitForSelector("#call:not([hidden])", { timeout: 15_000 });
  await guest.waitForFunction(() => [...document.querySelectorAll("#tiles [data-stream] figcaption")].some((c) => c.textContent.startsWith("An Peeters (civil servant)")), null, { timeout: 15_000 });
  check(await guest.isDisabled("#mute") && await guest.isDisabled("#camera"), "view-only: nothing to mute or switch off");
  check(await guest.isHidden("#end"), "only the agent can end the call for everyone");
  summary.axe.call_guest_en = await expectAccessible(guest, "call, invited person view-only (en)");
  await screenshot(guest, "journey-08b-call-guest-en");
  summary.axe.call_citizen = await expectAccessible(citizen, "call, citizen (nl)");
  await screenshot(citizen, "journey-08-call-citizen");
  await screenshot(host, "journey-09-call-agent");

  // 6. The agent ends the call for everyone.
  host.once("dialog", (d) => d.accept());
  await host.click("#end");
  await citizen.waitForSelector("#ended:not([hidden])", { timeout: 15_000 });
  summary.citizen_end = await citizen.textContent("#ended-text");
  check(summary.citizen_end.includes("beëindigd"), `the citizen's end page: ${summary.citizen_end}`);
  summary.axe.ended_nl = await expectAccessible(citizen, "end page (nl)");
  await screenshot(citizen, "journey-10-ended");
  await guest.waitForSelector("#ended:not([hidden])", { timeout: 15_000 });
  summary.guest_end = await guest.textContent("#ended-text");
  check(summary.guest_end.includes("has ended"), `the invited person's end page: ${summary.guest_end}`);
  summary.axe.ended_en = await expectAccessible(guest, "end page (en)");
  const errors = [...guestConsole, ...citizenConsole, ...hostConsole].filter((l) => l.includes("pageerror"));
  check(errors.length === 0, `script errors: ${errors.join(" / ")}`);
  await refusing.close();
  await browser.close();
  return summary;
}

runMain(async () => {
  const input = readInput();
  log(`phase ${input.phase}`);
  return input.phase === "book" ? book(input.base) : call(input);
}, 150_000);
