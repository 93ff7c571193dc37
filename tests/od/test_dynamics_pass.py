"""J2Dynamics on a short pass (the exercise pictures' per-pass OD): rows at the epoch need
no integration, and the node grid integrates from a first step of one node interval."""

import numpy as np

import spacerange.od.dynamics as dynamics
from spacerange.od import fastprop
from spacerange.od.dynamics import J2Dynamics


def _circular(radius_km: float, gm: float, s: np.ndarray) -> np.ndarray:
    """Point-mass circular orbit in the x-y plane (analytic), states (m, 6)."""
    n = np.sqrt(gm / radius_km**3)
    c, sn = np.cos(n * s), np.sin(n * s)
    return np.stack([radius_km * c, radius_km * sn, 0 * s,
                     -radius_km * n * sn, radius_km * n * c, 0 * s], axis=1)  # fmt: skip


def _point_mass() -> J2Dynamics:
    dyn = J2Dynamics(degree=2)
    dyn.j2 = 0.0
    return dyn


def test_rows_at_epoch_are_the_epoch_state_without_integration(monkeypatch):
    dyn = J2Dynamics(degree=4)
    x0 = np.array([[7000.0, 0.0, 0.0, 0.0, 7.5, 1.0], [0.0, 42164.0, 0.0, -3.07, 0.0, 0.0]])
    calls = []
    monkeypatch.setattr(dynamics, "integrate_many",
                        lambda *a, **k: calls.append(1) or (_ for _ in ()).throw(AssertionError))  # fmt: skip
    x, phi = dyn.trajectory(x0, np.zeros(3), np.array([0, 1, 1]))
    assert not calls
    np.testing.assert_array_equal(x, x0[[0, 1, 1]])
    np.testing.assert_array_equal(phi, np.broadcast_to(np.eye(6), (3, 6, 6)))
    np.testing.assert_array_equal(dyn.propagate(x0, np.zeros(2), np.array([1, 0])), x0[[1, 0]])


def test_pass_backward_from_its_last_epoch_matches_the_analytic_circular_orbit():
    # a pass of 4 epochs 60 s apart ending at the epoch (the picture's MAP update):
    # backward rows on the node grid and the epoch row itself
    dyn = _point_mass()
    r_km = 6378.137 + 500.0
    x0 = _circular(r_km, dyn.gm, np.zeros(1))
    s = np.array([-180.0, -120.0, -60.0, 0.0])
    x, phi = dyn.trajectory(x0, s, np.zeros(4, int))
    np.testing.assert_allclose(x[:, :3], _circular(r_km, dyn.gm, s)[:, :3], rtol=0, atol=1e-6)
    np.testing.assert_allclose(x[:, 3:], _circular(r_km, dyn.gm, s)[:, 3:], rtol=0, atol=1e-9)
    # the STM maps the flow's direction along itself (autonomous dynamics: a shift in time,
    # Phi(s) f(x0) = f(x(s)) with f = (v, a)): analytic v and a = -n^2 r of the circle
    n2 = dyn.gm / r_km**3
    f0 = np.r_[x0[0, 3:], -n2 * x0[0, :3]]
    xs = _circular(r_km, dyn.gm, s)
    f_s = np.concatenate([xs[:, 3:], -n2 * xs[:, :3]], axis=1)
    np.testing.assert_allclose(phi @ f0, f_s, rtol=0, atol=1e-9)


def test_node_grid_takes_one_step_per_node_on_a_leo_pass(monkeypatch):
    dyn = J2Dynamics(degree=4)
    seen = []
    real = dynamics.integrate_many

    def counting(*a, **k):
        out = real(*a, **k)
        seen.append(out[2]["nsteps"])
        return out

    monkeypatch.setattr(dynamics, "integrate_many", counting)
    # the NumPy path (with numba, od.fastprop integrates instead, same step control)
    monkeypatch.setattr(fastprop, "ACCELERATED", False)
    x0 = np.array([[6878.137, 0.0, 0.0, 0.0, 5.4, 5.4]])
    dyn.trajectory(x0, np.array([-180.0, -120.0, -60.0, 0.0]), np.zeros(4, int))
    assert seen == [3]
