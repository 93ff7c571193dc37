"""Earth geopotential: EGM96 spherical harmonics by the Cunningham V/W recursion.

The acceleration is evaluated in the Earth-fixed frame (see :mod:`.earth` for the simple
GCRS -> Earth-fixed rotation used) following Montenbruck & Gill, *Satellite Orbits* (2000),
sec. 3.2.4-3.2.5, eqs. (3.27)-(3.33), with unnormalized coefficients (fine to degree ~30).
The degree-0 term (C00 = 1) is included, so the result is the *total* gravity acceleration.

Two backends share one API: a NumPy implementation vectorized over objects (the reference,
always available) and a Numba kernel used when ``numba`` is installed (``ACCELERATED``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from spacerange.errors import ParseError

try:  # optional accelerated backend
    from numba import njit

    ACCELERATED = True
except ImportError:  # pragma: no cover - depends on the environment
    ACCELERATED = False

    def njit(*args, **kwargs):  # type: ignore[no-redef]
        def wrap(f):
            return f

        return wrap


EGM96_FILE = "egm96_12x12.txt"


@dataclass(frozen=True)
class GravityField:
    """Spherical-harmonic gravity field (fully normalized coefficients as loaded).

    ``c_norm``/``s_norm`` are (n_max+1, n_max+1) arrays indexed [n, m]; C00 = 1.
    """

    name: str
    gm_km3_s2: float
    radius_km: float
    c_norm: np.ndarray
    s_norm: np.ndarray

    @property
    def max_degree(self) -> int:
        return self.c_norm.shape[0] - 1

    def unnormalized(self, degree: int, order: int) -> tuple[np.ndarray, np.ndarray]:
        """Unnormalized (C, S), truncated to ``degree``/``order``; shape (degree+1, degree+1)."""
        if degree > self.max_degree:
            raise ValueError(
                f"gravity degree {degree} exceeds the {self.max_degree} shipped in {self.name}"
            )
        if not 0 <= order <= degree:
            raise ValueError(f"gravity order must be in 0..degree, got {order} (degree {degree})")
        c = np.zeros((degree + 1, degree + 1))
        s = np.zeros((degree + 1, degree + 1))
        for n in range(degree + 1):
            for m in range(min(n, order) + 1):
                k = 1.0 if m == 0 else 2.0
                fac = math.sqrt(k * (2 * n + 1) * math.factorial(n - m) / math.factorial(n + m))
                c[n, m] = self.c_norm[n, m] * fac
                s[n, m] = self.s_norm[n, m] * fac
        return c, s

    def j(self, n: int) -> float:
        """Unnormalized zonal coefficient J_n = -C_n0 (J2 ~ 1.0826e-3)."""
        return -self.c_norm[n, 0] * math.sqrt(2 * n + 1)


def parse_gravity_file(text: str, name: str = "<gravity>") -> GravityField:
    """Parse the ``n m C S`` text format of ``data/gravity`` (header ``# gm_km3_s2``...)."""
    gm = radius = None
    rows: list[tuple[int, int, float, float]] = []
    for i, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            parts = line[1:].split()
            if len(parts) == 2 and parts[0] == "gm_km3_s2":
                gm = float(parts[1])
            elif len(parts) == 2 and parts[0] == "radius_km":
                radius = float(parts[1])
            continue
        parts = line.split()
        if len(parts) != 4:
            raise ParseError(f"expected 'n m C_nm S_nm', got {len(parts)} fields", name, i)
        try:
            n, m = int(parts[0]), int(parts[1])
            c, s = float(parts[2].replace("D", "E")), float(parts[3].replace("D", "E"))
        except ValueError as exc:
            raise ParseError(f"bad number in coefficient row: {exc}", name, i) from None
        if not 0 <= m <= n:
            raise ParseError(f"order m={m} outside 0..n (n={n})", name, i)
        rows.append((n, m, c, s))
    if gm is None or radius is None:
        raise ParseError("header lines '# gm_km3_s2 <v>' and '# radius_km <v>' required", name)
    if not rows:
        raise ParseError("no coefficient rows", name)
    nmax = max(r[0] for r in rows)
    c_norm = np.zeros((nmax + 1, nmax + 1))
    s_norm = np.zeros((nmax + 1, nmax + 1))
    c_norm[0, 0] = 1.0
    for n, m, c, s in rows:
        c_norm[n, m] = c
        s_norm[n, m] = s
    c_norm.flags.writeable = False
    s_norm.flags.writeable = False
    return GravityField(name, gm, radius, c_norm, s_norm)


@lru_cache(maxsize=1)
def egm96() -> GravityField:
    """The shipped EGM96 field (degree/order 12), loaded once."""
    path = Path(__file__).resolve().parents[2] / "data" / "gravity" / EGM96_FILE
    text = path.read_text()
    return parse_gravity_file(text, EGM96_FILE)


# ---------------------------------------------------------------------------------------
# NumPy reference backend (vectorized over objects, loops over degree/order only)


def _vw_numpy(r_km: np.ndarray, radius_km: float, nmax: int) -> tuple[np.ndarray, np.ndarray]:
    """V_nm, W_nm of Montenbruck & Gill eq. (3.29)-(3.30); shape (nmax+1, nmax+1, n_obj)."""
    x, y, z = r_km[:, 0], r_km[:, 1], r_km[:, 2]
    r2 = x * x + y * y + z * z
    rho = radius_km * radius_km / r2
    x0, y0, z0 = radius_km * x / r2, radius_km * y / r2, radius_km * z / r2
    n_obj = r_km.shape[0]
    v = np.zeros((nmax + 1, nmax + 1, n_obj))
    w = np.zeros((nmax + 1, nmax + 1, n_obj))
    v[0, 0] = radius_km / np.sqrt(r2)
    for m in range(nmax + 1):
        if m > 0:
            v[m, m] = (2 * m - 1) * (x0 * v[m - 1, m - 1] - y0 * w[m - 1, m - 1])
            w[m, m] = (2 * m - 1) * (x0 * w[m - 1, m - 1] + y0 * v[m - 1, m - 1])
        if m + 1 <= nmax:
            v[m + 1, m] = (2 * m + 1) * z0 * v[m, m]
            w[m + 1, m] = (2 * m + 1) * z0 * w[m, m]
        for n in range(m + 2, nmax + 1):
            a = (2 * n - 1) / (n - m)
            b = (n + m - 1) / (n - m)
            v[n, m] = a * z0 * v[n - 1, m] - b * rho * v[n - 2, m]
            w[n, m] = a * z0 * w[n - 1, m] - b * rho * w[n - 2, m]
    return v, w


def _accel_numpy(r_km, c, s, gm, radius_km, degree, order):
    v, w = _vw_numpy(r_km, radius_km, degree + 1)
    ax = np.zeros(r_km.shape[0])
    ay = np.zeros_like(ax)
    az = np.zeros_like(ax)
    for n in range(degree + 1):
        for m in range(min(n, order) + 1):
            cnm, snm = c[n, m], s[n, m]
            if cnm == 0.0 and snm == 0.0:
                continue
            if m == 0:
                ax -= cnm * v[n + 1, 1]
                ay -= cnm * w[n + 1, 1]
            else:
                fac = 0.5 * (n - m + 1) * (n - m + 2)
                ax += 0.5 * (-cnm * v[n + 1, m + 1] - snm * w[n + 1, m + 1]) + fac * (
                    cnm * v[n + 1, m - 1] + snm * w[n + 1, m - 1]
                )
                ay += 0.5 * (-cnm * w[n + 1, m + 1] + snm * v[n + 1, m + 1]) + fac * (
                    -cnm * w[n + 1, m - 1] + snm * v[n + 1, m - 1]
                )
            az += (n - m + 1) * (-cnm * v[n + 1, m] - snm * w[n + 1, m])
    k = gm / radius_km**2
    return k * np.stack([ax, ay, az], axis=-1)


# ---------------------------------------------------------------------------------------
# Numba backend (same equations, loop over objects inside the kernel)


@njit(cache=True)
def _accel_kernel(r_km, c, s, gm, radius_km, degree, order):  # pragma: no cover - jit
    n_obj = r_km.shape[0]
    nm = degree + 2
    out = np.zeros((n_obj, 3))
    v = np.zeros((nm, nm))
    w = np.zeros((nm, nm))
    k = gm / (radius_km * radius_km)
    for i in range(n_obj):
        x, y, z = r_km[i, 0], r_km[i, 1], r_km[i, 2]
        r2 = x * x + y * y + z * z
        rho = radius_km * radius_km / r2
        x0, y0, z0 = radius_km * x / r2, radius_km * y / r2, radius_km * z / r2
        v[:, :] = 0.0
        w[:, :] = 0.0
        v[0, 0] = radius_km / math.sqrt(r2)
        nmax = degree + 1
        for m in range(nmax + 1):
            if m > 0:
                v[m, m] = (2 * m - 1) * (x0 * v[m - 1, m - 1] - y0 * w[m - 1, m - 1])
                w[m, m] = (2 * m - 1) * (x0 * w[m - 1, m - 1] + y0 * v[m - 1, m - 1])
            if m + 1 <= nmax:
                v[m + 1, m] = (2 * m + 1) * z0 * v[m, m]
                w[m + 1, m] = (2 * m + 1) * z0 * w[m, m]
            for n in range(m + 2, nmax + 1):
                a = (2 * n - 1) / (n - m)
                b = (n + m - 1) / (n - m)
                v[n, m] = a * z0 * v[n - 1, m] - b * rho * v[n - 2, m]
                w[n, m] = a * z0 * w[n - 1, m] - b * rho * w[n - 2, m]
        ax = 0.0
        ay = 0.0
        az = 0.0
        for n in range(degree + 1):
            for m in range(min(n, order) + 1):
                cnm = c[n, m]
                snm = s[n, m]
                if m == 0:
                    ax -= cnm * v[n + 1, 1]
                    ay -= cnm * w[n + 1, 1]
                else:
                    fac = 0.5 * (n - m + 1) * (n - m + 2)
                    ax += 0.5 * (-cnm * v[n + 1, m + 1] - snm * w[n + 1, m + 1]) + fac * (
                        cnm * v[n + 1, m - 1] + snm * w[n + 1, m - 1]
                    )
                    ay += 0.5 * (-cnm * w[n + 1, m + 1] + snm * v[n + 1, m + 1]) + fac * (
                        -cnm * w[n + 1, m - 1] + snm * v[n + 1, m - 1]
                    )
                az += (n - m + 1) * (-cnm * v[n + 1, m] - snm * w[n + 1, m])
        out[i, 0] = k * ax
        out[i, 1] = k * ay
        out[i, 2] = k * az
    return out


class Geopotential:
    """Gravity acceleration of a field truncated to ``degree``/``order`` (Earth-fixed frame).

    ``acceleration_km_s2(r_ef_km)`` takes and returns (n, 3) arrays in the Earth-fixed frame,
    km and km/s^2, and includes the central (point-mass) term.
    """

    def __init__(
        self,
        degree: int,
        order: int,
        field: GravityField | None = None,
        accelerated: bool | None = None,
    ):
        self.field = field or egm96()
        self.degree = int(degree)
        self.order = int(order)
        self.c, self.s = self.field.unnormalized(self.degree, self.order)
        self.accelerated = ACCELERATED if accelerated is None else (accelerated and ACCELERATED)

    def acceleration_km_s2(self, r_ef_km: np.ndarray) -> np.ndarray:
        r = np.ascontiguousarray(r_ef_km, dtype=float).reshape(-1, 3)
        args = (self.c, self.s, self.field.gm_km3_s2, self.field.radius_km)
        if self.accelerated:
            return _accel_kernel(r, *args, self.degree, self.order)
        return _accel_numpy(r, *args, self.degree, self.order)

    def potential_km2_s2(self, r_ef_km: np.ndarray) -> np.ndarray:
        """Gravity potential U (positive, U = GM/r + ...) at (n, 3) Earth-fixed points."""
        r = np.asarray(r_ef_km, dtype=float).reshape(-1, 3)
        v, w = _vw_numpy(r, self.field.radius_km, self.degree)
        u = np.zeros(r.shape[0])
        for n in range(self.degree + 1):
            for m in range(min(n, self.order) + 1):
                u += self.c[n, m] * v[n, m] + self.s[n, m] * w[n, m]
        return self.field.gm_km3_s2 / self.field.radius_km * u


def j2_acceleration_km_s2(r_km: np.ndarray, gm_km3_s2: float, radius_km: float, j2: float):
    """Closed-form J2 acceleration (no central term) in a frame whose z axis is the pole."""
    r_km = np.asarray(r_km, dtype=float)
    x, y, z = r_km[..., 0], r_km[..., 1], r_km[..., 2]
    r2 = x * x + y * y + z * z
    r = np.sqrt(r2)
    k = -1.5 * j2 * gm_km3_s2 * radius_km**2 / r**5
    zz = 5.0 * z * z / r2
    return np.stack([k * x * (1 - zz), k * y * (1 - zz), k * z * (3 - zz)], axis=-1)


def j2_gravity_gradient(r_km: np.ndarray, gm_km3_s2: float, radius_km: float, j2: float):
    """d(a_point_mass + a_J2)/dr, shape (3, 3), for one position in a pole-aligned frame."""
    x, y, z = (float(c) for c in r_km)
    r2 = x * x + y * y + z * z
    r = math.sqrt(r2)
    rv = np.array([x, y, z])
    g = gm_km3_s2 * (3.0 * np.outer(rv, rv) / r**5 - np.eye(3) / r**3)
    # J2 part: a = k r^-5 * f(x,y,z), f = (x(1-5z^2/r^2), y(1-5z^2/r^2), z(3-5z^2/r^2))
    k = -1.5 * j2 * gm_km3_s2 * radius_km**2
    s = z * z / r2
    f = np.array([x * (1 - 5 * s), y * (1 - 5 * s), z * (3 - 5 * s)])
    ds = np.array([-2 * z * z * x / r2**2, -2 * z * z * y / r2**2, 2 * z / r2 - 2 * z**3 / r2**2])
    df = np.zeros((3, 3))
    df[0] = np.array([1 - 5 * s, 0.0, 0.0]) - 5 * x * ds
    df[1] = np.array([0.0, 1 - 5 * s, 0.0]) - 5 * y * ds
    df[2] = np.array([0.0, 0.0, 3 - 5 * s]) - 5 * z * ds
    g += k * (df / r**5 - 5.0 * np.outer(f, rv) / r**7)
    return g
