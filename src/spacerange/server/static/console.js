// spacerange exercise console: plain JS over the server's REST + WebSocket API.
// EXERCISE EXERCISE EXERCISE
"use strict";

const S = { token: sessionStorage.getItem("sr_token"), me: null, state: null, view: null,
            ws: null, viewer: null, entities: {}, lastSeq: 0, events: [], refreshPending: false,
            footprints: {}, conjunctions: {} };

const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));

// Requests sent and not yet answered: logging out waits for them, so that none reaches the
// server after its token was revoked (a 401 there would end the next user's session).
const inflight = new Set();
async function api(method, path, body, token = S.token) {
  // After a logout a refresh still running must not ask without credentials.
  if (!token && path !== "/api/auth/login") { const err = new Error("logged out"); err.status = 401; throw err; }
  const sent = fetch(path, { method, headers: { "Content-Type": "application/json",
    ...(token ? { Authorization: "Bearer " + token } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body) });
  inflight.add(sent);
  let r;
  try { r = await sent; } finally { inflight.delete(sent); }
  let data = null;
  try { data = await r.json(); } catch (e) { data = null; }
  // only the session that asked ends on its 401 (not a user who logged in since)
  if (r.status === 401 && path !== "/api/auth/login" && token === S.token) { logout(true); }
  if (!r.ok) { const err = new Error((data && (typeof data.detail === "string" ? data.detail : JSON.stringify(data.detail))) || r.statusText); err.status = r.status; throw err; }
  return data;
}

// ---------------------------------------------------------------- login
$("login-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = new FormData(e.target);
  $("login-error").textContent = "";
  try {
    const t = await api("POST", "/api/auth/login", { username: f.get("username"), password: f.get("password") });
    resetUserState();
    S.token = t.token; sessionStorage.setItem("sr_token", t.token);
    e.target.reset();
    if (t.must_change_password) { $("login").hidden = true; $("pwchange").hidden = false; return; }
    await boot();
  } catch (err) { $("login-error").textContent = err.message; }
});
$("pw-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = new FormData(e.target);
  $("pw-error").textContent = "";
  try {
    await api("POST", "/api/auth/password", { old_password: f.get("old_password"), new_password: f.get("new_password") });
    e.target.reset(); $("pwchange").hidden = true;
    await boot();
  } catch (err) { $("pw-error").textContent = err.message; }
});
$("logout").addEventListener("click", async () => {
  const token = S.token;
  logout(false);  // timers, socket and new requests stop first
  await Promise.allSettled([...inflight]);  // what was already sent is answered on a live token
  try { await api("POST", "/api/auth/logout", undefined, token); } catch (e) {}
});
function logout(expired) {
  S.token = null; sessionStorage.removeItem("sr_token");
  resetUserState();
  $("app").hidden = true; $("pwchange").hidden = true; $("login").hidden = false;
  if (expired) $("login-error").textContent = "Session ended: log in again.";
}
// Everything one user saw goes when they leave: the next user of this tab starts empty
// (events, sequence cursor, panels, globe entities, the live socket).
function resetUserState() {
  const ws = S.ws; S.ws = null;
  if (ws) { ws.onmessage = null; ws.onclose = null; try { ws.close(); } catch (e) {} }
  if (refreshTimer) { clearTimeout(refreshTimer); refreshTimer = null; }
  S.me = null; S.state = null; S.view = null; S.lastSeq = 0; S.events = [];
  S.footprints = {}; S.conjunctions = {}; S.alerts = []; S.sensorSites = [];
  for (const k of Object.keys(rendered)) delete rendered[k];
  for (const id of ["log", "inbox", "alerts", "conj-board", "actions", "objects", "messages", "scoreboard", "sensors"]) { const el = $(id); if (el) el.innerHTML = ""; }
  for (const id of ["inspector", "action-result", "excon-result", "msg-error", "who", "clock", "runstate"]) { const el = $(id); if (el) el.textContent = ""; }
  for (const sel of document.querySelectorAll(".team-select, .own-assets, #msg-to, #ex-serial, #task-sensor, #alert-kind, #msel, #adhoc-to")) sel.innerHTML = "";
  delete $("adhoc-to").dataset.done; $("ex-speed").value = "";
  for (const id of ["eval-queue", "eval-done", "ev-ct", "ev-serial", "ex-obj"]) $(id).innerHTML = "";
  for (const id of ["ev-at", "ex-note"]) $(id).value = "";
  $("ev-guidance").textContent = ""; S.criteria = null; S.compare = null;
  for (const id of ["ov-state", "ov-msel", "ov-score", "ov-ratings", "ov-events", "cmp-conj", "cmp-graded", "cmp-objects", "cmp-team", "timeline", "mnv-epoch-pick"]) $(id).innerHTML = "";
  $("cmp-summary").textContent = ""; $("cmp-overlay").checked = false;
  if (S.viewer) { S.viewer.entities.removeAll(); S.viewer.scene.requestRender(); }
  S.entities = {};
}

// ---------------------------------------------------------------- tabs
const TABS = [["overview", "Overview"], ["inbox", "Inbox"], ["alerts", "Conjunctions & alerts"], ["inspector", "Inspector"], ["actions", "Actions"],
  ["messages", "Messages"], ["score", "Scoreboard"], ["excon", "EXCON"], ["truth", "Truth vs teams"], ["log", "Log"]];
const JUDGES = ["white", "evaluator", "admin"];
function buildTabs(role) {
  const nav = $("tabs"); nav.innerHTML = "";
  for (const [id, label] of TABS) {
    if (["score", "excon", "truth"].includes(id) && !JUDGES.includes(role)) continue;
    if (id === "actions" && !["blue", "red"].includes(role)) continue;
    if (["inbox", "alerts", "inspector"].includes(id) && role === "observer") continue;
    const b = document.createElement("button"); b.textContent = label; b.dataset.tab = id;
    b.setAttribute("data-testid", "tab-" + id); b.setAttribute("role", "tab");
    b.setAttribute("aria-controls", "panel-" + id); b.id = "tab-" + id;
    b.onclick = () => showTab(id); nav.appendChild(b);
  }
  showTab(JUDGES.includes(role) ? "excon" : (role === "observer" ? "overview" : "inbox"));
}
// keyboard: arrows/Home/End move between tabs (the focused tab opens), Tab goes into the panel
$("tabs").addEventListener("keydown", (e) => {
  const tabs = [...document.querySelectorAll("#tabs button")]; const i = tabs.indexOf(document.activeElement);
  if (i < 0) return;
  const j = { ArrowRight: i + 1, ArrowDown: i + 1, ArrowLeft: i - 1, ArrowUp: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
  if (j === undefined) return;
  e.preventDefault(); const t = tabs[(j + tabs.length) % tabs.length]; t.focus(); showTab(t.dataset.tab);
});
function showTab(id) {
  document.querySelectorAll(".panel").forEach((p) => { p.classList.toggle("on", p.id === "panel-" + id); p.setAttribute("aria-labelledby", "tab-" + p.id.slice(6)); });
  document.querySelectorAll("nav button").forEach((b) => { const on = b.dataset.tab === id; b.classList.toggle("on", on); b.setAttribute("aria-selected", on ? "true" : "false"); b.tabIndex = on ? 0 : -1; });
  if (id === "truth") refreshCompare(true);
  if (id === "overview") refreshOverview(true);
}

// ---------------------------------------------------------------- boot
async function boot() {
  S.me = await api("GET", "/api/auth/me");
  S.state = await api("GET", "/api/exercise/state");
  $("login").hidden = true; $("app").hidden = false;
  $("who").textContent = `${S.me.username} (${S.me.role}${S.me.team ? " / " + S.me.team : ""})`;
  const judge = ["white", "evaluator", "admin"].includes(S.me.role);
  $("report-link").hidden = !judge;
  $("globe-kind").textContent = judge ? "globe: TRUTH (white cell)" : (S.me.role === "observer" ? "observer: read only" : "globe: our picture");
  document.querySelectorAll(".white-only").forEach((el) => { el.hidden = !judge; });
  buildTabs(S.me.role);
  for (const sel of document.querySelectorAll(".team-select"))  // only blue/red teams are rated
    sel.innerHTML = S.state.teams.filter((t) => ["blue", "red"].includes(t.role)).map((t) => `<option>${esc(t.id)}</option>`).join("");
  setClock(S.state);
  initGlobe();
  try { const rec = await api("GET", "/api/messages/recipients");
    $("msg-to").innerHTML = rec.map((t) => `<option>${esc(t)}</option>`).join(""); } catch (e) {}
  await refreshView();
  await refreshMessages();
  const evs = await api("GET", "/api/exercise/events?after=0&limit=5000");
  evs.forEach(addEvent);
  connectWs();
}

function setClock(c) {
  $("clock").textContent = c.sim_time_utc ? fmtUtc(c.sim_time_utc) : "--";
  updateCountdowns();
  $("runstate").textContent = c.finished ? "ENDEX" : (c.running ? `running x${c.speed}` : "paused");
  $("runstate").dataset.running = c.running ? "1" : "0";
  if (S.viewer && c.sim_time_utc && window.Cesium)
    S.viewer.clock.currentTime = Cesium.JulianDate.fromIso8601(c.sim_time_utc);
}

// ---------------------------------------------------------------- live
function connectWs() {
  const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
  S.ws = ws;
  ws.onopen = () => ws.send(JSON.stringify({ type: "auth", token: S.token }));
  ws.onmessage = (m) => {
    if (ws !== S.ws) return;  // a socket of a previous login
    const msg = JSON.parse(m.data);
    if (msg.type === "clock") { setClock(msg); scheduleRefresh(2000); }
    else if (msg.type === "hello") setClock(msg.clock);
    else if (msg.type === "event") { addEvent(msg.event); scheduleRefresh(200); }
    else if (msg.type === "message") refreshMessages();
  };
  ws.onclose = (e) => { if (ws !== S.ws) return; if (e.code === 4401) logout(true); else if (S.token) setTimeout(() => { if (S.token && ws === S.ws) connectWs(); }, 2000); };
}

let refreshTimer = null, lastRefresh = 0;
function scheduleRefresh(ms) {
  if (refreshTimer) return;
  const wait = Math.max(0, Math.min(ms, lastRefresh + 2000 - Date.now()));
  refreshTimer = setTimeout(async () => { refreshTimer = null; lastRefresh = Date.now(); await refreshView(); }, wait);
}

function describeEvent(ev) {
  const p = ev.payload || {};
  const bits = [p.title, p.type, p.kind, p.command, p.action && p.action.kind, p.serial, p.text, p.payload_text];
  return bits.filter((b) => b !== undefined && b !== null && b !== "").map(String).join(" | ").slice(0, 300);
}
function addEvent(ev) {
  if (ev.seq <= S.lastSeq) return;
  S.lastSeq = ev.seq; S.events.push(ev);
  const li = document.createElement("li");
  li.innerHTML = `<b>${esc(fmtUtc(ev.sim_time_utc))}</b> ${esc(ev.kind)} ${ev.team ? "[" + esc(ev.team) + "]" : ""} ${esc(describeEvent(ev))}`;
  $("log").prepend(li);
  if (ev.kind === "reentry_prediction") drawFootprint(ev.payload);
  if (ev.kind === "action_rejected" || ev.kind === "action_applied") refreshView();
}

// ---------------------------------------------------------------- view
async function refreshView() {
  const token = S.token;
  let view;
  try { view = await api("GET", "/api/exercise/view"); } catch (e) { return; }
  if (token !== S.token || !S.me) return;  // logged out meanwhile: not this user's view
  S.view = view;
  const v = S.view || {};
  const judge = ["white", "evaluator", "admin"].includes(S.me.role);
  renderList("inbox", (v.inbox || []).slice().reverse(), (i) => `<span class="tag">EXERCISE</span> <i>${esc(fmtUtc(i.sim_time_utc))}</i> <b>${esc(i.msg_id || i.serial || "")}</b> ${esc(i.title || "")}<br>${esc(i.payload_text || i.text || "")} <i>${esc(i.from || i.method || "")}</i>`);
  renderBoard(v.conjunction_board || []);
  renderAlerts(v.alerts || []);
  renderActionLog(v.action_log || []);

  const assets = (v.assets || []).map((a) => (typeof a === "string" ? a : a.id));
  for (const sel of document.querySelectorAll(".own-assets")) {
    const cur = sel.value; sel.innerHTML = assets.map((a) => `<option>${esc(a)}</option>`).join(""); if (cur) sel.value = cur;
  }
  renderSensors(v.sensor_sites || []);
  const pic = v.picture || v.truth || v.objects || [];
  renderList("objects", pic.slice(0, 300), (o) => `<a href="#" data-obj="${esc(o.id)}">${esc(o.id)}</a> ${esc(o.name || "")} ${esc(o.owner || "")}`);
  document.querySelectorAll("#objects a").forEach((a) => a.onclick = (e) => { e.preventDefault(); inspect(a.dataset.obj); });
  if (judge) { renderExcon(v); renderScore(); }
  drawPicture(v);
  renderRoom(v);
}
// Re-render a list only when its content changed (the view refreshes every few seconds:
// rebuilding unchanged lists would detach what the user is about to click).
const rendered = {};
function renderList(id, items, fmt) {
  const html = items.map((i) => `<li>${fmt(i)}</li>`).join("") || "<li><i>none</i></li>";
  if (rendered[id] === html && $(id).innerHTML !== "") return;
  rendered[id] = html; $(id).innerHTML = html;
}

// ---------------------------------------------------------------- players' boards
// UTC to the second: "2026-03-04 06:10:00Z" (the log stores microseconds; nobody reads them)
function fmtUtc(iso) {
  if (!iso || typeof iso !== "string") return "";
  const m = iso.match(/^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(:\d{2})?)/);
  return m ? `${m[1]} ${m[2]}${m[3] ? "" : ":00"}Z` : iso;
}
function simNowMs() { const t = Date.parse(($("clock").textContent || "").trim().replace(" ", "T")); return Number.isFinite(t) ? t : null; }
function fmtCountdown(s) {
  if (!Number.isFinite(s)) return "";
  const sign = s < 0 ? "T+" : "T-"; s = Math.abs(Math.round(s));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  return `${sign}${h}h${String(m).padStart(2, "0")}m${String(sec).padStart(2, "0")}s`;
}
function fmtPc(pc) { return (pc === null || pc === undefined) ? "" : (Number(pc) < 1e-10 ? "<1e-10" : Number(pc).toExponential(1)); }
function updateCountdowns() {
  const now = simNowMs(); if (now === null) return;
  document.querySelectorAll("[data-tca]").forEach((el) => {
    const s = (Date.parse(el.dataset.tca) - now) / 1000;
    el.textContent = fmtCountdown(s); el.classList.toggle("past", s < 0); el.classList.toggle("soon", s >= 0 && s < 6 * 3600);
  });
}
// Pc trend as a small line (log scale, 1e-7 .. 1e-2), the latest point marked
function sparkline(trend) {
  const pts = trend.filter((u) => u.pc > 0);
  if (!pts.length) return '<span class="muted">no Pc</span>';
  const W = 80, H = 22, y = (pc) => H - 2 - (Math.min(Math.max(Math.log10(pc), -7), -2) + 7) / 5 * (H - 4);
  const xs = pts.map((_, i) => (pts.length === 1 ? W - 3 : 3 + i * (W - 6) / (pts.length - 1)));
  const d = pts.map((u, i) => `${i ? "L" : "M"}${xs[i].toFixed(1)},${y(u.pc).toFixed(1)}`).join(" ");
  const last = pts[pts.length - 1];
  return `<svg class="spark" width="${W}" height="${H}" role="img" aria-label="Pc trend ${pts.map((u) => fmtPc(u.pc)).join(", ")}"><line x1="0" x2="${W}" y1="${y(1e-4).toFixed(1)}" y2="${y(1e-4).toFixed(1)}" stroke="#b55" stroke-dasharray="2,2"/><path d="${d}" fill="none" stroke="#7fd0ff" stroke-width="1.5"/><circle cx="${xs[xs.length - 1].toFixed(1)}" cy="${y(last.pc).toFixed(1)}" r="2.5" fill="#fff"/></svg>`;
}
function trendArrow(r) {
  if (r.pc_change === null || r.pc_change === undefined) return "";
  const f = r.pc_change;
  if (f > 1.5) return `<span class="bad" title="Pc rising">&#9650; x${f.toFixed(1)}</span>`;
  if (f < 1 / 1.5) return `<span class="ok" title="Pc falling">&#9660; /${(1 / f).toFixed(1)}</span>`;
  return '<span class="muted" title="Pc steady">&#9654;</span>';
}
function renderBoard(rows) {
  const head = "<tr><th>Event (own / other)</th><th>TCA (UTC)</th><th>in</th><th>miss m</th><th>Pc</th><th>trend</th><th>upd.</th></tr>";
  const body = rows.map((r) => {
    const risk = r.passed ? "passed" : (r.pc >= 1e-4 ? "red" : (r.pc >= 1e-5 ? "amber" : "green"));
    return `<tr class="risk-${risk}" data-testid="conj-row"><td><b>${esc(r.object1)}</b> / ${esc(r.object2)}</td>` +
      `<td>${esc(fmtUtc(r.tca_utc))}</td><td class="countdown" data-tca="${esc(r.tca_utc)}">${esc(fmtCountdown(r.tca_in_s))}</td>` +
      `<td>${r.miss_m === null ? "" : esc(Math.round(r.miss_m))}</td>` +
      `<td class="pc">${r.pc === null ? `<span class="muted" title="${esc(r.pc_note || "")}">n/a</span>` : esc(fmtPc(r.pc))} ${trendArrow(r)}</td>` +
      `<td>${sparkline(r.trend || [])}</td><td title="last ${esc(fmtUtc(r.last_update_utc))}">${esc(r.updates)}</td></tr>`;
  }).join("");
  const html = head + (body || '<tr><td colspan="7"><i>no conjunction in our screening</i></td></tr>');
  if (rendered["conj-board"] !== html) { rendered["conj-board"] = html; $("conj-board").innerHTML = html; }
  updateCountdowns();
}

// alerts: newest first, acknowledge (per user, this tab only), filter by kind and text
function alertKey(a) { return [a.sim_time_utc, a.kind, (a.objects || []).join("/")].join("|"); }
function ackStore() { return "sr_ack_" + ((S.me && S.me.username) || ""); }
function acked() { try { return new Set(JSON.parse(sessionStorage.getItem(ackStore()) || "[]")); } catch (e) { return new Set(); } }
function setAcked(set) { sessionStorage.setItem(ackStore(), JSON.stringify([...set].slice(-2000))); }
function alertText(a) {
  const d = a.details || {};
  const bits = [];
  if (d.tca_utc) bits.push("TCA " + fmtUtc(d.tca_utc));
  if (d.miss_m !== undefined && d.miss_m !== null) bits.push("miss " + Math.round(d.miss_m) + " m");
  if (d.pc !== undefined && d.pc !== null) bits.push("Pc " + fmtPc(d.pc));
  for (const [k, x] of Object.entries(d)) if (!["tca_utc", "miss_m", "pc", "pc_note"].includes(k) && x !== null && typeof x !== "object") bits.push(`${k}=${x}`);
  const objs = a.objects || [];
  return `${objs.slice(0, 4).join(" / ")}${objs.length > 4 ? ` (+${objs.length - 4})` : ""} ${bits.join(", ")}`;
}
function renderAlerts(alerts) {
  S.alerts = alerts.slice().reverse();  // newest first
  const kinds = [...new Set(alerts.map((a) => a.kind || "alert"))].sort();
  const fk = $("alert-kind"); const cur = fk.value;
  const opts = '<option value="">all kinds</option>' + kinds.map((k) => `<option>${esc(k)}</option>`).join("");
  if (rendered["alert-kind"] !== opts) { rendered["alert-kind"] = opts; fk.innerHTML = opts; fk.value = kinds.includes(cur) ? cur : ""; }
  drawAlerts();
}
function drawAlerts() {
  const ack = acked(), kind = $("alert-kind").value, q = $("alert-filter").value.trim().toLowerCase(), showAck = $("alert-show-acked").checked;
  let nNew = 0;
  const rows = [];
  for (const a of S.alerts || []) {
    const key = alertKey(a), isAck = ack.has(key);
    if (!isAck) nNew++;
    if (kind && (a.kind || "alert") !== kind) continue;
    const text = alertText(a);
    if (q && !(text.toLowerCase().includes(q) || String(a.kind).includes(q))) continue;
    if (isAck && !showAck) continue;
    rows.push(`<li class="${isAck ? "acked" : "new"}" data-testid="alert-row"><i>${esc(fmtUtc(a.sim_time_utc))}</i> <b>${esc(a.kind || "alert")}</b> ${esc(text)} ` +
      (isAck ? '<span class="muted">acknowledged</span>' : `<button class="ack" data-key="${esc(key)}" data-testid="alert-ack">Ack</button>`) + "</li>");
  }
  const html = rows.join("") || "<li><i>no alert to show</i></li>";
  if (rendered.alerts !== html) { rendered.alerts = html; $("alerts").innerHTML = html; }
  $("alert-count").textContent = nNew ? `${nNew} new` : "all acknowledged";
  const tab = document.querySelector('nav button[data-tab="alerts"]');
  if (tab) tab.textContent = nNew ? `Conjunctions & alerts (${nNew})` : "Conjunctions & alerts";
}

// our actions: one row per submitted action, its status and outcome
function renderActionLog(rows) {
  const body = rows.map((r) => {
    const st = r.status;
    const cls = st === "rejected" ? "bad" : (st === "pending" ? "warn" : (st === "cancelled" ? "muted" : "ok"));
    let outcome = r.outcome || "";
    if (r.kind === "maneuver" && st === "applied") {
      const after = r.screening_after || [];
      outcome += after.length ? " | after the burn: " + after.map((x) => x.cleared ? `${x.object2} no longer in our screening (${fmtUtc(x.t_utc)})`
        : `${x.object2} new miss ${x.miss_m === null ? "?" : Math.round(x.miss_m)} m, new Pc ${x.pc === null ? "n/a" : fmtPc(x.pc)} (screening ${fmtUtc(x.t_utc)})`).join("; ")
        : " | no screening update since the burn yet";
    }
    const cancel = st === "pending" && ["maneuver", "relocate"].includes(r.kind)
      ? ` <button class="cancel-action" data-seq="${Number(r.seq)}" data-testid="cancel-${Number(r.seq)}">cancel</button>` : "";
    return `<li data-testid="action-row">#${Number(r.seq)} <i>${esc(fmtUtc(r.submitted_utc))}</i> <b>${esc(r.kind)}</b> ${esc(r.subject)} ` +
      `<span class="${cls}">${esc(st)}</span>${outcome ? `<br><small>${esc(outcome)}</small>` : ""}${cancel}</li>`;
  }).join("");
  const html = body || "<li><i>none</i></li>";
  if (rendered.actions !== html) { rendered.actions = html; $("actions").innerHTML = html; }
}

// the team's own sensors: the tasking picker, a list, and the globe (site + coverage)
function renderSensors(sites) {
  S.sensorSites = sites;
  const sel = $("task-sensor"); const cur = sel.value;
  const opts = '<option value="">any of ours (engine picks)</option>' + sites.map((s) => `<option value="${esc(s.id)}">${esc(s.id)}${s.kind ? " - " + esc(s.kind.replace("_", " ")) : ""}</option>`).join("");
  if (rendered["task-sensor"] !== opts) { rendered["task-sensor"] = opts; sel.innerHTML = opts; if (cur) sel.value = cur; }
  const html = sites.map((s) => `<li data-testid="sensor-row"><b>${esc(s.id)}</b> ${esc(s.name || "")} <span class="muted">${esc((s.kind || "").replace("_", " "))}` +
    (s.lat_deg !== undefined ? ` ${esc(s.lat_deg.toFixed(2))}, ${esc(s.lon_deg.toFixed(2))}; covers ${esc(Math.round(s.coverage_radius_km))} km around (target at ${esc(s.coverage_alt_km)} km, el &ge; ${esc(s.min_elevation_deg)}&deg;)` : " location not known to this server") + "</span></li>").join("");
  const h = html || "<li><i>no sensor</i></li>";
  if (rendered.sensors !== h) { rendered.sensors = h; $("sensors").innerHTML = h; }
}

async function renderScore() {
  try {
    const s = await api("GET", "/api/excon/scoreboard");
    const rows = Object.entries(s.teams || {}).map(([t, x]) => `<tr><td>${esc(t)}</td><td>${esc(x.role || "")}</td><td>${esc(x.score ?? "")}</td><td>${esc(JSON.stringify(x.ratings || {}))}</td></tr>`);
    $("scoreboard").innerHTML = "<tr><th>team</th><th>role</th><th>score</th><th>ratings</th></tr>" + rows.join("");
  } catch (e) {}
}
function renderExcon(v) {
  const control = ["white", "admin"].includes(S.me.role);
  document.querySelectorAll("#panel-excon .control-only").forEach((el) => { el.hidden = !control; });
  const speed = Number(v.speed);
  const per = Number.isFinite(speed) ? (speed >= 60 ? `${(speed / 60).toFixed(speed % 60 ? 1 : 0)} min` : `${speed} s`) + " of scenario per second" : "";
  $("excon-clock").textContent = v.finished ? `ENDEX at ${fmtUtc(v.clock_utc)}` :
    `${v.running ? "RUNNING" : "PAUSED"} at ${fmtUtc(v.clock_utc)}, speed x${v.speed} (${per})`;
  $("excon-clock").className = v.running ? "ok" : "warn";
  if (document.activeElement !== $("ex-speed") && !$("ex-speed").value) $("ex-speed").value = v.speed ?? "";
  const nxt = (v.next_events || []).filter((e) => !["picture", "clock", "condition"].includes(e.kind));
  $("excon-next").textContent = nxt.length ? "Next: " + nxt.slice(0, 3).map((e) => `${e.kind}${e.serial ? " " + e.serial : ""} at ${fmtUtc(e.time_utc)}`).join("; ") : "Nothing scheduled before ENDEX.";
  const injects = v.injects || [];
  const sel = $("ex-serial"); const cur = sel.value;
  const opts = injects.map((i) => `<option value="${esc(i.serial)}">${esc(i.serial)} - ${esc(i.title || "")} [${esc(i.status)}]</option>`).join("");
  if (rendered["ex-serial"] !== opts) { rendered["ex-serial"] = opts; sel.innerHTML = opts; if (cur) sel.value = cur; }
  const to = $("adhoc-to");
  if (!to.dataset.done && S.state) {
    to.innerHTML = S.state.teams.filter((t) => ["blue", "red"].includes(t.role)).map((t) => `<label class="inline"><input type="checkbox" name="to" value="${esc(t.id)}"> ${esc(t.id)}</label>`).join(" ");
    to.dataset.done = "1";
    const f = $("adhoc-form"); if (!f.serial.value) f.serial.value = "ADHOC/" + String(injects.filter((i) => i.origin === "adhoc").length + 1).padStart(3, "0");
  }
  renderMsel();
  renderCriteria(injects);
}
async function renderCriteria(injects) {
  let c;
  try { c = await api("GET", "/api/excon/criteria"); } catch (e) { return; }
  S.criteria = c;
  const q = c.queue || [];
  $("eval-count").textContent = q.length ? `(${q.length})` : "(none)";
  const qh = "<tr><th>Inject</th><th>Team</th><th>Critical task</th><th>Guidance</th><th></th></tr>" + (q.map((x, i) =>
    `<tr data-testid="eval-row"><td><b>${esc(x.serial)}</b><br>${esc(x.title || "")}<br><small>released ${esc(fmtUtc(x.release_utc))}</small></td><td>${esc(x.team)}</td>` +
    `<td><b>${esc(x.critical_task || "-")}</b> ${esc(x.critical_task_text || "")}</td><td>${esc(x.guidance || "")}</td>` +
    `<td><button type="button" class="rate-this" data-i="${i}" data-testid="eval-pick">Rate this</button></td></tr>`).join("")
    || '<tr><td colspan="5"><i>nothing waits for an evaluator</i></td></tr>');
  if (rendered["eval-queue"] !== qh) { rendered["eval-queue"] = qh; $("eval-queue").innerHTML = qh; }
  const seen = new Set();  // an evaluator's rating of a task shows once, whatever criteria it covers
  const done = (c.criteria || []).filter((x) => ["rated", "auto"].includes(x.status)).filter((x) => {
    const k = [x.serial, x.team, x.critical_task, x.rating, x.rated_by, x.observed_utc, x.note].join("|"); if (seen.has(k)) return false; seen.add(k); return true; });
  const dh = done.map((x) => `<li data-testid="eval-done-row"><b>${esc(x.rating)}</b> ${esc(x.team)} ${esc(x.critical_task || "")} on ${esc(x.serial)} ` +
    `<span class="muted">${x.status === "rated" ? "by " + esc(x.rated_by) + (x.observed_utc ? ", seen " + esc(fmtUtc(x.observed_utc)) : "") : "automatic"}</span>${x.note ? `<br><small>${esc(x.note)}</small>` : ""}</li>`).join("") || "<li><i>none yet</i></li>";
  if (rendered["eval-done"] !== dh) { rendered["eval-done"] = dh; $("eval-done").innerHTML = dh; }
  const ctOpts = '<option value="">(whole objective)</option>' + (c.critical_tasks || []).map((t) => `<option value="${esc(t.id)}">${esc(t.id)} - ${esc(t.text)}</option>`).join("");
  if (rendered["ev-ct"] !== ctOpts) { rendered["ev-ct"] = ctOpts; $("ev-ct").innerHTML = ctOpts; syncObjectives(); }
  const rel = (injects || []).filter((i) => i.status === "released");
  const sOpts = '<option value="">(no inject)</option>' + rel.map((i) => `<option value="${esc(i.serial)}">${esc(i.serial)} - ${esc(i.title || "")}</option>`).join("");
  const cur = $("ev-serial").value;
  if (rendered["ev-serial"] !== sOpts) { rendered["ev-serial"] = sOpts; $("ev-serial").innerHTML = sOpts; if (cur) $("ev-serial").value = cur; }
  if (!$("ev-at").value) $("ev-at").value = fmtUtc(S.view && S.view.clock_utc).replace(" ", "T");
}
function syncObjectives() {
  const c = S.criteria || {}; const ct = $("ev-ct").value; const cur = $("ex-obj").value;
  const objs = (c.objectives || []).filter((o) => !ct || o.critical_tasks.includes(ct));
  $("ex-obj").innerHTML = objs.map((o) => `<option value="${esc(o.id)}">${esc(o.id)} - ${esc(o.text)}</option>`).join("");
  if (objs.some((o) => o.id === cur)) $("ex-obj").value = cur;
}
function yes(t) { return t ? `&#10003; ${esc(fmtUtc(t).slice(11))}` : '<span class="muted">-</span>'; }
async function renderMsel() {
  let rows;
  try { rows = await api("GET", "/api/excon/msel"); } catch (e) { return; }
  const head = "<tr><th>Inject</th><th>Plan</th><th>Status</th><th>Teams: ack / answered</th><th>Rated</th></tr>";
  const body = rows.map((r) => {
    const plan = r.planned_utc ? fmtUtc(r.planned_utc) : (r.trigger || "");
    const st = r.status === "released" ? `released ${fmtUtc(r.release_utc).slice(11)}` : r.status;
    const teams = r.teams.map((t) => `${esc(t.team)}: ${yes(t.acknowledged_utc)} / ${t.expected ? `${t.answered}/${t.expected}` : "-"}`).join("<br>");
    const rated = r.ratings.length ? r.ratings.map((x) => `${esc(x.critical_task || x.objective)} <b>${esc(x.rating)}</b>${x.source === "evaluator" ? " (eval)" : ""}`).join("<br>") : '<span class="muted">not yet</span>';
    return `<tr class="msel-${esc(r.status)}" data-testid="msel-row" data-serial="${esc(r.serial)}"><td><b>${esc(r.serial)}</b>${r.origin !== "scenario" ? ` <span class="tag2">${esc(r.origin)}</span>` : ""}<br>${esc(r.title || "")}</td>` +
      `<td>${esc(plan)}</td><td>${esc(st)}</td><td>${teams || '<span class="muted">-</span>'}</td><td>${rated}</td></tr>`;
  }).join("");
  const html = head + body;
  if (rendered.msel !== html) { rendered.msel = html; $("msel").innerHTML = html; }
}

// ---------------------------------------------------------------- forms
$("alerts").addEventListener("click", (e) => {
  const b = e.target.closest(".ack"); if (!b) return;
  const set = acked(); set.add(b.dataset.key); setAcked(set); drawAlerts();
});
$("alert-ack-all").addEventListener("click", () => {
  const set = acked(); for (const a of S.alerts || []) set.add(alertKey(a)); setAcked(set); drawAlerts();
});
for (const id of ["alert-kind", "alert-filter", "alert-show-acked"]) $(id).addEventListener("input", drawAlerts);
$("actions").addEventListener("click", async (e) => {
  const b = e.target.closest(".cancel-action"); if (!b) return;
  const out = $("action-result");
  try { const r = await api("POST", "/api/exercise/actions/cancel", { seq: Number(b.dataset.seq) });
    out.className = r.accepted ? "ok" : "bad"; out.textContent = r.accepted ? `cancelled #${b.dataset.seq}` : "not cancelled:\n" + r.errors.join("\n"); }
  catch (err) { out.className = "bad"; out.textContent = err.message; }
  refreshView();
});
$("action-kind").addEventListener("change", syncFields);
function syncFields() {
  const k = $("action-kind").value;
  document.querySelectorAll(".fields").forEach((f) => f.classList.toggle("on", f.dataset.kind === k));
}
syncFields();
const list = (s) => String(s || "").split(",").map((x) => x.trim()).filter(Boolean);
$("action-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const kind = $("action-kind").value;
  const box = document.querySelector(`.fields[data-kind="${kind}"]`);
  const val = (n) => { const el = box.querySelector(`[name="${n}"]`); return el ? el.value : ""; };
  const num = (n) => (val(n) === "" ? undefined : Number(val(n)));
  let a = { kind };
  if (kind === "maneuver") { a.asset = val("asset"); a.dv_rtn_mps = [num("dv_r") || 0, num("dv_t") || 0, num("dv_n") || 0]; if (val("epoch_utc")) a.epoch_utc = val("epoch_utc"); }
  else if (kind === "assessment") Object.assign(a, { threat: val("threat"), objects: list(val("objects")), confidence: num("confidence"), narrative: val("narrative"), time_utc: S.state && $("clock").textContent.replace(" ", "T") });
  else if (kind === "tasking") Object.assign(a, { sensor: val("sensor") || undefined, objects: list(val("objects")), priority: num("priority") });
  else if (kind === "relocate") Object.assign(a, { asset: val("asset"), to_lon_deg: num("to_lon_deg"), drift_days: num("drift_days") });
  else if (kind === "share") Object.assign(a, { to_team: val("to_team"), products: list(val("products")), objects: list(val("objects")) });
  else if (kind === "notify") Object.assign(a, { to: list(val("to")), text: val("text") });
  else if (kind === "countermeasure") Object.assign(a, { measure: val("measure"), asset: val("asset") });
  // optional fields left empty are not sent (the schema refuses empty strings)
  for (const k of Object.keys(a)) if (a[k] === "" || a[k] === undefined || (Array.isArray(a[k]) && !a[k].length && k === "objects" && kind === "share")) delete a[k];
  const out = $("action-result");
  try {
    const r = await api("POST", "/api/exercise/actions", a);
    out.className = r.accepted ? "ok" : "bad";
    out.textContent = r.accepted ? `accepted (log #${r.seq})` : "rejected:\n" + r.errors.join("\n");
  } catch (err) { out.className = "bad"; out.textContent = err.message; }
  refreshView();
});

async function refreshMessages() {
  try {
    const ms = await api("GET", "/api/messages");
    renderList("messages", ms.slice().reverse(), (m) => `<span class="tag">EXERCISE</span> ${esc(m.from_team)} &rarr; ${esc(m.to_team)} <i>${esc(fmtUtc(m.sim_time_utc))}</i><br>${esc(m.text)}`);
  } catch (e) {}
}
$("msg-form").addEventListener("submit", async (e) => {
  e.preventDefault(); const f = new FormData(e.target); $("msg-error").textContent = "";
  try { await api("POST", "/api/messages", { to_team: f.get("to_team"), text: f.get("text") }); e.target.reset(); refreshMessages(); }
  catch (err) { $("msg-error").textContent = err.message; }
});

async function excon(path, body) {
  let ok = false;
  try { const r = await api("POST", "/api/excon/" + path, body); ok = true; $("excon-result").className = "ok"; $("excon-result").textContent = path + ": done" + (typeof r.detail === "string" ? " (" + r.detail + ")" : (r.detail && r.detail.sim_time_utc ? ", clock now " + fmtUtc(r.detail.sim_time_utc) : "")); }
  catch (err) { $("excon-result").className = "bad"; $("excon-result").textContent = path + ": " + err.message; }
  refreshView();
  return ok;
}
$("ex-start").onclick = () => excon("start");
$("ex-pause").onclick = () => excon("pause");
$("ex-speed-set").onclick = () => excon("speed", { speed: Number($("ex-speed").value) });
$("ex-release").onclick = () => excon("inject/release", { serial: $("ex-serial").value });
$("ex-skip").onclick = () => excon("inject/skip", { serial: $("ex-serial").value });
$("ex-contingency").onclick = () => excon("contingency", { serial: $("ex-serial").value });
$("ex-jump").onclick = () => excon("jump");
$("ex-retime").onclick = () => excon("inject/retime", { serial: $("ex-serial").value, at_utc: $("ex-retime-at").value.trim() });
function adhocBody(dry) {
  const f = $("adhoc-form"); const v = (n) => f[n].value.trim();
  const b = { serial: v("serial"), title: v("title"), to: [...f.querySelectorAll('input[name="to"]:checked')].map((x) => x.value),
              method: v("method"), text: v("text"), dry_run: dry };
  if (v("from")) b.from = v("from");
  if (v("ground_truth")) b.ground_truth = v("ground_truth");
  if (v("at_utc")) b.at_utc = v("at_utc");
  const objs = list(v("objects")); if (objs.length) b.objects = objs;
  return b;
}
async function adhoc(release) {
  const out = $("adhoc-result"); const body = adhocBody(true);
  if (!body.to.length) { out.className = "bad"; out.textContent = "not released:\nto: tick at least one team"; return; }
  try {
    const v = await api("POST", "/api/excon/inject/adhoc", body);  // the validator first
    if (!v.detail.valid) { out.className = "bad"; out.textContent = "not released: the scenario validator says\n" + v.detail.errors.join("\n"); return; }
    if (!release) { out.className = "ok"; out.textContent = "valid: the scenario validator accepts it"; return; }
    const r = await api("POST", "/api/excon/inject/adhoc", adhocBody(false));
    out.className = "ok";
    out.textContent = `${body.at_utc ? "scheduled for " + fmtUtc(body.at_utc) : "released"}: ${r.detail}`;
    const f = $("adhoc-form"); const m = f.serial.value.match(/^(.*?)(\d+)$/);
    if (m) f.serial.value = m[1] + String(Number(m[2]) + 1).padStart(m[2].length, "0");
  } catch (err) { out.className = "bad"; out.textContent = "not released:\n" + err.message; }
  refreshView();
}
$("adhoc-check").onclick = () => adhoc(false);
$("adhoc-form").addEventListener("submit", (e) => { e.preventDefault(); adhoc(true); });
function tie() {
  const b = {};
  if ($("ev-serial").value) b.serial = $("ev-serial").value;
  const at = $("ev-at").value.trim(); if (at) b.observed_utc = at.replace(" ", "T");
  return b;
}
$("ex-rate").onclick = () => {
  const b = { team: $("ex-team").value, objective: $("ex-obj").value, rating: $("ex-rating").value, note: $("ex-note").value, ...tie() };
  if ($("ev-ct").value) b.critical_task = $("ev-ct").value;
  excon("rate", b).then((ok) => { if (ok) { $("ex-note").value = ""; $("ev-at").value = ""; $("ev-guidance").textContent = ""; } });
};
$("ex-note-add").onclick = () => {
  if (!$("ex-note").value.trim()) { $("excon-result").className = "bad"; $("excon-result").textContent = "note: write the note first"; return; }
  excon("note", { text: $("ex-note").value, team: $("ex-team").value || undefined, ...tie() }).then((ok) => { if (ok) $("ex-note").value = ""; });
};
$("ev-ct").addEventListener("change", syncObjectives);
$("eval-queue").addEventListener("click", (e) => {
  const b = e.target.closest(".rate-this"); if (!b) return;
  const x = ((S.criteria || {}).queue || [])[Number(b.dataset.i)]; if (!x) return;
  $("ex-team").value = x.team; $("ev-serial").value = x.serial; $("ev-ct").value = x.critical_task || ""; syncObjectives();
  if (x.objectives && x.objectives.length) $("ex-obj").value = x.objectives[0];
  $("ev-guidance").textContent = x.guidance ? "Guidance: " + x.guidance : "";
  $("ev-at").value = fmtUtc(S.view && S.view.clock_utc).replace(" ", "T");
  $("ex-note").focus();
});
$("report-link").onclick = async (e) => {
  e.preventDefault();
  const r = await fetch("/api/exercise/report", { headers: { Authorization: "Bearer " + S.token } });
  const w = window.open(); if (w) w.document.write(await r.text());
};

// ---------------------------------------------------------------- globe
function initGlobe() {
  // ?globe=off: the panels without the 3D globe (a low-power screen, an observer's wall)
  if (new URLSearchParams(location.search).get("globe") === "off") {
    if (!S.viewer) $("globe").innerHTML = '<p class="muted" data-testid="globe-off">Globe off (?globe=off): the panels work without it.</p>';
    return;
  }
  if (S.viewer || !window.Cesium) {
    if (!window.Cesium) $("globe").innerHTML = '<p class="error">Cesium assets missing (run make web); the panels still work.</p>';
    return;
  }
  Cesium.Ion.defaultAccessToken = undefined;
  const viewer = new Cesium.Viewer("globe", {
    baseLayer: Cesium.ImageryLayer.fromProviderAsync(
      Cesium.TileMapServiceImageryProvider.fromUrl(Cesium.buildModuleUrl("Assets/Textures/NaturalEarthII"))),
    baseLayerPicker: false, geocoder: false, timeline: false, animation: false, homeButton: true,
    sceneModePicker: false, navigationHelpButton: false, infoBox: false, fullscreenButton: false,
    contextOptions: { webgl: { preserveDrawingBuffer: true } },
    requestRenderMode: true, maximumRenderTimeChange: Infinity,
  });
  viewer.clock.shouldAnimate = false;
  viewer.camera.setView({ destination: Cesium.Cartesian3.fromDegrees(10, 30, 3.0e7) });
  viewer.selectedEntityChanged.addEventListener((ent) => { if (ent && ent.objId) inspect(ent.objId); });
  S.viewer = viewer; S.entities = {};
  // make a stopped renderer visible to tests and to the user
  viewer.scene.renderError.addEventListener((scene, err) => { window.__renderError = String(err); });
  $("mode-toggle").onclick = () => {
    const to2d = viewer.scene.mode === Cesium.SceneMode.SCENE3D;
    if (to2d) viewer.scene.morphTo2D(0); else viewer.scene.morphTo3D(0);
    $("mode-toggle").textContent = to2d ? "3D globe" : "2D map";
  };
}

function gmstRad(iso) {
  const jd = Date.parse(iso) / 86400000 + 2440587.5;
  const deg = 280.46061837 + 360.98564736629 * (jd - 2451545.0);
  return ((deg % 360) + 360) % 360 * Math.PI / 180;
}
function eciToFixed(r, th) {  // TEME ~ true-of-date: rotate by GMST about z (display accuracy)
  const c = Math.cos(th), s = Math.sin(th);
  return new Cesium.Cartesian3((c * r[0] + s * r[1]) * 1000, (-s * r[0] + c * r[1]) * 1000, r[2] * 1000);
}

function objColor(o, own) {
  if (own.has(o.id)) return Cesium.Color.LIME;
  const t = String(o.object_type || o.type || o.name || o.id).toUpperCase();
  if (t.includes("DEB")) return Cesium.Color.ORANGE;
  if (t.includes("R/B") || t.includes("ROCKET")) return Cesium.Color.GRAY;
  return Cesium.Color.CYAN;
}

function drawPicture(v) {
  if (!S.viewer || !window.Cesium) return;
  const iso = v.clock_utc || (S.state && S.state.sim_time_utc) || $("clock").textContent.replace(" ", "T");
  const th = gmstRad(iso);
  const own = new Set((v.assets || []).map((a) => (typeof a === "string" ? a : a.id)));
  const ents = S.viewer.entities; const seen = new Set(); const pos = {};
  const pic = (v.picture || v.truth || v.objects || []).concat((v.assets || []).filter((a) => typeof a === "object" && a.r_km));
  for (const o of pic) {
    if (!o || !o.r_km || o.r_km.length !== 3) continue;
    const p = eciToFixed(o.r_km, th); pos[o.id] = p; seen.add("o:" + o.id);
    let e = S.entities["o:" + o.id];
    if (!e) {
      e = ents.add({ id: "o:" + o.id, position: p, point: { pixelSize: own.has(o.id) ? 9 : 5, color: objColor(o, own) },
        label: own.has(o.id) ? { text: o.id, font: "12px sans-serif", pixelOffset: new Cesium.Cartesian2(0, -14), fillColor: Cesium.Color.LIME } : undefined });
      e.objId = o.id; S.entities["o:" + o.id] = e;
    } else e.position = p;
  }
  for (const s of v.sensor_sites || []) {
    if (!Number.isFinite(s.lat_deg) || !Number.isFinite(s.lon_deg)) continue;
    const id = "s:" + s.id; seen.add(id);
    if (!S.entities[id]) {
      const r_m = Math.max(1, (s.coverage_radius_km || 0) * 1000);
      S.entities[id] = ents.add({ id, position: Cesium.Cartesian3.fromDegrees(s.lon_deg, s.lat_deg, 0),
        point: { pixelSize: 8, color: Cesium.Color.YELLOW, outlineColor: Cesium.Color.BLACK, outlineWidth: 1 },
        label: { text: s.id, font: "12px sans-serif", fillColor: Cesium.Color.YELLOW, outlineColor: Cesium.Color.BLACK, outlineWidth: 2,
                 style: Cesium.LabelStyle.FILL_AND_OUTLINE, pixelOffset: new Cesium.Cartesian2(0, 14) },
        ellipse: s.coverage_radius_km ? { semiMajorAxis: r_m, semiMinorAxis: r_m, height: 0, fill: true,
                 material: Cesium.Color.YELLOW.withAlpha(0.12), outline: true, outlineColor: Cesium.Color.YELLOW.withAlpha(0.7) } : undefined });
      S.entities[id].objId = "sensor:" + s.id;
    }
  }
  for (const r of v.conjunction_board || []) {
    if (r.passed || !pos[r.object1] || !pos[r.object2]) continue;
    const id = "c:" + r.object1 + ":" + r.object2; seen.add(id);
    if (!S.entities[id]) S.entities[id] = ents.add({ id, polyline: { positions: [pos[r.object1], pos[r.object2]], width: 2, material: Cesium.Color.RED } });
    else S.entities[id].polyline.positions = [pos[r.object1], pos[r.object2]];
  }
  for (const [id, e] of Object.entries(S.entities)) {
    if (!seen.has(id) && !id.startsWith("f:")) { ents.remove(e); delete S.entities[id]; }
  }
  S.viewer.scene.requestRender();
}

// A re-entry footprint is a ground track ([lat, lon] points), not an area: drawn as
// polylines split where it crosses the antimeridian (a polygon over +-180 deg makes
// Cesium's triangulation throw and stops rendering).
function footprintSegments(track) {
  const segs = []; let cur = []; let prev = null;
  for (const pt of track || []) {
    if (!Array.isArray(pt) || pt.length < 2) continue;
    const lat = Number(pt[0]); let lon = Number(pt[1]);
    if (!Number.isFinite(lat) || !Number.isFinite(lon) || Math.abs(lat) > 90) continue;
    lon = ((lon + 180) % 360 + 360) % 360 - 180;
    if (prev !== null && Math.abs(lon - prev) > 180) {
      // close this piece at the antimeridian and open the next one on the other side
      const edge = prev > 0 ? 180 : -180;
      const d = (lon - prev) + (prev > 0 ? 360 : -360);
      const f = d === 0 ? 0 : (edge - prev) / d;
      const latE = cur.length ? cur[cur.length - 1][0] + f * (lat - cur[cur.length - 1][0]) : lat;
      cur.push([latE, edge]); segs.push(cur); cur = [[latE, -edge]];
    }
    cur.push([lat, lon]); prev = lon;
  }
  if (cur.length) segs.push(cur);
  return segs.filter((s) => s.length >= 2);
}
function drawFootprint(p) {
  if (!S.viewer || !window.Cesium || !p || !Array.isArray(p.footprint)) return;
  const base = "f:" + p.object;
  for (const id of Object.keys(S.entities)) if (id === base || id.startsWith(base + ":")) { S.viewer.entities.remove(S.entities[id]); delete S.entities[id]; }
  footprintSegments(p.footprint.slice(0, 5000)).forEach((seg, k) => {
    const deg = []; for (const [lat, lon] of seg) deg.push(lon, lat);
    const id = base + ":" + k;
    S.entities[id] = S.viewer.entities.add({ id, polyline: { positions: Cesium.Cartesian3.fromDegreesArray(deg), width: 3, material: Cesium.Color.RED.withAlpha(0.8) } });
  });
  S.viewer.scene.requestRender();
}

function inspect(id) {
  const v = S.view || {};
  if (String(id).startsWith("sensor:")) {
    const site = (v.sensor_sites || []).find((x) => "sensor:" + x.id === id);
    $("inspector").textContent = site ? JSON.stringify(site, null, 1) : id; showTab("inspector"); return;
  }
  const o = (v.picture || v.truth || v.objects || []).concat(v.assets || []).find((x) => x && (x.id === id || x === id));
  $("inspector").textContent = o ? JSON.stringify(o, null, 1) : id;
  showTab("inspector");
}

if (S.token) boot().catch(() => logout(false));
window.spacerange = { drawFootprint, footprintSegments, state: S };  // for the browser test
