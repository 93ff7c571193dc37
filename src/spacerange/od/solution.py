"""OD results: :class:`OdSolution` per object, summaries and OEM output with covariance."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class OdSolution:
    """Estimated GCRS state of one object at ``epoch_utc`` and its covariance.

    ``state`` (6,) km, km/s; ``covariance`` (6, 6) km^2, km^2/s, km^2/s^2 (the batch's
    cluster-robust covariance by default, the inverse normal matrix with
    ``BatchOptions(covariance="formal")``; see :mod:`spacerange.od.batch`); ``rms`` the weighted (dimensionless) post-fit
    residual RMS over accepted measurements, ``rms_by_kind`` the same per measurement kind;
    ``n_obs`` measurements given, ``n_used`` accepted by residual editing;
    ``consider_covariance`` (6, 6) the part of ``covariance`` that the unmodeled
    acceleration adds (:mod:`spacerange.od.consider`), None when none was added;
    ``along_track_accel_km_s2`` (estimate, 1-sigma) the constant along-track acceleration
    the residuals show beyond the six elements (drag; it sizes the consider term's drag,
    :func:`spacerange.od.consider.along_track_acceleration_estimate`), None without it.
    """

    object_id: str
    epoch_utc: np.datetime64
    state: np.ndarray
    covariance: np.ndarray
    rms: float
    n_obs: int
    n_used: int
    iterations: int
    converged: bool
    rms_by_kind: dict = field(default_factory=dict)
    method: str = "batch"
    message: str = ""
    consider_covariance: np.ndarray | None = None
    along_track_accel_km_s2: tuple[float, float] | None = None

    @property
    def pos_sigma_m(self) -> float:
        """RSS 1-sigma position uncertainty, sqrt(trace P_rr), in metres."""
        tr = float(np.trace(self.covariance[:3, :3]))
        return float(np.sqrt(tr) * 1000.0) if np.isfinite(tr) and tr >= 0 else float("nan")

    def summary(self) -> dict:
        """The JSON record of the CLI: id, rms, n_obs, converged, pos_sigma_m (+ extras)."""

        def num(x):
            return float(x) if np.isfinite(x) else None

        return {"id": self.object_id, "rms": num(self.rms), "n_obs": self.n_obs,
                "n_used": self.n_used, "converged": bool(self.converged),
                "pos_sigma_m": num(self.pos_sigma_m), "iterations": self.iterations,
                "epoch": self.epoch_utc, "method": self.method,
                "rms_by_kind": {k: num(v) for k, v in self.rms_by_kind.items()},
                **({"message": self.message} if self.message else {})}  # fmt: skip


def solutions_to_oem(
    solutions: list[OdSolution],
    spans_s: dict[str, tuple[float, float]] | None = None,
    step_s: float = 60.0,
    originator: str = "SPACERANGE",
):
    """OEM with one GCRF segment per solution: ephemeris over ``spans_s[id]`` (seconds from
    the solution epoch; default 0 .. 0) propagated with two-body + J2..J4, and covariance blocks
    (propagated through the STM) at the first and last ephemeris epochs."""
    from spacerange.ccsds.oem import Oem, OemCovariance, OemSegment

    from .dynamics import OD_DEGREE, J2Dynamics

    segments = []
    for sol in solutions:
        if not np.all(np.isfinite(sol.state)):
            continue
        lo, hi = (spans_s or {}).get(sol.object_id, (0.0, 0.0))
        lo = max(0.0, lo)
        n = max(1, int(np.ceil((hi - lo) / step_s)) + 1)
        s = np.unique(np.append(np.linspace(lo, hi, n), [lo, hi]))
        dyn = J2Dynamics.at(sol.epoch_utc, degree=OD_DEGREE)
        x, phi = dyn.trajectory(sol.state[None], s, np.zeros(s.size, int))
        epochs = sol.epoch_utc + (s * 1e6).astype("timedelta64[us]")
        covs = []
        for k in sorted({0, s.size - 1}):
            p = phi[k] @ sol.covariance @ phi[k].T
            covs.append(OemCovariance(epochs[k], 0.5 * (p + p.T)))
        meta = {"OBJECT_NAME": sol.object_id, "OBJECT_ID": sol.object_id,
                "CENTER_NAME": "EARTH", "REF_FRAME": "GCRF", "TIME_SYSTEM": "UTC",
                "START_TIME": epochs[0], "STOP_TIME": epochs[-1]}  # fmt: skip
        segments.append(OemSegment(meta, epochs, x[:, :3], x[:, 3:], covariances=covs,
                                   comments=[f"OD {sol.method}: rms {sol.rms:.3f}, "
                                             f"{sol.n_used}/{sol.n_obs} obs used"]))  # fmt: skip
    header = {"CCSDS_OEM_VERS": "3.0", "CREATION_DATE": np.datetime64("now", "us"),
              "ORIGINATOR": originator}  # fmt: skip
    return Oem(header, segments)
