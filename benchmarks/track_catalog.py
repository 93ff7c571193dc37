"""Simulated SSA network over the real catalog: 30 ground sites x 26,140 objects x 1 day.

Measures, in the same run:
* ours: :func:`spacerange.sensors.network.observe` at a 60 s grid: visibility (SGP4 to
  ITRS, look angles and pass finding for every site, detectability per pass), tasking, and
  measurement simulation (second propagation of the tasked objects, noise);
* baseline: a plain skyfield loop, ``(sat - topos).at(t).altaz()`` per (object, site) on a
  subset of objects, scaled to the whole catalog (topocentric angles only, no pass search).
Reports states/s and topocentric evaluations (site x object x time) per second.
Usage: ``python benchmarks/track_catalog.py [--json] [--objects N] [--baseline-objects N]``.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from _util import PeakMemory, data_root, report
from spacerange.catalog.tle import parse_tle_file
from spacerange.sensors.network import observe
from spacerange.sensors.sites import public_network
from spacerange.timescales import parse_utc, skyfield_time, time_grid


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--json", action="store_true", help="print one JSON object last")
    ap.add_argument("--objects", type=int, default=0, help="use only the first N objects")
    ap.add_argument("--baseline-objects", type=int, default=10)
    args = ap.parse_args()

    elsets, _ = parse_tle_file(data_root() / "catalog" / "spacetrack_3le_full_20231009.txt")
    if args.objects:
        elsets = elsets[: args.objects]
    tles = [(e.line1, e.line2) for e in elsets]
    ids = [e.norad_id for e in elsets]
    sensors = public_network()[:30]
    times = time_grid(parse_utc("2023-10-09T00:00:00Z"), 86400.0, 60.0)
    n_states = len(tles) * len(times)
    n_topo = n_states * len(sensors)

    with PeakMemory() as mem:
        t0 = time.perf_counter()
        run = observe(tles, ids, sensors, times, names=[e.name for e in elsets], seed=1)
        total_s = time.perf_counter() - t0
    summ = run.summary()

    # Baseline: skyfield per object and site (subset, scaled).
    from skyfield.api import EarthSatellite, wgs84

    k = min(args.baseline_objects, len(tles))
    t_sky = skyfield_time(times)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for l1, l2 in tles[:k]:
            sat = EarthSatellite(l1, l2)
            for s in sensors:
                topos = wgs84.latlon(s.site.lat_deg, s.site.lon_deg, elevation_m=s.site.alt_m)
                alt, az, _ = (sat - topos).at(t_sky).altaz()
                np.count_nonzero(alt.degrees > s.site.min_elevation_deg)
    base_subset_s = time.perf_counter() - t0
    base_s = base_subset_s * len(tles) / k
    vis_s = run.seconds["visibility"]
    report(
        {
            "objects": len(tles),
            "sites": len(sensors),
            "times": len(times),
            "states": n_states,
            "topocentric_evaluations": n_topo,
            "visibility_s": round(vis_s, 2),
            "tasking_s": round(run.seconds["tasking"], 2),
            "measurement_s": round(run.seconds["measurement"], 2),
            "total_s": round(total_s, 2),
            "visibility_states_per_s": round(n_states / vis_s),
            "visibility_topocentric_per_s": round(n_topo / vis_s),
            "passes": summ["passes"],
            "passes_tasked": summ["passes_tasked"],
            "objects_observed": summ["objects_observed"],
            "measurements": summ["measurements"],
            "measurements_per_kind": summ["measurements_per_kind"],
            "measurements_per_s": round(summ["measurements"] / run.seconds["measurement"]),
            "peak_memory_mb": round(mem.peak_mb),
            "baseline": f"skyfield (sat - topos).at(t).altaz() loop, {k} objects x "
            f"{len(sensors)} sites, scaled",
            "baseline_visibility_s_scaled": round(base_s, 1),
            "speedup_visibility_vs_baseline": round(base_s / vis_s, 1),
        },
        args.json,
    )


if __name__ == "__main__":
    main()
