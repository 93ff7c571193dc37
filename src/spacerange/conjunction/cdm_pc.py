"""Collision probability from CCSDS CDMs, and CDMs from screening events.

:func:`pc_from_cdm` reads the two objects of a :class:`~spacerange.ccsds.Cdm` (states at TCA
in ``REF_FRAME``, RTN covariances in m^2), brings them to one inertial frame, combines the
covariances and calls one of the Pc methods of :mod:`.pc`.  :func:`event_to_cdm` goes the
other way: it builds a :class:`~spacerange.ccsds.Cdm` from a screening event (plain arrays
and metadata dicts) for :func:`~spacerange.ccsds.write_cdm`.

Frames (``REF_FRAME`` of each object):

* ``EME2000``, ``GCRF``, ``ICRF``: used as given (inertial).  EME2000 and GCRF differ by the
  frame bias (~23 mas, < 1 m at GEO); when the two objects use *different* inertial frames a
  warning says the bias is ignored.
* ``ITRF`` (any ``ITRF*`` realisation): converted to GCRS at TCA with
  :func:`spacerange.frames.itrs_to_gcrs` (velocity includes Earth rotation; no polar motion),
  with a warning.
* ``TEME``: converted to GCRS with :func:`spacerange.frames.teme_to_gcrs`, with a warning.

The RTN covariances are rotated with the *inertial* state of each object (CCSDS and NASA
CARA convention, :func:`.encounter.cdm_cov_rtn_m_to_inertial_km`).

Hard-body radius (combined, m), first match wins; :attr:`CdmPcResult.hbr_source` says which:

1. ``hbr_m`` argument (CLI ``--hbr``): ``"override"``;
2. the ``HBR`` keyword (CDM 2.0 additional parameter, per object) present for *both*
   objects: their sum, ``"cdm:HBR"``;
3. a ``COMMENT HBR = <m>`` line anywhere in the message (the convention of NASA CARA's
   sample CDMs, where it is the combined HBR): ``"cdm:COMMENT HBR"``;
4. per object, summed: ``HBR`` keyword, else ``AREA_PC`` as the area of a disc
   (``sqrt(AREA_PC / pi)``), else the :class:`.hbr.HbrTable` (CARA estimate by
   ``OBJECT_DESIGNATOR``, then the ``OBJECT_TYPE`` default); the source lists each object's,
   e.g. ``"object1=cdm:AREA_PC,object2=default"``.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from spacerange.ccsds.cdm import RTN_COV_NAMES, Cdm, CdmObject
from spacerange.errors import CovarianceError

from .covariance import check_covariance, default_tle_covariance
from .encounter import cdm_cov_rtn_m_to_inertial_km, rtn_basis
from .hbr import HbrTable
from .multistep import pc_auto, pc_nc3d, pc_sdmc_tca
from .pc import PcResult, pc_chan, pc_foster, pc_max_alfano, pc_monte_carlo_3d

__all__ = [
    "CdmPcResult",
    "PC_METHODS",
    "cdm_inertial_states_km",
    "cdm_hbr_m",
    "ccsds_pc_method",
    "event_to_cdm",
    "pc_from_cdm",
    "relative_rtn",
]

#: CLI/API method names -> Pc function
PC_METHODS = {
    "foster": pc_foster,
    "chan": pc_chan,
    "max": pc_max_alfano,
    "mc": pc_monte_carlo_3d,
    "nc3d": pc_nc3d,
    "sdmc": pc_sdmc_tca,
    "auto": pc_auto,
}

_INERTIAL = {"EME2000", "GCRF", "ICRF"}
_COMMENT_HBR = re.compile(r"^\s*HBR\s*[=:]?\s*([-+0-9.eE]+)\s*(\[m\])?\s*$")
#: State-derived miss / relative speed disagreeing with the CDM's keywords by more than
#: ``max(abs, rel * value)`` gets a warning (catches frame or unit mistakes).
MISS_CHECK_ABS_M = 1.0
SPEED_CHECK_ABS_M_S = 1.0
CHECK_REL = 0.01


@dataclass(repr=False)
class CdmPcResult(PcResult):
    """:class:`~.pc.PcResult` of one CDM plus the encounter figures and the HBR used.

    ``miss_m`` and ``relative_speed_m_s`` come from the TCA states (not the CDM keywords);
    ``tca_utc`` is ``datetime64[us]`` UTC; ``hbr_m`` is the combined hard-body radius and
    ``hbr_source`` where it came from (module docstring); ``frame`` the inertial frame the
    Pc was computed in; ``covariance_source`` is ``"cdm"`` or ``"default-tle-model"``.
    """

    miss_m: float = math.nan
    relative_speed_m_s: float = math.nan
    tca_utc: np.datetime64 | None = None
    hbr_m: float = math.nan
    hbr_source: str = ""
    frame: str = ""
    covariance_source: str = "cdm"
    message_id: str | None = None

    def __repr__(self) -> str:
        return (
            f"CdmPcResult(pc={self.pc:.6g}, method={self.method!r}, miss_m={self.miss_m:.4g}, "
            f"hbr_m={self.hbr_m:.4g} ({self.hbr_source}), warnings={len(self.warnings)})"
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN/inf -> ``None``, numpy scalars -> Python, TCA ISO UTC)."""
        return {
            "pc": _plain(self.pc),
            "method": self.method,
            "reason": self.flags.get("reason"),
            "ci95": _plain(list(self.flags["ci95"])) if self.flags.get("ci95") else None,
            "miss_m": _plain(self.miss_m),
            "relative_speed_m_s": _plain(self.relative_speed_m_s),
            "tca": None if self.tca_utc is None else f"{np.datetime_as_string(self.tca_utc)}Z",
            "hbr_m": _plain(self.hbr_m),
            "hbr_source": self.hbr_source,
            "frame": self.frame,
            "covariance_source": self.covariance_source,
            "message_id": self.message_id,
            "warnings": list(self.warnings),
            "flags": {k: _plain(v) for k, v in self.flags.items()},
        }


def _plain(v: Any) -> Any:
    """Plain JSON-safe Python value (non-finite floats -> None)."""
    if isinstance(v, np.ndarray):
        return [_plain(x) for x in v.tolist()]
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


# --------------------------------------------------------------------------- frames


def cdm_inertial_states_km(cdm: Cdm) -> tuple[np.ndarray, np.ndarray, str, list[str]]:
    """Both objects' TCA states in one inertial frame, km and km/s.

    Returns ``(state1, state2, frame, warnings)`` with states of shape (6,).  ``frame`` is
    the inertial frame name (``"EME2000"``, ``"GCRF"``, ``"GCRS"`` after an ITRF/TEME
    conversion...).  Raises ``ValueError`` for an unsupported ``REF_FRAME``.
    """
    from spacerange.frames import itrs_to_gcrs, teme_to_gcrs

    warnings: list[str] = []
    states, frames = [], []
    tca = np.array([cdm.tca], dtype="datetime64[us]")
    for name, obj in (("OBJECT1", cdm.object1), ("OBJECT2", cdm.object2)):
        frame = str(obj.metadata.get("REF_FRAME", "")).strip().upper()
        s = obj.state_km()
        if frame in _INERTIAL:
            frames.append(frame)
        elif frame.startswith("ITRF"):
            r, v = itrs_to_gcrs(s[None, :3], s[None, 3:], tca)
            s = np.concatenate([r[0], v[0]])
            frames.append("GCRS")
            warnings.append(
                f"{name} REF_FRAME = {frame}: state converted ITRF -> GCRS at TCA "
                "(spacerange.frames.itrs_to_gcrs, Earth rotation in the velocity, no polar "
                "motion); RTN covariance taken about the inertial state"
            )
        elif frame == "TEME":
            r, v = teme_to_gcrs(s[None, :3], s[None, 3:], tca)
            s = np.concatenate([r[0], v[0]])
            frames.append("GCRS")
            warnings.append(f"{name} REF_FRAME = TEME: state converted TEME -> GCRS at TCA")
        else:
            raise ValueError(
                f"{name} REF_FRAME = {frame or '<missing>'}: unsupported; expected EME2000, "
                "GCRF, ICRF, ITRF (any realisation) or TEME"
            )
        states.append(s)
    f1, f2 = frames
    if f1 != f2 and {f1, f2} - {"GCRS", "GCRF"}:
        warnings.append(
            f"objects use different inertial frames ({f1}, {f2}); the frame bias between "
            "them (~23 mas) is ignored"
        )
    frame = f1 if f1 == f2 else f"{f1}+{f2}"
    return states[0], states[1], frame, warnings


def relative_rtn(state1_km, state2_km) -> tuple[np.ndarray, np.ndarray]:
    """Object 2 relative to object 1 in object 1's RTN frame (CCSDS 508.0-B-1 3.5.x).

    ``state*_km`` (6,): inertial km, km/s.  Returns ``(dr_rtn_m, dv_rtn_m_s)``, each (3,),
    ``dr = r2 - r1`` and ``dv = v2 - v1`` projected on the R, T, N axes of object 1 (the
    convention of the CCSDS example CDM's ``RELATIVE_POSITION/VELOCITY_R/T/N``).
    """
    s1 = np.asarray(state1_km, float)
    s2 = np.asarray(state2_km, float)
    q = rtn_basis(s1[:3], s1[3:])[0]
    return q @ (s2[:3] - s1[:3]) * 1e3, q @ (s2[3:] - s1[3:]) * 1e3


# ------------------------------------------------------------------------------ HBR


def _comment_hbr_m(cdm: Cdm) -> float | None:
    sections = [cdm.header, cdm.relative]
    for o in (cdm.object1, cdm.object2):
        sections += [o.metadata, o.od_parameters, o.additional_parameters, o.state_vector]
    for sec in sections:
        for c in sec.get("COMMENT", []) or []:
            m = _COMMENT_HBR.match(str(c))
            if m:
                value = float(m.group(1))
                if not value > 0:
                    raise ValueError(f"COMMENT HBR = {m.group(1)}: HBR must be positive")
                return value
    return None


def _keyword_hbr(obj: CdmObject) -> float | None:
    v = obj.additional_parameters.get("HBR")
    return float(v) if v is not None and np.isfinite(v) and v > 0 else None


def _object_hbr(obj: CdmObject, table: HbrTable) -> tuple[float, str]:
    h = _keyword_hbr(obj)
    if h is not None:
        return h, "cdm:HBR"
    area = obj.additional_parameters.get("AREA_PC")
    if area is not None and np.isfinite(area) and area > 0:
        return math.sqrt(area / math.pi), "cdm:AREA_PC"
    try:
        norad = int(str(obj.metadata.get("OBJECT_DESIGNATOR", "")).strip())
    except ValueError:
        norad = -1
    value, src = table.lookup(norad, obj.metadata.get("OBJECT_TYPE"))
    if src == "default":
        src = f"default({obj.metadata.get('OBJECT_TYPE') or 'UNKNOWN'})"
    return value, src


def cdm_hbr_m(
    cdm: Cdm, hbr_m: float | None = None, hbr_table: HbrTable | None = None
) -> tuple[float, str]:
    """Combined hard-body radius (m) of a CDM and its source (see module docstring)."""
    if hbr_m is not None:
        if not (np.isfinite(hbr_m) and hbr_m > 0):
            raise ValueError(f"HBR override must be positive, got {hbr_m}")
        return float(hbr_m), "override"
    k1, k2 = _keyword_hbr(cdm.object1), _keyword_hbr(cdm.object2)
    if k1 is not None and k2 is not None:
        return k1 + k2, "cdm:HBR"
    c = _comment_hbr_m(cdm)
    if c is not None:
        return c, "cdm:COMMENT HBR"
    table = hbr_table if hbr_table is not None else HbrTable()
    (h1, s1), (h2, s2) = _object_hbr(cdm.object1, table), _object_hbr(cdm.object2, table)
    return h1 + h2, f"object1={s1},object2={s2}"


# ------------------------------------------------------------------------- Pc from CDM


def _object_cov_km2(
    name: str,
    obj: CdmObject,
    state_km: np.ndarray,
    need_velocity: bool,
    default_covariance: bool,
    age_days: float | None,
    tca: np.datetime64,
    warnings: list[str],
) -> tuple[np.ndarray, str]:
    """Inertial covariance (km^2...) of one object: 6x6, or 3x3 if only positions exist."""
    c = obj.covariance_rtn_6x6()
    pos_ok = bool(np.all(np.isfinite(c[:3, :3])))
    all_ok = bool(np.all(np.isfinite(c)))
    if pos_ok and (all_ok or not need_velocity):
        c = c if all_ok else c[:3, :3]
        return cdm_cov_rtn_m_to_inertial_km(state_km[:3], state_km[3:], c)[0], "cdm"
    missing = [k for k in RTN_COV_NAMES[: 6 if not need_velocity else 21]
               if not np.isfinite(obj.covariance.get(k, np.nan))]  # fmt: skip
    if not default_covariance:
        raise CovarianceError(
            f"{name} ({obj.metadata.get('OBJECT_DESIGNATOR', '?')}): covariance missing or "
            f"not a number ({', '.join(missing[:6])}{'...' if len(missing) > 6 else ''}); "
            "a Pc needs both covariances (use --default-covariance / default_covariance=True "
            "to substitute the default TLE covariance model)"
        )
    if age_days is None:
        last = obj.od_parameters.get("TIME_LASTOB_END")
        if last is not None and not np.isnat(last):
            age_days = float((tca - last) / np.timedelta64(1, "D"))
        else:
            age_days = 1.0
    d = default_tle_covariance(state_km[None, :3], state_km[None, 3:], age_days)
    warnings.append(
        f"{name}: no usable covariance in the CDM; using the default TLE covariance model "
        f"({d.regime[0]}, age {age_days:.3g} d; a model, not a measurement)"
    )
    from .encounter import cov_rtn_to_inertial

    return cov_rtn_to_inertial(state_km[:3], state_km[3:], d.cov_rtn_km2[0])[0], d.source


def pc_from_cdm(
    cdm: Cdm,
    method: str = "foster",
    hbr_m: float | None = None,
    *,
    hbr_table: HbrTable | None = None,
    default_covariance: bool = False,
    default_covariance_age_days: float | None = None,
    n_samples: int = 100_000,
    seed: int | np.random.Generator | None = 0,
    window_s: float | None = None,
    n_terms: int = 20,
) -> CdmPcResult:
    """Collision probability of the conjunction described by a CDM.

    Parameters
    ----------
    cdm : Cdm
        Parsed message (:func:`spacerange.ccsds.read_cdm`).
    method : {"foster", "chan", "max", "mc", "nc3d", "sdmc", "auto"}
        :func:`.pc.pc_foster`, :func:`.pc.pc_chan`, :func:`.pc.pc_max_alfano`,
        :func:`.pc.pc_monte_carlo_3d` (``n_samples``, ``seed``, ``window_s``),
        :func:`.multistep.pc_nc3d` (3-D Nc), :func:`.multistep.pc_sdmc_tca` (two-body
        SDMC from TCA; ``n_samples``, ``seed``, ``window_s`` as +/- s) or
        :func:`.multistep.pc_auto` (multistep selection; ``reason`` says which and why).
    hbr_m : float, optional
        Combined hard-body radius override, m; else taken from the CDM or the
        ``hbr_table`` (module docstring; the source is reported in ``hbr_source``).
    default_covariance : bool
        Substitute :func:`.covariance.default_tle_covariance` for an object whose CDM
        covariance is missing/NaN (age from ``default_covariance_age_days``, else
        ``TCA - TIME_LASTOB_END``, else 1 day), with a warning.  Without it such a CDM raises
        :class:`~spacerange.errors.CovarianceError`.

    Returns a :class:`CdmPcResult`.  The Pc function's warnings and flags pass through;
    frame conversions, HBR-source and keyword-consistency notes are added to ``warnings``.
    """
    if method not in PC_METHODS:
        raise ValueError(f"method {method!r}: expected one of {', '.join(PC_METHODS)}")
    s1, s2, frame, warnings = cdm_inertial_states_km(cdm)
    hbr, hbr_source = cdm_hbr_m(cdm, hbr_m, hbr_table)
    tca = cdm.tca
    need_v = method in ("mc", "nc3d", "sdmc")
    c1, src1 = _object_cov_km2("OBJECT1", cdm.object1, s1, need_v, default_covariance,
                               default_covariance_age_days, tca, warnings)  # fmt: skip
    c2, src2 = _object_cov_km2("OBJECT2", cdm.object2, s2, need_v, default_covariance,
                               default_covariance_age_days, tca, warnings)  # fmt: skip
    if c1.shape != c2.shape:
        c1, c2 = c1[:3, :3], c2[:3, :3]
    c1 = check_covariance(c1, "OBJECT1 covariance")
    c2 = check_covariance(c2, "OBJECT2 covariance")
    args = (s1[:3], s1[3:], c1, s2[:3], s2[3:], c2, hbr * 1e-3)
    if method == "mc":
        res = pc_monte_carlo_3d(*args, n_samples=n_samples, seed=seed, window_s=window_s)
    elif method == "sdmc":
        win = None if window_s is None else (-window_s, window_s)
        res = pc_sdmc_tca(*args, n_samples=n_samples, seed=seed, window_s=win)
    elif method == "auto":
        res = pc_auto(*args, seed=seed if isinstance(seed, int) else 0)
    elif method == "chan":
        res = pc_chan(*args, n_terms=n_terms)
    else:
        res = PC_METHODS[method](*args)

    miss_m = float(np.linalg.norm(s1[:3] - s2[:3]) * 1e3)
    speed_m_s = float(np.linalg.norm(s1[3:] - s2[3:]) * 1e3)
    for key, value, unit, tol_abs in (
        ("MISS_DISTANCE", miss_m, "m", MISS_CHECK_ABS_M),
        ("RELATIVE_SPEED", speed_m_s, "m/s", SPEED_CHECK_ABS_M_S),
    ):
        given = cdm.relative.get(key)
        if given is not None and np.isfinite(given):
            if abs(given - value) > max(tol_abs, CHECK_REL * abs(given)):
                warnings.append(
                    f"{key} = {given:.6g} {unit} in the CDM but {value:.6g} {unit} from the "
                    "TCA states: check REF_FRAME, units or TCA"
                )
    cov_source = "cdm" if src1 == src2 == "cdm" else f"object1={src1},object2={src2}"
    return CdmPcResult(
        pc=res.pc,
        method=res.method,
        warnings=warnings + list(res.warnings),
        flags=dict(res.flags),
        miss_m=miss_m,
        relative_speed_m_s=speed_m_s,
        tca_utc=tca,
        hbr_m=hbr,
        hbr_source=hbr_source,
        frame=frame,
        covariance_source=cov_source,
        message_id=cdm.header.get("MESSAGE_ID"),
    )


# --------------------------------------------------------------------------- CDM from event

#: our PcResult.method -> CCSDS SANA COLLISION_PROBABILITY_METHOD
_SANA_METHODS = {
    "foster-2d": "FOSTER-1992",
    "max-alfano-2005": "ALFANO-MAX-PROBABILITY",
    "monte-carlo-3d-rectilinear": "MONTE-CARLO",
    "sdmc-two-body": "MONTE-CARLO",
    "nc3d-hall-2021": "HALL-2021",
}

_SCREEN_KEYS = {
    "START_SCREEN_PERIOD": "epoch", "STOP_SCREEN_PERIOD": "epoch",
    "SCREEN_VOLUME_FRAME": "str", "SCREEN_VOLUME_SHAPE": "str",
    "SCREEN_VOLUME_X": "float", "SCREEN_VOLUME_Y": "float", "SCREEN_VOLUME_Z": "float",
    "SCREEN_ENTRY_TIME": "epoch", "SCREEN_EXIT_TIME": "epoch",
}  # fmt: skip

_OBJECT_KEYS = {
    "designator", "name", "international_designator", "object_type", "catalog_name",
    "covariance_method", "default_covariance", "maneuverable", "ephemeris_name", "hbr_m",
    "mass_kg", "operator_organization", "comment",
}  # fmt: skip


def ccsds_pc_method(method: str | None) -> str | None:
    """CCSDS ``COLLISION_PROBABILITY_METHOD`` for one of our ``PcResult.method`` names."""
    if method is None:
        return None
    if method.startswith("chan"):
        return "CHAN-1997"
    return _SANA_METHODS.get(method, method.upper())


def _utc(t) -> np.datetime64:
    from spacerange.timescales import parse_utc

    return np.datetime64(parse_utc(t), "us")


def _cdm_object(
    label: str, info: Mapping[str, Any], state_km: np.ndarray, cov_rtn_m2: np.ndarray, frame: str
) -> CdmObject:
    unknown = set(info) - _OBJECT_KEYS
    if unknown:
        raise ValueError(
            f"{label}: unknown metadata key(s) {sorted(unknown)}; expected {sorted(_OBJECT_KEYS)}"
        )
    if "designator" not in info:
        raise ValueError(f"{label}: metadata needs 'designator' (e.g. the NORAD id)")
    desig = str(info["designator"])
    default_cov = bool(info.get("default_covariance", False))
    cov_method = str(info.get("covariance_method", "DEFAULT" if default_cov else "CALCULATED"))
    if cov_method not in ("CALCULATED", "DEFAULT"):
        raise ValueError(f"{label}: covariance_method must be CALCULATED or DEFAULT")
    meta: dict[str, Any] = {"COMMENT": []}
    if default_cov or cov_method == "DEFAULT":
        meta["COMMENT"].append("covariance from the spacerange default TLE covariance model")
    if info.get("comment"):
        meta["COMMENT"].append(str(info["comment"]))
    meta.update(
        {
            "OBJECT": label,
            "OBJECT_DESIGNATOR": desig,
            "CATALOG_NAME": str(info.get("catalog_name", "SATCAT")),
            "OBJECT_NAME": str(info.get("name") or desig),
            "INTERNATIONAL_DESIGNATOR": str(info.get("international_designator") or "UNKNOWN"),
        }
    )
    if info.get("object_type"):
        meta["OBJECT_TYPE"] = str(info["object_type"]).upper()
    if info.get("operator_organization"):
        meta["OPERATOR_ORGANIZATION"] = str(info["operator_organization"])
    meta.update(
        {
            "EPHEMERIS_NAME": str(info.get("ephemeris_name", "NONE")),
            "COVARIANCE_METHOD": cov_method,
            "MANEUVERABLE": str(info.get("maneuverable", "N/A")),
            "REF_FRAME": frame,
        }
    )
    add: dict[str, Any] = {}
    if info.get("hbr_m") is not None:
        h = float(info["hbr_m"])
        if not h > 0:
            raise ValueError(f"{label}: hbr_m must be positive, got {h}")
        add = {"COMMENT": [f"AREA_PC = pi * HBR**2 with HBR = {h!r} m"], "AREA_PC": math.pi * h * h}
    if info.get("mass_kg") is not None:
        add["MASS"] = float(info["mass_kg"])
    state = dict(zip(("X", "Y", "Z", "X_DOT", "Y_DOT", "Z_DOT"), map(float, state_km), strict=True))
    rows, cols = np.tril_indices(6)
    cov = {k: float(cov_rtn_m2[i, j]) for k, i, j in zip(RTN_COV_NAMES, rows, cols, strict=False)}
    return CdmObject(metadata=meta, state_vector=state, covariance=cov, additional_parameters=add)


def event_to_cdm(
    tca_utc,
    state1_km,
    state2_km,
    cov1_rtn_m2,
    cov2_rtn_m2,
    object1: Mapping[str, Any],
    object2: Mapping[str, Any],
    *,
    pc: float | None = None,
    pc_method: str | None = None,
    hbr_m: float | None = None,
    screening: Mapping[str, Any] | None = None,
    ref_frame: str = "GCRF",
    message_id: str | None = None,
    creation_date_utc=None,
    originator: str = "SPACERANGE",
    message_for: str | None = None,
    comments: Sequence[str] = (),
) -> Cdm:
    """Build a CCSDS CDM (508.0-B-1) for one screening event.

    Parameters
    ----------
    tca_utc : datetime64 / datetime / ISO str
        Time of closest approach, UTC.
    state1_km, state2_km : (6,)
        Primary / secondary state at TCA: x, y, z [km], vx, vy, vz [km/s] in an inertial
        frame.  spacerange's states are GCRS (skyfield), written as ``REF_FRAME = GCRF``
        (the GCRS axes are the GCRF axes); pass ``ref_frame="EME2000"`` for J2000 states.
    cov1_rtn_m2, cov2_rtn_m2 : (6, 6)
        Position/velocity covariances in each object's RTN frame: m^2, m^2/s, m^2/s^2
        (:func:`.encounter.cov_inertial_to_rtn` of an inertial km covariance, times 1e6).
    object1, object2 : dict
        ``designator`` (required; NORAD id), ``name``, ``international_designator``,
        ``object_type`` (PAYLOAD, ROCKET BODY, DEBRIS, UNKNOWN, OTHER), ``catalog_name``
        (SATCAT), ``maneuverable`` (YES/NO/N/A), ``ephemeris_name`` (NONE),
        ``covariance_method`` (CALCULATED/DEFAULT) or ``default_covariance=True`` (=>
        ``DEFAULT``, for the TLE covariance model), ``hbr_m`` (written as
        ``AREA_PC = pi hbr^2``), ``mass_kg``, ``operator_organization``, ``comment``.
    pc, pc_method : float, str
        Collision probability and our method name (``PcResult.method``, mapped to the
        CCSDS name by :func:`ccsds_pc_method`) or a CCSDS name.
    hbr_m : float
        Combined HBR used for ``pc``; written as ``COMMENT HBR = <m>`` (CARA sample-CDM
        convention) so :func:`pc_from_cdm` reproduces ``pc``.
    screening : dict
        CCSDS keywords ``START_SCREEN_PERIOD``, ``STOP_SCREEN_PERIOD``,
        ``SCREEN_VOLUME_FRAME`` (RTN/TVN), ``SCREEN_VOLUME_SHAPE`` (ELLIPSOID/BOX),
        ``SCREEN_VOLUME_X/Y/Z`` [m], ``SCREEN_ENTRY_TIME``, ``SCREEN_EXIT_TIME``.
    message_id : str
        Default: ``SPACERANGE_<id1>_<id2>_<TCA>_<8 random hex>`` (unique).

    ``MISS_DISTANCE``, ``RELATIVE_SPEED`` and ``RELATIVE_POSITION/VELOCITY_R/T/N`` (object 2
    relative to object 1 in object 1's RTN frame, :func:`relative_rtn`) are computed from the
    states.  Write it with :func:`spacerange.ccsds.write_cdm` (KVN or XML).
    """
    s1 = np.asarray(state1_km, float).reshape(-1)
    s2 = np.asarray(state2_km, float).reshape(-1)
    if s1.shape != (6,) or s2.shape != (6,):
        raise ValueError(f"states must have shape (6,), got {s1.shape} and {s2.shape}")
    if not (np.all(np.isfinite(s1)) and np.all(np.isfinite(s2))):
        raise ValueError("states contain NaN or infinite values")
    covs = []
    for nm, c in (("cov1_rtn_m2", cov1_rtn_m2), ("cov2_rtn_m2", cov2_rtn_m2)):
        c = np.asarray(c, float)
        if c.shape != (6, 6):
            raise ValueError(f"{nm}: expected a (6, 6) RTN covariance, got {c.shape}")
        covs.append(check_covariance(c, nm))
    frame = ref_frame.upper()
    if frame not in _INERTIAL:
        raise ValueError(f"ref_frame {ref_frame!r}: expected GCRF, EME2000 or ICRF")
    tca = _utc(tca_utc)
    o1 = _cdm_object("OBJECT1", object1, s1, covs[0], frame)
    o2 = _cdm_object("OBJECT2", object2, s2, covs[1], frame)
    d1, d2 = o1.metadata["OBJECT_DESIGNATOR"], o2.metadata["OBJECT_DESIGNATOR"]
    if message_id is None:
        stamp = np.datetime_as_string(tca, unit="s").replace("-", "").replace(":", "")
        message_id = f"SPACERANGE_{d1}_{d2}_{stamp}_{uuid.uuid4().hex[:8]}"
    created = (
        np.datetime64(np.datetime64("now", "us"))
        if creation_date_utc is None
        else _utc(creation_date_utc)
    )
    header: dict[str, Any] = {
        "COMMENT": list(comments),
        "CCSDS_CDM_VERS": "1.0",
        "CREATION_DATE": created,
        "ORIGINATOR": originator,
    }
    if message_for:
        header["MESSAGE_FOR"] = message_for
    header["MESSAGE_ID"] = message_id

    dr, dv = relative_rtn(s1, s2)
    rel: dict[str, Any] = {"COMMENT": []}
    if frame == "GCRF":
        rel["COMMENT"].append("states: spacerange GCRS (axes of GCRF)")
    if hbr_m is not None:
        if not hbr_m > 0:
            raise ValueError(f"hbr_m must be positive, got {hbr_m}")
        rel["COMMENT"].append(f"HBR = {float(hbr_m)!r} [m]")
    rel.update(
        {
            "TCA": tca,
            "MISS_DISTANCE": float(np.linalg.norm(s2[:3] - s1[:3]) * 1e3),
            "RELATIVE_SPEED": float(np.linalg.norm(s2[3:] - s1[3:]) * 1e3),
            "RELATIVE_POSITION_R": float(dr[0]),
            "RELATIVE_POSITION_T": float(dr[1]),
            "RELATIVE_POSITION_N": float(dr[2]),
            "RELATIVE_VELOCITY_R": float(dv[0]),
            "RELATIVE_VELOCITY_T": float(dv[1]),
            "RELATIVE_VELOCITY_N": float(dv[2]),
        }
    )
    for k, v in (screening or {}).items():
        kind = _SCREEN_KEYS.get(k)
        if kind is None:
            raise ValueError(f"screening: unknown keyword {k!r}; expected {sorted(_SCREEN_KEYS)}")
        rel[k] = _utc(v) if kind == "epoch" else float(v) if kind == "float" else str(v)
    if pc is not None and not math.isnan(pc):
        if not (0.0 <= pc <= 1.0):
            raise ValueError(f"pc must be in [0, 1], got {pc}")
        rel["COLLISION_PROBABILITY"] = float(pc)
        if pc_method:
            rel["COLLISION_PROBABILITY_METHOD"] = ccsds_pc_method(pc_method)
    return Cdm(header, rel, o1, o2)
