// The session part of a staff page outside the console (/dashboard, /defecten): the sign-in when
// nobody is signed in (signin.js, on the same element ids), the session bar with who is signed in
// and the sign-out button, and #no-role when the account lacks the page's role. The page itself
// fills in what happens once someone with the role is in, and what to forget on signing out.

import { api } from "../common/page.js";
import { t } from "../common/i18n.js";
import { announce } from "./shared.js";
import { showSignin } from "./signin.js";

const $ = (id) => document.getElementById(id);

/**
 * Wires the session of a staff page. `role`: the role the page needs ("manager"); `main`: the id
 * of the page's own section, shown only to someone with that role; `onEnter(me, { focus })`: what
 * the page does once they are in (fill in, move focus, load); `onSignedOut()`: what it forgets.
 * Returns { me (the signed-in person, null when none), enter, signedOut(message), noRole, whoami,
 * resume } — `resume()` picks up an existing session on load, or shows the sign-in.
 */
export function staffSession({ role, main, onEnter, onSignedOut }) {
  let me = null;

  function whoami() {
    if (me) $("whoami").textContent = t("signedin", { name: me.name });
  }

  function noRole() {
    $(main).hidden = true;
    $("no-role").hidden = false;
    $("no-role").focus();
  }

  /** Shows the page for the signed-in `who` (GET /api/v1/sessie). */
  async function enter(who, { focus = true } = {}) {
    me = who;
    $("loading").hidden = true;
    $("signin").hidden = true;
    $("session-bar").hidden = false;
    whoami();
    if (!who.roles?.includes(role)) return noRole();
    $("no-role").hidden = true;
    $(main).hidden = false;
    await onEnter(who, { focus });
  }

  function signedOut(message) {
    me = null;
    $("loading").hidden = true;
    $(main).hidden = true;
    $("no-role").hidden = true;
    $("session-bar").hidden = true;
    onSignedOut();
    showSignin(enter);
    if (message) announce(message);
  }

  async function resume() {
    let who = null;
    try { who = await api("/api/v1/sessie"); } catch { /* not signed in (401), or the server is out of reach */ }
    if (who) await enter(who, { focus: false });
    else signedOut();
  }

  $("logout").addEventListener("click", async () => {
    try { await api("/api/v1/sessie", { method: "DELETE" }); } catch { /* signed out anyway */ }
    signedOut(t("signedout"));
  });

  return { get me() { return me; }, enter, signedOut, noRole, whoami, resume };
}
