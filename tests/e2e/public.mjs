// The public pages used as a citizen would, in headless Chromium (driven by
// tests/tests/browser_public.rs, which checks the server's side afterwards):
//   (a) /afspraak-maken by keyboard only: topic, question, moment, details, one invited person,
//       consent, book → the confirmation takes focus and holds the personal link;
//   (b) submitting the details empty → every bad field marked next to it, the summary focused and
//       its links lead to the fields; then a moment taken by others meanwhile → 409: the week is
//       reloaded, that moment is gone and the page says so;
//   (c) /zalen: a filter narrows the results to what the API says; the calendar of a court shows
//       the reservation the Rust test made as busy, with its hours.
// Screenshots of every step: target/screenshots/public-*.png.
//
//   node tests/e2e/public.mjs <<< '{"base": "http://127.0.0.1:PORT", "rooms": {...}}'

import { Failure, check, expectAccessible, launch, log, readInput, recordConsole, runMain, screenshot, tabTo } from "./lib.mjs";

const SERVICE = "afval-en-milieu"; // video only: the moments load as soon as it is chosen

const focused = (page) => page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName);

/** Waits until the week's moments are shown; presses "next week" (by keyboard) while there are none. */
async function waitForMoments(page, keyboard) {
  for (let week = 0; week < 4; week++) {
    await page.waitForFunction(() => document.querySelector("#moments input[name=moment]")
      || document.querySelector("#moments-note.warn:not([hidden])"));
    if (await page.$("#moments input[name=moment]")) return;
    log("no free moments this week: next week");
    if (keyboard) {
      await tabTo(page, "#week-next");
      await page.keyboard.press("Enter");
    } else {
      await page.click("#week-next");
    }
    await page.waitForFunction(() => !document.querySelector("#moments input[name=moment]"));
  }
  throw new Failure(`no free moments for ${SERVICE} in four weeks`);
}

async function bookByKeyboard(browser, base) {
  const context = await browser.newContext({ locale: "nl-BE" });
  const page = await context.newPage();
  const console = recordConsole(page, "afspraak-maken");
  await page.goto(`${base}/afspraak-maken`);
  await page.waitForSelector("#topics input[name=topic]");
  await screenshot(page, "public-01-afspraak-start");

  // Topic: Tab into the group, arrows to "Wonen, bouwen en milieu".
  await tabTo(page, "input[name=topic]");
  for (let i = 0; i < 6 && !(await page.isChecked("#topic-wonen-en-milieu")); i++) await page.keyboard.press("ArrowDown");
  check(await page.isChecked("#topic-wonen-en-milieu"), "the topic could not be chosen with the arrow keys");
  // Question: Tab into the next group, arrows until the one that leads to the waste service.
  await tabTo(page, "input[name=service]");
  for (let i = 0; i < 6; i++) {
    await page.keyboard.press("ArrowDown");
    if (await page.$eval("input[name=service]:checked", (e) => e.value).catch(() => null) === SERVICE) break;
  }
  check(await page.$eval("input[name=service]:checked", (e) => e.value) === SERVICE, "the question could not be chosen with the arrow keys");
  const modes = await page.$$eval("input[name=mode]", (els) => els.map((e) => [e.value, e.checked]));
  check(JSON.stringify(modes) === JSON.stringify([["video", true]]), `only video is offered, and chosen: ${JSON.stringify(modes)}`);
  await waitForMoments(page, true);
  await screenshot(page, "public-02-afspraak-moments");

  // A moment: Tab into the moments (one group), Space picks the first.
  await tabTo(page, "input[name=moment]", 60);
  await page.keyboard.press("Space");
  const chosen = await page.$eval("input[name=moment]:checked", (e) => ({ start: e.dataset.start, end: e.dataset.end }));
  check(chosen.start, "no moment chosen with Space");
  await page.waitForSelector("#step-details:not([hidden])");

  await tabTo(page, "#name", 80);
  await page.keyboard.type("An Vermeulen");
  await tabTo(page, "#email");
  await page.keyboard.type("an.vermeulen@example.org");
  await tabTo(page, "#phone");
  await page.keyboard.type("0470 12 34 56");
  await tabTo(page, "#language");
  await page.keyboard.press("ArrowDown"); // Nederlands → English
  check(await page.inputValue("#language") === "en", "the e-mail language could not be changed by keyboard");
  await tabTo(page, "#add-third-party");
  await page.keyboard.press("Enter");
  check(await focused(page) === "tp-0-name", `after "invite someone" focus is on ${await focused(page)}, not the new name field`);
  await page.keyboard.type("Karel Vermeulen");
  await page.keyboard.press("Tab");
  await page.keyboard.type("karel.vermeulen@example.org");
  await tabTo(page, "#consent");
  await page.keyboard.press("Space");
  check(await page.isChecked("#consent"), "consent could not be ticked with Space");
  await screenshot(page, "public-03-afspraak-details");
  await tabTo(page, "#book");
  await page.keyboard.press("Enter");

  await page.waitForFunction(() => document.activeElement?.id === "confirmation", null, { timeout: 15_000 })
    .catch(async () => { throw new Failure(`no confirmation after booking; focus on ${await focused(page)}; ${console.join(" / ")}`); });
  const manage = await page.getAttribute("#manage-link", "href");
  check(/\/afspraak#[0-9a-f]{20,}$/.test(manage), `the personal link is shown: ${manage}`);
  const confirmation = await page.textContent("#confirmation");
  check(confirmation.includes("an.vermeulen@example.org") && /spam/i.test(confirmation), `confirmation text: ${confirmation}`);
  check(await page.isHidden("#booking"), "the form is gone after booking");
  await expectAccessible(page, "afspraak-maken confirmation");
  await screenshot(page, "public-04-afspraak-confirmation");
  check(!console.some((l) => l.includes("pageerror")), console.join(" / "));
  await context.close();
  log(`booked ${chosen.start} by keyboard`);
  return { ...chosen, name: "An Vermeulen", email: "an.vermeulen@example.org", third_party: "karel.vermeulen@example.org", manage_url: manage };
}

async function errorsAndTakenMoment(browser, base) {
  const context = await browser.newContext({ locale: "nl-BE" });
  const page = await context.newPage();
  await page.goto(`${base}/afspraak-maken`);
  await page.check("#topic-all");
  await page.check(`#service-${SERVICE}`);
  await waitForMoments(page, false);
  const moment = page.locator("#moments input[name=moment]").last();
  const start = await moment.getAttribute("data-start");
  await moment.check();
  await page.click("#book");

  await page.waitForFunction(() => document.activeElement?.id === "error-summary");
  const invalid = await page.$$eval("[aria-invalid=true]", (els) => els.map((e) => e.id).sort());
  check(JSON.stringify(invalid) === JSON.stringify(["consent", "email", "name"]), `invalid fields: ${invalid}`);
  for (const id of invalid) {
    const describedBy = (await page.getAttribute(`#${id}`, "aria-describedby")).split(/\s+/);
    check(describedBy.includes(`${id}-error`), `#${id} is not described by its error (${describedBy})`);
    check((await page.textContent(`#${id}-error`)).trim().length > 5, `#${id}-error is empty`);
  }
  const links = await page.$$eval("#error-list a", (as) => as.map((a) => [a.getAttribute("href"), a.textContent]));
  check(links.length === 3, `three errors in the summary: ${JSON.stringify(links)}`);
  check(links[0][0] === "#name" && links[0][1] === await page.textContent("#name-error"), `the first summary link: ${links[0]}`);
  await expectAccessible(page, "afspraak-maken errors");
  await screenshot(page, "public-05-afspraak-errors");
  await page.click("#error-list a[href='#name']");
  check(await focused(page) === "name", `the summary link focuses the field, not ${await focused(page)}`);

  // Fix the fields; meanwhile others take the chosen moment (as many bookings as it has agents).
  await page.fill("#name", "Jan Peeters");
  await page.fill("#email", "jan.peeters@example.org");
  await page.check("#consent");
  let taken = 0;
  for (let i = 0; i < 20; i++) {
    const r = await page.request.post(`${base}/api/v1/afspraken`, { data: {
      service: SERVICE, mode: "video", start, name: `Concurrent ${i}`, email: `concurrent${i}@example.org`, language: "nl", consent: true, third_parties: [],
    } });
    if (r.status() === 409) break;
    check(r.status() === 201, `booking the moment from outside: HTTP ${r.status()}`);
    taken++;
  }
  check(taken > 0, "the moment could not be booked from outside");
  await page.click("#book");
  await page.waitForFunction(() => document.activeElement?.id === "error-summary" && document.querySelector("#moments-note.error:not([hidden])"));
  const note = await page.textContent("#moments-note");
  check(/net door iemand anders geboekt/.test(note), `the 409 is explained: ${note}`);
  check(!(await page.$(`#moments input[data-start="${start}"]`)), "the taken moment is still offered after the reload");
  check(await page.$("#moments input[name=moment]:checked") === null, "a moment is still chosen after the 409");
  check(await page.inputValue("#name") === "Jan Peeters", "the details were kept after the 409");
  await screenshot(page, "public-06-afspraak-taken");
  await context.close();
  log(`409 shown for ${start} after ${taken} outside bookings`);
  return { start, taken, invalid };
}

async function roomsAndCalendar(browser, base, rooms) {
  const context = await browser.newContext({ locale: "nl-BE" });
  const page = await context.newPage();
  const console = recordConsole(page, "zalen");
  await page.goto(`${base}/zalen`);
  await page.waitForSelector("#results li.result");
  const ids = () => page.$$eval("#results li.result", (lis) => lis.map((li) => Number(li.dataset.id)).sort((a, b) => a - b));
  const all = await ids();
  check(all.length === rooms.all_total, `all ${rooms.all_total} rooms and courts listed at first, got ${all.length}`);
  await screenshot(page, "public-07-zalen-all");

  // Filters by keyboard: capacity, wheelchair, then Enter submits.
  await tabTo(page, "#min-capacity", 60);
  await page.keyboard.type(String(rooms.min_capacity));
  await tabTo(page, "#wheelchair");
  await page.keyboard.press("Space");
  await tabTo(page, "#search");
  await page.keyboard.press("Enter");
  await page.waitForFunction((n) => document.querySelector("#result-count")?.dataset.count === String(n), rooms.filtered_ids.length);
  const filtered = await ids();
  await screenshot(page, "public-08-zalen-filtered");

  // The court the Rust test reserved: its calendar, moved to the reservation's month.
  await page.focus(`#open-${rooms.reserved.id}`);
  await page.keyboard.press("Enter");
  await page.waitForSelector("#calendar-table table td[data-status]");
  check(await focused(page) === "detail", `the detail view takes focus, not ${await focused(page)}`);
  for (let i = 0; i < 13; i++) {
    const month = await page.getAttribute("#month-label", "data-month");
    if (month >= rooms.reserved.month) break;
    const [y, m] = month.split("-").map(Number);
    const next = new Date(Date.UTC(y, m, 1)).toISOString().slice(0, 7);
    await page.click("#next-month");
    await page.waitForSelector(`#calendar-table td[data-date^="${next}-"]`);
  }
  const cellSelector = `#calendar-table td[data-date="${rooms.reserved.date}"]`;
  await page.waitForSelector(cellSelector);
  const cell = await page.$eval(cellSelector, (td) => ({
    status: td.dataset.status, text: td.textContent, busy: [...td.querySelectorAll(".busy li")].map((li) => li.textContent),
  }));
  const other = await page.$eval(`#calendar-table td[data-date="${rooms.free_date}"]`, (td) => ({ status: td.dataset.status, busy: td.querySelectorAll(".busy li").length }));
  const headers = await page.$$eval("#calendar-table thead th[scope=col]", (ths) => ths.length);
  const caption = await page.textContent("#calendar-table caption");
  await expectAccessible(page, "zalen calendar");
  await screenshot(page, "public-09-zalen-calendar");
  await page.click("#back");
  check(await focused(page) === `open-${rooms.reserved.id}`, `back returns focus to the result's button, not ${await focused(page)}`);
  check(!console.some((l) => l.includes("pageerror") || l.includes("console.error")), console.join(" / "));
  await context.close();
  return { all, filtered, cell, other, headers, caption };
}

runMain(async () => {
  const { base, rooms } = readInput();
  const browser = await launch();
  try {
    const booked = await bookByKeyboard(browser, base);
    const errors = await errorsAndTakenMoment(browser, base);
    const zalen = await roomsAndCalendar(browser, base, rooms);
    return { ok: true, booked, errors, zalen };
  } finally {
    await browser.close();
  }
}, 120_000);
