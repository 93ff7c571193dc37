"""OD dynamics: GCRS trajectories and state transition matrices of many objects at once.

The OD engine asks a dynamics object for ``trajectory(x0, s_obs, obj)``: the state and the
6x6 STM of object ``obj[k]`` at ``s_obs[k]`` seconds after *its own* epoch, starting from
``x0[obj[k]]``.  Two implementations:

* :class:`J2Dynamics` (fast path): point mass + J2 (``degree`` 2) or J2..J4 (the OD's
  :data:`OD_DEGREE`) about the IAU-76 mean pole of date (the same model as
  ``ForceModel.zonal(degree)`` of the numerical propagator), with the variational equations
  of point mass + J2 (analytic; :meth:`J2Dynamics.gradient` has the J3/J4 terms too); :meth:`J2Dynamics.acceleration_sensitivity`
  adds the three columns of the sensitivity to a constant RTN acceleration.  The dynamics are autonomous, so objects with different epochs are
  integrated in lockstep over "seconds since own epoch" (either side of it) by the vectorized DOP853
  (:func:`~spacerange.propagation.numerical.integrator.integrate_many`) on a uniform node grid;
  states and STMs at the measurement times come from quintic Hermite interpolation between
  nodes (r, v, a and Phi_r, Phi_v, G Phi_r are all known there; error < 1 mm at 60 s nodes).
  With numba installed, :mod:`.fastprop` does the same per object (own step, compiled).
* :class:`NumericalDynamics` (any :class:`ForceModel`): each object through
  :func:`~spacerange.propagation.numerical.propagate_with_stm` with the finite-difference STM
  of the full force model (one object at a time: slow, for high-fidelity fits).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from spacerange.frames import rtn_basis as _rtn_rows
from spacerange.propagation.numerical.integrator import integrate_many

OD_DEGREE = 4  # zonal degree of the OD's dynamics (J2, J3, J4)


class OdDynamics(Protocol):
    """What the batch filter needs: states and STMs at seconds since each object's epoch."""

    def trajectory(
        self, x0: np.ndarray, s_obs: np.ndarray, obj: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """``x0`` (n, 6) GCRS [km, km/s]; ``s_obs`` (m,) s >= 0; ``obj`` (m,) int.

        Returns states (m, 6) and STMs (m, 6, 6) mapping a deviation at the epoch to s_obs."""
        ...


def _earth_constants() -> tuple[float, float, float, float, float]:
    from spacerange.propagation.numerical.gravity import egm96

    f = egm96()
    return f.gm_km3_s2, f.radius_km, f.j(2), f.j(3), f.j(4)


def mean_pole_gcrs(epoch_utc) -> np.ndarray:
    """Unit vector of the IAU-76 mean pole of date at ``epoch_utc``, GCRS components."""
    from spacerange.propagation.numerical.earth import EpochTimes, precession_iau76

    return precession_iau76(float(EpochTimes(epoch_utc).jd_tt(0.0)))[2].copy()


@dataclass
class J2Dynamics:
    """Point mass + zonals J2..J_``degree`` (EGM96 GM, radius, J_n) about a fixed pole
    ``pole_gcrs`` (unit vector).  ``degree`` 2 (default) or up to 4: J3 and J4 move a
    near-circular LEO orbit by hundreds of metres a day (J3 drives its eccentricity vector
    round the frozen value), more than the sensors' noise, so the OD fits with degree
    :data:`OD_DEGREE` (4).

    ``node_step_s`` is the spacing of the interpolation nodes; ``rtol``/``atol_km`` the
    integrator tolerances (as :class:`ForceModel`).
    """

    pole_gcrs: np.ndarray = field(default_factory=lambda: np.array([0.0, 0.0, 1.0]))
    node_step_s: float = 60.0
    rtol: float = 1e-10
    atol_km: float = 1e-7
    degree: int = 2

    def __post_init__(self):
        self.gm, self.radius, self.j2, self.j3, self.j4 = map(float, _earth_constants())
        if not 2 <= self.degree <= 4:
            raise ValueError(f"zonal degree must be 2, 3 or 4, got {self.degree}")
        p = np.asarray(self.pole_gcrs, float)
        self.pole_gcrs = p / np.linalg.norm(p)

    @classmethod
    def at(cls, epoch_utc, **kw) -> J2Dynamics:
        """Dynamics with the mean pole of date at ``epoch_utc`` (fixed over the arc)."""
        return cls(pole_gcrs=mean_pole_gcrs(epoch_utc), **kw)

    # -- force model ----------------------------------------------------------------
    # Written for few objects per call (the team pictures' per-pass updates, ~40 calls per
    # integration): every zonal term is a scalar coefficient of ``r`` or of the pole,
    # polynomials in u = z/r times powers of 1/r, so a call is a handful of vector
    # operations rather than one array expression per term.
    def acceleration(self, r: np.ndarray) -> np.ndarray:
        """GCRS acceleration (n, 3) km/s^2 for positions (n, 3) km."""
        p = self.pole_gcrs
        ir2 = 1.0 / np.einsum("ni,ni->n", r, r)
        ir = np.sqrt(ir2)
        u = (r @ p) * ir
        u2 = u * u
        ir3 = ir2 * ir
        ir4 = ir2 * ir2
        k = -1.5 * self.j2 * self.gm * self.radius**2
        c_r = ir3 * (-self.gm + k * (1.0 - 5.0 * u2) * ir2)
        c_p = 2.0 * k * u * ir4
        if self.degree > 2:
            h_r, h_p = self._higher_coefficients(u, ir, ir4)
            c_r = c_r + h_r
            c_p = c_p + h_p
        return c_r[:, None] * r + c_p[:, None] * p

    def _higher_coefficients(self, u, ir, ir4):
        """J3 (and J4) acceleration as ``c_r r + c_p p`` (the coefficients, (n,) each): the
        gradient of ``V_n = -(mu/r) J_n (R/r)^n P_n(z/r)`` written as a polynomial in r and
        z = r . pole, ``(dV/dr) r/r + (dV/dz) p`` (Vallado eq. 8-29 with the pole as the z
        axis), with u = z/r."""
        u2 = u * u
        ir5 = ir4 * ir
        c3 = -0.5 * self.gm * self.j3 * self.radius**3
        c_r = c3 * (15.0 - 35.0 * u2) * u * ir5 * ir
        c_p = c3 * (15.0 * u2 - 3.0) * ir5
        if self.degree > 3:
            c4 = -0.125 * self.gm * self.j4 * self.radius**4
            ir6 = ir5 * ir
            c_r = c_r + c4 * ((-315.0 * u2 + 210.0) * u2 - 15.0) * ir6 * ir
            c_p = c_p + c4 * (140.0 * u2 - 60.0) * u * ir6
        return c_r, c_p

    def _higher_zonals(self, r: np.ndarray) -> np.ndarray:
        """J3 (and J4) acceleration (n, 3) (:meth:`_higher_coefficients`)."""
        ir2 = 1.0 / np.einsum("ni,ni->n", r, r)
        ir = np.sqrt(ir2)
        c_r, c_p = self._higher_coefficients((r @ self.pole_gcrs) * ir, ir, ir2 * ir2)
        return c_r[:, None] * r + c_p[:, None] * self.pole_gcrs

    def gradient(self, r: np.ndarray) -> np.ndarray:
        """d(acceleration)/d(position), (n, 3, 3) 1/s^2 (J2 analytic; J3/J4, a thousandth
        of J2, by central differences with a 10 m step: relative error ~1e-10 of their
        own small part)."""
        g = self._j2_gradient(r)
        if self.degree > 2:
            h = 1e-2
            n = r.shape[0]
            steps = np.concatenate([np.eye(3), -np.eye(3)]) * h  # (6, 3)
            pts = (r[:, None, :] + steps[None]).reshape(n * 6, 3)
            a = self._higher_zonals(pts).reshape(n, 6, 3)
            g = g + np.swapaxes((a[:, :3] - a[:, 3:]) / (2.0 * h), 1, 2)
        return g

    def _j2_gradient(self, r: np.ndarray) -> np.ndarray:
        """Point mass + J2 part of :meth:`gradient`: ``c_I I + c_rr r r^T + c_rp (r p^T +
        p r^T) + c_pp p p^T`` with scalar coefficients per object."""
        p = self.pole_gcrs
        ir2 = 1.0 / np.einsum("ni,ni->n", r, r)
        ir = np.sqrt(ir2)
        z = r @ p
        ir3 = ir2 * ir
        ir5 = ir3 * ir2
        ir7 = ir5 * ir2
        k = -1.5 * self.j2 * self.gm * self.radius**2
        zz = z * z * ir2
        c_i = -self.gm * ir3 + k * (ir5 - 5.0 * zz * ir5)
        c_rr = 3.0 * self.gm * ir5 + k * (-5.0 * ir7 + 35.0 * zz * ir7)
        c_rp = -10.0 * k * z * ir7
        c_pp = 2.0 * k * ir5
        rp = r[:, :, None] * p[None, None, :]
        g = (c_rr[:, None, None] * (r[:, :, None] * r[:, None, :])
             + c_rp[:, None, None] * (rp + np.swapaxes(rp, 1, 2))
             + c_pp[:, None, None] * np.outer(p, p))  # fmt: skip
        g[:, [0, 1, 2], [0, 1, 2]] += c_i[:, None]
        return g

    def _rhs(self, _t: float, y: np.ndarray) -> np.ndarray:
        n = y.shape[0]
        r, v = y[:, :3], y[:, 3:6]
        k = (y.shape[1] - 6) // 6  # 6 (STM) or 9 (STM + RTN acceleration sensitivity)
        phi = y[:, 6:].reshape(n, 6, k)
        # the variational equations use the point-mass + J2 gradient only: J3/J4 partials
        # are ~1e-3 of J2's, so the STM (Gauss-Newton steps, formal covariance) changes by
        # ~1e-3 relative while the fitted orbit is set by the full acceleration below; their
        # finite-difference gradient cost more than the rest of the right-hand side
        g = self._j2_gradient(r)
        dphi = np.concatenate([phi[:, 3:], g @ phi[:, :3]], axis=1)
        if k == 9:
            dphi[:, 3:, 6:] += rtn_basis(r, v)
        return np.concatenate([v, self.acceleration(r), dphi.reshape(n, 6 * k)], axis=1)

    def _rhs_state(self, _t: float, y: np.ndarray) -> np.ndarray:
        return np.concatenate([y[:, 3:], self.acceleration(y[:, :3])], axis=1)

    # -- propagation ----------------------------------------------------------------
    def _atol(self, with_stm: bool | int) -> np.ndarray:
        """Absolute tolerances of the augmented state (see :meth:`nodes`)."""
        state = [self.atol_km] * 3 + [self.atol_km * 1e-3] * 3
        if not with_stm:
            return np.array(state)
        cols = 9 if with_stm == 9 else 6
        return np.concatenate([state, np.tile(np.array([1e-7] * 6 + [1e-1] * 3)[:cols], 6)])

    def nodes(self, x0: np.ndarray, s_max: float, with_stm: bool | int = True,
              sign: float = 1.0):  # fmt: skip
        """Node times (k,) and augmented states (n, k, 42) (or states (n, k, 6)).

        Nodes run from 0 to ``sign * s_max`` (``sign`` -1: backward in time).  ``with_stm``
        9: the STM is extended by the three columns of the sensitivity to a constant RTN
        acceleration (n, k, 60)."""
        n_nodes = max(1, int(np.ceil(s_max / self.node_step_s)))
        s_nodes = sign * np.linspace(0.0, n_nodes * self.node_step_s, n_nodes + 1)
        x0 = np.asarray(x0, float)
        if with_stm:
            cols = 9 if with_stm == 9 else 6
            stm0 = np.eye(6, cols).ravel()
            y0 = np.concatenate([x0, np.tile(stm0, (x0.shape[0], 1))], axis=1)
            # sensitivities to an acceleration (km per km/s^2 ~ s^2 ~ 1e8 over a day) need
            # a proportionally looser absolute tolerance than the unit-scaled STM columns
            atol_stm = np.tile(np.array([1e-7] * 6 + [1e-1] * 3)[:cols], 6)
            atol = np.concatenate([[self.atol_km] * 3, [self.atol_km * 1e-3] * 3, atol_stm])
            fun = self._rhs
        else:
            y0 = x0
            atol = np.array([self.atol_km] * 3 + [self.atol_km * 1e-3] * 3)
            fun = self._rhs_state
        # first trial step: one node interval (the step control shrinks it if needed)
        out, _, _ = integrate_many(fun, y0, s_nodes, self.rtol, atol, h0_s=self.node_step_s)
        return s_nodes, out

    def propagate(self, x0: np.ndarray, s_obs: np.ndarray, obj: np.ndarray) -> np.ndarray:
        """States (m, 6) only (no STM); same arguments as :meth:`trajectory`."""
        return self._interp(x0, s_obs, obj, with_stm=False)[0]

    def trajectory(self, x0, s_obs, obj):
        """States (m, 6) and STMs (m, 6, 6) at ``s_obs`` (either side of the epochs)."""
        return self._interp(x0, s_obs, obj, with_stm=True)

    def acceleration_sensitivity(self, x0, s_obs, obj):
        """States (m, 6), STMs (m, 6, 6) and ``d x(s) / d a_rtn`` (m, 6, 3): the sensitivity
        of the state at ``s_obs`` to a constant acceleration (km/s^2) in the object's radial /
        transverse / normal frame acting from the epoch on (``Psi' = A Psi + [0; RTN]``,
        ``Psi(0) = 0``; integrated with the variational equations)."""
        x, phi = self._interp(x0, s_obs, obj, with_stm=9)
        return x, phi[:, :, :6], phi[:, :, 6:]

    def _interp(self, x0, s_obs, obj, with_stm: bool):
        s_obs = np.asarray(s_obs, float)
        obj = np.asarray(obj, int)
        from . import fastprop

        if fastprop.ACCELERATED and s_obs.size:
            # compiled: each object on its own step and node grid, interpolated in the kernel
            cols = (9 if with_stm == 9 else 6) if with_stm else 0
            atol = self._atol(with_stm)
            con = (self.gm, self.radius, self.j2, self.j3, self.j4)
            y = fastprop.trajectory(x0, s_obs, obj, self.node_step_s, self.pole_gcrs, con,
                                    self.degree, cols, self.rtol, atol)  # fmt: skip
            phi = y[:, 6:].reshape(-1, 6, cols) if with_stm else None
            return y[:, :6], phi
        x = np.full((s_obs.size, 6), np.nan)
        phi = np.full((s_obs.size, 6, 9 if with_stm == 9 else 6), np.nan) if with_stm else None
        for sign, sel in ((1.0, np.flatnonzero(s_obs >= 0)), (-1.0, np.flatnonzero(s_obs < 0))):
            if sel.size == 0:
                continue
            # only the objects that have rows on this side
            used = np.unique(obj[sel])
            remap = np.full(int(obj.max()) + 1, -1)
            remap[used] = np.arange(used.size)
            xs, ps = self._interp_side(np.asarray(x0, float)[used], s_obs[sel],
                                       remap[obj[sel]], with_stm, sign)  # fmt: skip
            x[sel] = xs
            if with_stm:
                phi[sel] = ps
        return x, phi

    def _interp_side(self, x0, s_obs, obj, with_stm: bool, sign: float):
        s_max = float(np.abs(s_obs).max())
        cols = 9 if with_stm == 9 else 6
        if s_max == 0.0:
            # every row at its object's epoch (a pass's last epoch, say): no integration
            return np.asarray(x0, float)[obj, :6].copy(), (
                np.broadcast_to(np.eye(6, cols), (s_obs.size, 6, cols)).copy()
                if with_stm else None)  # fmt: skip
        s_nodes, y = self.nodes(x0, s_max, with_stm, sign)
        if s_nodes.size == 1:
            x = y[obj, 0, :6]
            phi = np.broadcast_to(np.eye(6, cols), (s_obs.size, 6, cols)).copy()
            return x, phi
        h = s_nodes[1] - s_nodes[0]
        i = np.clip((s_obs / h).astype(int), 0, s_nodes.size - 2)
        s = (s_obs - s_nodes[i]) / h
        ya, yb = y[obj, i], y[obj, i + 1]
        # position-like quantity q with q' and q'': state r and Phi_r rows
        qa = [ya[:, :3]]
        qb = [yb[:, :3]]
        da = [ya[:, 3:6]]
        db = [yb[:, 3:6]]
        aa = [self.acceleration(ya[:, :3])]
        ab = [self.acceleration(yb[:, :3])]
        if with_stm:
            m, k = ya.shape[0], (ya.shape[1] - 6) // 6
            pa, pb = ya[:, 6:].reshape(m, 6, k), yb[:, 6:].reshape(m, 6, k)
            qa.append(pa[:, :3].reshape(m, 3 * k))
            qb.append(pb[:, :3].reshape(m, 3 * k))
            da.append(pa[:, 3:].reshape(m, 3 * k))
            db.append(pb[:, 3:].reshape(m, 3 * k))
            ga = self.gradient(ya[:, :3]) @ pa[:, :3]
            gb = self.gradient(yb[:, :3]) @ pb[:, :3]
            if k == 9:
                ga[:, :, 6:] += rtn_basis(ya[:, :3], ya[:, 3:6])
                gb[:, :, 6:] += rtn_basis(yb[:, :3], yb[:, 3:6])
            aa.append(ga.reshape(m, 3 * k))
            ab.append(gb.reshape(m, 3 * k))
        q, dq = quintic_hermite(
            np.concatenate(qa, 1), np.concatenate(da, 1), np.concatenate(aa, 1),
            np.concatenate(qb, 1), np.concatenate(db, 1), np.concatenate(ab, 1), s, h,
        )  # fmt: skip
        x = np.concatenate([q[:, :3], dq[:, :3]], axis=1)
        if not with_stm:
            return x, None
        m = x.shape[0]
        phi = np.concatenate([q[:, 3:].reshape(m, 3, k), dq[:, 3:].reshape(m, 3, k)], axis=1)
        return x, phi


def rtn_basis(r: np.ndarray, v: np.ndarray) -> np.ndarray:
    """(n, 3, 3) matrices whose columns are the radial, transverse and normal unit vectors
    (GCRS components) of the states ``r``, ``v`` (n, 3): ``rtn_basis @ a_rtn`` is GCRS.
    The transpose of :func:`spacerange.frames.rtn_basis` (rows), the one definition."""
    return np.swapaxes(_rtn_rows(r, v), -1, -2)


def hermite_weights(s):
    """Quintic Hermite weights at the interval fraction ``s`` (a float or an array; also
    compiled by :mod:`.fastprop`): the value weights ``h0..h5`` and the rate weights
    ``g0..g4`` as :func:`quintic_hermite` combines them."""
    s2, s3 = s * s, s * s * s
    s4, s5 = s3 * s, s3 * s2
    h0 = 1 - 10 * s3 + 15 * s4 - 6 * s5
    h1 = s - 6 * s3 + 8 * s4 - 3 * s5
    h2 = 0.5 * (s2 - 3 * s3 + 3 * s4 - s5)
    h3 = 0.5 * (s3 - 2 * s4 + s5)
    h4 = -4 * s3 + 7 * s4 - 3 * s5
    h5 = 1 - h0
    g0 = -30 * s2 + 60 * s3 - 30 * s4
    g1 = 1 - 18 * s2 + 32 * s3 - 15 * s4
    g2 = 0.5 * (2 * s - 9 * s2 + 12 * s3 - 5 * s4)
    g3 = 0.5 * (3 * s2 - 8 * s3 + 5 * s4)
    g4 = -12 * s2 + 28 * s3 - 15 * s4
    return h0, h1, h2, h3, h4, h5, g0, g1, g2, g3, g4


def quintic_hermite(q0, d0, a0, q1, d1, a1, s, h):
    """Quintic Hermite interpolation of q (m, d) from value, rate, acceleration at both ends.

    ``s`` (m,) in [0, 1] is the fraction of the interval of length ``h`` seconds; returns
    ``(q(s), dq/dt(s))``.
    """
    h0, h1, h2, h3, h4, h5, g0, g1, g2, g3, g4 = hermite_weights(np.asarray(s, float)[:, None])
    q = h0 * q0 + h * h1 * d0 + h * h * h2 * a0 + h5 * q1 + h * h4 * d1 + h * h * h3 * a1
    dq = (g0 * q0 - g0 * q1) / h + g1 * d0 + h * g2 * a0 + g4 * d1 + h * g3 * a1
    return q, dq


@dataclass
class NumericalDynamics:
    """Any :class:`ForceModel` through the committed propagator, finite-difference STM.

    ``epochs_utc`` (n,) are the objects' epochs (datetime64[us] UTC).  One object at a time.
    """

    force_model: object
    epochs_utc: np.ndarray

    def trajectory(self, x0, s_obs, obj):
        from spacerange.propagation.numerical import propagate_with_stm

        s_obs = np.asarray(s_obs, float)
        obj = np.asarray(obj, int)
        x = np.full((s_obs.size, 6), np.nan)
        phi = np.full((s_obs.size, 6, 6), np.nan)
        for i in np.unique(obj):
            sel = np.flatnonzero(obj == i)
            order = sel[np.argsort(s_obs[sel])]
            try:
                st, ph = propagate_with_stm(
                    x0[i], self.epochs_utc[i], s_obs[order], self.force_model,
                    method="finite_difference",
                )  # fmt: skip
            except (ArithmeticError, ValueError, RuntimeError):
                # one object's failure is its own: NaN rows, the batch drops it with a reason
                continue
            x[order], phi[order] = st, ph
        return x, phi


def j2_step(dyn: J2Dynamics, x: np.ndarray, dt_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Advance states (n, 6) by per-object ``dt_s`` (n,) seconds (any sign, 0 allowed).

    Returns new states (n, 6) and STMs (n, 6, 6).  The autonomous two-body + J2 system is
    integrated over normalized time tau in [0, 1] (dy/dtau = dt * f(y)), so objects with
    different steps share one vectorized DOP853 run."""
    x = np.asarray(x, float)
    dt = np.asarray(dt_s, float)
    n = x.shape[0]
    if n == 0 or not np.any(dt):
        return x.copy(), np.broadcast_to(np.eye(6), (n, 6, 6)).copy()
    y0 = np.concatenate([x, np.tile(np.eye(6).ravel(), (n, 1))], axis=1)
    atol = np.concatenate([[dyn.atol_km] * 3, [dyn.atol_km * 1e-3] * 3, np.full(36, 1e-7)])

    def fun(_tau, y):
        return dt[:, None] * dyn._rhs(0.0, y)

    out, _, _ = integrate_many(fun, y0, np.array([1.0]), dyn.rtol, atol)
    y = out[:, 0]
    return y[:, :6], y[:, 6:].reshape(n, 6, 6)
