"""Cubic Hermite interpolation of node states and the straight-line closest approach
within one step: the arithmetic the screening's sieve kernels and TCA refinement share
(the compiled kernels inline the same operations, so their candidates agree bit for bit)."""

from __future__ import annotations

import numpy as np

try:  # numba is optional (``pip install spacerange[fast]``)
    import numba

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - exercised where numba is absent
    numba = None
    HAVE_NUMBA = False

__all__ = ["hermite_states", "hermite_accel", "hermite_coefficients", "line_minimum"]


def hermite_states(p0, v0, p1, v1, s, h):
    """Cubic Hermite position and velocity at fraction ``s`` of a node interval of ``h`` s.

    ``p0, v0`` / ``p1, v1``: states at the interval's start / end (km, km/s); arrays
    broadcast, xyz last; ``s`` broadcasts against the leading axes (add ``[..., None]``).
    """
    s2 = s * s
    s3 = s2 * s
    h00 = 2 * s3 - 3 * s2 + 1
    h10 = s3 - 2 * s2 + s
    h01 = -2 * s3 + 3 * s2
    h11 = s3 - s2
    p = h00 * p0 + h10 * h * v0 + h01 * p1 + h11 * h * v1
    d00 = 6 * s2 - 6 * s
    d10 = 3 * s2 - 4 * s + 1
    d01 = -6 * s2 + 6 * s
    d11 = 3 * s2 - 2 * s
    v = (d00 * p0 + d01 * p1) / h + d10 * v0 + d11 * v1
    return p, v


def hermite_accel(p0, v0, p1, v1, s, h):
    """Second derivative (km/s^2) of the cubic Hermite interpolant at fraction ``s``."""
    e00 = 12 * s - 6
    e10 = 6 * s - 4
    e01 = -12 * s + 6
    e11 = 6 * s - 2
    return (e00 * p0 + e01 * p1) / h**2 + (e10 * v0 + e11 * v1) / h


if HAVE_NUMBA:

    @numba.njit(cache=True, nogil=True, inline="always")
    def hermite_coefficients(s, node_dt):  # pragma: no cover - compiled
        """Cubic Hermite weights at fraction ``s`` of a node interval of ``node_dt`` s:
        position ``(h00, h10, h01, h11)`` and velocity ``(d00, d10, d01, d11)`` weights of
        ``(p0, v0, p1, v1)`` (the node-interval factors folded in)."""
        s2 = s * s
        s3 = s2 * s
        h00 = 2 * s3 - 3 * s2 + 1
        h10 = (s3 - 2 * s2 + s) * node_dt
        h01 = -2 * s3 + 3 * s2
        h11 = (s3 - s2) * node_dt
        d00 = (6 * s2 - 6 * s) / node_dt
        d10 = 3 * s2 - 4 * s + 1
        d01 = (-6 * s2 + 6 * s) / node_dt
        d11 = 3 * s2 - 2 * s
        return h00, h10, h01, h11, d00, d10, d01, d11


def _line_minimum(e0, e1, e2, w0, w1, w2, half):
    """Closest approach of straight-line relative motion ``e + w tau`` within
    ``|tau| <= half``: ``(tau, distance)`` (units of ``e``, ``w`` and ``tau`` consistent)."""
    ww = w0 * w0 + w1 * w1 + w2 * w2
    tau = 0.0
    if ww > 0:
        tau = -(e0 * w0 + e1 * w1 + e2 * w2) / ww
    if tau > half:
        tau = half
    elif tau < -half:
        tau = -half
    f0 = e0 + w0 * tau
    f1 = e1 + w1 * tau
    f2 = e2 + w2 * tau
    return tau, np.sqrt(f0 * f0 + f1 * f1 + f2 * f2)


#: compiled for the sieve kernels when numba is present; plain Python otherwise (the
#: exercise's closest approach refines its 1 s grid with it)
line_minimum = (numba.njit(cache=True, nogil=True, inline="always")(_line_minimum)
                if HAVE_NUMBA else _line_minimum)  # fmt: skip
