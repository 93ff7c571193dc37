"""The kernels vectorized across times (near-earth ``sgp4_simd``, deep-space
``sgp4_sdp4_simd``): their own sin/cos, fmod and atan2 against the C library, whole states
against the scalar kernel and python-sgp4 (deep space, times in any order), and the batch
conventions of the catalog driver (both kernels are also checked against python-sgp4 over
every catalog object and Vallado's cases in ``test_sgp4_numba.py``)."""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("numba")

from numba import njit  # noqa: E402
from sgp4.api import WGS72, Satrec, SatrecArray  # noqa: E402

from spacerange.propagation import sgp4_sdp4_simd, sgp4_simd  # noqa: E402
from spacerange.propagation.sgp4_fields import (  # noqa: E402
    DEEP,
    IREZ,
)
from spacerange.propagation.sgp4_numba import (  # noqa: E402
    propagate_table,
    table_for_tles,
)
from spacerange.propagation.status import flag_unphysical  # noqa: E402


@njit
def _sincos_many(x):
    s = np.empty_like(x)
    c = np.empty_like(x)
    for i in range(x.shape[0]):
        s[i], c[i] = sgp4_simd._sincos(x[i])
    return s, c


@njit
def _fmod_many(x):
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        out[i] = sgp4_simd._fmod_2pi(x[i])
    return out


@njit
def _atan2_many(y, x):
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        out[i] = sgp4_sdp4_simd._atan2(y[i], x[i])
    return out


def _tles(shared_data, name):
    lines = (shared_data / "catalog" / name).read_text().splitlines()
    return [(a.rstrip(), b.rstrip()) for a, b in zip(lines, lines[1:], strict=False)
            if a[:2] == "1 " and b[:2] == "2 "]  # fmt: skip


def test_sincos_matches_libm_to_a_few_ulp():
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.uniform(-10, 10, 200_000), rng.uniform(-1.5e6, 1.5e6, 200_000),
                        np.arange(-8, 9) * math.pi / 4, [0.0, 1e-300, -1e-12]])  # fmt: skip
    s, c = _sincos_many(x)
    ref_s = np.array([math.sin(v) for v in x])
    ref_c = np.array([math.cos(v) for v in x])
    # absolute error: libm's own reduction is exact, ours carries 3 parts of pi/2
    assert np.abs(s - ref_s).max() < 4e-16 * np.maximum(1.0, np.abs(x) / 1e3).max()
    assert np.abs(s - ref_s)[np.abs(x) < 10].max() < 3e-16
    assert np.abs(c - ref_c)[np.abs(x) < 10].max() < 3e-16


def test_fmod_2pi_is_the_exact_remainder():
    rng = np.random.default_rng(2)
    x = np.concatenate([rng.uniform(-50, 50, 10_000), 10 ** rng.uniform(2, 12, 10_000),
                        -(10 ** rng.uniform(2, 12, 10_000)), [0.0, 2 * math.pi, -2 * math.pi]])  # fmt: skip
    got = _fmod_many(x)
    ref = np.array([math.fmod(v, 2 * math.pi) for v in x])
    ulp = np.spacing(np.maximum(np.abs(ref), 1e-300))
    assert (np.abs(got - ref) <= 2 * ulp + 1e-300).all()


def test_atan2_matches_libm_to_2_ulp():
    rng = np.random.default_rng(3)
    ang = rng.uniform(-math.pi, math.pi, 200_000)
    mag = 10 ** rng.uniform(-8, 2, 200_000)
    y = np.concatenate([mag * np.sin(ang), [0.0, 1.0, -1.0, 0.0, 1e-300, 3.0]])
    x = np.concatenate([mag * np.cos(ang), [1.0, 0.0, 0.0, -1.0, -1.0, 1e-300]])
    # the anchors of fdlibm's reduction, both sides
    z = np.array([0.4375, 0.6875, 1.1875, 2.4375])
    z = np.concatenate([z, np.nextafter(z, 0), np.nextafter(z, 9)])
    y = np.concatenate([y, z, -z])
    x = np.concatenate([x, np.ones(z.size), -np.ones(z.size)])
    got = _atan2_many(y, x)
    ref = np.array([math.atan2(a, b) for a, b in zip(y, x, strict=True)])
    assert (np.abs(got - ref) <= 2 * np.spacing(np.abs(ref)) + 1e-300).all()


def test_vectorized_and_scalar_kernels_agree(shared_data, monkeypatch):
    tles = _tles(shared_data, "spacetrack_3le_full_20231009.txt")[:3000]
    table, init_error = table_for_tles(tles)
    near = (table[:, DEEP] == 0) & (init_error == 0)
    assert near.mean() > 0.5  # the comparison covers both vectorized paths
    assert ((table[:, DEEP] != 0) & (init_error == 0)).sum() > 300
    jd = np.full(600, 2460226.5)
    fr = np.linspace(0.0, 3.0, 600)
    monkeypatch.setenv("SPACERANGE_SGP4_SIMD", "0")
    e0, r0, v0 = propagate_table(table, init_error, jd, fr)
    monkeypatch.setenv("SPACERANGE_SGP4_SIMD", "1")
    e1, r1, v1 = propagate_table(table, init_error, jd, fr)
    np.testing.assert_array_equal(e1, e0)
    ok = e0 == 0
    rad = np.linalg.norm(r0, axis=-1)[ok]
    dr = np.linalg.norm(r1 - r0, axis=-1)[ok]
    assert (dr <= np.maximum(1e-6, 1e-11 * rad)).all(), float(dr.max())
    assert np.nanmax(np.abs(v1 - v0)[ok]) < 1e-9
    assert np.array_equal(np.isnan(r1), np.isnan(r0))


def test_deep_space_matches_python_sgp4_with_times_in_any_order(shared_data):
    """Resonant (12 h, 24 h) and non-resonant deep-space objects, times going forward,
    jumping back across epoch and stepping backwards: the integrator's restart rule and
    the pre-pass's cached derivatives give python-sgp4's states (within 1 mm)."""
    tles = _tles(shared_data, "celestrak_active_20250927T1819Z.tle")
    table, init_error = table_for_tles(tles)
    deep = np.flatnonzero(table[:, DEEP] != 0)
    for irez in (0, 1, 2):
        assert (table[deep, IREZ] == irez).sum() >= 10
    sats = [Satrec.twoline2rv(*tles[i], WGS72) for i in deep]  # fresh integrator states
    day0 = np.floor(max(s.jdsatepoch + s.jdsatepochF for s in sats) - 0.5) + 0.5
    fr = np.concatenate([np.arange(-2.0, 3.0, 1 / 48), np.arange(-1.0, -30.0, -0.37), [5.0, 0.01]])
    jd = np.full(fr.size, day0)
    e_ref, r_ref, v_ref = SatrecArray(sats).sgp4(jd, fr)
    e, r, v = propagate_table(table[deep], init_error[deep], jd, fr)
    np.testing.assert_array_equal(e, e_ref)
    ok = e_ref == 0
    assert ok.mean() > 0.95
    rad = np.linalg.norm(r_ref, axis=-1)[ok]
    dr = np.linalg.norm(r - r_ref, axis=-1)[ok]
    assert (dr <= np.where(rad > 1e5, 1e-11 * rad, 1e-6)).all(), float(dr.max())
    assert np.abs(v - v_ref)[ok].max() < 1e-9


def test_batch_mode_flags_and_blanks_inside_the_kernel(shared_data):
    """``batch=True`` equals python-sgp4's output put through ``flag_unphysical`` and NaN
    for every non-zero code (decayed included), as ``sgp4_batch`` did in extra passes."""
    tles = _tles(shared_data, "spacetrack_3le_full_20231009.txt")[:4000]
    table, init_error = table_for_tles(tles)
    jd = np.full(200, 2460226.5)
    fr = np.linspace(-20.0, 20.0, 200)
    e, r, v = propagate_table(table, init_error, jd, fr)
    status = e.view(np.int8).copy()
    flag_unphysical(r, v, status)
    bad = status != 0
    assert (status == 6).any() and (status == 1).any()  # the case is exercised
    r[bad] = np.nan
    v[bad] = np.nan
    out = (np.empty(e.shape, np.int8), np.empty(r.shape), np.empty(v.shape))
    e2, r2, v2 = propagate_table(table, init_error, jd, fr, batch=True, out=out)
    assert e2 is out[0] and r2 is out[1]
    np.testing.assert_array_equal(e2, status)
    np.testing.assert_array_equal(r2, r)
    np.testing.assert_array_equal(v2, v)
