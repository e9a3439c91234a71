// The citizen's appointment page (/afspraak#TOKEN) in Debian's Chromium: it shows the
// appointment, moves it to another free moment, then cancels it.
//
//   node tests/e2e/appointment.mjs < input.json      input: {"manage_url": "http://…/afspraak#TOKEN"}
//
// Prints a JSON summary and exits 0, or says what failed and exits 1. tests/tests/browser_call.rs
// runs it (in a loopback-only network namespace) and checks the result in the database.

import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";
import { expectAccessible, screenshot } from "./lib.mjs";

const CHROMIUM = process.env.BALIE_E2E_CHROMIUM || "/usr/bin/chromium";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const { manage_url } = JSON.parse(readFileSync(0, "utf8"));

const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 30_000 });
const errors = [];
let page;
try {
  page = await (await browser.newContext({ locale: "nl-BE" })).newPage();
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") errors.push(`console: ${m.text()}`); });
  page.on("dialog", (d) => d.accept());
  await page.goto(manage_url);
  const status = page.locator("#status");
  await status.filter({ hasText: "Uw afspraak staat vast." }).waitFor({ timeout: 15_000 });
  const service = await page.locator("#service").textContent();
  await expectAccessible(page, "appointment page (nl)");
  await screenshot(page, "appointment-nl");
  const whenBefore = await page.locator("#when").textContent();
  const hashBefore = await page.evaluate(() => location.hash);
  // Another moment than the booked one (the booked one is no longer offered).
  const options = await page.locator("#moment option").evaluateAll((os) => os.map((o) => o.value));
  // Beyond the 24 h notice, so that the page may cancel it afterwards.
  const later = options.find((v) => new Date(v).getTime() > Date.now() + 2 * 86_400_000);
  if (!later) throw new Error(`no moment offered two days ahead: ${options.join(", ")}`);
  await page.selectOption("#moment", later);
  await page.click("#move");
  await status.filter({ hasText: "verplaatst" }).waitFor({ timeout: 15_000 });
  const whenAfter = await page.locator("#when").textContent();
  const hashAfter = await page.evaluate(() => location.hash);
  await page.click("#cancel");
  await status.filter({ hasText: "geannuleerd" }).waitFor({ timeout: 15_000 });
  const changeHidden = await page.locator("#change").isHidden();
  // The same page in English, switched with the picker: texts and status follow.
  await page.selectOption("#language-picker", "en");
  await status.filter({ hasText: "cancelled" }).waitFor({ timeout: 5_000 });
  await page.locator("h1", { hasText: "Your appointment" }).waitFor({ timeout: 5_000 });
  await expectAccessible(page, "appointment page, cancelled (en)");
  await screenshot(page, "appointment-cancelled-en");
  if (whenAfter === whenBefore) throw new Error(`the page still shows ${whenBefore} after the move`);
  if (!changeHidden) throw new Error("a cancelled appointment still offers to move or cancel it");
  if (errors.length) throw new Error(`page errors: ${errors.join("; ")}`);
  process.stdout.write(JSON.stringify({ ok: true, service, when_before: whenBefore, when_after: whenAfter,
    hash_before: hashBefore, hash_after_move: hashAfter }));
} catch (e) {
  const shown = page ? await page.locator("#status").textContent().catch(() => "?") : "?";
  process.stderr.write(`e2e: ${e.message} (the page says: ${shown}; errors: ${errors.join(" | ") || "none"})\n`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
