// Back from the payment provider, in headless Chromium: the payer pays on the (fake) Mollie
// checkout page, Mollie sends them back to balie's /betaling#<id>, and that page shows "paid"
// even though Mollie's webhook has not arrived (the page asks balie, which asks Mollie). Also in
// English, and checked with axe.
//
//   node tests/e2e/payment_return.mjs < input.json
//
// Input: {checkout_url}. Prints a JSON summary (exit 0) or what failed (exit 1).

import { check, expectAccessible, launch, log, readInput, recordConsole, runMain, screenshot } from "./lib.mjs";

const STEP = 20_000;

runMain(async () => {
  const { checkout_url: checkout } = readInput();
  const browser = await launch();
  const summary = { axe: {} };
  try {
    const context = await browser.newContext({ locale: "nl-BE", viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    const lines = recordConsole(page, "payer");
    await page.goto(checkout);
    await page.click('button[value="paid"]', { timeout: STEP });
    await page.waitForURL(/\/betaling#pay_[0-9a-f]{32}$/, { timeout: STEP });
    summary.returned_to = new URL(page.url()).pathname;
    await page.waitForSelector('[data-testid=return-result][data-state=paid]', { timeout: STEP }).catch(async (e) => {
      const shown = await page.locator("[data-testid=return-result]").getAttribute("data-state");
      throw new Error(`the return page shows ${shown}, not paid: ${e.message.split("\n")[0]}\n${lines.join("\n")}`);
    });
    summary.state = "paid";
    summary.heading = (await page.textContent("h1")).trim();
    summary.amount = (await page.textContent("[data-testid=return-amount]")).trim();
    check(summary.amount.includes("€"), `the amount is shown: ${summary.amount}`);
    summary.axe.paid_nl = await expectAccessible(page, "return page, paid (nl)");
    await screenshot(page, "payment-return-paid");
    log("back from the provider: paid");

    // The same page in English.
    const english = await browser.newContext({ locale: "en-GB" });
    const en = await english.newPage();
    await en.goto(page.url());
    await en.waitForSelector('[data-testid=return-result][data-state=paid]', { timeout: STEP });
    summary.heading_en = (await en.textContent("h1")).trim();
    check(summary.heading_en === "Your payment", `the English heading: ${summary.heading_en}`);
    summary.axe.paid_en = await expectAccessible(en, "return page, paid (en)");
    summary.ok = true;
    return summary;
  } finally {
    await browser.close();
  }
}, 60_000);
