// What every page shares: texts loaded, the header's language picker, and a JSON fetch that turns
// RFC 9457 problem responses into errors with the server's own (translated where we can) text.

import * as i18n from "./i18n.js";

/** Loads the page's texts and wires the header. Returns the i18n module for convenience. */
export async function start(pageName) {
  await i18n.init(pageName);
  const picker = document.getElementById("taalkeuze");
  if (picker) i18n.languagePicker(picker);
  return i18n;
}

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem ?? {};
  }
}

/** fetch() for the JSON API: same-origin cookies, JSON in and out, problem+json → ApiError. */
export async function api(path, { method = "GET", body, headers = {} } = {}) {
  let response;
  try {
    response = await fetch(path, {
      method,
      credentials: "same-origin",
      headers: { Accept: "application/json", ...(body !== undefined ? { "Content-Type": "application/json" } : {}), ...headers },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
  } catch {
    throw new ApiError(0, { detail: i18n.t("error.network") });
  }
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** Creates an element: el("p", { class: "hint", text: "…" }, child, …). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  node.append(...children.filter((c) => c !== undefined && c !== null && c !== false));
  return node;
}
