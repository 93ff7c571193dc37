"""Near-earth SGP4 vectorized across times (SIMD), for the compiled engine.

:mod:`spacerange.propagation.sgp4_numba` evaluates one (object, time) state at a time in
scalar double precision, calling the C library's ``sin``/``cos``/``atan2``/``fmod`` about
twenty times per state; those calls are most of its cost and they stop the compiler from
using vector registers.  For near-earth element sets (period under 225 min, no deep-space
terms: most of any catalog) this module evaluates the same equations for a block of times
of one object at once, in loops the compiler vectorizes (AVX2/AVX-512 where the CPU has
them):

* every per-object constant (``(xke/n)^(2/3)``, ``sin``/``cos`` of the mean inclination,
  the long-period coefficients) is computed once, not per time;
* ``sin``/``cos`` are our own branch-free routine (:func:`_sincos`): Cody-Waite reduction by
  pi/2 with a three-part constant, Taylor polynomials of degree 17/18 on [-pi/4, pi/4]
  (truncation below 1e-19, so the result is within a few ulp of the C library's);
* ``fmod(x, 2 pi)`` is ``x - 2 pi trunc(x / 2 pi)``, and ``atan2`` of the argument of
  latitude is not needed: its ``sin``/``cos`` follow from the normalized ``(sin u, cos u)``
  and the short-period correction by the angle-sum formula;
* Kepler's equation runs on the whole block, the converged lanes frozen with their last
  ``sin``/``cos`` (the values Vallado's loop keeps), until every lane has converged or ten
  iterations have run, as in Vallado's code.

The results equal the scalar kernel's to rounding (micrometres; the tests compare both with
python-sgp4 within a millimetre), with the same error codes: 1 (mean eccentricity), 2 (mean
motion), 4 (semi-latus rectum) with NaN states, 6 (decayed) with the state kept.
"""

from __future__ import annotations

import math
import os

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from spacerange.propagation.sgp4_fields import (
    ARGPDOT,
    ARGPO,
    AYCOF,
    BSTAR,
    CC1,
    CC4,
    CC5,
    CON41,
    D2,
    D3,
    D4,
    DELMO,
    ECCO,
    ETA,
    INCLO,
    ISIMP,
    J2,
    MDOT,
    MO,
    NO_UNKOZAI,
    NODECF,
    NODEDOT,
    NODEO,
    OMGCOF,
    RADIUSEARTHKM,
    SINMAO,
    T2COF,
    T3COF,
    T4COF,
    T5COF,
    X1MTH2,
    X7THM1,
    XKE,
    XLCOF,
    XMCOF,
)


def enabled() -> bool:
    """Whether the vectorized kernel is used (``SPACERANGE_SGP4_SIMD=0`` turns it off, for
    comparisons; results agree to micrometres either way)."""
    return os.environ.get("SPACERANGE_SGP4_SIMD", "1").strip() not in ("0", "false", "no")


#: Times per block: the block's work arrays (about 20 x 8 bytes x BLOCK) stay in L1/L2.
BLOCK = 256
_TWOPI = 2.0 * math.pi
_INV_TWOPI = 1.0 / _TWOPI
_TWO_OVER_PI = 2.0 / math.pi
# 2 pi (the double) split in two 26-bit halves for the exact product in _fmod_2pi.
_TWOPI_H = 134217729.0 * _TWOPI - (134217729.0 * _TWOPI - _TWOPI)
_TWOPI_L = _TWOPI - _TWOPI_H
# pi/2 in three parts of 33 bits each (the classic fdlibm split), so q * _PIO2_1 and
# q * _PIO2_2 are exact for |q| < 2**20 (|x| < 1.6e6 rad, far beyond any SGP4 angle).
_PIO2_1 = 1.57079632673412561417e00
_PIO2_2 = 6.07710050630396597660e-11
_PIO2_3 = 2.02226624871116645580e-21
# Taylor coefficients: sin r = r + r^3 (S1 + r^2 (S2 + ...)), cos r = 1 - r^2/2 + r^4 (C1 + ...)
_S1, _S2, _S3, _S4 = -1.0 / 6.0, 1.0 / 120.0, -1.0 / 5040.0, 1.0 / 362880.0
_S5, _S6, _S7, _S8 = (
    -1.0 / 39916800.0,
    1.0 / 6227020800.0,
    -1.0 / 1307674368000.0,
    1.0 / 355687428096000.0,
)
_C1, _C2, _C3, _C4 = 1.0 / 24.0, -1.0 / 720.0, 1.0 / 40320.0, -1.0 / 3628800.0
_C5, _C6, _C7, _C8 = (
    1.0 / 479001600.0,
    -1.0 / 87178291200.0,
    1.0 / 20922789888000.0,
    -1.0 / 6402373705728000.0,
)


@intrinsic
def _sqrt(typingctx, x):
    """``llvm.sqrt`` (IEEE: NaN below zero), which vectorizes; numba's ``math.sqrt`` calls
    the C library (for errno) and stops the loop vectorizer."""
    sig = types.float64(types.float64)

    def codegen(context, builder, signature, args):
        fn = builder.module.declare_intrinsic("llvm.sqrt", [ir.DoubleType()])
        return builder.call(fn, args)

    return sig, codegen


@njit(cache=True, fastmath=False, error_model="numpy", inline="always")
def _sincos(x):
    """``(sin x, cos x)`` without branches (vectorizable); within a few ulp of libm."""
    q = math.floor(x * _TWO_OVER_PI + 0.5)
    r = ((x - q * _PIO2_1) - q * _PIO2_2) - q * _PIO2_3
    r2 = r * r
    s = r + r * r2 * (
        _S1 + r2 * (_S2 + r2 * (_S3 + r2 * (_S4 + r2 * (_S5 + r2 * (_S6 + r2 * (_S7 + r2 * _S8))))))
    )
    c = (
        1.0
        - 0.5 * r2
        + r2
        * r2
        * (
            _C1
            + r2 * (_C2 + r2 * (_C3 + r2 * (_C4 + r2 * (_C5 + r2 * (_C6 + r2 * (_C7 + r2 * _C8))))))
        )
    )
    # quadrant k = q mod 4 without a switch: odd k swaps sin and cos, then the signs
    k = np.int64(q)
    swap = (k & 1) == 1
    sign_s = 1.0 - 2.0 * ((k >> 1) & 1)
    sign_c = 1.0 - 2.0 * (((k + 1) >> 1) & 1)
    return (c if swap else s) * sign_s, (s if swap else c) * sign_c


@njit(cache=True, fastmath=False, error_model="numpy", inline="always")
def _fmod_2pi(x):
    """``fmod(x, 2 pi)`` (sign of ``x``) without a library call, exact like the C one.

    Past decay SGP4's angles reach 1e7 rad and more; ``x - k 2pi`` rounded would be off by
    ``ulp(x)``.  Here ``k 2pi`` is formed exactly as ``p + e`` (Dekker's product with
    Veltkamp splits), ``x - p`` is exact (Sterbenz), and the remainder is brought back
    into range if the quotient was one off."""
    k = x * _INV_TWOPI
    lo = math.floor(k)
    hi = math.ceil(k)
    k = lo if k >= 0.0 else hi
    c = 134217729.0 * k  # 2**27 + 1
    kh = c - (c - k)
    kl = k - kh
    prod = k * _TWOPI
    err = ((kh * _TWOPI_H - prod) + kh * _TWOPI_L + kl * _TWOPI_H) + kl * _TWOPI_L
    r = (x - prod) - err
    r = r + _TWOPI if (x >= 0.0) & (r < 0.0) else r
    r = r - _TWOPI if (x < 0.0) & (r > 0.0) else r
    r = r - _TWOPI if r >= _TWOPI else r
    return r + _TWOPI if r <= -_TWOPI else r


@njit(cache=True, fastmath=False, error_model="numpy", inline="always")
def _kepler_step(u, axnl, aynl, eo1, sineo1, coseo1, active):
    """One masked iteration of Vallado's Kepler loop (converged lanes keep their values)."""
    s, c = _sincos(eo1)
    tem5 = (u - aynl * c + axnl * s - eo1) / (1.0 - c * axnl - s * aynl)
    tem5 = 0.95 if tem5 >= 0.95 else (-0.95 if tem5 <= -0.95 else tem5)
    on = active > 0.0
    sineo1 = s if on else sineo1
    coseo1 = c if on else coseo1
    eo1 = eo1 + tem5 if on else eo1
    active = 1.0 if (on & (math.fabs(tem5) >= 1.0e-12)) else 0.0
    return eo1, sineo1, coseo1, active


@njit(cache=True, fastmath=False, error_model="numpy")
def _object_block(p, t, nb, out):
    """Near-earth SGP4 of one object at ``t[:nb]`` minutes since epoch into ``out[:nb]``:
    columns r (km), v (km/s) TEME, error code.  One loop over times with no calls and no
    branches (selects only), written to the two arrays ``t`` and ``out``, so that the
    compiler vectorizes it; Kepler's ten iterations are unrolled and masked."""
    xke = p[XKE]
    j2 = p[J2]
    no = p[NO_UNKOZAI]
    a0 = (xke / no) ** (2.0 / 3.0) if no > 0.0 else 1.0
    inclo = p[INCLO]
    sinip = math.sin(inclo)
    cosip = math.cos(inclo)
    aycof = p[AYCOF]
    xlcof = p[XLCOF]
    con41 = p[CON41]
    x1mth2 = p[X1MTH2]
    x7thm1 = p[X7THM1]
    radius = p[RADIUSEARTHKM]
    vkmpersec = radius * xke / 60.0
    mo, mdot, argpo, argpdot = p[MO], p[MDOT], p[ARGPO], p[ARGPDOT]
    nodeo, nodedot, nodecf = p[NODEO], p[NODEDOT], p[NODECF]
    cc1, bstar, cc4, t2cof = p[CC1], p[BSTAR], p[CC4], p[T2COF]
    ecco = p[ECCO]
    simple = p[ISIMP] == 1.0
    omgcof, eta, xmcof, delmo = p[OMGCOF], p[ETA], p[XMCOF], p[DELMO]
    d2, d3, d4, cc5, sinmao = p[D2], p[D3], p[D4], p[CC5], p[SINMAO]
    t3cof, t4cof, t5cof = p[T3COF], p[T4COF], p[T5COF]
    bad_no = no <= 0.0
    for j in range(nb):
        tj = t[np.uint64(j)]
        xmdf = mo + mdot * tj
        argpdf = argpo + argpdot * tj
        t2 = tj * tj
        nodem = nodeo + nodedot * tj + nodecf * t2
        # The drag terms of the full model (isimp 0); element sets with perigee under
        # 220 km (isimp 1) select the simple ones below.
        sx, cx = _sincos(_fmod_2pi(xmdf))
        delmtemp = 1.0 + eta * cx
        temp = omgcof * tj + xmcof * (delmtemp * delmtemp * delmtemp - delmo)
        mm_full = xmdf + temp
        t3 = t2 * tj
        t4 = t3 * tj
        smm, _ = _sincos(_fmod_2pi(mm_full))
        tempa = 1.0 - cc1 * tj
        tempe = bstar * cc4 * tj
        templ = t2cof * t2
        mm = xmdf if simple else mm_full
        argpm = argpdf if simple else argpdf - temp
        tempa = tempa if simple else tempa - d2 * t2 - d3 * t3 - d4 * t4
        tempe = tempe if simple else tempe + bstar * cc5 * (smm - sinmao)
        templ = templ if simple else templ + t3cof * t3 + t4 * (t4cof + tj * t5cof)
        am = a0 * tempa * tempa
        nm = xke / (am * _sqrt(am))
        em = ecco - tempe
        code = 1 if ((em >= 1.0) | (em < -0.001)) else 0
        em = em if em >= 1.0e-6 else 1.0e-6
        mm = mm + no * templ
        xlm = _fmod_2pi(mm + argpm + nodem)
        nodem = _fmod_2pi(nodem)
        argpm = _fmod_2pi(argpm)
        mm = _fmod_2pi(xlm - argpm - nodem)
        sa, ca = _sincos(argpm)
        axnl = em * ca
        temp = 1.0 / (am * (1.0 - em * em))
        aynl = em * sa + temp * aycof
        xl = mm + argpm + nodem + temp * xlcof * axnl
        u = _fmod_2pi(xl - nodem)

        eo1, sineo1, coseo1 = u, 0.0, 1.0
        act = 1.0 if code == 0 else 0.0
        eo1, sineo1, coseo1, act = _kepler_step(u, axnl, aynl, eo1, sineo1, coseo1, act)
        eo1, sineo1, coseo1, act = _kepler_step(u, axnl, aynl, eo1, sineo1, coseo1, act)
        eo1, sineo1, coseo1, act = _kepler_step(u, axnl, aynl, eo1, sineo1, coseo1, act)
        eo1, sineo1, coseo1, act = _kepler_step(u, axnl, aynl, eo1, sineo1, coseo1, act)
        eo1, sineo1, coseo1, act = _kepler_step(u, axnl, aynl, eo1, sineo1, coseo1, act)
        eo1, sineo1, coseo1, act = _kepler_step(u, axnl, aynl, eo1, sineo1, coseo1, act)
        eo1, sineo1, coseo1, act = _kepler_step(u, axnl, aynl, eo1, sineo1, coseo1, act)
        eo1, sineo1, coseo1, act = _kepler_step(u, axnl, aynl, eo1, sineo1, coseo1, act)
        eo1, sineo1, coseo1, act = _kepler_step(u, axnl, aynl, eo1, sineo1, coseo1, act)
        eo1, sineo1, coseo1, act = _kepler_step(u, axnl, aynl, eo1, sineo1, coseo1, act)

        ecose = axnl * coseo1 + aynl * sineo1
        esine = axnl * sineo1 - aynl * coseo1
        el2 = axnl * axnl + aynl * aynl
        pl = am * (1.0 - el2)
        code = 4 if ((code == 0) & (pl < 0.0)) else code
        rl = am * (1.0 - ecose)
        rdotl = _sqrt(am) * esine / rl
        rvdotl = _sqrt(pl) / rl
        betal = _sqrt(1.0 - el2)
        temp = esine / (1.0 + betal)
        sinu = am / rl * (sineo1 - aynl - axnl * temp)
        cosu = am / rl * (coseo1 - axnl + aynl * temp)
        sin2u = (cosu + cosu) * sinu
        cos2u = 1.0 - 2.0 * sinu * sinu
        temp = 1.0 / pl
        temp1 = 0.5 * j2 * temp
        temp2 = temp1 * temp
        mrt = rl * (1.0 - 1.5 * temp2 * betal * con41) + 0.5 * temp1 * x1mth2 * cos2u
        # su = atan2(sinu, cosu) - 0.25 temp2 x7thm1 sin2u, by the angle-sum formula
        h = 1.0 / _sqrt(sinu * sinu + cosu * cosu)
        sd, cd = _sincos(-0.25 * temp2 * x7thm1 * sin2u)
        sinsu = (sinu * cd + cosu * sd) * h
        cossu = (cosu * cd - sinu * sd) * h
        xnode = nodem + 1.5 * temp2 * cosip * sin2u
        xinc = inclo + 1.5 * temp2 * cosip * sinip * cos2u
        mvt = rdotl - nm * temp1 * x1mth2 * sin2u / xke
        rvdot = rvdotl + nm * temp1 * (x1mth2 * cos2u + 1.5 * con41) / xke
        snod, cnod = _sincos(xnode)
        sini, cosi = _sincos(xinc)
        xmx = -snod * cosi
        xmy = cnod * cosi
        ux = xmx * sinsu + cnod * cossu
        uy = xmy * sinsu + snod * cossu
        uz = sini * sinsu
        vx = xmx * cossu - cnod * sinsu
        vy = xmy * cossu - snod * sinsu
        vz = sini * cossu
        mr = mrt * radius
        code = 6 if ((code == 0) & (mrt < 1.0)) else code
        code = 2 if bad_no else code
        fill = math.nan if ((code != 0) & (code != 6)) else 0.0
        out[np.uint64(8 * j + 0)] = mr * ux + fill
        out[np.uint64(8 * j + 1)] = mr * uy + fill
        out[np.uint64(8 * j + 2)] = mr * uz + fill
        out[np.uint64(8 * j + 3)] = (mvt * ux + rvdot * vx) * vkmpersec + fill
        out[np.uint64(8 * j + 4)] = (mvt * uy + rvdot * vy) * vkmpersec + fill
        out[np.uint64(8 * j + 5)] = (mvt * uz + rvdot * vz) * vkmpersec + fill
        out[np.uint64(8 * j + 6)] = code
        out[np.uint64(8 * j + 7)] = 0.0
