"""The batch's realistic covariance ``N^-1 + N^-1 (M - N)_+ N^-1`` (od.batch) against its
closed forms: the formal ``N^-1`` where the track scores show no excess (``M <= N``), the
sandwich ``N^-1 M N^-1`` where they exceed ``N`` in every direction; objects with a
non-finite or indefinite normal matrix keep the formal inverse; all at once as alone."""

from __future__ import annotations

import numpy as np

from spacerange.od.batch import realistic_covariance


def _spd(rng, n, scale):
    a = rng.normal(size=(n, 6, 6)) * scale
    return a @ np.swapaxes(a, 1, 2) + np.eye(6) * 1e-3 * scale**2


def test_closed_forms_per_object_and_the_degenerate_ones():
    rng = np.random.default_rng(4)
    n = 40
    nmat = _spd(rng, n, 10.0 ** rng.uniform(-2, 2, (n, 1, 1)))
    more = nmat + _spd(rng, n, 10.0 ** rng.uniform(-2, 2, (n, 1, 1)))  # M > N everywhere
    less = nmat * rng.uniform(0.1, 1.0, (n, 1, 1))  # M <= N everywhere
    inv = np.linalg.inv(nmat)
    got = realistic_covariance(nmat, more)
    sandwich = inv @ more @ inv
    assert np.allclose(got, sandwich, rtol=1e-7, atol=0), np.abs(got / sandwich - 1).max()
    assert np.allclose(realistic_covariance(nmat, less), inv, rtol=1e-9, atol=0)
    # mixed: each object as alone, bit for bit
    mixed = np.where(rng.random(n)[:, None, None] < 0.5, more, less)
    both = realistic_covariance(nmat, mixed)
    for i in range(n):
        assert np.array_equal(both[i], realistic_covariance(nmat[i : i + 1], mixed[i : i + 1])[0])
    # a NaN score or an indefinite N: the formal inverse, the others unaffected
    bad_m, bad_n = mixed.copy(), nmat.copy()
    bad_m[3, 0, 0] = np.nan
    bad_n[7] = -bad_n[7]
    out = realistic_covariance(bad_n, bad_m)
    assert np.array_equal(out[3], inv[3]) or np.allclose(out[3], inv[3], rtol=1e-12)
    assert np.allclose(out[7], np.linalg.inv(bad_n[7]), rtol=1e-9)
    keep = [i for i in range(n) if i not in (3, 7)]
    assert np.array_equal(out[keep], both[keep])
