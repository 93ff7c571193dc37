"""Numerical (Cowell) orbit propagation in GCRS: the truth model and the OD dynamics.

Public API::

    propagate(state0, epoch0, times, force_model, maneuvers=()) -> (r_km (n_t, 3), v_km_s)
    propagate_many(states0 (n, 6), epoch0, times, force_model) -> (n, n_t, 6)
    propagate_with_stm(state0, epoch0, times, force_model, method=...) -> (states, stm)
    propagate_covariance(p0, stm) -> P(t)

See :mod:`.earth` for frame/time approximations and :class:`ForceModel` for the forces.
"""

from .forces import Dynamics, ForceModel, shadow_factor
from .gravity import ACCELERATED, Geopotential, GravityField, egm96
from .maneuvers import FiniteBurn, ImpulsiveManeuver, rtn_basis
from .propagator import propagate, propagate_many
from .stm import propagate_covariance, propagate_with_stm

__all__ = [
    "ACCELERATED",
    "Dynamics",
    "FiniteBurn",
    "ForceModel",
    "Geopotential",
    "GravityField",
    "ImpulsiveManeuver",
    "egm96",
    "propagate",
    "propagate_covariance",
    "propagate_many",
    "propagate_with_stm",
    "rtn_basis",
    "shadow_factor",
]
