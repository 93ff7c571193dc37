"""The manoeuvre test's arcs (mixin of :class:`.core.Pictures`): each object's recent
passes kept as measurements, and the arc-consistency test that decides a manoeuvre
candidate on them through the engine (:func:`spacerange.od.sgp4_dc.
sgp4_differential_correction`, :class:`spacerange.events.maneuver_alarm.ArcChangeTest`),
with the post-manoeuvre orbit re-acquired from the passes after the burn.

Why arcs: the residual test of one pass against the team's prediction
(:mod:`.catalog`) alarms as much on a prediction gone bad (a track fitted to a short arc,
an element set's fit error, covariances too small) as on a burn; the demo's alerts were
99 % such (docs/performance.md).  A burn is a change no single orbit of the object's own
measurements explains; a bad prediction is not.
"""

from __future__ import annotations

import time

import numpy as np

from spacerange.events.maneuver_alarm import may_maneuver
from spacerange.exercise.picture.model import _sgp4_states
from spacerange.exercise.world import fit_satrecs
from spacerange.exercise.world.model import _perigee_alt_km
from spacerange.timescales import iso_utc

__all__ = ["ManeuverArcMixin", "ARC_SPAN_S", "ARC_MAX_PASSES", "ARC_RECENT", "ARC_MIN_PASSES",
           "ARC_MIN_MEAS", "ARC_DRAG_KM", "ARC_TRIGGER_PFA", "ARC_BSTAR_SIGMA_MIN"]  # fmt: skip

#: the arc a manoeuvre candidate is tested on: the object's own passes of at most this
#: age [s], at most ``ARC_MAX_PASSES`` of them (the ``ARC_RECENT`` newest always, older
#: ones thinned to even spacing: the arc must reach back before a burn that the track's
#: updates absorbed for hours before a pass alarmed), and before the alarmed pass at least
#: ``ARC_MIN_PASSES`` with ``ARC_MIN_MEAS`` measurements (fewer: no alert)
ARC_SPAN_S = 3 * 86400.0
ARC_MAX_PASSES = 12
ARC_RECENT = 4
ARC_MIN_PASSES = 2
ARC_MIN_MEAS = 14
#: an arc of a dragging object is cut to the span over which its drag moves it at most this
#: far along-track (1.5 a t^2, the track's own |B*|) [km]: SGP4's drag terms are a polynomial
#: in the time since the element set's epoch, which a fit at another epoch cannot follow
#: (the demo's low payloads, 40-2,000 km of drag a day: arcs of a day or more left chi2
#: 2-50 times their measurements with the truth's own orbit and no burn)
ARC_DRAG_KM = 2.0
#: a pass makes a manoeuvre candidate (and is arc-tested) when its residual test exceeds
#: the team's false-alarm model at this probability: far looser than the alarm's own
#: (which inflates the track's update) since the arc test, not the residual, decides
ARC_TRIGGER_PFA = 1e-3
#: the least 1-sigma of the arc fits' prior on B* [1/earth radii] (:meth:`ManeuverArcMixin.
#: _arc_bstar_sigma`): a GEO or MEO object's drag term is free within it
ARC_BSTAR_SIGMA_MIN = 1e-4
#: 1-sigma position error [km] of SGP4's deep-space theory itself, added to every
#: measurement's noise in the arc fits of deep-space element sets (periods of 225 min or
#: more; :func:`spacerange.od.sgp4_dc.sgp4_differential_correction`'s ``model_error_km``):
#: SDP4 integrates its resonance terms from the set's epoch, so one orbit's set at the
#: arc's epoch reproduces its set of another epoch only to about this over a day or more.
#: With the real catalog's 4,115 deep-space sets as background (72 h of asterx-demo,
#: ``benchmarks/maneuver_alert_replay.py --subset deep``), 22 of 28 manoeuvre alerts were
#: objects that never burned, each fitted by its own set at chi2 ~ dof; with this error
#: 3 of 9 (the same 6 true alerts; docs/performance.md, rounds 19 and 20)
ARC_DEEP_MODEL_ERROR_KM = 0.5
#: a manoeuvred object not re-acquired from its alert's arc is tried again from the passes
#: after the alert for this long [s]
REACQUIRE_WINDOW_S = 24 * 3600.0
#: a re-acquired orbit is taken only when its position 1-sigma (root of the covariance's
#: largest position eigenvalue) is at most this [km]: two short angles-only GEO passes
#: fit one orbit with a 960 km sigma, and such a track loses custody at once
REACQUIRE_MAX_SIGMA_KM = 10.0


def _model_error_km(trs) -> np.ndarray:
    """``ARC_DEEP_MODEL_ERROR_KM`` for each track whose element set is a deep-space one
    (SGP4's ``method`` 'd'), else 0 (n,) km."""
    return np.array([ARC_DEEP_MODEL_ERROR_KM if tr.satrec.method == "d" else 0.0
                     for tr in trs])  # fmt: skip


def arc_window(arc: list, oldest: np.datetime64, t_end: np.datetime64) -> list:
    """The passes ``p`` of ``arc`` with ``oldest <= p[0] < t_end``.  An arc is kept in
    time order (each update appends its pass after dropping any at or after its time;
    thinning and trimming only remove), so these are one run, found from the two ends:
    a comparison or two per arc instead of two per pass (numpy's datetime scalars cost
    about a microsecond each, and every catalog update reads the arcs of its passes)."""
    i, j = 0, len(arc)
    while i < j and arc[i][0] < oldest:
        i += 1
    while j > i and not arc[j - 1][0] < t_end:
        j -= 1
    return arc[i:j]


class ManeuverArcMixin:
    """Manoeuvre arcs and their test (see the module docstring)."""

    def _log_passes(self, tp, obs, objs, t_end) -> None:
        """Keep each pass of ``objs`` that may make a manoeuvre candidate (an object that
        can manoeuvre: :func:`may_maneuver` of its public type, or outside the public
        catalog) in the object's arc (``tp.pass_log``: its measurement rows; see
        ``ARC_MAX_PASSES``)."""
        keep = [o.id for o in objs if o.created_utc is not None or may_maneuver(o.object_type)]
        if not keep:
            return
        rows = np.flatnonzero(np.isin(obs.object_id, np.asarray(keep, str)))
        rows = rows[np.argsort(obs.object_id[rows], kind="stable")]
        uniq, first, count = np.unique(obs.object_id[rows], return_index=True,
                                       return_counts=True)  # fmt: skip
        cols = (obs.times_utc, obs.kind, obs.value, obs.sigma, obs.site)
        oldest = t_end - np.timedelta64(int(ARC_SPAN_S), "s")
        for oid, a, c in zip(uniq.tolist(), first.tolist(), count.tolist(), strict=True):
            r = rows[a : a + c]
            arc = arc_window(tp.pass_log.get(oid, []), oldest, t_end)
            arc.append((t_end,) + tuple(col[r] for col in cols))
            while len(arc) > ARC_MAX_PASSES:
                # drop the older pass whose neighbours are closest: even spacing
                ts = [p[0] for p in arc]
                gaps = [ts[i + 1] - ts[i - 1] for i in range(1, len(arc) - ARC_RECENT)]
                del arc[1 + int(np.argmin(gaps))]
            tp.pass_log[oid] = arc

    def _arc_obs(self, tp, oids: list, t_end, n_first=None, obs=None, skip=None):
        """The arcs of ``oids`` before ``t_end`` (``tp.pass_log``, within ``ARC_SPAN_S``;
        only the ``n_first[i]`` oldest passes, or all but the ``skip[i]`` oldest, where
        given) as one :class:`~spacerange.od.observations.Observations`, with each arc's
        passes; plus this update's rows of ``oids`` from ``obs`` when given."""
        from spacerange.od.observations import Observations

        oldest = t_end - np.timedelta64(int(ARC_SPAN_S), "s")
        parts, arcs = [], []
        for i, oid in enumerate(oids):
            arc = arc_window(tp.pass_log.get(oid, []), oldest, t_end)
            arcs.append(arc)
            part = arc if n_first is None else arc[: n_first[i]]
            parts += [(oid, p) for p in (part if skip is None else part[skip[i] :])]
        empty = (np.zeros(0, "datetime64[us]"), np.zeros(0, np.int8), np.zeros(0), np.zeros(0),
                 np.zeros(0, int))  # fmt: skip
        cols = [np.concatenate([np.repeat(oid, p[1].size) for oid, p in parts])
                if parts else np.zeros(0, str)]  # fmt: skip
        cols += [np.concatenate([p[j] for _, p in parts]) if parts else empty[j - 1]
                 for j in range(1, 6)]  # fmt: skip
        arc_obs = Observations(cols[0], cols[1], cols[2], cols[3], cols[4], cols[5],
                               tp.od_sites[0])  # fmt: skip
        if obs is not None:
            new = obs.subset(np.flatnonzero(np.isin(obs.object_id, np.asarray(oids, str))))
            arc_obs = Observations.concatenate([arc_obs, Observations(
                new.object_id, new.times_utc, new.kind, new.value, new.sigma, new.site,
                tp.od_sites[0])])  # fmt: skip
        return arc_obs, arcs

    def _arc_test(self, tp, obs, objs, cand, trs, t, t_end, alarm_stats) -> list:
        """Manoeuvre candidates ``cand`` (row in ``trs``, row in ``objs``, and the residual
        [km] of a pass outside the correlation gate or None) of this update decided by the
        arc-consistency test (:class:`~spacerange.events.maneuver_alarm.ArcChangeTest`):
        one SGP4 orbit fitted to each object's arc, its logged passes and this one
        (:func:`spacerange.od.sgp4_dc.sgp4_differential_correction`, started as
        :meth:`_arc_initial` says).  A manoeuvre alert ``(object id, details)`` needs an
        arc no single orbit explains (its fit inconsistent, or not converging) and a
        consistent first part of at least ``ARC_MIN_PASSES`` passes (the orbit before the
        burn; a fit that merely failed has none).  It states the interval the burn
        happened in (from the last pass of the longest consistent first part to this
        pass); the object is re-acquired
        from the passes after it (:meth:`_reacquire`) and its arc restarts.  A candidate
        its arc explains is cleared (the track's prediction was wrong, not the object's
        orbit); one whose arc is too short makes no alert.  An object that left the gate
        loses its arc either way."""
        from spacerange.od.sgp4_dc import sgp4_differential_correction

        t0 = time.perf_counter()
        d2, dof, thr, reg = alarm_stats
        oids = [objs[k].id for _, k, _ in cand]
        self._cut_drag_arcs(tp, oids, [trs[j] for j, _, _ in cand], t_end)
        _, arcs = self._arc_obs(tp, oids, t_end)
        n_pass = np.array([len(a) for a in arcs], int)
        n_meas = np.array([sum(p[1].size for p in a) for a in arcs], int)
        enough = (n_pass >= ARC_MIN_PASSES) & (n_meas >= ARC_MIN_MEAS)
        tp.od_stats["arc_short"] += int((~enough).sum())
        sel = np.flatnonzero(enough)
        out = []
        if sel.size:
            sub = [oids[i] for i in sel]
            sub_trs = [trs[cand[i][0]] for i in sel]
            bsig = self._arc_bstar_sigma(tp, sub, sub_trs)
            regime = np.array([reg[cand[i][0]] for i in sel], dtype=object)
            init = self._arc_initial(tp, sub, sub_trs, [arcs[i] for i in sel], bsig, t_end)
            all_obs, _ = self._arc_obs(tp, sub, t_end, obs=obs)
            model_km = _model_error_km(sub_trs)
            with np.errstate(all="ignore"):
                fit = sgp4_differential_correction(all_obs, sub, init, bsig,
                                                   model_error_km=model_km)  # fmt: skip
            # cleared: one converged orbit explains the arc (its chi2 joins the fit); an
            # arc whose fit is inconsistent or does not converge (a burn inside leaves
            # data no single orbit fits, and the fit crawls) is a manoeuvre if a first
            # part of it is consistent, below
            man = tp.arc_test.decide(np.where(fit.converged, fit.chi2, np.nan), fit.dof, regime)
            man |= (~fit.converged & np.isfinite(fit.chi2)
                    & ~tp.arc_test.consistent(fit.chi2, fit.dof, regime))  # fmt: skip
            a_thr = tp.arc_test.threshold(fit.dof, regime)
            tp.od_stats["arc_cleared"] += int((~man & np.isfinite(fit.chi2)).sum())
            # the orbit before the burn: the longest consistent first part of the arc
            since = {}
            left = list(np.flatnonzero(man))
            k_pass = n_pass[sel].copy()
            while left:
                first = [oids[sel[m]] for m in left]
                pre, _ = self._arc_obs(tp, first, t_end, n_first=k_pass[left])
                start = self._arc_initial(tp, first, [trs[cand[sel[m]][0]] for m in left],
                                          [arcs[sel[m]] for m in left], bsig[left], t_end,
                                          n_first=k_pass[left])  # fmt: skip
                with np.errstate(all="ignore"):
                    f = sgp4_differential_correction(pre, first, start, bsig[left],
                                                     model_error_km=model_km[left])  # fmt: skip
                ok = f.converged & tp.arc_test.consistent(f.chi2, f.dof, regime[left])
                nxt = []
                for m, good in zip(left, ok, strict=True):
                    if good:
                        since[m] = k_pass[m] - 1
                    elif k_pass[m] - 1 >= ARC_MIN_PASSES:
                        k_pass[m] -= 1
                        nxt.append(m)
                left = nxt
            # no consistent first part: the fit may have settled on a wrong orbit from a
            # track gone bad (the demo's synthetic payloads, chi2 1e12 with no burn), so
            # no alert (two burns inside the arc are missed that way)
            tp.od_stats["arc_unfit"] += int(man.sum()) - len(since)
            reacq = self._reacquire(tp, obs, sorted(since), since, sel, oids, arcs, fit,
                                    bsig, regime, t_end, model_km)  # fmt: skip
            for m in sorted(since):
                i = sel[m]
                j, _, jump_km = cand[i]
                oid = oids[i]
                tp.od_stats["arc_alerts"] += 1
                tp.maneuver_alerted[oid] = t
                tp.arc_regime[oid] = regime[m]
                tp.pass_log.pop(oid, None)
                details = {"residual_km": jump_km} if jump_km is not None else {}
                out.append((oid, details | {
                    "d2": round(float(d2[j]), 1), "dof": int(dof[j]),
                    "threshold": round(float(thr[j]), 1), "alarm_model": reg[j],
                    "arc_passes": int(n_pass[i]) + 1, "arc_chi2": round(float(fit.chi2[m]), 1),
                    "arc_dof": int(fit.dof[m]), "arc_threshold": round(float(a_thr[m]), 1),
                    "reacquired": oid in reacq,
                    "alarm_utc": iso_utc(t, "s"), "since_utc": iso_utc(arcs[i][since[m]][0], "s")}))  # fmt: skip
            tp.reacquired.update(reacq)
        for i, (_, _, jump_km) in enumerate(cand):
            if jump_km is not None:
                tp.pass_log.pop(oids[i], None)
        tp.od_stats["arc_seconds"] += time.perf_counter() - t0
        return out

    def _reacquire_later(self, tp, oids, t, t_end) -> None:
        """Re-acquisition after an alert that could not re-acquire: each object's arc
        restarted at the alert, so once it holds ``ARC_MIN_PASSES`` passes one SGP4 orbit
        fitted to them, if consistent, becomes its track (``tp.reacquired``); objects
        waiting longer than ``REACQUIRE_WINDOW_S`` are given up (their passes keep
        updating the track)."""
        from spacerange.od.sgp4_dc import sgp4_differential_correction

        pend = tp.reacquire_pending
        for oid in [o for o, t0 in pend.items() if (t - t0) / np.timedelta64(1, "s")
                    > REACQUIRE_WINDOW_S]:  # fmt: skip
            del pend[oid]
        _, arcs = self._arc_obs(tp, oids, t_end + np.timedelta64(1, "us"))
        rows = [i for i, a in enumerate(arcs) if oids[i] in pend and oids[i] in tp.tracks
                and len(a) >= ARC_MIN_PASSES and sum(p[1].size for p in a) >= ARC_MIN_MEAS]  # fmt: skip
        if not rows:
            return
        sub = [oids[i] for i in rows]
        trs = [tp.tracks[o] for o in sub]
        bsig = self._arc_bstar_sigma(tp, sub, trs)
        regime = np.array([tp.arc_regime.get(o, "other") for o in sub], dtype=object)
        t_obs = t_end + np.timedelta64(1, "us")
        init = self._arc_initial(tp, sub, trs, [arcs[i] for i in rows], bsig, t_obs)
        post, _ = self._arc_obs(tp, sub, t_obs)
        with np.errstate(all="ignore"):
            f = sgp4_differential_correction(post, sub, init, bsig,
                                             model_error_km=_model_error_km(trs))  # fmt: skip
            ok = f.converged & tp.arc_test.consistent(f.chi2, f.dof, regime)
        got = self._solutions_at(f, ok, t_end)
        tp.reacquired.update(got)
        for oid in got:
            pend.pop(oid, None)

    def _arc_bstar_sigma(self, tp, oids, trs) -> np.ndarray:
        """1-sigma [1/earth radii] of the arc fits' prior on B*, around each track's own
        value: what the team knows of the object's drag.  At least the track's |B*| and
        ``ARC_BSTAR_SIGMA_MIN``; for a B* that is no physical drag (<= 0, a public fit
        artefact), the drag of the object's public size and mass
        (:meth:`.space_weather.SpaceWeatherMixin.physical_bstar`); and while a storm is in
        force, times the team's density ratio at the track's perigee: the drag then is the
        team's density model of the storm, whose excess errs by its own ~20 %, and a
        track's B* may be a quiet-time value (a fragment's; a set fitted before the
        onset).  Before, the prior was the track's |B*| alone: the demo's storm gave
        Starlink-like payloads (track B* -6e-6 to -9e-5, truth 0.013-0.014) and the debris
        cloud's fragments (truth 12-15 times the track's) arcs that the truth's own orbit
        fits at chi2 ~ dof but a fit held 14-140 sigma from the truth's drag could not:
        11 of the 14 false alerts in the demo's first 8 days (docs/performance.md, round 16)."""
        b = np.array([float(tr.satrec.bstar) for tr in trs])
        drag = np.array([abs(self.physical_bstar(o, bb)) for o, bb in zip(oids, b, strict=True)])
        storm = self.storm_factor(tp, [_perigee_alt_km(tr.satrec) for tr in trs])
        return np.maximum(np.maximum(np.abs(b), drag) * storm, ARC_BSTAR_SIGMA_MIN)

    def _cut_drag_arcs(self, tp, oids, trs, t_end) -> None:
        """Drop the passes of each object's arc older than its drag span
        (``ARC_DRAG_KM``; the drag of the track's own |B*|,
        :func:`spacerange.od.consider.unmodeled_acceleration_sigma`).  The magnitude, not
        the sign: a negative B* (public sets of orbit-raising payloads, -0.05 to -0.46 on
        the 2023 catalog's new Starlink and OneWeb satellites) drives SGP4's drag
        polynomial as hard as a positive one, and the arcs of such objects, which the
        truth's own set fits at chi2 ~ dof, were every false manoeuvre alert on them with
        the real catalog as background (docs/performance.md, round 19)."""
        from spacerange.od.consider import ballistic_from_bstar, unmodeled_acceleration_sigma

        x = _sgp4_states([tr.satrec for tr in trs], t_end)
        bal = ballistic_from_bstar(np.abs([float(tr.satrec.bstar) for tr in trs]))
        with np.errstate(all="ignore"):
            acc = np.abs(unmodeled_acceleration_sigma(x, ballistic_m2_kg=bal)[:, 1])
            span_s = np.sqrt(ARC_DRAG_KM / (1.5 * acc))
        for oid, sp in zip(oids, span_s, strict=True):
            if np.isfinite(sp) and sp < ARC_SPAN_S and oid in tp.pass_log:
                oldest = t_end - np.timedelta64(int(sp), "s")
                tp.pass_log[oid] = [p for p in tp.pass_log[oid] if p[0] >= oldest]

    def _arc_initial(self, tp, oids, trs, arcs, bsig, t_end, n_first=None) -> list:
        """Starting element sets of the arc fits: each track's prediction at its arc's last
        pass, re-fitted as mean elements with that epoch (a track's own epoch may lie days
        before the arc, and a fit started that far off stalls or settles on a wrong
        orbit), then fitted to the arc's ``ARC_RECENT`` newest passes (a short arc around
        that epoch converges from a prediction kilometres off).  ``n_first``: of each arc's
        first ``n_first[i]`` passes only."""
        from spacerange.od.sgp4_dc import sgp4_differential_correction

        if n_first is not None:
            arcs = [a[:k] for a, k in zip(arcs, n_first, strict=True)]
        t_ref = np.array([a[-1][0] for a in arcs], "datetime64[us]")
        init = []
        for tr, t_k in zip(trs, t_ref, strict=True):
            x = _sgp4_states([tr.satrec], t_k)[0]
            sats, _ = fit_satrecs(x[None], t_k, float(tr.satrec.bstar), iterations=4,
                                  newton=False)  # fmt: skip
            init.append(sats[0] if sats[0] is not None else tr.satrec)
        recent, _ = self._arc_obs(tp, oids, t_end, n_first=n_first,
                                  skip=[max(0, len(a) - ARC_RECENT) for a in arcs])  # fmt: skip
        model_km = _model_error_km(trs)
        with np.errstate(all="ignore"):
            f = sgp4_differential_correction(recent, oids, init, bsig, model_error_km=model_km)
            # a second start from the last pass's own IOD (a radar pass's positions): a
            # track gone bad predicts the arc too far off for the fit to converge
            alt = self._pass_iod(tp, oids, arcs, [float(tr.satrec.bstar) for tr in trs], t_end)
            g = sgp4_differential_correction(recent, oids, alt, bsig, model_error_km=model_km)
        out = []
        for k, i in enumerate(init):
            fa = f.converged[k] and np.isfinite(f.chi2[k])
            ga = g.converged[k] and np.isfinite(g.chi2[k])
            if ga and (not fa or g.chi2[k] < f.chi2[k]):
                out.append(g.satrec[k])
            else:
                out.append(f.satrec[k] if fa else i)
        return out

    def _pass_iod(self, tp, oids, arcs, bstar, t_end) -> list:
        """Element sets (drag term ``bstar`` each) from the IOD of each arc's last pass
        (:func:`spacerange.od.pipeline.initial_states`; None where it fails)."""
        from spacerange.frames import gcrs_to_teme
        from spacerange.od.pipeline import initial_states

        last, _ = self._arc_obs(tp, oids, t_end, n_first=[len(a) for a in arcs],
                                skip=[len(a) - 1 for a in arcs])  # fmt: skip
        ids, x, ep, _, _ = initial_states(last, oids)
        got = {k: j for j, k in enumerate(ids.tolist())}
        out = []
        for k, oid in enumerate(oids):
            j = got.get(oid)
            if j is None or not np.all(np.isfinite(x[j])):
                out.append(None)
                continue
            ts = np.asarray([ep[j]], "datetime64[us]")
            r, v = gcrs_to_teme(x[j : j + 1, None, :3], x[j : j + 1, None, 3:], ts)
            sats, _ = fit_satrecs(np.concatenate([r[:, 0], v[:, 0]], axis=1), ep[j], bstar[k],
                                  iterations=4, newton=False)  # fmt: skip
            out.append(sats[0])
        return out

    def _reacquire(self, tp, obs, alerts, since, sel, oids, arcs, fit, bsig, regime,
                   t_end, model_km) -> dict:  # fmt: skip
        """Post-manoeuvre orbits of alerted objects: one SGP4 orbit fitted to the passes
        after the burn's interval began (the arc's passes after ``since`` and this one,
        at least ``ARC_MIN_PASSES`` with ``ARC_MIN_MEAS`` measurements) and consistent
        with them; ``{object id: OdSolution}`` at ``t_end`` (GCRS state and covariance,
        :func:`spacerange.od.sgp4_dc.fit_states_gcrs`).  How a cell re-acquires a
        manoeuvred object from the passes its track absorbed; the others take the
        alarmed pass's update with an inflated prior."""
        from spacerange.od.sgp4_dc import sgp4_differential_correction

        rows = [m for m in alerts
                if len(arcs[sel[m]]) - since[m] >= ARC_MIN_PASSES]  # fmt: skip
        if not rows:
            return {}
        sub = [oids[sel[m]] for m in rows]
        post, _ = self._arc_obs(tp, sub, t_end, obs=obs, skip=[since[m] + 1 for m in rows])
        with np.errstate(all="ignore"):
            f = sgp4_differential_correction(post, sub, [fit.satrec[m] for m in rows],
                                             bsig[rows], model_error_km=model_km[rows])  # fmt: skip
            ok = (f.n_meas >= ARC_MIN_MEAS) & tp.arc_test.consistent(f.chi2, f.dof,
                                                                    regime[rows])  # fmt: skip
        return self._solutions_at(f, ok, t_end)

    @staticmethod
    def _solutions_at(f, ok, t_end) -> dict:
        """``{object id: OdSolution}`` at ``t_end`` of the fits ``f`` marked ``ok`` whose
        position sigma is at most ``REACQUIRE_MAX_SIGMA_KM`` (GCRS state and covariance,
        :func:`spacerange.od.sgp4_dc.fit_states_gcrs`)."""
        from spacerange.od.sgp4_dc import fit_states_gcrs
        from spacerange.od.solution import OdSolution

        with np.errstate(all="ignore"):
            x, p = fit_states_gcrs(f, t_end)
        out = {}
        with np.errstate(all="ignore"):
            sig = np.sqrt(np.linalg.eigvalsh(np.nan_to_num(p[:, :3, :3]))[:, -1])
        for k, oid in enumerate(f.object_id.tolist()):
            if (ok[k] and np.all(np.isfinite(x[k])) and np.all(np.isfinite(p[k]))
                    and sig[k] <= REACQUIRE_MAX_SIGMA_KM):  # fmt: skip
                out[oid] = OdSolution(oid, np.datetime64(t_end, "us"), x[k], p[k],
                                      float(np.sqrt(f.chi2[k] / max(f.n_meas[k], 1))),
                                      int(f.n_meas[k]), int(f.n_meas[k]), 0, True,
                                      method="sgp4-dc")  # fmt: skip
        return out
