"""Walks an exercise's truth for jumps (issue 11, section 2): shared by the truth continuity
test and the session's training plays (``conftest.play``), which record their truth with
:func:`recording_factory` and store what :func:`truth_jumps` finds.

* At every arc boundary (the only place where an SGP4 arc history can be discontinuous)
  the position must be continuous to the fit tolerance, and a velocity change must be a
  burn the world logged for that object at that instant (|dv| matching).
* The states the world reported *during* play must be those of its final history, so a
  history rewritten after the fact (an object "moved" retroactively) is a jump too."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from spacerange.exercise.engine import default_world_factory
from spacerange.exercise.world import _sgp4_one

#: position continuity at an arc boundary [km]: SGP4 mean-element fits reproduce the
#: state to < 1 m, except near-equatorial deep-space orbits (0.03-2 km, see the fit)
POS_TOL_KM = 3.0
#: velocity change without a logged burn [m/s] (fit error of a 2 km residual in GEO:
#: ~0.2 m/s)
DV_TOL_MPS = 1.0
#: truth snapshots compared with the final history (spread over the run)
N_REWRITE_SAMPLES = 40


def recording_factory(samples: list, max_background: int | None = None):
    """A world factory that appends ``(clock_utc, object ids, r_teme_km)`` after every
    ``advance``; ``max_background`` caps the synthetic background (the scripted objects
    are what the walk is about)."""

    def factory(scenario, seed, base_dir):
        syn = scenario.world.catalog.synthetic
        if syn is not None and max_background is not None:
            syn.n = min(syn.n, max_background)
        world, pictures = default_world_factory(scenario, seed, base_dir)
        advance = world.advance

        def recording_advance(t, *a, **kw):
            out = advance(t, *a, **kw)
            ids, r, _ = world.states(world.clock_utc)
            samples.append((world.clock_utc, [world.objects[i].id for i in ids], r.copy()))
            return out

        world.advance = recording_advance
        return world, pictures

    return factory


def logged_burns(events) -> dict[tuple[str, np.datetime64], float]:
    """|dv| [m/s] of the burns logged per object and instant: burns at one instant (a
    relocation's stop burn and the next relocation's start) add as RTN vectors."""
    out: dict = {}
    for e in events:
        p = e["payload"]
        if e["kind"] == "world_event" and p.get("type") == "maneuver":
            t = np.datetime64(p["details"]["epoch_utc"].rstrip("Z"), "us")
            dv = np.asarray(p["details"]["dv_rtn_mps"], float)
            for oid in p["objects"]:
                out[(oid, t)] = out.get((oid, t), 0.0) + dv
    return {k: float(np.linalg.norm(v)) for k, v in out.items()}


def arc_jumps(w, burns: dict, after=None, end=None) -> list[str]:
    """Jumps at the arc boundaries of world ``w`` in ``(after, end]`` (``None``: open):
    a position discontinuity, or a velocity change that is not the burn ``burns`` logged
    for that object at that instant ({(object id, datetime64[us]): |dv| m/s})."""
    jumps = []
    for o in w.objects:
        for (_, s_prev), (t_k, s_k) in zip(o.arcs, o.arcs[1:], strict=False):
            if (after is not None and t_k <= after) or (end is not None and t_k > end):
                continue
            r0, v0, _ = _sgp4_one(s_prev, np.asarray([t_k]))
            r1, v1, _ = _sgp4_one(s_k, np.asarray([t_k]))
            dr = float(np.linalg.norm(r1[0] - r0[0]))
            dv = float(np.linalg.norm(v1[0] - v0[0])) * 1e3
            burn = burns.get((o.id, np.datetime64(t_k, "s").astype("datetime64[us]")))
            if not np.isfinite(dr) or dr > POS_TOL_KM:
                jumps.append(f"{o.id} at {t_k}: position jumps {dr:.3f} km")
            elif burn is None and dv > DV_TOL_MPS:
                jumps.append(f"{o.id} at {t_k}: velocity jumps {dv:.2f} m/s, no burn logged")
            elif burn is not None and abs(dv - burn) > DV_TOL_MPS:
                jumps.append(f"{o.id} at {t_k}: dv {dv:.2f} m/s, logged burn {burn:.2f}")
    return jumps


def truth_jumps(w, events, samples: list, end: np.datetime64) -> list[str]:
    """Every unexplained jump of world ``w``'s truth up to ``end`` (sorted, one line each):
    ``events`` the exercise's event log (its logged burns), ``samples`` what
    :func:`recording_factory` recorded."""
    jumps = arc_jumps(w, logged_burns(events), after=w.startex, end=end)
    # what the world reported during play is its final history (no rewriting): one
    # state_of call per object over the snapshots that hold it
    seen: dict[str, tuple[list, list]] = defaultdict(lambda: ([], []))
    for t, ids, r in samples[:: max(1, len(samples) // N_REWRITE_SAMPLES)]:
        for oid, r_then in zip(ids, r, strict=True):
            seen[oid][0].append(t)
            seen[oid][1].append(r_then)
    for oid, (ts, r_then) in seen.items():
        r_now, _ = w.state_of(oid, np.asarray(ts, dtype="datetime64[us]"))
        d = np.linalg.norm(r_now - np.asarray(r_then), axis=1)
        for t, dk in zip(ts, d, strict=True):
            if dk > POS_TOL_KM:
                jumps.append(f"{oid} at {t}: history rewritten by {dk:.1f} km")
    return sorted(set(jumps))
