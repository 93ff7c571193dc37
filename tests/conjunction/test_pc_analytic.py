"""Pc methods against closed forms and published example values (no shared data needed)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import ncx2

from spacerange.conjunction.encounter import coppola_conjunction_bounds
from spacerange.conjunction.pc import (
    clopper_pearson,
    pc_chan,
    pc_foster,
    pc_foster_2d,
    pc_max_alfano,
    pc_max_alfano_2d,
)

# NASA CARA Pc2D_Foster.m documented validation case 1 (km, km/s, km^2)
CARA_R1 = np.array([378.39559, 4305.721887, 5752.767554])
CARA_V1 = np.array([2.360800244, 5.580331936, -4.322349039])
CARA_R2 = np.array([374.5180598, 4307.560983, 5751.130418])
CARA_V2 = np.array([-5.388125081, -3.946827739, 3.322820358])
CARA_C1 = np.array(
    [
        [44.5757544811362, 81.6751751052616, -67.8687662707124],
        [81.6751751052616, 158.453402956163, -128.616921644857],
        [-67.8687662707124, -128.616921644858, 105.490542562701],
    ]
)
CARA_C2 = np.array(
    [
        [2.31067077720423, 1.69905293875632, -1.4170164577661],
        [1.69905293875632, 1.24957388457206, -1.04174164279599],
        [-1.4170164577661, -1.04174164279599, 0.869260558223714],
    ]
)
CARA_HBR = 0.020
CARA_PC = 2.7060234765697e-05


def test_foster_cara_documented_case():
    res = pc_foster(CARA_R1, CARA_V1, CARA_C1, CARA_R2, CARA_V2, CARA_C2, CARA_HBR)
    assert res.pc == pytest.approx(CARA_PC, rel=1e-8)
    assert not res.flags["low_relative_speed"] and not res.flags["long_encounter"]


def test_chan_agrees_with_foster_where_valid():
    res = pc_chan(CARA_R1, CARA_V1, CARA_C1, CARA_R2, CARA_V2, CARA_C2, CARA_HBR)
    assert not res.flags["hbr_large_vs_covariance"]
    assert res.pc == pytest.approx(CARA_PC, rel=1e-4)


@pytest.mark.parametrize("r_over_sigma", [0.05, 0.5, 1.0, 3.0])
def test_isotropic_zero_miss_closed_form(r_over_sigma):
    sigma = 0.2
    hbr = r_over_sigma * sigma
    expected = 1.0 - np.exp(-(hbr**2) / (2 * sigma**2))
    cov = np.eye(2) * sigma**2
    foster = pc_foster_2d([0.0, 0.0], cov, hbr)
    assert foster.pc == pytest.approx(expected, rel=1e-9)
    # the same through the full 3-D front end
    r1 = np.array([7000.0, 0.0, 0.0])
    res = pc_foster(
        r1, [0, 7.5, 0], np.eye(3) * sigma**2 / 2, r1, [0, 0, 7.5], np.eye(3) * sigma**2 / 2, hbr
    )
    assert res.pc == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("miss_over_sigma", [0.5, 2.0, 6.0])
def test_isotropic_with_miss_rician(miss_over_sigma):
    """Isotropic 2-D Gaussian: Pc is the non-central chi-square (2 dof) CDF."""
    sigma, hbr = 0.1, 0.03
    d = miss_over_sigma * sigma
    expected = ncx2.cdf(hbr**2 / sigma**2, 2, d**2 / sigma**2)
    miss = np.array([d * 0.6, d * 0.8])
    cov = np.eye(2) * sigma**2
    assert pc_foster_2d(miss, cov, hbr).pc == pytest.approx(expected, rel=1e-8)


def test_ill_conditioned_thin_covariance_converges():
    """sigma_min << HBR: the adaptive fallback must agree with an independent dense rule."""
    miss = np.array([0.004, 0.003])
    cov = np.array([[0.05**2, 0.0], [0.0, 0.0003**2]])
    hbr = 0.010
    res = pc_foster_2d(miss, cov, hbr, rtol=1e-10)
    # brute force: 1-D integral over the thin axis is ~ indicator; integrate the wide
    # axis Gaussian over the chord at y = 0.003 +- thin spread (Simpson, fine grid)
    y = np.linspace(-0.01, 0.01, 400_001)
    gy = np.exp(-0.5 * (y / 0.0003) ** 2) / (np.sqrt(2 * np.pi) * 0.0003)
    from scipy.special import ndtr

    h = np.sqrt(np.clip(hbr**2 - (y - 0.003) ** 2, 0, None))
    chord = ndtr((0.004 + h) / 0.05) - ndtr((0.004 - h) / 0.05)
    from scipy.integrate import simpson

    ref = simpson(gy * chord * (h > 0), x=y)
    assert res.pc == pytest.approx(ref, rel=1e-6)


def test_rotation_invariance():
    rng = np.random.default_rng(1)
    q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    base = pc_foster(CARA_R1, CARA_V1, CARA_C1, CARA_R2, CARA_V2, CARA_C2, CARA_HBR).pc
    rot = pc_foster(
        q @ CARA_R1,
        q @ CARA_V1,
        q @ CARA_C1 @ q.T,
        q @ CARA_R2,
        q @ CARA_V2,
        q @ CARA_C2 @ q.T,
        CARA_HBR,
    ).pc
    assert rot == pytest.approx(base, rel=1e-10)


def test_max_pc_circular_closed_form():
    """Alfano (2005): isotropic covariance, small HBR: Pc_max = R^2 / (e d^2)."""
    d, hbr = 1.0, 0.01
    res = pc_max_alfano_2d([d, 0.0], np.eye(2) * 0.3**2, hbr)
    assert res.pc == pytest.approx(hbr**2 / (np.e * d**2), rel=2e-4)
    assert res.flags["scale_factor"] * 0.3 == pytest.approx(d / np.sqrt(2), rel=1e-3)


def test_max_pc_not_below_foster():
    rng = np.random.default_rng(3)
    n = 40
    a = rng.standard_normal((n, 2, 2)) * 0.2
    cov = a @ np.swapaxes(a, -1, -2) + 1e-4 * np.eye(2)
    miss = rng.standard_normal((n, 2)) * 0.3
    hbr = rng.uniform(0.005, 0.05, n)
    assert np.all(
        pc_max_alfano_2d(miss, cov, hbr).pc >= pc_foster_2d(miss, cov, hbr).pc * (1 - 1e-9)
    )
    res = pc_max_alfano(CARA_R1, CARA_V1, CARA_C1, CARA_R2, CARA_V2, CARA_C2, CARA_HBR)
    assert res.pc >= CARA_PC


def test_clopper_pearson_edges():
    # zero hits: upper bound 1 - (alpha/2)^(1/n) (exact for the binomial)
    lo, hi = clopper_pearson(0, 1000)
    assert lo == 0.0 and hi == pytest.approx(1 - 0.025 ** (1 / 1000), rel=1e-10)
    lo, hi = clopper_pearson(1000, 1000)
    assert hi == 1.0 and lo == pytest.approx(0.025 ** (1 / 1000), rel=1e-10)


@pytest.mark.parametrize(
    "r1,v1,c1,r2,v2,c2,hbr,tau0,tau1",
    [
        # CARA LinearConjDuration.m documented cases 1 and 2 (m, m/s, m^2), Hall et al. 2018
        (
            [-9.842093647442480e05, 3.931926264086390e05, 6.991224004693392e06],
            [4.883454112123840e03, 5.689294308456769e03, 3.665363038076542e02],
            [
                [4.976052019427295e04, 5.787056034675250e04, 3.370244323972227e03],
                [5.787056034675250e04, 6.730871246008216e04, 3.926688367496737e03],
                [3.370244323972227e03, 3.926688367496737e03, 2.461405204706109e02],
            ],
            [-9.839848654647591e05, 3.936434850314705e05, 6.991219473018020e06],
            [1.509248147563707e03, 7.373003029689082e03, -1.492499807334025e02],
            [
                [4.245099621043838e04, 2.065963368930267e05, -5.010043216505899e03],
                [2.065963368930267e05, 1.005872352933331e06, -2.434884753961109e04],
                [-5.010043216505899e03, -2.434884753961109e04, 6.131211497491000e02],
            ],
            20.0,
            -3.420684860400457e-01,
            3.904469210852202e-01,
        ),
        (
            [7.024372797415487e06, -6.791385617713347e05, -5.967897695834826e05],
            [-2.860274625876989e02, 9.622903147818041e03, -1.360862306955150e03],
            [
                [9.607519669421256e02, -8.200162426475858e03, 1.445470803475952e03],
                [-8.200162426475858e03, 9.123404938408395e05, -1.329871062174348e05],
                [1.445470803475952e03, -1.329871062174348e05, 1.978319035209270e04],
            ],
            [7.029150207165684e06, -6.187859247558538e05, -5.438025870728889e05],
            [7.142872072322662e02, 2.012989242434993e03, 7.216509095006236e03],
            [
                [1.399046667137783e08, 3.966346832929837e08, 1.424266116056896e09],
                [3.966346832929837e08, 1.124492680655296e09, 4.037825954063638e09],
                [1.424266116056896e09, 4.037825954063638e09, 1.449981900252032e10],
            ],
            52.84,
            3.589250204918186e00,
            5.174956423245569e00,
        ),
    ],
)
def test_coppola_bounds_match_cara(r1, v1, c1, r2, v2, c2, hbr, tau0, tau1):
    r = np.subtract(r2, r1)
    v = np.subtract(v2, v1)
    t0, t1 = coppola_conjunction_bounds(r, v, np.add(c1, c2), hbr)
    assert t0[0] == pytest.approx(tau0, rel=1e-9)
    assert t1[0] == pytest.approx(tau1, rel=1e-9)


def test_bad_inputs_raise():
    from spacerange.errors import CovarianceError

    with pytest.raises(ValueError, match="hbr_km"):
        pc_foster_2d([0.1, 0], np.eye(2), -1.0)
    bad = np.array([[1.0, 0.5], [0.0, 1.0]])
    with pytest.raises(CovarianceError, match="not symmetric"):
        pc_foster_2d([0.1, 0], bad, 0.01)
