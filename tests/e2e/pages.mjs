// Every public page, in Dutch and English: it loads without script errors, shows its texts in
// that language (no message key left untranslated on screen), and axe-core finds no WCAG 2.1 A/AA
// violation. Screenshots: target/screenshots/page-<name>-<lang>.png.
//
//   node tests/e2e/pages.mjs <<< '{"base": "http://127.0.0.1:PORT"}'

import { check, expectAccessible, launch, log, readInput, recordConsole, runMain, screenshot } from "./lib.mjs";

const PAGES = [
  { name: "index", path: "/" },
];

runMain(async () => {
  const { base } = readInput();
  const browser = await launch();
  const summary = { ok: true, pages: {} };
  try {
    for (const lang of ["nl", "en"]) {
      const context = await browser.newContext({ locale: lang === "nl" ? "nl-BE" : "en-GB" });
      for (const { name, path } of PAGES) {
        const page = await context.newPage();
        const console = recordConsole(page, name);
        await page.goto(`${base}${path}`);
        await page.waitForFunction((l) => document.documentElement.lang === l && document.querySelector("h1")?.textContent, lang);
        const h1 = await page.textContent("h1");
        check(!/^[a-z]+(\.[a-z-]+)+$/.test(h1.trim()), `${name} (${lang}): the heading shows a message key: ${h1}`);
        check(!console.some((l) => l.includes("pageerror") || l.includes("console.error")), `${name} (${lang}): ${console.join(" / ")}`);
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
