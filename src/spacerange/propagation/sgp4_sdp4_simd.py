"""Deep-space SGP4 (SDP4) vectorized across times, for the compiled engine.

The companion of :mod:`spacerange.propagation.sgp4_simd` for element sets with periods of
225 min and more: Vallado's ``dspace`` (secular rates and the 12 h / 24 h resonance
integrator) and ``dpper`` (lunar-solar periodics, with the Lyddane form below 0.2 rad of
inclination), then the same SGP4 core, for a block of times of one object in one loop
without calls or branches, so that the compiler vectorizes it.

* The resonance integrator is sequential (720-minute Euler-Maclaurin steps from epoch, its
  state carried from one time to the next with Vallado's restart rule).  A scalar pre-pass
  (:func:`resonance_prepass`) walks the block's times in order and records, per time, the
  integrator's state and its derivatives; the derivatives are computed with the C
  library's ``sin``/``cos`` only when the state changes (a step, a restart), not at every
  time as Vallado's loop does, which gives the same numbers (they are a function of the
  state) at a fraction of the cost.  The vector loop then evaluates the Taylor terms.
* Both branches of ``dpper``'s Lyddane choice are evaluated and the one the perturbed
  inclination calls for is selected, with our own branch-free ``atan2`` (:func:`_atan2`,
  fdlibm's reduction and polynomial, within 2 ulp of the C library).
* Where the resonance changes the mean motion, ``(xke/n)^(2/3)`` is Newton's cube root
  started from its value at epoch (five iterations, to the last bit or two).

Error codes as python-sgp4: 1 (mean eccentricity), 2 (mean motion), 3 (perturbed
eccentricity), 4 (semi-latus rectum) with NaN states, 6 (decayed) with the state kept.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from spacerange.propagation.sgp4_fields import (
    AFSPC,
    ARGPDOT,
    ARGPO,
    BSTAR,
    CC1,
    CC4,
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
    INCLO,
    IREZ,
    J2,
    J3OJ2,
    MDOT,
    MO,
    NO_UNKOZAI,
    NODECF,
    NODEDOT,
    NODEO,
    PEO,
    PGHO,
    PHO,
    PINCO,
    PLO,
    RADIUSEARTHKM,
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
    T2COF,
    XFACT,
    XGH2,
    XGH3,
    XGH4,
    XH2,
    XH3,
    XI2,
    XI3,
    XKE,
    XL2,
    XL3,
    XL4,
    XLAMO,
    ZMOL,
    ZMOS,
)
from spacerange.propagation.sgp4_simd import _fmod_2pi, _kepler_step, _sincos, _sqrt

_TWOPI = 2.0 * math.pi
_PI_LO = 1.2246467991473531772e-16  # pi - float(pi)
#: Values per time recorded by :func:`resonance_prepass`: atime, xli, xni, xndt, xldot, xnddt.
RES_WIDTH = 6
#: Integrator state kept between blocks: atime, xli, xni, derivatives valid, xndt, xldot,
#: xnddt.
STATE_WIDTH = 7

# fdlibm s_atan.c: atan of the interval anchors 0.5, 1, 1.5, inf (high and low parts) and
# the odd polynomial on |x| < 7/16.
_ATANHI = (4.63647609000806093515e-01, 7.85398163397448278999e-01,
           9.82793723247329054082e-01, 1.57079632679489655800e00)  # fmt: skip
_ATANLO = (2.26987774529616870924e-17, 3.06161699786838301793e-17,
           1.39033110312309984516e-17, 6.12323399573676603587e-17)  # fmt: skip
_AT0, _AT1, _AT2, _AT3 = (3.33333333333329318027e-01, -1.99999999998764832476e-01,
                          1.42857142725034663711e-01, -1.11111104054623557880e-01)  # fmt: skip
_AT4, _AT5, _AT6, _AT7 = (9.09088713343650656196e-02, -7.69187620504482999495e-02,
                          6.66107313738753120669e-02, -5.83357013379057348645e-02)  # fmt: skip
_AT8, _AT9, _AT10 = 4.97687799461593236017e-02, -3.65315727442169155270e-02, 1.62858201153657823623e-02  # fmt: skip


@njit(cache=True, fastmath=False, error_model="numpy", inline="always")
def _atan_pos(z):
    """``atan(z)`` for ``z >= 0`` (``inf`` included), fdlibm's algorithm without branches."""
    id0 = z >= 0.4375
    id1 = z >= 0.6875
    id2 = z >= 1.1875
    id3 = z >= 2.4375
    num = z
    den = 1.0
    num = 2.0 * z - 1.0 if id0 else num
    den = 2.0 + z if id0 else den
    num = z - 1.0 if id1 else num
    den = z + 1.0 if id1 else den
    num = z - 1.5 if id2 else num
    den = 1.0 + 1.5 * z if id2 else den
    num = -1.0 if id3 else num
    den = z if id3 else den
    hi = _ATANHI[3] if id3 else (_ATANHI[2] if id2 else (_ATANHI[1] if id1 else _ATANHI[0]))
    lo = _ATANLO[3] if id3 else (_ATANLO[2] if id2 else (_ATANLO[1] if id1 else _ATANLO[0]))
    x = num / den
    zz = x * x
    w = zz * zz
    s1 = zz * (_AT0 + w * (_AT2 + w * (_AT4 + w * (_AT6 + w * (_AT8 + w * _AT10)))))
    s2 = w * (_AT1 + w * (_AT3 + w * (_AT5 + w * (_AT7 + w * _AT9))))
    small = x - x * (s1 + s2)
    big = hi - ((x * (s1 + s2) - lo) - x)
    return big if id0 else small


@njit(cache=True, fastmath=False, error_model="numpy", inline="always")
def _atan2(y, x):
    """``atan2(y, x)`` without branches (vectorizable); within 2 ulp of libm."""
    ax = math.fabs(x)
    ay = math.fabs(y)
    q = ay / ax if ax > 0.0 else (math.inf if ay > 0.0 else 0.0)
    a = _atan_pos(q)
    r = a if x >= 0.0 else math.pi - (a - _PI_LO)
    return r if y >= 0.0 else -r


@njit(cache=True, fastmath=False, inline="always")
def _resonance_derivs(p, irez, atime, xli, xni):
    """``dspace``'s derivatives ``(xndt, xldot, xnddt)`` at one integrator state (libm)."""
    fasx2 = 0.13130908
    fasx4 = 2.8843198
    fasx6 = 0.37448087
    g22 = 5.7686396
    g32 = 0.95240898
    g44 = 1.8014998
    g52 = 1.0508330
    g54 = 4.4108898
    if irez != 2:
        del1, del2, del3 = p[DEL1], p[DEL2], p[DEL3]
        xndt = (
            del1 * math.sin(xli - fasx2)
            + del2 * math.sin(2.0 * (xli - fasx4))
            + del3 * math.sin(3.0 * (xli - fasx6))
        )
        xldot = xni + p[XFACT]
        xnddt = (
            del1 * math.cos(xli - fasx2)
            + 2.0 * del2 * math.cos(2.0 * (xli - fasx4))
            + 3.0 * del3 * math.cos(3.0 * (xli - fasx6))
        )
        return xndt, xldot, xnddt * xldot
    d2201, d2211, d3210, d3222 = p[D2201], p[D2211], p[D3210], p[D3222]
    d4410, d4422, d5220, d5232 = p[D4410], p[D4422], p[D5220], p[D5232]
    d5421, d5433 = p[D5421], p[D5433]
    xomi = p[ARGPO] + p[ARGPDOT] * atime
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
    xldot = xni + p[XFACT]
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
    return xndt, xldot, xnddt * xldot


@njit(cache=True, fastmath=False)
def resonance_prepass(p, t, nb, state, res):
    """Walk ``t[:nb]`` in order through ``dspace``'s integrator (``state``, updated in
    place, carries it between blocks) and record each time's state and derivatives in
    ``res[RES_WIDTH * j:]``.  Non-resonant objects record zeros."""
    irez = int(p[IREZ])
    if irez == 0:
        for k in range(RES_WIDTH * nb):
            res[k] = 0.0
        return
    stepp = 720.0
    step2 = 259200.0
    no = p[NO_UNKOZAI]
    xlamo = p[XLAMO]
    atime, xli, xni = state[0], state[1], state[2]
    valid = state[3] != 0.0
    xndt, xldot, xnddt = state[4], state[5], state[6]
    for j in range(nb):
        tj = t[j]
        if atime == 0.0 or tj * atime <= 0.0 or math.fabs(tj) < math.fabs(atime):
            # Vallado's restart from epoch; the derivatives there are kept if the state
            # already is the epoch state (they depend on the state only).
            if not (atime == 0.0 and xni == no and xli == xlamo):
                valid = False
            atime = 0.0
            xni = no
            xli = xlamo
        delt = stepp if tj > 0.0 else -stepp
        while True:
            if not valid:
                xndt, xldot, xnddt = _resonance_derivs(p, irez, atime, xli, xni)
                valid = True
            if math.fabs(tj - atime) >= stepp:
                xli = xli + xldot * delt + xndt * step2
                xni = xni + xndt * delt + xnddt * step2
                atime = atime + delt
                valid = False
            else:
                break
        k = RES_WIDTH * j
        res[k] = atime
        res[k + 1] = xli
        res[k + 2] = xni
        res[k + 3] = xndt
        res[k + 4] = xldot
        res[k + 5] = xnddt
    state[0], state[1], state[2] = atime, xli, xni
    state[3] = 1.0 if valid else 0.0
    state[4], state[5], state[6] = xndt, xldot, xnddt


@njit(cache=True, fastmath=False, error_model="numpy")
def deep_block(p, t, nb, res, out):
    """SDP4 of one deep-space object (``isimp`` 1) at ``t[:nb]`` minutes since epoch into
    ``out[8 j:]`` (r km, v km/s TEME, error code), ``res`` from :func:`resonance_prepass`."""
    zns, zes, znl, zel = 1.19459e-5, 0.01675, 1.5835218e-4, 0.05490
    rptim = 4.37526908801129966e-3
    temp4 = 1.5e-12
    xke = p[XKE]
    j2 = p[J2]
    j3oj2 = p[J3OJ2]
    no = p[NO_UNKOZAI]
    a0 = (xke / no) ** (2.0 / 3.0) if no > 0.0 else 1.0
    radius = p[RADIUSEARTHKM]
    vkmpersec = radius * xke / 60.0
    resonant = p[IREZ] != 0.0
    sync = p[IREZ] == 1.0
    afspc = p[AFSPC] != 0.0
    mo, mdot, argpo, argpdot = p[MO], p[MDOT], p[ARGPO], p[ARGPDOT]
    nodeo, nodedot, nodecf = p[NODEO], p[NODEDOT], p[NODECF]
    cc1, bstar, cc4, t2cof = p[CC1], p[BSTAR], p[CC4], p[T2COF]
    ecco, inclo, gsto = p[ECCO], p[INCLO], p[GSTO]
    dedt, didt, domdt, dnodt, dmdt = p[DEDT], p[DIDT], p[DOMDT], p[DNODT], p[DMDT]
    zmos, zmol = p[ZMOS], p[ZMOL]
    se2, se3, si2, si3, sl2, sl3, sl4 = p[SE2], p[SE3], p[SI2], p[SI3], p[SL2], p[SL3], p[SL4]
    sgh2, sgh3, sgh4, sh2, sh3 = p[SGH2], p[SGH3], p[SGH4], p[SH2], p[SH3]
    ee2, e3, xi2, xi3, xl2, xl3, xl4 = p[EE2], p[E3], p[XI2], p[XI3], p[XL2], p[XL3], p[XL4]
    xgh2, xgh3, xgh4, xh2, xh3 = p[XGH2], p[XGH3], p[XGH4], p[XH2], p[XH3]
    peo, pinco, plo, pgho, pho = p[PEO], p[PINCO], p[PLO], p[PGHO], p[PHO]
    for j in range(nb):
        tj = t[np.uint64(j)]
        xmdf = mo + mdot * tj
        argpdf = argpo + argpdot * tj
        nodedf = nodeo + nodedot * tj
        t2 = tj * tj
        nodem = nodedf + nodecf * t2
        tempa = 1.0 - cc1 * tj
        tempe = bstar * cc4 * tj
        templ = t2cof * t2
        # dspace: secular rates, then the resonance terms from the pre-pass
        theta = _fmod_2pi(gsto + tj * rptim)
        em = ecco + dedt * tj
        inclm = inclo + didt * tj
        argpm = argpdf + domdt * tj
        nodem = nodem + dnodt * tj
        mm = xmdf + dmdt * tj
        k = np.uint64(RES_WIDTH * j)
        ft = tj - res[k]
        xni, xli = res[k + np.uint64(2)], res[k + np.uint64(1)]
        xndt, xldot, xnddt = res[k + np.uint64(3)], res[k + np.uint64(4)], res[k + np.uint64(5)]
        nm_r = xni + xndt * ft + xnddt * ft * ft * 0.5
        xl = xli + xldot * ft + xndt * ft * ft * 0.5
        mm_r = xl - nodem - argpm + theta if sync else xl - 2.0 * nodem + 2.0 * theta
        dndt = nm_r - no
        nm_r = no + dndt
        nm = nm_r if resonant else no
        mm = mm_r if resonant else mm
        code = 2 if nm <= 0.0 else 0
        # (xke / nm)^(2/3): Newton's cube root of x^2 from the epoch value
        x = xke / nm
        x2 = x * x
        y = a0
        y = y - (y * y * y - x2) / (3.0 * y * y)
        y = y - (y * y * y - x2) / (3.0 * y * y)
        y = y - (y * y * y - x2) / (3.0 * y * y)
        y = y - (y * y * y - x2) / (3.0 * y * y)
        y = y - (y * y * y - x2) / (3.0 * y * y)
        am = (y if resonant else a0) * tempa * tempa
        nm = xke / (am * _sqrt(am))
        em = em - tempe
        code = 1 if ((code == 0) & ((em >= 1.0) | (em < -0.001))) else code
        em = em if em >= 1.0e-6 else 1.0e-6
        mm = mm + no * templ
        xlm = _fmod_2pi(mm + argpm + nodem)
        nodem = _fmod_2pi(nodem)
        argpm = _fmod_2pi(argpm)
        mm = _fmod_2pi(xlm - argpm - nodem)

        # dpper: lunar-solar periodics
        zm = zmos + zns * tj
        szm, _ = _sincos(zm)
        zf = zm + 2.0 * zes * szm
        sinzf, coszf = _sincos(zf)
        f2 = 0.5 * sinzf * sinzf - 0.25
        f3 = -0.5 * sinzf * coszf
        ses = se2 * f2 + se3 * f3
        sis = si2 * f2 + si3 * f3
        sls = sl2 * f2 + sl3 * f3 + sl4 * sinzf
        sghs = sgh2 * f2 + sgh3 * f3 + sgh4 * sinzf
        shs = sh2 * f2 + sh3 * f3
        zm = zmol + znl * tj
        szm, _ = _sincos(zm)
        zf = zm + 2.0 * zel * szm
        sinzf, coszf = _sincos(zf)
        f2 = 0.5 * sinzf * sinzf - 0.25
        f3 = -0.5 * sinzf * coszf
        sel = ee2 * f2 + e3 * f3
        sil = xi2 * f2 + xi3 * f3
        sll = xl2 * f2 + xl3 * f3 + xl4 * sinzf
        sghl = xgh2 * f2 + xgh3 * f3 + xgh4 * sinzf
        shll = xh2 * f2 + xh3 * f3
        pe = ses + sel - peo
        pinc = sis + sil - pinco
        pl = sls + sll - plo
        pgh = sghs + sghl - pgho
        ph = shs + shll - pho
        inclp = inclm + pinc
        ep = em + pe
        sinip, cosip = _sincos(inclp)
        # inclination >= 0.2 rad: the direct form
        ph_a = ph / sinip
        pgh_a = pgh - cosip * ph_a
        argp_a = argpm + pgh_a
        node_a = nodem + ph_a
        # below: Lyddane's form (nodem is already reduced by fmod)
        sinop, cosop = _sincos(nodem)
        alfdp = sinip * sinop + (ph * cosop + pinc * cosip * sinop)
        betdp = sinip * cosop + (-ph * sinop + pinc * cosip * cosop)
        node_l = nodem + _TWOPI if ((nodem < 0.0) & afspc) else nodem
        xls = mm + argpm + pl + pgh + (cosip - pinc * sinip) * node_l
        xnoh = node_l
        node_l = _atan2(alfdp, betdp)
        node_l = node_l + _TWOPI if ((node_l < 0.0) & afspc) else node_l
        wrap = math.fabs(xnoh - node_l) > math.pi
        node_l = (node_l + _TWOPI if node_l < xnoh else node_l - _TWOPI) if wrap else node_l
        mp = mm + pl
        argp_l = xls - mp - cosip * node_l
        lyddane = inclp < 0.2
        nodep = node_l if lyddane else node_a
        argpp = argp_l if lyddane else argp_a
        # negative inclination: flip it
        flip = inclp < 0.0
        xincp = -inclp if flip else inclp
        nodep = nodep + math.pi if flip else nodep
        argpp = argpp - math.pi if flip else argpp
        sinip = -sinip if flip else sinip
        code = 3 if ((code == 0) & ((ep < 0.0) | (ep > 1.0))) else code
        aycof = -0.5 * j3oj2 * sinip
        den = 1.0 + cosip if math.fabs(cosip + 1.0) > 1.5e-12 else temp4
        xlcof = -0.25 * j3oj2 * sinip * (3.0 + 5.0 * cosip) / den

        sa, ca = _sincos(argpp)
        axnl = ep * ca
        temp = 1.0 / (am * (1.0 - ep * ep))
        aynl = ep * sa + temp * aycof
        xl = mp + argpp + nodep + temp * xlcof * axnl
        u = _fmod_2pi(xl - nodep)

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
        cosisq = cosip * cosip
        con41 = 3.0 * cosisq - 1.0
        x1mth2 = 1.0 - cosisq
        x7thm1 = 7.0 * cosisq - 1.0
        mrt = rl * (1.0 - 1.5 * temp2 * betal * con41) + 0.5 * temp1 * x1mth2 * cos2u
        # su = atan2(sinu, cosu) - 0.25 temp2 x7thm1 sin2u, by the angle-sum formula
        h = 1.0 / _sqrt(sinu * sinu + cosu * cosu)
        sd, cd = _sincos(-0.25 * temp2 * x7thm1 * sin2u)
        sinsu = (sinu * cd + cosu * sd) * h
        cossu = (cosu * cd - sinu * sd) * h
        xnode = nodep + 1.5 * temp2 * cosip * sin2u
        xinc = xincp + 1.5 * temp2 * cosip * sinip * cos2u
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
        fill = math.nan if ((code != 0) & (code != 6)) else 0.0
        out[np.uint64(8 * j + 0)] = mr * ux + fill
        out[np.uint64(8 * j + 1)] = mr * uy + fill
        out[np.uint64(8 * j + 2)] = mr * uz + fill
        out[np.uint64(8 * j + 3)] = (mvt * ux + rvdot * vx) * vkmpersec + fill
        out[np.uint64(8 * j + 4)] = (mvt * uy + rvdot * vy) * vkmpersec + fill
        out[np.uint64(8 * j + 5)] = (mvt * uz + rvdot * vz) * vkmpersec + fill
        out[np.uint64(8 * j + 6)] = code
        out[np.uint64(8 * j + 7)] = 0.0
