"""Synthetic space-object population: the embedded default world.

:func:`synthesize` draws a catalog of ``n`` objects whose perigee altitude, inclination,
eccentricity, type and owner distributions follow the real public catalog.  The model is a
mixture of named components, each fitted offline by ``tools/fit_synth_params.py`` from the
Space-Track 3LE snapshot of 2023-10-09 (26,140 objects; ``DEB``/``R/B`` in the names give the
type) and GCAT's payload catalog (owner state ``UNState``; rocket bodies and debris take the
owner of their launch).  Only the fitted parameters are shipped, in
``spacerange/data/synth_params.json``; no real element set is copied.

Components, in the order the fit assigns real objects to them:

1. **Constellation shells** (Starlink-, OneWeb-, Iridium-, Orbcomm-, Globalstar-like): members
   found by name, split into shells by (inclination, altitude) cells.  Each shell keeps its
   quantile tables of perigee/apogee altitude and inclination and its *discrete planes*: the
   RAAN of every plane found by gap clustering, the plane occupancy and the within-plane
   RAAN scatter.  Objects raising or lowering their orbits fall to the generic tables.
2. **MEO navigation shells** (GPS-, GLONASS-, Galileo-, BeiDou-like): payloads in altitude and
   inclination boxes around each system, with planes as above.
3. **Debris clouds**: launches with >= 150 catalogued debris pieces (Fengyun 1C, Cosmos 2251,
   Yunhai 3, NOAA 16, ...), each with perigee/apogee/inclination/RAAN tables; named after the
   parent (``SYN-FENGYUN-like DEB 0001``).
4. **Sun-synchronous band** per type: inclination is *computed* from the J2 sun-synchronous
   condition for the sampled a and e (:func:`sso_inclination_deg`) plus a fitted residual
   (quantiles per perigee-altitude band);
   RAAN follows from a fitted local-time-of-ascending-node table and the Sun's right ascension.
5. **HEO**: Molniya-like (55-70 deg, 10-13 h periods) and GTO-like/other, per type, with
   argument-of-perigee tables (Molniya apogees dwell at argp ~ 270 deg).
6. **GEO**: the station-kept belt and the drifting/graveyard population per type, with
   sub-satellite longitude tables (mean anomaly is placed to hit the sampled longitude),
   inclination and RAAN (the inclination-vector precession cycle).
7. **Generic** per regime (LEO/MEO/GEO/HEO) x type: everything else.

Within a component, features are drawn from empirical quantile tables (linear interpolation)
joined by a Gaussian copula whose correlation matrix was fitted on normal scores of ranks, so
joint structure (e.g. apogee vs perigee of debris) survives.  Each component carries its own
owner frequencies (top 15 + ``OTHER``).  Component sizes are proportional to the real counts
(largest-remainder allocation), so type fractions match the snapshot.

Element sets: epoch defaults to 2023-10-09T00:00Z (the snapshot's median epoch), with each
object's epoch offset drawn from the snapshot's spread (the bulk within two days).  BSTAR is
drawn from fitted quantiles per type and perigee-altitude band.  Perigees are kept at or above
:data:`MIN_PERIGEE_ALT_KM` and apogees below :data:`MAX_APOGEE_ALT_KM` (0.35 % and 0.02 % of the
real catalog lie outside), and an object that SGP4 would decay within
:data:`PROPAGATION_DAYS` has its BSTAR cut tenfold (down to zero) until it survives, so every
object propagates for at least a week.

Identifiers: NORAD ids start at :data:`SYNTH_NORAD_BASE` = 200000 (Alpha-5 ``L0000``), far
above the real catalog (< 100000 in 2025), and COSPAR ids use launch numbers 900+ (one per
component), which no real year has reached.  Names start with ``SYN``.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

import numpy as np
from scipy.special import ndtr
from sgp4.api import Satrec, SatrecArray

from spacerange.catalog.model import ElementSet, ObjectType, SpaceObject
from spacerange.constants import J2_WGS72, MU_WGS72_KM3_S2, RE_WGS72_KM
from spacerange.frames import gmst_iau82_rad

__all__ = [
    "DEFAULT_EPOCH",
    "MIN_PERIGEE_ALT_KM",
    "SYNTH_NORAD_BASE",
    "SynthPopulation",
    "gmst_deg",
    "load_params",
    "regime_labels",
    "sso_inclination_deg",
    "sun_ra_deg",
    "synthesize",
    "write_tle",
]

DEFAULT_EPOCH = datetime(2023, 10, 9, tzinfo=UTC)
SYNTH_NORAD_BASE = 200_000  # Alpha-5 "L0000"
MIN_PERIGEE_ALT_KM = 150.0
MAX_APOGEE_ALT_KM = 200_000.0  # beyond this the Moon dominates and SGP4/SDP4 fails
_MAX_REDRAWS = 50
MAX_NORAD = 339_999  # Alpha-5 "Z9999"
PROPAGATION_DAYS = 7.5  # every object propagates at least this long past its epoch
_MAX_BSTAR_CUTS = 6
_MAX_FIXES = 16
_MIN_ALT_KM = 120.0  # geocentric radius floor above the 6378.135 km sphere (margin on 100)

MU_KM3_S2 = MU_WGS72_KM3_S2  # as SGP4 and ElementSet use
RE_KM = RE_WGS72_KM
J2 = J2_WGS72
SSO_RATE_RAD_S = 2.0 * math.pi / (365.2421897 * 86400.0)  # one turn per tropical year
_ALPHA5 = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # I and O are skipped
_PIECE = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_JD_UNIX = 2440587.5


@dataclass(frozen=True, slots=True)
class SynthPopulation:
    """A synthetic catalog: parallel lists of element sets and objects (same order), and the
    name of the mixture component each object was drawn from."""

    elsets: list[ElementSet]
    objects: list[SpaceObject]
    component: list[str]

    def __len__(self) -> int:
        return len(self.elsets)


@functools.cache
def load_params(path: str | None = None) -> dict:
    """The fitted parameters (``spacerange/data/synth_params.json`` unless ``path`` is given)."""
    if path is not None:
        return json.loads(Path(path).read_text())
    text = resources.files("spacerange").joinpath("data/synth_params.json").read_text("utf-8")
    return json.loads(text)


def sso_inclination_deg(a_km: np.ndarray, ecc: np.ndarray | float = 0.0) -> np.ndarray:
    """Sun-synchronous inclination (deg) for semi-major axis ``a_km`` (km) and eccentricity.

    J2 nodal regression dOmega/dt = -3/2 J2 (Re/p)^2 n cos i set equal to one turn per tropical
    year (Vallado, *Fundamentals of Astrodynamics*, 4th ed., eq. 9-41).  NaN where no
    sun-synchronous inclination exists (a above ~12,350 km).
    """
    a_km = np.asarray(a_km, dtype=float)
    n_rad_s = np.sqrt(MU_KM3_S2 / a_km**3)
    p_km = a_km * (1.0 - np.asarray(ecc) ** 2)
    cos_i = -2.0 * SSO_RATE_RAD_S * p_km**2 / (3.0 * J2 * RE_KM**2 * n_rad_s)
    with np.errstate(invalid="ignore"):
        return np.degrees(np.arccos(np.where(np.abs(cos_i) <= 1.0, cos_i, np.nan)))


def sun_ra_deg(jd: np.ndarray) -> np.ndarray:
    """Low-precision solar right ascension (Astronomical Almanac, section C5), degrees."""
    d = jd - 2451545.0
    lon = np.radians(280.460 + 0.9856474 * d)
    g = np.radians(357.528 + 0.9856003 * d)
    lam = lon + np.radians(1.915) * np.sin(g) + np.radians(0.020) * np.sin(2 * g)
    eps = np.radians(23.439 - 4e-7 * d)
    return np.degrees(np.arctan2(np.cos(eps) * np.sin(lam), np.cos(lam))) % 360.0


def gmst_deg(jd_ut1: np.ndarray) -> np.ndarray:
    """Greenwich mean sidereal time (IAU-82, as SGP4's ``gstime``), degrees.

    TLE mean elements live in TEME, whose x axis is this GMST away from Greenwich, so the
    IAU-82 angle (not the accurate skyfield Earth rotation) turns longitudes into elements.
    """
    return np.degrees(gmst_iau82_rad(jd_ut1))


def regime_labels(perigee_alt_km: np.ndarray, apogee_alt_km: np.ndarray) -> np.ndarray:
    """The four regime labels (LEO/MEO/GEO/HEO by period and eccentricity) that the synthetic
    population's components were fitted on; kept as fitted (the catalog's own six-class
    labels are :func:`spacerange.catalog.regime.regimes`)."""
    ra = np.maximum(apogee_alt_km, perigee_alt_km)
    a_km = 0.5 * (perigee_alt_km + ra) + RE_KM
    ecc = (ra - perigee_alt_km) / (2.0 * a_km)
    period_min = 2.0 * math.pi * np.sqrt(a_km**3 / MU_KM3_S2) / 60.0
    out = np.full(a_km.shape, "MEO", dtype=object)
    out[(period_min >= 1300.0) & (period_min <= 1800.0)] = "GEO"
    out[ra < 2000.0] = "LEO"
    out[ecc > 0.25] = "HEO"
    return out


def _allocate(n: int, weights: np.ndarray) -> np.ndarray:
    """Largest-remainder split of ``n`` into integer counts proportional to ``weights``."""
    exact = n * weights / weights.sum()
    counts = np.floor(exact).astype(int)
    short = n - counts.sum()
    counts[np.argsort(-(exact - counts), kind="stable")[:short]] += 1
    return counts


def _draw_features(comp: dict, k: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Draw ``k`` feature vectors from a component's quantile tables joined by its copula."""
    feats = comp["features"]
    corr = np.asarray(comp["copula_corr"], dtype=float)
    z = rng.standard_normal((k, len(feats))) @ np.linalg.cholesky(corr).T
    u = ndtr(z)
    out = {}
    for j, f in enumerate(feats):
        q = np.asarray(comp["quantiles"][f], dtype=float)
        out[f] = np.interp(u[:, j], np.linspace(0.0, 1.0, len(q)), q)
    return out


def _draw_component(
    comp: dict, k: int, jd: np.ndarray, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Orbital elements (deg, km) for ``k`` objects of one component at epochs ``jd``."""
    f = _draw_features(comp, k, rng)
    # Condition on the component's regime (it was fitted on that regime only) and on the
    # perigee floor: redraw the few feature vectors that fall outside.
    for _ in range(_MAX_REDRAWS):
        bad = (
            (regime_labels(f["perigee_alt_km"], f["apogee_alt_km"]) != comp["regime"])
            | (f["perigee_alt_km"] < MIN_PERIGEE_ALT_KM)
            | (f["apogee_alt_km"] > MAX_APOGEE_ALT_KM)
        )
        if not bad.any():
            break
        redraw = _draw_features(comp, int(bad.sum()), rng)
        for key in f:
            f[key][bad] = redraw[key]
    rp = np.maximum(f["perigee_alt_km"], MIN_PERIGEE_ALT_KM) + RE_KM
    ra = np.maximum(f["apogee_alt_km"] + RE_KM, rp)
    a_km = 0.5 * (rp + ra)
    ecc = (ra - rp) / (ra + rp)
    if comp.get("inclination") == "sso":
        resid = f["inc_resid_deg"]
        if "inc_resid_bands" in comp:  # residual conditioned on the perigee-altitude band
            rb = comp["inc_resid_bands"]
            table = np.asarray(rb["quantiles"], dtype=float)
            band = np.searchsorted(rb["perigee_edges_km"], rp - RE_KM, side="right") - 1
            rows = table[np.clip(band, 0, len(table) - 1)]
            pos = rng.uniform(0.0, 1.0, k) * (table.shape[1] - 1)
            i = np.minimum(pos.astype(int), table.shape[1] - 2)
            j = np.arange(k)
            resid = rows[j, i] + (pos - i) * (rows[j, i + 1] - rows[j, i])
        inc = sso_inclination_deg(a_km, ecc) + resid
        inc = np.where(np.isnan(inc), 98.0, inc)
    else:
        inc = f["inc_deg"]
    raan_rule = comp.get("raan", "uniform")
    if raan_rule == "planes":
        w = np.asarray(comp["plane_weight"], dtype=float)
        plane = rng.choice(len(w), size=k, p=w / w.sum())
        raan = np.asarray(comp["plane_raan_deg"])[plane] + comp["raan_plane_std_deg"] * (
            rng.standard_normal(k)
        )
    elif raan_rule == "ltan":
        raan = sun_ra_deg(jd) + 15.0 * (f["ltan_h"] - 12.0)
    elif raan_rule == "feature":
        raan = f["raan_deg"]
    else:
        raan = rng.uniform(0.0, 360.0, k)
    argp = f["argp_deg"] if "argp_deg" in f else rng.uniform(0.0, 360.0, k)
    if comp.get("anomaly") == "longitude":
        mean_anom = f["lon_deg"] + gmst_deg(jd) - raan - argp
    else:
        mean_anom = rng.uniform(0.0, 360.0, k)
    return {
        "a_km": a_km,
        "ecc": ecc,
        "inc_deg": np.clip(inc, 0.0, 180.0),
        "raan_deg": raan % 360.0,
        "argp_deg": argp % 360.0,
        "mean_anom_deg": mean_anom % 360.0,
    }


def _draw_bstar(
    params: dict, type_idx: np.ndarray, perigee_km: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """BSTAR (1/earth radii) from the fitted quantiles per type and perigee-altitude band."""
    b = params["bstar"]
    types = [t.value for t in ObjectType]
    table = np.array([b["quantiles"][t] for t in types], dtype=float)  # (type, band, q)
    band = np.clip(np.searchsorted(b["perigee_edges_km"], perigee_km, side="right") - 1, 0, None)
    band = np.minimum(band, table.shape[1] - 1)
    rows = table[type_idx, band]  # (n, q)
    pos = rng.uniform(0.0, 1.0, len(perigee_km)) * (table.shape[2] - 1)
    i = np.minimum(pos.astype(int), table.shape[2] - 2)
    frac = pos - i
    idx = np.arange(len(i))
    return rows[idx, i] + frac * (rows[idx, i + 1] - rows[idx, i])


def synthesize(
    n: int, seed: int, epoch: datetime | None = None, params: dict | None = None
) -> SynthPopulation:
    """Draw a synthetic catalog of ``n`` objects, deterministic for a given ``seed``.

    ``epoch`` (tz-aware UTC; default :data:`DEFAULT_EPOCH`) is the centre of the element-set
    epochs.  ``params`` replaces the shipped fit (for tests and experiments).  Returns a
    :class:`SynthPopulation` whose element sets carry valid TLE lines.
    """
    if n < 0 or n > MAX_NORAD - SYNTH_NORAD_BASE + 1:
        raise ValueError(f"n must be in 0..{MAX_NORAD - SYNTH_NORAD_BASE + 1}, got {n}")
    if epoch is None:
        epoch = DEFAULT_EPOCH
    if epoch.tzinfo is None:
        raise ValueError("epoch must be timezone-aware (UTC)")
    params = params if params is not None else load_params()
    comps = params["components"]
    rng = np.random.default_rng(seed)
    counts = _allocate(n, np.array([c["count"] for c in comps], dtype=float))

    jd0 = epoch.timestamp() / 86400.0 + _JD_UNIX
    offsets = np.asarray(params["epoch_offset_days_q"], dtype=float)
    jd = jd0 + np.interp(rng.uniform(0, 1, n), np.linspace(0, 1, len(offsets)), offsets)
    jd = np.round((jd - jd0) * 86400.0) / 86400.0 + jd0  # whole seconds

    parts, comp_idx = [], np.repeat(np.arange(len(comps)), counts)
    starts = np.concatenate([[0], np.cumsum(counts)])
    for ci, comp in enumerate(comps):
        if counts[ci]:
            parts.append(_draw_component(comp, counts[ci], jd[starts[ci] : starts[ci + 1]], rng))
    el = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]} if parts else {}
    if n == 0:
        return SynthPopulation([], [], [])

    type_names = [t.value for t in ObjectType]
    type_idx = np.array([type_names.index(comps[c]["object_type"]) for c in comp_idx])
    n_rev_day = np.sqrt(MU_KM3_S2 / el["a_km"] ** 3) * 86400.0 / (2.0 * math.pi)
    perigee_km = el["a_km"] * (1.0 - el["ecc"]) - RE_KM
    bstar = _draw_bstar(params, type_idx, perigee_km, rng)

    owners = np.empty(n, dtype=object)
    for ci, comp in enumerate(comps):
        if counts[ci]:
            names, p = zip(*comp["owners"].items(), strict=True)
            p = np.asarray(p, dtype=float)
            owners[starts[ci] : starts[ci + 1]] = np.asarray(names, dtype=object)[
                rng.choice(len(p), size=counts[ci], p=p / p.sum())
            ]

    norad = SYNTH_NORAD_BASE + np.arange(n)
    return _assemble(comps, comp_idx, starts, counts, norad, jd, el, n_rev_day, bstar, owners)


def _alpha5(norad: int) -> str:
    return f"{norad:05d}" if norad < 100_000 else _ALPHA5[norad // 10_000] + f"{norad % 10_000:04d}"


def _piece(i: int) -> str:
    """COSPAR piece letters for the i-th object of a launch (A..Z, AA..ZZ, AAA..ZZZ)."""
    for width in (1, 2, 3):
        span = len(_PIECE) ** width
        if i < span:
            return "".join(
                _PIECE[(i // len(_PIECE) ** p) % len(_PIECE)] for p in reversed(range(width))
            )
        i -= span
    raise ValueError("piece index beyond ZZZ")


def _bstar_field(b: float) -> str:
    """TLE exponential field (8 chars), e.g. 3.7082e-4 -> ' 37082-3'."""
    if b == 0.0:
        return " 00000-0"
    ex = math.floor(math.log10(abs(b))) + 1
    mant = round(abs(b) / 10.0**ex * 1e5)
    if mant >= 100_000:
        mant, ex = 10_000, ex + 1
    return f"{'-' if b < 0 else ' '}{mant:05d}{'-' if ex < 0 else '+'}{abs(ex):d}"


def _with_checksums(lines: list[str]) -> list[str]:
    """Append the modulo-10 checksum (digits + 1 per '-') to 68-character TLE lines."""
    raw = np.frombuffer("".join(lines).encode("ascii"), dtype=np.uint8).reshape(len(lines), 68)
    digits = np.where((raw >= 48) & (raw <= 57), raw - 48, 0) + (raw == ord("-"))
    sums = digits.sum(axis=1) % 10
    return [ln + str(s) for ln, s in zip(lines, sums.tolist(), strict=True)]


def _tle_lines(
    sat: list[str], intls: list[str], ep_fields: list[str], bfields: list[str], el: dict
) -> tuple[list[str], list[str]]:
    """TLE lines 1 and 2 (with checksums) from rounded element arrays."""
    n = len(sat)
    line1 = [
        f"1 {sat[i]}U {intls[i]} {ep_fields[i]}  .00000000  00000-0 {bfields[i]} 0  999"
        for i in range(n)
    ]
    inc, raan, ecc7 = el["inc"].tolist(), el["raan"].tolist(), el["ecc7"].tolist()
    argp, ma, mm = el["argp"].tolist(), el["ma"].tolist(), el["mm"].tolist()
    line2 = [
        f"2 {sat[i]} {inc[i]:8.4f} {raan[i]:8.4f} {ecc7[i]:07d} {argp[i]:8.4f} "
        f"{ma[i]:8.4f} {mm[i]:11.8f}    0"
        for i in range(n)
    ]
    return _with_checksums(line1), _with_checksums(line2)


def _fails_within(line1: list[str], line2: list[str], days: float) -> np.ndarray:
    """Mask of TLEs for which SGP4 reports an error, or the object sinks below 120 km (near
    re-entry in all but name), between its epoch and epoch + ``days``."""
    if not line1:
        return np.zeros(0, dtype=bool)
    sats = [Satrec.twoline2rv(a, b) for a, b in zip(line1, line2, strict=True)]
    jd = np.array([s.jdsatepoch + s.jdsatepochF for s in sats])
    grid = np.arange(jd.min(), jd.max() + days + 0.5, 0.5)
    err, r_teme_km, _ = SatrecArray(sats).sgp4(np.floor(grid), grid - np.floor(grid))
    ahead = (grid[None, :] >= jd[:, None] - 1e-9) & (grid[None, :] <= jd[:, None] + days)
    with np.errstate(invalid="ignore"):
        low = np.linalg.norm(r_teme_km, axis=-1) < RE_KM + _MIN_ALT_KM
    return (((err != 0) | low) & ahead).any(axis=1)


def _raise_perigee(rounded: dict, idx: np.ndarray, dh_km: float) -> None:
    """Raise the perigee of objects ``idx`` by ``dh_km`` keeping the apogee (in place)."""
    n_rad_s = rounded["mm"][idx] * 2.0 * math.pi / 86400.0
    a_km = (MU_KM3_S2 / n_rad_s**2) ** (1.0 / 3.0)
    ecc = rounded["ecc7"][idx] * 1e-7
    rp, ra = a_km * (1.0 - ecc) + dh_km, np.maximum(a_km * (1.0 + ecc), a_km * (1.0 - ecc) + dh_km)
    a_km = 0.5 * (rp + ra)
    rounded["ecc7"][idx] = np.clip(np.round((ra - rp) / (ra + rp) * 1e7), 1, 9_999_999)
    rounded["mm"][idx] = np.round(np.sqrt(MU_KM3_S2 / a_km**3) * 86400.0 / (2.0 * math.pi), 8)


def _assemble(comps, comp_idx, starts, counts, norad, jd, el, n_rev_day, bstar, owners):
    n = len(norad)
    rounded = {
        "inc": np.round(el["inc_deg"], 4),
        "raan": np.round(el["raan_deg"], 4) % 360.0,
        "argp": np.round(el["argp_deg"], 4) % 360.0,
        "ma": np.round(el["mean_anom_deg"], 4) % 360.0,
        "ecc7": np.clip(np.round(el["ecc"] * 1e7), 1, 9_999_999).astype(int),
        "mm": np.round(n_rev_day, 8),
    }

    # epochs: whole seconds, as datetimes and as the TLE YYDDD.DDDDDDDD field
    unix_s = np.round((jd - _JD_UNIX) * 86400.0).astype(np.int64)
    epochs = [datetime.fromtimestamp(int(s), tz=UTC) for s in unix_s.tolist()]
    ep_fields = []
    for e in epochs:
        doy = 1.0 + (e - datetime(e.year, 1, 1, tzinfo=UTC)) / timedelta(days=1)
        ep_fields.append(f"{e.year % 100:02d}{doy:012.8f}")

    names, cospars, intls = [], [], []
    year = epochs[0].year
    cap = 24 + 24**2 + 24**3
    for ci in range(len(comps)):
        for i in range(counts[ci]):
            yr, piece, launch = year - i // cap, _piece(i % cap), 900 + ci
            cospars.append(f"{yr:04d}-{launch:03d}{piece}")
            intls.append(f"{yr % 100:02d}{launch:03d}{piece:<3}")
    serial: dict[str, int] = {}
    for c in comp_idx.tolist():
        s = comps[c]["name_stem"]
        serial[s] = serial.get(s, 0) + 1
        names.append(f"{s} {serial[s]:04d}")

    # TLE lines.  Objects that SGP4 would decay within a week get a smaller BSTAR (down to 0);
    # the rare deep-space orbit whose perigee the Moon still drives down gets a higher perigee.
    sat = [_alpha5(int(k)) for k in norad.tolist()]
    bfields = [_bstar_field(float(f"{b:.4e}")) for b in bstar.tolist()]
    line1, line2 = _tle_lines(sat, intls, ep_fields, bfields, rounded)
    todo = np.arange(n)
    for attempt in range(_MAX_FIXES + 1):
        l1 = [line1[i] for i in todo.tolist()]
        l2 = [line2[i] for i in todo.tolist()]
        todo = todo[_fails_within(l1, l2, PROPAGATION_DAYS)]
        if not len(todo):
            break
        if attempt < _MAX_BSTAR_CUTS:
            bstar[todo] = bstar[todo] / 10.0 if attempt < _MAX_BSTAR_CUTS - 1 else 0.0
        else:
            _raise_perigee(rounded, todo, 50.0)
        idx = todo.tolist()
        for i in idx:
            bfields[i] = _bstar_field(float(f"{bstar[i]:.4e}"))
        sub = {k: v[todo] for k, v in rounded.items()}
        new1, new2 = _tle_lines(
            *([[x[i] for i in idx] for x in (sat, intls, ep_fields, bfields)]), sub
        )
        for j, i in enumerate(idx):
            line1[i], line2[i] = new1[j], new2[j]
    else:
        raise RuntimeError(f"{len(todo)} synthetic objects still decay within a week")
    bvals = [
        float(f[1:6]) * 1e-5 * 10.0 ** int(f[6:]) * (-1 if f[0] == "-" else 1) for f in bfields
    ]
    inc, raan, ecc7 = rounded["inc"], rounded["raan"], rounded["ecc7"]
    argp, ma, mm = rounded["argp"], rounded["ma"], rounded["mm"]

    elsets, objects, comp_names = [], [], []
    type_of = [ObjectType(c["object_type"]) for c in comps]
    for i in range(n):
        ci = int(comp_idx[i])
        es = ElementSet(
            norad_id=int(norad[i]),
            epoch=epochs[i],
            inclination_deg=float(inc[i]),
            raan_deg=float(raan[i]),
            eccentricity=ecc7[i] * 1e-7,
            arg_perigee_deg=float(argp[i]),
            mean_anomaly_deg=float(ma[i]),
            mean_motion_rev_day=float(mm[i]),
            bstar=bvals[i],
            line1=line1[i],
            line2=line2[i],
            name=names[i],
            cospar_id=cospars[i],
            source="synth",
        )
        elsets.append(es)
        objects.append(
            SpaceObject(
                norad_id=int(norad[i]),
                name=names[i],
                cospar_id=cospars[i],
                object_type=type_of[ci],
                owner=str(owners[i]),
                element_sets=[es],
            )
        )
        comp_names.append(comps[ci]["name"])
    return SynthPopulation(elsets, objects, comp_names)


def write_tle(path: str | Path, population: SynthPopulation) -> Path:
    """Write the population as a 3LE file (``0 NAME`` line, then the two TLE lines)."""
    path = Path(path)
    with path.open("w", encoding="ascii") as f:
        for es in population.elsets:
            f.write(f"0 {es.name}\n{es.line1}\n{es.line2}\n")
    return path
