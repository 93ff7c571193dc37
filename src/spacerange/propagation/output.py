"""Streaming ephemeris writers: CSV, Parquet and CCSDS OEM (KVN or XML).

Writers take :class:`~spacerange.propagation.sgp4_batch.EphemerisBlock` objects one at a
time, so a whole catalog can be written with bounded memory.  The long table layout is one
row per (object, time): ``norad_id, time_utc, x, y, z, vx, vy, vz, status`` (km, km/s in
the named frame), or ``lat_deg, lon_deg, alt_km`` for the geodetic frame.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from spacerange.propagation.sgp4_batch import EphemerisBlock
from spacerange.timescales import iso_utc

FORMATS = ("csv", "parquet", "oem", "oem-xml")


def format_from_path(path: str | Path) -> str:
    """Output format from the file suffix (.csv, .parquet, .oem/.txt, .xml)."""
    suffix = Path(path).suffix.lower()
    table = {
        ".csv": "csv",
        ".parquet": "parquet",
        ".pq": "parquet",
        ".oem": "oem",
        ".txt": "oem",
        ".kvn": "oem",
        ".xml": "oem-xml",
    }
    if suffix not in table:
        raise ValueError(
            f"cannot tell the output format of {path}: use .csv, .parquet, .oem (CCSDS OEM KVN) "
            "or .xml (CCSDS OEM XML)"
        )
    return table[suffix]


def _columns(frame: str) -> list[str]:
    if frame == "geodetic":
        return ["lat_deg", "lon_deg", "alt_km"]
    return [f"{c}_{frame}_km" for c in "xyz"] + [f"v{c}_{frame}_km_s" for c in "xyz"]


def write_ephemeris(
    path: str | Path,
    blocks: Iterable[EphemerisBlock],
    norad_ids: Sequence[int],
    names: Sequence[str],
    times_utc: np.ndarray,
    frame: str,
    fmt: str | None = None,
) -> int:
    """Write every block to ``path``; returns the number of states written."""
    fmt = fmt or format_from_path(path)
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}")
    if fmt.startswith("oem") and frame == "geodetic":
        raise ValueError("CCSDS OEM holds Cartesian states: choose teme, gcrs or itrs for OEM")
    writer = {
        "csv": _CsvWriter,
        "parquet": _ParquetWriter,
        "oem": _OemWriter,
        "oem-xml": _OemWriter,
    }[fmt](Path(path), times_utc, frame, fmt)
    n = 0
    try:
        for blk in blocks:
            ids = np.asarray(norad_ids[blk.start : blk.stop])
            writer.write(blk, ids, list(names[blk.start : blk.stop]))
            n += blk.status.size
    finally:
        writer.close()
    return n


class _CsvWriter:
    def __init__(self, path: Path, times_utc: np.ndarray, frame: str, fmt: str):
        self.f = open(path, "w", newline="")  # noqa: SIM115 - closed in close()
        self.times = np.array([iso_utc(t) for t in times_utc])
        self.frame = frame
        self.f.write(",".join(["norad_id", "time_utc", *_columns(frame), "status"]) + "\n")

    def write(self, blk: EphemerisBlock, ids: np.ndarray, names: list[str]) -> None:
        n, m = blk.status.shape
        vals = blk.r if blk.v is None else np.concatenate([blk.r, blk.v], axis=-1)
        vals = vals.reshape(n * m, -1)
        buf = io.StringIO()
        fmt = "%.9f" if self.frame == "geodetic" else "%.6f"
        np.savetxt(buf, vals, fmt=fmt, delimiter=",")
        rows = buf.getvalue().splitlines()
        id_col = np.repeat(ids, m).astype(str)
        t_col = np.tile(self.times, n)
        st_col = blk.status.reshape(-1).astype(str)
        self.f.write(
            "\n".join(
                f"{i},{t},{row},{s}"
                for i, t, row, s in zip(id_col, t_col, rows, st_col, strict=True)
            )
            + "\n"
        )

    def close(self) -> None:
        self.f.close()


class _ParquetWriter:
    def __init__(self, path: Path, times_utc: np.ndarray, frame: str, fmt: str):
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.pa = pa
        self.times = np.asarray(times_utc, dtype="datetime64[us]")
        cols = _columns(frame)
        self.cols = cols
        self.schema = pa.schema(
            [("norad_id", pa.int32()), ("time_utc", pa.timestamp("us", tz="UTC"))]
            + [(c, pa.float64()) for c in cols]
            + [("status", pa.int8())]
        )
        self.w = pq.ParquetWriter(str(path), self.schema, compression="zstd")

    def write(self, blk: EphemerisBlock, ids: np.ndarray, names: list[str]) -> None:
        pa = self.pa
        n, m = blk.status.shape
        vals = blk.r if blk.v is None else np.concatenate([blk.r, blk.v], axis=-1)
        vals = vals.reshape(n * m, -1)
        arrays = [
            pa.array(np.repeat(ids, m).astype(np.int32)),
            pa.array(np.tile(self.times, n)).cast(pa.timestamp("us", tz="UTC")),
            *[pa.array(vals[:, k]) for k in range(vals.shape[1])],
            pa.array(blk.status.reshape(-1).astype(np.int8)),
        ]
        self.w.write_table(pa.Table.from_arrays(arrays, schema=self.schema))

    def close(self) -> None:
        self.w.close()


class _OemWriter:
    """One OEM segment per object.  States whose propagation failed are left out (OEM has
    no way to mark an invalid state), so a decayed object's segment stops at its decay."""

    def __init__(self, path: Path, times_utc: np.ndarray, frame: str, fmt: str):
        self.path = path
        self.times = np.asarray(times_utc, dtype="datetime64[us]")
        # CCSDS frame names: GCRF for GCRS, ITRF for ITRS; TEME is its own name.
        self.ref_frame = {"gcrs": "GCRF", "itrs": "ITRF", "teme": "TEME"}[frame]
        self.xml = fmt == "oem-xml"
        self.segments = []

    def write(self, blk: EphemerisBlock, ids: np.ndarray, names: list[str]) -> None:
        from spacerange.ccsds.oem import OemSegment

        for k in range(blk.r.shape[0]):
            ok = blk.status[k] == 0
            if not ok.any():
                continue
            epochs = self.times[ok]
            meta = {
                "OBJECT_NAME": names[k] or str(ids[k]),
                "OBJECT_ID": str(ids[k]),
                "CENTER_NAME": "EARTH",
                "REF_FRAME": self.ref_frame,
                "TIME_SYSTEM": "UTC",
                "START_TIME": epochs[0],
                "STOP_TIME": epochs[-1],
            }
            self.segments.append(
                OemSegment(meta, epochs, np.array(blk.r[k][ok]), np.array(blk.v[k][ok]))
            )

    def close(self) -> None:
        from spacerange.ccsds.oem import Oem, write_oem

        header = {
            "CCSDS_OEM_VERS": "3.0",
            "CREATION_DATE": np.datetime64("now", "us"),
            "ORIGINATOR": "SPACERANGE",
        }
        write_oem(Oem(header, self.segments), self.path, fmt="XML" if self.xml else "KVN")
