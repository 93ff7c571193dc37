"""Measurements <-> CCSDS TDM, and checks of observation sets.

TDM mapping (CCSDS 503.0-B-2): one segment per (sensor, object); PARTICIPANT_1 = sensor id,
PARTICIPANT_2 = NORAD catalog number; ``RANGE`` in km (``RANGE_UNITS = km``),
``DOPPLER_INSTANTANEOUS`` = range rate in km/s, ``ANGLE_1``/``ANGLE_2`` in deg with
``ANGLE_TYPE`` AZEL or RADEC (RADEC on GCRS axes: ``REFERENCE_FRAME = GCRF``), ``MAG``,
``RCS`` in m^2.  Radar: ``MODE = SEQUENTIAL``, ``PATH = 1,2,1`` (two-way);
optical: ``PATH = 2,1`` (received at the site).  ``TIMETAG_REF = RECEIVE``; the values are
geometric (light time neglected), stated in a segment COMMENT.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import numpy as np

from spacerange.ccsds.tdm import Tdm, TdmSegment
from spacerange.errors import Reject
from spacerange.sensors.base import Measurements

_KEYS = (("RANGE", "range_km"), ("DOPPLER_INSTANTANEOUS", "range_rate_km_s"),
         ("ANGLE_1", "angle_1_deg"), ("ANGLE_2", "angle_2_deg"), ("MAG", "mag"),
         ("RCS", "rcs_m2"))  # fmt: skip


def measurements_to_tdm(
    parts: Iterable[Measurements], originator: str = "SPACERANGE", message_id: str | None = None
) -> Tdm:
    """A TDM with one segment per (sensor, object), observations in time order."""
    segments = []
    for m in parts:
        if len(m) == 0:
            continue
        order = np.lexsort((m.epochs, m.norad_ids))
        m = m.take(order)
        cuts = np.flatnonzero(np.diff(m.norad_ids)) + 1
        for sl in np.split(np.arange(len(m)), cuts):
            seg = m.take(sl)
            present = [(k, getattr(seg, f)) for k, f in _KEYS if getattr(seg, f) is not None]
            n = len(seg)
            kws = np.repeat(np.array([k for k, _ in present], dtype=object)[None], n, 0).ravel()
            vals = np.stack([v for _, v in present], axis=1).ravel()
            eps = np.repeat(seg.epochs, len(present))
            radar = seg.range_km is not None
            meta = {
                "TIME_SYSTEM": "UTC",
                "START_TIME": seg.epochs[0],
                "STOP_TIME": seg.epochs[-1],
                "PARTICIPANT_1": m.sensor_id,
                "PARTICIPANT_2": str(int(seg.norad_ids[0])),
                "MODE": "SEQUENTIAL",
                "PATH": "1,2,1" if radar else "2,1",
                "TIMETAG_REF": "RECEIVE",
                "ANGLE_TYPE": seg.angle_type,
            }
            if radar:
                meta["RANGE_MODE"] = "CONSTANT"
                meta["RANGE_MODULUS"] = 0.0
                meta["RANGE_UNITS"] = "km"
            if seg.angle_type == "RADEC":
                meta["REFERENCE_FRAME"] = "GCRF"
            comment = (f"spacerange simulated {m.kind}; geometric values, light time and "
                       "refraction neglected")  # fmt: skip
            segments.append(TdmSegment(meta, kws, eps, vals, [comment]))
    now = np.datetime64(datetime.now(UTC).replace(tzinfo=None), "us")
    header = {"CCSDS_TDM_VERS": "2.0", "CREATION_DATE": now, "ORIGINATOR": originator}
    if message_id:
        header["MESSAGE_ID"] = message_id
    return Tdm(header, segments)


def check_tdm(
    tdm: Tdm,
    known_sensors: Iterable[str],
    start_utc: np.datetime64 | None = None,
    stop_utc: np.datetime64 | None = None,
    file: str = "<tdm>",
) -> tuple[Tdm, list[Reject]]:
    """Screen a TDM of observations before use; returns the clean TDM and the rejects.

    Rejected, each with a reason naming segment, keyword and epoch: segments whose
    PARTICIPANT_1 is not a known sensor id; observations with a NaN/inf value; time tags
    outside ``[start_utc, stop_utc]`` (the data span) or earlier than the previous time tag
    of the same keyword in the segment (unsorted).  Everything else is kept."""
    known = set(known_sensors)
    rejects: list[Reject] = []
    kept = []
    for k, seg in enumerate(tdm.segments):
        sid = seg.metadata.get("PARTICIPANT_1")
        where = f"segment {k + 1} ({sid} -> {seg.metadata.get('PARTICIPANT_2')})"
        if sid not in known:
            rejects.append(Reject(file, 0, f"{where}: unknown sensor id {sid!r}"))
            continue
        ok = np.ones(len(seg.values), dtype=bool)
        bad = ~np.isfinite(seg.values)
        for i in np.flatnonzero(bad):
            rejects.append(Reject(file, 0, f"{where}: {seg.keywords[i]} at "
                                  f"{seg.epochs[i]} is not a finite number"))  # fmt: skip
        ok &= ~bad
        if start_utc is not None or stop_utc is not None:
            lo = np.datetime64(start_utc, "us") if start_utc is not None else seg.epochs.min()
            hi = np.datetime64(stop_utc, "us") if stop_utc is not None else seg.epochs.max()
            out = (seg.epochs < lo) | (seg.epochs > hi)
            for i in np.flatnonzero(out & ok):
                rejects.append(
                    Reject(
                        file,
                        0,
                        f"{where}: {seg.keywords[i]} time tag "
                        f"{seg.epochs[i]} outside the data span {lo} .. {hi}",
                    )
                )
            ok &= ~out
        for key in np.unique(seg.keywords):
            idx = np.flatnonzero((seg.keywords == key) & ok)
            if idx.size < 2:
                continue
            ep = seg.epochs[idx]
            prev = np.maximum.accumulate(ep)
            unsorted = np.r_[False, ep[1:] < prev[:-1]]
            for i in idx[unsorted]:
                rejects.append(
                    Reject(
                        file,
                        0,
                        f"{where}: {key} time tag {seg.epochs[i]} "
                        "is earlier than the previous one (unsorted)",
                    )
                )
            ok[idx[unsorted]] = False
        if ok.any():
            kept.append(TdmSegment(dict(seg.metadata), seg.keywords[ok], seg.epochs[ok],
                                   seg.values[ok], list(seg.comments)))  # fmt: skip
    return Tdm(dict(tdm.header), kept), rejects
