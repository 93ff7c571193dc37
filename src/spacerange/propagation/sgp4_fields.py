"""The packed SGP4 parameter table's layout: one float64 row per object, one column per
``Satrec`` field (python-sgp4's names), and each column's index as a module-level integer
that numba folds into the compiled kernels as a constant."""

from __future__ import annotations

import math

FIELDS = (
    "mo mdot argpo argpdot nodeo nodedot nodecf cc1 bstar cc4 t2cof isimp omgcof eta xmcof "
    "delmo d2 d3 d4 cc5 sinmao t3cof t4cof t5cof no_unkozai ecco inclo deep irez "
    "d2201 d2211 d3210 d3222 d4410 d4422 d5220 d5232 d5421 d5433 "
    "dedt del1 del2 del3 didt dmdt dnodt domdt gsto xfact xlamo "
    "e3 ee2 peo pgho pho pinco plo se2 se3 sgh2 sgh3 sgh4 sh2 sh3 si2 si3 sl2 sl3 sl4 "
    "xgh2 xgh3 xgh4 xh2 xh3 xi2 xi3 xl2 xl3 xl4 zmol zmos aycof xlcof con41 x1mth2 x7thm1 "
    "j2 j3oj2 xke radiusearthkm jdsatepoch jdsatepochF afspc"
).split()
N_FIELDS = len(FIELDS)
FIELD_INDEX = {name: k for k, name in enumerate(FIELDS)}
TWOPI = 2.0 * math.pi

# Field indices as compile-time constants (numba folds module-level ints).
(
    MO, MDOT, ARGPO, ARGPDOT, NODEO, NODEDOT, NODECF, CC1, BSTAR, CC4, T2COF, ISIMP, OMGCOF,
    ETA, XMCOF, DELMO, D2, D3, D4, CC5, SINMAO, T3COF, T4COF, T5COF, NO_UNKOZAI, ECCO, INCLO,
    DEEP, IREZ, D2201, D2211, D3210, D3222, D4410, D4422, D5220, D5232, D5421, D5433,
    DEDT, DEL1, DEL2, DEL3, DIDT, DMDT, DNODT, DOMDT, GSTO, XFACT, XLAMO,
    E3, EE2, PEO, PGHO, PHO, PINCO, PLO, SE2, SE3, SGH2, SGH3, SGH4, SH2, SH3, SI2, SI3,
    SL2, SL3, SL4, XGH2, XGH3, XGH4, XH2, XH3, XI2, XI3, XL2, XL3, XL4, ZMOL, ZMOS,
    AYCOF, XLCOF, CON41, X1MTH2, X7THM1, J2, J3OJ2, XKE, RADIUSEARTHKM, JDSATEPOCH,
    JDSATEPOCHF, AFSPC,
) = range(N_FIELDS)  # fmt: skip
