// After the call, in headless Chromium: the agent ends a call, the citizen's end page shows the
// satisfaction survey, the citizen answers it; a manager signed in on /dashboard in another
// browser context sees the answer in the figures and the comments and downloads it as CSV; the
// citizen's old link now shows that the call is over (410). The guest skips the survey: the page
// tells the server, so that no e-mail invitation follows.
//
//   node tests/e2e/survey.mjs < input.json
//
// Input: {base, links: [agent, citizen, guest] from POST /api/v1/gesprekken, manager: {email, password}}.
// Prints a JSON summary (exit 0) or what failed (exit 1).

import { check, expectAccessible, launch, log, readInput, recordConsole, runMain, screenshot } from "./lib.mjs";

const STEP = 20_000;
const COMMENT = "Heel vriendelijk geholpen; het beeld viel één keer weg.";

async function join(browser, base, link) {
  const context = await browser.newContext({ locale: "nl-BE", viewport: { width: 1280, height: 900 } });
  await context.grantPermissions(["camera", "microphone"], { origin: base });
  const page = await context.newPage();
  const lines = recordConsole(page, link.role);
  await page.goto(link.url);
  await page.click("#to-check", { timeout: STEP });
  await page.waitForSelector('#camera-result[data-result="ok"]', { timeout: STEP });
  await page.click("#join", { timeout: STEP });
  return { page, lines, link };
}

runMain(async () => {
  const input = readInput();
  const { base } = input;
  const [agentLink, citizenLink, guestLink] = input.links;
  const browser = await launch();
  const summary = { axe: {} };
  try {
    const agent = await join(browser, base, agentLink);
    const citizen = await join(browser, base, citizenLink);
    const item = agent.page.locator(`#waiting li[data-participant="${citizenLink.participant_id}"]`);
    await item.getByRole("button", { name: "Binnenlaten", exact: true }).click({ timeout: STEP });
    await citizen.page.waitForFunction(() => window.balie?.me?.presence === "in_call" && !!window.balie?.pc, null, { timeout: STEP });
    const guest = await join(browser, base, guestLink);
    const guestItem = agent.page.locator(`#waiting li[data-participant="${guestLink.participant_id}"]`);
    await guestItem.getByRole("button", { name: "Binnenlaten", exact: true }).click({ timeout: STEP });
    await guest.page.waitForFunction(() => window.balie?.me?.presence === "in_call", null, { timeout: STEP });
    log("the citizen and the guest are in the call");

    // The agent ends the call for everyone (the page asks to confirm).
    agent.page.once("dialog", (d) => d.accept());
    await agent.page.click("#end", { timeout: STEP });
    await citizen.page.waitForSelector("#ended:not([hidden])", { timeout: STEP });
    await citizen.page.waitForSelector('[data-testid="survey-overall-5"]', { state: "attached", timeout: STEP }).catch((e) => {
      throw new Error(`no survey on the end page: ${e.message.split("\n")[0]}\n${citizen.lines.join("\n")}`);
    });
    summary.axe.survey = await expectAccessible(citizen.page, "end page with the survey");
    await screenshot(citizen.page, "survey-end-page");
    log("the survey is on the end page");
    await citizen.page.locator('[data-testid="survey-overall-5"]').check({ force: true });
    await citizen.page.locator('[data-testid="survey-ease-4"]').check({ force: true });
    await citizen.page.locator('[data-testid="survey-again-yes"]').check({ force: true });
    await citizen.page.fill('[data-testid="survey-comment"]', COMMENT);
    await citizen.page.click('[data-testid="survey-submit"]');
    await citizen.page.waitForSelector('[data-testid="survey-thanks"]', { timeout: STEP }).catch((e) => {
      throw new Error(`no thank-you: ${e.message.split("\n")[0]}\n${citizen.lines.join("\n")}`);
    });
    summary.axe.thanks = await expectAccessible(citizen.page, "end page, thanks");
    log("answered");

    // The guest skips; the page tells the server (no e-mail invitation later).
    await guest.page.waitForSelector('[data-testid="survey-skip"]', { timeout: STEP }).catch((e) => {
      throw new Error(`no survey for the guest: ${e.message.split("\n")[0]}\n${guest.lines.join("\n")}`);
    });
    const skipped = guest.page.waitForResponse((r) => r.url().endsWith("/api/v1/enquete/overslaan"), { timeout: STEP });
    await guest.page.click('[data-testid="survey-skip"]');
    await guest.page.waitForSelector('[data-testid="survey-skipped"]', { timeout: STEP });
    summary.skip_status = (await skipped).status();
    check(summary.skip_status === 204, `skipping answers ${summary.skip_status}, not 204`);
    summary.axe.skipped = await expectAccessible(guest.page, "end page, skipped");
    log("the guest skipped");

    // A manager, in another browser context, on the dashboard.
    const office = await browser.newContext({ locale: "nl-BE", viewport: { width: 1280, height: 1000 }, acceptDownloads: true });
    const dash = await office.newPage();
    const dashLines = recordConsole(dash, "dashboard");
    await dash.goto(`${base}/dashboard`);
    await dash.fill("#signin-email", input.manager.email, { timeout: STEP });
    await dash.fill("#signin-password", input.manager.password);
    await dash.locator("#signin-form").evaluate((f) => f.requestSubmit());
    await dash.waitForSelector("#dashboard:not([hidden])", { timeout: STEP }).catch((e) => {
      throw new Error(`dashboard not shown: ${e.message.split("\n")[0]}\n${dashLines.join("\n")}`);
    });
    await dash.waitForFunction(() => document.querySelector('[data-testid="dash-answered"]')?.textContent?.trim() === "1", null, { timeout: STEP }).catch(async () => {
      const shown = await dash.locator('[data-testid="dash-answered"]').innerText();
      throw new Error(`the dashboard shows ${shown} answers, not 1\n${dashLines.join("\n")}`);
    });
    summary.answered = await dash.locator('[data-testid="dash-answered"]').innerText();
    summary.invited = await dash.locator('[data-testid="dash-invited"]').innerText();
    summary.average = await dash.locator('[data-testid="dash-average"]').innerText();
    const comments = await dash.locator('[data-testid="dash-comments"]').innerText();
    check(comments.includes(COMMENT), `the comment is listed: ${comments}`);
    summary.axe.dashboard = await expectAccessible(dash, "manager dashboard");
    await screenshot(dash, "dashboard");
    // The CSV the link offers, with the manager's session.
    const href = await dash.locator('[data-testid="dash-csv"]').getAttribute("href");
    const csv = await dash.evaluate(async (u) => (await fetch(u)).text(), href);
    check(csv.split(/\r?\n/).filter(Boolean).length === 2 && csv.includes("yes") && csv.includes("Heel vriendelijk geholpen"), `the CSV holds the answer: ${csv}`);
    summary.csv_lines = csv.split(/\r?\n/).filter(Boolean).length;
    // The rooms' exports, for the same period.
    for (const [id, header] of [["dash-csv-evaluations", "day,room_id,room,score,comment"], ["dash-csv-defects", "id,reported_at,room_id,room,status,description"]]) {
      const link = await dash.locator(`[data-testid="${id}"]`).getAttribute("href");
      check(link.includes(`van=`) && link.includes(`tot=`), `${id} follows the period: ${link}`);
      const [status, body] = await dash.evaluate(async (u) => { const r = await fetch(u); return [r.status, await r.text()]; }, link);
      check(status === 200 && body.startsWith(header), `${id}: ${status} ${body.slice(0, 200)}`);
    }

    // The citizen's old link: the call is over.
    const again = await browser.newContext({ locale: "nl-BE" });
    const old = await again.newPage();
    const gone = old.waitForResponse((r) => r.url().endsWith("/api/v1/gesprek-link"), { timeout: STEP });
    await old.goto(citizenLink.url);
    summary.old_link_status = (await gone).status();
    check(summary.old_link_status === 410, `the old link answers ${summary.old_link_status}, not 410`);
    summary.axe.old_link = await expectAccessible(old, "the old link's page");
    await screenshot(old, "old-link-410");
    summary.ok = true;
    return summary;
  } finally {
    await browser.close();
  }
}, 120_000);
