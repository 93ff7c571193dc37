"""Compiled SGP4/SDP4 initialization (numba), vectorized over objects.

A line-by-line port of the initialization half of Vallado's SGP4 as python-sgp4 (MIT
licence) carries it in ``sgp4/propagation.py``: ``sgp4init``, ``initl`` and ``gstime``
here, ``dscom`` and ``dsinit`` in :mod:`spacerange.propagation.sgp4_deep_init`, WGS-72
(python-sgp4's own ``wgs72`` constants).  It fills the
packed parameter table of :mod:`spacerange.propagation.sgp4_fields` row by row, the same
numbers that python-sgp4's pure-Python ``Satrec.sgp4init`` gives, and the init error code.

Why: the compiled propagation kernel (:mod:`spacerange.propagation.sgp4_numba`) needs each
object's initialized fields, and running python-sgp4's Python ``sgp4init`` for each object
(~0.6 s per 26,140 objects, serial) had become a visible part of catalog screening and of
one-off propagation.  The operations keep python-sgp4's order and Python's semantics
(``%`` is Python's floored modulo, ``//`` a floor, ``pow`` the C library's), no fastmath,
so the table is bit-identical to the pure-Python one (checked on every object of both
shared catalogs by ``tests/propagation/test_sgp4_init.py``).

Two parts of ``sgp4init`` have no numbers of their own to port:

* its ``dpper`` call in init mode returns the elements unchanged (python-sgp4 applies the
  periodics only when ``init == 'n'``; ``peo`` ... ``pho`` stay zero), so it is left out;
* it ends by propagating to t = 0: the error code of that call becomes ``satrec.error``,
  and for deep-space objects it overwrites ``aycof``, ``xlcof`` (unless it failed with
  codes 1-3) and ``con41``, ``x1mth2``, ``x7thm1`` (unless codes 1-4) with their values at
  the perturbed inclination.  Here the compiled kernel's ``_sgp4_one`` at t = 0 gives the
  code, and :func:`_deep_t0_fields` recomputes those five fields as ``sgp4`` does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import chain
from operator import attrgetter

import numpy as np
from numba import njit
from sgp4.api import Satrec
from sgp4.earth_gravity import wgs72

from spacerange.propagation.sgp4_deep_init import _dscom, _dsinit, _pymod
from spacerange.propagation.sgp4_deep_space import _dpper
from spacerange.propagation.sgp4_fields import (
    AFSPC,
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
    DEEP,
    DELMO,
    DIDT,
    ECCO,
    ETA,
    GSTO,
    INCLO,
    ISIMP,
    J2,
    J3OJ2,
    JDSATEPOCH,
    JDSATEPOCHF,
    MDOT,
    MO,
    N_FIELDS,
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
    TWOPI,
    X1MTH2,
    X7THM1,
    XKE,
    XLCOF,
    XMCOF,
)
from spacerange.propagation.sgp4_numba import _sgp4_one

# WGS-72 exactly as python-sgp4 computes it (``getgravconst('wgs72')``); numba freezes
# module-level floats into the compiled code as constants.
_RADIUSEARTHKM = float(wgs72.radiusearthkm)
_XKE = float(wgs72.xke)
_J2 = float(wgs72.j2)
_J4 = float(wgs72.j4)
_J3OJ2 = float(wgs72.j3oj2)
_DEG2RAD = math.pi / 180.0
_X2O3 = 2.0 / 3.0

#: the source ``Satrec`` attributes the init reads, in the column order of its input array
_INPUTS = "jdsatepoch jdsatepochF bstar ecco argpo inclo mo no_kozai nodeo".split()
_N_INPUTS = len(_INPUTS)
_get_inputs = attrgetter(*_INPUTS)
_get_opsmode = attrgetter("operationmode")


@njit(cache=True, fastmath=False)
def _gstime(jdut1):
    """Greenwich sidereal time (rad) at UT1 Julian date ``jdut1`` (``gstime``)."""
    tut1 = (jdut1 - 2451545.0) / 36525.0
    temp = (
        -6.2e-6 * tut1 * tut1 * tut1
        + 0.093104 * tut1 * tut1
        + (876600.0 * 3600 + 8640184.812866) * tut1
        + 67310.54841
    )
    temp = _pymod(temp * _DEG2RAD / 240.0, TWOPI)
    if temp < 0.0:
        temp += TWOPI
    return temp


@njit(cache=True, fastmath=False)
def _initl(ecco, epoch, inclo, no, afspc):
    """Un-Kozai'd mean motion and the auxiliary epoch quantities (``initl``); ``epoch`` in
    days since 1950 Jan 0.0 UT, ``no`` (Kozai mean motion) in rad/min."""
    eccsq = ecco * ecco
    omeosq = 1.0 - eccsq
    rteosq = math.sqrt(omeosq)
    cosio = math.cos(inclo)
    cosio2 = cosio * cosio

    ak = (_XKE / no) ** _X2O3
    d1 = 0.75 * _J2 * (3.0 * cosio2 - 1.0) / (rteosq * omeosq)
    del_ = d1 / (ak * ak)
    adel = ak * (1.0 - del_ * del_ - del_ * (1.0 / 3.0 + 134.0 * del_ * del_ / 81.0))
    del_ = d1 / (adel * adel)
    no = no / (1.0 + del_)

    ao = (_XKE / no) ** _X2O3
    sinio = math.sin(inclo)
    po = ao * omeosq
    con42 = 1.0 - 5.0 * cosio2
    con41 = -con42 - cosio2 - cosio2
    ainv = 1.0 / ao
    posq = po * po
    rp = ao * (1.0 - ecco)

    if afspc:
        # AFSPC's old sidereal time: whole days since 0 Jan 1970 and the fraction
        ts70 = epoch - 7305.0
        ds70 = math.floor(ts70 + 1.0e-8)  # Python's (x + 1e-8) // 1.0
        tfrac = ts70 - ds70
        c1 = 1.72027916940703639e-2
        thgr70 = 1.7321343856509374
        fk5r = 5.07551419432269442e-15
        c1p2p = c1 + TWOPI
        gsto = _pymod(thgr70 + c1 * ds70 + c1p2p * tfrac + ts70 * ts70 * fk5r, TWOPI)
        if gsto < 0.0:
            gsto = gsto + TWOPI
    else:
        gsto = _gstime(epoch + 2433281.5)
    return no, ainv, ao, con41, con42, cosio, cosio2, eccsq, omeosq, posq, rp, rteosq, sinio, gsto


@njit(cache=True, fastmath=False)
def _sgp4init_row(p, x, afspc, buf, state):
    """``sgp4init`` of one element set into the zeroed row ``p``; ``x`` holds the source
    ``Satrec``'s values in the order of ``_INPUTS``.  Returns the error code of the
    closing propagation to t = 0 (``buf``, ``state``: that step's scratch arrays)."""
    temp4 = 1.5e-12
    jdsatepoch, jdsatepochF, bstar, ecco, argpo, inclo, mo, no_kozai, nodeo = (
        x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], x[8]
    )  # fmt: skip
    # the C++ twoline2rv's rounding: the full JD first, then the 1950 offset; the table
    # keeps the split epoch exactly as the source object carries it (tsince depends on it)
    epoch_1950_days = (jdsatepoch + jdsatepochF) - 2433281.5
    p[JDSATEPOCH] = jdsatepoch
    p[JDSATEPOCHF] = jdsatepochF
    p[AFSPC] = 1.0 if afspc else 0.0
    p[RADIUSEARTHKM] = _RADIUSEARTHKM
    p[XKE] = _XKE
    p[J2] = _J2
    p[J3OJ2] = _J3OJ2
    p[BSTAR] = bstar
    p[ECCO] = ecco
    p[ARGPO] = argpo
    p[INCLO] = inclo
    p[MO] = mo
    p[NODEO] = nodeo

    ss = 78.0 / _RADIUSEARTHKM + 1.0
    qzms2ttemp = (120.0 - 78.0) / _RADIUSEARTHKM
    qzms2t = qzms2ttemp * qzms2ttemp * qzms2ttemp * qzms2ttemp
    x2o3 = _X2O3

    (no_unkozai, ainv, ao, con41, con42, cosio, cosio2, eccsq, omeosq, posq, rp, rteosq,
     sinio, gsto) = _initl(ecco, epoch_1950_days, inclo, no_kozai, afspc)  # fmt: skip
    p[NO_UNKOZAI] = no_unkozai
    p[CON41] = con41
    p[GSTO] = gsto

    if omeosq >= 0.0 or no_unkozai >= 0.0:
        isimp = 0
        if rp < 220.0 / _RADIUSEARTHKM + 1.0:
            isimp = 1
        sfour = ss
        qzms24 = qzms2t
        perige = (rp - 1.0) * _RADIUSEARTHKM

        # for perigees below 156 km, s and qoms2t are altered
        if perige < 156.0:
            sfour = perige - 78.0
            if perige < 98.0:
                sfour = 20.0
            qzms24temp = (120.0 - sfour) / _RADIUSEARTHKM
            qzms24 = qzms24temp * qzms24temp * qzms24temp * qzms24temp
            sfour = sfour / _RADIUSEARTHKM + 1.0

        pinvsq = 1.0 / posq

        tsi = 1.0 / (ao - sfour)
        eta = ao * ecco * tsi
        etasq = eta * eta
        eeta = ecco * eta
        psisq = math.fabs(1.0 - etasq)
        coef = qzms24 * tsi**4.0
        coef1 = coef / psisq**3.5
        cc2 = (
            coef1
            * no_unkozai
            * (
                ao * (1.0 + 1.5 * etasq + eeta * (4.0 + etasq))
                + 0.375 * _J2 * tsi / psisq * con41 * (8.0 + 3.0 * etasq * (8.0 + etasq))
            )
        )
        cc1 = bstar * cc2
        cc3 = 0.0
        if ecco > 1.0e-4:
            cc3 = -2.0 * coef * tsi * _J3OJ2 * no_unkozai * sinio / ecco
        x1mth2 = 1.0 - cosio2
        cc4 = (
            2.0
            * no_unkozai
            * coef1
            * ao
            * omeosq
            * (
                eta * (2.0 + 0.5 * etasq)
                + ecco * (0.5 + 2.0 * etasq)
                - _J2
                * tsi
                / (ao * psisq)
                * (
                    -3.0 * con41 * (1.0 - 2.0 * eeta + etasq * (1.5 - 0.5 * eeta))
                    + 0.75 * x1mth2 * (2.0 * etasq - eeta * (1.0 + etasq)) * math.cos(2.0 * argpo)
                )
            )
        )
        cc5 = 2.0 * coef1 * ao * omeosq * (1.0 + 2.75 * (etasq + eeta) + eeta * etasq)
        cosio4 = cosio2 * cosio2
        temp1 = 1.5 * _J2 * pinvsq * no_unkozai
        temp2 = 0.5 * temp1 * _J2 * pinvsq
        temp3 = -0.46875 * _J4 * pinvsq * pinvsq * no_unkozai
        mdot = (
            no_unkozai
            + 0.5 * temp1 * rteosq * con41
            + 0.0625 * temp2 * rteosq * (13.0 - 78.0 * cosio2 + 137.0 * cosio4)
        )
        argpdot = (
            -0.5 * temp1 * con42
            + 0.0625 * temp2 * (7.0 - 114.0 * cosio2 + 395.0 * cosio4)
            + temp3 * (3.0 - 36.0 * cosio2 + 49.0 * cosio4)
        )
        xhdot1 = -temp1 * cosio
        nodedot = (
            xhdot1
            + (0.5 * temp2 * (4.0 - 19.0 * cosio2) + 2.0 * temp3 * (3.0 - 7.0 * cosio2)) * cosio
        )
        xpidot = argpdot + nodedot
        p[OMGCOF] = bstar * cc3 * math.cos(argpo)
        if ecco > 1.0e-4:
            p[XMCOF] = -x2o3 * coef * bstar / eeta
        p[NODECF] = 3.5 * omeosq * xhdot1 * cc1
        p[T2COF] = 1.5 * cc1
        # sgp4fix for divide by zero with xinco = 180 deg
        if math.fabs(cosio + 1.0) > 1.5e-12:
            p[XLCOF] = -0.25 * _J3OJ2 * sinio * (3.0 + 5.0 * cosio) / (1.0 + cosio)
        else:
            p[XLCOF] = -0.25 * _J3OJ2 * sinio * (3.0 + 5.0 * cosio) / temp4
        p[AYCOF] = -0.5 * _J3OJ2 * sinio
        delmotemp = 1.0 + eta * math.cos(mo)
        p[DELMO] = delmotemp * delmotemp * delmotemp
        p[SINMAO] = math.sin(mo)
        p[X7THM1] = 7.0 * cosio2 - 1.0
        p[ETA] = eta
        p[CC1] = cc1
        p[CC4] = cc4
        p[CC5] = cc5
        p[X1MTH2] = x1mth2
        p[MDOT] = mdot
        p[ARGPDOT] = argpdot
        p[NODEDOT] = nodedot

        # deep-space initialization
        if 2 * math.pi / no_unkozai >= 225.0:
            p[DEEP] = 1.0
            isimp = 1
            tc = 0.0
            inclm = inclo
            common, s, sz, z = _dscom(p, epoch_1950_days, ecco, argpo, tc, inclo, nodeo, no_unkozai)
            # (init-mode dpper: a no-op, see the module docstring)
            _dsinit(p, _XKE, common, s, sz, z, eccsq, inclm, tc, xpidot)

        # set variables if not deep space
        if isimp != 1:
            cc1sq = cc1 * cc1
            d2 = 4.0 * ao * tsi * cc1sq
            temp = d2 * tsi * cc1 / 3.0
            d3 = (17.0 * ao + sfour) * temp
            d4 = 0.5 * temp * ao * tsi * (221.0 * ao + 31.0 * sfour) * cc1
            p[D2] = d2
            p[D3] = d3
            p[D4] = d4
            p[T3COF] = d2 + 2.0 * cc1sq
            p[T4COF] = 0.25 * (3.0 * d3 + cc1 * (12.0 * d2 + 10.0 * cc1sq))
            p[T5COF] = 0.2 * (
                3.0 * d4 + 12.0 * cc1 * d3 + 6.0 * d2 * d2 + 15.0 * cc1sq * (2.0 * d2 + cc1sq)
            )
        p[ISIMP] = isimp

    # finally propagate to t = 0, as sgp4init does: its error code is the init's
    state[0] = 0.0  # the resonance integrator starts from epoch
    code = _sgp4_one(p, 0.0, buf, state)
    if p[DEEP] != 0.0:
        _deep_t0_fields(p, code)
    return code


@njit(cache=True, fastmath=False)
def _deep_t0_fields(p, code):
    """The five long-period fields that python-sgp4's ``sgp4`` at t = 0 leaves in a
    deep-space ``Satrec``: ``aycof``/``xlcof`` are set after the perturbed-eccentricity
    check (code 3), ``con41``/``x1mth2``/``x7thm1`` after the semi-latus-rectum check
    (code 4); codes 1 and 2 stop before either."""
    if code == 1 or code == 2 or code == 3:
        return
    # The perturbed inclination at t = 0: dspace adds didt * t, dpper its periodics; it
    # does not depend on the node, perigee or anomaly that dpper also takes.
    inclm = p[INCLO] + p[DIDT] * 0.0
    _, xincp, _, _, _ = _dpper(p, 0.0, p[ECCO], inclm, p[NODEO], p[ARGPO], p[MO])
    if xincp < 0.0:
        xincp = -xincp
    sinip = math.sin(xincp)
    cosip = math.cos(xincp)
    p[AYCOF] = -0.5 * p[J3OJ2] * sinip
    if math.fabs(cosip + 1.0) > 1.5e-12:
        p[XLCOF] = -0.25 * p[J3OJ2] * sinip * (3.0 + 5.0 * cosip) / (1.0 + cosip)
    else:
        p[XLCOF] = -0.25 * p[J3OJ2] * sinip * (3.0 + 5.0 * cosip) / 1.5e-12
    if code == 4:
        return
    cosisq = cosip * cosip
    p[CON41] = 3.0 * cosisq - 1.0
    p[X1MTH2] = 1.0 - cosisq
    p[X7THM1] = 7.0 * cosisq - 1.0


@njit(cache=True, fastmath=False)
def _init_kernel(inputs, afspc, table, init_error):
    buf = np.empty(6)
    state = np.zeros(3)
    for i in range(inputs.shape[0]):
        init_error[i] = _sgp4init_row(table[i], inputs[i], afspc[i], buf, state)


def init_table(satrecs: Sequence[Satrec]) -> tuple[np.ndarray, np.ndarray]:
    """Parameter table ``(n, N_FIELDS)`` and init error codes ``(n,)`` uint8 for the
    ``sgp4.api.Satrec`` objects ``satrecs``, compiled: the numbers python-sgp4's Python
    ``sgp4init`` gives (WGS-72, each object's ``operationmode``)."""
    n = len(satrecs)
    table = np.zeros((n, N_FIELDS))
    init_error = np.zeros(n, dtype=np.uint8)
    if n:
        # one flat pass over the attributes (~0.4 us per object; a per-row numpy
        # assignment would double it)
        inputs = np.fromiter(
            chain.from_iterable(map(_get_inputs, satrecs)), np.float64, count=n * _N_INPUTS
        ).reshape(n, _N_INPUTS)
        afspc = np.array(list(map(_get_opsmode, satrecs))) == "a"
        _init_kernel(inputs, afspc, table, init_error)
    return table, init_error
