"""Issue 11's measured goals of a team's conjunction picture, per graded (scripted)
conjunction and exposed team (the team playing the target's actor).

Against the truth closest approach (``World.closest_approach`` around the scripted TCA,
after every burn), over the team's records of that event made after the target's last
change of orbit before TCA (records made before an avoidance burn predicted the geometry
the burn removed):

* **held 24 h**: the first record is at least 24 h before TCA, or at the picture's first
  update when the scenario starts later than that (``picture_lead_s`` says how early the
  picture could have held it);
* **TCA within 10 s** and **miss within 3 sigma** for every record: ``tca_error_s`` is the
  largest |TCA error|, ``miss_error_sigma`` the largest |miss - true miss| over the
  record's own 1-sigma of the miss (the team's combined covariance along the miss vector);
* **Pc 12 h** (only when the true miss is under the combined hard-body radius): the
  team's Pc exceeds ``PC_ALERT`` (1e-4) at least 12 h before TCA; ``None`` otherwise.
"""

from __future__ import annotations

import math

import numpy as np

from spacerange.conjunction.thresholds import PC_ALERT
from spacerange.exercise.picture.conjunctions import TCA_TOLERANCE_S

__all__ = ["conjunction_goals", "HELD_LEAD_S", "TCA_ERROR_MAX_S", "MISS_SIGMA_MAX", "PC_LEAD_S"]

HELD_LEAD_S = 24 * 3600.0
TCA_ERROR_MAX_S = 10.0
MISS_SIGMA_MAX = 3.0
PC_LEAD_S = 12 * 3600.0


def _iso(t) -> str:
    return f"{np.datetime_as_string(np.datetime64(t, 's'))}Z"


def _s(td) -> float:
    return float(td / np.timedelta64(1, "us")) * 1e-6


def _truth_closest(w, a, b, tca0) -> tuple[np.datetime64, float]:
    """Truth TCA and miss [km] around the scripted TCA (``World.closest_approach``); when
    the two collided there (their truth ends at the collision), from their truth arcs at
    the encounter, sampled at 1 s then 1 ms around the closest sample."""
    tca, miss_km, _ = w.closest_approach(a.id, b.id, tca0, 600.0)
    if math.isfinite(miss_km) or (a.ended_utc is None and b.ended_utc is None):
        return tca, miss_km
    from spacerange.exercise.world import _sgp4_one

    sa, sb = a.satrec_at(tca0 - np.timedelta64(1, "s")), b.satrec_at(tca0 - np.timedelta64(1, "s"))
    t = tca0 + np.arange(-600_000, 600_001, 1000).astype("timedelta64[ms]")
    for step_ms in (1000, 1):
        ts = t.astype("datetime64[us]")
        d = np.linalg.norm(_sgp4_one(sa, ts)[0] - _sgp4_one(sb, ts)[0], axis=-1)
        k = int(np.nanargmin(d))
        t = t[k] + np.arange(-step_ms, step_ms + 1).astype("timedelta64[ms]")
    return ts[k], float(d[k])


def conjunction_goals(pics) -> list[dict]:
    """One entry per (scripted conjunction, exposed team); see the module docstring."""
    w = pics.world
    out = []
    for c in w.conjunctions:
        if c.target not in w or c.secondary not in w:
            continue
        target, sec = w.obj(c.target), w.obj(c.secondary)
        for tp in pics.teams.values():
            if target.actor not in tp.actors:
                continue
            tca, miss_km = _truth_closest(w, target, sec, c.tca_utc)
            hbr_m = target.hbr_m + sec.hbr_m
            burns = [t0 for t0, _ in target.arcs[1:] if t0 <= tca]
            since = max(burns) if burns else None
            recs = tp.conj.records.get((c.target, c.secondary), [])
            det = tp.conj.detail.get((c.target, c.secondary), [])
            sel = [(r, d) for r, d in zip(recs, det, strict=True)
                   if abs(_s(r.tca_utc - tca)) <= TCA_TOLERANCE_S and r.creation_utc < tca
                   and (since is None or r.creation_utc >= since)]  # fmt: skip
            start = pics.first_update_utc
            # the team's names of the pair (a fragment is its own UCT designator): the
            # report finds the team's conjunction updates by them
            entry: dict = {"team": tp.team, "objects": [c.target, c.secondary],
                           "team_objects": [tp.desig.get(c.target, c.target),
                                            tp.desig.get(c.secondary, c.secondary)],
                           "tca_utc": _iso(tca), "miss_m": round(miss_km * 1e3, 1),
                           "combined_hbr_m": hbr_m, "n_updates": len(sel),
                           "picture_lead_s": None if start is None else round(_s(tca - start)),
                           "first_held_utc": None, "held_lead_s": None, "tca_error_s": None,
                           "miss_error_sigma": None, "pc_alert_utc": None, "pc_lead_s": None}  # fmt: skip
            goals: dict = {"held_24h": False, "tca_10s": False, "miss_3sigma": False,
                           "pc_12h": None}  # fmt: skip
            if sel:
                first = sel[0][0].creation_utc
                lead = _s(tca - first)
                tca_err = max(abs(_s(r.tca_utc - tca)) for r, _ in sel)
                z = max(abs(r.miss_m - miss_km * 1e3) / d["miss_sigma_m"] for r, d in sel)
                entry.update(first_held_utc=_iso(first), held_lead_s=round(lead),
                             tca_error_s=round(tca_err, 3), miss_error_sigma=round(z, 2))  # fmt: skip
                goals.update(held_24h=bool(lead >= HELD_LEAD_S or first == start),
                             tca_10s=bool(tca_err <= TCA_ERROR_MAX_S),
                             miss_3sigma=bool(z <= MISS_SIGMA_MAX))  # fmt: skip
            if miss_km * 1e3 < hbr_m:
                hit = [r for r, _ in sel if math.isfinite(r.pc) and r.pc > PC_ALERT]
                goals["pc_12h"] = False
                if hit:
                    pl = _s(tca - hit[0].creation_utc)
                    entry.update(pc_alert_utc=_iso(hit[0].creation_utc), pc_lead_s=round(pl))
                    goals["pc_12h"] = bool(pl >= PC_LEAD_S)
            entry["goals_met"] = goals
            out.append(entry)
    return out
