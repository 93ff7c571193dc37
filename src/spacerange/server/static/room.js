// spacerange console, control-room boards: overview (every role), truth vs teams (white
// cell), released ratings (players), the scenario timeline and the manoeuvre epoch picker.
// Loaded after console.js (shares its S, $, esc, api, fmtUtc, rendered).
// EXERCISE EXERCISE EXERCISE
"use strict";

function setHtml(id, html) { if (rendered[id] !== html) { rendered[id] = html; $(id).innerHTML = html; } }
const isJudge = () => S.me && JUDGES.includes(S.me.role);
const isPlayer = () => S.me && ["blue", "red"].includes(S.me.role);
const RATING_WORDS = { P: "performed", S: "some challenges", M: "major challenges", U: "unable" };
function ratingBadge(r) { return r ? `<span class="rating r-${esc(r)}" title="${esc(RATING_WORDS[r] || "")}">${esc(r)}</span>` : '<span class="muted">-</span>'; }

// ---------------------------------------------------------------- overview
let ovBusy = false, ovLast = 0, ovAgain = false;
async function refreshOverview(force) {
  // a forced refresh (after a release) that finds one in flight runs when it ends: the
  // one in flight may have read the state from before the change
  if (ovBusy) { if (force) ovAgain = true; return; }
  if (!S.me || (!force && Date.now() - ovLast < 3000)) return;
  ovBusy = true; ovLast = Date.now(); const token = S.token;
  try {
    const o = await api("GET", "/api/exercise/overview");
    if (token !== S.token) return;
    const run = o.finished ? "ENDEX" : (o.running ? `running, x${o.speed}` : "paused");
    setHtml("ov-state", `<tr><th>Scenario time</th><td data-testid="ov-clock">${esc(fmtUtc(o.sim_time_utc))}</td></tr>` +
      `<tr><th>State</th><td data-testid="ov-run">${esc(run)}</td></tr>` +
      `<tr><th>STARTEX</th><td>${esc(fmtUtc(o.startex_utc))}</td></tr><tr><th>ENDEX</th><td>${esc(fmtUtc(o.endex_utc))}</td></tr>` +
      `<tr><th>Collisions</th><td>${esc(o.collisions)}</td></tr>`);
    setHtml("ov-msel", o.msel_status ? `${esc(o.msel_total)} inject${o.msel_total === 1 ? "" : "s"}: ` + Object.entries(o.msel_status).map(([k, n]) => `${esc(n)} ${esc(k)}`).join(", ")
      : '<span class="muted">the MSEL is the white cell\'s</span>');
    if (o.scoreboard) {
      const rows = o.scoreboard.map((t) => `<tr data-testid="ov-score-row"><td>${esc(t.team)}</td><td>${esc(t.role)}</td><td>${t.score === null || t.score === undefined ? '<span class="muted">-</span>' : esc(t.score)}</td>` +
        `<td>${Object.entries(t.objectives || {}).map(([k, r]) => `${esc(k)} ${ratingBadge(r)}`).join(" ") || '<span class="muted">not rated</span>'}</td></tr>`).join("");
      setHtml("ov-score", `<table class="board"><tr><th>Team</th><th>Role</th><th>Score %</th><th>Objectives</th></tr>${rows}</table>`);
    } else setHtml("ov-score", '<p class="muted">Not released by EXCON yet.</p>');
    $("ov-ratings-box").hidden = !isPlayer();
    if (isPlayer()) {
      const r = await api("GET", "/api/exercise/ratings");
      if (token !== S.token) return;
      const items = r.items.map((x) => `<tr data-testid="own-rating"><td>${ratingBadge(x.rating)}</td><td><b>${esc(x.critical_task || x.objective)}</b> ${esc(x.critical_task_text || x.objective_text)}</td>` +
        `<td>${esc(x.source === "auto" ? "automatic" : "evaluator")}${x.time_utc ? "<br>" + esc(fmtUtc(x.time_utc)) : ""}</td><td>${x.source === "auto" ? '<span class="muted">scored by the scenario\'s criterion</span>' : esc(x.note || "")}</td></tr>`).join("");
      setHtml("ov-ratings", !r.released ? '<p class="muted" data-testid="own-ratings-wait">EXCON has not released the ratings yet.</p>'
        : `<table class="board"><tr><th>Rating</th><th>Task</th><th>By, when</th><th>Note</th></tr>${items || '<tr><td colspan="4"><i>no rating</i></td></tr>'}</table>`);
    }
    setHtml("ov-events", S.events.slice(-12).reverse().map((e) => `<li><b>${esc(fmtUtc(e.sim_time_utc))}</b> ${esc(e.kind.replace(/_/g, " "))} ${esc(describeEvent(e))}</li>`).join("") || "<li><i>none</i></li>");
    if (isJudge()) $("excon-released").textContent = o.ratings_released ? "released to the teams" : "held by EXCON";
  } catch (e) { /* next refresh */ } finally {
    ovBusy = false;
    if (ovAgain) { ovAgain = false; refreshOverview(true); }
  }
}
async function setRelease(on) {
  try { await api("POST", "/api/excon/ratings/release", { released: on });
    $("excon-result").className = "ok"; $("excon-result").textContent = on ? "ratings released to the teams" : "ratings withdrawn"; }
  catch (err) { $("excon-result").className = "bad"; $("excon-result").textContent = "ratings: " + err.message; }
  refreshOverview(true);
}
$("ex-release-ratings").onclick = () => setRelease(true);
$("ex-withdraw-ratings").onclick = () => setRelease(false);

// ---------------------------------------------------------------- truth vs teams
let cmpBusy = false, cmpLast = 0;
function fmtKm(x) { return x === null || x === undefined ? "" : (x < 1 ? `${(x * 1000).toFixed(0)} m` : `${x.toFixed(2)} km`); }
async function refreshCompare(force) {
  if (cmpBusy || !isJudge() || (!force && Date.now() - cmpLast < 10000)) return;
  const sel = $("cmp-team");
  if (!sel.options.length && S.state) sel.innerHTML = S.state.teams.filter((t) => ["blue", "red"].includes(t.role)).map((t) => `<option>${esc(t.id)}</option>`).join("");
  if (!sel.value) return;
  cmpBusy = true; cmpLast = Date.now(); const token = S.token;
  try {
    const c = await api("GET", "/api/excon/compare?team=" + encodeURIComponent(sel.value));
    if (token !== S.token) return;
    S.compare = c;
    const bad = c.objects.filter((o) => o.error_sigma !== null && o.error_sigma > 3).length;
    $("cmp-summary").textContent = `${c.team}, picture of ${fmtUtc(c.picture_utc || c.clock_utc)}: holds ${c.held} of ${c.truth_objects} truth objects; ` +
      `${bad} outside 3 sigma; ${c.not_held.count} not held` + (c.not_held.ids.length ? ` (newest: ${c.not_held.ids.slice(0, 5).join(", ")})` : "") + ".";
    const conj = c.conjunctions.map((r) => `<tr data-testid="cmp-conj-row"><td><b>${esc(r.object1)}</b> / ${esc(r.object2)}</td><td>${esc(fmtUtc(r.tca_utc))}<br><span class="muted">${esc(fmtUtc(r.truth_tca_utc))}</span></td>` +
      `<td>${r.miss_m === null ? "" : esc(Math.round(r.miss_m))}<br><span class="muted">${r.truth_miss_m === null ? esc(r.truth_error || "n/a") : esc(Math.round(r.truth_miss_m))}</span></td>` +
      `<td>${r.tca_error_s === null ? "" : esc(r.tca_error_s.toFixed(1))}</td><td>${esc(fmtPc(r.pc))}</td></tr>`).join("");
    setHtml("cmp-conj", "<tr><th>Pair</th><th>TCA team<br>truth</th><th>miss m team<br>truth</th><th>TCA err s</th><th>team Pc</th></tr>" + (conj || '<tr><td colspan="5"><i>no open conjunction in this team\'s screening</i></td></tr>'));
    const yesno = (b) => (b === null || b === undefined ? '<span class="muted">n/a</span>' : (b ? '<span class="ok">met</span>' : '<span class="bad">missed</span>'));
    const gr = c.graded.map((g) => `<tr data-testid="cmp-graded-row"><td>${esc(g.objects.join(" / "))}</td><td>${esc(fmtUtc(g.tca_utc))}</td><td>${esc(g.miss_m)}</td><td>${esc(g.n_updates)}</td>` +
      `<td>${g.held_lead_s === null ? "-" : esc((g.held_lead_s / 3600).toFixed(1) + " h")}</td><td>${g.tca_error_s === null ? "-" : esc(g.tca_error_s)}</td><td>${g.miss_error_sigma === null ? "-" : esc(g.miss_error_sigma)}</td>` +
      `<td>held 24 h ${yesno(g.goals_met.held_24h)}, TCA 10 s ${yesno(g.goals_met.tca_10s)}, miss 3 sigma ${yesno(g.goals_met.miss_3sigma)}, Pc 12 h ${yesno(g.goals_met.pc_12h)}</td></tr>`).join("");
    setHtml("cmp-graded", "<tr><th>Pair</th><th>truth TCA</th><th>truth miss m</th><th>updates</th><th>held ahead</th><th>TCA err s</th><th>miss err sigma</th><th>goals</th></tr>" + (gr || '<tr><td colspan="8"><i>no graded conjunction for this team</i></td></tr>'));
    const objs = c.objects.slice(0, 40).map((o) => `<tr class="${o.error_sigma > 3 ? "risk-red" : ""}" data-testid="cmp-obj-row"><td>${esc(o.id)}${o.truth_id && o.truth_id !== o.id ? `<br><span class="muted">is ${esc(o.truth_id)}</span>` : ""}</td>` +
      `<td>${esc(fmtKm(o.error_km))}</td><td>${esc(fmtKm(o.sigma_km))}</td><td>${o.error_sigma === null ? "" : esc(o.error_sigma)}</td><td>${esc(o.custody || "")}</td><td>${esc(fmtUtc(o.last_obs_utc))}</td></tr>`).join("");
    setHtml("cmp-objects", "<tr><th>Team's name</th><th>error</th><th>team 1-sigma</th><th>error / sigma</th><th>custody</th><th>last obs</th></tr>" + (objs || '<tr><td colspan="6"><i>empty picture</i></td></tr>'));
    if ($("cmp-overlay").checked) await drawTeamOverlay(sel.value); else clearOverlay();
  } catch (e) { $("cmp-summary").textContent = "comparison: " + e.message; } finally { cmpBusy = false; }
}
$("cmp-team").addEventListener("change", () => refreshCompare(true));
$("cmp-refresh").addEventListener("click", () => refreshCompare(true));
$("cmp-overlay").addEventListener("change", () => refreshCompare(true));
function clearOverlay() {
  if (!S.viewer) return;
  for (const id of Object.keys(S.entities)) if (id.startsWith("t:")) { S.viewer.entities.remove(S.entities[id]); delete S.entities[id]; }
  S.viewer.scene.requestRender();
}
async function drawTeamOverlay(team) {
  if (!S.viewer || !window.Cesium) return;
  const tv = await api("GET", "/api/teams/" + encodeURIComponent(team) + "/view");
  clearOverlay();
  const th = gmstRad(tv.clock_utc);
  for (const o of tv.picture || []) {
    if (!o.r_km || o.r_km.length !== 3) continue;
    const id = "t:" + o.id;
    S.entities[id] = S.viewer.entities.add({ id, position: eciToFixed(o.r_km, th),
      point: { pixelSize: 7, color: Cesium.Color.TRANSPARENT, outlineColor: Cesium.Color.WHITE, outlineWidth: 1.5 } });
    S.entities[id].objId = o.id;
  }
  S.viewer.scene.requestRender();
}

// ---------------------------------------------------------------- timeline
// STARTEX..ENDEX with the scenario time, hour ticks and the caller's own marks: injects
// (white cell), messages, TCAs and actions (players), public events (observers).  Marks
// carry no text (no overlapping labels): hover or focus the strip for the list.
function renderTimeline(v) {
  if (!S.state || !S.state.startex_utc) return;
  const t0 = Date.parse(S.state.startex_utc), t1 = Date.parse(S.state.endex_utc);
  const now = Date.parse(v.clock_utc || S.state.sim_time_utc);
  if (!(t1 > t0)) return;
  const W = 1000, H = 34, x = (t) => 60 + (Math.min(Math.max(t, t0), t1) - t0) / (t1 - t0) * (W - 120);
  const marks = [];
  const add = (t, kind, text) => { const ms = Date.parse(t); if (Number.isFinite(ms)) marks.push([ms, kind, text]); };
  if (isJudge()) for (const i of v.injects || []) add(i.release_utc || i.planned_utc, "inject", `${i.serial} ${i.title || ""} (${i.status})`);
  for (const m of v.inbox || []) add(m.sim_time_utc, "inject", `message: ${m.title || m.payload_text || ""}`.slice(0, 80));
  for (const r of v.conjunction_board || []) add(r.tca_utc, "tca", `TCA ${r.object1} / ${r.object2}, miss ${Math.round(r.miss_m)} m`);
  for (const a of v.action_log || []) add(a.submitted_utc, "action", `${a.kind} ${a.subject} (${a.status})`);
  if (S.me && S.me.role === "observer") for (const e of S.events.slice(-200)) add(e.sim_time_utc, "event", e.kind);
  const hours = (t1 - t0) / 3.6e6, step = [1, 2, 3, 6, 12, 24, 48].find((h) => hours / h <= 8) || 96;
  let ticks = "";
  for (let h = step; h < hours; h += step) ticks += `<line x1="${x(t0 + h * 3.6e6)}" x2="${x(t0 + h * 3.6e6)}" y1="12" y2="22" class="tick"/><text x="${x(t0 + h * 3.6e6)}" y="32" class="tl-tick">+${h} h</text>`;
  const shape = { inject: (px) => `<rect x="${px - 3}" y="9" width="6" height="6" class="m-inject"/>`,
    tca: (px) => `<path d="M${px},7 l4,5 l-4,5 l-4,-5z" class="m-tca"/>`,
    action: (px) => `<circle cx="${px}" cy="21" r="3" class="m-action"/>`, event: (px) => `<circle cx="${px}" cy="12" r="2" class="m-event"/>` };
  const m = marks.map(([t, k, text]) => `<g>${shape[k](x(t).toFixed(1))}<title>${esc(fmtUtc(new Date(t).toISOString()))} ${esc(text)}</title></g>`).join("");
  const label = `Scenario ${fmtUtc(S.state.startex_utc)} to ${fmtUtc(S.state.endex_utc)}, now ${fmtUtc(v.clock_utc)}; ` +
    marks.sort((a, b) => a[0] - b[0]).slice(0, 30).map(([t, k, text]) => `${fmtUtc(new Date(t).toISOString()).slice(11)} ${k} ${text}`).join("; ");
  const html = `<svg viewBox="0 0 ${W} ${H}" preserveAspectRatio="none" width="100%" height="${H}" aria-hidden="true">` +
    `<line x1="60" x2="${W - 60}" y1="17" y2="17" class="axis"/>` +
    `<rect x="60" y="14" width="${Math.max(0, x(now) - 60).toFixed(1)}" height="6" class="elapsed"/>${ticks}${m}` +
    `<line x1="${x(now).toFixed(1)}" x2="${x(now).toFixed(1)}" y1="3" y2="31" class="now"/>` +
    `<text x="2" y="21" class="tl-end">STARTEX</text><text x="${W - 2}" y="21" class="tl-end" text-anchor="end">ENDEX</text></svg>` +
    `<span class="tl-legend"><span class="k-inject"></span>inject/message <span class="k-tca"></span>TCA <span class="k-action"></span>our action</span>`;
  $("timeline").setAttribute("aria-label", label); $("timeline").tabIndex = 0; $("timeline").title = label;
  setHtml("timeline", html);
}

// ---------------------------------------------------------------- epoch picker
// Manoeuvre epochs worth choosing: the earliest the uplink allows, and before each open
// conjunction of the chosen asset half an orbit, one and two orbits ahead of TCA (a
// tangential burn changes the along-track separation most when made a whole number of
// half revolutions before TCA).
function periodS(a) {
  const r = Math.hypot(...a.r_km), v = Math.hypot(...a.v_km_s), mu = 398600.4418;
  const sma = 1 / (2 / r - v * v / mu);
  return sma > 0 ? 2 * Math.PI * Math.sqrt(sma ** 3 / mu) : null;
}
function isoS(ms) { return new Date(Math.round(ms / 1000) * 1000).toISOString().replace(".000Z", "Z"); }
function renderEpochPicker(v) {
  const sel = $("mnv-epoch-pick"); if (!sel) return;
  const assetId = document.querySelector('[data-testid="mnv-asset"]').value;
  const asset = (v.assets || []).find((a) => a && a.id === assetId);
  const now = Date.parse(v.clock_utc), up = (v.uplink_delay_s || 0) * 1000;
  const opts = [["", "choose..."], [isoS(now + up), `earliest: ${fmtUtc(isoS(now + up))} (now + uplink ${Math.round(up / 60000)} min)`]];
  const P = asset && asset.r_km && asset.v_km_s ? periodS(asset) : null;
  for (const r of v.conjunction_board || []) {
    if (r.passed || (r.object1 !== assetId && r.object2 !== assetId)) continue;
    const tca = Date.parse(r.tca_utc), other = r.object1 === assetId ? r.object2 : r.object1;
    for (const k of P ? [0.5, 1, 2] : []) {
      const t = tca - k * P * 1000;
      if (t > now + up) opts.push([isoS(t), `${fmtUtc(isoS(t))}: ${k} orbit${k === 1 ? "" : "s"} before TCA with ${other}`]);
    }
  }
  const html = opts.map(([val, text]) => `<option value="${esc(val)}">${esc(text)}</option>`).join("");
  const cur = sel.value; setHtml("mnv-epoch-pick", html); sel.value = [...sel.options].some((o) => o.value === cur) ? cur : "";
}
$("mnv-epoch-pick").addEventListener("change", (e) => { if (e.target.value) document.querySelector('[data-testid="mnv-epoch"]').value = e.target.value; });

// called by console.js after each view refresh
function renderRoom(v) {
  renderTimeline(v);
  if (isPlayer()) renderEpochPicker(v);
  const on = document.querySelector(".panel.on");
  if (on && on.id === "panel-overview") refreshOverview();
  if (on && on.id === "panel-truth") refreshCompare();
}
