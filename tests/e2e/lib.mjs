// Shared by the browser tests of tests/e2e: starting Debian's Chromium, reading the input the Rust
// test passes on stdin, failing with a clear message, accessibility checks with axe-core,
// keyboard helpers and screenshots. Each script prints one JSON summary on stdout and exits 0, or
// prints `e2e: FAILED: …` (and whatever explains it) on stderr and exits 1.

import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

export const CHROMIUM = process.env.BALIE_E2E_CHROMIUM || "/usr/bin/chromium";
const HERE = dirname(fileURLToPath(import.meta.url));
/** Screenshots for review, kept by CI as artefacts. */
export const SCREENSHOTS = process.env.BALIE_SCREENSHOTS || join(HERE, "..", "..", "target", "screenshots");

// Flags from TESTING.md. Fake devices give every page a camera (a test pattern) and a microphone
// (a beep) without hardware or a permission prompt; loopback ICE candidates are allowed because
// the SFU announces 127.0.0.1 in tests; autoplay lets remote <video> play without a click.
export const CHROMIUM_ARGS = [
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

export class Failure extends Error {}

export function check(condition, message) {
  if (!condition) throw new Failure(message);
}

const started = Date.now();
export const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
export const log = (msg) => process.stderr.write(`[e2e ${elapsed()}] ${msg}\n`);

/** The JSON the Rust test writes on stdin (or the first argument, by hand). */
export function readInput() {
  const raw = process.argv[2] ?? readFileSync(0, "utf8");
  try {
    return JSON.parse(raw);
  } catch (e) {
    throw new Failure(`input is not JSON (${e.message})`);
  }
}

/** Chromium with the test flags; `extraArgs` e.g. to take the fake devices away. */
export async function launch(extraArgs = [], { without = [] } = {}) {
  const args = CHROMIUM_ARGS.filter((a) => !without.includes(a)).concat(extraArgs);
  return chromium.launch({ executablePath: CHROMIUM, args, timeout: 30_000 });
}

/**
 * Collects what a page says on its console and its uncaught errors, so a failure can show them.
 * Returns the list it fills.
 */
export function recordConsole(page, label) {
  const lines = [];
  page.on("console", (m) => lines.push(`${label} console.${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => lines.push(`${label} pageerror: ${e.message}`));
  page.on("response", (r) => { if (r.status() >= 400) lines.push(`${label} HTTP ${r.status()} for ${r.request().method()} ${new URL(r.url()).pathname}`); });
  return lines;
}

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

/**
 * Runs axe-core (WCAG 2.0/2.1 A and AA rules) on the page as it is now. Evaluated through the
 * DevTools protocol, so the page's strict CSP (no inline script) does not block it. Returns the
 * violations, each with its rule, impact and the offending elements.
 */
export async function axe(page) {
  await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async () =>
    window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }));
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ") + " — " + n.failureSummary.replace(/\s+/g, " ")),
  }));
}

/** Fails unless axe finds no violations; `where` names the page and state for the message. */
export async function expectAccessible(page, where) {
  await expectNoMessageKeys(page, where);
  const violations = await axe(page);
  check(violations.length === 0, `${where}: axe-core found ${violations.length} WCAG 2.1 A/AA violation(s): ${JSON.stringify(violations, null, 1)}`);
  return violations.length;
}

/**
 * Fails if the visible text shows a message key instead of its text ("check.speaker.untested"):
 * a text missing from a message file, or one used before the texts were loaded.
 */
export async function expectNoMessageKeys(page, where) {
  const keys = await page.evaluate(() => (document.body.innerText
    .replace(/\S+@\S+/g, " ")              // e-mail addresses
    .replace(/\b\w+:\/\/\S+/g, " ")        // addresses of pages
    .match(/\b[a-z]+(?:\.[a-z_]+){1,}\b/g) ?? [])
    .filter((k) => !/^(?:[a-z0-9-]+\.)+(?:be|org|com|example|html|js|png)$/.test(k)));
  check(keys.length === 0, `${where}: message keys on screen instead of texts: ${keys.join(", ")}`);
}

/** Saves a full-page screenshot as target/screenshots/NAME.png (for people to review). */
export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * Presses Tab until the focused element matches `selector` (at most `max` times), as a
 * keyboard-only user would. Fails if it is never reached: it is then not keyboard-reachable.
 */
export async function tabTo(page, selector, max = 40) {
  for (let i = 0; i < max; i++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return i;
    await page.keyboard.press("Tab");
  }
  throw new Failure(`${selector} is not reachable with Tab (tried ${max} times; focus is on ${await page.evaluate(() => document.activeElement?.outerHTML?.slice(0, 120))})`);
}

/**
 * Runs `main` and exits: prints its result as JSON on stdout (exit 0), or `e2e: FAILED: …` on
 * stderr (exit 1). `limitMs` bounds the whole run.
 */
export function runMain(main, limitMs = 90_000) {
  const timer = setTimeout(() => {
    process.stderr.write(`e2e: FAILED: the run took longer than ${limitMs / 1000} s\n`);
    process.exit(1);
  }, limitMs);
  main()
    .then((summary) => {
      clearTimeout(timer);
      process.stdout.write(JSON.stringify(summary, null, 2) + "\n");
      process.exit(0);
    })
    .catch((e) => {
      clearTimeout(timer);
      process.stderr.write(`e2e: FAILED: ${e instanceof Failure ? e.message : e.stack ?? e}\n`);
      process.exit(1);
    });
}
