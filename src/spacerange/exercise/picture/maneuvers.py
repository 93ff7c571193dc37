"""Issue 11's measured goal of the teams' manoeuvre alerts (truth side, for EXCON and
``summary.json``): precision >= 0.9 and recall >= 0.95 for burns >= 0.5 m/s on objects in
the team's custody.

Truth burns are read from the world's arcs: every picture update, each object whose arc
list grew gets its velocity jump at the new arc's start (the new arc minus the old one,
both by SGP4 at that instant); a jump of at least ``BURN_MIN_MPS`` (0.05 m/s) is a burn.
Impulses of one object less than ``BURN_MERGE_S`` (1 h) apart are one manoeuvre, at the
first one's time, of their net velocity change (the sum of the impulses, each in the
radial / along-track / cross-track frame of its own instant, as an operator plans a
sequence): no pass between them separates them.  A relocation's stop
burn followed minutes later by the next relocation's start burn (the demo's ARD-COMSAT-2:
1.42 m/s each, 4 min apart, net 0.001-0.01 m/s) changes nothing a sensor could see and is
no burn; a ramp of small burns is one manoeuvre of their sum.
The team's custody of the object at that update is recorded with it, and whether that
custody rests on the team's own sensors (a pass of its own within the custody age
limit) or on its allies' element sets alone.

* a manoeuvre alert on an object is **true** when that object burned within
  ``MATCH_WINDOW_S`` (24 h) before the alert, else **false**;
* a burn of at least ``GRADED_DV_MPS`` (0.5 m/s) on an object the team held in custody
  when it burned is **detected** when the team alerted on the object within 24 h after
  it and either before the object's next burn or with the burn inside the interval the
  alert states (a confirmed alert says the object manoeuvred between its last
  consistent pass, ``since_utc``, and the alarmed pass, ``alarm_utc``: a burn followed
  by another one before the confirming pass is still the one it reports), else
  **missed**.

``recall`` is over every graded burn; ``own_custody_recall`` over those on objects the
team tracked with its own sensors.  The difference is the burns of objects held on
allies' shares only, which the team's own tests never see (it takes each ally's newer
element set as it comes): it learns of them from its allies' manoeuvre notices
(:mod:`.notices`).  ``notice_alerts`` counts the alerts taken from notices and
``detected_by_own_alerts`` the burns its own alerts detected.
"""

from __future__ import annotations

import numpy as np

from spacerange.frames import rtn_basis
from spacerange.timescales import jd_fr_utc

__all__ = ["BurnLog", "alert_is_true", "arc_dv_rtn_mps", "maneuver_goals", "GRADED_DV_MPS", "BURN_MIN_MPS", "BURN_MERGE_S",
           "MATCH_WINDOW_S"]  # fmt: skip

GRADED_DV_MPS = 0.5
BURN_MIN_MPS = 0.05
#: impulses of one object closer than this [s] are one manoeuvre (the picture updates every
#: 30 min; an orbit fit that tells two burns apart needs passes between them)
BURN_MERGE_S = 3600.0
MATCH_WINDOW_S = 86400.0


def _state(sat, t) -> tuple[np.ndarray, np.ndarray]:
    """TEME r [km], v [km/s] of ``sat`` at ``t`` (NaN where SGP4 fails)."""
    jd, fr = jd_fr_utc(np.asarray([t], "datetime64[us]"))
    e, r, v = sat.sgp4(float(jd[0]), float(fr[0]))
    if e != 0:
        return np.full(3, np.nan), np.full(3, np.nan)
    return np.asarray(r, float), np.asarray(v, float)


def arc_dv_rtn_mps(o, k: int) -> np.ndarray:
    """The velocity change [m/s] at the start of arc ``k`` (>= 1) of world object ``o``:
    the new arc minus the old one, both by SGP4 at that instant, in the RTN frame of the
    old arc's state there."""
    t0, sat = o.arcs[k]
    r_old, v_old = _state(o.arcs[k - 1][1], t0)
    return 1e3 * (rtn_basis(r_old, v_old) @ (_state(sat, t0)[1] - v_old))


class BurnLog:
    """Truth burns seen by the pictures (see the module docstring)."""

    def __init__(self) -> None:
        self.n_arcs: dict[str, int] = {}
        self.burns: list[dict] = []
        #: per object, its last manoeuvre's impulses: ``(first impulse time, last impulse
        #: time, their sum in RTN [m/s], its record in ``burns`` or None)``
        self._last: dict[str, tuple] = {}

    def scan(self, pics, t) -> None:
        merge = np.timedelta64(int(BURN_MERGE_S), "s")
        for o in pics.world.objects:
            n = len(o.arcs)
            seen = self.n_arcs.get(o.id)
            self.n_arcs[o.id] = n
            if seen is None or n <= seen:
                continue
            for k in range(seen, n):
                t0 = o.arcs[k][0]
                dv_rtn = arc_dv_rtn_mps(o, k)
                last = self._last.get(o.id)
                if last is not None and t0 - last[1] <= merge:
                    t_first, _, sum_rtn, rec = last
                    dv_rtn = dv_rtn + sum_rtn
                else:
                    t_first, rec = t0, None
                dv = float(np.linalg.norm(dv_rtn))
                self._last[o.id] = (t_first, t0, dv_rtn, rec)
                if not dv >= BURN_MIN_MPS:
                    if rec is not None:  # the impulses cancel: no manoeuvre
                        self.burns.remove(rec)
                        self._last[o.id] = (t_first, t0, dv_rtn, None)
                    continue
                if rec is None:
                    # a team's own asset is not graded (it knows its own burns)
                    custody = {team: bool(not pics._own(team, o.id)
                                          and (c := pics.custody(team, o.id, t))
                                          and c["state"] == "held") for team in pics.teams}  # fmt: skip
                    own = {team: held and _own_custody(pics, team, o.id, t)
                           for team, held in custody.items()}  # fmt: skip
                    rec = {"object": o.id, "time_utc": t_first, "dv_mps": dv, "impulses": 0,
                           "custody": custody, "own_custody": own}  # fmt: skip
                    self.burns.append(rec)
                    self._last[o.id] = (t_first, t0, dv_rtn, rec)
                rec["dv_mps"] = dv
                rec["impulses"] += 1


def _own_custody(pics, team: str, oid: str, t) -> bool:
    """Whether ``team``'s custody of ``oid`` at ``t`` rests on its own sensors: its last own
    pass of the object within the custody age limit (:meth:`Pictures.custody_held`, with
    the track's growth and sigma).  A team that holds an object only on its allies'
    element sets (Corvania and the European GEO slots in asterx-demo) never observes a
    burn of it; the goal reports those burns apart."""
    tp = pics.teams[team]
    last = tp.own_pass_utc.get(oid)
    tr = tp.tracks.get(oid)
    if last is None or tr is None:
        return False
    age = float((np.datetime64(t, "us") - last) / np.timedelta64(1, "s"))
    return bool(pics.custody_held(np.array([age]), np.array([tr.growth_km_day]),
                                  np.array([tr.sigma_rtn_km(t)[1]]))[0])  # fmt: skip


def _utc(iso: str) -> np.datetime64:
    return np.datetime64(iso.rstrip("Z"), "us")


def _window_end(log: BurnLog, b: dict, win) -> np.datetime64:
    """A burn's detection window ends 24 h after it or at the object's next burn."""
    nxt = [c["time_utc"] for c in log.burns if c["object"] == b["object"]
           and c["time_utc"] > b["time_utc"]]  # fmt: skip
    return min([b["time_utc"] + win, *nxt])


def alert_is_true(log: BurnLog, oid: str, t: np.datetime64) -> bool:
    """Whether a manoeuvre alert on ``oid`` at ``t`` is true: the object burned within
    ``MATCH_WINDOW_S`` before it (see the module docstring)."""
    win = np.timedelta64(int(MATCH_WINDOW_S), "s")
    return any(b["object"] == oid and t - win <= b["time_utc"] <= t for b in log.burns)


def _detected(log: BurnLog, b: dict, alerts: list, win) -> bool:
    """Whether one of ``alerts`` ``(object, time, (since, alarm) or None, from a notice)``
    detected burn ``b`` (see the module docstring)."""
    return any(oid == b["object"] and b["time_utc"] <= t <= b["time_utc"] + win
               and (t <= _window_end(log, b, win)
                    or (span is not None and span[0] <= b["time_utc"] <= span[1]))
               for oid, t, span, _ in alerts)  # fmt: skip


def maneuver_goals(pics) -> list[dict]:
    """Per team: ``{team, maneuver_alerts, true_alerts, false_alerts, graded_burns,
    detected_burns, missed_burns, precision, recall}`` and the team's OD work (``od_passes``
    tested, ``od_updates``, ``od_iod`` initializations, ``od_seconds``, ``od_failures``
    objects, ``shares_rejected`` (allies' sets inconsistent with its own tracks, kept
    aside) and ``shares_taken_on_evidence`` (those its own next pass preferred),
    ``alarm_scale`` of its false-alarm model per orbit regime)."""
    log: BurnLog = pics.burn_log
    out = []
    win = np.timedelta64(int(MATCH_WINDOW_S), "s")
    for team, tp in pics.teams.items():
        alerts = []
        for a in tp.alerts:
            if a["kind"] != "maneuver":
                continue
            t = _utc(a["time_utc"])
            d = a.get("details") or {}
            span = (_utc(d["since_utc"]), _utc(d["alarm_utc"])) if "alarm_utc" in d else None
            told = d.get("source") == "maneuver_notice"
            alerts += [(tp.truth_of.get(name, name), t, span, told) for name in a["objects"]]
        n_true = sum(alert_is_true(log, oid, t) for oid, t, _, _ in alerts)
        graded = [b for b in log.burns if b["dv_mps"] >= GRADED_DV_MPS and b["custody"].get(team)]
        hit = [_detected(log, b, alerts, win) for b in graded]
        own_alerts = [a for a in alerts if not a[3]]
        own_hit = [_detected(log, b, own_alerts, win) for b in graded]
        det = sum(hit)
        own = [h for b, h in zip(graded, hit, strict=True) if b.get("own_custody", {}).get(team)]
        st = tp.od_stats
        out.append({
            "team": team, "maneuver_alerts": len(alerts), "true_alerts": n_true,
            "false_alerts": len(alerts) - n_true, "graded_burns": len(graded),
            "detected_burns": det, "missed_burns": len(graded) - det,
            "precision": round(n_true / len(alerts), 3) if alerts else None,
            "recall": round(det / len(graded), 3) if graded else None,
            "notice_alerts": sum(told for *_, told in alerts),
            "detected_by_own_alerts": sum(own_hit),
            "own_custody_burns": len(own), "own_custody_detected": sum(own),
            "own_custody_recall": round(sum(own) / len(own), 3) if own else None,
            "od_passes": st["passes"], "od_updates": st["updates"], "od_iod": st["iod"],
            "od_seconds": round(st["seconds"], 2), "od_failures": len(tp.od_failures),
            "shares_rejected": st["shares_rejected"],
            "shares_taken_on_evidence": st["shares_taken_on_evidence"],
            "alarm_scale": {r: round(v, 2) for r, v in tp.alarm.scale.items()},
            "arc_tests": {k[4:]: st[k] for k in ("arc_alerts", "arc_cleared", "arc_short",
                                                   "arc_unfit")},
            "arc_seconds": round(st["arc_seconds"], 2),
            "arc_scale": {r: round(v, 2) for r, v in tp.arc_test.models.scale.items()},
        })  # fmt: skip
    return out
