"""A team's conjunction screening: the engine's screening, Pc and event histories on the
team's own catalog.

On every catalog update the team's protected assets (its own objects, known exactly from
the operator's ephemeris) are screened against its own catalog -- the SGP4 element sets of
its tracks, as TLEs -- with :func:`spacerange.conjunction.protected.screen_protected` (the
engine's :func:`~spacerange.conjunction.screening.screen`, after its own radial filter)
over the look-ahead window:

* tracks that changed (new, refitted, delivered, shared) against every asset, over
  ``[now, now + look-ahead]``;
* an asset whose orbit changed (a burn) against the whole catalog, over the same window;
* the window's leading edge: everything against everything over
  ``[previous end, now + look-ahead]`` (unchanged element sets give the same events
  inside the part already screened, so only the new part is screened).

The screenings are submitted (:func:`submit_screenings`) as soon as the team's catalog update
is done and collected (:func:`finish_screenings`) after every team's update: in a large world
they run in the engine's background worker
(:class:`~spacerange.conjunction.background.BackgroundScreening`) while the next team's
orbit determination runs, with the same events as inline.

Each event found gets the team's covariances at TCA (its tracks' RTN sigmas, rotated with
:func:`spacerange.conjunction.encounter.cov_rtn_to_inertial`) and a Pc from the engine's
multistep entry point (:func:`spacerange.conjunction.multistep.pc_auto_batch`: 2-D where
valid, else what the usage checks call for).  Records are grouped into events -- one per
pair and TCA -- with :func:`spacerange.conjunction.event_history.group_events`, which also
gives the Pc trend.  An event the latest screening of its pair no longer finds (the miss
now exceeds the screening threshold) is closed; a passed TCA closes it too.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field

import numpy as np
from sgp4.api import Satrec

from spacerange.catalog.tle import satrec_tle
from spacerange.conjunction import multistep
from spacerange.conjunction.background import PendingScreening, ScreeningRunner
from spacerange.conjunction.encounter import cov_rtn_to_inertial
from spacerange.conjunction.event_history import CdmRecord, group_events
from spacerange.conjunction.screening import ScreeningConfig
from spacerange.exercise.world import _td64

__all__ = ["TeamConjunctions", "ScreenJob", "TeamScreenings", "tle_satrec", "team_pc",
           "submit_screen", "finish_screen", "submit_screenings", "finish_screenings"]  # fmt: skip

log = logging.getLogger("spacerange.exercise.picture")

#: grouping tolerance of successive TCAs of one event [s] (event_history's default)
TCA_TOLERANCE_S = 600.0
#: below this relative speed [km/s] the Pc models of short encounters do not apply
MIN_VREL_KM_S = 1e-6


def tle_satrec(sat: Satrec) -> tuple[Satrec, tuple[str, str], float]:
    """``sat`` as the team's catalog holds it: through TLE text.  Returns the satrec read
    back from the lines, the lines, and the position difference at epoch [km] that the
    text's rounding made (a few metres; it joins the track's sigma)."""
    lines = satrec_tle(sat)
    back = Satrec.twoline2rv(*lines)
    e1, r1, _ = sat.sgp4_tsince(0.0)
    e2, r2, _ = back.sgp4_tsince(0.0)
    d = float(np.linalg.norm(np.subtract(r1, r2))) if e1 == 0 and e2 == 0 else 0.0
    return back, lines, d


@dataclass
class TeamConjunctions:
    """A team's screening state: its CDM-like records per truth pair (asset, object), the
    open events (``event_id`` -> latest product), how far ahead it has screened, and
    the asset orbits it screened."""

    records: dict[tuple[str, str], list[CdmRecord]] = field(default_factory=dict)
    #: per record (same order): the miss's 1-sigma along the miss [m] and the event id
    detail: dict[tuple[str, str], list[dict]] = field(default_factory=dict)
    active: dict[str, dict] = field(default_factory=dict)
    screened_until: np.datetime64 | None = None
    asset_orbits: dict[str, int] = field(default_factory=dict)
    n_screenings: int = 0
    #: wall time the team's updates spent in screening and Pc [s] (waiting for a
    #: background worker included; for the benchmarks)
    seconds: float = 0.0


def team_pc(r1, v1, c1, r2, v2, c2, hbr_km) -> tuple[np.ndarray, list[str], list[str | None]]:
    """Pc of n events through the engine's ``auto`` entry point: ``(pc (n,) with NaN where
    it could not be computed, method per event, note per event)`` -- the note says why a Pc
    is missing (never a "safe" 0)."""
    n = len(r1)
    pc = np.full(n, np.nan)
    method = ["none"] * n
    note: list[str | None] = [None] * n
    vrel = np.linalg.norm(v1 - v2, axis=1)
    finite = np.isfinite(np.concatenate([r1, v1, r2, v2], axis=1)).all(axis=1)
    for k in range(n):
        if not finite[k]:
            note[k] = "state at closest approach is not finite"
        elif vrel[k] < MIN_VREL_KM_S:
            note[k] = (f"co-moving objects (relative speed {vrel[k] * 1e6:.3g} mm/s): the "
                       "short-encounter Pc model does not apply")  # fmt: skip
    ok = np.flatnonzero([x is None for x in note])
    for k in ok:
        try:
            p, m, why, _flags = multistep.pc_auto_batch(r1[k:k + 1], v1[k:k + 1], c1[k:k + 1],
                                                r2[k:k + 1], v2[k:k + 1], c2[k:k + 1],
                                                np.asarray([hbr_km[k]]))  # fmt: skip
        except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
            note[k] = f"Pc computation failed: {exc}"
            continue
        if not math.isfinite(float(p[0])):
            note[k] = f"Pc computation returned a non-finite value ({why[0]})"
            continue
        pc[k], method[k] = float(p[0]), str(m[0])
    return pc, method, note


@dataclass
class ScreenJob:
    """A team's screening submitted to a runner, to be finished by :func:`finish_screen`:
    its assets (world objects, ``tles[:len(own)]``), its tracks' truth ids (the rest), the
    window ``[w0, w1]`` and the pending result."""

    own: list
    keys: list[str]
    w0: np.datetime64
    w1: np.datetime64
    pending: PendingScreening
    seconds: float


def submit_screen(pics, tp, t: np.datetime64, w0: np.datetime64, w1: np.datetime64,
                  runner: ScreeningRunner, *, objects: set | None = None,
                  assets: set | None = None) -> ScreenJob | None:  # fmt: skip
    """Submit the screening of ``tp``'s assets (``assets``: only these) against its tracks
    (``objects``: only these) over ``[w0, w1]`` to ``runner``; ``None`` if there is nothing
    to screen.  Reads the team's catalog as it is now: nothing may change it before
    :func:`finish_screen` (the picture finishes a team's jobs before its next update)."""
    own = [o for o in pics._own_assets(tp) if (assets is None or o.id in assets)
           and o.alive_at(t)]  # fmt: skip
    keys = [k for k in tp.tracks if not pics._own(tp.team, k)
            and (objects is None or k in objects)]  # fmt: skip
    span_s = float((w1 - w0) / np.timedelta64(1, "s"))
    if not own or not keys or span_s <= 0:
        return None
    t_wall = time.perf_counter()
    na = len(own)
    tles = [satrec_tle(o.satrec_at(t)) for o in own] + [tp.tracks[k].tle for k in keys]
    cfg = ScreeningConfig(threshold_km=pics.screen_threshold_km, primary_pairs=False)
    pending = runner.submit(tles, range(na), w0, span_s, cfg)
    return ScreenJob(own, keys, w0, w1, pending, time.perf_counter() - t_wall)


@dataclass
class TeamScreenings:
    """A team's screenings of one catalog update (:func:`submit_screenings`): the jobs, the
    screened window's new end and the assets' orbits they were submitted with."""

    jobs: list[ScreenJob | None]
    screened_until: np.datetime64 | None
    asset_orbits: dict[str, int]


def submit_screenings(pics, tp, t: np.datetime64, runner: ScreeningRunner) -> TeamScreenings:
    """Submit ``tp``'s screenings after a catalog update (see the module docstring):
    changed tracks and moved assets over the whole look-ahead window, the rest over the
    window's new leading edge."""
    c = tp.conj
    end = t + _td64(pics.look_ahead_s)
    own = {o.id: o for o in pics._own_assets(tp) if o.alive_at(t)}
    orbit = {k: id(o.satrec_at(t)) for k, o in own.items()}
    jobs = []
    until = c.screened_until
    if c.screened_until is None:
        jobs.append(submit_screen(pics, tp, t, t, end, runner))
        until = end
    else:
        moved = {k for k in own if c.asset_orbits.get(k) != orbit[k]}
        still = set(own) - moved
        changed = {k for k in tp.changed if k in tp.tracks}
        if moved:  # a burn: the asset against the whole catalog
            jobs.append(submit_screen(pics, tp, t, t, end, runner, assets=moved))
        if changed and still:
            jobs.append(submit_screen(pics, tp, t, t, end, runner, assets=still, objects=changed))
        if (end - c.screened_until) / np.timedelta64(1, "s") >= pics.extend_s:
            rest = set(tp.tracks) - changed
            jobs.append(submit_screen(pics, tp, t, max(c.screened_until, t), end, runner,
                                      assets=still, objects=rest))  # fmt: skip
            until = end
    return TeamScreenings(jobs, until, orbit)


def finish_screenings(pics, tp, t: np.datetime64, submitted: TeamScreenings) -> list[dict]:
    """Finish the jobs of :func:`submit_screenings` in order (:func:`finish_screen`) and
    move the team's screening state on; returns the events found."""
    found: list[dict] = []
    for job in submitted.jobs:
        found += finish_screen(pics, tp, t, job)
    tp.conj.screened_until = submitted.screened_until
    tp.conj.asset_orbits = submitted.asset_orbits
    tp.changed = set()
    return found


def finish_screen(pics, tp, t: np.datetime64, job: ScreenJob | None) -> list[dict]:
    """Collect a submitted screening: records, opens, updates and closes events and returns
    one dict per event found (truth ids ``asset``/``object`` and the product's figures)."""
    if job is None:
        return []
    t_wall = time.perf_counter()
    own, keys, w0, w1 = job.own, job.keys, job.w0, job.w1
    na = len(own)
    res = job.pending.result()
    tp.conj.n_screenings += 1
    ev = res.events
    i, j = ev["i"].copy(), ev["j"].copy()
    sw = i >= na  # the asset is always object 1
    i[sw], j[sw] = j[sw], i[sw]
    r1 = np.where(sw[:, None], ev["r2_teme_km"], ev["r1_teme_km"])
    v1 = np.where(sw[:, None], ev["v2_teme_km_s"], ev["v1_teme_km_s"])
    r2 = np.where(sw[:, None], ev["r1_teme_km"], ev["r2_teme_km"])
    v2 = np.where(sw[:, None], ev["v1_teme_km_s"], ev["v2_teme_km_s"])
    found = []
    n = len(i)
    if n:
        a_ids = [own[x].id for x in i]
        b_ids = [keys[x - na] for x in j]
        tcas = ev["tca_utc"]
        s1 = np.full((n, 3), pics.own_sigma_km)
        s2 = np.array([tp.tracks[b].sigma_rtn_km(tc) for b, tc in zip(b_ids, tcas, strict=True)])
        c1 = cov_rtn_to_inertial(r1, v1, _diag(s1))
        c2 = cov_rtn_to_inertial(r2, v2, _diag(s2))
        hbr_km = np.array([(pics.world.obj(a).hbr_m + pics.hbr_m(b)) * 1e-3
                           for a, b in zip(a_ids, b_ids, strict=True)])  # fmt: skip
        pc, method, note = team_pc(r1, v1, c1, r2, v2, c2, hbr_km)
        d = r2 - r1
        miss = np.linalg.norm(d, axis=1)
        u = d / np.where(miss > 0, miss, 1.0)[:, None]
        sig_miss = np.sqrt(np.einsum("ni,nij,nj->n", u, c1 + c2, u))
        sig_tr = np.sqrt(np.trace(c1 + c2, axis1=1, axis2=2))
        for k in range(n):
            a, b = a_ids[k], b_ids[k]
            p = None if not math.isfinite(pc[k]) else float(pc[k])
            eid, trend = _record(pics, tp, t, a, b, tcas[k], p, method[k], miss[k] * 1e3,
                                 sig_tr[k] * 1e3, sig_miss[k] * 1e3)  # fmt: skip
            found.append({"asset": a, "object": b, "tca_utc": tcas[k], "miss_km": float(miss[k]),
                          "pc": p, "pc_method": method[k], "pc_note": note[k],
                          "rel_speed_km_s": float(np.linalg.norm(v1[k] - v2[k])),
                          "event_id": eid, "pc_trend": trend,
                          "miss_sigma_m": float(sig_miss[k] * 1e3),
                          "sigma_rtn_km_1": [float(x) for x in s1[k]],
                          "sigma_rtn_km_2": [float(x) for x in s2[k]]})  # fmt: skip
            if note[k]:
                log.warning("%s picture: Pc of %s x %s not computed: %s", tp.team, a, b, note[k])
    _close(tp, t, w0, w1, {o.id for o in own}, set(keys), {f["event_id"] for f in found})
    for f in found:
        tp.conj.active[f["event_id"]] = f
    tp.conj.seconds += job.seconds + time.perf_counter() - t_wall
    return found


def _diag(s: np.ndarray) -> np.ndarray:
    out = np.zeros((len(s), 3, 3))
    idx = np.arange(3)
    out[:, idx, idx] = np.square(s)
    return out


def _record(pics, tp, t, a, b, tca, pc, method, miss_m, sigma_m, miss_sigma_m):
    """Append one record to the pair's history; its event's id and Pc trend."""
    pair = (a, b)
    rec = CdmRecord(tp.team, len(tp.conj.records.get(pair, [])), pics.designator(tp.team, a),
                    pics.designator(tp.team, b), np.datetime64(tca, "us"), t,
                    float("nan") if pc is None else pc, method, float(miss_m), float(sigma_m))  # fmt: skip
    recs = tp.conj.records.setdefault(pair, [])
    recs.append(rec)
    evs = group_events(recs, TCA_TOLERANCE_S)
    ev = next(e for e in evs if any(r is rec for r in e.records))
    trend = ev.as_dict()["trend"]["pc"]
    tp.conj.detail.setdefault(pair, []).append({"miss_sigma_m": float(miss_sigma_m),
                                                "event_id": ev.event_id})  # fmt: skip
    return ev.event_id, trend


def _close(tp, t, w0, w1, assets: set, objects: set, found: set) -> None:
    """Close the open events that have passed, or whose pair was just screened over their
    TCA and not found again."""
    for eid, f in list(tp.conj.active.items()):
        tca = f["tca_utc"]
        if tca <= t:
            del tp.conj.active[eid]
        elif (eid not in found and f["asset"] in assets and f["object"] in objects
              and w0 <= tca <= w1):  # fmt: skip
            del tp.conj.active[eid]
