"""Issue 11's measured goals of a team's conjunction picture, per graded (scripted)
conjunction and exposed team (the team playing the target's actor).

Every record the team made of the event before TCA is compared with the truth it
predicted: the truth closest approach (``World.closest_approach`` around the scripted TCA)
when neither object burned between the record and TCA, and otherwise the closest approach
of the two truth arcs in force when the record was made (``pre_burn_truth``: what would
have happened without the later burns).  A team that avoids the encounter is graded on the
pictures it acted on; its records after the burn on the geometry the burn made.  A burn is
an arc change of 0.05 m/s or more, as the manoeuvre goals count them
(:data:`spacerange.exercise.picture.maneuvers.BURN_MIN_MPS`).

* **held 24 h**: the first record is at least 24 h before TCA, or at the picture's first
  update when the scenario starts later than that (``picture_lead_s`` says how early the
  picture could have held it);
* **TCA within 10 s** and **miss within 3 sigma** for every record: ``tca_error_s`` is the
  largest |TCA error|, ``miss_error_sigma`` the largest |miss - true miss| over the
  record's own 1-sigma of the miss (the team's combined covariance along the miss vector);
* **Pc 12 h** (only when a true miss, actual or before a burn, is under the combined
  hard-body radius): the team's Pc exceeds ``PC_ALERT`` (1e-4) at least 12 h before TCA
  on a record whose truth is under it; ``None`` otherwise.
"""

from __future__ import annotations

import math

import numpy as np

from spacerange.conjunction.thresholds import PC_ALERT
from spacerange.exercise.picture.conjunctions import TCA_TOLERANCE_S
from spacerange.exercise.picture.maneuvers import BURN_MIN_MPS, arc_dv_rtn_mps
from spacerange.exercise.world import arcs_closest_approach

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
    the encounter (:func:`spacerange.exercise.world.arcs_closest_approach`)."""
    tca, miss_km, _ = w.closest_approach(a.id, b.id, tca0, 600.0)
    if math.isfinite(miss_km) or (a.ended_utc is None and b.ended_utc is None):
        return tca, miss_km
    one_s = np.timedelta64(1, "s")
    return arcs_closest_approach(a.satrec_at(tca0 - one_s), b.satrec_at(tca0 - one_s), tca0)


def _burns_utc(o, until) -> list:
    """Start times of ``o``'s arcs up to ``until`` that are burns (a velocity change of
    ``BURN_MIN_MPS`` or more; a storm's re-arc changes the drag, not the state)."""
    return [o.arcs[k][0] for k in range(1, len(o.arcs)) if o.arcs[k][0] <= until
            and float(np.linalg.norm(arc_dv_rtn_mps(o, k))) >= BURN_MIN_MPS]  # fmt: skip


class _TruthAsOf:
    """The truth each record of a pair predicted: the actual closest approach, or, for a
    record made before a burn of either object, the closest approach of the arcs in force
    when it was made (one per distinct pair of arcs)."""

    def __init__(self, w, a, b, tca0) -> None:
        self.a, self.b, self.tca0 = a, b, tca0
        self.actual = _truth_closest(w, a, b, tca0)
        limit = max(self.actual[0], tca0)
        self.burns = sorted(_burns_utc(a, limit) + _burns_utc(b, limit))
        self.pre_burn: dict[tuple, dict] = {}

    def of(self, created_utc) -> tuple[tuple[np.datetime64, float], dict | None]:
        """``((tca_utc, miss_km), pre-burn entry or None)`` for a record made then."""
        later = [t for t in self.burns if t > created_utc]
        if not later:
            return self.actual, None
        sa, sb = self.a.satrec_at(created_utc), self.b.satrec_at(created_utc)
        key = (id(sa), id(sb))
        e = self.pre_burn.get(key)
        if e is None:
            tca, miss_km = arcs_closest_approach(sa, sb, self.tca0)
            e = self.pre_burn[key] = {"burn_utc": later[0], "tca": tca, "miss_km": miss_km,
                                      "n_updates": 0}  # fmt: skip
        return (e["tca"], e["miss_km"]), e


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
            truth = _TruthAsOf(w, target, sec, c.tca_utc)
            tca, miss_km = truth.actual
            hbr_m = target.hbr_m + sec.hbr_m
            recs = tp.conj.records.get((c.target, c.secondary), [])
            det = tp.conj.detail.get((c.target, c.secondary), [])
            # (record, its detail, the truth it predicted: tca, miss_km)
            sel = []
            for r, d in zip(recs, det, strict=True):
                (t_tca, t_miss), pre = truth.of(r.creation_utc)
                if abs(_s(r.tca_utc - t_tca)) <= TCA_TOLERANCE_S and r.creation_utc < t_tca:
                    sel.append((r, d, t_tca, t_miss))
                    if pre is not None:
                        pre["n_updates"] += 1
            start = pics.first_update_utc
            # the team's names of the pair (a fragment is its own UCT designator): the
            # report finds the team's conjunction updates by them
            entry: dict = {"team": tp.team, "objects": [c.target, c.secondary],
                           "team_objects": [tp.desig.get(c.target, c.target),
                                            tp.desig.get(c.secondary, c.secondary)],
                           "tca_utc": _iso(tca), "miss_m": round(miss_km * 1e3, 1),
                           "combined_hbr_m": hbr_m,
                           "pre_burn_truth": [
                               {"burn_utc": _iso(e["burn_utc"]), "tca_utc": _iso(e["tca"]),
                                "miss_m": round(e["miss_km"] * 1e3, 1),
                                "n_updates": e["n_updates"]}
                               for e in truth.pre_burn.values()],
                           "n_updates": len(sel),
                           "picture_lead_s": None if start is None else round(_s(tca - start)),
                           "first_held_utc": None, "held_lead_s": None, "tca_error_s": None,
                           "miss_error_sigma": None, "pc_alert_utc": None, "pc_lead_s": None}  # fmt: skip
            goals: dict = {"held_24h": False, "tca_10s": False, "miss_3sigma": False,
                           "pc_12h": None}  # fmt: skip
            if sel:
                first = sel[0][0].creation_utc
                lead = _s(tca - first)
                tca_err = max(abs(_s(r.tca_utc - t_tca)) for r, _, t_tca, _ in sel)
                z = max(abs(r.miss_m - m * 1e3) / d["miss_sigma_m"] for r, d, _, m in sel)
                entry.update(first_held_utc=_iso(first), held_lead_s=round(lead),
                             tca_error_s=round(tca_err, 3), miss_error_sigma=round(z, 2))  # fmt: skip
                goals.update(held_24h=bool(lead >= HELD_LEAD_S or first == start),
                             tca_10s=bool(tca_err <= TCA_ERROR_MAX_S),
                             miss_3sigma=bool(z <= MISS_SIGMA_MAX))  # fmt: skip
            truths_km = [miss_km, *(e["miss_km"] for e in truth.pre_burn.values())]
            if any(m * 1e3 < hbr_m for m in truths_km):
                hit = [r for r, _, _, m in sel
                       if m * 1e3 < hbr_m and math.isfinite(r.pc) and r.pc > PC_ALERT]  # fmt: skip
                goals["pc_12h"] = False
                if hit:
                    pl = _s(tca - hit[0].creation_utc)
                    entry.update(pc_alert_utc=_iso(hit[0].creation_utc), pc_lead_s=round(pl))
                    goals["pc_12h"] = bool(pl >= PC_LEAD_S)
            entry["goals_met"] = goals
            out.append(entry)
    return out
