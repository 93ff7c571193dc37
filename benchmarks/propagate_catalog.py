"""Batch SGP4 of the real 26,140-object catalog over 1 day at 60 s.

Measures, in the same run:
* ours: :func:`spacerange.propagation.sgp4_batch.iter_propagate` with the compiled numba
  engine (threads over objects; near-earth and deep-space element sets on the kernels
  vectorized across times, :mod:`spacerange.propagation.sgp4_simd` and
  :mod:`spacerange.propagation.sgp4_sdp4_simd`); the same engine all-scalar
  (``SPACERANGE_SGP4_SIMD=0``), every block consumed, element sets already initialized
  (the init, TLE parsing plus the compiled ``sgp4init``, is timed on its own:
  ``numba_init_s``);
* the initialization alone (also ``--init-only``, which runs nothing else):
  ``pack_params`` compiled (:mod:`spacerange.propagation.sgp4_init`) against its baseline,
  python-sgp4's pure-Python ``sgp4init`` (``pack_params_reference``), on the same parsed
  element sets; the compiled path's first call in this process (numba cache load, or
  compilation when the cache is cold) separately;
* the previous engine: the same iterator over python-sgp4's ``SatrecArray`` in a process
  pool (``SPACERANGE_SGP4_ENGINE=sgp4``);
* baseline: a plain single-process loop of ``SatrecArray.sgp4`` over chunks of objects;
* the kernels alone (``propagate_table``, no chunking) on the near-earth and the
  deep-space rows, vectorized and scalar;
and prints states/s for each (goal >= 20 M/s on 2 cores), the ratios and the peak memory
of our path (goal < 2 GB).  Usage:
``python benchmarks/propagate_catalog.py [--json] [--init-only] [--objects N]``.
"""

from __future__ import annotations

import argparse
import gc
import os
import time

import numpy as np

from _util import PeakMemory, data_root, report
from spacerange.catalog.tle import parse_tle_file
from spacerange.propagation.sgp4_batch import (
    chunk_size_for,
    iter_propagate,
    satrecs_from_tles,
    sgp4_teme,
)
from spacerange.timescales import jd_fr_utc, parse_utc, time_grid


def _init_timings(tles: list[tuple[str, str]]) -> dict:
    """The initialization of ``tles``: TLE parsing (python-sgp4's C++ ``twoline2rv``), the
    compiled ``pack_params`` (its first call in this process on its own: numba's cache
    load, or compilation when the cache is cold) and the pure-Python baseline
    ``pack_params_reference``; the median of repeated runs, seconds."""
    from sgp4.api import WGS72, Satrec

    t0 = time.perf_counter()
    sats = [Satrec.twoline2rv(a, b, WGS72) for a, b in tles]
    parse_s = time.perf_counter() - t0

    from spacerange.propagation import sgp4_init
    from spacerange.propagation.sgp4_numba import pack_params, pack_params_reference

    t0 = time.perf_counter()
    pack_params(sats[:2])
    first_s = time.perf_counter() - t0
    stats = sgp4_init._init_kernel.stats
    loaded = "cache" if stats.cache_hits and not stats.cache_misses else "compiled"

    def median_s(fn, repeats):
        runs = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            out = fn(sats)
            runs.append(time.perf_counter() - t0)
        return float(np.median(runs)), out

    ours_s, (table, err) = median_s(pack_params, 7)
    base_s, (ref_table, ref_err) = median_s(pack_params_reference, 3)
    exact = bool(np.array_equal(table, ref_table) and np.array_equal(err, ref_err))
    return {
        "init_parse_twoline2rv_s": round(parse_s, 4),
        "init_first_call_s": round(first_s, 3),
        "init_first_call_from": loaded,
        "init_pack_compiled_s": round(ours_s, 4),
        "init_pack_python_baseline_s": round(base_s, 4),
        "init_pack_speedup": round(base_s / ours_s, 1),
        "init_pack_tables_identical": exact,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--json", action="store_true", help="print one JSON object last")
    ap.add_argument("--objects", type=int, default=0, help="use only the first N objects")
    ap.add_argument(
        "--init-only", action="store_true", help="time only the initialization (pack_params)"
    )
    args = ap.parse_args()

    elsets, rejects = parse_tle_file(data_root() / "catalog" / "spacetrack_3le_full_20231009.txt")
    if args.objects:
        elsets = elsets[: args.objects]
    tles = [(e.line1, e.line2) for e in elsets]
    times = time_grid(parse_utc("2023-10-09T00:00:00Z"), 86400.0, 60.0)
    n_states = len(tles) * len(times)
    init_figures = _init_timings(tles)
    if args.init_only:
        report({"objects": len(tles), **init_figures}, args.json)
        return

    from spacerange.propagation.sgp4_numba import propagate_table, propagate_tles, table_for_tles

    os.environ["SPACERANGE_SGP4_ENGINE"] = "numba"
    jd, fr = jd_fr_utc(times)
    propagate_tles(tles[:2], jd[:2], fr[:2])  # JIT load (cached on disk after the first run)
    t0 = time.perf_counter()
    table, init_error = table_for_tles(tles)
    init_s = time.perf_counter() - t0
    from spacerange.propagation.sgp4_fields import DEEP

    near_frac = float(np.mean((table[:, DEEP] == 0) & (init_error == 0)))

    # Ours first, so the peak-memory sampler sees only our path.
    gc.collect()
    with PeakMemory() as mem:
        t0 = time.perf_counter()
        n_bad = 0
        for blk in iter_propagate(tles, times):
            n_bad += int(np.count_nonzero(blk.status))
        ours_s = time.perf_counter() - t0

    # The same compiled engine with every object on the scalar kernel (before the
    # near-earth kernel vectorized across times).
    os.environ["SPACERANGE_SGP4_SIMD"] = "0"
    t0 = time.perf_counter()
    n_bad_scalar = 0
    for blk in iter_propagate(tles, times):
        n_bad_scalar += int(np.count_nonzero(blk.status))
    scalar_s = time.perf_counter() - t0
    os.environ["SPACERANGE_SGP4_SIMD"] = "1"
    assert n_bad == n_bad_scalar, "the two kernels disagree on failed states"

    os.environ["SPACERANGE_SGP4_ENGINE"] = "sgp4"
    t0 = time.perf_counter()
    n_bad_pool = 0
    for blk in iter_propagate(tles, times):
        n_bad_pool += int(np.count_nonzero(blk.status))
    pool_s = time.perf_counter() - t0
    assert n_bad == n_bad_pool, "the two engines disagree on failed states"

    t0 = time.perf_counter()
    chunk = 1000
    n_bad_base = 0
    for s in range(0, len(tles), chunk):
        _, _, st = sgp4_teme(satrecs_from_tles(tles[s : s + chunk]), jd, fr)
        n_bad_base += int(np.count_nonzero(st))
    base_s = time.perf_counter() - t0
    assert n_bad == n_bad_base, "the two paths disagree on failed states"

    # The pool's chunking in one process: separates its parallel gain from the cache
    # effect of smaller chunks (~340 objects x 1441 times per chunk, baseline 1000).
    t0 = time.perf_counter()
    for _ in iter_propagate(tles, times, workers=1, chunk_objects=chunk_size_for(len(times))):
        pass
    one_s = time.perf_counter() - t0
    # The kernels alone (no chunking): near-earth and deep-space rows, vectorized across
    # times and scalar, on the same 1-day grid.
    kernel = {}
    deep = table[:, DEEP] != 0
    for label, sel in (("near_earth", ~deep), ("deep_space", deep)):
        for simd in ("1", "0"):
            os.environ["SPACERANGE_SGP4_SIMD"] = simd
            sub_t, sub_e = table[sel], init_error[sel]
            t0 = time.perf_counter()
            propagate_table(sub_t, sub_e, jd, fr)
            dt = time.perf_counter() - t0
            key = f"kernel_{label}_{'vectorized' if simd == '1' else 'scalar'}_states_per_s"
            kernel[key] = round(sub_t.shape[0] * len(times) / dt)
    os.environ["SPACERANGE_SGP4_SIMD"] = "1"
    with open("/proc/loadavg") as f:
        load = float(f.read().split()[0])

    report(
        {
            "objects": len(tles),
            "times": len(times),
            "states": n_states,
            "failed_states": n_bad,
            "cores": len(os.sched_getaffinity(0)),
            "load_average_1min": load,
            "numba_init_s": round(init_s, 3),
            **init_figures,
            "ours_seconds": round(ours_s, 3),
            "ours_states_per_s": round(n_states / ours_s),
            "ours_with_init_states_per_s": round(n_states / (ours_s + init_s)),
            "near_earth_fraction": round(near_frac, 3),
            "scalar_kernel_seconds": round(scalar_s, 3),
            "scalar_kernel_states_per_s": round(n_states / scalar_s),
            "ratio_vs_scalar_kernel": round(scalar_s / ours_s, 3),
            "sgp4_pool_seconds": round(pool_s, 3),
            "sgp4_pool_states_per_s": round(n_states / pool_s),
            "baseline_seconds": round(base_s, 3),
            "baseline_states_per_s": round(n_states / base_s),
            "ratio_vs_pool": round(pool_s / ours_s, 3),
            "ratio_vs_baseline": round(base_s / ours_s, 3),
            "pool_1process_seconds": round(one_s, 3),
            "pool_parallel_speedup": round(one_s / pool_s, 3),
            "peak_rss_mb": round(mem.peak_mb, 1),
            **kernel,
        },
        args.json,
    )


if __name__ == "__main__":
    main()
