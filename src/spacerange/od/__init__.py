"""Orbit determination and catalog maintenance (issue "Tracking").

Public API::

    gibbs(r1, r2, r3) / herrick_gibbs(r1, r2, r3, t1, t2, t3) -> v2        (iod)
    gauss_angles(los1..3, site1..3, t1..3, improve=True) -> (r2, v2)       (iod)
    predict(kind, x_gcrs, site_r, site_v, enu) -> (h, H)                   (measurements)
    observations_from_tdm(tdms, sites, file) -> (Observations, rejects)    (observations)
    batch_least_squares(obs, ids, x0, epochs, dynamics, apriori_cov, options) -> [OdSolution]
    determine_orbits(obs, apriori=None) -> ([OdSolution], failures)        (IOD + batch)
    extended_kalman_filter(obs, ids, x0, p0, epochs, options) / ekf_from_iod(obs)
    fit_tle(times, r_gcrs, v_gcrs, norad_id, epoch_utc) -> TleFit(elset, rms_km, ...)
    sgp4_differential_correction(obs, ids, initial_satrecs, bstar_sigma) -> Sgp4Fit  (sgp4_dc)
    correlate(obs, elsets) -> Correlation(assigned, ucts, candidates)
    solutions_to_oem(solutions, spans_s) -> Oem (with covariance blocks)

Dynamics: :class:`J2Dynamics` (two-body + J2..J4, variational STM and the sensitivity to a
constant RTN acceleration, vectorized over objects) or
:class:`NumericalDynamics` (any ForceModel, finite-difference STM, one object at a time).
"""

from .batch import BatchOptions, batch_least_squares
from .correlation import Correlation, correlate
from .dynamics import J2Dynamics, NumericalDynamics
from .ekf import EkfOptions, ekf_from_iod, extended_kalman_filter
from .iod import gauss_angles, gibbs, herrick_gibbs, three_positions
from .measurements import DEFAULT_SITES, Site, predict
from .observations import Observations, observations_from_tdm, observations_to_tdm
from .pipeline import determine_orbits, initial_states
from .sgp4_dc import Sgp4Fit, sgp4_differential_correction
from .solution import OdSolution, solutions_to_oem
from .tle_fit import TleFit, fit_tle

__all__ = [
    "DEFAULT_SITES",
    "BatchOptions",
    "Correlation",
    "EkfOptions",
    "J2Dynamics",
    "NumericalDynamics",
    "Observations",
    "OdSolution",
    "Sgp4Fit",
    "Site",
    "TleFit",
    "batch_least_squares",
    "correlate",
    "determine_orbits",
    "ekf_from_iod",
    "extended_kalman_filter",
    "fit_tle",
    "gauss_angles",
    "gibbs",
    "herrick_gibbs",
    "initial_states",
    "observations_from_tdm",
    "observations_to_tdm",
    "predict",
    "sgp4_differential_correction",
    "solutions_to_oem",
    "three_positions",
]
