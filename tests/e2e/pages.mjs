// Every public page, in Dutch and English: it loads without script errors, shows its texts in
// that language (no message key left untranslated on screen), and axe-core finds no WCAG 2.1 A/AA
// violation — also in the states a script builds (`prepare`): the booking form with moments shown
// and with validation errors, the rooms page with results and with a calendar open, the payment
// simulator's page for an unknown payment, the door kiosk's set-up form, the survey page for an
// unknown link, and the satisfaction dashboard and the defect reports signed out.
// Screenshots: target/screenshots/page-<name>-<lang>.png.
//
//   node tests/e2e/pages.mjs <<< '{"base": "http://127.0.0.1:PORT"}'

import { Failure, check, expectAccessible, launch, log, readInput, recordConsole, runMain, screenshot } from "./lib.mjs";

// Afspraak maken: a topic, a service (video only, so the moments load at once), and the week's
// moments (the next week when this one has none).
async function showMoments(page) {
  await page.waitForSelector("#topic-wonen-en-milieu");
  await page.check("#topic-wonen-en-milieu");
  await page.check("input[name=service][value=afval-en-milieu]");
  for (let week = 0; week < 4; week++) {
    await page.waitForFunction(() => document.querySelector("#moments input[name=moment]")
      || document.querySelector("#moments-note:not([hidden])")?.textContent && !document.querySelector("#moments-note.notice:not(.warn):not(.error)"));
    if (await page.$("#moments input[name=moment]")) return;
    await page.click("#week-next");
  }
  throw new Failure("afspraak-maken: no free moments in four weeks");
}

async function showErrors(page) {
  await showMoments(page);
  await page.check("#moments input[name=moment]");
  await page.click("#book");
  await page.waitForFunction(() => document.activeElement?.id === "error-summary");
  const invalid = await page.$$eval("[aria-invalid=true]", (els) => els.map((e) => e.id));
  check(invalid.includes("name") && invalid.includes("email") && invalid.includes("consent"), `afspraak-maken: invalid fields ${invalid}`);
}

async function showResults(page) {
  await page.waitForSelector("#results li.result");
}

async function showCalendar(page) {
  await showResults(page);
  await page.click("#results li.result button");
  await page.waitForSelector("#calendar-table table td[data-status]");
}

async function showUnknownPayment(page) {
  await page.waitForSelector("[data-testid=pay-result][data-state=unknown]");
  check(await page.isHidden("[data-testid=pay-approve]"), "betalen: the buttons show for an unknown payment");
}

// The survey from an e-mail link that does not exist: the page says so in words (no form).
async function showUnknownSurvey(page) {
  await page.waitForSelector("[data-testid=survey-unknown]:not([hidden])");
  check(!(await page.$("[data-testid=survey-submit]")), "enquete: the form shows for an unknown link");
}

// The managers' dashboard before signing in: the console's sign-in form, no figures.
async function showDashboardSignin(page) {
  await page.waitForSelector("#signin:not([hidden]) #signin-email");
  check(await page.isHidden("#dashboard"), "dashboard: the figures show while signed out");
}

// The resource admins' defect reports before signing in: the same sign-in, no reports.
async function showDefectsSignin(page) {
  await page.waitForSelector("#signin:not([hidden]) #signin-email");
  check(await page.isHidden("#defects"), "defecten: the reports show while signed out");
}

const PAGES = [
  { name: "index", path: "/" },
  { name: "afspraak-maken", path: "/afspraak-maken", prepare: (page) => page.waitForSelector("#topics input") },
  { name: "afspraak-maken-moments", path: "/afspraak-maken", prepare: showMoments },
  // The server's 422 is the point of this state; Chromium logs every 4xx as a console error.
  { name: "afspraak-maken-errors", path: "/afspraak-maken", prepare: showErrors, expected: /status of 422/ },
  { name: "zalen", path: "/zalen", prepare: showResults },
  { name: "zalen-calendar", path: "/zalen", prepare: showCalendar },
  // The simulated payment provider's checkout for a payment that does not exist: the server's 404
  // is the point of this state.
  { name: "betalen-unknown", path: "/betalen#tr_onbekend", prepare: showUnknownPayment, expected: /status of 404/ },
  // The return page from the payment provider, for a payment that does not exist: the 404 is the point.
  { name: "betaling-unknown", path: "/betaling#pay_00000000000000000000000000000000", prepare: (page) => page.waitForSelector("[data-testid=return-result][data-state=unknown]"), expected: /status of 404/ },
  // The door kiosk on a fresh tablet: the set-up form asking for the door's API key.
  { name: "deur-setup", path: "/deur", prepare: (page) => page.waitForSelector("#setup:not([hidden]) [data-testid=deur-setup-key]") },
  // The survey page for a survey token that does not exist: the server's 404 is the point.
  { name: "enquete-unknown", path: "/enquete#onbekend", prepare: showUnknownSurvey, expected: /status of 404/ },
  // The satisfaction dashboard signed out: GET /api/v1/sessie answers 401, then the sign-in shows.
  { name: "dashboard-signedout", path: "/dashboard", prepare: showDashboardSignin, expected: /status of 401/ },
  // The defect reports signed out: GET /api/v1/sessie answers 401, then the sign-in shows.
  { name: "defecten-signedout", path: "/defecten", prepare: showDefectsSignin, expected: /status of 401/ },
];

runMain(async () => {
  const { base } = readInput();
  const browser = await launch();
  const summary = { ok: true, pages: {} };
  try {
    for (const lang of ["nl", "en"]) {
      const context = await browser.newContext({ locale: lang === "nl" ? "nl-BE" : "en-GB" });
      for (const { name, path, prepare, expected } of PAGES) {
        const page = await context.newPage();
        const console = recordConsole(page, name);
        await page.goto(`${base}${path}`);
        await page.waitForFunction((l) => document.documentElement.lang === l && document.querySelector("h1")?.textContent, lang);
        if (prepare) await prepare(page);
        const h1 = await page.textContent("h1");
        const keys = await page.evaluate(() => [...document.querySelectorAll("main *")]
          .filter((e) => e.children.length === 0 && e.checkVisibility() && /^[a-z]+(\.[a-z_-]+)+$/.test(e.textContent.trim()))
          .map((e) => e.textContent.trim()));
        check(keys.length === 0, `${name} (${lang}): message keys on screen: ${keys.join(", ")}`);
        check(!/^[a-z]+(\.[a-z-]+)+$/.test(h1.trim()), `${name} (${lang}): the heading shows a message key: ${h1}`);
        const bad = console.filter((l) => (l.includes("pageerror") || l.includes("console.error")) && !(expected && expected.test(l)));
        check(bad.length === 0, `${name} (${lang}): ${console.join(" / ")}`);
        await expectAccessible(page, `${name} (${lang})`);
        await screenshot(page, `page-${name}-${lang}`);
        summary.pages[`${name}-${lang}`] = { h1 };
        log(`${name} (${lang}) ok`);
        await page.close();
      }
      await context.close();
    }
  } finally {
    await browser.close();
  }
  return summary;
});
