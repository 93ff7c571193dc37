"""Issue 11's manoeuvre goal and what it measures: the truth burns it grades
(:class:`spacerange.exercise.picture.maneuvers.BurnLog`)."""

from __future__ import annotations

import math
import types

import numpy as np

from spacerange.constants import MU_WGS72_KM3_S2
from spacerange.exercise.picture.model import _sgp4_states
from spacerange.exercise.world import fit_satrecs

T0 = np.datetime64("2026-03-04T12:00:00", "us")
MINUTE = np.timedelta64(60, "s")


def _circular(alt_km: float):
    a = 6378.135 + alt_km
    v = math.sqrt(MU_WGS72_KM3_S2 / a)
    i = math.radians(51.6)
    state = np.array([[a, 0.0, 0.0, 0.0, v * math.cos(i), v * math.sin(i)]])
    return fit_satrecs(state, T0, 1e-5)[0][0]


def _burned(sat, t, dv_mps):
    """``sat``'s arc after an along-track burn of ``dv_mps`` [m/s] at ``t``."""
    x = _sgp4_states([sat], t)
    x[:, 3:] *= 1 + 1e-3 * dv_mps / np.linalg.norm(x[:, 3:], axis=1)[:, None]
    return fit_satrecs(x, t, 1e-5)[0][0]


def test_impulses_an_hour_apart_are_one_manoeuvre_of_their_net_velocity_change():
    """The demo's ARD-COMSAT-2 stopped one relocation drift (1.42 m/s) and started the
    next 4 min later (1.42 m/s back): the goal graded two burns no sensor could see.  A
    stop-and-restart is no burn now; two along-track burns 30 min apart are one burn of
    their sum at the first one's time (in LEO their inertial vectors are 110 degrees
    apart: 0.35 m/s summed so); a burn 2 h later is a burn of its own."""
    from spacerange.exercise.picture.core import Pictures
    from spacerange.exercise.picture.maneuvers import BurnLog

    sat0 = _circular(700.0)
    o = types.SimpleNamespace(id="O0", arcs=[(T0 - np.timedelta64(1, "D"), sat0)])
    track = types.SimpleNamespace(growth_km_day=5.0, sigma_rtn_km=lambda t: (0.1, 1.0, 0.1))
    tp = types.SimpleNamespace(own_pass_utc={"O0": T0}, tracks={"O0": track})
    limits = types.SimpleNamespace(custody_age_s=86400.0, custody_sigma_km=50.0)
    pics = types.SimpleNamespace(world=types.SimpleNamespace(objects=[o]), teams={"blue": tp},
                                 custody=lambda team, oid, t: {"state": "held"},
                                 custody_held=lambda *a: Pictures.custody_held(limits, *a),
                                 _own=lambda team, oid: False)  # fmt: skip
    log = BurnLog()
    log.scan(pics, T0)
    # a stop burn (1.42 m/s against the motion) and 4 min later a restart (1.42 m/s along
    # it), one seen per picture update: no burn
    stop = _burned(sat0, T0, -1.42)
    o.arcs.append((T0, stop))
    log.scan(pics, T0 + 2 * MINUTE)
    assert [round(b["dv_mps"], 2) for b in log.burns] == [1.42]
    o.arcs.append((T0 + 4 * MINUTE, _burned(stop, T0 + 4 * MINUTE, 1.42)))
    log.scan(pics, T0 + 30 * MINUTE)
    assert log.burns == []
    # two 0.3 m/s burns 30 min apart (each under the graded 0.5 m/s): one of 0.6 m/s
    t1 = T0 + 5 * 60 * MINUTE
    first = _burned(o.arcs[-1][1], t1, 0.3)
    o.arcs += [(t1, first), (t1 + 30 * MINUTE, _burned(first, t1 + 30 * MINUTE, 0.3))]
    log.scan(pics, t1 + 40 * MINUTE)
    assert [(b["time_utc"], round(b["dv_mps"], 1), b["impulses"]) for b in log.burns] == [
        (t1, 0.6, 2)
    ]
    # 2 h after the last impulse: a manoeuvre of its own
    t2 = t1 + 150 * MINUTE
    o.arcs.append((t2, _burned(o.arcs[-1][1], t2, 0.7)))
    log.scan(pics, t2 + 10 * MINUTE)
    assert [(b["time_utc"], round(b["dv_mps"], 1)) for b in log.burns] == [(t1, 0.6), (t2, 0.7)]
