// Texts, language and locale formatting for every page. Dutch first; English and French too.
//
// Each page has message files per language, static/i18n/<lang>/<page>.json (flat keys → strings,
// `{name}` placeholders), and every page also gets static/i18n/<lang>/common.json. A missing key
// falls back to Dutch, then to the key itself (so a gap shows, and tests can catch it).
//
// The language: ?taal=xx in the address, else the one chosen before (localStorage), else the
// browser's first supported language, else nl. Choosing another one reloads the texts in place.
//
// In HTML: <h1 data-i18n="title"></h1>, and attributes via data-i18n-attr="aria-label:close;
// placeholder:search". In scripts: t("key", { name: "Jan" }).

export const LANGUAGES = [
  { code: "nl", name: "Nederlands" },
  { code: "en", name: "English" },
  { code: "fr", name: "Français" },
];
const CODES = LANGUAGES.map((l) => l.code);
const STORE = "balie.taal";
export const TIME_ZONE = "Europe/Brussels";

let lang = "nl";
let messages = {};
let fallback = {};
let page = "common";
const listeners = [];

export function language() {
  return lang;
}

function chosen() {
  const fromUrl = new URLSearchParams(location.search).get("taal");
  if (CODES.includes(fromUrl)) return fromUrl;
  try {
    const stored = localStorage.getItem(STORE);
    if (CODES.includes(stored)) return stored;
  } catch { /* storage may be blocked */ }
  for (const l of navigator.languages ?? [navigator.language]) {
    const code = String(l).slice(0, 2).toLowerCase();
    if (CODES.includes(code)) return code;
  }
  return "nl";
}

async function load(code, name) {
  const response = await fetch(`/static/i18n/${code}/${name}.json`, { cache: "no-cache" });
  if (!response.ok) throw new Error(`messages ${code}/${name}: HTTP ${response.status}`);
  return response.json();
}

async function loadAll(code) {
  const [common, own] = await Promise.all([load(code, "common"), page === "common" ? {} : load(code, page)]);
  return { ...common, ...own };
}

/** Loads the page's texts in the chosen language and fills the document. Call once at start. */
export async function init(pageName) {
  page = pageName;
  lang = chosen();
  fallback = await loadAll("nl");
  messages = lang === "nl" ? fallback : await loadAll(lang);
  apply(document);
}

/** Switches language: new texts, `lang` attribute, stored choice, and listeners re-render. */
export async function setLanguage(code) {
  if (!CODES.includes(code)) return;
  lang = code;
  try { localStorage.setItem(STORE, code); } catch { /* ignore */ }
  messages = code === "nl" ? fallback : await loadAll(code);
  apply(document);
  for (const fn of listeners) fn(code);
}

/** Runs `fn` after every language switch (to re-render what scripts wrote). */
export function onLanguageChange(fn) {
  listeners.push(fn);
}

export function t(key, vars = {}) {
  const text = messages[key] ?? fallback[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

export function has(key) {
  return key in messages || key in fallback;
}

/** Fills `data-i18n` text and `data-i18n-attr` attributes under `root`. */
export function apply(root) {
  if (root === document) {
    document.documentElement.lang = lang;
    const title = document.querySelector("title[data-i18n]");
    if (title) document.title = t(title.dataset.i18n);
  }
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-attr]")) {
    for (const pair of el.dataset.i18nAttr.split(";")) {
      const [attr, key] = pair.split(":").map((s) => s.trim());
      if (attr && key) el.setAttribute(attr, t(key));
    }
  }
  for (const select of root.querySelectorAll("select.language")) select.value = lang;
}

/** A labelled language picker in `container` (a <select>, keyboard-friendly). */
export function languagePicker(container) {
  const id = "language-picker";
  const label = document.createElement("label");
  label.htmlFor = id;
  label.dataset.i18n = "language";
  label.textContent = t("language");
  const select = document.createElement("select");
  select.id = id;
  select.className = "language";
  for (const l of LANGUAGES) {
    const option = document.createElement("option");
    option.value = l.code;
    option.lang = l.code;
    option.textContent = l.name;
    select.append(option);
  }
  select.value = lang;
  select.addEventListener("change", () => setLanguage(select.value));
  container.append(label, " ", select);
}

const locale = () => ({ nl: "nl-BE", en: "en-GB", fr: "fr-BE" })[lang];

/** "dinsdag 24 november 2026" (the date of `when` in Brussels). */
export function formatDate(when, options = {}) {
  return new Intl.DateTimeFormat(locale(), { dateStyle: "full", timeZone: TIME_ZONE, ...options }).format(new Date(when));
}

/** "14:30" (Brussels time). */
export function formatTime(when) {
  return new Intl.DateTimeFormat(locale(), { timeStyle: "short", timeZone: TIME_ZONE }).format(new Date(when));
}

/** "dinsdag 24 november 2026 om 14:30" as the locale writes it. */
export function formatDateTime(when) {
  return new Intl.DateTimeFormat(locale(), { dateStyle: "full", timeStyle: "short", timeZone: TIME_ZONE }).format(new Date(when));
}

/** Money from euro cents: "€ 12,50". */
export function formatMoney(cents) {
  return new Intl.NumberFormat(locale(), { style: "currency", currency: "EUR" }).format(cents / 100);
}
