"""SDP4's deep-space initialization, compiled (numba): the lunar-solar common terms
(``dscom``) and the secular rates and 12 h / 24 h resonance terms (``dsinit``), a
line-by-line port of Vallado's code as python-sgp4 (MIT licence) carries it in
``sgp4/propagation.py``, writing into a packed parameter row laid out by
:mod:`spacerange.propagation.sgp4_fields`.  Called by
:func:`spacerange.propagation.sgp4_init._sgp4init_row`; the propagation-time
counterparts (``dpper``, ``dspace``) are in :mod:`spacerange.propagation.sgp4_deep_space`.

Python's semantics are kept where python-sgp4's differ from the C++ (``%`` is floored,
:func:`_pymod`), so the rows are bit-identical to python-sgp4's pure-Python ones.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from spacerange.propagation.sgp4_fields import (
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
    ECCO,
    EE2,
    GSTO,
    IREZ,
    MDOT,
    MO,
    NO_UNKOZAI,
    NODEDOT,
    NODEO,
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

_X2O3 = 2.0 / 3.0


@njit(cache=True, fastmath=False, inline="always")
def _pymod(x, y):
    """Python's float ``x % y`` (floored: the sign of ``y``), which python-sgp4 uses where
    the C++ uses ``fmod``; CPython's own algorithm, so the result is the same double."""
    mod = np.fmod(x, y)
    if mod != 0.0:
        if (y < 0.0) != (mod < 0.0):
            mod += y
    else:
        mod = math.copysign(0.0, y)
    return mod


@njit(cache=True, fastmath=False)
def _dscom(p, epoch, ep, argpp, tc, inclp, nodep, np_):
    """Deep-space common terms (``dscom``): writes the lunar-solar periodic coefficients
    (``e3`` ... ``zmos``) into row ``p`` and returns the quantities ``dsinit`` needs.
    ``epoch`` in days since 1950 Jan 0.0 UT, ``tc`` in minutes since it, ``np_`` (mean
    motion) in rad/min, angles in rad."""
    zes = 0.01675
    zel = 0.05490
    c1ss = 2.9864797e-6
    c1l = 4.7968065e-7
    zsinis = 0.39785416
    zcosis = 0.91744867
    zcosgs = 0.1945905
    zsings = -0.98088458

    nm = np_
    em = ep
    snodm = math.sin(nodep)
    cnodm = math.cos(nodep)
    sinomm = math.sin(argpp)
    cosomm = math.cos(argpp)
    sinim = math.sin(inclp)
    cosim = math.cos(inclp)
    emsq = em * em
    betasq = 1.0 - emsq
    rtemsq = math.sqrt(betasq)

    # peo, pinco, plo, pgho, pho stay 0.0 (the row starts zeroed)
    day = epoch + 18261.5 + tc / 1440.0
    xnodce = _pymod(4.5236020 - 9.2422029e-4 * day, TWOPI)
    stem = math.sin(xnodce)
    ctem = math.cos(xnodce)
    zcosil = 0.91375164 - 0.03568096 * ctem
    zsinil = math.sqrt(1.0 - zcosil * zcosil)
    zsinhl = 0.089683511 * stem / zsinil
    zcoshl = math.sqrt(1.0 - zsinhl * zsinhl)
    gam = 5.8351514 + 0.0019443680 * day
    zx = 0.39785416 * stem / zsinil
    zy = zcoshl * ctem + 0.91744867 * zsinhl * stem
    zx = math.atan2(zx, zy)
    zx = gam + zx - xnodce
    zcosgl = math.cos(zx)
    zsingl = math.sin(zx)

    # solar terms first (lsflg 1), then lunar (lsflg 2); the solar set is kept as ss*/sz*
    zcosg = zcosgs
    zsing = zsings
    zcosi = zcosis
    zsini = zsinis
    zcosh = cnodm
    zsinh = snodm
    cc = c1ss
    xnoi = 1.0 / nm
    ss1 = ss2 = ss3 = ss4 = ss5 = ss6 = ss7 = 0.0
    sz1 = sz2 = sz3 = sz11 = sz12 = sz13 = sz21 = sz22 = sz23 = sz31 = sz32 = sz33 = 0.0
    s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0
    z1 = z2 = z3 = z11 = z12 = z13 = z21 = z22 = z23 = z31 = z32 = z33 = 0.0
    for lsflg in range(1, 3):
        a1 = zcosg * zcosh + zsing * zcosi * zsinh
        a3 = -zsing * zcosh + zcosg * zcosi * zsinh
        a7 = -zcosg * zsinh + zsing * zcosi * zcosh
        a8 = zsing * zsini
        a9 = zsing * zsinh + zcosg * zcosi * zcosh
        a10 = zcosg * zsini
        a2 = cosim * a7 + sinim * a8
        a4 = cosim * a9 + sinim * a10
        a5 = -sinim * a7 + cosim * a8
        a6 = -sinim * a9 + cosim * a10

        x1 = a1 * cosomm + a2 * sinomm
        x2 = a3 * cosomm + a4 * sinomm
        x3 = -a1 * sinomm + a2 * cosomm
        x4 = -a3 * sinomm + a4 * cosomm
        x5 = a5 * sinomm
        x6 = a6 * sinomm
        x7 = a5 * cosomm
        x8 = a6 * cosomm

        z31 = 12.0 * x1 * x1 - 3.0 * x3 * x3
        z32 = 24.0 * x1 * x2 - 6.0 * x3 * x4
        z33 = 12.0 * x2 * x2 - 3.0 * x4 * x4
        z1 = 3.0 * (a1 * a1 + a2 * a2) + z31 * emsq
        z2 = 6.0 * (a1 * a3 + a2 * a4) + z32 * emsq
        z3 = 3.0 * (a3 * a3 + a4 * a4) + z33 * emsq
        z11 = -6.0 * a1 * a5 + emsq * (-24.0 * x1 * x7 - 6.0 * x3 * x5)
        z12 = -6.0 * (a1 * a6 + a3 * a5) + emsq * (
            -24.0 * (x2 * x7 + x1 * x8) - 6.0 * (x3 * x6 + x4 * x5)
        )
        z13 = -6.0 * a3 * a6 + emsq * (-24.0 * x2 * x8 - 6.0 * x4 * x6)
        z21 = 6.0 * a2 * a5 + emsq * (24.0 * x1 * x5 - 6.0 * x3 * x7)
        z22 = 6.0 * (a4 * a5 + a2 * a6) + emsq * (
            24.0 * (x2 * x5 + x1 * x6) - 6.0 * (x4 * x7 + x3 * x8)
        )
        z23 = 6.0 * a4 * a6 + emsq * (24.0 * x2 * x6 - 6.0 * x4 * x8)
        z1 = z1 + z1 + betasq * z31
        z2 = z2 + z2 + betasq * z32
        z3 = z3 + z3 + betasq * z33
        s3 = cc * xnoi
        s2 = -0.5 * s3 / rtemsq
        s4 = s3 * rtemsq
        s1 = -15.0 * em * s4
        s5 = x1 * x3 + x2 * x4
        s6 = x2 * x3 + x1 * x4
        s7 = x2 * x4 - x1 * x3

        if lsflg == 1:
            ss1 = s1
            ss2 = s2
            ss3 = s3
            ss4 = s4
            ss5 = s5
            ss6 = s6
            ss7 = s7
            sz1 = z1
            sz2 = z2
            sz3 = z3
            sz11 = z11
            sz12 = z12
            sz13 = z13
            sz21 = z21
            sz22 = z22
            sz23 = z23
            sz31 = z31
            sz32 = z32
            sz33 = z33
            zcosg = zcosgl
            zsing = zsingl
            zcosi = zcosil
            zsini = zsinil
            zcosh = zcoshl * cnodm + zsinhl * snodm
            zsinh = snodm * zcoshl - cnodm * zsinhl
            cc = c1l

    p[ZMOL] = _pymod(4.7199672 + 0.22997150 * day - gam, TWOPI)
    p[ZMOS] = _pymod(6.2565837 + 0.017201977 * day, TWOPI)

    # solar terms
    p[SE2] = 2.0 * ss1 * ss6
    p[SE3] = 2.0 * ss1 * ss7
    p[SI2] = 2.0 * ss2 * sz12
    p[SI3] = 2.0 * ss2 * (sz13 - sz11)
    p[SL2] = -2.0 * ss3 * sz2
    p[SL3] = -2.0 * ss3 * (sz3 - sz1)
    p[SL4] = -2.0 * ss3 * (-21.0 - 9.0 * emsq) * zes
    p[SGH2] = 2.0 * ss4 * sz32
    p[SGH3] = 2.0 * ss4 * (sz33 - sz31)
    p[SGH4] = -18.0 * ss4 * zes
    p[SH2] = -2.0 * ss2 * sz22
    p[SH3] = -2.0 * ss2 * (sz23 - sz21)

    # lunar terms
    p[EE2] = 2.0 * s1 * s6
    p[E3] = 2.0 * s1 * s7
    p[XI2] = 2.0 * s2 * z12
    p[XI3] = 2.0 * s2 * (z13 - z11)
    p[XL2] = -2.0 * s3 * z2
    p[XL3] = -2.0 * s3 * (z3 - z1)
    p[XL4] = -2.0 * s3 * (-21.0 - 9.0 * emsq) * zel
    p[XGH2] = 2.0 * s4 * z32
    p[XGH3] = 2.0 * s4 * (z33 - z31)
    p[XGH4] = -18.0 * s4 * zel
    p[XH2] = -2.0 * s2 * z22
    p[XH3] = -2.0 * s2 * (z23 - z21)

    return (
        (sinim, cosim, em, emsq, nm),
        (s1, s2, s3, s4, s5, ss1, ss2, ss3, ss4, ss5),
        (sz1, sz3, sz11, sz13, sz21, sz23, sz31, sz33),
        (z1, z3, z11, z13, z21, z23, z31, z33),
    )


@njit(cache=True, fastmath=False)
def _dsinit(p, xke, common, s, sz, z, eccsq, inclm, tc, xpidot):
    """Deep-space secular rates and the 12 h / 24 h resonance terms (``dsinit``) into
    row ``p``.  The mean elements at t = 0 that ``dsinit`` also returns are left out:
    ``sgp4init`` discards them."""
    q22 = 1.7891679e-6
    q31 = 2.1460748e-6
    q33 = 2.2123015e-7
    root22 = 1.7891679e-6
    root44 = 7.3636953e-9
    root54 = 2.1765803e-9
    rptim = 4.37526908801129966e-3  # 7.29211514668855e-5 rad/s
    root32 = 3.7393792e-7
    root52 = 1.1428639e-7
    znl = 1.5835218e-4
    zns = 1.19459e-5
    sinim, cosim, em, emsq, nm = common
    s1, s2, s3, s4, s5, ss1, ss2, ss3, ss4, ss5 = s
    sz1, sz3, sz11, sz13, sz21, sz23, sz31, sz33 = sz
    z1, z3, z11, z13, z21, z23, z31, z33 = z
    ecco = p[ECCO]
    mo = p[MO]
    nodeo = p[NODEO]
    argpo = p[ARGPO]
    mdot = p[MDOT]
    nodedot = p[NODEDOT]
    no = p[NO_UNKOZAI]

    irez = 0
    if 0.0034906585 < nm < 0.0052359877:
        irez = 1
    if 8.26e-3 <= nm <= 9.24e-3 and em >= 0.5:
        irez = 2

    # solar terms
    ses = ss1 * zns * ss5
    sis = ss2 * zns * (sz11 + sz13)
    sls = -zns * ss3 * (sz1 + sz3 - 14.0 - 6.0 * emsq)
    sghs = ss4 * zns * (sz31 + sz33 - 6.0)
    shs = -zns * ss2 * (sz21 + sz23)
    if inclm < 5.2359877e-2 or inclm > math.pi - 5.2359877e-2:
        shs = 0.0  # sgp4fix for 180 deg incl
    if sinim != 0.0:
        shs = shs / sinim
    sgs = sghs - cosim * shs

    # lunar terms
    dedt = ses + s1 * znl * s5
    didt = sis + s2 * znl * (z11 + z13)
    dmdt = sls - znl * s3 * (z1 + z3 - 14.0 - 6.0 * emsq)
    sghl = s4 * znl * (z31 + z33 - 6.0)
    shll = -znl * s2 * (z21 + z23)
    if inclm < 5.2359877e-2 or inclm > math.pi - 5.2359877e-2:
        shll = 0.0
    domdt = sgs + sghl
    dnodt = shs
    if sinim != 0.0:
        domdt = domdt - cosim / sinim * shll
        dnodt = dnodt + shll / sinim
    p[IREZ] = irez
    p[DEDT] = dedt
    p[DIDT] = didt
    p[DMDT] = dmdt
    p[DNODT] = dnodt
    p[DOMDT] = domdt

    theta = _pymod(p[GSTO] + tc * rptim, TWOPI)
    if irez != 0:
        aonv = (nm / xke) ** _X2O3
        if irez == 2:  # geopotential resonance for 12-hour orbits
            cosisq = cosim * cosim
            em = ecco
            emsq = eccsq
            eoc = em * emsq
            g201 = -0.306 - (em - 0.64) * 0.440
            if em <= 0.65:
                g211 = 3.616 - 13.2470 * em + 16.2900 * emsq
                g310 = -19.302 + 117.3900 * em - 228.4190 * emsq + 156.5910 * eoc
                g322 = -18.9068 + 109.7927 * em - 214.6334 * emsq + 146.5816 * eoc
                g410 = -41.122 + 242.6940 * em - 471.0940 * emsq + 313.9530 * eoc
                g422 = -146.407 + 841.8800 * em - 1629.014 * emsq + 1083.4350 * eoc
                g520 = -532.114 + 3017.977 * em - 5740.032 * emsq + 3708.2760 * eoc
            else:
                g211 = -72.099 + 331.819 * em - 508.738 * emsq + 266.724 * eoc
                g310 = -346.844 + 1582.851 * em - 2415.925 * emsq + 1246.113 * eoc
                g322 = -342.585 + 1554.908 * em - 2366.899 * emsq + 1215.972 * eoc
                g410 = -1052.797 + 4758.686 * em - 7193.992 * emsq + 3651.957 * eoc
                g422 = -3581.690 + 16178.110 * em - 24462.770 * emsq + 12422.520 * eoc
                if em > 0.715:
                    g520 = -5149.66 + 29936.92 * em - 54087.36 * emsq + 31324.56 * eoc
                else:
                    g520 = 1464.74 - 4664.75 * em + 3763.64 * emsq
            if em < 0.7:
                g533 = -919.22770 + 4988.6100 * em - 9064.7700 * emsq + 5542.21 * eoc
                g521 = -822.71072 + 4568.6173 * em - 8491.4146 * emsq + 5337.524 * eoc
                g532 = -853.66600 + 4690.2500 * em - 8624.7700 * emsq + 5341.4 * eoc
            else:
                g533 = -37995.780 + 161616.52 * em - 229838.20 * emsq + 109377.94 * eoc
                g521 = -51752.104 + 218913.95 * em - 309468.16 * emsq + 146349.42 * eoc
                g532 = -40023.880 + 170470.89 * em - 242699.48 * emsq + 115605.82 * eoc

            sini2 = sinim * sinim
            f220 = 0.75 * (1.0 + 2.0 * cosim + cosisq)
            f221 = 1.5 * sini2
            f321 = 1.875 * sinim * (1.0 - 2.0 * cosim - 3.0 * cosisq)
            f322 = -1.875 * sinim * (1.0 + 2.0 * cosim - 3.0 * cosisq)
            f441 = 35.0 * sini2 * f220
            f442 = 39.3750 * sini2 * sini2
            f522 = (
                9.84375
                * sinim
                * (
                    sini2 * (1.0 - 2.0 * cosim - 5.0 * cosisq)
                    + 0.33333333 * (-2.0 + 4.0 * cosim + 6.0 * cosisq)
                )
            )
            f523 = sinim * (
                4.92187512 * sini2 * (-2.0 - 4.0 * cosim + 10.0 * cosisq)
                + 6.56250012 * (1.0 + 2.0 * cosim - 3.0 * cosisq)
            )
            f542 = (
                29.53125
                * sinim
                * (2.0 - 8.0 * cosim + cosisq * (-12.0 + 8.0 * cosim + 10.0 * cosisq))
            )
            f543 = (
                29.53125
                * sinim
                * (-2.0 - 8.0 * cosim + cosisq * (12.0 + 8.0 * cosim - 10.0 * cosisq))
            )
            xno2 = nm * nm
            ainv2 = aonv * aonv
            temp1 = 3.0 * xno2 * ainv2
            temp = temp1 * root22
            p[D2201] = temp * f220 * g201
            p[D2211] = temp * f221 * g211
            temp1 = temp1 * aonv
            temp = temp1 * root32
            p[D3210] = temp * f321 * g310
            p[D3222] = temp * f322 * g322
            temp1 = temp1 * aonv
            temp = 2.0 * temp1 * root44
            p[D4410] = temp * f441 * g410
            p[D4422] = temp * f442 * g422
            temp1 = temp1 * aonv
            temp = temp1 * root52
            p[D5220] = temp * f522 * g520
            p[D5232] = temp * f523 * g532
            temp = 2.0 * temp1 * root54
            p[D5421] = temp * f542 * g521
            p[D5433] = temp * f543 * g533
            p[XLAMO] = _pymod(mo + nodeo + nodeo - theta - theta, TWOPI)
            p[XFACT] = mdot + dmdt + 2.0 * (nodedot + dnodt - rptim) - no
        if irez == 1:  # synchronous resonance terms
            g200 = 1.0 + emsq * (-2.5 + 0.8125 * emsq)
            g310 = 1.0 + 2.0 * emsq
            g300 = 1.0 + emsq * (-6.0 + 6.60937 * emsq)
            f220 = 0.75 * (1.0 + cosim) * (1.0 + cosim)
            f311 = 0.9375 * sinim * sinim * (1.0 + 3.0 * cosim) - 0.75 * (1.0 + cosim)
            f330 = 1.0 + cosim
            f330 = 1.875 * f330 * f330 * f330
            del1 = 3.0 * nm * nm * aonv * aonv
            p[DEL2] = 2.0 * del1 * f220 * g200 * q22
            p[DEL3] = 3.0 * del1 * f330 * g300 * q33 * aonv
            p[DEL1] = del1 * f311 * g310 * q31 * aonv
            p[XLAMO] = _pymod(mo + nodeo + argpo - theta, TWOPI)
            p[XFACT] = mdot + xpidot - rptim + dmdt + domdt + dnodt - no
