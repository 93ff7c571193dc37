"""NASA Standard Breakup Model against the published figures and distributions.

References: Johnson et al. 2001 (EVOLVE 4.0 breakup model), Krisko 2011 (ODQN 15-4),
NASA CARA ``CollisionConsequenceNumPieces_UnitTest.m`` and ESA NASA-breakup-model-cpp
tests, as collected in shared/data/breakup/nasa_sbm_reference.json.  The analytic
distributions used in the KS tests are built here from that JSON (its formula strings),
independently of the module's own parameter table.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import numpy as np
import pytest
from scipy import stats
from scipy.special import ndtr

from spacerange.events import breakup as sbm

KS_ALPHA = 0.01  # a correct law must not be rejected at 1 %
KS_WRONG = 1e-6  # a wrong law must be rejected at this level


# ---------------------------------------------------------------------- reference loader


@pytest.fixture(scope="module")
def ref(shared_data):
    return json.loads((shared_data / "breakup" / "nasa_sbm_reference.json").read_text())


def _param(spec, lam: float) -> float:
    """Evaluate one JSON parameter at lambda_c = log10(Lc)."""
    if isinstance(spec, (int, float)):
        return float(spec)
    if isinstance(spec, str):
        return float(eval(spec, {"__builtins__": {}}, {"lambda_c": lam}))  # noqa: S307
    if lam <= spec["lo"]:
        return float(spec["low"])
    if lam >= spec["hi"]:
        return float(spec["high"])
    return float(eval(spec["mid"], {"__builtins__": {}}, {"lambda_c": lam}))  # noqa: S307


def _ref_chi_cdf(ref, chi, lc, kind_key: str):
    """Published A/M law: bimodal mixture (Lc > 11 cm), small-fragment normal (< 8 cm),
    bridged linearly in Lc between them."""
    am = ref["area_to_mass_distribution"]
    chi = np.atleast_1d(np.asarray(chi, float))
    lc = np.broadcast_to(np.asarray(lc, float), chi.shape)
    out = np.empty_like(chi)
    for i, (x, length) in enumerate(zip(chi, lc, strict=True)):
        lam = math.log10(length)
        p = {k: _param(v, lam) for k, v in am[kind_key].items()}
        large = p["alpha"] * ndtr((x - p["mu1"]) / p["sigma1"]) + (1 - p["alpha"]) * ndtr(
            (x - p["mu2"]) / p["sigma2"]
        )
        s = am["small_fragments_Lc_lt_0.08m"]
        small = ndtr((x - _param(s["mu_soc"], lam)) / _param(s["sigma_soc"], lam))
        beta = min(1.0, max(0.0, (length - 0.08) / 0.03))
        out[i] = beta * large + (1 - beta) * small
    return out


def _ref_dv_cdf(ref, dv_m_s, chi, event: str):
    mu_expr = ref["delta_v_distribution"][f"{event}_mu"]
    mu = eval(mu_expr, {"__builtins__": {}}, {"chi": np.asarray(chi)})  # noqa: S307
    return ndtr((np.log10(dv_m_s) - mu) / 0.4)


KIND_KEY = {"spacecraft": "SC", "rocket_body": "RB"}


# ---------------------------------------------------------------------- piece counts


def test_cara_collision_piece_counts(ref):
    case = ref["reference_test_values"]["CARA_CollisionConsequenceNumPieces"]
    m1 = case["PrimaryMass_kg"]
    v = case["VRel_mps"] / 1e3
    for m2, cat, published in zip(
        case["SecondaryMass_kg"], case["Catastrophic"], case["NumOfPieces"], strict=True
    ):
        e = sbm.collision_energy_j_g(m1, m2, v)
        catastrophic = e > sbm.CATASTROPHIC_THRESHOLD_J_G
        assert catastrophic == bool(cat), (m2, e)
        big_m = m1 + m2 if catastrophic else min(m1, m2) * v**2
        n = sbm.expected_fragment_count("collision", case["Lc_m"], mass_kg=big_m)
        # CARA prints rounded counts: the power law must round to them (or be within 1 %).
        assert abs(n - published) <= max(0.5, 0.01 * published), (m2, n, published)

        frags = sbm.breakup_collision(
            m1, m2, v, "spacecraft", case["Lc_m"], np.random.default_rng(7)
        )
        assert frags.catastrophic == bool(cat)
        assert frags.expected_count == pytest.approx(n)
        assert abs(frags.n_debris - published) <= 4 * math.sqrt(published) + 1, (m2, frags.n_debris)


def test_esa_explosion_count(ref):
    case = ref["reference_test_values"]["esa_cpp_ExplosionTest"]
    f = sbm.breakup_explosion(case["m"], "rocket_body", case["Lc_min"], np.random.default_rng(1))
    assert (
        abs(f.expected_count - case["expected_fragment_count"])
        <= 0.01 * case["expected_fragment_count"]
    )
    n = case["expected_fragment_count"]
    assert abs(f.n_debris - n) <= 4 * math.sqrt(n)
    # ESA/CARA deterministic count: floor(N) sampled fragments (some may be dropped for mass)
    g = sbm.breakup_explosion(
        case["m"], "rocket_body", case["Lc_min"], np.random.default_rng(2), poisson=False
    )
    assert g.n_debris + g.n_removed == n


@pytest.mark.parametrize("name", ["esa_cpp_CollisionTest", "esa_cpp_NonCatastrophicCollisionTest"])
def test_esa_collision_counts(ref, name):
    case = ref["reference_test_values"][name]
    v = abs(case["v1_mps"][0] - case["v2_mps"][0]) / 1e3
    g = sbm.breakup_collision(
        case["m2"],
        case["m1"],
        v,
        "spacecraft",
        case["Lc_min"],
        np.random.default_rng(3),
        poisson=False,
    )
    assert g.catastrophic == case["catastrophic"]
    assert g.n_debris + g.n_removed == case["expected_fragment_count"]


def test_cumulative_size_distribution_follows_power_law(ref):
    """N(>= Lc) of a sampled catastrophic collision vs 0.1 M^0.75 Lc^-1.71 (Poisson)."""
    case = ref["reference_test_values"]["esa_cpp_CollisionTest"]
    f = sbm.breakup_collision(
        case["m2"], case["m1"], 11.7, "spacecraft", 0.05, np.random.default_rng(11)
    )
    lc = f.lc_m[~f.is_remnant]
    for length in (0.05, 0.15, 0.25, 0.35, 0.45):
        model = 0.1 * (case["m1"] + case["m2"]) ** 0.75 * length**-1.71
        got = np.count_nonzero(lc >= length)
        # 4 sigma Poisson, plus the few % the size cap at the parent's Lc removes
        assert abs(got - model) <= 4 * math.sqrt(model) + 0.03 * model + f.n_removed, length


def test_zero_mass_impactor_gives_no_fragments():
    f = sbm.breakup_collision(2000.0, 0.0, 10.0, "spacecraft", 0.05, np.random.default_rng(0))
    assert f.expected_count == 0.0 and f.n_debris == 0
    assert f.total_mass_kg == pytest.approx(2000.0)  # the untouched target is the remnant


# ---------------------------------------------------------------------- 40 J/g rule


def test_catastrophic_threshold_both_sides():
    m_t, m_p = 1000.0, 10.0
    v40 = math.sqrt(2 * 40e3 * m_t / m_p) / 1e3  # km/s giving exactly 40 J/g
    assert sbm.collision_energy_j_g(m_t, m_p, v40) == pytest.approx(40.0)
    above = sbm.breakup_collision(m_t, m_p, v40 * 1.001, min_lc_m=0.2, rng=np.random.default_rng(0))
    below = sbm.breakup_collision(m_t, m_p, v40 * 0.999, min_lc_m=0.2, rng=np.random.default_rng(0))
    assert above.catastrophic and above.energy_j_g > 40.0
    assert not below.catastrophic and below.energy_j_g < 40.0
    assert above.characteristic_mass_kg == pytest.approx(m_t + m_p)
    assert below.characteristic_mass_kg == pytest.approx(m_p * (v40 * 0.999) ** 2)
    # argument order does not matter: the projectile is the lighter body
    swapped = sbm.breakup_collision(
        m_p, m_t, v40 * 1.001, min_lc_m=0.2, rng=np.random.default_rng(0)
    )
    assert swapped.catastrophic


# ---------------------------------------------------------------------- A/M and area laws


def test_parameter_table_matches_reference(ref):
    lc = 10.0 ** np.linspace(-3.0, 1.0, 81)
    chi = np.linspace(-3.0, 1.5, 81)
    for kind, key in KIND_KEY.items():
        np.testing.assert_allclose(
            sbm.log_area_to_mass_cdf(chi, lc, kind), _ref_chi_cdf(ref, chi, lc, key), atol=1e-12
        )


def test_area_from_characteristic_length(ref):
    lc = np.array([1e-4, 1e-3, 0.00166, 0.00167, 0.01, 0.1, 1.0, 5.0])
    expected = np.where(lc < 0.00167, 0.540424 * lc**2, 0.556945 * lc**2.0047077)
    np.testing.assert_allclose(sbm.characteristic_length_to_area_m2(lc), expected, rtol=1e-15)


@pytest.mark.parametrize(
    ("kind", "lc_m"),
    [
        ("spacecraft", 0.5),
        ("spacecraft", 0.15),
        ("rocket_body", 0.5),
        ("rocket_body", 0.2),
        ("rocket_body", 0.02),  # small-fragment law
        ("spacecraft", 0.095),  # bridge
    ],
)
def test_area_to_mass_ks(ref, kind, lc_m):
    rng = np.random.default_rng(2024)
    chi = sbm.sample_log_area_to_mass(np.full(20_000, lc_m), kind, rng)
    p = stats.kstest(chi, lambda x: _ref_chi_cdf(ref, x, lc_m, KIND_KEY[kind])).pvalue
    assert p > KS_ALPHA, p


def test_area_to_mass_ks_rejects_wrong_laws(ref):
    rng = np.random.default_rng(2024)
    lc = 0.5
    chi = sbm.sample_log_area_to_mass(np.full(20_000, lc), "rocket_body", rng)
    # the spacecraft law is not the rocket-body law
    p_kind = stats.kstest(chi, lambda x: _ref_chi_cdf(ref, x, lc, "SC")).pvalue
    assert p_kind < KS_WRONG
    # the weighted *sum* alpha*N1 + (1-alpha)*N2 is not the published mixture density
    lam = math.log10(lc)
    p = {k: _param(v, lam) for k, v in ref["area_to_mass_distribution"]["RB"].items()}
    wsum = p["alpha"] * rng.normal(p["mu1"], p["sigma1"], 20_000) + (1 - p["alpha"]) * rng.normal(
        p["mu2"], p["sigma2"], 20_000
    )
    assert stats.kstest(wsum, lambda x: _ref_chi_cdf(ref, x, lc, "RB")).pvalue < KS_WRONG


def test_breakup_fragments_pass_probability_integral_transform(ref):
    """chi | Lc and dV | chi over a whole explosion: F(x) must be uniform."""
    f = sbm.breakup_explosion(839.0, "rocket_body", 0.05, np.random.default_rng(5))
    assert f.n_removed == 0  # no budget cut, so the sample is unbiased
    d = ~f.is_remnant
    u_chi = _ref_chi_cdf(ref, f.chi[d], f.lc_m[d], "RB")
    assert stats.kstest(u_chi, "uniform").pvalue > KS_ALPHA
    dv_m_s = np.linalg.norm(f.dv_km_s[d], axis=-1) * 1e3
    assert (
        stats.kstest(_ref_dv_cdf(ref, dv_m_s, f.chi[d], "explosion"), "uniform").pvalue > KS_ALPHA
    )
    assert (
        stats.kstest(_ref_dv_cdf(ref, dv_m_s, f.chi[d], "collision"), "uniform").pvalue < KS_WRONG
    )


# ---------------------------------------------------------------------- delta-v


@pytest.mark.parametrize("event", ["collision", "explosion"])
def test_delta_v_ks(ref, event):
    rng = np.random.default_rng(99)
    for chi0 in (-2.0, -1.0, 0.0):
        chi = np.full(20_000, chi0)
        dv = sbm.sample_delta_v_m_s(chi, event, rng)
        p = stats.kstest(dv, lambda x, c=chi0: _ref_dv_cdf(ref, x, c, event)).pvalue
        assert p > KS_ALPHA, (chi0, p)
        other = "explosion" if event == "collision" else "collision"
        wrong = stats.kstest(dv, lambda x, c=chi0, o=other: _ref_dv_cdf(ref, x, c, o)).pvalue
        assert wrong < KS_WRONG


def test_delta_v_directions_isotropic():
    f = sbm.breakup_collision(1000, 900, 10.0, "spacecraft", 0.05, np.random.default_rng(3))
    u = f.dv_km_s[~f.is_remnant]
    u = u / np.linalg.norm(u, axis=-1, keepdims=True)
    assert stats.kstest(u[:, 2], stats.uniform(-1, 2).cdf).pvalue > KS_ALPHA
    phi = np.arctan2(u[:, 1], u[:, 0])
    assert stats.kstest(phi, stats.uniform(-np.pi, 2 * np.pi).cdf).pvalue > KS_ALPHA


# ---------------------------------------------------------------------- mass conservation


def test_fragment_mass_never_exceeds_parents():
    rng = np.random.default_rng(123)
    for trial in range(60):
        seed = int(rng.integers(1 << 31))
        conserve = bool(trial % 2)
        if trial % 3 == 0:
            m = float(10 ** rng.uniform(0, 4))
            f = sbm.breakup_explosion(
                m, "spacecraft", float(rng.uniform(0.05, 0.3)), np.random.default_rng(seed),
                conserve_mass=conserve,
            )  # fmt: skip
            parents = m
        else:
            m_t, m_p = float(10 ** rng.uniform(1, 4)), float(10 ** rng.uniform(-2, 3.5))
            v = float(rng.uniform(0.1, 15))
            f = sbm.breakup_collision(
                m_t, m_p, v, "rocket_body", float(rng.uniform(0.05, 0.3)),
                np.random.default_rng(seed), conserve_mass=conserve,
            )  # fmt: skip
            parents = m_t + m_p
            assert np.sum(f.mass_kg[~f.is_remnant]) <= f.mass_budget_kg
        assert np.all(f.mass_kg > 0)
        assert f.total_mass_kg <= parents, (trial, f.total_mass_kg, parents)
        if conserve:
            assert f.total_mass_kg == pytest.approx(parents, rel=1e-12)


def test_area_mass_consistency():
    f = sbm.breakup_explosion(500.0, "spacecraft", 0.02, np.random.default_rng(8))
    np.testing.assert_allclose(f.mass_kg, f.area_m2 / f.area_to_mass_m2_kg, rtol=1e-12)
    assert np.all(f.lc_m[~f.is_remnant] >= 0.02)


# ---------------------------------------------------------------------- states and TLEs


def test_bstar_formula():
    # Vallado (2013) sec. 9.7: B* = B / 12.741621 [1/ER] for B = Cd A/m [m^2/kg]
    np.testing.assert_allclose(
        sbm.bstar_from_area_to_mass(0.1, 2.2), 2.2 * 0.1 / 12.741621, rtol=1e-6
    )


def test_default_parent_orbit_and_states():
    f = sbm.breakup_explosion(839.0, "rocket_body", 0.1, np.random.default_rng(4))
    st = f.with_parent_state()
    assert st.shape == (f.n, 6)
    np.testing.assert_allclose(np.linalg.norm(st[:, :3], axis=-1), 6378.135 + 800.0)
    np.testing.assert_allclose(st[:, 3:] - sbm.DEFAULT_PARENT_V_TEME_KM_S, f.dv_km_s)
    h = np.cross(sbm.DEFAULT_PARENT_R_TEME_KM, sbm.DEFAULT_PARENT_V_TEME_KM_S)
    assert math.degrees(math.acos(h[2] / np.linalg.norm(h))) == pytest.approx(98.6)


def test_to_elsets_reproduce_states_with_sgp4():
    from sgp4.api import Satrec

    f = sbm.breakup_explosion(839.0, "rocket_body", 0.1, np.random.default_rng(4))
    r0 = np.array([7000.0, 0.0, 0.0])
    v0 = np.array([0.0, 1.0, 7.4])
    epoch = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
    el = f.to_elsets(epoch, r0, v0, first_norad_id=85000, cospar_id="2024-999A")
    assert len(el.elsets) == len(el.elset_index) > 0.8 * f.n
    for i, e in zip(el.elset_index[:50], el.elsets[:50], strict=True):
        sat = Satrec.twoline2rv(e.line1, e.line2)
        err, r, _ = sat.sgp4(sat.jdsatepoch, sat.jdsatepochF)
        assert err == 0
        # TLE text rounds angles to 1e-4 deg and e to 1e-7: agree within ~2 km
        assert np.linalg.norm(np.array(r) - el.state_teme[i, :3]) < 2.0
        assert e.line1[9:15] == "24999A"
        assert e.epoch == epoch
    assert np.nanmax(el.fit_residual_km) < 1e-3
    np.testing.assert_allclose(
        el.bstar[el.elset_index], [e.bstar for e in el.elsets], rtol=1e-3, atol=1e-9
    )


def test_reentering_fragments_are_flagged():
    f = sbm.breakup_explosion(
        100.0, "spacecraft", 0.2, np.random.default_rng(0), conserve_mass=False
    )
    # add a retro-burn of 300 m/s to the first fragment: perigee falls well below 100 km
    f.dv_km_s[0] = (
        -0.3 * sbm.DEFAULT_PARENT_V_TEME_KM_S / np.linalg.norm(sbm.DEFAULT_PARENT_V_TEME_KM_S)
    )
    f.dv_km_s[1] = (
        20.0 * sbm.DEFAULT_PARENT_V_TEME_KM_S / np.linalg.norm(sbm.DEFAULT_PARENT_V_TEME_KM_S)
    )
    el = f.to_elsets(np.datetime64("2024-01-01T00:00:00"))
    assert el.reentering[0] and el.osc_perigee_alt_km[0] < 100.0
    assert el.reentering[1]  # hyperbolic: no orbit
    assert 0 not in el.elset_index and 1 not in el.elset_index
    np.testing.assert_array_equal(el.reentering[2:], el.osc_perigee_alt_km[2:] < 100.0)


# ---------------------------------------------------------------------- errors, plot


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: sbm.breakup_explosion(-1.0), "parent_mass_kg"),
        (lambda: sbm.breakup_explosion(10.0, "payload"), "parent_kind"),
        (lambda: sbm.breakup_explosion(10.0, min_lc_m=0.0), "min_lc_m"),
        (lambda: sbm.breakup_collision(10.0, float("nan"), 1.0), "impactor_mass_kg"),
        (lambda: sbm.breakup_collision(10.0, 1.0, 1.0, kind="debris"), "kind"),
        (lambda: sbm.breakup_explosion(10.0, min_lc_m=1e-6), "min_lc_m"),
    ],
)
def test_bad_input_names_the_field(call, field):
    with pytest.raises(ValueError, match=field):
        call()


def test_naive_epoch_rejected():
    f = sbm.breakup_explosion(10.0, "spacecraft", 0.1, np.random.default_rng(0))
    with pytest.raises(ValueError, match="epoch"):
        f.to_elsets(datetime(2024, 1, 1))


def test_gabbard_plot(tmp_path):
    from spacerange.events.gabbard import gabbard_plot, gabbard_points

    f = sbm.breakup_explosion(839.0, "rocket_body", 0.1, np.random.default_rng(4))
    el = f.to_elsets(np.datetime64("2024-01-01T00:00:00"))
    period, apo, peri = gabbard_points(el)
    assert period.size == len(el.elsets)
    assert np.all(apo >= peri)
    # the two branches cross at the parent's (800 km circular) period, ~100.9 min
    near = np.abs(period - 100.87) < 0.3
    assert np.median(apo[near]) == pytest.approx(800.0, abs=30.0)
    out = gabbard_plot(el, tmp_path / "g.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    period2, _, _ = gabbard_points(el.elsets)
    np.testing.assert_allclose(np.sort(period2), np.sort(period), rtol=1e-9)
