// The staff console (/balie) in Chromium, keyboard first: a wrong password's message, then
// sign-in; the agenda shows the appointment the Rust test booked; its details; a third party
// added and removed; notes saved; the citizen's link resent; "open the call" leads to /gesprek
// with a token; a follow-up prefilled; booking on behalf with the error summary first. axe-core
// on sign-in, agenda and details in nl and en. Screenshots: target/screenshots/console-*.png.
//
//   node tests/e2e/console.mjs <<< '{"base": "http://127.0.0.1:PORT", "id": 1, "day": "2026-05-04"}'

import { check, expectAccessible, launch, log, readInput, recordConsole, runMain, screenshot, tabTo } from "./lib.mjs";

const AGENT = { email: "agent@lindeveld.example", password: "demo-agent-balie" };

async function waitText(page, selector, text) {
  await page.waitForFunction(([s, x]) => document.querySelector(s)?.textContent.includes(x), [selector, text], { timeout: 10_000 })
    .catch(async () => { throw new Error(`${selector} never said "${text}"; it says: ${await page.textContent(selector).catch(() => "(missing)")}`); });
}

async function live(page) {
  await page.waitForTimeout(120);
  return page.textContent("#live");
}

runMain(async () => {
  const { base, id, day } = readInput();
  const browser = await launch();
  const summary = { ok: true, axe: {} };
  try {
    const context = await browser.newContext({ locale: "nl-BE" });
    const page = await context.newPage();
    const consoleLines = recordConsole(page, "balie");
    await page.goto(`${base}/balie?taal=nl`);
    await page.waitForSelector("#signin:not([hidden])");
    summary.axe["signin-nl"] = await expectAccessible(page, "sign-in (nl)");
    await screenshot(page, "console-signin-nl");

    // Keyboard only: a wrong password first.
    await tabTo(page, "#signin-email");
    await page.keyboard.type(AGENT.email);
    await page.keyboard.press("Tab");
    await page.keyboard.type("niet-het-wachtwoord");
    await page.keyboard.press("Enter");
    await page.waitForSelector("#signin-error:not([hidden])");
    const wrong = await page.textContent("#signin-error");
    check(wrong.includes("klopt niet"), `wrong password message: ${wrong}`);
    check(await page.evaluate(() => document.activeElement.id) === "signin-password", "focus back on the password");
    await screenshot(page, "console-signin-wrong");
    summary.wrong_password = wrong;
    await page.keyboard.type(AGENT.password);
    await page.keyboard.press("Enter");
    await page.waitForSelector("#agenda-heading");
    await waitText(page, "#whoami", "An Peeters");
    log("signed in");

    // The agenda on the appointment's day.
    await page.fill("#agenda-day", day);
    await page.dispatchEvent("#agenda-day", "change");
    const row = `button[data-appointment="${id}"]`;
    await page.waitForSelector(row);
    check((await page.textContent(row)).includes("Jan Janssens"), "the agenda shows the citizen");
    const rowText = await page.textContent(`tr:has(${row})`);
    check(rowText.includes("Video") && rowText.includes("Gepland") && rowText.includes("Afval en milieu"), `agenda row: ${rowText}`);
    summary.agenda_announced = await live(page);
    check(/1 afspraak/.test(summary.agenda_announced), `announced: ${summary.agenda_announced}`);
    summary.axe["agenda-nl"] = await expectAccessible(page, "agenda (nl)");
    await screenshot(page, "console-agenda");

    // Details, by keyboard.
    await tabTo(page, row, 60);
    await page.keyboard.press("Enter");
    await page.waitForSelector("#details-heading");
    check(await page.evaluate(() => document.activeElement.id) === "details-heading", "focus on the details' heading");
    summary.axe["details-nl"] = await expectAccessible(page, "details (nl)");
    await screenshot(page, "console-details");

    // A third party in, then out.
    await page.fill("#party-name", "Sara Haddad");
    await page.fill("#party-email", "sara@example.org");
    await page.selectOption("#party-relation", "interpreter");
    await page.click("#party-form button[type=submit]");
    await waitText(page, ".parties", "Sara Haddad");
    await waitText(page, "#details-result", "Sara Haddad is toegevoegd");
    await screenshot(page, "console-party-added");
    await page.click('button[aria-label="Sara Haddad verwijderen"]');
    await waitText(page, "#details-result", "Sara Haddad is verwijderd");
    check(!(await page.textContent("#view-details")).includes("sara@example.org"), "the third party is gone");
    summary.party_removed = await live(page);

    // Notes.
    await page.fill("#notes-text", "Terugbellen over het bouwplan.\nDocumenten nagekeken.");
    await page.click("#notes-save");
    await page.waitForSelector("#notes-saved");
    await waitText(page, "#details-result", "bewaard");
    await screenshot(page, "console-notes");

    // The citizen's link, resent.
    await page.click("#resend-citizen");
    await waitText(page, "#details-result", "jan@example.org");
    summary.resent = await page.textContent("#details-result");

    // Open the call: a tab on /gesprek with a token.
    // The call page takes the token out of its address at once, so it is read from the answer.
    const linkAnswer = page.waitForResponse((r) => r.url().endsWith(`/api/v1/afspraken/${id}/gesprek`));
    const [call] = await Promise.all([context.waitForEvent("page"), page.click("#open-call")]);
    const { url: link } = await (await linkAnswer).json();
    await call.waitForURL(/\/gesprek/, { timeout: 10_000 });
    const opened = new URL(call.url());
    const url = new URL(link);
    check(opened.pathname === "/gesprek" && url.pathname === "/gesprek" && /^#[0-9a-f]{40}$/.test(url.hash), `the call page: ${call.url()} from ${link}`);
    summary.call_token = url.hash.slice(1);
    await call.waitForLoadState("load");
    await screenshot(call, "console-call");
    await call.close();

    // A follow-up appointment: the form comes prefilled.
    await page.click("#follow-up");
    await page.waitForSelector("#book-heading");
    check(await page.inputValue("#book-name") === "Jan Janssens", "follow-up prefilled with the name");
    check(await page.inputValue("#book-email") === "jan@example.org", "follow-up prefilled with the e-mail");

    // Book on behalf of someone else: first without consent, so the summary takes focus.
    await page.click('[data-view="book"]');
    await page.waitForSelector("#book-heading");
    await page.waitForFunction(() => document.querySelector("#book-start")?.value);
    await page.fill("#book-name", "Maria Peeters");
    await page.fill("#book-email", "maria@example.org");
    await page.fill("#book-phone", "0470 12 34 56");
    await page.click("#add-party");
    await page.fill("#party-0-name", "Tom Peeters");
    await page.fill("#party-0-email", "niet-geldig");
    await page.click("#book-submit");
    await page.waitForSelector("#book-summary:not([hidden])");
    check(await page.evaluate(() => document.activeElement.id) === "book-summary", "the error summary has focus");
    const errors = await page.textContent("#book-summary");
    check(errors.includes("toestemming") && errors.includes("e-mailadres"), `summary: ${errors}`);
    check(await page.getAttribute("#party-0-email", "aria-invalid") === "true", "the bad field is marked");
    check((await page.textContent("#book-form")).includes("Lees de toestemming voor"), "the message sits next to the consent");
    await screenshot(page, "console-book-errors");
    await page.fill("#party-0-email", "tom@example.org");
    await page.check("#book-consent");
    await page.click("#book-submit");
    await page.waitForFunction(() => document.querySelector("#details-heading")?.textContent.includes("Maria Peeters"), null, { timeout: 10_000 });
    await screenshot(page, "console-booked");
    summary.booked = await page.textContent("#details-result");

    // Failed e-mails: the list shows (none in this test).
    await page.click('[data-view="mail"]');
    await page.waitForSelector("#mail-heading");
    await screenshot(page, "console-mail");

    // English: details, agenda and sign-in again, with axe.
    await page.click('[data-view="agenda"]');
    await page.waitForSelector(row);
    await page.selectOption("#language-picker", "en");
    await page.waitForFunction(() => document.documentElement.lang === "en" && document.querySelector("#agenda-heading"));
    await waitText(page, `tr:has(${row})`, "Booked");
    summary.axe["agenda-en"] = await expectAccessible(page, "agenda (en)");
    await screenshot(page, "console-agenda-en");
    await page.click(row);
    await page.waitForSelector("#details-heading");
    await waitText(page, "#details-heading", "Appointment with Jan Janssens");
    summary.axe["details-en"] = await expectAccessible(page, "details (en)");
    await screenshot(page, "console-details-en");
    await page.click("#logout");
    await page.waitForSelector("#signin:not([hidden])");
    await waitText(page, "#signin-heading", "Sign in");
    summary.axe["signin-en"] = await expectAccessible(page, "sign-in (en)");
    await screenshot(page, "console-signin-en");

    // Refused requests (401 before sign-in, the wrong password, the 422) are expected; script errors are not.
    const errorsSeen = consoleLines.filter((l) => l.includes("pageerror") || (l.includes("console.error") && !l.includes("Failed to load resource")));
    check(errorsSeen.length === 0, `script errors: ${errorsSeen.join(" / ")}`);
    summary.http_errors = consoleLines.filter((l) => l.includes("HTTP "));
    await context.close();
  } finally {
    await browser.close();
  }
  return summary;
});
