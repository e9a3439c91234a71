// The satisfaction survey after a call (docs/survey.md): one short, anonymous, skippable form,
// shown on the call page's end page (gesprek.js, `mountAfterCall`) and on /enquete#TOKEN (the
// e-mail link, `mountSurvey`). Its texts are the `survey.*` keys, kept identical in every page's
// message file that uses it (i18n.js loads one page file per page): i18n/<lang>/gesprek.json and
// i18n/<lang>/enquete.json.
//
// Stable hooks for tests:
//   [data-testid=survey-overall-N], survey-ease-N, survey-quality-N (N = 1…5): the radio inputs
//   [data-testid=survey-again-yes|maybe|no]                                 : the radio inputs
//   [data-testid=survey-comment] the textarea; survey-submit, survey-skip: the buttons
//   [data-testid=survey-thanks]  shown after 201; survey-gone: after 410 (answered or closed);
//   survey-skipped: after "Overslaan". The root <section class="survey"> has data-state =
//   form | sending | thanks | gone | skipped.

import { api, ApiError, el } from "./page.js";
import { formatDate, onLanguageChange, t } from "./i18n.js";

export const MAX_COMMENT = 2000;
const SCALES = ["overall", "ease", "quality"];
const AGAIN = ["yes", "maybe", "no"];
const FIELDS = [...SCALES, "again", "comment"];

/** Characters as the server counts them (Unicode scalar values), not UTF-16 units. */
const chars = (text) => [...text].length;

let relabel = null;
onLanguageChange(() => relabel?.());

/**
 * Shows the survey in `container` for the survey token `token`. `context` (optional): what the
 * survey is about, `{service, day}` from the API. `headingLevel`: 2 by default. `onDone(state)`
 * runs once with "thanks", "gone" or "skipped".
 */
export function mountSurvey(container, { token, context = null, headingLevel = 2, onDone } = {}) {
  const heading = el(`h${headingLevel}`, { id: "survey-title", class: "survey-title", dataset: { i18n: "survey.title" }, text: t("survey.title") });
  const contextLine = el("p", { id: "survey-context", class: "survey-context" });
  const root = el("section", { class: "survey", "aria-labelledby": "survey-title", dataset: { state: "form" } },
    heading,
    context ? contextLine : null);
  const intro = el("div", { class: "survey-intro" },
    text("p", "survey.intro"),
    text("p", "survey.anonymous"),
    text("p", "survey.skip_ok", { class: "hint" }));
  root.append(intro);

  const form = el("form", { class: "survey-form", novalidate: true });
  const problem = el("div", { id: "survey-problem", class: "notice error", role: "alert", hidden: true });
  const live = el("p", { id: "survey-live", class: "visually-hidden", "aria-live": "polite" });

  form.append(
    scale("overall", true),
    scale("ease"),
    scale("quality"),
    choice("again", AGAIN),
    comment(),
    problem,
    el("div", { class: "actions survey-actions" },
      text("button", "survey.submit", { type: "submit", id: "survey-submit", "data-testid": "survey-submit" }),
      text("button", "survey.skip", { type: "button", id: "survey-skip", class: "secondary", "data-testid": "survey-skip" })),
  );
  root.append(form, live);
  container.replaceChildren(root);

  const textarea = form.querySelector("#survey-comment");
  const count = form.querySelector("#survey-comment-count");
  const countLive = form.querySelector("#survey-comment-live");
  let countTimer = 0;
  const showCount = () => {
    const n = chars(textarea.value);
    const over = n > MAX_COMMENT;
    const left = MAX_COMMENT - n;
    count.textContent = over
      ? t(n - MAX_COMMENT === 1 ? "survey.count.over.one" : "survey.count.over", { n: number(n - MAX_COMMENT) })
      : t(left === 1 ? "survey.count.left.one" : "survey.count.left", { n: number(left) });
    count.classList.toggle("error-text", over);
    return count.textContent;
  };
  textarea.addEventListener("input", () => {
    const said = showCount();
    // Screen readers hear the count when typing pauses, not after every key.
    clearTimeout(countTimer);
    countTimer = setTimeout(() => { countLive.textContent = said; }, 1000);
  });
  showCount();

  const errors = new Map(); // field → message key (or a server reason)
  relabel = () => {
    if (!root.isConnected) return;
    if (context) contextLine.textContent = contextText(context);
    showCount();
    for (const [field, message] of errors) setError(form, field, message);
    if (!problem.hidden && problem.dataset.key) problem.textContent = t(problem.dataset.key);
  };
  relabel();

  let finished = false;
  const done = (state, key) => {
    if (finished) return;
    finished = true;
    root.dataset.state = state;
    const note = el("div", { class: `notice ${state === "gone" ? "warn" : "ok"} survey-done`, tabindex: "-1",
      "data-testid": `survey-${state}`, dataset: { i18n: key }, text: t(key) });
    form.replaceWith(note);
    intro.remove();
    live.textContent = "";
    note.focus();
    onDone?.(state);
  };

  form.querySelector("#survey-skip").addEventListener("click", () => {
    done("skipped", "survey.skipped");
    // So that no e-mail invitation follows. Best effort: skipping never shows an error.
    api("/api/v1/enquete/overslaan", { method: "POST", body: { token } }).catch(() => {});
  });

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (root.dataset.state === "sending") return;
    const answer = read(form);
    clearErrors(form, errors);
    showProblem(problem, null);
    if (answer.overall === undefined) errors.set("overall", "survey.error.overall");
    if (answer.comment !== undefined && chars(answer.comment) > MAX_COMMENT) errors.set("comment", "survey.error.comment");
    if (errors.size) return showErrors(form, errors, live);

    // Not disabled while sending (focus would drop to the page); data-state stops a second send.
    root.dataset.state = "sending";
    live.textContent = t("survey.sending");
    try {
      await api("/api/v1/enquete/antwoord", { method: "POST", body: { token, ...answer } });
      done("thanks", "survey.thanks");
    } catch (error) {
      root.dataset.state = "form";
      live.textContent = "";
      if (error instanceof ApiError && (error.status === 410 || error.status === 404)) return done("gone", "survey.gone");
      const fieldErrors = error instanceof ApiError && error.status === 422 ? error.problem.errors ?? [] : [];
      for (const { field, reason } of fieldErrors) {
        if (FIELDS.includes(field)) errors.set(field, `survey.error.${field}`);
        else if (field === "token") return done("gone", "survey.gone");
        else console.warn("survey: field error", field, reason);
      }
      if (errors.size) return showErrors(form, errors, live);
      // An alert: announced without moving focus away from the button.
      showProblem(problem, error instanceof ApiError && error.status === 0 ? "error.network" : "survey.error.send");
    }
  });
  return root;
}

/**
 * For the call page: once the call has ended for a citizen or guest, asks for their survey with
 * the call link's token and shows it in `container`. The end is recorded asynchronously, so a 409
 * (call not ended yet) is retried for about 3 seconds; 404, 410 and anything else show nothing.
 */
export async function mountAfterCall(container, callToken) {
  if (!container || !callToken || container.dataset.survey) return;
  container.dataset.survey = "asking";
  const delays = [300, 500, 700, 800, 900];
  for (let attempt = 0; ; attempt++) {
    try {
      const found = await api("/api/v1/enquete/na-gesprek", { method: "POST", body: { token: callToken } });
      if (!found?.survey_token) break;
      container.dataset.survey = "shown";
      mountSurvey(container, { token: found.survey_token, context: found });
      return;
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 409 || attempt >= delays.length) break;
      await new Promise((resolve) => setTimeout(resolve, delays[attempt]));
    }
  }
  container.dataset.survey = "none";
}

/** "Het gaat over uw gesprek met Afval en milieu op dinsdag 24 november 2026." */
export function contextText(context) {
  const day = context.day ? formatDate(`${context.day}T12:00:00Z`) : "";
  if (context.service && day) return t("survey.context", { service: context.service, day });
  if (context.service) return t("survey.context.service", { service: context.service });
  return day ? t("survey.context.day", { day }) : "";
}

// --- building the form ------------------------------------------------------------------------

/** An element whose text is the message `key` (and follows language switches). */
function text(tag, key, attrs = {}) {
  return el(tag, { ...attrs, dataset: { ...(attrs.dataset ?? {}), i18n: key }, text: t(key) });
}

function legend(name, required) {
  return el("legend", {},
    text("span", `survey.${name}.legend`),
    " ",
    text("span", required ? "survey.required" : "survey.optional", { class: "survey-marker" }));
}

/** A 1–5 scale as a fieldset of radios, the words at both ends part of the labels of 1 and 5. */
function scale(name, required = false) {
  const options = [1, 2, 3, 4, 5].map((n) => {
    const id = `survey-${name}-${n}`;
    const end = n === 1 ? "low" : n === 5 ? "high" : null;
    return el("label", { class: "survey-option", for: id },
      el("input", { type: "radio", name, value: String(n), id, required, "data-testid": id }),
      el("span", { class: "survey-number", text: String(n) }),
      end ? text("span", `survey.${name}.${end}`, { class: "survey-end" }) : null);
  });
  return el("fieldset", { class: "survey-question", id: `survey-${name}` },
    legend(name, required),
    el("div", { class: "survey-scale" }, ...options));
}

function choice(name, values) {
  return el("fieldset", { class: "survey-question", id: `survey-${name}` },
    legend(name, false),
    el("div", { class: "survey-choices" }, ...values.map((value) => {
      const id = `survey-${name}-${value}`;
      return el("label", { class: "survey-option survey-choice", for: id },
        el("input", { type: "radio", name, value, id, "data-testid": id }),
        text("span", `survey.${name}.${value}`));
    })));
}

function comment() {
  const textarea = el("textarea", { id: "survey-comment", name: "comment", rows: "5", "data-testid": "survey-comment",
    "aria-describedby": "survey-comment-hint survey-comment-count", dataset: { hint: "survey-comment-hint survey-comment-count" } });
  return el("div", { class: "field survey-question", id: "survey-comment-field" },
    el("label", { for: "survey-comment" }, text("span", "survey.comment.label"), " ",
      text("span", "survey.optional", { class: "survey-marker" })),
    text("p", "survey.comment.hint", { class: "hint", id: "survey-comment-hint" }),
    textarea,
    el("p", { class: "hint survey-count", id: "survey-comment-count" }),
    el("p", { class: "visually-hidden", id: "survey-comment-live", "aria-live": "polite" }));
}

function read(form) {
  const answer = {};
  const data = new FormData(form);
  for (const name of SCALES) if (data.get(name)) answer[name] = Number(data.get(name));
  if (data.get("again")) answer.again = data.get("again");
  const comment = String(data.get("comment") ?? "").trim();
  if (comment) answer.comment = comment;
  return answer;
}

// --- errors -----------------------------------------------------------------------------------

/** The controls a field error belongs to: the radios of a question, or the textarea. */
function controls(form, field) {
  return field === "comment" ? [form.querySelector("#survey-comment")] : [...form.querySelectorAll(`input[name="${field}"]`)];
}

function setError(form, field, key) {
  const id = `survey-${field}-error`;
  let message = form.querySelector(`#${id}`);
  if (!message) {
    message = el("p", { class: "error-text field-error", id });
    const place = field === "comment" ? form.querySelector("#survey-comment-hint") : form.querySelector(`#survey-${field} legend`);
    place.after(message);
  }
  message.textContent = t(key);
  for (const input of controls(form, field)) {
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", [input.dataset.hint, id].filter(Boolean).join(" "));
  }
  (field === "comment" ? form.querySelector("#survey-comment-field") : form.querySelector(`#survey-${field}`)).classList.add("invalid");
}

function clearErrors(form, errors) {
  errors.clear();
  for (const p of form.querySelectorAll(".field-error")) p.remove();
  for (const input of form.querySelectorAll("[aria-invalid]")) {
    input.removeAttribute("aria-invalid");
    if (input.dataset.hint) input.setAttribute("aria-describedby", input.dataset.hint);
    else input.removeAttribute("aria-describedby");
  }
  for (const box of form.querySelectorAll(".invalid")) box.classList.remove("invalid");
}

/** Shows every error next to its question and moves focus to the first one's control. */
function showErrors(form, errors, live) {
  for (const [field, key] of errors) setError(form, field, key);
  const first = FIELDS.find((f) => errors.has(f));
  const inputs = controls(form, first);
  (inputs.find((i) => i.checked) ?? inputs[0])?.focus();
  live.textContent = "";
}

function showProblem(box, key) {
  box.hidden = !key;
  box.dataset.key = key ?? "";
  box.textContent = key ? t(key) : "";
}

const number = (n) => new Intl.NumberFormat(document.documentElement.lang || "nl").format(n);
