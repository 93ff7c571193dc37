"""The near-earth kernel vectorized across times: its own sin/cos and fmod against the C
library, and whole states against the scalar kernel (both are also checked against
python-sgp4 and Vallado's cases in ``test_sgp4_numba.py``, through ``propagate_table``)."""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("numba")

from numba import njit  # noqa: E402

from spacerange.propagation import sgp4_simd  # noqa: E402
from spacerange.propagation.sgp4_numba import DEEP, propagate_table, table_for_tles  # noqa: E402


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


def test_vectorized_and_scalar_kernels_agree(shared_data, monkeypatch):
    lines = (shared_data / "catalog" / "spacetrack_3le_full_20231009.txt").read_text().splitlines()
    tles = [(a.rstrip(), b.rstrip()) for a, b in zip(lines, lines[1:], strict=False)
            if a[:2] == "1 " and b[:2] == "2 "][:3000]  # fmt: skip
    table, init_error = table_for_tles(tles)
    near = (table[:, DEEP] == 0) & (init_error == 0)
    assert near.mean() > 0.5  # the comparison covers the vectorized path
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
