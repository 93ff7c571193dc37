"""CCSDS Orbit Comprehensive Message (OCM, CCSDS 502.0-B-3), KVN: the parts a screening of
an operator's ephemeris needs.

Read: the header, the metadata (``TIME_SYSTEM``, ``EPOCH_TZERO``, object names), every
trajectory block (``TRAJ_START``...``TRAJ_STOP``) of type ``CARTP``, ``CARTPV`` or
``CARTPVA`` (time tags absolute or in seconds from ``EPOCH_TZERO``; units from
``TRAJ_UNITS``, km or m), every covariance block of type ``CARTP`` or ``CARTPV`` in lower
triangular order (``COV_ORDERING = LTM``, the default), and the epochs of the manoeuvre
blocks.  Each trajectory block is kept separate: an operator splits its trajectory where a
manoeuvre happens, so no reader may interpolate across blocks.

Not read (refused with file and line when a block relies on them): other trajectory
types (Keplerian, equinoctial, geodetic...), other covariance orderings, the XML form;
physical, perturbation, orbit-determination and user blocks are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from spacerange.errors import ParseError

from .kvn import Entry, lex_kvn, read_source
from .schema import parse_epoch, to_utc

__all__ = ["Ocm", "OcmCovariance", "OcmTrajectory", "read_ocm"]


@dataclass
class OcmTrajectory:
    """One trajectory block: frame, centre, UTC epochs, r [km], v [km/s] (None for CARTP)."""

    ref_frame: str
    center: str
    epochs_utc: np.ndarray
    r_km: np.ndarray
    v_km_s: np.ndarray | None
    traj_id: str = ""


@dataclass
class OcmCovariance:
    """One covariance block: frame, UTC epochs and (n, 6, 6) or (n, 3, 3) matrices [km...]."""

    ref_frame: str
    epochs_utc: np.ndarray
    matrices: np.ndarray


@dataclass
class Ocm:
    header: dict
    metadata: dict
    trajectories: list[OcmTrajectory] = field(default_factory=list)
    covariances: list[OcmCovariance] = field(default_factory=list)
    maneuver_epochs_utc: list[np.datetime64] = field(default_factory=list)


_SCALE = {"km": 1.0, "m": 1e-3, "km/s": 1.0, "m/s": 1e-3, "km/s**2": 1.0, "m/s**2": 1e-3}
_TRAJ_COLS = {"CARTP": 3, "CARTPV": 6, "CARTPVA": 9}
_COV_DIM = {"CARTP": 3, "CARTPV": 6}


def _units(text: str | None, n: int, default: list[str], file: str, line: int) -> np.ndarray:
    if not text:
        return np.array([_SCALE[u] for u in default[:n]])
    units = [u.strip() for u in text.strip("[] ").split(",")]
    if len(units) != n:
        raise ParseError(f"{len(units)} units for {n} values", file, line)
    try:
        return np.array([_SCALE[u] for u in units])
    except KeyError as exc:
        raise ParseError(f"unsupported unit {exc.args[0]!r}", file, line) from None


def _time(tag: str, tzero: np.datetime64 | None, file: str, line: int) -> np.datetime64:
    try:
        if "T" in tag or tag.count("-") >= 2:
            return parse_epoch(tag)
        if tzero is None:
            raise ParseError("relative time tag without EPOCH_TZERO", file, line)
        return tzero + np.timedelta64(int(round(float(tag) * 1e6)), "us")
    except ValueError as exc:
        raise ParseError(f"bad time tag {tag!r}: {exc}", file, line) from None


def _block(entries: list[Entry], i: int, name: str, file: str) -> tuple[dict, list, int]:
    """Keywords and data rows of the block starting after ``entries[i]``; index past it."""
    keys: dict[str, tuple[str, str | None, int]] = {}
    rows: list[Entry] = []
    j = i + 1
    while j < len(entries) and entries[j].key != f"{name}_STOP":
        e = entries[j]
        if e.delimiter:
            raise ParseError(f"{e.key} inside {name} block", file, e.line)
        if e.key == "":
            rows.append(e)
        elif e.key != "COMMENT":
            keys[e.key] = (e.value, e.unit, e.line)
        j += 1
    if j == len(entries):
        raise ParseError(f"{name}_START without {name}_STOP", file, entries[i].line)
    return keys, rows, j + 1


def read_ocm(source, file: str | None = None) -> Ocm:
    """Read a KVN OCM from a path or text (see the module docstring for what is read)."""
    content, name = read_source(source, file)
    text = content.decode("utf-8-sig") if isinstance(content, bytes) else content
    if text.lstrip().startswith("<"):
        raise ParseError("OCM in XML is not supported; use the KVN form", name, 1)
    entries = lex_kvn(text, name)
    if not entries or entries[0].key != "CCSDS_OCM_VERS":
        raise ParseError("an OCM starts with CCSDS_OCM_VERS", name, 1)
    header: dict = {}
    i = 0
    while i < len(entries) and entries[i].key != "META_START":
        if entries[i].key and entries[i].key != "COMMENT":
            header[entries[i].key] = entries[i].value
        i += 1
    if i == len(entries):
        raise ParseError("no META_START block", name, entries[-1].line)
    meta_keys, _, i = _block(entries, i, "META", name)
    meta = {k: v[0] for k, v in meta_keys.items()}
    time_system = meta.get("TIME_SYSTEM", "UTC").upper()
    if "EPOCH_TZERO" not in meta:
        raise ParseError("missing mandatory keyword EPOCH_TZERO", name, entries[i - 1].line)
    tzero = parse_epoch(meta["EPOCH_TZERO"])
    ocm = Ocm(header, meta)

    def utc(t: np.ndarray, line: int) -> np.ndarray:
        try:
            return to_utc(t, time_system)
        except ValueError as exc:
            raise ParseError(str(exc), name, line) from None

    while i < len(entries):
        e = entries[i]
        if not e.delimiter or not e.key.endswith("_START"):
            if e.key == "COMMENT":
                i += 1
                continue
            raise ParseError(f"unexpected {e.key or e.value!r} between blocks", name, e.line)
        kind = e.key[: -len("_START")]
        keys, rows, i = _block(entries, i, kind, name)
        if kind == "TRAJ":
            ttype = keys.get("TRAJ_TYPE", ("CARTPV", None, e.line))[0].upper()
            if ttype not in _TRAJ_COLS:
                raise ParseError(f"TRAJ_TYPE {ttype} is not supported", name, e.line)
            ncol = _TRAJ_COLS[ttype]
            u = keys.get("TRAJ_UNITS")
            scale = _units(u and (u[1] or u[0]), ncol,
                           ["km"] * 3 + ["km/s"] * 3 + ["km/s**2"] * 3, name, e.line)  # fmt: skip
            t, x = [], []
            for r in rows:
                parts = r.value.split()
                if len(parts) != ncol + 1:
                    raise ParseError(f"{len(parts) - 1} values where {ttype} has {ncol}",
                                     name, r.line)  # fmt: skip
                t.append(_time(parts[0], tzero, name, r.line))
                try:
                    x.append([float(p) for p in parts[1:]])
                except ValueError:
                    raise ParseError(
                        f"non-numeric trajectory row {r.value!r}", name, r.line
                    ) from None
            if not t:
                raise ParseError("a trajectory block without rows", name, e.line)
            xs = np.array(x) * scale
            ocm.trajectories.append(
                OcmTrajectory(
                    keys.get("TRAJ_REF_FRAME", ("", None, 0))[0].upper(),
                    keys.get("CENTER_NAME", ("EARTH", None, 0))[0].upper(),
                    utc(np.array(t, "datetime64[us]"), e.line),
                    xs[:, :3],
                    xs[:, 3:6] if ncol >= 6 else None,
                    keys.get("TRAJ_ID", ("", None, 0))[0],
                )
            )
        elif kind == "COV":
            ctype = keys.get("COV_TYPE", ("", None, e.line))[0].upper()
            order = keys.get("COV_ORDERING", ("LTM", None, e.line))[0].upper()
            if ctype not in _COV_DIM or order != "LTM":
                raise ParseError(f"COV_TYPE {ctype} with COV_ORDERING {order} is not supported",
                                 name, e.line)  # fmt: skip
            n = _COV_DIM[ctype]
            u = keys.get("COV_UNITS")
            scale = _units(u and (u[1] or u[0]), n, ["km"] * 3 + ["km/s"] * 3, name, e.line)
            rr, cc = np.tril_indices(n)
            t, mats = [], []
            for r in rows:
                parts = r.value.split()
                if len(parts) != len(rr) + 1:
                    raise ParseError(f"{len(parts) - 1} terms where a {n}x{n} LTM has {len(rr)}",
                                     name, r.line)  # fmt: skip
                t.append(_time(parts[0], tzero, name, r.line))
                m = np.zeros((n, n))
                m[rr, cc] = [float(p) for p in parts[1:]]
                m[cc, rr] = m[rr, cc]
                mats.append(m * np.outer(scale, scale))
            ocm.covariances.append(
                OcmCovariance(
                    keys.get("COV_REF_FRAME", ("", None, 0))[0].upper(),
                    utc(np.array(t, "datetime64[us]"), e.line),
                    np.array(mats),
                )
            )
        elif kind == "MAN":
            for r in rows:
                ocm.maneuver_epochs_utc.append(
                    utc(np.array([_time(r.value.split()[0], tzero, name, r.line)]), r.line)[0]
                )
    if not ocm.trajectories:
        raise ParseError("no trajectory block (TRAJ_START)", name, entries[-1].line)
    return ocm
