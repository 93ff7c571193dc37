"""All-vs-all screening of the real 26,140-object catalog (5 km threshold).

Prints the wall time for 24 h (and 7 days with ``--days7``), the events found, how the
time splits between the stages (SGP4 nodes, spatial sieve, TCA refinement; summed over
worker processes), and a naive baseline measured in the same run: brute force over every
pair of a random subset at 1 s steps for a short window, scaled to the whole catalog and
24 h by the number of pairs and steps (its cost is linear in both).  Goals (issue 14):
24 h <= 10 s and 7 days <= 60 s on 2 cores, peak memory < 4 GB.  ``--synthetic N`` also screens a synthetic catalog of N objects (the
population model of ``--synthetic N`` in the CLI, seed 1) for 24 h; ``--dask`` repeats the
runs on a local Dask cluster of 2 single-threaded worker processes
(``conjunction.cluster.local_cluster``: the screening workers' settings).  Usage:
``python benchmarks/screen_catalog.py [--json] [--days7] [--synthetic N [--skip-real]]
[--dask [--skip-local]]``; the load average at the end is printed with the figures.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from contextlib import contextmanager

import numpy as np
from sgp4.api import WGS72, Satrec, SatrecArray

from _util import PeakMemory, data_root, report
from spacerange.catalog.tle import parse_tle_file
from spacerange.conjunction.screening import ScreeningConfig, screen
from spacerange.timescales import jd_fr_utc, parse_utc

START = parse_utc("2023-10-09T00:00:00Z")


def naive_seconds_per_pair_step(tles, n_sub: int = 1500, window_s: int = 120) -> float:
    """Brute force: positions of every object each second, every pair's distance each
    second (vectorized numpy, no filter).  Returns seconds per (pair x step)."""
    rng = np.random.default_rng(0)
    sub = [tles[k] for k in rng.choice(len(tles), n_sub, replace=False)]
    jd, fr = jd_fr_utc(START)
    t0 = time.perf_counter()
    arr = SatrecArray([Satrec.twoline2rv(a, b, WGS72) for a, b in sub])
    t = np.arange(window_s + 1.0)
    _, r, _ = arr.sgp4(np.full(len(t), float(jd)), float(fr) + t / 86400.0)
    a, b = np.triu_indices(n_sub, 1)
    close = 0
    for s in range(len(t)):
        d = np.linalg.norm(r[b, s] - r[a, s], axis=1)
        close += int(np.count_nonzero(d < 5.0))
    return (time.perf_counter() - t0) / (len(a) * len(t))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--days7", action="store_true", help="also screen 7 days")
    ap.add_argument("--synthetic", type=int, default=0, help="also screen N synthetic objects")
    ap.add_argument("--dask", action="store_true", help="also run on 2 local Dask workers")
    ap.add_argument("--skip-real", action="store_true", help="only the --synthetic run")
    ap.add_argument("--skip-local", action="store_true", help="with --dask: only the Dask runs")
    ap.add_argument(
        "--only-7d",
        action="store_true",
        help="the 7-day runs alone (local, or Dask with --skip-local)",
    )
    args = ap.parse_args()
    elsets, _ = parse_tle_file(data_root() / "catalog" / "spacetrack_3le_full_20231009.txt")
    tles = [(e.line1, e.line2) for e in elsets]
    n = len(tles)
    figures: dict = {"objects": n, "threshold_km": 5.0}
    cfg = ScreeningConfig(threshold_km=5.0)
    # Warm-up: numba's cached compile and the satrec cache are not what we measure.
    screen(tles[:200], START, 600, cfg, workers=1)
    if args.synthetic:
        figures.update(_synthetic(args.synthetic, cfg, not args.skip_local, args.dask))
    if args.skip_real:
        figures["load_average_1_5_15"] = [round(x, 2) for x in os.getloadavg()]
        report(figures, args.json)
        return
    if not args.skip_local:
        figures.update(_local(tles, cfg, args.days7, args.only_7d))
    if args.dask:
        figures.update(_dask(tles, cfg, args.days7 or args.only_7d, args.only_7d))
    figures["load_average_1_5_15"] = [round(x, 2) for x in os.getloadavg()]
    report(figures, args.json)


class CpuSeconds:
    """CPU seconds (user + system) of this process and its reaped children (the pool's
    workers) over a ``with`` block: under load, ``cpu_s / 2`` estimates the quiet wall
    time on 2 cores better than the wall time does."""

    def __enter__(self):
        self._t0 = self._now()
        return self

    def __exit__(self, *exc):
        self.seconds = self._now() - self._t0

    @staticmethod
    def _now() -> float:
        a = resource.getrusage(resource.RUSAGE_SELF)
        b = resource.getrusage(resource.RUSAGE_CHILDREN)
        return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


def _run_figures(tag: str, res, mem=None, cpu=None) -> dict:
    out = {
        f"seconds_{tag}": round(res.seconds, 2),
        f"events_{tag}": res.n_events,
        f"candidates_{tag}": res.candidates,
        f"stage_cpu_s_{tag}": {k: round(v, 2) for k, v in res.stages_s.items()},
    }
    if mem is not None:
        out[f"peak_rss_mb_{tag}"] = round(mem.peak_mb, 1)
    if cpu is not None:
        out[f"cpu_s_{tag}"] = round(cpu.seconds, 2)
    return out


def _local(tles, cfg: ScreeningConfig, days7: bool, only7d: bool = False) -> dict:
    """The real catalog on the local process pool, 24 h (and 7 days), with the baseline;
    ``only7d``: the 7 days alone."""
    n = len(tles)
    if only7d:
        with PeakMemory() as mem, CpuSeconds() as cpu:
            res7 = screen(tles, START, 7 * 86400.0, cfg)
        return _run_figures("7d", res7, mem, cpu)
    with PeakMemory() as mem, CpuSeconds() as cpu:
        res = screen(tles, START, 86400.0, cfg)
    out = _run_figures("24h", res, mem, cpu)
    out["pairs_screened"] = res.pairs_screened
    per = naive_seconds_per_pair_step(tles)
    naive_24h = per * (n * (n - 1) / 2) * 86401
    out["naive_bruteforce_s_24h_scaled"] = round(naive_24h, 1)
    out["speedup_vs_naive"] = round(naive_24h / res.seconds, 1)
    if days7:
        with PeakMemory() as mem, CpuSeconds() as cpu:
            res7 = screen(tles, START, 7 * 86400.0, cfg)
        out.update(_run_figures("7d", res7, mem, cpu))
    return out


def _synthetic(n: int, cfg: ScreeningConfig, local: bool = True, dask: bool = False) -> dict:
    """``n`` synthetic objects (seed 1) for 24 h on the local pool and/or 2 Dask workers."""
    from spacerange.catalog.synth import synthesize

    t0 = time.perf_counter()
    pop = synthesize(n, 1)
    built = time.perf_counter() - t0
    tles = [(e.line1, e.line2) for e in pop.elsets]
    out = {"synthetic_objects": len(tles), "synthetic_build_s": round(built, 1)}
    if local:
        with PeakMemory() as mem:
            res = screen(tles, START, 86400.0, cfg)
        out.update(_run_figures("synthetic_24h", res, mem))
    if dask:
        with _dask_client(tles, cfg) as client:
            with PeakMemory() as mem:
                res = screen(tles, START, 86400.0, cfg, scheduler=client)
        out.update(_run_figures("synthetic_dask_24h", res, mem))
    return out


@contextmanager
def _dask_client(tles, cfg: ScreeningConfig):
    """A client of 2 local screening workers (``conjunction.cluster.local_cluster``) that
    have loaded the compiled kernels (a 10-minute screening of the first 200 objects)."""
    import distributed

    from spacerange.conjunction.cluster import local_cluster

    with local_cluster(2) as cluster, distributed.Client(cluster) as client:
        screen(tles[:200], START, 600, cfg, scheduler=client)
        yield client


def _dask(tles, cfg: ScreeningConfig, days7: bool, only7d: bool = False) -> dict:
    out: dict = {}
    with _dask_client(tles, cfg) as client:
        # The cluster's worker processes are children of this one: counted in the peak.
        if not only7d:
            with PeakMemory() as mem:
                res = screen(tles, START, 86400.0, cfg, scheduler=client)
            out.update(_run_figures("dask_24h", res, mem))
        if days7:
            with PeakMemory() as mem:
                res7 = screen(tles, START, 7 * 86400.0, cfg, scheduler=client)
            out.update(_run_figures("dask_7d", res7, mem))
    return out


if __name__ == "__main__":
    main()
