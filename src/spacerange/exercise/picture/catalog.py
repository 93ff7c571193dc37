"""A team's catalog maintenance in the picture (mixin of :class:`.core.Pictures`): each
detection's pass through the engine's orbit determination (:mod:`.tracking`), the
manoeuvre test, and provider estimates (scripted CDMs, injects' element sets) entering the
catalog with their stated covariance."""

from __future__ import annotations

import math
import time

import numpy as np

from spacerange.catalog.ballistic import DRAG_CEILING_KM
from spacerange.constants import MU_WGS72_KM3_S2, RE_WGS72_KM
from spacerange.events.maneuver_alarm import may_maneuver, orbit_regime
from spacerange.exercise.picture import tracking as tk
from spacerange.exercise.picture.conjunctions import tle_satrec
from spacerange.exercise.picture.maneuver_arcs import ARC_TRIGGER_PFA
from spacerange.exercise.picture.model import Track, tracks_cov_rtn, uncorrelated
from spacerange.exercise.world import fit_satrecs
from spacerange.exercise.world.model import _perigee_alt_km
from spacerange.frames import rtn_basis
from spacerange.od.passes import pass_mahalanobis
from spacerange.propagation.mean_elements import kepler_equinoctial

__all__ = ["CatalogMixin"]


#: a track of an object outside the public catalog (a fragment, a launch, an uncorrelated
#: track) is a manoeuvre reference only after this long in the team's catalog [s] and
#: ``NEW_TRACK_MIN_OBS`` passes: an orbit from the first hours of a new object's arcs
#: errs by tens of sigma in the tail (the demo's breakup fragments: radial z rms 33 on
#: tracks of one to four passes, 3 from five passes on), and each such error confirmed as
#: a "manoeuvre"
NEW_TRACK_MIN_ARC_S = 24 * 3600.0
NEW_TRACK_MIN_OBS = 5
#: an ally's set that contradicted a held track waits this long for the team's own next
#: pass to decide between them [s]
SHARE_ALT_MAX_S = 2 * 86400.0
#: the velocity diagonal of a 6x6 covariance
_VEL = np.arange(3, 6)


def _secs(td) -> float:
    return float(td / np.timedelta64(1, "s"))


def _regimes(tracks: list) -> np.ndarray:
    """Orbit regimes of the team's tracks (from its own element sets)."""
    return orbit_regime([tr.mean_motion_rad_s for tr in tracks],
                        [float(tr.satrec.ecco) for tr in tracks])  # fmt: skip


def alarm_classes(tp, oids, tracks: list) -> np.ndarray:
    """The false-alarm model (:class:`~spacerange.events.maneuver_alarm.RegimeAlarmModels`
    key) each track's passes are tested against: its orbit regime, with a model of its own
    (``"leo-uct"``, ...) for an uncorrelated track, an object the team first saw in play
    under its own designator.  Those are mostly a breakup's fragments: young, high-drag
    tracks whose residuals have heavier tails than the catalog's.  One model for both let
    either population set the other's threshold: when the storm's negative-B* payloads
    stopped drifting, the LEO scale fell from 12 to 6-7 and the fragments' false alarms
    rose by a third."""
    reg = _regimes(tracks)
    uct = np.array([tp.desig.get(k, k) != k for k in oids], bool)
    return np.where(uct, np.char.add(reg.astype(str), "-uct"), reg).astype(object)


def _perigee_alt_km_of_states(x_teme: np.ndarray) -> np.ndarray:
    """Osculating perigee heights [km] above the WGS-72 equatorial radius of TEME states
    ``(n, 6)`` [km, km/s] (a team's own estimates, not the truth's elements)."""
    osc = kepler_equinoctial(x_teme)
    r = np.linalg.norm(x_teme[:, :3], axis=1)
    with np.errstate(invalid="ignore"):
        bound = (osc["a"] > 0) & (osc["e"] < 1)
    return np.where(bound, osc["a"] * (1 - osc["e"]), r) - RE_WGS72_KM


def _iso(t) -> str:
    return f"{np.datetime_as_string(np.datetime64(t, 's'))}Z"


class CatalogMixin:
    """Track creation and update of :class:`.core.Pictures` (see the module docstring)."""

    # ------------------------------------------------------------------- tracks
    @staticmethod
    def _growth(perigee_alt_km: float) -> float:
        """Along-track sigma growth [km/day] of a track whose *estimated* perigee is at
        ``perigee_alt_km``: drag below 2,000 km."""
        return 1.0 if perigee_alt_km < 2000 else 0.2

    def _team_bstar(self, tp, o, t) -> float:
        """The drag term [1/earth radii] of the team's element set for ``o`` at ``t``: its
        own track's (a team keeps the drag it knows; its passes re-fit the state, not the
        drag); for a first track the public catalog's at STARTEX where ``o`` is in it, and
        for an object created later (a fragment, a launch) its drag at creation, a stand-in
        for the estimate a cell makes from its first days of tracking, times the team's
        density ratio of a storm in force (:mod:`.space_weather`).  Never the truth's
        value after a change (a storm's extra drag reaches a team's picture through its
        own density model of the published indices, with that model's error).  Once a
        storm has begun, a non-positive B* in LEO is replaced by the drag of the object's
        public size and mass, as the team's storm re-arc does
        (:meth:`.space_weather.SpaceWeatherMixin.physical_bstar`)."""
        tr = tp.tracks.get(o.id)
        if tr is not None:
            return float(tr.satrec.bstar)
        born = self.world.startex if o.created_utc is None else min(o.created_utc, t)
        sat = o.satrec_at(born)
        h = _perigee_alt_km(sat)
        b = sat.bstar
        if tp.storm_seen and h < DRAG_CEILING_KM:
            b = self.physical_bstar(o.id, b)
        # a storm in force: the team's density model scales the drag it knows
        return float(b * self.storm_factor(tp, h))

    def _fit_tracks(self, tp, t, objs, r, v, sig, source="obs"):
        if not len(objs):
            return
        st = np.concatenate([r, v], axis=1).copy()
        mu = MU_WGS72_KM3_S2
        b = rtn_basis(r, v)  # (n, 3, 3), rows R, T, N
        st[:, :3] += np.einsum("ni,nij->nj", self.rng.normal(0.0, 1.0, (len(objs), 3))
                               * sig[:, None], b)  # fmt: skip
        # an orbit fit determines the energy far better than one position: keep the
        # semi-major axis, then add the along-track rate error that gives growth g
        e0 = 0.5 * np.einsum("ij,ij->i", v, v) - mu / np.linalg.norm(r, axis=1)
        v2 = 2.0 * (e0 + mu / np.linalg.norm(st[:, :3], axis=1))
        st[:, 3:] *= (np.sqrt(np.maximum(v2, 1e-9)) / np.linalg.norm(st[:, 3:], axis=1))[:, None]
        g = np.array([self._growth(h) for h in _perigee_alt_km_of_states(st)])
        st[:, 3:] += (self.rng.normal(0.0, 1.0, len(objs)) * g / 3 / 86400.0)[:, None] * b[:, 1]
        # a provider's element set carries its own (the current truth's) drag term
        bstar = np.array([o.satrec_at(t).bstar for o in objs])
        sats, fit_res = fit_satrecs(st, t, bstar, iterations=4, newton=False)
        for o, s, sg, fr in zip(objs, sats, sig, fit_res, strict=True):
            if s is None:
                continue
            # the catalog holds the element set as TLE text; the mean-element fit's own
            # error and the text's rounding join the estimate's
            s, tle, d_text = tle_satrec(s)
            sg = math.hypot(sg, fr, d_text)
            n = float(s.no_kozai) / 60.0
            cov = np.diag([sg**2] * 3 + [(n * sg) ** 2] * 3)
            self._set_track(tp, o, t, s, tle, cov, source)

    def _observe(self, tp, t, idx, sens, warm=False) -> tuple[list, list]:
        """Process the passes of the detected world rows ``idx`` (sensor ``sens`` each)
        through the engine's OD (:mod:`.tracking`); returns (new object ids, manoeuvre
        alarms ``(object id, details)``)."""
        w = self.world
        t_wall = time.perf_counter()
        keep = [j for j, i in enumerate(idx) if w.objects[i].actor not in tp.actors]
        objs = [w.objects[i] for i in np.asarray(idx, int)[keep]]
        if not objs:
            return [], []
        sens = np.asarray(sens, int)[keep]
        ids = np.array([o.id for o in objs], dtype=object)
        obs, times, good, x_end = tk.observe_passes(tp, ids, objs, sens, t, self.od_rng)
        objs = [o for o, g in zip(objs, good, strict=True) if g]
        ids = ids[good]
        t_end = times[-1]
        tp.own_pass_utc.update(dict.fromkeys(ids.tolist(), t_end))
        held = [k for k, o in enumerate(objs) if o.id in tp.tracks]
        fresh = [k for k, o in enumerate(objs) if o.id not in tp.tracks]
        new, jumps, done = [], [], []
        upd, upd_alarm, cand, logged = [], [], [], []
        if held:
            self._arbitrate_shares(tp, obs, ids, objs, held, t_end)
            trs = [tp.tracks[objs[k].id] for k in held]
            x_t, p_t = tk.predict_tracks(trs, t_end)
            tracks_cov_rtn(trs, t)  # the sigmas asked below, one batch (cached)
            d2, dof = pass_mahalanobis(obs, ids[held], x_t, p_t, t_end)
            reg = alarm_classes(tp, [objs[k].id for k in held], trs)
            alarm = tp.alarm.test(d2, dof, reg)
            thr = tp.alarm.threshold(dof, reg)
            trigger = d2 > tp.alarm.threshold(dof, reg, pfa=ARC_TRIGGER_PFA)
            tp.od_stats["passes"] += len(held)
            for j, k in enumerate(held):
                tr = trs[j]
                if not np.isfinite(d2[j]):
                    fresh.append(k)  # the prediction failed: start the track again
                    continue
                # a LEO object far outside the correlation gate is not this track any more
                # (it manoeuvred out of coverage): custody stays lost, said once, until the
                # team tasks a sensor on it.  The pass's position is the measured one (its
                # noise, metres to a few km, is far inside the 150 km gate).  The gate
                # scales with the prediction's largest sigma, not the along-track one: an
                # eccentric track's error is radial as much (HEO: 1,300 km radial, 730 km
                # sigma, alerted as a jump against a 150 km along-track sigma)
                res_km = float(np.linalg.norm(x_t[j, :3] - x_end[k, :3]))
                gated = uncorrelated(tp, objs[k].id, res_km, tr.sigma_rtn_km(t),
                                     w.tasking, tr)  # fmt: skip
                if gated is not None:
                    # a candidate only of an established track in custody, as below: a
                    # one-pass track's (the debris event's fragments, IOD) or a lost one's
                    # prediction far off is its own error, not a manoeuvre; the arc test
                    # decides (a track gone bad is not an object that moved)
                    if gated and not warm and self._established(tp, objs[k].id, tr, t):
                        cand.append((j, k, round(res_km, 1)))
                    else:
                        tp.pass_log.pop(objs[k].id, None)
                    continue
                logged.append(k)
                # a candidate only on an established track in custody (a converging or
                # lost track's prediction is no reference), once per object per 6 h; the
                # arc test below decides it
                last = tp.maneuver_alerted.get(objs[k].id)
                if (trigger[j] and not warm and self._established(tp, objs[k].id, tr, t)
                        and (last is None or _secs(t - last) >= 6 * 3600.0)):  # fmt: skip
                    cand.append((j, k, None))
                if alarm[j]:
                    upd_alarm.append(k)
                elif (warm or _secs(t - tr.epoch_utc) >= self.refit_s
                      or tr.sigma_rtn_km(t)[1] > tk.UPDATE_SIGMA_KM):  # fmt: skip
                    upd.append(k)
                else:
                    tr.last_obs_utc = t
                    tr.n_obs += 1
        if cand:
            alerts = self._arc_test(tp, obs, objs, cand, trs, t, t_end, (d2, dof, thr, reg))
            jumps += alerts
            # a manoeuvred object not re-acquired takes this pass with its prior inflated
            # (an alert on a pass under the alarm threshold would otherwise be absorbed
            # into the pre-burn track)
            moved = {oid for oid, _ in alerts if oid not in tp.reacquired}
            tp.reacquire_pending.update(dict.fromkeys(moved, t))
            upd = [k for k in upd if objs[k].id not in moved]
            upd_alarm += [k for _, k, jump_km in cand if objs[k].id in moved
                          and jump_km is None and k not in upd_alarm]  # fmt: skip
        self._log_passes(tp, obs, [objs[k] for k in logged + fresh], t_end)
        # a manoeuvred object not re-acquired at its alert: from the passes after it, as
        # they come (a re-acquired orbit replaces this pass's update below)
        after = [k for k in logged if objs[k].id in tp.reacquire_pending]
        if after and not warm:
            self._reacquire_later(tp, [objs[k].id for k in after], t, t_end)
        sols: dict = {}
        for rows, gate in ((upd, True), (upd_alarm, False)):
            if not rows:
                continue
            trs_u = [tp.tracks[objs[k].id] for k in rows]
            x0, p0 = tk.predict_tracks(trs_u, t_end)
            if not gate:
                p0 = tk.inflate(p0)
            bstar = np.array([tr.satrec.bstar for tr in trs_u])
            good_s, bad = tk.map_update(obs, ids[rows].astype(str), x0, p0, t_end, bstar)
            sols.update(good_s)
            tp.od_failures.update(bad)
        # a manoeuvre re-acquired from the passes after it replaces the inflated update
        here = set(ids.tolist())
        sols.update({k: v for k, v in tp.reacquired.items() if k in here})
        tp.reacquired.clear()
        pub = [k for k in fresh if objs[k].created_utc is None]
        unc = [k for k in fresh if objs[k].created_utc is not None]
        if pub:
            x0, p0 = tk.catalog_prior([objs[k] for k in pub], t_end, self.od_rng)
            ok = np.all(np.isfinite(x0), axis=1)
            bstar = np.array([self._team_bstar(tp, objs[k], t) for k in pub])[ok]
            good_s, bad = tk.map_update(obs, ids[pub][ok].astype(str), x0[ok], p0[ok], t_end,
                                        bstar)  # fmt: skip
            sols.update(good_s)
            tp.od_failures.update(bad)
        if unc:
            good_s, bad = tk.iod_tracks(obs, ids[unc].astype(str))
            tp.od_stats["iod"] += len(unc)
            sols.update(good_s)
            tp.od_failures.update(bad)
        for k in fresh:
            if objs[k].id in sols and objs[k].id not in tp.tracks:
                new.append(objs[k].id)
        done = [k for k, o in enumerate(objs) if o.id in sols]
        if done:
            tp.od_stats["updates"] += len(done)
            for k in done:
                tp.od_failures.pop(objs[k].id, None)
            self._od_tracks(tp, t_end, [objs[k] for k in done], [sols[objs[k].id] for k in done])
        tp.od_stats["seconds"] += time.perf_counter() - t_wall
        return new, jumps

    def _established(self, tp, oid: str, tr, t) -> bool:
        """``tp``'s track ``tr`` of ``oid`` is a reference for a manoeuvre alert at ``t``:
        in custody, observed twice or more, along-track sigma at most ``ALERT_SIGMA_KM``;
        for an object the public catalog did not hold, a track at least
        ``NEW_TRACK_MIN_ARC_S`` old with ``NEW_TRACK_MIN_OBS`` passes; and an object that
        can manoeuvre (:func:`spacerange.events.maneuver_alarm.may_maneuver` of its type
        in the public catalog: a debris piece or rocket body inconsistent with its track
        is re-acquired, not reported)."""
        o = self.world.obj(oid)
        public = o.created_utc is None
        if public and not may_maneuver(o.object_type):
            return False
        if not public and (tr.n_obs < NEW_TRACK_MIN_OBS
                           or _secs(t - tr.first_seen_utc) < NEW_TRACK_MIN_ARC_S):  # fmt: skip
            return False
        c = self.custody(tp.team, oid, t)
        return bool(c is not None and c["state"] == "held" and tr.n_obs >= 2
                    and c["pos_sigma_km"] <= tk.ALERT_SIGMA_KM)  # fmt: skip

    def _arbitrate_shares(self, tp, obs, ids, objs, held, t_end) -> None:
        """An ally's set that contradicted a held track (:meth:`_inconsistent_shares`) was
        kept aside; the team's own next pass of the object decides: the ally's set
        replaces the team's track when the pass fits it better (a manoeuvre the ally saw
        first, or the team's own track gone bad), else it is dropped.  Alternatives older
        than ``SHARE_ALT_MAX_S`` are dropped unseen."""
        alt = tp.share_alt
        for oid in [o for o, (tr, t0) in alt.items() if _secs(t_end - t0) > SHARE_ALT_MAX_S]:
            del alt[oid]
        rows = [k for k in held if objs[k].id in alt]
        if not rows:
            return
        mine = [tp.tracks[objs[k].id] for k in rows]
        theirs = [alt.pop(objs[k].id)[0] for k in rows]
        d2 = []
        for trs in (mine, theirs):
            x, p = tk.predict_tracks(trs, t_end)
            d2.append(pass_mahalanobis(obs, ids[rows], x, p, t_end)[0])
        better = np.isfinite(d2[1]) & ~(d2[0] <= d2[1])
        for k, tr, take in zip(rows, theirs, better, strict=True):
            if take:
                tp.tracks[objs[k].id] = tr
                tp.changed.add(objs[k].id)
                tp.od_stats["shares_taken_on_evidence"] += 1

    def _od_tracks(self, tp, t, objs, sols) -> None:
        """Catalog entries (SGP4 element sets) of OD solutions at ``t`` with their RTN
        covariances; the mean-element fit's error joins the covariance: its position
        residual (and the TLE text's rounding) on each position axis, and the element
        set's velocity difference from the OD state, per RTN axis (a deep-space fit
        leaves up to ~1 m/s, which a covariance without it turns into false manoeuvre
        alarms an hour later).  Four fixed-point iterations, no Newton: fitted to
        convergence, the near-equatorial GEO sets' covariance lost that 0.2-1.6 m/s and
        with it the room for SDP4's own error between epochs, and the demo's false
        manoeuvre alerts went from 6 to 110 (docs/performance.md, round 28)."""
        st, p_rtn = tk.to_track_state(sols, t)
        bstar = np.array([self._team_bstar(tp, o, t) for o in objs])
        sats, fit_res = fit_satrecs(st, t, bstar, iterations=4, newton=False)
        rows, out = [], []
        for k, (o, s, p, fr) in enumerate(zip(objs, sats, p_rtn, fit_res, strict=True)):
            if s is None:
                tp.od_failures[o.id] = "mean-element fit failed"
                continue
            s, tle, d_text = tle_satrec(s)
            p = p.copy()
            p[np.arange(3), np.arange(3)] += fr**2 + d_text**2
            rows.append(k)
            out.append((o, s, tle, p))
        if not rows:
            return
        d_rtn = tk.element_set_error_rtn([s for _, s, _, _ in out], st[rows], t)
        dv2 = np.nan_to_num(d_rtn[:, 3:]) ** 2  # one array op, not one per track
        for (o, s, tle, p), d in zip(out, dv2, strict=True):
            p[_VEL, _VEL] += d
            self._set_track(tp, o, t, s, tle, p, "obs")

    def _set_track(self, tp, o, t, sat, tle, cov_rtn, source) -> None:
        old = tp.tracks.get(o.id)
        tp.tracks[o.id] = Track(
            sat, t, float(np.sqrt(np.trace(cov_rtn[:3, :3]) / 3.0)),
            self._growth(h := _perigee_alt_km(sat)) * float(self.storm_factor(tp, h)), t,
            old.first_seen_utc if old else t, (old.n_obs + 1) if old else 1, source,
            name=(old.name if old else self._display_name(tp, o, t)),
            owner=(old.owner if old else self._display_owner(o)), tle=tle, cov_rtn=cov_rtn,
        )  # fmt: skip
        tp.updated_since_share.add(o.id)
        tp.changed.add(o.id)
