"""Debris-cloud analysis a team does on its own view (used by the competent autopilot).

The team's tracks (TEME states of its picture, under its own designators) are fitted to
SGP4 mean element sets (:func:`spacerange.propagation.mean_elements.fit_sgp4_mean_elements`,
the project's one fit); the engine's :mod:`spacerange.events.breakup_trace` then proposes the
parent (the catalogued orbit through the fragments' pinch) and traces the break-up epoch
back.  Like :mod:`~spacerange.exercise.teamview`, this module imports nothing of the
exercise engine, the world or the scenario: it only ever sees what the team holds.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np

from spacerange.exercise.teamview import TeamView

__all__ = ["element_sets", "propose_parents", "trace_back", "MIN_FRAGMENTS"]

#: fewest fragment tracks the trace-back is attempted with
MIN_FRAGMENTS = 10


def _utc64(t: datetime) -> np.datetime64:
    return np.datetime64(t.replace(tzinfo=None), "us")


def element_sets(v: TeamView, ids: list[str], now: datetime) -> dict:
    """SGP4 mean element sets (``ElementSet`` by the team's designator) fitted to the
    states of the team's own tracks ``ids`` now (UTC); tracks that do not fit are left out."""

    from spacerange.catalog.tle import parse_tle_lines, satrec_tle
    from spacerange.propagation.mean_elements import fit_sgp4_mean_elements

    ids = [o for o in ids if v.track(o) is not None]
    if not ids:
        return {}
    st = np.array([[*v.track(o)["r_km"], *v.track(o)["v_km_s"]] for o in ids], float)
    sats, _ = fit_sgp4_mean_elements(st, _utc64(now))
    return {o: parse_tle_lines(*satrec_tle(sat), name=o)
            for o, sat in zip(ids, sats, strict=True) if sat is not None}  # fmt: skip


def propose_parents(v: TeamView, frag_ids: list[str], before: datetime,
                    window_s: float) -> tuple[list[str], dict, dict]:  # fmt: skip
    """``(ranked parent designators, fragment element sets, catalog element sets)``: the
    team's catalogued (non-UCT) objects ranked by ``propose_parent`` for the fragments
    ``frag_ids``, searched in ``window_s`` before ``before`` (UTC); no parents with fewer
    than :data:`MIN_FRAGMENTS` fitted fragments or when no orbit passes the pinch."""
    from spacerange.events.breakup_trace import propose_parent

    now = datetime.fromisoformat(v.clock_utc.replace("Z", "+00:00"))
    frags = element_sets(v, frag_ids, now)
    cat = element_sets(v, [p["id"] for p in v.picture if "-UCT-" not in p["id"]], now)
    if len(frags) < MIN_FRAGMENTS:
        return [], frags, cat
    try:
        ranked = propose_parent(list(frags.values()), list(cat.values()), _utc64(before),
                                window_s=window_s)  # fmt: skip
    except ValueError:
        return [], frags, cat
    return [r["name"] for r in ranked], frags, cat


def trace_back(frags: dict, parent, before: datetime, window_s: float):
    """The engine's ``trace_pinch`` of the fitted fragment sets ``frags`` against the
    parent's element set, searched in ``window_s`` before ``before`` (UTC): a
    ``PinchTrace`` (epoch, place, ranked per-revolution candidates).  Raises
    ``ValueError`` when it cannot trace (too few usable fragments)."""
    from spacerange.events.breakup_trace import trace_pinch

    return trace_pinch(list(frags.values()), parent, _utc64(before), window_s)
