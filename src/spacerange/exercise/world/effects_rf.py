"""RF interference on satellite links and the command link model (issue 15, item 1).

Link model
----------
An actor's assets are commanded through its ``ground_stations`` (the first serving it, or the one
a team switched to with ``countermeasure: switch_link``; an allied station is allowed when
its team has a sharing agreement toward the commanding team).  A command (manoeuvre,
relocation) is executed by :meth:`RfEffects.command_link` when it comes due after the
uplink delay: the station must see the asset above its elevation mask (else the command
waits for the next contact, searched over 24 h in 60 s steps), and the uplink must close.
Assets of actors without ground stations are always in contact (the fixed uplink delay is
then the whole model, as before issue 15).

Jamming-to-signal ratio (a relative link budget; the absolute budgets cancel)::

    J/S [dB] = js_offset_db + 20 log10(d_signal / d_jammer) + G_rel(theta)

``js_offset_db`` = jammer EIRP - legitimate EIRP toward the receiver [dB]; ``d`` the
transmitter-receiver ranges (free-space loss ~ d^2, both at the same frequency); ``theta``
the angle, at the receiver, between the wanted transmitter and the jammer;
``G_rel(theta) = max(-12 (theta / theta_3dB)^2, -30)`` dB the receive antenna's gain
relative to boresight (the parabolic main lobe of ITU-R S.1528/S.580 with a -30 dB
side-lobe floor).  The receiver's carrier to noise-plus-interference ratio is
``C/(N+J) = -10 log10(10^(-CN/10) + 10^(J/S/10))`` with the nominal ``cn_db``; the link
closes while ``C/(N+J) >= required_cn_db``.  A ground jammer needs line of sight to the
receiver (above its horizon for an uplink); a satellite jammer a line of sight clear of
the Earth.  Left out: polarization, waveform and coding gains, atmospheric and rain loss,
Doppler, frequency-hopping or spread-spectrum processing gain beyond what ``cn_db`` and
``required_cn_db`` state, and adaptive antenna nulling.

Effects: a command whose uplink does not close is retried every ``RETRY_S`` and lost after
``MAX_TRIES`` (the team sees no acknowledgement); while the downlink does not close during
a contact, telemetry is lost (``telemetry_lost_s``).  Cue: ``link_quality`` alerts to the
owning team (the measured C/(N+I), the margin, the station) when the link degrades,
every 30 min while degraded, and when it recovers; never the jammer or its position.
Answers: ``countermeasure`` ``frequency_change`` (the jammer loses the carrier; one that
follows re-acquires it after ``retune_after``) and ``switch_link`` (another station).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from spacerange.constants import RE_WGS84_KM
from spacerange.exercise.world.model import WorldError, WorldEvent, _iso, _td64, to_utc64
from spacerange.frames import teme_to_itrs
from spacerange.sensors.base import Site
from spacerange.sensors.visibility import elevation_deg

if TYPE_CHECKING:
    from spacerange.exercise.ports import UtcLike
    from spacerange.exercise.scenario.effects import GroundStation

#: link sampling step during an interference window [s]
LINK_STEP_S = 300.0
#: a command without acknowledgement is re-sent after this [s] ...
RETRY_S = 600.0
#: ... and given up (lost) after this many attempts
MAX_TRIES = 6
#: while degraded, a link-quality report every [s]
REPORT_EVERY_S = 1800.0
#: side-lobe floor of the receive antenna [dB]
SIDELOBE_FLOOR_DB = -30.0
#: contact search horizon and step for a command waiting for a pass [s]
CONTACT_SEARCH_S, CONTACT_STEP_S = 86400.0, 60.0


def rel_gain_db(theta_deg: np.ndarray, beamwidth_deg: float) -> np.ndarray:
    """Receive gain relative to boresight [dB] at ``theta_deg`` off axis (see module)."""
    g = -12.0 * (np.asarray(theta_deg, float) / beamwidth_deg) ** 2
    return np.maximum(g, SIDELOBE_FLOOR_DB)


def cnir_db(cn_db: float, js_db: np.ndarray) -> np.ndarray:
    """Carrier to noise-plus-interference [dB] from C/N and the J/S ratios [dB] (summed
    over jammers along the last axis; NaN J/S = no jammer)."""
    js = np.asarray(js_db, float)
    j_over_c = np.nansum(10.0 ** (js / 10.0), axis=-1) if js.ndim else 10.0 ** (js / 10.0)
    return -10.0 * np.log10(10.0 ** (-cn_db / 10.0) + j_over_c)


def _angle_deg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    c = np.einsum("...i,...i->...", a, b) / (
        np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1)
    )
    return np.degrees(np.arccos(np.clip(c, -1.0, 1.0)))


def _clear_of_earth(p: np.ndarray, q: np.ndarray, re_km: float = RE_WGS84_KM) -> np.ndarray:
    """True where the segment p-q (..., 3) stays above the Earth's (spherical) surface."""
    d = q - p
    s = np.clip(-np.einsum("...i,...i->...", p, d) / np.einsum("...i,...i->...", d, d), 0, 1)
    closest = p + s[..., None] * d
    return np.linalg.norm(closest, axis=-1) > re_km


class RfEffects:
    """Part of :class:`spacerange.exercise.world.World` (a mixin over its state)."""

    # ------------------------------------------------------------------ shared state
    @property
    def effects(self) -> dict:
        """Measured effects of the non-kinetic threats (``summary.json`` ``effects``)."""
        if not hasattr(self, "_effects"):
            self._effects = {"commands_sent": 0, "commands_delayed": 0, "command_delay_s": 0.0,
                             "commands_lost": 0, "telemetry_lost_s": 0.0,
                             "observations_denied": 0, "observations_deferred": 0,
                             "spoofed_tracks_accepted": 0, "feeds_isolated": 0,
                             "by_asset": {}, "by_team": {}}  # fmt: skip
        return self._effects

    def _count(self, key: str, value: float = 1, asset: str | None = None,
               team: str | None = None) -> None:  # fmt: skip
        e = self.effects
        e[key] += value
        for group, k in (("by_asset", asset), ("by_team", team)):
            if k is not None:
                d = e[group].setdefault(k, {})
                d[key] = d.get(key, 0) + value

    def effect_summary(self) -> dict:
        e = self.effects
        out = {k: (round(v, 1) if isinstance(v, float) else v) for k, v in e.items()
               if not isinstance(v, dict)}  # fmt: skip
        out["by_asset"] = {k: dict(v) for k, v in e["by_asset"].items()}
        out["by_team"] = {k: dict(v) for k, v in e["by_team"].items()}
        return out

    @property
    def _rf(self) -> list[dict]:
        if not hasattr(self, "_rf_jams"):
            self._rf_jams = []
            self._link_station: dict[str, dict] = {}
        return self._rf_jams

    # ------------------------------------------------------------------ stations
    def _all_stations(self) -> dict[str, tuple[str, GroundStation]]:
        """Station id -> (actor id, station model)."""
        return {g.id: (a.id, g) for a in self.scenario.actors
                for g in getattr(a, "ground_stations", []) or []}  # fmt: skip

    def station_of(self, asset: str) -> GroundStation | None:
        """The station ``asset`` is commanded through (None: its actor has none)."""
        self._rf  # noqa: B018 - initializes the state
        if asset in self._link_station:
            return self._link_station[asset]
        actor = self._actors.get(self.obj(asset).actor) if asset in self else None
        gs = [g for g in (getattr(actor, "ground_stations", []) or []) if not g.assets
              or asset in g.assets] if actor else []  # fmt: skip
        return gs[0] if gs else None

    def stations_available(self, team: str) -> list[str]:
        """Stations ``team`` may command through: its actors' and those of teams with a
        sharing agreement toward it (allied stations)."""
        allies = {ag.provider for ag in self.scenario.sharing if team in ag.recipients}
        actors = set(self.team_actors(team))
        for t in self.scenario.teams:
            if t.id in allies:
                actors |= set(t.plays)
        return [sid for sid, (aid, _) in self._all_stations().items() if aid in actors]

    @staticmethod
    def _site(g, mask: float | None = None) -> Site:
        return Site(getattr(g, "id", "site"), g.lat_deg, g.lon_deg, g.alt_m,
                    min_elevation_deg=getattr(g, "min_elevation_deg", 0.0) if mask is None
                    else mask)  # fmt: skip

    def _itrs_of(self, oid: str, ts: np.ndarray) -> np.ndarray:
        """ITRS positions (n, 3) of ``oid`` along ``ts`` (NaN where it does not exist)."""
        r, v = self.state_of(oid, ts)
        ri, _ = teme_to_itrs(r[None], v[None], ts)
        return ri[0]

    # ------------------------------------------------------------------ link budget
    def link_state(self, asset: str, ts: UtcLike, link: str = "uplink") -> dict:
        """The link of ``asset`` at times ``ts`` through its station: ``contact`` (bool),
        ``js_db`` (total J/S, -inf without jamming) and ``cnir_db`` arrays, the ``margin_db``
        over the requirement, ``ok`` (contact and margin >= 0) and the station id."""
        ts = np.atleast_1d(np.asarray(ts, dtype="datetime64[us]"))
        g = self.station_of(asset)
        n = len(ts)
        if g is None:
            return {"station": None, "contact": np.ones(n, bool), "js_db": np.full(n, -np.inf),
                    "cnir_db": np.full(n, np.inf), "margin_db": np.full(n, np.inf),
                    "ok": np.ones(n, bool)}  # fmt: skip
        site = self._site(g)
        r_sat = self._itrs_of(asset, ts)
        contact = elevation_deg(site, r_sat) >= site.min_elevation_deg
        js_all, cn, req = [], 15.0, 5.0
        for jam in self._rf:
            if jam["target"] != asset or jam["link"] not in (link, "both"):
                continue
            a = jam["action"]
            cn, req = a.cn_db, a.required_cn_db
            js_all.append(self._js_db(jam, asset, ts, r_sat, site, link))
        js = np.stack(js_all, axis=-1) if js_all else np.full((n, 1), np.nan)
        cnir = cnir_db(cn, js)
        margin = cnir - req
        with np.errstate(invalid="ignore", divide="ignore"):
            tot = 10 * np.log10(np.nansum(10 ** (js / 10.0), axis=-1))
        return {"station": g.id, "contact": contact, "js_db": tot, "cnir_db": cnir,
                "margin_db": margin, "ok": contact & (margin >= 0)}  # fmt: skip

    def _jam_active(self, jam: dict, ts: np.ndarray) -> np.ndarray:
        on = (ts >= jam["start"]) & (ts < jam["end"])
        fc = jam.get("freq_changed_utc")
        if fc is not None:
            a = jam["action"]
            lost = ts >= fc
            if a.follows_frequency:
                lost &= ts < fc + _td64(a.retune_after.total_seconds())
            on &= ~lost
        return on

    def _js_db(self, jam, asset, ts, r_sat, site, link) -> np.ndarray:
        """J/S [dB] of one jammer (NaN where inactive or out of sight)."""
        a = jam["action"]
        n = len(ts)
        if a.site is not None:
            r_j = np.broadcast_to(self._site(a.site, 0.0).r_itrs_km, (n, 3))
        else:
            r_j = self._itrs_of(a.asset, ts)
        r_gs = np.broadcast_to(site.r_itrs_km, (n, 3))
        if link == "uplink":  # the satellite receives: wanted = station, jammer = r_j
            rx, tx = r_sat, r_gs
        else:  # the station receives: wanted = satellite
            rx, tx = r_gs, r_sat
        d_s = np.linalg.norm(tx - rx, axis=-1)
        d_j = np.linalg.norm(r_j - rx, axis=-1)
        theta = _angle_deg(tx - rx, r_j - rx)
        js = a.js_offset_db + 20.0 * np.log10(d_s / np.maximum(d_j, 1e-3))
        js = js + rel_gain_db(theta, a.beamwidth_deg)
        if a.site is not None:
            jsite = self._site(a.site, 0.0)
            # an uplink jammer must see the satellite; a downlink one is near the station
            seen = elevation_deg(jsite, rx) >= 0.0 if link == "uplink" else np.ones(n, bool)
        elif link == "uplink":  # satellite to satellite: the line must clear the Earth
            seen = _clear_of_earth(r_j, rx)
        else:  # a satellite jammer above the receiving station's horizon
            seen = elevation_deg(site, r_j) >= 0.0
        ok = self._jam_active(jam, ts) & seen & np.isfinite(js)
        return np.where(ok, js, np.nan)

    # ------------------------------------------------------------------ enactment
    def _enact_rf_interference(self, a, serial: str, t) -> list[WorldEvent]:
        self.obj(a.target)
        if a.asset is not None:
            self.obj(a.asset)
        if self.station_of(a.target) is None:
            raise WorldError(f"{serial}: {a.target} has no ground station to interfere with")
        end = t + _td64(a.duration.total_seconds())
        jam = {"serial": serial, "target": a.target, "link": a.link, "start": t, "end": end,
               "action": a, "degraded": False, "last_report": None}  # fmt: skip
        self._rf.append(jam)
        self.schedule(t, lambda tt, j=jam: self._sample_link(j, tt), f"{serial} link")
        return [WorldEvent("rf_interference", [a.target],
                           {"serial": serial, "link": a.link, "until_utc": _iso(end)}, t)]  # fmt: skip

    def _owners(self, asset: str) -> list[str]:
        return self.team_of_actor(self.obj(asset).actor)

    def _sample_link(self, jam: dict, t: np.datetime64) -> list[WorldEvent]:
        """One link sample of a jammed asset: telemetry lost, link-quality cues."""
        asset = jam["target"]
        links = ["uplink", "downlink"] if jam["link"] == "both" else [jam["link"]]
        states = {lk: self.link_state(asset, t, lk) for lk in links}
        events: list[WorldEvent] = []
        dl = states.get("downlink")
        if dl is not None and dl["contact"][0] and not dl["ok"][0]:
            for team in self._owners(asset):
                self._count("telemetry_lost_s", LINK_STEP_S, asset, team)
        in_contact = any(s["contact"][0] for s in states.values())
        degraded = in_contact and any(not s["ok"][0] for s in states.values())
        due = jam["last_report"] is None or (t - jam["last_report"]) >= _td64(REPORT_EVERY_S)
        if in_contact and (degraded != jam["degraded"] or (degraded and due)):
            jam["degraded"], jam["last_report"] = degraded, t
            events += self._link_report(asset, t, states, degraded)
        if t + _td64(LINK_STEP_S) < jam["end"]:
            self.schedule(t + _td64(LINK_STEP_S), lambda tt, j=jam: self._sample_link(j, tt),
                          f"{jam['serial']} link")  # fmt: skip
        elif jam["degraded"]:  # the window closes: the link recovers
            jam["degraded"] = False
            self.schedule(jam["end"], lambda tt, a=asset: self._link_report(
                a, tt, {lk: self.link_state(a, tt, lk) for lk in links}, False), "link restored")  # fmt: skip
        return events

    def _link_report(self, asset, t, states, degraded) -> list[WorldEvent]:
        """A ``link_quality`` alert to the asset's teams: what their receivers measure."""
        det = {"state": "degraded" if degraded else "nominal"}
        for lk, s in states.items():
            det[lk] = {"station": s["station"], "in_contact": bool(s["contact"][0]),
                       "cnir_db": round(float(s["cnir_db"][0]), 1),
                       "margin_db": round(float(s["margin_db"][0]), 1),
                       "frames_lost_fraction": 1.0 if not s["ok"][0] else 0.0}  # fmt: skip
        out = []
        for team in self._owners(asset):
            d = dict(det, stations_available=self.stations_available(team))
            out.append(WorldEvent("alert", [asset], {"team": team, "kind": "link_quality",
                                                     "details": d, "visible_to": [team]}, t))  # fmt: skip
        return out

    # ------------------------------------------------------------------ commands
    def command_link(self, team: str, action: dict, t: UtcLike, attempt: int = 0) -> dict:
        """Whether a command (``maneuver`` / ``relocate`` of ``action['asset']``) due at
        ``t`` reaches the spacecraft: ``{"status": "sent"}``; ``{"status": "retry",
        "retry_utc", "reason"}`` (no contact yet, or no acknowledgement: try again);
        ``{"status": "lost", "reason"}`` after :data:`MAX_TRIES` unacknowledged tries.
        Reasons are what the operator sees (no contact, no acknowledgement)."""
        t = to_utc64(t)
        asset = action.get("asset")
        if not isinstance(asset, str) or asset not in self:
            return {"status": "sent"}
        denied = getattr(self, "command_denied", lambda a, tt: False)(asset, t)
        s = self.link_state(asset, t, "uplink")
        if not denied and s["ok"][0]:
            if attempt:
                self._count("commands_delayed", 1, asset, team)
            self._count("commands_sent", 1, asset, team)
            return {"status": "sent"}
        if not denied and not s["contact"][0]:
            nxt = self._next_contact(asset, t)
            if nxt is not None:
                return {"status": "retry", "retry_utc": nxt, "count_try": False,
                        "reason": f"{asset} out of contact of station {s['station']} until "
                                  f"{_iso(nxt)}"}  # fmt: skip
        if attempt + 1 >= MAX_TRIES:
            self._count("commands_lost", 1, asset, team)
            return {"status": "lost",
                    "reason": f"command to {asset} not acknowledged after {MAX_TRIES} uplink "
                              f"attempts over {MAX_TRIES * RETRY_S / 3600:g} h"}  # fmt: skip
        self._count("command_delay_s", RETRY_S, asset, team)
        return {"status": "retry", "retry_utc": t + _td64(RETRY_S), "count_try": True,
                "reason": f"command to {asset} not acknowledged (attempt {attempt + 1} of "
                          f"{MAX_TRIES})"}  # fmt: skip

    def _next_contact(self, asset: str, t: np.datetime64) -> np.datetime64 | None:
        g = self.station_of(asset)
        if g is None:
            return t
        n = int(CONTACT_SEARCH_S // CONTACT_STEP_S)
        ts = t + (np.arange(1, n + 1) * CONTACT_STEP_S * 1e6).astype("timedelta64[us]")
        ri = self._itrs_of(asset, ts)
        site = self._site(g)
        ok = np.flatnonzero(elevation_deg(site, ri) >= site.min_elevation_deg)
        return ts[ok[0]] if ok.size else None

    # ------------------------------------------------------------------ answers
    def _cm_frequency_change(self, team, action, t, asset) -> list[WorldEvent]:
        for jam in self._rf:
            if jam["target"] == asset.id and jam["start"] <= t < jam["end"]:
                jam["freq_changed_utc"] = t
        return []

    def _cm_switch_link(self, team, action, t, asset) -> list[WorldEvent]:
        sid = action.get("ground_station")
        allowed = self.stations_available(team)
        if sid not in allowed:
            raise WorldError(f"switch_link: ground_station {sid!r} is not a station team {team} "
                             f"may use ({', '.join(allowed) or 'none'})")  # fmt: skip
        self._rf  # noqa: B018
        self._link_station[asset.id] = self._all_stations()[sid][1]
        return []

    def _cm_ok(self, *_: object) -> list[WorldEvent]:
        return []
