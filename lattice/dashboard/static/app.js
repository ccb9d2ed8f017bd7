// wasmlattice dashboard: renders /api/lattice, /api/rates and the /api/events stream; posts actions.
// Every value from the lattice reaches the page as a text node (never as HTML).
"use strict";

const TOKEN = new URLSearchParams(location.search).get("token") || "";
const REFRESH_MS = 3000;
const MAX_EVENTS = 100;
const EVENT_PREFIX = "com.wasmcloud.lattice.";
const shown = {};
let refreshTimer = null;

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (key === "testid") node.dataset.testid = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node[key] = value;
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function headers(extra) {
  const out = Object.assign({}, extra);
  if (TOKEN) out.Authorization = "Bearer " + TOKEN;
  return out;
}

async function getJson(path) {
  const response = await fetch(path, { headers: headers(), cache: "no-store" });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

function banner(id, text) {
  const node = document.getElementById(id);
  node.textContent = text || "";
  node.hidden = !text;
}

async function act(name, body) {
  banner("error", "");
  banner("notice", "");
  let reply;
  try {
    const response = await fetch("/api/actions/" + encodeURIComponent(name), {
      method: "POST",
      headers: headers({ "Content-Type": "application/json", "X-Lattice-Dashboard": "1" }),
      body: JSON.stringify(body),
    });
    reply = await response.json();
  } catch (err) {
    reply = { ok: false, error: "the dashboard did not answer: " + err.message };
  }
  if (reply.ok) banner("notice", reply.message);
  else banner("error", name.replace(/_/g, " ") + " failed: " + reply.error);
  scheduleRefresh(300);
}

function short(key) {
  return key && key.length > 16 ? key.slice(0, 12) + "…" : key || "";
}

function keyCell(key) {
  return el("td", { className: "key", title: key || "" }, short(key));
}

function chips(map) {
  return Object.entries(map || {}).map(([k, v]) => el("span", { className: "chip" }, k + "=" + v));
}

function fill(testid, rows, empty) {
  const table = document.querySelector(`table[data-testid="${testid}"]`);
  const fingerprint = JSON.stringify(rows.map((r) => r.key));
  if (shown[testid] === fingerprint) return;
  shown[testid] = fingerprint;
  const body = table.tBodies[0];
  body.replaceChildren(...(rows.length ? rows.map((r) => r.row) : [el("tr", {}, el("td", { className: "muted", colSpan: 9 }, empty))]));
}

function hostRows(hosts) {
  return hosts.map((h) => ({
    key: [h.id, h.name, h.labels, h.uptime, h.version, h.actors, h.providers],
    row: el("tr", { testid: "host-" + h.id },
      el("td", { testid: "host-name" }, h.name), keyCell(h.id), el("td", { testid: "host-labels" }, chips(h.labels)),
      el("td", {}, h.uptime), el("td", {}, h.version), el("td", {}, h.actors ?? "?"), el("td", {}, h.providers ?? "?")),
  }));
}

function scaleControl(actor, place) {
  const input = el("input", { type: "number", min: "0", value: String(place.count), ariaLabel: "instances" });
  input.dataset.testid = "scale-count";
  const ref = actor.image_ref || actor.id;
  return el("div", { className: "per-host", testid: "per-host-" + place.host_id },
    el("span", { testid: "instances" }, place.host_name + ": " + place.count),
    input,
    el("button", { testid: "scale", onclick: () => act("scale_actor", { host: place.host_id, actor_ref: ref, actor_id: actor.id, count: input.value }) }, "Scale"),
    el("button", { testid: "stop-actor", onclick: () => act("stop_actor", { host: place.host_id, actor_id: actor.id, count: 0 }) }, "Stop"));
}

function actorRows(actors) {
  return actors.map((a) => ({
    key: [a.id, a.name, a.image_ref, a.hosts],
    row: el("tr", { testid: "actor-" + a.id },
      el("td", { testid: "actor-name" }, a.name), keyCell(a.id), el("td", { className: "key", title: a.image_ref }, a.image_ref),
      el("td", {}, a.hosts.map((p) => scaleControl(a, p))), el("td", { testid: "actor-total" }, a.total)),
  }));
}

function providerRows(providers) {
  return providers.map((p) => ({
    key: [p.id, p.name, p.contract_id, p.link_name, p.host_id],
    row: el("tr", { testid: "provider-" + p.id },
      el("td", {}, p.name), keyCell(p.id), el("td", {}, p.contract_id), el("td", {}, p.link_name),
      el("td", { title: p.host_id }, p.host_name || short(p.host_id)),
      el("td", {}, el("button", { onclick: () => act("stop_provider", { host: p.host_id, provider_id: p.id, link_name: p.link_name, contract_id: p.contract_id }) }, "Stop"))),
  }));
}

function linkRows(links) {
  return links.map((l) => ({
    key: [l.actor_id, l.provider_id, l.contract_id, l.link_name, l.values],
    row: el("tr", {}, keyCell(l.actor_id), keyCell(l.provider_id), el("td", {}, l.contract_id), el("td", {}, l.link_name),
      el("td", {}, chips(l.values)),
      el("td", {}, el("button", { onclick: () => act("delete_link", { actor_id: l.actor_id, contract_id: l.contract_id, link_name: l.link_name }) }, "Delete"))),
  }));
}

function appRows(apps) {
  return apps.map((a) => ({
    key: [a.name, a.version, a.status, a.components, a.links, a.error],
    row: el("tr", { testid: "app-" + a.name },
      el("td", {}, a.name), el("td", {}, a.version), el("td", { className: a.status, testid: "app-status" }, a.status, a.error ? " — " + a.error : ""),
      el("td", {}, (a.components || []).map((c) => el("span", { className: "chip" }, `${c.name} ${c.running}/${c.wanted}`))),
      el("td", {}, a.links ? `${a.links.present}/${a.links.wanted}` : ""),
      el("td", {}, el("button", { onclick: () => act("undeploy_app", { name: a.name }) }, "Undeploy"))),
  }));
}

function claimRows(claims) {
  return claims.map((c) => ({
    key: [c.sub, c.name, c.iss, c.caps, c.rev, c.version],
    row: el("tr", {}, el("td", {}, c.name || ""), keyCell(c.sub), keyCell(c.iss),
      el("td", {}, (c.caps || "").split(",").filter(Boolean).map((cap) => el("span", { className: "chip" }, cap))),
      el("td", {}, [c.version, c.rev].filter(Boolean).join(" / "))),
  }));
}

function rateRows(rates) {
  return rates.map((r) => ({
    key: [r.target, r.operation, r.per_minute, r.failed],
    row: el("tr", {}, keyCell(r.target), el("td", {}, r.operation), el("td", {}, r.per_minute), el("td", {}, r.failed)),
  }));
}

async function refresh() {
  try {
    const [lattice, rates] = await Promise.all([getJson("/api/lattice"), getJson("/api/rates")]);
    document.getElementById("where").textContent = `lattice ${lattice.lattice} at ${lattice.nats} · ${lattice.hosts.length} host(s)`;
    document.getElementById("updated").textContent = "updated " + new Date().toLocaleTimeString();
    banner("problems", lattice.errors.join("\n"));
    fill("hosts", hostRows(lattice.hosts), "no host answered");
    fill("actors", actorRows(lattice.actors), "no actors");
    fill("providers", providerRows(lattice.providers), "no providers");
    fill("links", linkRows(lattice.links), "no links");
    fill("apps", appRows(lattice.apps), "no applications deployed");
    fill("claims", claimRows(lattice.claims), "no claims");
    fill("rates", rateRows(rates.rates), "no invocations in the last minute");
  } catch (err) {
    banner("problems", "cannot load the lattice: " + err.message);
  }
}

function scheduleRefresh(delay) {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(async () => {
    await refresh();
    scheduleRefresh(REFRESH_MS);
  }, delay);
}

function showEvent(event) {
  const list = document.getElementById("events");
  const name = String(event.type || "").replace(EVENT_PREFIX, "");
  if (name === "host_heartbeat" && !document.getElementById("heartbeats").checked) return false;
  const time = event.time ? new Date(event.time).toLocaleTimeString() : "";
  const data = JSON.stringify(event.data);
  const item = el("li", { testid: "event" },
    el("span", { className: "time" }, time), el("span", { className: "name", testid: "event-name" }, name),
    el("span", { className: "muted", title: event.source || "" }, short(event.source)), " ",
    el("span", { className: "chip", testid: "event-data", title: data }, data.length > 300 ? data.slice(0, 300) + "…" : data));
  list.prepend(item);
  while (list.children.length > MAX_EVENTS) list.lastChild.remove();
  return true;
}

function listen() {
  const stream = new EventSource("/api/events" + (TOKEN ? "?token=" + encodeURIComponent(TOKEN) : ""));
  const status = document.getElementById("stream");
  stream.onopen = () => { status.textContent = "(live)"; };
  stream.onerror = () => { status.textContent = "(reconnecting)"; };
  stream.onmessage = (message) => {
    let shownEvent = false;
    try {
      shownEvent = showEvent(JSON.parse(message.data));
    } catch (err) {
      return;
    }
    if (shownEvent) scheduleRefresh(300);
  };
}

function formBody(form) {
  const body = Object.fromEntries(new FormData(form).entries());
  if (form.dataset.action === "put_link") {
    body.values = Object.fromEntries(
      (body.values || "").split(",").map((pair) => pair.trim()).filter(Boolean).map((pair) => {
        const at = pair.indexOf("=");
        return at < 0 ? [pair, ""] : [pair.slice(0, at).trim(), pair.slice(at + 1)];
      }));
  }
  return body;
}

document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[data-action]")) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      act(form.dataset.action, formBody(form));
    });
  }
  listen();
  scheduleRefresh(0);
});
