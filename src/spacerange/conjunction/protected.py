"""Screening protected assets against a catalog, without propagating what cannot meet them.

:func:`spacerange.conjunction.screening.screen` with ``primaries`` propagates every object
of the catalog at its interpolation nodes, though its apogee/perigee filter then drops
every pair whose radial bands do not overlap.  An operator screening a few assets against
a large catalog (a team's picture in the exercise, every catalog update) pays for the
whole catalog each time.  :func:`screen_protected` applies the *same* radial criterion
first -- an object whose padded perigee..apogee band overlaps no primary's cannot come
within the search radius of any of them -- and screens only the remaining objects, with
the primaries, through :func:`~spacerange.conjunction.screening.screen`.  Events are
identical (the pairs left out are exactly those ``screen`` would never report); indices
are mapped back to the input.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from spacerange.conjunction.screening import ScreeningConfig, ScreeningResult, screen
from spacerange.propagation.sgp4_batch import TlePair, satrecs_from_tles

__all__ = ["screen_protected", "radial_band_km"]


def radial_band_km(tles: Sequence[TlePair]) -> tuple[np.ndarray, np.ndarray]:
    """Perigee and apogee radii [km] of SGP4 element sets from their mean elements."""
    sats = satrecs_from_tles(list(tles))
    if not sats:
        return np.zeros(0), np.zeros(0)
    a = np.array([s.a for s in sats]) * sats[0].radiusearthkm
    e = np.array([s.ecco for s in sats])
    return a * (1 - e), a * (1 + e)


def screen_protected(
    tles: Sequence[TlePair],
    primaries: Sequence[int],
    start_utc: np.datetime64,
    span_s: float,
    config: ScreeningConfig | None = None,
    workers: int | None = 1,
) -> ScreeningResult:
    """Screen ``primaries`` (indices into ``tles``) against the catalog ``tles`` over
    ``[start_utc, start_utc + span_s]`` (see the module docstring).  The result's ``i``/``j``
    index ``tles``; ``n_objects`` and ``pairs_screened`` count what was screened after the
    radial filter.  ``workers`` defaults to 1 (inline): this is called often on small sets."""
    cfg = config or ScreeningConfig()
    tles = list(tles)
    prim = np.unique(np.asarray(list(primaries), np.int64))
    if len(prim) and (prim.min() < 0 or prim.max() >= len(tles)):
        raise ValueError("primary index out of range")
    lo, hi = radial_band_km(tles)
    pad = cfg.radial_pad_km + cfg.search_km
    lo, hi = lo - pad, hi + pad
    keep = np.zeros(len(tles), bool)
    keep[prim] = True
    for k in prim:
        keep |= (lo <= hi[k]) & (hi >= lo[k])
    idx = np.flatnonzero(keep)
    pos = np.full(len(tles), -1, np.int64)
    pos[idx] = np.arange(len(idx))
    if len(prim) == 0 or len(idx) < 2:
        return ScreeningResult(_no_events(), len(idx), 0, np.datetime64(start_utc, "us"), span_s)
    res = screen([tles[k] for k in idx], start_utc, span_s, cfg, primaries=pos[prim],
                 workers=workers)  # fmt: skip
    res.events["i"] = idx[res.events["i"]]
    res.events["j"] = idx[res.events["j"]]
    return res


def _no_events() -> dict[str, np.ndarray]:
    """The event columns of :class:`ScreeningResult`, empty."""
    z3 = np.zeros((0, 3))
    out = {k: z3 for k in ("r1_teme_km", "v1_teme_km_s", "r2_teme_km", "v2_teme_km_s",
                           "miss_rtn_km")}  # fmt: skip
    out.update(i=np.zeros(0, np.int64), j=np.zeros(0, np.int64), tca_s=np.zeros(0),
               miss_km=np.zeros(0), rel_speed_km_s=np.zeros(0),
               tca_utc=np.zeros(0, "datetime64[us]"))  # fmt: skip
    return out
