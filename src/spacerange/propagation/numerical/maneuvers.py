"""Impulsive and finite-burn maneuvers for the numerical propagator.

RTN (radial, transverse, normal) axes at a state (r, v): R = r/|r|, N = r x v / |r x v|,
T = N x R (along-track for circular orbits).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spacerange.frames import rtn_basis  # noqa: F401 - re-exported: rows R, T, N

G0_M_S2 = 9.80665


def _check_frame(frame: str) -> str:
    f = frame.upper()
    if f not in ("RTN", "GCRS"):
        raise ValueError(f"maneuver frame must be 'RTN' or 'GCRS', got {frame!r}")
    return f


@dataclass(frozen=True)
class ImpulsiveManeuver:
    """Instantaneous delta-v at ``epoch_utc`` (datetime64[us] UTC or tz-aware datetime).

    ``dv_km_s`` (3,) in ``frame`` 'RTN' (of the state just before the burn) or 'GCRS'.
    """

    epoch_utc: object
    dv_km_s: tuple[float, float, float]
    frame: str = "RTN"

    def __post_init__(self):
        _check_frame(self.frame)
        if np.shape(self.dv_km_s) != (3,):
            raise ValueError(f"dv_km_s must have 3 components, got shape {np.shape(self.dv_km_s)}")

    def dv_gcrs_km_s(self, r_km: np.ndarray, v_km_s: np.ndarray) -> np.ndarray:
        dv = np.asarray(self.dv_km_s, dtype=float)
        if _check_frame(self.frame) == "RTN":
            return dv @ rtn_basis(r_km, v_km_s)
        return dv


@dataclass(frozen=True)
class FiniteBurn:
    """Constant-thrust burn from ``start_utc`` for ``duration_s`` seconds.

    ``direction`` (3,) in ``frame`` ('RTN' follows the instantaneous RTN axes; 'GCRS' fixed),
    normalized internally.  Acceleration = thrust / m(t), with m(t) = mass_kg - mdot (t - t0)
    and mdot = thrust / (isp_s g0) when ``isp_s`` is given (constant mass otherwise).
    """

    start_utc: object
    duration_s: float
    thrust_n: float
    mass_kg: float
    direction: tuple[float, float, float] = (0.0, 1.0, 0.0)
    frame: str = "RTN"
    isp_s: float | None = None

    def __post_init__(self):
        _check_frame(self.frame)
        if self.duration_s < 0 or self.thrust_n < 0 or self.mass_kg <= 0:
            raise ValueError("FiniteBurn needs duration_s >= 0, thrust_n >= 0, mass_kg > 0")
        if np.linalg.norm(self.direction) == 0:
            raise ValueError("FiniteBurn direction must be a non-zero vector")
        if self.isp_s is not None:
            m_end = self.mass_kg - self.thrust_n / (self.isp_s * G0_M_S2) * self.duration_s
            if m_end <= 0:
                raise ValueError(f"FiniteBurn consumes all mass (final mass {m_end:.3g} kg)")

    def acceleration_km_s2(self, dt_s: float, r_km: np.ndarray, v_km_s: np.ndarray):
        """Thrust acceleration (n, 3) GCRS km/s^2 at ``dt_s`` seconds after burn start."""
        mass = self.mass_kg
        if self.isp_s is not None:
            mass -= self.thrust_n / (self.isp_s * G0_M_S2) * dt_s
        u = np.asarray(self.direction, dtype=float)
        u = u / np.linalg.norm(u)
        a = self.thrust_n / mass / 1000.0
        if _check_frame(self.frame) == "RTN":
            return a * (u @ rtn_basis(r_km, v_km_s))
        return np.broadcast_to(a * u, np.shape(r_km)).copy()
