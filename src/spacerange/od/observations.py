"""Tracking observations for OD: a flat, sorted table plus the sites that took them.

:class:`Observations` holds parallel arrays (one row per scalar measurement) in the OD's
internal units (km, km/s, rad).  :func:`observations_from_tdm` reads CCSDS TDM segments
(PARTICIPANT_1 = site name, PARTICIPANT_2 = object id; RANGE in km, DOPPLER_INSTANTANEOUS
as range-rate in km/s, ANGLE_1/ANGLE_2 as az/el (ANGLE_TYPE = AZEL) or topocentric RA/Dec
(RADEC), in degrees) and returns the usable rows plus a :class:`~spacerange.errors.Reject`
for every row or segment refused (NaN values, unknown sensor, time tags out of order or
outside the segment's START_TIME/STOP_TIME), so one bad record never stops the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from spacerange.errors import Reject

from .measurements import (
    AZIMUTH,
    DECLINATION,
    ELEVATION,
    KIND_NAMES,
    RANGE,
    RANGE_RATE,
    RIGHT_ASCENSION,
    Site,
    site_geometry,
)


@dataclass
class Observations:
    """Scalar measurements of one or many objects, sorted by (object, time).

    ``object_id`` (m,) str; ``times_utc`` (m,) datetime64[us]; ``kind`` (m,) int codes of
    :mod:`.measurements`; ``value`` (m,) km, km/s or rad; ``sigma`` (m,) 1-sigma noise in the
    same unit; ``site`` (m,) index into ``sites``; ``track`` (m,) int pass label (same site,
    contiguous in time), -1 when unknown.
    """

    object_id: np.ndarray
    times_utc: np.ndarray
    kind: np.ndarray
    value: np.ndarray
    sigma: np.ndarray
    site: np.ndarray
    sites: tuple[Site, ...]
    track: np.ndarray = field(default=None)

    def __post_init__(self):
        self.object_id = np.asarray(self.object_id).astype(str)
        self.times_utc = np.asarray(self.times_utc, "datetime64[us]")
        self.kind = np.asarray(self.kind, np.int8)
        self.value = np.asarray(self.value, float)
        self.sigma = np.asarray(self.sigma, float)
        self.site = np.asarray(self.site, int)
        self.sites = tuple(self.sites)
        if self.track is None:
            self.track = np.full(self.value.shape, -1)
        self.track = np.asarray(self.track, int)
        n = self.value.size
        for name in ("object_id", "times_utc", "kind", "sigma", "site", "track"):
            if getattr(self, name).shape != (n,):
                raise ValueError(f"Observations.{name} must have shape ({n},)")

    def __len__(self) -> int:
        return int(self.value.size)

    def subset(self, mask_or_index) -> Observations:
        """Rows selected by a boolean mask or an index array (geometry is recomputed)."""
        i = np.asarray(mask_or_index)
        return Observations(self.object_id[i], self.times_utc[i], self.kind[i], self.value[i],
                            self.sigma[i], self.site[i], self.sites, self.track[i])  # fmt: skip

    def sorted(self) -> Observations:
        """Rows sorted by object id then time (stable)."""
        order = np.lexsort((self.times_utc, self.object_id))
        return self.subset(order)

    @property
    def objects(self) -> np.ndarray:
        """Distinct object ids, sorted."""
        return np.unique(self.object_id)

    @cached_property
    def geometry(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(site r GCRS km (m, 3), site v GCRS km/s (m, 3), GCRS->ENU (m, 3, 3))."""
        return site_geometry(self.sites, self.site, self.times_utc)

    @classmethod
    def concatenate(cls, parts: list[Observations]) -> Observations:
        """Join observation tables that share the same ``sites`` tuple."""
        if not parts:
            raise ValueError("nothing to concatenate")
        sites = parts[0].sites
        if any(p.sites != sites for p in parts):
            raise ValueError("observation tables refer to different site lists")
        cat = {k: np.concatenate([getattr(p, k) for p in parts])
               for k in ("object_id", "times_utc", "kind", "value", "sigma", "site", "track")}  # fmt: skip
        return cls(sites=sites, **cat)


def _seg_bounds(meta: dict):
    start, stop = meta.get("START_TIME"), meta.get("STOP_TIME")
    cvt = [None if t is None else np.datetime64(t, "us") if not isinstance(t, np.datetime64)
           else t.astype("datetime64[us]") for t in (start, stop)]  # fmt: skip
    return cvt


# Valid TDM data keywords (CCSDS 503.0-B-2) that carry no geometry OD can fit: they are
# not input problems, so they are counted (``unused``), never listed as rejects.
UNUSED_BY_OD = frozenset({"RCS", "MAG", "TRANSMIT_FREQ_1", "TRANSMIT_FREQ_2", "RECEIVE_FREQ_1",
                          "RECEIVE_FREQ_2", "TROPO_DRY", "TROPO_WET", "STEC", "PRESSURE",
                          "RHUMIDITY", "TEMPERATURE", "CLOCK_BIAS", "CLOCK_DRIFT"})  # fmt: skip


#: A gap longer than this between records of one segment starts a new track (pass): IOD
#: must take its three epochs from one pass, not from passes revolutions apart.
PASS_GAP = np.timedelta64(600, "s")


def _segment_rows(seg, epochs, where, file, units, angle_type, site, i_site, target, start,
                  stop, track_no, rejects, unused, rows):  # fmt: skip
    """The usable records of one TDM segment, checked as whole arrays (one row per record:
    keyword, epoch, value); appends its row block to ``rows`` and its rejects (in record
    order) to ``rejects``; returns (rows, next track number)."""
    keys = np.asarray(seg.keywords).astype(str)
    t = np.asarray(epochs, "datetime64[us]")
    v = np.asarray(seg.values, float)
    m = keys.size
    skip = np.isin(keys, list(UNUSED_BY_OD))
    if unused is not None and skip.any():
        k_u, n_u = np.unique(keys[skip], return_counts=True)
        for k, c in zip(k_u.tolist(), n_u.tolist(), strict=True):
            unused[k] = unused.get(k, 0) + c
    finite = np.isfinite(v)
    in_span = np.ones(m, bool)
    if start is not None:
        in_span &= t >= start
    if stop is not None:
        in_span &= t <= stop
    kind = np.full(m, -1, np.int8)
    if units == "km":
        kind[keys == "RANGE"] = RANGE
    kind[keys == "DOPPLER_INSTANTANEOUS"] = RANGE_RATE
    if angle_type in ("AZEL", "RADEC"):
        az = angle_type == "AZEL"
        kind[keys == "ANGLE_1"] = AZIMUTH if az else RIGHT_ASCENSION
        kind[keys == "ANGLE_2"] = ELEVATION if az else DECLINATION
    pre = ~skip & finite
    cand = pre & in_span & (kind >= 0)
    # a record earlier than the last accepted one is out of order; records refused for other
    # reasons never move "last" and those out of order lie below it, so "last" before row i
    # is the running maximum of the candidate times before i
    tt = t.astype(np.int64)
    cmax = np.maximum.accumulate(np.where(cand, tt, np.iinfo(np.int64).min))
    last = np.concatenate([[np.iinfo(np.int64).min], cmax[:-1]])
    order_ok = tt >= last
    ok = cand & order_ok
    for j in np.flatnonzero(~skip & ~ok).tolist():
        key = keys[j]
        label = f"{where}, observation {j + 1} ({key} at {np.datetime_as_string(t[j])})"
        if not finite[j]:
            why = f"value is {float(v[j])!r}"
        elif not order_ok[j]:
            prev = np.datetime64(int(last[j]), "us")
            why = f"time tag out of order (earlier than {np.datetime_as_string(prev)})"
        elif not in_span[j]:
            why = f"time tag outside the segment span {start} .. {stop}"
        elif key == "RANGE":
            why = f"RANGE_UNITS {units!r} not supported (need km)"
        else:
            why = f"data type not used by OD (ANGLE_TYPE {angle_type or 'missing'})"
        rejects.append(Reject(file, 0, f"{label}: {why}"))
    idx = np.flatnonzero(ok)
    if idx.size:
        ta = t[idx]
        # a gap of more than PASS_GAP starts a new pass: a segment may hold a whole day
        new_pass = np.concatenate([[0], (np.diff(ta) > PASS_GAP).astype(int)])
        tracks = track_no + np.cumsum(new_pass)
        track_no = int(tracks[-1])
        k = kind[idx]
        val = np.where(np.isin(k, [AZIMUTH, ELEVATION, RIGHT_ASCENSION, DECLINATION]),
                       np.radians(v[idx]), v[idx])  # fmt: skip
        sig = np.array([site.sigma[int(c)] for c in np.unique(k)])[np.searchsorted(np.unique(k), k)]
        rows.append((target, ta, k, val, sig, i_site, tracks))
    return rows, track_no


def observations_from_tdm(
    tdms, sites: dict[str, Site], file: str = "<tdm>", unused: dict[str, int] | None = None
) -> tuple[Observations, list[Reject]]:
    """Observations from TDM(s) (``read_tdm`` output) and the rejects, see module doc.

    ``sites`` maps PARTICIPANT_1 names to :class:`Site`.  Reject ``line`` is 0 (the TDM
    reader keeps no line numbers); the reason names segment, keyword and epoch.  Records of
    the keywords in :data:`UNUSED_BY_OD` (RCS, MAG, ...) are skipped and counted per
    keyword in ``unused`` when given.
    """
    from spacerange.ccsds.schema import to_utc

    site_list = list(sites.values())
    site_idx = {name: i for i, name in enumerate(sites)}
    rejects: list[Reject] = []
    rows: list[tuple] = []  # per segment: (target, times, kinds, values, sigmas, site, tracks)
    track_no = 0
    seg_no = 0
    for tdm in tdms if isinstance(tdms, list | tuple) else [tdms]:
        for seg in tdm.segments:
            seg_no += 1
            meta = seg.metadata
            where = f"segment {seg_no}"
            sensor = str(meta.get("PARTICIPANT_1", "")).strip()
            target = str(meta.get("PARTICIPANT_2", "")).strip()
            if sensor not in site_idx:
                rejects.append(Reject(file, 0, f"{where}: unknown sensor {sensor!r} "
                               f"(known: {', '.join(sites)}); {len(seg.values)} observations "
                               "skipped"))  # fmt: skip
                continue
            if not target:
                rejects.append(Reject(file, 0, f"{where}: PARTICIPANT_2 (object id) missing"))
                continue
            units = str(meta.get("RANGE_UNITS", "km")).strip().lower()
            angle_type = str(meta.get("ANGLE_TYPE", "")).strip().upper()
            try:
                epochs = to_utc(seg.epochs, meta.get("TIME_SYSTEM", "UTC"))
            except ValueError as exc:
                rejects.append(Reject(file, 0, f"{where}: {exc}"))
                continue
            start, stop = _seg_bounds(meta)
            rows, track_no = _segment_rows(seg, epochs, where, file, units, angle_type,
                                           sites[sensor], site_idx[sensor], target, start,
                                           stop, track_no, rejects, unused, rows)  # fmt: skip
            track_no += 1
    if rows:
        cols = list(zip(*rows, strict=True))
        n_rows = [c.size for c in cols[1]]
        obs = Observations(np.repeat(np.array(cols[0]), n_rows), np.concatenate(cols[1]),
                           np.concatenate(cols[2]), np.concatenate(cols[3]),
                           np.concatenate(cols[4]), np.repeat(np.array(cols[5]), n_rows),
                           tuple(site_list), np.concatenate(cols[6]))  # fmt: skip
    else:
        obs = Observations([], np.array([], "datetime64[us]"), [], [], [], [],
                           tuple(site_list), np.array([], int))  # fmt: skip
    return obs.sorted(), rejects


def observations_to_tdm(obs: Observations, originator: str = "SPACERANGE"):
    """One TDM segment per (object, track) in CCSDS units (inverse of the reader)."""
    from spacerange.ccsds.tdm import Tdm, TdmSegment

    keys = {RANGE: "RANGE", RANGE_RATE: "DOPPLER_INSTANTANEOUS", AZIMUTH: "ANGLE_1",
            ELEVATION: "ANGLE_2", RIGHT_ASCENSION: "ANGLE_1", DECLINATION: "ANGLE_2"}  # fmt: skip
    segs = []
    for oid in obs.objects:
        for trk in np.unique(obs.track[obs.object_id == oid]):
            sel = np.flatnonzero((obs.object_id == oid) & (obs.track == trk))
            sel = sel[np.argsort(obs.times_utc[sel], kind="stable")]
            kinds = obs.kind[sel]
            site = obs.sites[int(obs.site[sel[0]])]
            ang = "RADEC" if np.isin(kinds, [RIGHT_ASCENSION, DECLINATION]).any() else "AZEL"
            vals = np.where(np.isin(kinds, [AZIMUTH, ELEVATION, RIGHT_ASCENSION, DECLINATION]),
                            np.degrees(obs.value[sel]), obs.value[sel])  # fmt: skip
            meta = {"TIME_SYSTEM": "UTC", "PARTICIPANT_1": site.name, "PARTICIPANT_2": str(oid),
                    "MODE": "SEQUENTIAL", "PATH": "1,2,1" if ang == "AZEL" else "2,1",
                    "ANGLE_TYPE": ang, "RANGE_UNITS": "km",
                    "START_TIME": obs.times_utc[sel[0]], "STOP_TIME": obs.times_utc[sel[-1]]}  # fmt: skip
            if ang == "RADEC":
                meta["REFERENCE_FRAME"] = "GCRF"
            segs.append(TdmSegment(meta, np.array([keys[int(k)] for k in kinds], dtype=object),
                                   obs.times_utc[sel], vals))  # fmt: skip
    now = np.datetime64("now", "us")
    header = {"CCSDS_TDM_VERS": "2.0", "CREATION_DATE": now, "ORIGINATOR": originator}
    return Tdm(header, segs)


__all__ = ["KIND_NAMES", "Observations", "observations_from_tdm", "observations_to_tdm"]
