// Which view of the console is shown. Views register themselves; `go` hides the others, shows
// one, moves focus to its heading (so screen-reader and keyboard users land on it) and marks the
// matching tab as current.

const views = new Map();
let current = null;

/** `view`: { render(arg) → Promise, rerender() } for a section with id view-NAME. */
export function register(name, view) {
  views.set(name, view);
}

export async function go(name, arg) {
  const view = views.get(name);
  for (const section of document.querySelectorAll(".view")) section.hidden = section.id !== `view-${name}`;
  for (const tab of document.querySelectorAll("[data-view]")) {
    if (tab.dataset.view === name) tab.setAttribute("aria-current", "page");
    else tab.removeAttribute("aria-current");
  }
  current = name;
  await view.render(arg);
  document.querySelector(`#view-${name} h2`)?.focus();
}

/** After a language switch: the shown view draws itself again in the new language. */
export function rerender() {
  if (current) views.get(current).rerender?.();
}
