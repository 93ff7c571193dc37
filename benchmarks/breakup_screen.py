"""A 2,000-fragment collision cloud propagated and screened against the real catalog.

A catastrophic collision (NASA standard breakup model) at the orbit of a real LEO object
of the 2023-10-09 catalog gives a fragment cloud; its first 2,000 fragments >= 5 cm become
TLEs and are screened, as primaries, against the 26,140-object catalog plus the cloud for
24 h (5 km).  Baseline measured in the same run: re-screening the combined catalog
all-vs-all, which is what a system without one-vs-all screening would have to do.
Usage: ``python benchmarks/breakup_screen.py [--json]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from _util import data_root, report
from spacerange.catalog.tle import parse_tle_file
from spacerange.conjunction.screening import ScreeningConfig, screen
from spacerange.events.breakup import breakup_collision
from spacerange.propagation.sgp4_batch import propagate
from spacerange.timescales import parse_utc, to_datetime

START = parse_utc("2023-10-09T00:00:00Z")
N_FRAGMENTS = 2000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    elsets, _ = parse_tle_file(data_root() / "catalog" / "spacetrack_3le_full_20231009.txt")
    tles = [(e.line1, e.line2) for e in elsets]
    # Parent: a payload near 780 km, the altitude of the 2009 Iridium-Cosmos collision.
    parent = next(
        k for k, e in enumerate(elsets) if "IRIDIUM" in e.name and 760 < e.perigee_alt_km < 800
    )
    eph = propagate([tles[parent]], np.array([START]), frame="teme", workers=1)
    r0, v0 = eph.r[0, 0], eph.v[0, 0]

    t0 = time.perf_counter()
    # 700 kg target, 35 kg impactor at 10 km/s: catastrophic, about 2,300 pieces >= 5 cm.
    frags = breakup_collision(700.0, 35.0, 10.0, rng=np.random.default_rng(2009))
    fe = frags.to_elsets(to_datetime(START), r0, v0, first_norad_id=90000)
    cloud = [(e.line1, e.line2) for e in fe.elsets][:N_FRAGMENTS]
    t_gen = time.perf_counter() - t0

    combined = tles + cloud
    prim = list(range(len(tles), len(combined)))
    # Fragments against the catalog (not against each other: a fresh cloud re-converges
    # twice per orbit, which is breakup analysis, not catalog screening).
    cfg = ScreeningConfig(threshold_km=5.0, primary_pairs=False)
    screen(combined[:300], START, 600, cfg, workers=1)  # warm-up (numba cache, imports)
    res = screen(combined, START, 86400.0, cfg, primaries=prim)
    base = screen(combined, START, 86400.0, ScreeningConfig(threshold_km=5.0))
    ev = base.events
    cloud_events = int(np.sum((ev["i"] < len(tles)) & (ev["j"] >= len(tles))))
    report(
        {
            "catalog_objects": len(tles),
            "fragments_generated": int(frags.n_debris)
            if hasattr(frags, "n_debris")
            else len(fe.elsets),
            "fragments_screened": len(cloud),
            "fragment_generation_s": round(t_gen, 2),
            "screen_fragments_vs_all_s": round(res.seconds, 2),
            "events_fragments_vs_all": res.n_events,
            "baseline_all_vs_all_s": round(base.seconds, 2),
            "baseline_events_cloud_vs_catalog": cloud_events,
            "ratio": round(base.seconds / res.seconds, 2),
            "stage_cpu_s": {k: round(v, 2) for k, v in res.stages_s.items()},
        },
        args.json,
    )


if __name__ == "__main__":
    main()
