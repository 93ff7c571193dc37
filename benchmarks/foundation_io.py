"""Foundation I/O speed: catalog import, synthetic population, OEM writing.

These three figures used to be asserted inside unit tests (a wall- or CPU-time bound), which
made the suite fail on a busy machine and proved nothing about speed.  They are measured
here instead, each next to a baseline from the same run:

- **Catalog import**: ``spacerange.catalog.importer.import_files`` of the 26,140-object
  2023-10-09 Space-Track 3LE into a fresh SQLite store (parse, validate, store), then the
  same file again (a no-op).  Baseline: python-sgp4 ``Satrec.twoline2rv`` of every set of
  the same file plus one ``executemany`` of the raw lines into SQLite: the floor of reading
  and storing the text, without validation, metadata or history.
- **Synthetic population**: ``spacerange.catalog.synth.synthesize(30000)``.  Baseline:
  python-sgp4 ``Satrec.twoline2rv`` of the 30,000 sets it produced (what a consumer spends
  just to load them).
- **OEM writing**: ``spacerange.ccsds.oem.write_oem`` of one 200,000-row segment.
  Baseline: ``numpy.savetxt`` of the same rows in the same ``%.6f`` style (no header, no
  epochs formatted).

    python benchmarks/foundation_io.py [--json]

CPU seconds are reported beside wall seconds: CPU time is not inflated by other jobs on a
shared machine.
"""

from __future__ import annotations

import argparse
import io
import sqlite3
import tempfile
import time
from pathlib import Path

import numpy as np

from _util import data_root, report


def _timed(fn):
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, round(time.perf_counter() - t0, 3), round(time.process_time() - c0, 3)


def _tle_pairs(lines: list[str]) -> list[tuple[str, str]]:
    return [
        (a, b) for a, b in zip(lines, lines[1:], strict=False) if a[:2] == "1 " and b[:2] == "2 "
    ]


def bench_import(path: Path) -> dict:
    from sgp4.api import Satrec

    from spacerange.catalog.importer import import_files
    from spacerange.catalog.store import SqliteCatalogStore

    with tempfile.TemporaryDirectory() as tmp:
        with SqliteCatalogStore(Path(tmp) / "cat.db") as store:
            r, wall, cpu = _timed(lambda: import_files([path], store))
            _, wall2, cpu2 = _timed(lambda: import_files([path], store))

        def floor():
            lines = path.read_text().splitlines()
            sats = [Satrec.twoline2rv(a, b) for a, b in _tle_pairs(lines)]
            con = sqlite3.connect(Path(tmp) / "raw.db")
            con.execute("CREATE TABLE t (l1 TEXT, l2 TEXT)")
            with con:
                con.executemany("INSERT INTO t VALUES (?, ?)", _tle_pairs(lines))
            con.close()
            return len(sats)

        n_base, wall_b, cpu_b = _timed(floor)
    return {
        "import_objects": r.objects,
        "import_rejected": r.rejected,
        "import_wall_s": wall,
        "import_cpu_s": cpu,
        "reimport_noop_wall_s": wall2,
        "reimport_noop_cpu_s": cpu2,
        "import_baseline_sets": n_base,
        "import_baseline_wall_s": wall_b,
        "import_baseline_cpu_s": cpu_b,
    }


def bench_synth(n: int) -> dict:
    from sgp4.api import Satrec

    from spacerange.catalog.synth import synthesize

    pop, wall, cpu = _timed(lambda: synthesize(n, seed=3))
    sets = [(e.line1, e.line2) for e in pop.elsets]
    _, wall_b, cpu_b = _timed(lambda: [Satrec.twoline2rv(a, b) for a, b in sets])
    return {
        "synth_objects": len(pop),
        "synth_wall_s": wall,
        "synth_cpu_s": cpu,
        "synth_baseline_parse_wall_s": wall_b,
        "synth_baseline_parse_cpu_s": cpu_b,
    }


def bench_oem(n: int) -> dict:
    from spacerange.ccsds.oem import Oem, OemSegment, write_oem

    t0 = np.datetime64("2024-01-01T00:00:00", "us")
    rng = np.random.default_rng(1)
    r_km, v_km_s = rng.normal(0, 7000, (n, 3)), rng.normal(0, 7, (n, 3))
    seg = OemSegment(
        {
            "OBJECT_NAME": "X",
            "OBJECT_ID": "2024-001A",
            "CENTER_NAME": "EARTH",
            "REF_FRAME": "GCRF",
            "TIME_SYSTEM": "UTC",
            "START_TIME": t0,
            "STOP_TIME": t0 + np.timedelta64(n - 1, "s"),
        },
        t0 + np.arange(n).astype("timedelta64[s]"),
        r_km,
        v_km_s,
    )
    oem = Oem({"CCSDS_OEM_VERS": "3.0", "CREATION_DATE": t0, "ORIGINATOR": "T"}, [seg])
    text, wall, cpu = _timed(lambda: write_oem(oem))

    def floor():
        buf = io.StringIO()
        np.savetxt(buf, np.hstack([r_km, v_km_s]), fmt="%.6f")
        return buf.getvalue()

    base, wall_b, cpu_b = _timed(floor)
    return {
        "oem_rows": n,
        "oem_bytes": len(text),
        "oem_wall_s": wall,
        "oem_cpu_s": cpu,
        "oem_us_per_row": round(wall / n * 1e6, 2),
        "oem_baseline_savetxt_bytes": len(base),
        "oem_baseline_savetxt_wall_s": wall_b,
        "oem_baseline_savetxt_cpu_s": cpu_b,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--synth-n", type=int, default=30_000)
    ap.add_argument("--oem-rows", type=int, default=200_000)
    ap.add_argument("--json", action="store_true", help="also print one JSON object last")
    a = ap.parse_args()
    path = data_root() / "catalog" / "spacetrack_3le_full_20231009.txt"
    figures = {**bench_import(path), **bench_synth(a.synth_n), **bench_oem(a.oem_rows)}
    report(figures, a.json)


if __name__ == "__main__":
    main()
