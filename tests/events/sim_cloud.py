"""Simulated catalogued debris cloud for the trace-back tests and benchmark (not a test).

A NASA SBM explosion of a parent whose last element set is from the day of the event; the
fragments fly with drag (SGP4 with B* from their SBM area-to-mass ratio) and are re-fitted
to element sets at staggered epochs 1-10 weeks later from states with element-set-like
errors (RTN position 1-sigma 0.1/0.5/0.1 km, velocity 0.2/0.03/0.1 m/s) and a 25 %
log-normal B* error."""

from __future__ import annotations

import math

import numpy as np
from sgp4.api import Satrec

from spacerange.events.breakup import _states_to_elements, breakup_explosion

MU = 398600.8  # WGS-72


def _jd(t):
    us = int(np.datetime64(t, "us").astype(np.int64))
    d, rem = divmod(us, 86_400_000_000)
    return 2440587.5 + d, rem / 86400e6


def _kepler_state(a, e, i, raan, argp, nu):
    p = a * (1 - e * e)
    r_pf = np.array([math.cos(nu), math.sin(nu), 0.0]) * p / (1 + e * math.cos(nu))
    v_pf = np.array([-math.sin(nu), e + math.cos(nu), 0.0]) * math.sqrt(MU / p)
    ci, si, co, so, cw, sw = (math.cos(i), math.sin(i), math.cos(raan), math.sin(raan),
                              math.cos(argp), math.sin(argp))  # fmt: skip
    rot = np.array([[co * cw - so * sw * ci, -co * sw - so * cw * ci, so * si],
                    [so * cw + co * sw * ci, -so * sw + co * cw * ci, -co * si],
                    [sw * si, cw * si, ci]])  # fmt: skip
    return np.concatenate([rot @ r_pf, rot @ v_pf])


def _rtn_noise(st, rng, sig_r_km, sig_v_km_s):
    r, v = st[:, :3], st[:, 3:]
    ur = r / np.linalg.norm(r, axis=1)[:, None]
    un = np.cross(r, v)
    un /= np.linalg.norm(un, axis=1)[:, None]
    ut = np.cross(un, ur)
    basis = np.stack([ur, ut, un], 1)  # (n, 3 axes, 3)
    dr = rng.normal(size=(len(st), 3)) * sig_r_km
    dv = rng.normal(size=(len(st), 3)) * sig_v_km_s
    return st + np.concatenate([np.einsum("na,nai->ni", dr, basis),
                                np.einsum("na,nai->ni", dv, basis)], 1)  # fmt: skip


def simulate_cloud(
    event_utc: np.datetime64,
    seed: int = 7,
    parent_mass_kg: float = 1400.0,
    min_lc_m: float = 0.1,
    inc_deg: float = 82.6,
    alt_km: float = 780.0,
    noise: float = 1.0,
    bstar_sigma: float = 0.25,
    weeks=(1, 10),
):
    """Returns (parent ElementSet, fragment ElementSets, true TEME position of the event)."""
    rng = np.random.default_rng(seed)
    t_p = event_utc - np.timedelta64(7, "h")
    s0 = _kepler_state(6378.135 + alt_km, 0.002, math.radians(inc_deg), math.radians(40.0),
                       math.radians(70.0), math.radians(10.0))  # fmt: skip
    parent = _states_to_elements(s0[None], _jd(t_p), np.array([2e-5]), first_norad_id=13552,
                                 name_prefix="PARENT", cospar_id="", fit_iterations=4,
                                 reentry_perigee_alt_km=100.0).elsets[0]  # fmt: skip
    ps = Satrec.twoline2rv(parent.line1, parent.line2)
    _, r, v = ps.sgp4(*_jd(event_utc))
    frags = breakup_explosion(parent_mass_kg, "rocket_body", min_lc_m=min_lc_m, rng=rng)
    fe = frags.to_elsets(event_utc, np.array(r), np.array(v), first_norad_id=60000,
                         fit_iterations=4)  # fmt: skip
    out = []
    wk = np.arange(weeks[0], weeks[1] + 1)
    weeks_k = rng.permutation(np.repeat(wk, math.ceil(len(fe.elsets) / wk.size)))
    for w in wk:
        t_obs = event_utc + np.timedelta64(int((w * 7 + rng.uniform(0, 1)) * 86400e6), "us")
        idx = [k for k in range(len(fe.elsets)) if weeks_k[k] == w]
        sts, bst = [], []
        for k in idx:
            s = Satrec.twoline2rv(fe.elsets[k].line1, fe.elsets[k].line2)
            err, rr, vv = s.sgp4(*_jd(t_obs))
            if err == 0:
                sts.append([*rr, *vv])
                bst.append(s.bstar * math.exp(rng.normal(0, bstar_sigma)))
        if not sts:
            continue
        st = _rtn_noise(np.array(sts), rng, noise * np.array([0.1, 0.5, 0.1]),
                        noise * np.array([0.2e-3, 0.03e-3, 0.1e-3]))  # fmt: skip
        got = _states_to_elements(st, _jd(t_obs), np.array(bst), first_norad_id=60000 + 1000 * w,
                                  name_prefix=f"DEB W{w}", cospar_id="", fit_iterations=4,
                                  reentry_perigee_alt_km=100.0)  # fmt: skip
        out.extend(got.elsets)
    return parent, out, np.array(r)
