"""Observation-to-catalog correlation with Mahalanobis gating; UCTs become candidates.

For every track (observations of one sensor pass, ``Observations.track``) and every
catalog object, the measurements predicted from the object's TLE (SGP4 -> GCRS) give the
residual vector ``dy`` (m,) and the predicted measurement covariance

    S = H P H^T + R,

with ``H`` (m, 6) the measurement partials at each time and ``P`` the default TLE
covariance (:func:`spacerange.conjunction.covariance.default_tle_covariance_inertial`, by
regime and element-set age) at the middle of the track, ``R`` the measurement noise.  The
track correlates with the object of smallest ``d^2 = dy^T S^-1 dy`` among those with
``d^2 <= chi2_m(gate_probability)``.  Tracks correlating with nothing are uncorrelated
tracks (UCTs); each becomes a candidate object ``UCT-<track>`` through IOD + batch OD.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.stats import chi2

from .measurements import predict, residual
from .observations import Observations
from .solution import OdSolution


@dataclass
class Correlation:
    """``assigned``: track -> (catalog NORAD id, d^2); ``ucts``: uncorrelated track labels;
    ``candidates``: OD solutions of UCT tracks; ``failures``: candidate id -> reason."""

    assigned: dict[int, tuple[int, float]] = field(default_factory=dict)
    ucts: list[int] = field(default_factory=list)
    candidates: list[OdSolution] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)


def catalog_states_gcrs(elsets, times_utc: np.ndarray) -> np.ndarray:
    """SGP4 GCRS states (n_cat, n_t, 6) of element sets at ``times_utc`` (NaN on failure)."""
    from spacerange.frames import teme_to_gcrs
    from spacerange.propagation.sgp4_batch import satrecs_from_tles, sgp4_teme
    from spacerange.timescales import jd_fr_utc

    jd, fr = jd_fr_utc(np.asarray(times_utc, "datetime64[us]"))
    r, v, _ = sgp4_teme(satrecs_from_tles([(e.line1, e.line2) for e in elsets]), jd, fr)
    rg, vg = teme_to_gcrs(r, v, times_utc)
    return np.concatenate([rg, vg], axis=-1)


def correlate(
    obs: Observations,
    elsets,
    gate_probability: float = 0.999,
    build_candidates: bool = True,
) -> Correlation:
    """Correlate every track of ``obs`` with the catalog ``elsets`` (see module doc)."""
    from spacerange.conjunction.covariance import default_tle_covariance_inertial

    out = Correlation()
    elsets = list(elsets)
    tracks = np.unique(obs.track)
    site_r, site_v, enu = obs.geometry
    for trk in tracks.tolist():
        rows = np.flatnonzero(obs.track == trk)
        t = obs.times_utc[rows]
        ut, inv = np.unique(t, return_inverse=True)
        if not elsets:
            out.ucts.append(trk)
            continue
        states = catalog_states_gcrs(elsets, ut)  # (n_cat, n_ut, 6)
        n_cat, m = len(elsets), rows.size
        x = states[:, inv].reshape(n_cat * m, 6)
        rep = np.tile(rows, n_cat)
        h, hx = predict(obs.kind[rep], x, site_r[rep], site_v[rep], enu[rep])
        dy = residual(obs.kind[rep], obs.value[rep], h).reshape(n_cat, m)
        hx = hx.reshape(n_cat, m, 6)
        mid = ut[ut.size // 2]
        x_mid = states[:, ut.size // 2]
        age = np.array([(mid - np.datetime64(e.epoch.replace(tzinfo=None), "us"))
                        .astype("timedelta64[us]").astype(float) / 86400e6 for e in elsets])  # fmt: skip
        finite = np.all(np.isfinite(x_mid), axis=1) & np.all(np.isfinite(dy), axis=1)
        d2 = np.full(n_cat, np.inf)
        if finite.any():
            p = default_tle_covariance_inertial(x_mid[finite, :3], x_mid[finite, 3:],
                                                age[finite])  # fmt: skip
            hf = hx[finite]
            s = np.einsum("cmi,cij,ckj->cmk", hf, p, hf) + np.diag(obs.sigma[rows] ** 2)
            sol = np.linalg.solve(s, dy[finite][..., None])[..., 0]
            d2[finite] = np.einsum("cm,cm->c", dy[finite], sol)
        gate = chi2.ppf(gate_probability, m)
        best = int(np.argmin(d2))
        if d2[best] <= gate:
            out.assigned[trk] = (elsets[best].norad_id, float(d2[best]))
        else:
            out.ucts.append(trk)
    if build_candidates and out.ucts:
        from .pipeline import determine_orbits

        rows = np.flatnonzero(np.isin(obs.track, out.ucts))
        u = obs.subset(rows)
        u.object_id = np.array([f"UCT-{k}" for k in u.track.tolist()])
        sols, failures = determine_orbits(u)
        out.candidates = sols
        out.failures = failures
    return out
