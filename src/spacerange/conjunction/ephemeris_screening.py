"""Screening an owner/operator ephemeris against a TLE catalog.

CARA and 18 SDS screen the ephemerides operators send them (precise orbits, planned
manoeuvres included) against the catalog.  Here the primary is a sampled trajectory (a
CCSDS OEM segment, or a high-fidelity numerical propagation of a catalog object) and the
secondaries are the catalog's element sets propagated with SGP4.

Frames and units: GCRS (the OEM's GCRF/EME2000/ICRF axes; EME2000 differs from GCRF by the
23 mas frame bias, under 1 m at LEO radii), km and km/s, UTC ``datetime64[us]``.

Method, vectorized over catalog objects and times:

1. **Apogee/perigee filter**: objects whose radius range cannot come within the threshold
   of the primary's radius range are dropped.
2. **Coarse grid**: the primary is interpolated (piecewise cubic Hermite with its
   velocities, within one segment: never across a segment boundary, where an OEM puts a
   manoeuvre) and the secondaries propagated with SGP4 on a common grid (``step_s``).
3. **Candidates**: at each local minimum of the sampled range, the straight-line closest
   approach from the sampled relative state; pairs whose linear miss is under the
   threshold plus a curvature margin go on.
4. **Refinement**: the TCA is iterated with exact evaluations (SGP4 for the secondary,
   the interpolant for the primary) until it moves by less than 1 ms.

Per-object failures (SGP4 error codes) drop that object's samples; they are counted in
``failed_objects``, never turned into positions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sgp4.api import Satrec

__all__ = [
    "EphemerisEvents",
    "HermiteEphemeris",
    "PrimaryEphemeris",
    "assess_ephemeris_events",
    "primaries_from_file",
    "primaries_from_oem",
    "primary_from_ocm",
    "primary_numerical",
    "screen_ephemeris",
]

_CURVATURE_MARGIN_KM = 2.0


class HermiteEphemeris:
    """Piecewise cubic Hermite interpolation of one segment's positions and velocities."""

    def __init__(self, times_utc: np.ndarray, r_km: np.ndarray, v_km_s: np.ndarray):
        t = np.asarray(times_utc, "datetime64[us]")
        if len(t) < 2 or np.any(np.diff(t) <= np.timedelta64(0, "us")):
            raise ValueError("an ephemeris segment needs two or more increasing epochs")
        self.t0 = t[0]
        self.t_s = (t - t[0]) / np.timedelta64(1, "s")
        self.r = np.asarray(r_km, float)
        self.v = np.asarray(v_km_s, float)

    @property
    def start_utc(self) -> np.datetime64:
        return self.t0

    @property
    def stop_utc(self) -> np.datetime64:
        return self.t0 + np.timedelta64(int(round(self.t_s[-1] * 1e6)), "us")

    def __call__(self, times_utc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Position [km] and velocity [km/s], (n, 3) each, at UTC times inside the segment."""
        x = (np.asarray(times_utc, "datetime64[us]") - self.t0) / np.timedelta64(1, "s")
        if np.any(x < -1e-6) or np.any(x > self.t_s[-1] + 1e-6):
            raise ValueError("time outside the ephemeris segment (no extrapolation)")
        k = np.clip(np.searchsorted(self.t_s, x, side="right") - 1, 0, len(self.t_s) - 2)
        h = (self.t_s[k + 1] - self.t_s[k])[:, None]
        s = ((x - self.t_s[k]) / h[:, 0])[:, None]
        p0, p1, m0, m1 = self.r[k], self.r[k + 1], self.v[k] * h, self.v[k + 1] * h
        h00, h10 = 2 * s**3 - 3 * s**2 + 1, s**3 - 2 * s**2 + s
        h01, h11 = -2 * s**3 + 3 * s**2, s**3 - s**2
        r = h00 * p0 + h10 * m0 + h01 * p1 + h11 * m1
        d00, d10 = 6 * s**2 - 6 * s, 3 * s**2 - 4 * s + 1
        d01, d11 = -6 * s**2 + 6 * s, 3 * s**2 - 2 * s
        v = (d00 * p0 + d10 * m0 + d01 * p1 + d11 * m1) / h
        return r, v


@dataclass
class PrimaryEphemeris:
    """A primary to screen: its id and name, and one interpolant per segment (GCRS)."""

    norad_id: int
    name: str
    segments: list[HermiteEphemeris]
    #: (epoch_utc, 6x6 GCRS covariance km^2...) from the ephemeris, for Pc; may be empty
    covariances: list[tuple[np.datetime64, np.ndarray]] = field(default_factory=list)
    source: str = ""

    def covariance_at(self, t_utc: np.datetime64) -> np.ndarray | None:
        """The covariance of the epoch nearest ``t_utc`` (None when the ephemeris has none)."""
        if not self.covariances:
            return None
        dt = [abs((t - t_utc) / np.timedelta64(1, "s")) for t, _ in self.covariances]
        return self.covariances[int(np.argmin(dt))][1]


@dataclass
class EphemerisEvents:
    """Close approaches of one primary: one row per event (arrays), and run figures."""

    j: np.ndarray  # index of the secondary in the catalog given
    tca_utc: np.ndarray
    miss_km: np.ndarray
    rel_speed_km_s: np.ndarray
    r1_km: np.ndarray
    v1_km_s: np.ndarray
    r2_km: np.ndarray
    v2_km_s: np.ndarray
    candidates: int = 0
    objects_screened: int = 0
    failed_objects: int = 0


def _sgp4_gcrs(sats: Sequence[Satrec], times_utc: np.ndarray):
    """SGP4 for many satellites at common times -> GCRS r, v (n, m, 3) and status codes."""
    from spacerange.frames import teme_to_gcrs
    from spacerange.propagation.sgp4_batch import sgp4_teme
    from spacerange.timescales import jd_fr_utc

    jd, fr = jd_fr_utc(times_utc)
    r, v, status = sgp4_teme(sats, jd, fr)
    r, v = teme_to_gcrs(r, v, times_utc)
    return r, v, status


def _pair_states(sat: Satrec, eph: HermiteEphemeris, t: np.ndarray):
    r2, v2, e = _sgp4_gcrs([sat], t)
    r1, v1 = eph(t)
    return r1, v1, r2[0], v2[0], e[0]


def screen_ephemeris(
    primary: PrimaryEphemeris,
    tles: Sequence[tuple[str, str]],
    threshold_km: float = 5.0,
    step_s: float = 30.0,
    exclude: Sequence[int] = (),
    chunk: int = 2000,
) -> EphemerisEvents:
    """Close approaches (miss < ``threshold_km``) of ``primary`` with the catalog ``tles``
    over the primary's segments; ``exclude`` are catalog indices left out (e.g. the
    primary's own element set)."""
    from spacerange.catalog.regime import RE_WGS72_KM
    from spacerange.propagation.sgp4_batch import satrecs_from_tles

    sats = satrecs_from_tles(tles)
    n = len(sats)
    keep = np.ones(n, bool)
    keep[list(exclude)] = False
    # apogee/perigee filter against the primary's radius range
    rad = [np.linalg.norm(s.r, axis=1) for s in primary.segments]
    rmin, rmax = min(r.min() for r in rad), max(r.max() for r in rad)
    a_er = np.array([s.a for s in sats])
    ecc = np.array([s.ecco for s in sats])
    rp, ra = a_er * (1 - ecc) * RE_WGS72_KM, a_er * (1 + ecc) * RE_WGS72_KM
    keep &= (rp - threshold_km <= rmax) & (ra + threshold_km >= rmin)
    idx_all = np.flatnonzero(keep)
    rows: dict[str, list] = {k: [] for k in ("j", "t", "miss", "vrel", "r1", "v1", "r2", "v2")}
    n_cand = n_failed = 0
    for eph in primary.segments:
        span = eph.t_s[-1]
        grid_s = np.arange(0.0, span + 1e-9, step_s)
        if grid_s[-1] < span:
            grid_s = np.append(grid_s, span)
        grid = eph.t0 + (grid_s * 1e6).astype("timedelta64[us]")
        r1, v1 = eph(grid)
        for c0 in range(0, len(idx_all), chunk):
            idx = idx_all[c0 : c0 + chunk]
            r2, v2, err = _sgp4_gcrs([sats[i] for i in idx], grid)
            bad = err != 0
            n_failed += int(np.any(bad, axis=1).sum())
            dr = r2 - r1[None]
            d = np.linalg.norm(dr, axis=-1)
            d = np.where(bad, np.inf, d)
            # local minima of the sampled range (interior and both ends)
            left = np.concatenate([np.full((len(idx), 1), np.inf), d[:, :-1]], axis=1)
            right = np.concatenate([d[:, 1:], np.full((len(idx), 1), np.inf)], axis=1)
            oi, ti = np.nonzero((d <= left) & (d < right) & np.isfinite(d))
            if len(oi) == 0:
                continue
            dv = v2[oi, ti] - v1[ti]
            drk = dr[oi, ti]
            tau = -np.einsum("ij,ij->i", drk, dv) / np.maximum(np.einsum("ij,ij->i", dv, dv), 1e-30)
            tau = np.clip(tau, -step_s, step_s)
            lin = np.linalg.norm(drk + dv * tau[:, None], axis=-1)
            cand = lin < threshold_km + _CURVATURE_MARGIN_KM
            n_cand += int(cand.sum())
            for o, t_k, tau0 in zip(oi[cand], ti[cand], tau[cand], strict=True):
                j = int(idx[o])
                t = grid[t_k] + np.timedelta64(int(round(tau0 * 1e6)), "us")
                t = np.clip(t, eph.start_utc, eph.stop_utc)
                for _ in range(8):
                    a1, b1, a2, b2, e = _pair_states(sats[j], eph, np.array([t]))
                    if e[0] != 0:
                        break
                    rr, vv = a2[0] - a1[0], b2[0] - b1[0]
                    step = -float(rr @ vv) / max(float(vv @ vv), 1e-30)
                    step = float(np.clip(step, -step_s, step_s))
                    t_new = np.clip(
                        t + np.timedelta64(int(round(step * 1e6)), "us"),
                        eph.start_utc,
                        eph.stop_utc,
                    )
                    if abs((t_new - t) / np.timedelta64(1, "us")) < 1000:
                        t = t_new
                        break
                    t = t_new
                a1, b1, a2, b2, e = _pair_states(sats[j], eph, np.array([t]))
                if e[0] != 0:
                    continue
                miss = float(np.linalg.norm(a2[0] - a1[0]))
                if miss >= threshold_km:
                    continue
                for key, val in (("j", j), ("t", t), ("miss", miss),
                                 ("vrel", float(np.linalg.norm(b2[0] - b1[0]))),
                                 ("r1", a1[0]), ("v1", b1[0]), ("r2", a2[0]), ("v2", b2[0])):  # fmt: skip
                    rows[key].append(val)
    # one event per (secondary, TCA): neighbouring minima of one pass refine to one TCA
    order = sorted(range(len(rows["j"])), key=lambda k: (rows["j"][k], rows["t"][k]))
    kept: list[int] = []
    for k in order:
        if kept:
            p = kept[-1]
            same = rows["j"][p] == rows["j"][k]
            close = abs((rows["t"][k] - rows["t"][p]) / np.timedelta64(1, "s")) < step_s
            if same and close:
                if rows["miss"][k] < rows["miss"][p]:
                    kept[-1] = k
                continue
        kept.append(k)

    def col(key, shape=None):
        vals = [rows[key][k] for k in kept]
        if key == "t":
            return np.array(vals, "datetime64[us]")
        return np.array(vals, float).reshape(shape) if shape else np.array(vals)

    return EphemerisEvents(
        j=np.array([rows["j"][k] for k in kept], np.int64),
        tca_utc=col("t"),
        miss_km=col("miss"),
        rel_speed_km_s=col("vrel"),
        r1_km=col("r1", (-1, 3)),
        v1_km_s=col("v1", (-1, 3)),
        r2_km=col("r2", (-1, 3)),
        v2_km_s=col("v2", (-1, 3)),
        candidates=n_cand,
        objects_screened=len(idx_all),
        failed_objects=n_failed,
    )


_INERTIAL_FRAMES = ("GCRF", "EME2000", "ICRF", "J2000")


_ITRF_FRAMES = ("ITRF", "ITRF2000", "ITRF-93", "ITRF-97", "ITRF2005", "ITRF2008", "ITRF2014")
_RTN_FRAMES = ("RTN", "RSW", "RIC")


def _to_gcrs(frame: str, t, r, v, path) -> tuple[np.ndarray, np.ndarray]:
    """Positions/velocities of an ephemeris in ``frame`` to GCRS (refused frames raise)."""
    from spacerange.frames import itrs_to_gcrs, teme_to_gcrs

    if frame in _ITRF_FRAMES:
        return itrs_to_gcrs(r, v, t)
    if frame == "TEME":
        return teme_to_gcrs(r, v, t)
    if frame in _INERTIAL_FRAMES:
        return r, v
    raise ValueError(f"{path}: reference frame {frame} is not supported for screening")


def _cov_to_gcrs(cframe: str, eph: HermiteEphemeris, t, cov, path) -> np.ndarray:
    from spacerange.conjunction.encounter import cov_rtn_to_inertial

    if cframe in _RTN_FRAMES:
        rc, vc = eph(np.array([t]))
        return cov_rtn_to_inertial(rc, vc, np.asarray(cov)[None])[0]
    if cframe in _INERTIAL_FRAMES:
        return np.asarray(cov, float)
    raise ValueError(f"{path}: covariance frame {cframe} is not supported")


def _norad(oid: str, name: str, catalog_ids: dict[str, int] | None) -> int:
    ids = catalog_ids or {}
    return int(oid) if oid.isdigit() else ids.get(oid) or ids.get(name, 0)


def primaries_from_file(path, catalog_ids: dict[str, int] | None = None) -> list[PrimaryEphemeris]:
    """Primaries from a CCSDS OEM (KVN or XML) or OCM (KVN) file, told apart by content."""
    from pathlib import Path

    head = Path(path).read_text(errors="replace")[:4096]
    if "CCSDS_OCM_VERS" in head:
        return [primary_from_ocm(path, catalog_ids)]
    return primaries_from_oem(path, catalog_ids)


def primaries_from_oem(path, catalog_ids: dict[str, int] | None = None) -> list[PrimaryEphemeris]:
    """One :class:`PrimaryEphemeris` per object of a CCSDS OEM file (KVN or XML).

    Segments in GCRF/EME2000/ICRF are used as they are, ITRF and TEME ones rotated to GCRS.
    Covariances (inertial, or RTN/RSW about the segment's own state) become GCRS 6x6.
    The NORAD id comes from a numeric ``OBJECT_ID``, else from ``catalog_ids`` (COSPAR or
    name -> NORAD id), else 0."""
    from spacerange.ccsds import read_oem

    by_object: dict[str, PrimaryEphemeris] = {}
    for oem in read_oem(path):
        for seg in oem.segments:
            meta = seg.metadata
            center = str(meta.get("CENTER_NAME", "EARTH")).upper()
            if center != "EARTH":
                raise ValueError(f"{path}: CENTER_NAME {center}: only Earth-centred ephemerides")
            frame = str(meta["REF_FRAME"]).upper()
            t = seg.epochs_utc
            r, v = _to_gcrs(frame, t, seg.r_km, seg.v_km_s, path)
            oid = str(meta.get("OBJECT_ID", "")).strip()
            name = str(meta.get("OBJECT_NAME", "")).strip()
            prim = by_object.setdefault(
                oid or name,
                PrimaryEphemeris(_norad(oid, name, catalog_ids), name or oid, [], [], str(path)),
            )
            eph = HermiteEphemeris(t, r, v)
            prim.segments.append(eph)
            for c in seg.covariances:
                tc = np.datetime64(c.epoch, "us")
                cov = _cov_to_gcrs((c.ref_frame or frame).upper(), eph, tc, c.cov_km, path)
                prim.covariances.append((tc, cov))
    return list(by_object.values())


def primary_from_ocm(path, catalog_ids: dict[str, int] | None = None) -> PrimaryEphemeris:
    """The :class:`PrimaryEphemeris` of a CCSDS OCM: one segment per trajectory block (an
    operator splits its trajectory at manoeuvres), covariances to GCRS."""
    from spacerange.ccsds.ocm import read_ocm

    ocm = read_ocm(path)
    meta = ocm.metadata
    oid = str(meta.get("INTERNATIONAL_DESIGNATOR", "") or meta.get("OBJECT_DESIGNATOR", ""))
    name = str(meta.get("OBJECT_NAME", "")).strip()
    prim = PrimaryEphemeris(_norad(oid.strip(), name, catalog_ids), name or oid, [], [], str(path))
    for tr in ocm.trajectories:
        if tr.center != "EARTH":
            raise ValueError(f"{path}: CENTER_NAME {tr.center}: only Earth-centred ephemerides")
        if tr.v_km_s is None:
            raise ValueError(f"{path}: a CARTP trajectory has no velocities; screening needs them")
        r, v = _to_gcrs(tr.ref_frame or "GCRF", tr.epochs_utc, tr.r_km, tr.v_km_s, path)
        prim.segments.append(HermiteEphemeris(tr.epochs_utc, r, v))
    for c in ocm.covariances:
        for t, m in zip(c.epochs_utc, c.matrices, strict=True):
            seg = next(
                (s for s in prim.segments if s.start_utc <= t <= s.stop_utc), prim.segments[0]
            )
            prim.covariances.append((t, _cov_to_gcrs(c.ref_frame, seg, t, m, path)))
    return prim


def primary_numerical(
    norad_id: int,
    name: str,
    tle: tuple[str, str],
    start_utc: np.datetime64,
    span_s: float,
    step_s: float = 60.0,
    force_model=None,
) -> PrimaryEphemeris:
    """A catalog object's high-fidelity ephemeris: its SGP4 state at ``start_utc`` (GCRS)
    propagated by Cowell's method (8x8 EGM96, drag, SRP, Sun and Moon by default)."""
    from spacerange.propagation.numerical import ForceModel, propagate_many

    t0 = np.datetime64(start_utc, "us")
    from spacerange.propagation.sgp4_batch import satrecs_from_tles

    r, v, err = _sgp4_gcrs(satrecs_from_tles([tle]), np.array([t0]))
    if err[0, 0] != 0:
        raise ValueError(f"{norad_id}: SGP4 fails at the start of the window (code {err[0, 0]})")
    ts = np.arange(0.0, span_s + step_s, step_s)
    y = propagate_many(
        np.concatenate([r[0, 0], v[0, 0]])[None], t0, ts, force_model or ForceModel.full()
    )[0]
    if not np.all(np.isfinite(y)):
        raise ValueError(f"{norad_id}: the numerical propagation failed inside the window")
    times = t0 + (ts * 1e6).astype("timedelta64[us]")
    return PrimaryEphemeris(
        int(norad_id), name, [HermiteEphemeris(times, y[:, :3], y[:, 3:])], [], "numerical"
    )


def assess_ephemeris_events(
    primary: PrimaryEphemeris, ev: EphemerisEvents, elsets, hbr_table=None
) -> list[dict]:
    """Rows for the events of one primary: pair, TCA, miss, speed, Pc (``auto``,
    :func:`.multistep.pc_auto`: 2-D where valid, else 3-D Nc / SDMC) with the primary's
    ephemeris covariance and the secondary's default TLE covariance, the method used
    (``pc_method``), why (``pc_reason``) and its validity ``flags``
    (:func:`.multistep.validity_flags`).  Without an ephemeris covariance Pc is None and
    ``pc_reason`` says why (never a made-up 0)."""
    from spacerange.catalog.metadata import infer_object_type
    from spacerange.conjunction.covariance import default_tle_covariance_inertial
    from spacerange.conjunction.hbr import HbrTable
    from spacerange.conjunction.multistep import pc_auto, validity_flags
    from spacerange.timescales import iso_utc, parse_utc

    table = hbr_table or HbrTable()
    out = []
    for k in range(len(ev.j)):
        e = elsets[int(ev.j[k])]
        t = ev.tca_utc[k]
        age = float((t - parse_utc(e.epoch)) / np.timedelta64(1, "D"))
        c2 = default_tle_covariance_inertial(ev.r2_km[k][None], ev.v2_km_s[k][None], abs(age))[0]
        c1 = primary.covariance_at(t)
        h1, s1 = table.lookup(primary.norad_id, "PAYLOAD")
        h2, s2 = table.lookup(e.norad_id, infer_object_type(e.name, e.cospar_id).value)
        pc, reason = None, "the ephemeris has no covariance: Pc not computed"
        method, flags = None, {}
        if c1 is not None:
            res = pc_auto(ev.r1_km[k], ev.v1_km_s[k], c1, ev.r2_km[k], ev.v2_km_s[k], c2,
                          (h1 + h2) / 1e3)  # fmt: skip
            pc, method, flags = float(res.pc), res.method, validity_flags(res.flags)
            reason = (f"{res.flags['reason']} (ephemeris covariance for the primary, default "
                      "TLE model for the secondary)")  # fmt: skip
        out.append(
            {
                "norad_id_1": primary.norad_id,
                "name_1": primary.name,
                "norad_id_2": e.norad_id,
                "name_2": e.name,
                "tca_utc": iso_utc(t),
                "miss_m": float(ev.miss_km[k]) * 1e3,
                "relative_speed_m_s": float(ev.rel_speed_km_s[k]) * 1e3,
                "pc": pc,
                "pc_method": method,
                "pc_reason": reason,
                "flags": flags,
                "hbr_m": h1 + h2,
                "hbr_source": f"{s1}+{s2}",
                "elset_age_2_days": age,
                "primary_source": primary.source,
            }
        )
    return out
