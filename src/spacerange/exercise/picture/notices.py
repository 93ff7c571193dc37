"""Manoeuvre notices: the ``maneuver_notice`` product of a sharing agreement.

Allies tell each other of manoeuvres, as operators notify the screening provider of their
own burns and as a coalition passes on the manoeuvres its sensors detected.  A team's
notices are, since its previous picture update:

* every burn of its **own assets** (the operator knows them: the burn's time and delta-v
  in RTN, and its post-burn ephemeris, the element set an ``omm`` share of the asset
  would carry); impulses whose net velocity change is under ``BURN_MIN_MPS`` (0.05 m/s),
  a relocation's stop burn followed by the next start, are no manoeuvre;
* its own **manoeuvre alerts** on other objects (what its sensors and arc tests found:
  the interval ``since_utc`` - ``alarm_utc`` in which the object manoeuvred).  An alert
  the team raised on an ally's notice is not passed on, so notices never echo.

A recipient takes each delivered notice of an object it does not own as a *maneuver*
alert of its own picture (``details.source`` = ``maneuver_notice``, ``shared_by`` the
ally, the interval the notice states), unless it already alerted on that object inside
the interval.  An own-asset notice's ephemeris replaces the recipient's track (its
pre-burn arc no longer predicts the object, and its recent passes no longer belong to
one orbit: the arc test starts again from the new set); an alert notice leaves the
recipient's tracks to its own passes and the ``omm`` shares.  The recipient learns only
what the provider knew and said, under its own designators: the leak oracle checks the
notices like any other share (an agreement or an accepted share action toward it).

A one-off ``share`` action with ``maneuver_notice`` among its products delivers the
provider's notices of the last ``NOTICE_HISTORY_S`` (24 h) on the objects it names (all
its notices when it names none)."""

from __future__ import annotations

import numpy as np

from spacerange.exercise.picture.maneuvers import BURN_MIN_MPS, arc_dv_rtn_mps
from spacerange.exercise.world import _td64
from spacerange.timescales import iso_utc, parse_utc

__all__ = ["NoticesMixin", "NOTICE_SOURCE", "NOTICE_HISTORY_S"]

#: ``details.source`` of an alert taken from an ally's notice
NOTICE_SOURCE = "maneuver_notice"
#: how far back a one-off share action's notices reach [s]
NOTICE_HISTORY_S = 86400.0


class NoticesMixin:
    """Manoeuvre notices of :class:`~spacerange.exercise.picture.core.Pictures`."""

    def _own_objects(self, tp) -> list:
        """``tp``'s own world objects that its standing shares and notices carry (kept
        until the world gains objects): those of the public catalog at STARTEX.  An asset
        it launches or releases later is named by its allies under their own designators,
        so its sets and burns are not passed on by the picture (the leak oracle would see
        its truth id reach them)."""
        w = self.world
        if tp.own_objects[0] != len(w.objects):
            tp.own_objects = (len(w.objects), [o for o in w.objects
                                               if o.actor in tp.actors and o.created_utc is None])  # fmt: skip
        return tp.own_objects[1]

    def _scan_notices(self, tp, t) -> None:
        """Append ``tp``'s new notices (see the module docstring) to ``tp.notices``; each
        ``{object, since_utc, alarm_utc, time_utc, dv_rtn_mps?, track?}`` with truth ids
        (the share maps them to the recipient's designators)."""
        w = self.world
        for o in self._own_objects(tp):
            oid = o.id
            n, seen = len(o.arcs), tp.notice_arcs.get(oid)
            tp.notice_arcs[oid] = n
            if seen is None or n <= seen or o.ended_utc is not None:
                continue
            dv = sum((arc_dv_rtn_mps(o, k) for k in range(seen, n)), np.zeros(3))
            if not float(np.linalg.norm(dv)) >= BURN_MIN_MPS:
                continue
            tp.notices.append({"object": oid, "since_utc": o.arcs[seen][0],
                               "alarm_utc": o.arcs[n - 1][0], "time_utc": t,
                               "dv_rtn_mps": [round(float(x), 4) for x in dv],
                               "track": self._own_track(oid, t)})  # fmt: skip
        for a in tp.alerts[tp.notice_alerts :]:
            d = a.get("details") or {}
            if a["kind"] != "maneuver" or d.get("source") == NOTICE_SOURCE or "alarm_utc" not in d:
                continue
            for name in a["objects"]:
                oid = tp.truth_of.get(name, name)
                if oid in w and not self._own(tp.team, oid):
                    tp.notices.append({"object": oid, "time_utc": t,
                                       "since_utc": parse_utc(d["since_utc"]),
                                       "alarm_utc": parse_utc(d["alarm_utc"])})  # fmt: skip
        tp.notice_alerts = len(tp.alerts)

    def _notices_for(self, tp, spec, t, since=None) -> list[dict]:
        """``tp``'s notices made after ``since`` (this update's when None; the last
        ``NOTICE_HISTORY_S`` for a share action) on the agreement's objects ``spec``."""
        t0 = t if since is None else since
        new = [n for n in tp.notices if n["time_utc"] >= t0]
        keep = set(self._share_objects(tp, spec, [n["object"] for n in new]))
        return [n for n in new if n["object"] in keep]

    def _action_notices(self, tp, objs, t) -> list[dict]:
        spec = list(objs) if objs else "all"
        return self._notices_for(tp, spec, t, since=t - _td64(NOTICE_HISTORY_S))

    def _receive_notices(self, rp, frm: str, notices: list[dict], t) -> tuple[int, list[dict]]:
        """Deliver ally ``frm``'s ``notices`` to ``rp`` at ``t``: the number taken and the
        new alert events (see the module docstring)."""
        out: list[dict] = []
        taken = 0
        for n in notices:
            k = n["object"]
            if self._own(rp.team, k):
                continue
            tr = n.get("track")
            if tr is not None:
                tr = self.through_storms(rp, {k: tr})[k]
                rp.tracks[k] = self._shared_track(rp, frm, k, tr, rp.tracks.get(k), t)
                rp.changed.add(k)
                rp.pass_log.pop(k, None)
                rp.reacquire_pending.pop(k, None)
                rp.share_alt.pop(k, None)  # a set from before the burn, kept aside
                rp.uncorrelated.discard(k)
            if k not in rp.tracks:
                continue
            taken += 1
            last = rp.maneuver_alerted.get(k)
            if last is not None and last >= n["since_utc"]:
                continue
            rp.maneuver_alerted[k] = t
            details = {"source": NOTICE_SOURCE, "shared_by": frm,
                       "since_utc": iso_utc(n["since_utc"]),
                       "alarm_utc": iso_utc(n["alarm_utc"])}  # fmt: skip
            if "dv_rtn_mps" in n:
                details["dv_rtn_mps"] = n["dv_rtn_mps"]
            out.append(self._alert(rp, t, "maneuver", [k], details))
            self._detections(rp, t, [k], "maneuver", out)
        return taken, out
