"""Laser dazzling of an optical payload (issue 15, item 2).

Model: a ground ``site`` dazzles the optical payload of ``target``.  The payload images
the site's area (the reason an adversary dazzles there: it lies in the payload's area of
interest) with one frame every ``frame_interval`` whenever the target is in the site's
line of sight above ``min_elevation_deg`` and the area is lit (Sun above the site's
horizon).  Each such frame is saturated: an *observation denied*.  The geometry is the
sensors package's (:func:`spacerange.sensors.visibility.field_of_regard` for the line of
sight and :func:`~spacerange.sensors.visibility.site_dark` for the lighting), on the
target's truth trajectory, evaluated in 30-min chunks as play advances (a manoeuvre in
between is taken into account).

Cue: a ``payload_saturation`` alert to the owning team after each chunk with saturated
frames: frame count, first and last frame time, and the ground point the saturated frames
were imaging (the operator knows its pointing), rounded to 0.1 deg.  Never the site, its
owner or the cause.  Answer: ``countermeasure: avoid_site`` with a centre and radius
(e.g. from those footprints): frames of an area within the radius are re-planned outside
the site's passes (``observations_deferred``, not denied).

Left out: the laser itself (power, wavelength, beam, tracking), partial or permanent
detector damage, dazzling of ground telescopes and of star trackers, and the payload's
real collection plan (only the site's area is imaged).
"""

from __future__ import annotations

import math

import numpy as np

from spacerange.exercise.world.model import WorldError, WorldEvent, _iso, _td64
from spacerange.sensors.base import Site
from spacerange.sensors.visibility import field_of_regard, site_dark

#: dazzle chunks are evaluated every [s]
CHUNK_S = 1800.0
#: footprint reporting resolution [deg]
FOOTPRINT_ROUND_DEG = 0.1
_RE_KM = 6371.0


def _ground_km(lat1, lon1, lat2, lon2) -> float:
    """Great-circle distance [km] on a 6,371 km sphere (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _RE_KM * math.asin(min(1.0, math.sqrt(h)))


class LaserEffects:
    """Part of :class:`spacerange.exercise.world.World` (a mixin over its state)."""

    @property
    def _avoid(self) -> dict[str, list[dict]]:
        if not hasattr(self, "_avoid_zones"):
            self._avoid_zones = {}
        return self._avoid_zones

    def _enact_laser_dazzle(self, a, serial: str, t) -> list[WorldEvent]:
        if not self.obj(a.target).actor:
            raise WorldError(f"{serial}: {a.target} is not an actor's asset")
        end = t + _td64(a.duration.total_seconds())
        site = Site(f"{serial}-site", a.site.lat_deg, a.site.lon_deg, a.site.alt_m,
                    min_elevation_deg=a.min_elevation_deg)  # fmt: skip
        dz = {"serial": serial, "target": a.target, "site": site, "end": end,
              "frame_s": a.frame_interval.total_seconds(), "from": t}  # fmt: skip
        self.schedule(min(t + _td64(CHUNK_S), end), lambda tt, d=dz: self._dazzle_chunk(d, tt),
                      f"{serial} dazzle")  # fmt: skip
        return [WorldEvent("laser_dazzle", [a.target], {"serial": serial, "until_utc": _iso(end)},
                           t)]  # fmt: skip

    def dazzled_frames(self, target: str, site: Site, t0, t1, frame_s: float) -> np.ndarray:
        """Frame times in [t0, t1) at which ``site`` sees ``target`` above its mask while
        the area is lit (the dazzle geometry)."""
        n = int(max(0.0, (t1 - t0) / np.timedelta64(1, "s")) // frame_s)
        if n <= 0:
            return np.zeros(0, "datetime64[us]")
        ts = t0 + (np.arange(n) * frame_s * 1e6).astype("timedelta64[us]")
        r_itrs = self._itrs_of(target, ts)  # (n, 3)
        seen, _ = field_of_regard(site, r_itrs)
        lit = ~site_dark(site, ts, 0.0)
        return ts[seen & lit & np.isfinite(r_itrs).all(axis=1)]

    def _dazzle_chunk(self, dz: dict, t: np.datetime64) -> list[WorldEvent]:
        frames = self.dazzled_frames(dz["target"], dz["site"], dz["from"], t, dz["frame_s"])
        dz["from"] = t
        if t < dz["end"]:
            self.schedule(min(t + _td64(CHUNK_S), dz["end"]),
                          lambda tt, d=dz: self._dazzle_chunk(d, tt), f"{dz['serial']} dazzle")  # fmt: skip
        if not frames.size:
            return []
        site = dz["site"]
        zones = self._avoid.get(dz["target"], [])
        avoided = np.zeros(frames.size, bool)
        for z in zones:
            if _ground_km(z["lat_deg"], z["lon_deg"], site.lat_deg, site.lon_deg) <= z["radius_km"]:
                avoided |= frames >= z["from_utc"]
        teams = self.team_of_actor(self.obj(dz["target"]).actor)
        for team in teams:
            self._count("observations_denied", int((~avoided).sum()), dz["target"], team)
            self._count("observations_deferred", int(avoided.sum()), dz["target"], team)
        hit = frames[~avoided]
        if not hit.size:
            return []
        # the footprint of the saturated frames: the imaged area, known from the pointing
        k = FOOTPRINT_ROUND_DEG
        det = {"asset": dz["target"], "frames_saturated": int(hit.size),
               "first_frame_utc": _iso(hit[0]), "last_frame_utc": _iso(hit[-1]),
               "footprint_lat_deg": round(round(site.lat_deg / k) * k, 3),
               "footprint_lon_deg": round(round(site.lon_deg / k) * k, 3),
               "detector": "saturated, recovered after the frames"}  # fmt: skip
        return [WorldEvent("alert", [dz["target"]], {"team": tm, "kind": "payload_saturation",
                                                     "details": det, "visible_to": [tm]}, t)
                for tm in teams]  # fmt: skip

    def _cm_avoid_site(self, team, action, t, asset) -> list[WorldEvent]:
        try:
            z = {"lat_deg": float(action["lat_deg"]), "lon_deg": float(action["lon_deg"]),
                 "radius_km": float(action.get("radius_km", 200.0)), "from_utc": t}  # fmt: skip
        except (KeyError, TypeError, ValueError):
            raise WorldError("avoid_site needs lat_deg, lon_deg (deg) and radius_km") from None
        if not (-90 <= z["lat_deg"] <= 90 and 0 < z["radius_km"] <= 5000):
            raise WorldError("avoid_site: lat_deg in [-90, 90], radius_km in (0, 5000]")
        self._avoid.setdefault(asset.id, []).append(z)
        return []
