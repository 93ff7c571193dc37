"""Correlation of tracks with a catalog; UCTs of objects missing from it become candidates."""

import numpy as np

from spacerange.od.correlation import correlate
from spacerange.od.measurements import DEFAULT_SITES as S
from spacerange.od.simulate import random_leo_states, simulate_tracking
from spacerange.od.tle_fit import fit_tle


def test_correlation_and_uct_candidates():
    rng = np.random.default_rng(5)
    x0 = random_leo_states(8, rng)
    epoch = np.datetime64("2024-03-01T00:00:00", "us")
    obs, truth = simulate_tracking(x0, epoch, 3 * 3600.0,
                                   [S["EGLIN"], S["FYLINGDALES"], S["KWAJALEIN"]], [S["MAUI"]],
                                   rng=rng)  # fmt: skip
    elsets = [fit_tle(truth.times_utc, truth.states[i, :, :3], truth.states[i, :, 3:],
                      norad_id=int(truth.object_ids[i])).elset for i in range(8)]  # fmt: skip
    catalog = elsets[:6]  # the last two objects are not catalogued
    res = correlate(obs, catalog)
    owner = {t: obs.object_id[obs.track == t][0] for t in np.unique(obs.track).tolist()}
    # every correlation is right, and most catalogued tracks correlate
    assert all(str(nid) == owner[t] for t, (nid, _) in res.assigned.items())
    catalogued = [t for t, o in owner.items() if int(o) in {e.norad_id for e in catalog}]
    assert len(res.assigned) >= 0.8 * len(catalogued)
    # tracks of uncatalogued objects are all UCTs and become converged candidates
    missing = {t for t, o in owner.items() if o in truth.object_ids[6:]}
    assert missing <= set(res.ucts)
    cands = {s.object_id: s for s in res.candidates}
    for t in missing:
        s = cands[f"UCT-{t}"]
        assert s.converged and s.rms < 2.0
        err = np.linalg.norm(s.state[:3] - truth.at(owner[t], s.epoch_utc)[:3])
        assert err < 5.0  # km, single-pass orbit
