"""Cyber effects on a team's ground segment (issue 15, item 3), and the dispatch of the
``countermeasure`` measures the world models for the non-kinetic threats.

Effects, for ``duration``:

* ``drop`` — the feed of ``sensors`` delivers nothing (the picture's sensor availability
  is 0); ``delay`` — nothing fresher than ``delay`` reaches the picture, which for the
  picture's 10-min tracking updates is modelled the same way for the attack's duration
  (the late data never refit a track before the feed recovers: stated simplification);
* ``spoof`` — false tracks enter the team's picture as if from its feed, one every
  ``spoof_interval`` up to ``n_spoofed``, each on an orbit ``spoof_range_km`` from the
  protected asset ``spoof_near`` (drifting co-orbital objects: they raise proximity and
  uncorrelated-track alerts).  A false track has no object behind it: no other sensor or
  ally ever sees it;
* ``deny_commands`` — commands to those assets are not acknowledged (the link model of
  :mod:`.effects_rf` retries, then loses them).

Cues are the inconsistencies a cell can find: new uncorrelated tracks that only one feed
reports, confirmed by none of its other sensors nor by allies (``countermeasure:
cross_check`` on named tracks answers, per track, ``confirmed`` and the team's sensors
that reported it); missing data from a feed; unacknowledged commands.  Answers:
``countermeasure: isolate_feed`` (the feed is cut off from the picture: no more false
tracks, and no more real data from that sensor either) and allied data (``share``
agreements, ``coordination``).  Left out: the intrusion itself (vectors, malware,
persistence), data falsification other than whole false tracks (biased real tracks,
falsified covariance), and recovery of the feed's integrity before ENDEX.
"""

from __future__ import annotations

import numpy as np

from spacerange.exercise.world.model import TruthObject, WorldError, WorldEvent, _iso, _td64
from spacerange.frames import from_rtn, teme_to_itrs
from spacerange.sensors.base import Scene
from spacerange.sensors.visibility import observable

#: cross-check: the team's other sensors look for the track over this span [s], step [s]
CROSS_CHECK_S, CROSS_CHECK_STEP_S = 6 * 3600.0, 600.0
#: position error given to a false track [km] (a plausible radar pass)
SPOOF_SIGMA_KM = 0.2
#: countermeasure measure -> (method, needs an own asset)
MEASURE_METHODS = {
    "frequency_change": ("_cm_frequency_change", True),
    "switch_link": ("_cm_switch_link", True),
    "avoid_site": ("_cm_avoid_site", True),
    "isolate_feed": ("_cm_isolate_feed", False),
    "cross_check": ("_cm_cross_check", False),
}


class CyberEffects:
    """Part of :class:`spacerange.exercise.world.World` (a mixin over its state)."""

    @property
    def _cyber(self) -> list[dict]:
        if not hasattr(self, "_cyber_attacks"):
            self._cyber_attacks = []
            self.isolated_feeds: dict[str, dict[str, np.datetime64]] = {}
        return self._cyber_attacks

    def _enact_cyber_ground(self, a, serial: str, t) -> list[WorldEvent]:
        end = t + _td64(a.duration.total_seconds())
        for aid in [*a.deny_commands, *([a.spoof_near] if a.spoof_near else [])]:
            self.obj(aid)
        att = {"serial": serial, "action": a, "start": t, "end": end, "n": 0}
        self._cyber.append(att)
        if a.effect == "spoof":
            self.schedule(t, lambda tt, x=att: self._spoof(x, tt), f"{serial} spoof")
        return [WorldEvent("cyber_ground", list(a.deny_commands),
                           {"serial": serial, "effect": a.effect, "sensors": list(a.sensors),
                            "until_utc": _iso(end)}, t)]  # fmt: skip

    def _active(self, t) -> list[dict]:
        return [x for x in self._cyber if x["start"] <= t < x["end"]]

    def sensor_availability(self, sensor_id: str, t: np.datetime64) -> float:
        """0 while the sensor's feed is dropped or delayed by a cyber effect, or isolated
        by its team; else the outage model's availability."""
        self._cyber  # noqa: B018
        if any(sensor_id in feeds for feeds in self.isolated_feeds.values()):
            return 0.0
        for x in self._active(t):
            if x["action"].effect in ("drop", "delay") and sensor_id in x["action"].sensors:
                return 0.0
        return super().sensor_availability(sensor_id, t)

    def command_denied(self, asset: str, t: np.datetime64) -> bool:
        return any(asset in x["action"].deny_commands for x in self._active(t))

    def _feed_teams(self, sensors: list[str]) -> list[str]:
        return [tm.id for tm in self.scenario.teams
                if set(sensors) & set(self.team_sensors(tm.id))]  # fmt: skip

    def _spoof(self, att: dict, t: np.datetime64) -> list[WorldEvent]:
        """One false track into the picture of each team fed by the spoofed sensors."""
        a = att["action"]
        pics = self.pictures
        if t >= att["end"] or att["n"] >= a.n_spoofed or pics is None:
            return []
        att["n"] += 1
        nxt = t + _td64(a.spoof_interval.total_seconds())
        if att["n"] < a.n_spoofed and nxt < att["end"]:
            self.schedule(nxt, lambda tt, x=att: self._spoof(x, tt), f"{att['serial']} spoof")
        r, v = self.state_of(a.spoof_near, t)
        if not np.all(np.isfinite(r)):
            return []
        rng = np.random.default_rng([self.seed, 15, att["n"]])
        d = rng.normal(size=3)
        d[2] *= 0.2  # mostly in-plane, like a co-orbital neighbour
        off = d / np.linalg.norm(d) * a.spoof_range_km
        r_f = r + from_rtn(off, r, v)
        v_f = v + from_rtn(rng.normal(0.0, 1e-3, 3), r, v)  # ~1 m/s relative drift
        for team in self._feed_teams(a.sensors):
            feeds = self.isolated_feeds.get(team, {})
            if all(s in feeds for s in a.sensors if s in self.team_sensors(team)):
                continue  # the team cut that feed off: nothing false gets in
            tp = pics.teams.get(team)
            if tp is None:
                continue
            pid = f"{att['serial']}-F{att['n']:02d}-{team}"
            o = TruthObject(pid, "UNKNOWN OBJECT", "UNKNOWN", self.new_norad(),
                            [(t, self.obj(a.spoof_near).satrec)], origin="spoof")  # fmt: skip
            o.created_utc, o.ended_utc, o.end_reason = self.endex, self.startex, "spoofed"
            self._add(o)
            pics._fit_tracks(tp, t, [o], r_f[None], v_f[None], np.array([SPOOF_SIGMA_KM]))
            if pid not in tp.tracks:
                continue
            tp.updated_since_share.discard(pid)  # a standing share would forward it
            tp.pending_uct.append(pid)
            self._count("spoofed_tracks_accepted", 1, None, team)
        return []

    # ------------------------------------------------------------------ answers
    def _apply_countermeasure(self, team_id, action, t):
        """A ``countermeasure``: the measures of :data:`MEASURE_METHODS` act on the world;
        any other (safe mode, payload off...) is accepted without a modelled effect."""
        m = action.get("measure")
        method, needs_asset = MEASURE_METHODS.get(m, (None, False))
        if method is None:
            return True, [], []
        asset = self._own_asset(team_id, action.get("asset")) if needs_asset else None
        return True, [], getattr(self, method)(team_id, action, t, asset)

    def _cm_isolate_feed(self, team, action, t, _asset) -> list[WorldEvent]:
        sid = action.get("sensor")
        if sid not in self.team_sensors(team):
            raise WorldError(f"isolate_feed: sensor {sid!r} is not one of team {team}'s sensors")
        self._cyber  # noqa: B018
        feeds = self.isolated_feeds.setdefault(team, {})
        if sid not in feeds:
            feeds[sid] = t
            self._count("feeds_isolated", 1, None, team)
        return []

    def _cm_cross_check(self, team, action, t, _asset) -> list[WorldEvent]:
        """Each named track checked against the team's own sensors (does any see it where
        predicted in the next 6 h?) and its allies' pictures: ``confirmed``, and the
        sensors whose feed reported it when it is not."""
        pics = self.pictures
        objs = [o for o in action.get("objects") or [] if isinstance(o, str)]
        if pics is None or team not in pics.teams or not objs:
            raise WorldError("cross_check needs objects the team holds tracks of")
        tp = pics.teams[team]
        allies = {ag.provider for ag in self.scenario.sharing if team in ag.recipients}
        n = int(CROSS_CHECK_S // CROSS_CHECK_STEP_S)
        ts = t + (np.arange(n) * CROSS_CHECK_STEP_S * 1e6).astype("timedelta64[us]")
        scene = Scene(ts)
        results = []
        for oid in objs:
            if oid not in tp.tracks:
                continue
            spoof = [x for x in self._cyber if oid.startswith(x["serial"] + "-F")]
            confirmed = False
            if not spoof and oid in self and self.obj(oid).origin != "spoof":
                confirmed = any(oid in pics.teams[al].tracks for al in allies
                                if al in pics.teams)  # fmt: skip
                if not confirmed:
                    r, v = self.state_of(oid, ts)
                    ri, _ = teme_to_itrs(r[None], v[None], ts)
                    for s in tp.sensors:
                        if self.sensor_availability(s.sensor_id, t) > 0:
                            ok, _ = observable(s.sensor, ri, scene)
                            if ok.any():
                                confirmed = True
                                break
            feeds = sorted(set(spoof[0]["action"].sensors) & set(self.team_sensors(team))
                           ) if spoof else []  # fmt: skip
            results.append({"object": pics.designator(team, oid), "confirmed": confirmed,
                            "reported_by": feeds})  # fmt: skip
        return [WorldEvent("cross_check", [], {"results": results}, t)]
