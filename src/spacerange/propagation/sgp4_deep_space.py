"""SDP4's deep-space terms, compiled (numba): the lunar-solar periodics (``dpper``) and the
secular and resonance terms with the 12 h / 24 h resonance integration (``dspace``), a
line-by-line port of Vallado's code as python-sgp4 carries it (``sgp4/propagation.py``).
Called by :func:`spacerange.propagation.sgp4_numba._sgp4_one` on the packed parameter
rows laid out by :mod:`spacerange.propagation.sgp4_fields`."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from spacerange.propagation.sgp4_fields import (
    AFSPC,
    ARGPDOT,
    ARGPO,
    D2201,
    D2211,
    D3210,
    D3222,
    D4410,
    D4422,
    D5220,
    D5232,
    D5421,
    D5433,
    DEDT,
    DEL1,
    DEL2,
    DEL3,
    DIDT,
    DMDT,
    DNODT,
    DOMDT,
    E3,
    EE2,
    GSTO,
    IREZ,
    NO_UNKOZAI,
    PEO,
    PGHO,
    PHO,
    PINCO,
    PLO,
    SE2,
    SE3,
    SGH2,
    SGH3,
    SGH4,
    SH2,
    SH3,
    SI2,
    SI3,
    SL2,
    SL3,
    SL4,
    TWOPI,
    XFACT,
    XGH2,
    XGH3,
    XGH4,
    XH2,
    XH3,
    XI2,
    XI3,
    XL2,
    XL3,
    XL4,
    XLAMO,
    ZMOL,
    ZMOS,
)


@njit(cache=True, fastmath=False, inline="always")
def _dpper(p, t, ep, inclp, nodep, argpp, mp):
    """Lunar-solar periodics (``dpper`` with init 'n')."""
    zns = 1.19459e-5
    zes = 0.01675
    znl = 1.5835218e-4
    zel = 0.05490
    zm = p[ZMOS] + zns * t
    zf = zm + 2.0 * zes * math.sin(zm)
    sinzf = math.sin(zf)
    f2 = 0.5 * sinzf * sinzf - 0.25
    f3 = -0.5 * sinzf * math.cos(zf)
    ses = p[SE2] * f2 + p[SE3] * f3
    sis = p[SI2] * f2 + p[SI3] * f3
    sls = p[SL2] * f2 + p[SL3] * f3 + p[SL4] * sinzf
    sghs = p[SGH2] * f2 + p[SGH3] * f3 + p[SGH4] * sinzf
    shs = p[SH2] * f2 + p[SH3] * f3
    zm = p[ZMOL] + znl * t
    zf = zm + 2.0 * zel * math.sin(zm)
    sinzf = math.sin(zf)
    f2 = 0.5 * sinzf * sinzf - 0.25
    f3 = -0.5 * sinzf * math.cos(zf)
    sel = p[EE2] * f2 + p[E3] * f3
    sil = p[XI2] * f2 + p[XI3] * f3
    sll = p[XL2] * f2 + p[XL3] * f3 + p[XL4] * sinzf
    sghl = p[XGH2] * f2 + p[XGH3] * f3 + p[XGH4] * sinzf
    shll = p[XH2] * f2 + p[XH3] * f3
    pe = ses + sel
    pinc = sis + sil
    pl = sls + sll
    pgh = sghs + sghl
    ph = shs + shll

    pe = pe - p[PEO]
    pinc = pinc - p[PINCO]
    pl = pl - p[PLO]
    pgh = pgh - p[PGHO]
    ph = ph - p[PHO]
    inclp = inclp + pinc
    ep = ep + pe
    sinip = math.sin(inclp)
    cosip = math.cos(inclp)
    # gsfc version: perturbed inclination decides the Lyddane choice
    if inclp >= 0.2:
        ph = ph / sinip
        pgh = pgh - cosip * ph
        argpp = argpp + pgh
        nodep = nodep + ph
        mp = mp + pl
    else:
        sinop = math.sin(nodep)
        cosop = math.cos(nodep)
        alfdp = sinip * sinop
        betdp = sinip * cosop
        dalf = ph * cosop + pinc * cosip * sinop
        dbet = -ph * sinop + pinc * cosip * cosop
        alfdp = alfdp + dalf
        betdp = betdp + dbet
        nodep = np.fmod(nodep, TWOPI)
        if nodep < 0.0 and p[AFSPC] != 0.0:
            nodep = nodep + TWOPI
        xls = mp + argpp + pl + pgh + (cosip - pinc * sinip) * nodep
        xnoh = nodep
        nodep = math.atan2(alfdp, betdp)
        if nodep < 0.0 and p[AFSPC] != 0.0:
            nodep = nodep + TWOPI
        if math.fabs(xnoh - nodep) > math.pi:
            if nodep < xnoh:
                nodep = nodep + TWOPI
            else:
                nodep = nodep - TWOPI
        mp = mp + pl
        argpp = xls - mp - cosip * nodep
    return ep, inclp, nodep, argpp, mp


@njit(cache=True, fastmath=False, inline="always")
def _dspace(p, t, em, argpm, inclm, mm, nodem, nm, state):
    """Deep-space secular effects and resonance integration (``dspace``).

    ``state`` holds the integrator's ``atime, xli, xni`` between calls (updated in place)."""
    fasx2 = 0.13130908
    fasx4 = 2.8843198
    fasx6 = 0.37448087
    g22 = 5.7686396
    g32 = 0.95240898
    g44 = 1.8014998
    g52 = 1.0508330
    g54 = 4.4108898
    rptim = 4.37526908801129966e-3
    stepp = 720.0
    stepn = -720.0
    step2 = 259200.0

    irez = int(p[IREZ])
    no = p[NO_UNKOZAI]
    theta = np.fmod(p[GSTO] + t * rptim, TWOPI)
    em = em + p[DEDT] * t
    inclm = inclm + p[DIDT] * t
    argpm = argpm + p[DOMDT] * t
    nodem = nodem + p[DNODT] * t
    mm = mm + p[DMDT] * t

    ft = 0.0
    if irez != 0:
        atime = state[0]
        xli = state[1]
        xni = state[2]
        if atime == 0.0 or t * atime <= 0.0 or math.fabs(t) < math.fabs(atime):
            atime = 0.0
            xni = no
            xli = p[XLAMO]
        delt = stepp if t > 0.0 else stepn
        xfact = p[XFACT]
        d2201 = p[D2201]
        d2211 = p[D2211]
        d3210 = p[D3210]
        d3222 = p[D3222]
        d4410 = p[D4410]
        d4422 = p[D4422]
        d5220 = p[D5220]
        d5232 = p[D5232]
        d5421 = p[D5421]
        d5433 = p[D5433]
        del1 = p[DEL1]
        del2 = p[DEL2]
        del3 = p[DEL3]
        argpo = p[ARGPO]
        argpdot = p[ARGPDOT]
        xndt = 0.0
        xldot = 0.0
        xnddt = 0.0
        while True:
            if irez != 2:
                xndt = (
                    del1 * math.sin(xli - fasx2)
                    + del2 * math.sin(2.0 * (xli - fasx4))
                    + del3 * math.sin(3.0 * (xli - fasx6))
                )
                xldot = xni + xfact
                xnddt = (
                    del1 * math.cos(xli - fasx2)
                    + 2.0 * del2 * math.cos(2.0 * (xli - fasx4))
                    + 3.0 * del3 * math.cos(3.0 * (xli - fasx6))
                )
                xnddt = xnddt * xldot
            else:
                xomi = argpo + argpdot * atime
                x2omi = xomi + xomi
                x2li = xli + xli
                xndt = (
                    d2201 * math.sin(x2omi + xli - g22)
                    + d2211 * math.sin(xli - g22)
                    + d3210 * math.sin(xomi + xli - g32)
                    + d3222 * math.sin(-xomi + xli - g32)
                    + d4410 * math.sin(x2omi + x2li - g44)
                    + d4422 * math.sin(x2li - g44)
                    + d5220 * math.sin(xomi + xli - g52)
                    + d5232 * math.sin(-xomi + xli - g52)
                    + d5421 * math.sin(xomi + x2li - g54)
                    + d5433 * math.sin(-xomi + x2li - g54)
                )
                xldot = xni + xfact
                xnddt = (
                    d2201 * math.cos(x2omi + xli - g22)
                    + d2211 * math.cos(xli - g22)
                    + d3210 * math.cos(xomi + xli - g32)
                    + d3222 * math.cos(-xomi + xli - g32)
                    + d5220 * math.cos(xomi + xli - g52)
                    + d5232 * math.cos(-xomi + xli - g52)
                    + 2.0
                    * (
                        d4410 * math.cos(x2omi + x2li - g44)
                        + d4422 * math.cos(x2li - g44)
                        + d5421 * math.cos(xomi + x2li - g54)
                        + d5433 * math.cos(-xomi + x2li - g54)
                    )
                )
                xnddt = xnddt * xldot
            if math.fabs(t - atime) >= stepp:
                xli = xli + xldot * delt + xndt * step2
                xni = xni + xndt * delt + xnddt * step2
                atime = atime + delt
            else:
                ft = t - atime
                break
        state[0] = atime
        state[1] = xli
        state[2] = xni
        nm = xni + xndt * ft + xnddt * ft * ft * 0.5
        xl = xli + xldot * ft + xndt * ft * ft * 0.5
        if irez != 1:
            mm = xl - 2.0 * nodem + 2.0 * theta
        else:
            mm = xl - nodem - argpm + theta
        dndt = nm - no
        nm = no + dndt
    return em, argpm, inclm, mm, nodem, nm
