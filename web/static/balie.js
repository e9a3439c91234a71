// The staff console (/balie): sign-in, the agenda, an appointment's details and actions, booking
// on a citizen's behalf, and the e-mails that could not be delivered. The views live in balie/.

import { api, start } from "./common/page.js";
import { onLanguageChange, t } from "./common/i18n.js";
import { announce, loadServices, session } from "./balie/shared.js";
import { go, rerender } from "./balie/nav.js";
import { showSignin } from "./balie/signin.js";
import "./balie/agenda.js";
import "./balie/details.js";
import "./balie/book.js";
import "./balie/mail.js";

const $ = (id) => document.getElementById(id);

await start("balie");
await loadServices().catch(() => {});

/** Shows the console for the signed-in `me` (from GET /api/v1/sessie). */
export async function enter(me) {
  session.me = me;
  $("signin").hidden = true;
  $("console").hidden = false;
  whoami();
  const agent = me.roles.includes("agent");
  $("no-role").hidden = agent;
  for (const tab of document.querySelectorAll("[data-view]")) tab.closest("li").hidden = !agent;
  if (agent) await go("agenda");
  else $("no-role").focus?.();
}

function whoami() {
  if (session.me) $("whoami").textContent = t("signedin", { name: session.me.name });
}

for (const tab of document.querySelectorAll("[data-view]")) {
  tab.addEventListener("click", () => go(tab.dataset.view));
}

$("logout").addEventListener("click", async () => {
  try { await api("/api/v1/sessie", { method: "DELETE" }); } catch { /* signed out anyway */ }
  session.me = null;
  $("console").hidden = true;
  showSignin(enter);
  announce(t("signedout"));
});

onLanguageChange(() => { whoami(); rerender(); });

try {
  const me = await api("/api/v1/sessie");
  $("loading").hidden = true;
  await enter(me);
} catch {
  $("loading").hidden = true;
  showSignin(enter);
}
