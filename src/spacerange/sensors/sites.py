"""Sensor networks from JSON: the bundled public network and user files.

A network file is ``{"sites": [entry, ...]}`` (or a bare list).  An entry is either the id
of a bundled site (a string, e.g. ``"TIRA"``) or an object::

    {"id": "MYRADAR", "kind": "tracking_radar" | "survey_radar" | "optical",
     "lat_deg": .., "lon_deg": .., "alt_m": .., "min_elevation_deg": ..,
     "max_elevation_deg": .., "min_range_km": .., "max_range_km": ..,
     "az_min_deg": .., "az_max_deg": ..,
     "radar": {"snr_ref_db", "ref_range_km", "snr_min_db", "fov", "boresight_az_deg",
               "boresight_el_deg", "half_angle_deg"},
     "optical": {"limiting_mag", "max_sun_elevation_deg", "angle_type"},
     "noise": {NoiseModel fields}, "tasking": {"max_tracks_per_hour", "max_concurrent"}}

Bad entries are rejected one by one (:class:`spacerange.errors.Reject` naming the entry
and field); the others are used.
"""

from __future__ import annotations

import json
import math
from dataclasses import fields
from importlib import resources
from pathlib import Path

from spacerange.errors import ParseError, Reject
from spacerange.sensors.base import NoiseModel, Sensor, Site
from spacerange.sensors.optical import OpticalTelescope
from spacerange.sensors.radar import SurveyRadar, TrackingRadar

KINDS = {"tracking_radar": TrackingRadar, "survey_radar": SurveyRadar, "optical": OpticalTelescope}
_SITE_KEYS = ("min_elevation_deg", "max_elevation_deg", "min_range_km", "max_range_km",
              "az_min_deg", "az_max_deg")  # fmt: skip
BUNDLED = "data/sensors/public_sites.json"


def _num(entry: dict, key: str, where: str, default=None) -> float:
    v = entry.get(key, default)
    if v is None:
        raise ValueError(f"{where}: missing field {key!r}")
    if isinstance(v, bool) or not isinstance(v, int | float) or math.isnan(v):
        raise ValueError(f"{where}: field {key!r} must be a number, got {v!r}")
    return float(v)


def sensor_from_dict(entry: dict, where: str = "sensor") -> Sensor:
    """Build one sensor from a network entry; ValueError naming the field on bad input."""
    sid = entry.get("id")
    if not isinstance(sid, str) or not sid.strip():
        raise ValueError(f"{where}: missing or empty 'id'")
    where = f"{where} ({sid})"
    kind = entry.get("kind")
    if kind not in KINDS:
        raise ValueError(f"{where}: unknown kind {kind!r}: expected one of {', '.join(KINDS)}")
    lat = _num(entry, "lat_deg", where)
    lon = _num(entry, "lon_deg", where)
    if not -90.0 <= lat <= 90.0:
        raise ValueError(f"{where}: lat_deg {lat} outside -90..90")
    site_kw = {k: _num(entry, k, where) for k in _SITE_KEYS if k in entry}
    site = Site(sid, lat, lon, _num(entry, "alt_m", where, 0.0), name=entry.get("name", ""),
                **site_kw)  # fmt: skip
    noise_names = {f.name for f in fields(NoiseModel)}
    noise = entry.get("noise", {}) or {}
    bad = set(noise) - noise_names
    if bad:
        raise ValueError(f"{where}: unknown noise field(s) {sorted(bad)}")
    nm = NoiseModel(**{k: _num(noise, k, where + " noise") for k in noise})
    task = entry.get("tasking", {}) or {}
    kw: dict = dict(sensor_id=sid, site=site, noise=nm,
                    max_tracks_per_hour=task.get("max_tracks_per_hour"),
                    max_concurrent=task.get("max_concurrent"))  # fmt: skip
    params = entry.get("radar" if "radar" in kind else "optical", {}) or {}
    cls = KINDS[kind]
    allowed = {f.name for f in fields(cls)} - set(kw) - {"kind"}
    bad = set(params) - allowed
    if bad:
        raise ValueError(f"{where}: unknown parameter(s) {sorted(bad)} for {kind}")
    for k, v in params.items():
        kw[k] = v if isinstance(v, str) else _num(params, k, where)
    sensor = cls(**kw)
    if isinstance(sensor, SurveyRadar) and sensor.fov not in ("fence", "cone"):
        raise ValueError(f"{where}: fov must be 'fence' or 'cone', got {sensor.fov!r}")
    if isinstance(sensor, OpticalTelescope) and sensor.angle_type not in ("RADEC", "AZEL"):
        raise ValueError(f"{where}: angle_type must be 'RADEC' or 'AZEL'")
    return sensor


def bundled_entries() -> list[dict]:
    """Raw entries of the bundled public network (with their ``source`` citations)."""
    text = resources.files("spacerange").joinpath(BUNDLED).read_text("utf-8")
    return json.loads(text)["sites"]


def public_network() -> list[Sensor]:
    """The bundled network of public SSA sites (nominal performance; see the JSON)."""
    return [sensor_from_dict(e, f"{BUNDLED} entry {i}") for i, e in enumerate(bundled_entries())]


def load_network(source: str | Path | list | None) -> tuple[list[Sensor], list[Reject]]:
    """Sensors from ``"default"``/None (bundled), a JSON file, or a list of entries.

    Unknown bundled ids and malformed entries come back as rejects; the rest are used.
    Raises ParseError only when the file itself cannot be read as JSON."""
    if source is None or source == "default":
        return public_network(), []
    if isinstance(source, list):
        entries, file = source, "<sensors>"
    else:
        file = str(source)
        try:
            doc = json.loads(Path(source).read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ParseError(f"not valid JSON: {exc.msg}", file, exc.lineno) from None
        entries = doc.get("sites") if isinstance(doc, dict) else doc
        if not isinstance(entries, list):
            raise ParseError('expected a list of sensors or {"sites": [...]}', file, 0)
    bundled = {e["id"]: e for e in bundled_entries()}
    sensors: list[Sensor] = []
    rejects: list[Reject] = []
    seen: set[str] = set()
    for i, e in enumerate(entries):
        where = f"entry {i}"
        try:
            if isinstance(e, str):
                if e not in bundled:
                    raise ValueError(
                        f"{where}: unknown sensor id {e!r} (see 'spacerange sensors list')"
                    )
                e = bundled[e]
            if not isinstance(e, dict):
                raise ValueError(f"{where}: expected a sensor id or an object, got {e!r}")
            s = sensor_from_dict(e, where)
            if s.sensor_id in seen:
                raise ValueError(f"{where}: duplicate sensor id {s.sensor_id!r}")
            seen.add(s.sensor_id)
            sensors.append(s)
        except (ValueError, TypeError) as exc:
            rejects.append(Reject(file, 0, str(exc)))
    return sensors, rejects
