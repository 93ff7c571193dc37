"""OD pipeline: initial orbits from the observations (IOD) or an a priori, then batch LS.

:func:`initial_states` picks, per object, the first track with three epochs of
range + az + el (radar: positions -> Gibbs / Herrick-Gibbs) or, failing that, of RA + Dec
(optical: Gauss with iterative improvement), and moves the IOD state to the object's first
observation time with two-body motion.  :func:`determine_orbits` runs the vectorized batch
over all objects.
"""

from __future__ import annotations

import functools

import numpy as np

from .batch import BatchOptions, batch_least_squares
from .dynamics import OD_DEGREE, J2Dynamics
from .iod import gauss_angles, three_positions
from .measurements import (
    AZIMUTH,
    DECLINATION,
    ELEVATION,
    RANGE,
    RIGHT_ASCENSION,
    line_of_sight_position,
    radec_unit_vector,
)
from .observations import Observations
from .solution import OdSolution


def _seconds(t, t0):
    return float((t - t0).astype("timedelta64[us]").astype(np.int64)) / 1e6


def _triples(obs: Observations, rows: np.ndarray, kinds: tuple[int, ...]):
    """Epoch-aligned values of ``kinds`` inside ``rows``: (times, site idx, values (k, len))."""
    t = obs.times_utc[rows]
    out = []
    for tt in np.unique(t):
        sel = rows[t == tt]
        vals = []
        for k in kinds:
            hit = sel[obs.kind[sel] == k]
            if hit.size == 0:
                break
            vals.append(hit[0])
        else:
            out.append((tt, vals))
    return out


def iod_one(
    obs: Observations, rows: np.ndarray, order: str = "first"
) -> tuple[np.ndarray, np.datetime64, str]:
    """IOD of the rows of one object: state (6,), its epoch (the middle IOD time), method.

    The earliest radar track with three complete epochs is used, else the earliest optical
    one; ``order="longest"`` tries the tracks with the most epochs first instead (a second
    opinion when the first IOD leads nowhere)."""
    site_r, _, enu = obs.geometry
    tracks = obs.track[rows]
    uniq = np.unique(tracks)
    if order == "longest":
        key = [-np.unique(obs.times_utc[rows[tracks == k]]).size for k in uniq]
    else:
        key = [obs.times_utc[rows[tracks == k]].min() for k in uniq]
    by_time = uniq[np.argsort(key, kind="stable")]
    for kinds, method in (((RANGE, AZIMUTH, ELEVATION), "radar"),
                          ((RIGHT_ASCENSION, DECLINATION), "optical")):  # fmt: skip
        for trk in by_time:
            trows = rows[tracks == trk]
            if trk < 0:  # unknown tracks: the first site's rows
                trows = trows[obs.site[trows] == obs.site[trows[0]]]
            ep = _triples(obs, trows, kinds)
            if len(ep) < 3:
                continue
            pick = [ep[0], ep[len(ep) // 2], ep[-1]]
            t_mid = pick[1][0]
            ts = [_seconds(p[0], t_mid) for p in pick]
            if method == "radar":
                idx = np.array([p[1] for p in pick])  # (3, 3) rows of range, az, el
                r = line_of_sight_position(obs.value[idx[:, 0]], obs.value[idx[:, 1]],
                                           obs.value[idx[:, 2]], site_r[idx[:, 0]],
                                           enu[idx[:, 0]])  # fmt: skip
                v2 = three_positions(r[0], r[1], r[2], *ts)
                r2 = r[1]
            else:
                idx = np.array([p[1] for p in pick])
                los = radec_unit_vector(obs.value[idx[:, 0]], obs.value[idx[:, 1]])
                sr = site_r[idx[:, 0]]
                try:
                    r2, v2 = gauss_angles(los[0], los[1], los[2], sr[0], sr[1], sr[2], *ts)
                except ValueError:
                    continue
            if not (np.all(np.isfinite(r2)) and np.all(np.isfinite(v2))):
                continue
            return np.concatenate([r2, v2]), t_mid, method
    raise ValueError("no track with three usable epochs (range+az+el or RA+Dec) for IOD")


def initial_states(obs: Observations, object_ids=None, order: str = "first"):
    """IOD for every object: ``(ids, states (n, 6), epochs (n,), methods, failures)``.

    ``failures`` maps object id -> reason for objects without an initial orbit; ``order`` as
    in :func:`iod_one`."""
    ids_all = obs.objects if object_ids is None else np.asarray(object_ids).astype(str)
    ids, states, epochs, methods, failures = [], [], [], [], {}
    by_obj = np.argsort(obs.object_id, kind="stable")
    uniq, start, count = np.unique(obs.object_id[by_obj], return_index=True, return_counts=True)
    groups = {k: by_obj[a : a + c] for k, a, c in zip(uniq.tolist(), start, count, strict=True)}
    for oid in ids_all.tolist():
        rows = groups.get(oid, np.zeros(0, int))
        if rows.size == 0:
            failures[oid] = "no observations"
            continue
        try:
            x, t0, meth = iod_one(obs, rows, order)
        except ValueError as exc:
            failures[oid] = str(exc)
            continue
        ids.append(oid)
        states.append(x)
        epochs.append(t0)
        methods.append(meth)
    return (np.array(ids, dtype=str), np.array(states).reshape(-1, 6),
            np.array(epochs, "datetime64[us]"), methods, failures)  # fmt: skip


def _quiet_fp(func):
    """Diverging IOD candidates and trial orbits overflow before they are rejected; silence
    those floating-point warnings (failures are reported per object instead)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return func(*args, **kwargs)

    return wrapper


@_quiet_fp
def determine_orbits(
    obs: Observations,
    apriori: dict[str, tuple[np.ndarray, np.datetime64]] | None = None,
    options: BatchOptions = BatchOptions(),
    dynamics=None,
    first_stage_s: float | tuple[float, ...] | None = (1800.0, 3 * 3600.0, 9 * 3600.0),
) -> tuple[list[OdSolution], dict[str, str]]:
    """Batch OD of every object in ``obs``; returns (solutions, failures id -> reason).

    ``apriori`` maps object id -> (GCRS state (6,), its epoch), e.g. from catalog TLEs; the
    state is moved to the object's first observation time (two-body + J2..J4) and used as the
    starting point only (no a priori weight).  Objects without one get an IOD, whose epoch
    is the middle IOD time.  With ``first_stage_s`` (seconds, one or several), each object is
    first fitted to the observations within that many seconds of its epoch, then to the next
    wider arc, then to all (arc growing: an IOD from one pass predicts the next passes well
    enough to start from, not a day ahead).  A stage that does not converge leaves the
    object's starting state as it was.
    """
    apriori = apriori or {}
    ids_iod = [o for o in obs.objects.tolist() if o not in apriori]
    ids, x0, ep, _, failures = initial_states(obs, ids_iod)
    ids, x0, ep = list(ids), list(x0), list(ep)
    for oid, (x, t_ap) in apriori.items():
        rows = np.flatnonzero(obs.object_id == oid)
        if rows.size == 0:
            continue
        t_first = obs.times_utc[rows].min()
        t_ap = np.datetime64(t_ap, "us")
        dt = _seconds(t_first, t_ap)
        dyn = J2Dynamics.at(t_ap, degree=OD_DEGREE)
        xs = dyn.propagate(np.asarray(x, float)[None], np.array([dt]), np.zeros(1, int))[0]
        ids.append(oid)
        x0.append(xs)
        ep.append(t_first)
    if not ids:
        return [], failures
    ids_a, x0_a, ep_a = np.array(ids), np.array(x0), np.array(ep, "datetime64[us]")
    sols = _fit(obs, ids_a, x0_a, ep_a, dynamics, options, first_stage_s)
    # second opinion: objects from an IOD that did not converge restart from the IOD of
    # their longest track (a poor first pass can put the trial orbit in the wrong basin)
    retry = [i for i, s in enumerate(sols) if not s.converged and ids_a[i] not in apriori]
    if retry:
        rid, rx, rep, _, _ = initial_states(obs, ids_a[retry], order="longest")
        if len(rid):
            sub = obs.subset(np.flatnonzero(np.isin(obs.object_id, rid)))
            again = _fit(sub, rid, rx, rep, dynamics, options, first_stage_s)
            at = {k: i for i, k in enumerate(ids_a.tolist())}
            for s in again:
                if s.converged:
                    sols[at[s.object_id]] = s
    return sols, failures


def _fit(obs, ids_a, x0_a, ep_a, dynamics, options, first_stage_s) -> list[OdSolution]:
    """Arc-growing stages then the full arc (see :func:`determine_orbits`)."""
    x0_a = np.array(x0_a, float)
    ids = ids_a.tolist()
    stages = () if not first_stage_s else np.atleast_1d(np.asarray(first_stage_s, float))
    if len(stages):
        pos = {k: i for i, k in enumerate(ids)}
        rows = np.flatnonzero(np.isin(obs.object_id, ids_a))
        oi = np.array([pos[k] for k in obs.object_id[rows].tolist()], int)
        dt = np.abs((obs.times_utc[rows] - ep_a[oi]).astype("timedelta64[us]").astype(float))
        span = np.zeros(len(ids))
        np.maximum.at(span, oi, dt / 1e6)
    for arc_s in stages:
        # only the objects whose observations extend beyond this arc need the stage
        inside = (dt <= arc_s * 1e6) & (span[oi] > arc_s)
        if not inside.any():
            continue
        sub = np.unique(oi[inside])
        stage = batch_least_squares(obs.subset(rows[inside]), ids_a[sub], x0_a[sub], ep_a[sub],
                                    dynamics=dynamics, options=options)  # fmt: skip
        for i, sol in zip(sub, stage, strict=True):
            if sol.converged and np.all(np.isfinite(sol.state)):
                x0_a[i] = sol.state
    return batch_least_squares(obs, ids_a, x0_a, ep_a, dynamics=dynamics, options=options)
