"""Write a synthetic but plausible exercise RUN_DIR (generated -- not a real engine run).

The run directory follows ``engine_contract.md``: ``scenario.yaml`` (a copy), ``run.json``,
``events.sqlite`` (table ``events``) and ``summary.json``.  Every event kind of the contract
appears at least once when the scenario has the threats that produce it (the bundled
``scenarios/asterx-demo.yaml`` has them all).  It lets the report and the server be developed
and tested without the engine; the physics is deliberately simple (Keplerian fragment
orbits from random delta-v, a drifting/football relative trajectory, a shrinking re-entry
window), the *shape* of the data is what matters.

Usage::

    .venv/bin/python tools/make_sample_run.py RUN_DIR [--scenario scenarios/asterx-demo.yaml]
        [--seed 7] [--empty]
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from spacerange.exercise.scenario import AfterTrigger, ConditionTrigger, Scenario
from spacerange.exercise.scenario.common import resolve_time
from spacerange.exercise.validate import load_scenario

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SCENARIO = REPO / "scenarios" / "asterx-demo.yaml"

MU_KM3_S2 = 398600.4418
RE_KM = 6378.137

#: scenario expected-action kind -> action kind of the engine contract
ACTION_OF = {
    "assessment": "assessment",
    "report": "notify",
    "notification": "notify",
    "tasking": "tasking",
    "maneuver": "maneuver",
    "countermeasure": "relocate",
    "data_share": "share",
    "catalog_update": "tasking",
    "reentry_prediction": "assessment",
    "coordination": "rfi",
}

SCHEMA = """CREATE TABLE IF NOT EXISTS events(
    seq INTEGER PRIMARY KEY, sim_time_utc TEXT, wall_time_utc TEXT, kind TEXT,
    team TEXT NULL, visible_to TEXT, payload TEXT)"""


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Log:
    def __init__(self, startex: datetime, compression: float):
        self.rows: list[tuple[datetime, int, str, str | None, list[str], dict]] = []
        self.startex = startex
        self.compression = compression
        self._n = 0

    def add(self, t: datetime, kind: str, payload: dict, team: str | None = None, vis=None):
        self._n += 1
        self.rows.append((t, self._n, kind, team, [] if vis is None else list(vis), payload))

    def has(self, kind: str) -> bool:
        return any(r[2] == kind for r in self.rows)

    def write(self, path: Path) -> int:
        rows = sorted(self.rows, key=lambda r: (r[0], r[1]))
        wall0 = datetime(2026, 1, 20, 9, 0, tzinfo=UTC)
        con = sqlite3.connect(path)
        try:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute(SCHEMA)
            for seq, (t, _, kind, team, vis, payload) in enumerate(rows, start=1):
                wall = wall0 + (t - self.startex) / self.compression
                con.execute(
                    "INSERT INTO events VALUES (?,?,?,?,?,?,?)",
                    (seq, _iso(t), _iso(wall), kind, team, json.dumps(vis), json.dumps(payload)),
                )
            con.commit()
        finally:
            con.close()
        return len(rows)


def _release_times(sc: Scenario) -> dict[str, datetime]:
    """Approximate release instant of every planned inject (conditions: one day after the
    latest earlier threat inject)."""
    start = sc.exercise.startex
    out: dict[str, datetime] = {}
    last_threat = start
    pending = list(sc.iter_injects())
    for _ in range(len(pending) + 1):
        left = []
        for ev, inc, inj in pending:
            if inj.at is not None:
                t = sc.time_of(inj.at)
            elif isinstance(inj.trigger, AfterTrigger):
                if inj.trigger.after not in out:
                    left.append((ev, inc, inj))
                    continue
                parent = sc.inject(inj.trigger.after)
                t = out[inj.trigger.after] + inj.trigger.delay
                if inj.trigger.on == "resolved":
                    t += max((e.deadline for e in parent.expected_actions), default=timedelta(0))
            elif isinstance(inj.trigger, ConditionTrigger):
                nb = inj.trigger.not_before
                t = max(last_threat + timedelta(hours=20), resolve_time(nb, start) if nb else start)
            else:  # pragma: no cover - validated scenario
                continue
            out[inj.serial] = t
            if inj.action is not None:
                last_threat = max(last_threat, t)
        if not left:
            break
        pending = left
    return out


def _fragments(rng: np.random.Generator, alt_km: float, n: int) -> dict[str, list[float]]:
    """Keplerian orbits of ``n`` fragments given random delta-v at a circular parent orbit."""
    r0 = RE_KM + alt_km
    v0 = math.sqrt(MU_KM3_S2 / r0)
    dv = rng.lognormal(mean=math.log(0.08), sigma=0.6, size=n)  # km/s
    u = rng.normal(size=(n, 3))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    v = np.array([0.0, v0, 0.0]) + dv[:, None] * u  # RTN at the parent position
    energy = 0.5 * np.sum(v**2, axis=1) - MU_KM3_S2 / r0
    a = -MU_KM3_S2 / (2.0 * energy)
    h = r0 * np.hypot(v[:, 1], v[:, 2])
    e = np.sqrt(np.maximum(0.0, 1.0 - h**2 / (MU_KM3_S2 * a)))
    ok = (a > 0) & (a * (1 - e) > RE_KM + 100.0)
    a, e = a[ok], e[ok]
    return {
        "apogee_km": np.round(a * (1 + e) - RE_KM, 2).tolist(),
        "perigee_km": np.round(a * (1 - e) - RE_KM, 2).tolist(),
        "period_min": np.round(2 * np.pi * np.sqrt(a**3 / MU_KM3_S2) / 60.0, 3).tolist(),
    }


def _ground_track(inc_deg: float, lon0_deg: float, n: int = 60) -> list[list[float]]:
    """A half-revolution ground track (lat, lon) in degrees around the predicted point."""
    u = np.linspace(-np.pi / 2, np.pi / 2, n)
    i = math.radians(inc_deg)
    lat = np.degrees(np.arcsin(np.sin(i) * np.sin(u)))
    dlon = np.degrees(np.arctan2(np.cos(i) * np.sin(u), np.cos(u))) - np.degrees(u) * (
        92.0 / 1436.0
    )
    lon = (lon0_deg + dlon + 180.0) % 360.0 - 180.0
    return [[round(float(a), 3), round(float(b), 3)] for a, b in zip(lat, lon, strict=True)]


def make_sample_run(
    run_dir: str | Path,
    scenario_path: str | Path = DEFAULT_SCENARIO,
    *,
    seed: int = 7,
    empty: bool = False,
) -> Path:
    """Write a synthetic RUN_DIR for ``scenario_path``; ``empty`` writes only
    ``run_started``/``run_ended`` (no injects played).  Returns the run directory."""
    run = Path(run_dir)
    run.mkdir(parents=True, exist_ok=True)
    sc = load_scenario(scenario_path)
    shutil.copyfile(scenario_path, run / "scenario.yaml")
    rng = np.random.default_rng(seed)
    ex = sc.exercise
    start, end = ex.startex, ex.endex
    log = _Log(start, ex.compression)
    teams = {t.id: t for t in sc.teams}
    blue = [t.id for t in sc.teams if t.role == "blue"]
    red = [t.id for t in sc.teams if t.role == "red"]
    skill = {t: float(rng.uniform(0.55, 0.95)) for t in blue + red}
    autopilots = {t: "competent" for t in blue} | {t: "passive" for t in red}
    log.add(
        start,
        "run_started",
        {
            "scenario_name": ex.name,
            "seed": ex.seed,
            "startex": _iso(start),
            "endex": _iso(end),
            "compression": ex.compression,
            "teams": {t.id: {"role": t.role, "plays": t.plays} for t in sc.teams},
            "objectives": [o.model_dump(mode="json") for o in sc.objectives],
        },
        vis=["*"],
    )
    log.add(start, "excon", {"command": "start", "args": {}}, team="excon")
    scores = {t: 0.0 for t in blue + red}
    ratings: dict[str, dict[str, str]] = {t: {} for t in blue + red}
    collisions = 0
    if not empty:
        t = start
        while t <= end:
            log.add(
                t, "clock", {"sim_time_utc": _iso(t), "speed": "max", "paused": False}, vis=["*"]
            )
            t += timedelta(hours=1)
        log.add(
            start + (end - start) * 0.3,
            "excon",
            {"command": "speed", "args": {"speed": ex.compression * 2}},
            team="excon",
        )
        collisions = _play(sc, log, rng, skill, scores, ratings, teams)
        log.add(
            start + (end - start) * 0.45,
            "evaluator_note",
            {
                "text": "Watch floor kept a clear log; hand-over at shift change was verbal only.",
                "author": "lead evaluator",
            },
            team=None,
        )
    # ratings of objectives (worst critical task of each)
    order = "PSMU"
    for obj in sc.objectives:
        for team in obj.teams or blue:
            cts = [ratings.get(team, {}).get(ct) for ct in obj.critical_tasks]
            cts = [r for r in cts if r]
            if cts:
                worst = max(cts, key=order.index)
                log.add(
                    end,
                    "rating",
                    {
                        "team": team,
                        "objective": obj.id,
                        "rating": worst,
                        "source": "auto",
                        "note": "worst critical task",
                    },
                )
                ratings[team][obj.id] = worst
    log.add(end, "excon", {"command": "pause", "args": {}}, team="excon")
    log.add(end, "run_ended", {"scores": scores, "collisions": collisions}, vis=["*"])
    n_events = log.write(run / "events.sqlite")
    run_id = f"sample-{ex.seed}-{seed}"
    (run / "run.json").write_text(
        json.dumps(
            {
                "run_id": run_id,
                "scenario": str(scenario_path),
                "seed": ex.seed,
                "autopilots": autopilots,
                "created_utc": "2026-01-20T09:00:00Z",
                "generated_by": "tools/make_sample_run.py (synthetic)",
            },
            indent=2,
        )
    )
    n_inj = sum(1 for _ in sc.iter_injects())
    summary = {
        "run": str(run),
        "injects": 0 if empty else n_inj,
        "threat_types": len({i.action.kind for _, _, i in sc.iter_injects() if i.action}),
        "events": n_events,
        "teams": {
            tid: {
                "role": teams[tid].role,
                "score": scores.get(tid, 0.0),
                "ratings": {k: v for k, v in ratings.get(tid, {}).items() if k.startswith("OBJ")},
            }
            for tid in blue + red
        },
        "collisions": collisions,
    }
    (run / "summary.json").write_text(json.dumps(summary, indent=2))
    return run


def _play(sc, log, rng, skill, scores, ratings, teams) -> int:  # noqa: C901 - a script
    start, end = sc.exercise.startex, sc.exercise.endex
    rel = _release_times(sc)
    collisions = 0
    skipped_one = False
    for _ev, _inc, inj in sc.iter_injects():
        t_rel = rel.get(inj.serial)
        kind = inj.action.kind if inj.action is not None else None
        if (
            t_rel is None
            or t_rel > end
            or (not skipped_one and kind == "media" and inj.trigger is not None)
        ):
            skipped_one = True
            log.add(
                min(t_rel or end, end),
                "inject_skipped",
                {"serial": inj.serial, "reason": "EXCON decision: storyline complete"},
                team="excon",
            )
            log.add(
                min(t_rel or end, end),
                "excon",
                {"command": "skip", "args": {"serial": inj.serial}},
                team="excon",
            )
            continue
        if isinstance(inj.trigger, ConditionTrigger):
            log.add(
                t_rel, "excon", {"command": "release", "args": {"serial": inj.serial}}, team="excon"
            )
        log.add(
            t_rel,
            "inject_released",
            {
                "serial": inj.serial,
                "title": inj.title,
                "to": inj.to,
                "method": inj.method,
                "threat": kind,
                "payload_text": inj.payload.text or "",
                "data": {"refs": [d.model_dump(mode="json") for d in inj.payload.data]},
            },
            team="excon",
            vis=inj.to,
        )
        players = [t for t in inj.to if t in skill]
        # ---- world enactment (truth, white only)
        a = inj.action
        maneuver_at: dict[str, datetime] = {}
        if kind in ("geo_rendezvous", "leo_inspector"):
            red_obj = a.red_asset if kind == "geo_rendezvous" else a.inspector
            final = a.final_range_km if kind == "geo_rendezvous" else a.approach_range_km
            dur = a.duration
            for k in range(3):
                log.add(
                    t_rel + dur * (k / 3.0),
                    "world_event",
                    {
                        "type": "maneuver",
                        "objects": [red_obj],
                        "details": {"dv_mps": round(float(rng.uniform(1, 5)), 2), "burn": k + 1},
                    },
                )
            log.add(
                t_rel + dur,
                "world_event",
                {
                    "type": "rendezvous",
                    "objects": [red_obj, a.target],
                    "details": {"range_km": final},
                },
            )
            n = 72
            tt = np.linspace(0.0, 1.0, n)
            if kind == "geo_rendezvous":
                along = -(700.0 * (1 - tt) ** 2 + final)
                radial = 8.0 * np.sin(2 * np.pi * tt * 3) * (1 - tt) + 0.3
                normal = 2.0 * np.cos(2 * np.pi * tt * 3) * (1 - tt)
            else:
                ph = 2 * np.pi * tt * 12
                amp = 40.0 * (1 - tt) + final / 4
                radial = amp * np.cos(ph)
                along = -2 * amp * np.sin(ph) - (400 * (1 - tt) ** 1.5 + final)
                normal = 3.0 * np.sin(ph)
            samples = [
                [
                    _iso(t_rel + dur * float(x)),
                    round(float(r), 3),
                    round(float(s), 3),
                    round(float(w), 3),
                ]
                for x, r, s, w in zip(tt, radial, along, normal, strict=True)
            ]
            log.add(
                t_rel + dur, "relative_motion", {"objects": [a.target, red_obj], "samples": samples}
            )
            if kind == "leo_inspector" and a.release is not None:
                t_r = t_rel + dur + a.release.after
                log.add(
                    t_r,
                    "world_event",
                    {
                        "type": "release",
                        "objects": [red_obj, a.release.deployable],
                        "details": {"dv_mps": a.release.relative_speed_m_s},
                    },
                )
        elif kind == "debris_event":
            objs = [a.parent] + ([a.impactor] if a.impactor else [])
            if a.breakup == "collision":
                collisions += 1
                log.add(
                    t_rel,
                    "world_event",
                    {
                        "type": "collision",
                        "objects": objs,
                        "details": {"relative_speed_km_s": 11.4},
                    },
                )
            fr = _fragments(rng, 780.0, 900)
            log.add(
                t_rel,
                "world_event",
                {
                    "type": "breakup",
                    "objects": objs,
                    "details": {"n_fragments": len(fr["period_min"]), "model": "NASA SBM"},
                },
            )
            log.add(
                t_rel + timedelta(minutes=5),
                "fragments",
                {"parent": a.parent, "n": len(fr["period_min"]), **fr},
            )
        elif kind == "uncontrolled_reentry":
            t_exp = resolve_time(a.expected_reentry, start)
            unc = a.uncertainty
            t = t_rel
            k = 0
            while t < t_exp - timedelta(hours=2):
                left = (t_exp - t) / (t_exp - t_rel)
                half = unc + timedelta(hours=30) * left
                bias = timedelta(hours=float(rng.normal(0, 3)) * left)
                ml = t_exp + bias
                log.add(
                    t,
                    "reentry_prediction",
                    {
                        "object": a.object,
                        "window_start": _iso(ml - half),
                        "window_end": _iso(ml + half),
                        "most_likely": _iso(ml),
                        "footprint": _ground_track(41.5, -60.0 + 25.0 * k),
                    },
                )
                t += timedelta(hours=12)
                k += 1
            if t_exp <= end:
                log.add(
                    t_exp,
                    "world_event",
                    {
                        "type": "reentry",
                        "objects": [a.object],
                        "details": {"lat_deg": -12.3, "lon_deg": 141.0},
                    },
                )
        elif kind == "unannounced_maneuver":
            t_b = resolve_time(a.at, start) if a.at else t_rel
            log.add(
                t_b,
                "world_event",
                {"type": "maneuver", "objects": [a.asset], "details": {"dv_rtn_mps": a.dv_rtn_mps}},
            )
        elif kind == "sensor_outage":
            log.add(
                t_rel,
                "world_event",
                {
                    "type": "sensor_outage",
                    "objects": a.sensors,
                    "details": {"duration_h": a.duration / timedelta(hours=1), "cause": a.cause},
                },
            )
        elif kind == "space_weather":
            log.add(
                t_rel,
                "world_event",
                {
                    "type": "space_weather",
                    "objects": [],
                    "details": {"ap": a.ap, "f107_sfu": a.f107_sfu},
                },
            )
        elif kind == "new_launch":
            log.add(
                t_rel + timedelta(hours=1),
                "world_event",
                {
                    "type": "launch",
                    "objects": [f"{a.id_prefix}-{k + 1}" for k in range(a.n_objects)],
                    "details": {"owner": a.owner},
                },
            )
        # ---- players
        for team in players:
            sk = skill[team]
            lat_det = (
                timedelta(hours=float(rng.uniform(0.3, 5.0)))
                if inj.method == "sensor-feed"
                else timedelta(minutes=float(rng.uniform(2, 20)))
            )
            t_det = t_rel + lat_det
            if inj.expected_actions or kind:
                log.add(
                    t_det,
                    "detection",
                    {
                        "team": team,
                        "serial": inj.serial,
                        "threat": kind,
                        "objects": list(getattr(a, "target", None) and [a.target] or []),
                        "first_seen_utc": _iso(t_det),
                    },
                    team=team,
                    vis=[team],
                )
            done: dict[str, datetime] = {}
            for exa in inj.expected_actions:
                if rng.uniform() > sk + 0.1:
                    continue  # never done
                late = rng.uniform() > sk
                frac = float(rng.uniform(1.05, 1.6) if late else rng.uniform(0.15, 0.9))
                t_act = t_rel + exa.deadline * frac
                if t_act > end:
                    continue
                akind = ACTION_OF[exa.action.value]
                action: dict[str, Any] = {"kind": akind}
                if rng.uniform() < 0.7:
                    action["serial"] = inj.serial
                objs = exa.objects or list(getattr(a, "target", None) and [a.target] or [])
                if akind == "assessment":
                    action |= {
                        "threat": exa.threat or kind or "unknown",
                        "objects": objs,
                        "time_utc": _iso(t_act),
                        "confidence": round(float(rng.uniform(0.5, 0.95)), 2),
                        "narrative": f"EXERCISE. Assessment of {inj.title.lower()}.",
                    }
                elif akind == "maneuver":
                    asset = objs[0] if objs else "ASSET"
                    action |= {
                        "asset": asset,
                        "dv_rtn_mps": [0.0, 0.35, 0.0],
                        "epoch_utc": _iso(t_act + timedelta(hours=2)),
                    }
                    if rng.uniform() < 0.5 or not log.has("action_rejected"):
                        bad = dict(action, dv_rtn_mps=[0.0, 80.0, 0.0])
                        log.add(
                            t_act - timedelta(minutes=30),
                            "action_submitted",
                            {"team": team, "user": f"{team}-fdo", "action": bad},
                            team=team,
                            vis=[team],
                        )
                        log.add(
                            t_act - timedelta(minutes=30),
                            "action_rejected",
                            {
                                "team": team,
                                "user": f"{team}-fdo",
                                "action": bad,
                                "errors": [f"dv 80.0 m/s exceeds the remaining budget of {asset}"],
                            },
                            team=team,
                            vis=[team],
                        )
                    maneuver_at[team] = t_act + timedelta(hours=2)
                    log.add(
                        t_act + timedelta(hours=2),
                        "world_event",
                        {
                            "type": "maneuver",
                            "objects": [asset],
                            "details": {"dv_rtn_mps": [0.0, 0.35, 0.0], "by": team},
                        },
                    )
                elif akind == "relocate":
                    asset = (objs or [getattr(a, "target", "ASSET")])[-1]
                    action |= {"asset": asset, "to_lon_deg": 12.5, "drift_days": 2}
                elif akind == "tasking":
                    action |= {"sensor": "any", "objects": objs, "priority": 1}
                elif akind == "share":
                    others = [b for b in skill if b != team and teams[b].role == "blue"]
                    action |= {
                        "to_team": others[0] if others else team,
                        "products": ["omm", "cdm"],
                        "objects": objs,
                    }
                elif akind == "notify":
                    action |= {
                        "to": ["national-command"],
                        "text": f"EXERCISE. Report on {inj.serial}.",
                    }
                elif akind == "rfi":
                    action |= {"to": "allies", "text": "EXERCISE. Request allied observations."}
                log.add(
                    t_act,
                    "action_submitted",
                    {"team": team, "user": f"{team}-ops", "action": action},
                    team=team,
                    vis=[team],
                )
                log.add(
                    t_act + timedelta(seconds=1),
                    "action_applied",
                    {"team": team, "action": action, "effects": {"accepted": True}},
                    team=team,
                    vis=[team],
                )
                done[exa.action.value] = t_act
            for c in inj.contingency:
                t_c = t_rel + c.after
                if c.if_missing.value not in done or done[c.if_missing.value] > t_c:
                    if t_c <= end and team == players[0]:
                        ser = c.fire or (
                            c.inject.serial if c.inject and c.inject.serial else f"{inj.serial}/C1"
                        )
                        log.add(
                            t_c,
                            "contingency_fired",
                            {
                                "serial": ser,
                                "parent": inj.serial,
                                "missing_action": c.if_missing.value,
                            },
                            team="excon",
                        )
                        if c.inject is not None:
                            log.add(
                                t_c,
                                "inject_released",
                                {
                                    "serial": ser,
                                    "title": c.inject.title or "Contingency",
                                    "to": c.inject.to,
                                    "method": c.inject.method,
                                    "threat": None,
                                    "payload_text": c.inject.text or "",
                                    "data": {},
                                },
                                team="excon",
                                vis=c.inject.to,
                            )
            # conjunction CDM series and alerts, per team
            if kind == "high_pc_conjunction":
                tca = t_rel + a.tca_offset
                t = t_rel
                alerted = False
                while t <= min(tca, end):
                    x = (t - t_rel) / a.tca_offset
                    mv = maneuver_at.get(team)
                    if mv is not None and t > mv:
                        pc, miss = 3e-7, 1800.0 + 200 * float(rng.uniform())
                    else:
                        pc = a.pc_target * 10 ** (-1.5 * (1 - x)) * float(rng.uniform(0.7, 1.3))
                        miss = a.miss_m * (1 + 3.0 * (1 - x)) * float(rng.uniform(0.9, 1.1))
                    objs2 = [a.target, a.secondary or f"{inj.serial}-SEC"]
                    log.add(
                        t,
                        "conjunction_update",
                        {
                            "team": team,
                            "objects": objs2,
                            "tca_utc": _iso(tca),
                            "miss_m": round(miss, 1),
                            "pc": float(f"{pc:.3e}"),
                        },
                        team=team,
                        vis=[team],
                    )
                    if pc >= 1e-4 and not alerted:
                        alerted = True
                        log.add(
                            t,
                            "alert",
                            {
                                "team": team,
                                "kind": "conjunction",
                                "objects": objs2,
                                "details": {
                                    "tca_utc": _iso(tca),
                                    "miss_m": round(miss, 1),
                                    "pc": float(f"{pc:.3e}"),
                                },
                            },
                            team=team,
                            vis=[team],
                        )
                    t += a.cdm_cadence
            elif kind in (
                "geo_rendezvous",
                "leo_inspector",
                "debris_event",
                "uncontrolled_reentry",
                "unannounced_maneuver",
                "new_launch",
            ):
                akind = {
                    "geo_rendezvous": "proximity",
                    "leo_inspector": "proximity",
                    "debris_event": "breakup",
                    "uncontrolled_reentry": "reentry",
                    "unannounced_maneuver": "maneuver",
                    "new_launch": "uct",
                }[kind]
                log.add(
                    t_det,
                    "alert",
                    {"team": team, "kind": akind, "objects": [], "details": {"serial": inj.serial}},
                    team=team,
                    vis=[team],
                )
            # ratings from the evaluation criteria
            for crit in inj.evaluation:
                if crit.critical_task is None:
                    continue
                ok = len(done) >= max(1, len(inj.expected_actions) - 1) and all(
                    tt_ <= t_rel + e.deadline
                    for e in inj.expected_actions
                    if (tt_ := done.get(e.action.value)) is not None
                )
                if crit.method == "evaluator":
                    r = "P" if ok else "S"
                    payload = {
                        "team": team,
                        "objective": (inj.objectives or ["?"])[0],
                        "critical_task": crit.critical_task,
                        "rating": r,
                        "source": "evaluator",
                        "note": "Report separated facts from assessed intent."
                        if ok
                        else "Report mixed observation and speculation.",
                    }
                else:
                    r = (crit.rating_if_true or "P") if ok else (crit.rating_if_false or "S")
                    payload = {
                        "team": team,
                        "objective": (inj.objectives or ["?"])[0],
                        "critical_task": crit.critical_task,
                        "rating": r,
                        "source": "auto",
                        "rule": crit.rule,
                    }
                t_r = min(
                    end,
                    t_rel
                    + max((e.deadline for e in inj.expected_actions), default=timedelta(hours=1)),
                )
                log.add(t_r, "rating", payload)
                ratings[team][crit.critical_task] = r
                rng_ = crit.score_range
                scores[team] = round(scores[team] + (rng_.max if ok else rng_.min), 2)
    return collisions


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run_dir")
    p.add_argument("--scenario", default=str(DEFAULT_SCENARIO))
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--empty", action="store_true", help="no injects played")
    args = p.parse_args()
    out = make_sample_run(args.run_dir, args.scenario, seed=args.seed, empty=args.empty)
    print(out)


if __name__ == "__main__":
    main()
