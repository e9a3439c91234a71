// The citizen's page for their appointment, reached by the personal link in their e-mail
// (/afspraak#TOKEN). The token stays in the URL fragment, which browsers never send to a server;
// this page sends it in the body of its API calls only.

const $ = (id) => document.getElementById(id);
const say = (text) => { $("status").textContent = text; };
let token = location.hash.slice(1);

const MODES = { video: "via video", physical: "aan het loket", hybrid: "aan het loket, anderen via video" };
const when = (period) => {
  const fmt = new Intl.DateTimeFormat("nl-BE", { dateStyle: "full", timeStyle: "short", timeZone: "Europe/Brussels" });
  const end = new Intl.DateTimeFormat("nl-BE", { timeStyle: "short", timeZone: "Europe/Brussels" });
  return `${fmt.format(new Date(period.start))} tot ${end.format(new Date(period.end))}`;
};

async function call(path, body) {
  const r = await fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const data = await r.json().catch(() => ({}));
  return { status: r.status, data };
}

function explain({ status, data }) {
  if (status === 404) return "Deze link is onbekend, of vervangen door een nieuwere: gebruik de link in uw laatste e-mail.";
  if (status === 410) return "Deze afspraak is voorbij; de link werkt niet meer. Wilt u een nieuwe afspraak? Ga naar de website van de gemeente.";
  if (status === 409) return `Dat kan niet (meer): ${data.detail ?? ""}`;
  if (status === 422) return `Controleer uw keuze: ${(data.errors ?? []).map((e) => e.reason).join("; ")}`;
  return "Er ging iets mis. Probeer het later opnieuw of bel de gemeente.";
}

// Service names by code, from the public guide (the appointment carries only the code).
let names = {};
async function loadNames() {
  const r = await fetch("/api/v1/afspraken/gids");
  if (r.ok) names = Object.fromEntries((await r.json()).services.map((s) => [s.code, s.name.nl]));
}

function show(a) {
  $("service").textContent = names[a.service] ?? a.service;
  $("when").textContent = when(a.period);
  $("mode").textContent = MODES[a.mode] ?? a.mode;
  $("agent").textContent = a.agent_name;
  $("others").textContent = a.third_parties.length ? a.third_parties.map((t) => t.name).join(", ") : "niemand";
  $("details").hidden = false;
  const cancelled = a.status === "cancelled";
  $("change").hidden = cancelled;
  say(cancelled ? "Deze afspraak is geannuleerd." : "Uw afspraak staat vast.");
}

async function loadMoments(a) {
  const r = await fetch(`/api/v1/afspraken/diensten/${encodeURIComponent(a.service)}/momenten?dagen=14`);
  const moments = r.ok ? await r.json() : [];
  const select = $("moment");
  select.replaceChildren(...moments.map((m) => {
    const o = document.createElement("option");
    o.value = m.start;
    o.textContent = when(m);
    return o;
  }));
  $("move").disabled = moments.length === 0;
}

async function main() {
  if (!token) return say("Deze pagina opent u met de persoonlijke link uit uw e-mail.");
  const [r] = await Promise.all([call("/api/v1/afspraak-link", { token }), loadNames()]);
  if (r.status !== 200) return say(explain(r));
  show(r.data);
  if (r.data.status === "booked") await loadMoments(r.data);

  $("cancel").addEventListener("click", async () => {
    if (!confirm("Wilt u deze afspraak echt annuleren?")) return;
    const c = await call("/api/v1/afspraak-link/annuleren", { token });
    if (c.status === 200) { show(c.data); say("Uw afspraak is geannuleerd. U krijgt een bevestiging per e-mail."); }
    else say(explain(c));
  });
  $("move").addEventListener("click", async () => {
    const m = await call("/api/v1/afspraak-link/verplaatsen", { token, start: $("moment").value });
    if (m.status !== 200) return say(explain(m));
    // The move replaced every personal link: keep the new one in the address bar.
    token = new URL(m.data.manage_url).hash.slice(1);
    history.replaceState(null, "", `#${token}`);
    show(m.data.appointment);
    await loadMoments(m.data.appointment);
    say("Uw afspraak is verplaatst. U krijgt een e-mail met de nieuwe gegevens en nieuwe links.");
  });
}

main();
