"""Export objects and conjunction events for viewers: CZML (CesiumJS) and KML (Google Earth).

* **CZML** (:func:`write_czml`, built with ``czml3``): one packet per object with its
  sampled inertial trajectory (``referenceFrame = INERTIAL``: Cesium's ICRF, whose axes are
  the GCRS axes our states are in; metres; Lagrange interpolation of degree 5) and a path;
  one packet per event, shown over +-10 min around TCA at the primary's position, labelled
  with the pair, the miss distance and Pc.  A document clock spans the ephemeris.
* **KML** (:func:`write_kml`, built with ``simplekml``): one ground track per object
  (WGS-84 geodetic, split where it crosses the antimeridian so no viewer draws a line
  around the globe) and one placemark per event at the primary's sub-satellite point at
  TCA, with the event's numbers in its description.

States are SGP4 (:mod:`spacerange.propagation.sgp4_batch`); states that fail (status
non-zero) are left out of the samples, never drawn as zeros.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from spacerange.timescales import iso_utc

__all__ = ["EventMark", "write_czml", "write_kml", "export_format"]

_EVENT_SHOW_S = 600.0


@dataclass(frozen=True, slots=True)
class EventMark:
    """One conjunction event to draw: the pair, TCA, miss [m], Pc (None when unknown) and
    the primary's GCRS position [km] and geodetic point (lat, lon [deg], alt [km]) at TCA."""

    norad_id_1: int
    norad_id_2: int
    name_1: str
    name_2: str
    tca_utc: np.datetime64
    miss_m: float
    pc: float | None
    r1_gcrs_km: np.ndarray
    lat_lon_alt_1: tuple[float, float, float]

    @property
    def label(self) -> str:
        pc = "Pc n/a" if self.pc is None else f"Pc {self.pc:.2e}"
        return f"{self.norad_id_1} x {self.norad_id_2}: {self.miss_m:.0f} m, {pc}"


def export_format(path: str | Path) -> str:
    """``czml`` or ``kml`` from the file suffix; anything else is refused."""
    suffix = Path(path).suffix.lower()
    if suffix in (".czml", ".kml"):
        return suffix[1:]
    raise ValueError(f"{path}: use .czml (CesiumJS) or .kml (Google Earth) for an export")


def _iso(t) -> str:
    return iso_utc(np.datetime64(t, "us"))


def write_czml(
    path: str | Path,
    norad_ids: Sequence[int],
    names: Sequence[str],
    times_utc: np.ndarray,
    r_gcrs_km: np.ndarray,
    status: np.ndarray,
    events: Sequence[EventMark] = (),
) -> int:
    """Write a CZML document; returns the number of packets (document preamble included).

    ``r_gcrs_km`` is ``(n_objects, n_times, 3)`` and ``status`` its SGP4 codes."""
    from czml3 import Document, Packet
    from czml3.properties import Clock, Color, Label, Point, Position
    from czml3.properties import Path as CzPath
    from czml3.types import TimeInterval

    times = np.asarray(times_utc, "datetime64[us]")
    t_s = (times - times[0]) / np.timedelta64(1, "s")
    start = _iso(times[0])
    packets = [
        Packet(
            id="document",
            name="spacerange export",
            version="1.0",
            clock=Clock(currentTime=start, multiplier=60),
        )
    ]
    for k, (nid, name) in enumerate(zip(norad_ids, names, strict=True)):
        ok = status[k] == 0
        if not ok.any():
            continue
        samples = np.column_stack([t_s[ok], r_gcrs_km[k, ok] * 1e3]).ravel().tolist()
        packets.append(
            Packet(
                id=f"object-{int(nid)}",
                name=f"{int(nid)} {name}".strip(),
                availability=TimeInterval(start=_iso(times[ok][0]), end=_iso(times[ok][-1])),
                position=Position(
                    referenceFrame="INERTIAL",
                    epoch=start,
                    cartesian=samples,
                    interpolationAlgorithm="LAGRANGE",
                    interpolationDegree=5,
                ),
                point=Point(pixelSize=4, color=Color(rgba=[255, 255, 255, 220])),
                path=CzPath(leadTime=0, trailTime=1800, width=1),
            )
        )
    for i, ev in enumerate(events):
        half = np.timedelta64(int(_EVENT_SHOW_S * 1e6), "us")
        packets.append(
            Packet(
                id=f"event-{i}-{ev.norad_id_1}-{ev.norad_id_2}",
                name=ev.label,
                description=(
                    f"TCA {_iso(ev.tca_utc)}<br>{ev.norad_id_1} {ev.name_1}<br>"
                    f"{ev.norad_id_2} {ev.name_2}<br>miss {ev.miss_m:.1f} m"
                ),
                availability=TimeInterval(
                    start=_iso(ev.tca_utc - half), end=_iso(ev.tca_utc + half)
                ),
                position=Position(
                    referenceFrame="INERTIAL", cartesian=(ev.r1_gcrs_km * 1e3).tolist()
                ),
                point=Point(pixelSize=10, color=Color(rgba=[255, 60, 40, 255])),
                label=Label(text=ev.label, font="12pt sans-serif"),
            )
        )
    doc = Document(packets=packets)
    Path(path).write_text(doc.dumps())
    return len(packets)


def _split_antimeridian(lon_deg: np.ndarray) -> list[slice]:
    """Slices of a track that do not cross +-180 deg (a jump of more than 180 deg)."""
    jumps = np.flatnonzero(np.abs(np.diff(lon_deg)) > 180.0) + 1
    edges = [0, *jumps.tolist(), len(lon_deg)]
    return [slice(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True) if b - a >= 2]


def write_kml(
    path: str | Path,
    norad_ids: Sequence[int],
    names: Sequence[str],
    lat_lon_alt: np.ndarray,
    status: np.ndarray,
    events: Sequence[EventMark] = (),
) -> int:
    """Write a KML document of ground tracks (``lat_lon_alt``: ``(n, m, 3)`` deg, deg, km)
    and event placemarks; returns the number of features."""
    import simplekml

    kml = simplekml.Kml(name="spacerange export")
    n = 0
    for k, (nid, name) in enumerate(zip(norad_ids, names, strict=True)):
        ok = status[k] == 0
        lat, lon = lat_lon_alt[k, ok, 0], lat_lon_alt[k, ok, 1]
        folder = kml.newfolder(name=f"{int(nid)} {name}".strip())
        for part in _split_antimeridian(lon):
            ls = folder.newlinestring(coords=list(zip(lon[part], lat[part], strict=True)))
            ls.style.linestyle.width = 1
            n += 1
    if events:
        folder = kml.newfolder(name="conjunctions")
        for ev in events:
            lat, lon, _ = ev.lat_lon_alt_1
            pm = folder.newpoint(name=ev.label, coords=[(lon, lat)])
            pm.description = (
                f"TCA {_iso(ev.tca_utc)}; {ev.norad_id_1} {ev.name_1} x "
                f"{ev.norad_id_2} {ev.name_2}; miss {ev.miss_m:.1f} m; "
                + ("Pc not available" if ev.pc is None else f"Pc {ev.pc:.3e}")
            )
            pm.timestamp.when = _iso(ev.tca_utc)
            n += 1
    kml.save(str(path))
    return n
