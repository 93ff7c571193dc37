"""A team picture's products other than tracks and conjunctions: re-entry predictions,
truth-side products for EXCON (relative motion, fragments), allied sharing and the team
views.  A mixin of :class:`~spacerange.exercise.picture.core.Pictures`."""

from __future__ import annotations

import math

import numpy as np

from spacerange.conjunction.background import Pending
from spacerange.exercise.picture.model import Track, tracks_cov_rtn
from spacerange.exercise.picture.notices import NOTICE_SOURCE
from spacerange.exercise.picture.reentry import decay_forecasts, low_tracks
from spacerange.exercise.teamview import orbit_reaches
from spacerange.exercise.world import (
    _iso,
    _td64,
    to_utc64,
)
from spacerange.frames import itrs_to_geodetic, rtn_basis, teme_to_itrs
from spacerange.jsonio import jsonable
from spacerange.timescales import iso_utc_many

__all__ = ["ProductsMixin", "OWN_SET_REFRESH_S"]

#: a standing track share repeats the provider's unchanged own-asset sets this often [s]
OWN_SET_REFRESH_S = 6 * 3600.0
#: the products that carry element sets
_TRACK_PRODUCTS = frozenset({"omm", "oem", "observations", "tdm"})


class ProductsMixin:
    """Re-entry, truth products, sharing and views of :class:`Pictures` (same state)."""

    # ------------------------------------------------------------------- re-entry
    def reentry_window(self, team: str, oid: str, t) -> dict | None:
        """The team's re-entry prediction for ``oid`` now, on request (the same SGP4 decay
        of its own arc as the 6-hourly product); ``None`` if its track does not decay
        within 15 days."""
        tp = self.teams.get(team)
        if tp is None or oid not in tp.tracks:
            return None
        out = self._reentry(tp, to_utc64(t), only=oid, emit=False)
        return out[0]["payload"] if out else None

    def _reentry(self, tp, t, only: str | None = None, emit: bool = True) -> list[dict]:
        """The team's re-entry products now (of ``only`` alone, if given), computed here."""
        cand = low_tracks(tp.tracks, only)
        forecasts = decay_forecasts([tle for _, tle in cand], t) if cand else []
        return self._reentry_products(tp, t, [oid for oid, _ in cand], forecasts, emit)

    def _reentry_submit(self, tp, t) -> tuple[list[str], Pending | None]:
        """Start the team's 6-hourly re-entry forecasts in the picture's job runner (the
        background worker of a large world): they read only the team's tracks as they are
        now, which nothing changes before :meth:`_reentry_finish` (the other teams'
        updates only queue shares, delivered at the next update)."""
        cand = low_tracks(tp.tracks)
        if not cand:
            return [], None
        return [oid for oid, _ in cand], self._job_runner.call(
            decay_forecasts, [tle for _, tle in cand], t
        )

    def _reentry_finish(self, tp, t, submitted: tuple[list[str], Pending | None]) -> list[dict]:
        """The products of the forecasts :meth:`_reentry_submit` started."""
        oids, pending = submitted
        if pending is None:
            return []
        return self._reentry_products(tp, t, oids, pending.result(), True)

    def _reentry_products(self, tp, t, oids: list[str], forecasts: list, emit: bool) -> list[dict]:
        out = []
        for oid, f in zip(oids, forecasts, strict=True):
            if f is None:
                continue
            payload = {"team": tp.team, "object": self.designator(tp.team, oid),
                       "window_start": _iso(f.window_start_utc),
                       "window_end": _iso(f.window_end_utc),
                       "most_likely": _iso(f.most_likely_utc), "footprint": f.footprint}  # fmt: skip
            out.append(self._event("reentry_prediction", tp, t, payload))
            if emit and ("reentry", oid) not in tp.alerted:
                tp.alerted.add(("reentry", oid))
                out.append(self._alert(tp, t, "reentry", [oid],
                                       {"most_likely": _iso(f.most_likely_utc)}))  # fmt: skip
                self._detections(tp, t, [oid], "reentry", out)
        return out

    # ------------------------------------------------------------------- truth products
    def _relative_motion(self, t, idx, r, v) -> list[dict]:
        out = []
        w = self.world
        for a, b, _since in w.proximity_pairs:
            if a not in w or b not in w:
                continue
            ra, va = w.state_of(b, t)  # the asset (target) frame
            rb, _ = w.state_of(a, t)
            if not (np.all(np.isfinite(ra)) and np.all(np.isfinite(rb))):
                continue
            rtn = rtn_basis(ra, va) @ (rb - ra)
            buf = self._relmo.setdefault((b, a), [])
            buf.append([_iso(t), *[round(float(x), 4) for x in rtn]])
            if len(buf) >= 6:
                out.append(self._event("relative_motion", None, t,
                                       {"objects": [b, a], "samples": list(buf)}, []))  # fmt: skip
                buf.clear()
        return out

    def _fragments(self, t) -> list[dict]:
        out = []
        for info in self.world.fragment_sets[self._n_fragment_sets :]:
            out.append(self._event("fragments", None, t, {
                k: info[k] for k in ("parent", "n", "apogee_km", "perigee_km", "period_min")
            }, []))  # fmt: skip
        self._n_fragment_sets = len(self.world.fragment_sets)
        return out

    # ------------------------------------------------------------------- sharing
    def _queue_standing_shares(self, tp, t) -> None:
        tracks_out = any(ag.provider == tp.team and _TRACK_PRODUCTS & set(ag.products)
                         for ag in self.scenario.sharing)  # fmt: skip
        own = self._own_sets_due(tp, t) if tracks_out else {}
        for ag in self.scenario.sharing:
            if ag.provider != tp.team:
                continue
            objs = self._share_objects(tp, ag.objects, tp.updated_since_share)
            tracks = {k: tp.tracks[k] for k in objs if k in tp.tracks}
            tracks |= {k: own[k] for k in self._share_objects(tp, ag.objects, list(own))}
            cdms = list(tp.new_cdms) if "cdm" in ag.products else []
            if ag.objects == "own":
                cdms = [c for c in cdms if self._own(tp.team, c["object1"])]
            track_products = _TRACK_PRODUCTS & set(ag.products)
            notices = (self._notices_for(tp, ag.objects, t)
                       if NOTICE_SOURCE in ag.products else [])  # fmt: skip
            for rec in ag.recipients:
                if rec in self.teams:
                    self._share_queue.append((t + _td64(ag.delay.total_seconds()), tp.team,
                                              rec, sorted(ag.products),
                                              tracks if track_products else {}, cdms,
                                              notices))  # fmt: skip
        tp.updated_since_share = set()
        tp.new_cdms = []

    def _own_sets_due(self, tp, t) -> dict[str, Track]:
        """The operator's element sets of ``tp``'s own assets that its standing track
        shares carry now: an asset's first, one after each burn, and a refresh every
        ``OWN_SET_REFRESH_S`` (an ally holds the asset in custody on them; its own tracks
        are not in ``tp.tracks``: the team knows its assets exactly)."""
        out = {}
        for o in self._own_objects(tp):
            if o.ended_utc is not None:
                continue
            last = tp.own_shared.get(o.id)
            if last is None or last[0] != len(o.arcs) or _secs(t - last[1]) >= OWN_SET_REFRESH_S:
                tp.own_shared[o.id] = (len(o.arcs), t)
                out[o.id] = self._own_track(o.id, t)
        return out

    def _share_objects(self, tp, spec, updated) -> list[str]:
        if spec == "all":
            return list(updated)
        if spec == "own":
            return [k for k in updated if self._own(tp.team, k)]
        wanted = set(spec)
        return [k for k in updated if k in wanted]

    def _deliver_shares(self, t) -> list[dict]:
        w = self.world
        for team, to, products, objs, rel in w.share_requests[self._done_shares :]:
            tp = self.teams.get(team)
            if tp is None:
                continue
            keys = objs or list(tp.tracks)
            tracks = {}
            if _TRACK_PRODUCTS & set(products):
                for k in keys:
                    if k in tp.tracks:
                        tracks[k] = tp.tracks[k]
                    elif self._own(team, k):
                        tracks[k] = self._own_track(k, rel)
            cdms = [c for c in tp.cdms if "cdm" in products and (not objs or c["object1"] in objs
                                                                 or c["object2"] in objs)]  # fmt: skip
            notices = self._action_notices(tp, objs, t) if NOTICE_SOURCE in products else []
            self._share_queue.append((rel, team, to, products, tracks, cdms, notices))
        self._done_shares = len(w.share_requests)
        out = []
        keep = []
        for item in self._share_queue:
            rel, frm, to, products, tracks, cdms, notices = item
            if rel > t:
                keep.append(item)
                continue
            rp = self.teams.get(to)
            if rp is None:
                continue
            # a set fitted before a storm transition the recipient has been through
            tracks = self.through_storms(rp, tracks)
            # one vectorized covariance propagation for every track compared below
            tracks_cov_rtn([*tracks.values(), *(rp.tracks[k] for k in tracks if k in rp.tracks)],
                           t)  # fmt: skip
            n = 0
            clash = self._inconsistent_shares(rp, tracks, t)
            for k, tr in tracks.items():
                if self._own(to, k):
                    continue
                mine = rp.tracks.get(k)
                if k in clash:
                    # kept aside: the team's own next pass decides (``_arbitrate_shares``)
                    rp.od_stats["shares_rejected"] += 1
                    rp.share_alt[k] = (self._shared_track(rp, frm, k, tr, mine, t), t)
                    continue
                if mine is None or tr.sigma_rtn_km(t)[1] < mine.sigma_rtn_km(t)[1]:
                    rp.tracks[k] = self._shared_track(rp, frm, k, tr, mine, t)
                    rp.changed.add(k)
                    n += 1
            rp.cdms += [dict(c, shared_by=frm) for c in cdms]
            n_notices, alerts = self._receive_notices(rp, frm, notices, t)
            out += alerts
            if n or cdms or n_notices:
                rp.shared_in.append({"from": frm, "products": products, "n_tracks": n,
                                     "n_cdms": len(cdms), "n_notices": n_notices,
                                     "time_utc": _iso(t)})  # fmt: skip
        self._share_queue = keep
        return out

    def _shared_track(self, rp, frm: str, k: str, tr: Track, mine: Track | None, t) -> Track:
        """``rp``'s copy of ally ``frm``'s track ``tr`` of ``k`` (its designator taken)."""
        self.designator(rp.team, k, given=self.designator(frm, k))
        return Track(tr.satrec, tr.epoch_utc, tr.sigma0_km, tr.growth_km_day, tr.last_obs_utc,
                     mine.first_seen_utc if mine else t, tr.n_obs, f"shared:{frm}",
                     mine.name if mine else self._display_name(rp, self.world.obj(k), t),
                     tr.owner, tle=tr.tle, cov_rtn=tr.cov_rtn)  # fmt: skip

    def _inconsistent_shares(self, rp, tracks: dict, t) -> set:
        """Truth ids of the shared ``tracks`` that ``rp`` rejects at ``t``: where it holds
        the object in custody on its own observations (a track it took from a share is no
        evidence against a newer share: a team that never sees the object would never
        settle the contradiction) and the ally's position differs from its own prediction by
        more than its own alarm threshold on three measurements
        (:meth:`~spacerange.events.maneuver_alarm.RegimeAlarmModels.threshold`, the
        difference's Mahalanobis distance under the sum of both position covariances).
        A set its own passes contradict would replace a good track with the ally's error
        (the demo's allies handed bad sets back and forth, each confirmed as a
        "manoeuvre" on the next pass); an object out of its custody takes the ally's."""
        from spacerange.exercise.picture.catalog import alarm_classes
        from spacerange.exercise.picture.model import _sgp4_states

        keys = [
            k
            for k, tr in tracks.items()
            if k in rp.tracks
            and rp.tracks[k].source == "obs"
            and not self._own(rp.team, k)
            and (c := self.custody(rp.team, k, t)) is not None
            and c["state"] == "held"
        ]
        if not keys:
            return set()
        mine = [rp.tracks[k] for k in keys]
        theirs = [tracks[k] for k in keys]
        x_m = _sgp4_states([m.satrec for m in mine], t)
        x_a = _sgp4_states([a.satrec for a in theirs], t)
        p = tracks_cov_rtn(mine, t)[:, :3, :3] + tracks_cov_rtn(theirs, t)[:, :3, :3]
        with np.errstate(invalid="ignore"):
            d_rtn = np.einsum("nij,nj->ni", rtn_basis(x_m[:, :3], x_m[:, 3:]),
                              x_a[:, :3] - x_m[:, :3])  # fmt: skip
            ok = np.all(np.isfinite(d_rtn), axis=1) & np.all(np.isfinite(p), axis=(1, 2))
            d2 = np.full(len(keys), np.inf)
            d2[ok] = np.einsum(
                "ni,ni->n", d_rtn[ok], np.linalg.solve(p[ok], d_rtn[ok][..., None])[..., 0]
            )
        thr = rp.alarm.threshold(np.full(len(keys), 3), alarm_classes(rp, keys, mine))
        return {k for k, bad in zip(keys, ~(d2 <= thr), strict=True) if bad}

    def _own_track(self, oid, t) -> Track:
        o = self.world.obj(oid)
        return Track(o.satrec_at(t), t, 0.01, 0.05, t, t, 1, "own", o.name, o.owner)

    # ------------------------------------------------------------------- views
    def view(self, team_id: str) -> dict:
        """The team's picture at the world clock (see the contract's ``team_view``)."""
        tp = self.teams.get(team_id)
        if tp is None:
            return {"picture": [], "assets": [], "alerts": [], "cdms": [], "shared_in": []}
        return {"picture": self.picture_items(team_id), **self.light_view(team_id)}

    def picture_items(self, team_id: str, keys: list[str] | None = None,
                      reach_km: tuple[float, float] | None = None) -> list[dict]:  # fmt: skip
        """The team's tracks now (all, or those of truth ids ``keys``; with ``reach_km``
        only those whose orbits now pass through that band of geocentric radii, see
        :func:`~spacerange.exercise.teamview.orbit_reaches`), under its designators: the
        costly part of the view, one SGP4 and one covariance batch."""
        t = self.world.clock_utc
        tp = self.teams.get(team_id)
        if tp is None:
            return []
        keys, r, v = self._picture_states(tp, t, keys)
        reach = np.ones(len(keys), bool) if reach_km is None else orbit_reaches(r, v, *reach_km)
        keep = [j for j, k in enumerate(keys)
                if reach[j] and not self._own(team_id, k) and np.all(np.isfinite(r[j]))]  # fmt: skip
        if not keep:
            return []
        trs = [tp.tracks[keys[j]] for j in keep]
        cov = tracks_cov_rtn(trs, t)
        sig_t = np.sqrt(np.maximum(cov[:, 1, 1], 0.0))
        # custody (see :meth:`custody`), for the whole batch
        held = self.custody_held(np.array([_secs(t - tr.last_obs_utc) for tr in trs]),
                                 np.array([tr.growth_km_day for tr in trs]), sig_t)  # fmt: skip
        # JSON-ready by construction (the autopilots' port serves these lists as they are,
        # the whole picture at every load): the numbers rounded as whole arrays, finite
        # (a NaN sigma is None), the strings valid Unicode
        r_km = np.round(r[keep], 4).tolist()
        v_km_s = np.round(v[keep], 7).tolist()
        sig_km = [s if math.isfinite(s) else None for s in np.round(sig_t, 4).tolist()]
        ids = _texts([self.designator(team_id, keys[j]) for j in keep])
        names = _texts([tr.name for tr in trs])
        owners = _texts([tr.owner for tr in trs])
        sources = _texts([tr.source for tr in trs])
        last_iso = iso_utc_many([tr.last_obs_utc for tr in trs], "s")
        return [{"id": ids[n], "name": names[n], "owner": owners[n], "r_km": r_km[n],
                 "v_km_s": v_km_s[n], "pos_sigma_km": sig_km[n],
                 "last_obs_utc": last_iso[n], "source": sources[n],
                 "custody": "held" if held[n] else "lost"}
                for n, tr in enumerate(trs)]  # fmt: skip

    def picture_names(self, team_id: str) -> list[str]:
        """The designators of the items :meth:`picture_items` lists now, in its order and
        assigning new designators as it does, without their covariances, custody or items
        (a look for new names reads only these)."""
        t = self.world.clock_utc
        tp = self.teams.get(team_id)
        if tp is None:
            return []
        keys, r, _ = self._picture_states(tp, t)
        fin = np.all(np.isfinite(r), axis=1).tolist()
        keep = [k for j, k in enumerate(keys) if not self._own(team_id, k) and fin[j]]
        return _texts([self.designator(team_id, k) for k in keep])

    def picture_item(self, team_id: str, name: str) -> dict | None:
        """The team's track named ``name`` now (the item :meth:`picture_items` lists under
        that designator), or ``None``."""
        tp = self.teams.get(team_id)
        k = self.resolve(team_id, name)
        if tp is None or k is None or k not in tp.tracks:
            return None
        items = self.picture_items(team_id, [k])
        return items[0] if items and items[0]["id"] == name else None

    def light_view(self, team_id: str) -> dict:
        """The view without the tracks: own assets, alerts, CDMs, shares."""
        t = self.world.clock_utc
        tp = self.teams[team_id]
        assets = []
        for o in self._own_assets(tp):
            ra, va = self.world.state_of(o.id, t)
            assets.append({"id": o.id, "name": o.name, "owner": o.actor,
                           "r_km": [round(float(x), 4) for x in ra],
                           "v_km_s": [round(float(x), 7) for x in va],
                           "maneuverable": o.maneuverable, "dv_budget_mps": o.dv_budget_mps,
                           "dv_used_mps": round(o.dv_used_mps, 4), "source": "own",
                           "lon_deg": _lon_deg(ra, va, t)})  # fmt: skip
        # the CDMs, alerts and shares only grow: each is made JSON once (designators are
        # fixed once given), so a view costs the new items, not the whole history
        cdms = _grow(tp.views, "cdms", tp.cdms, lambda c: dict(
            c, object1=self.designator(team_id, c["object1"]),
            object2=self.designator(team_id, c["object2"])))  # fmt: skip
        return {"assets": jsonable(assets), "alerts": _grow(tp.views, "alerts", tp.alerts),
                "cdms": cdms, "shared_in": _grow(tp.views, "shared_in", tp.shared_in)}  # fmt: skip


def _texts(values: list) -> list:
    """``values`` as the serializer would serve them (:func:`spacerange.jsonio.jsonable`),
    checked as one string: a picture's thousands of names are valid UTF-8 but for a
    hostile one, which then sends the whole list through ``jsonable``."""
    try:
        "\x00".join(values).encode("utf-8")
        return values
    except (TypeError, UnicodeEncodeError):
        return [jsonable(v) for v in values]


def _grow(cache: dict, key: str, items: list, convert=None) -> list:
    """``items`` (append-only) as JSON-ready copies, converting only those not yet seen."""
    done = cache.setdefault(key, [])
    for it in items[len(done) :]:
        done.append(jsonable(convert(it) if convert else it))
    return list(done)


def _lon_deg(r, v, t) -> float:
    """Geographic longitude [deg E] of a TEME state (an operator knows its own asset's)."""
    ri, _ = teme_to_itrs(np.asarray(r)[None, None], np.asarray(v)[None, None], np.asarray([t]))
    return round(float(itrs_to_geodetic(ri[0, 0])[1]), 4)


def _secs(td) -> float:
    return float(td / np.timedelta64(1, "s"))
