"""Per-state propagation status codes.

SGP4 reports an integer error code beside every state instead of raising, so that one bad
object never aborts a vectorized run (python-sgp4's convention).  We keep those codes
(0-6, Vallado's C++ numbering) in an ``int8`` array shaped ``(n_objects, n_times)`` and give
each a name and a sentence.  Positions with a non-zero status are NaN.
"""

from __future__ import annotations

import enum

import numpy as np

from spacerange.constants import MU_WGS72_KM3_S2, RE_WGS72_KM


class PropagationStatus(enum.IntEnum):
    """Status of one propagated state (SGP4 error codes; 0 means a valid state)."""

    OK = 0
    ECCENTRICITY_OUT_OF_RANGE = 1
    NEGATIVE_MEAN_MOTION = 2
    PERTURBED_ECCENTRICITY_OUT_OF_RANGE = 3
    NEGATIVE_SEMILATUS_RECTUM = 4
    UNDERGROUND = 5
    DECAYED = 6
    UNPHYSICAL = 7

    @property
    def label(self) -> str:
        return self.name.lower()

    @property
    def description(self) -> str:
        return _DESCRIPTIONS[self]


_DESCRIPTIONS = {
    PropagationStatus.OK: "valid state",
    PropagationStatus.ECCENTRICITY_OUT_OF_RANGE: "mean eccentricity outside 0 <= e < 1",
    PropagationStatus.NEGATIVE_MEAN_MOTION: "mean motion below zero",
    PropagationStatus.PERTURBED_ECCENTRICITY_OUT_OF_RANGE: (
        "perturbed eccentricity outside 0 <= e < 1 (orbit no longer elliptic)"
    ),
    PropagationStatus.NEGATIVE_SEMILATUS_RECTUM: "semi-latus rectum below zero",
    PropagationStatus.UNDERGROUND: "satellite underground (obsolete SGP4 check)",
    PropagationStatus.DECAYED: "decayed: mean radius below one Earth radius",
    PropagationStatus.UNPHYSICAL: (
        "state not physical (speed above escape speed or position inside the Earth) although "
        "SGP4 reported no error: the element set is corrupt or far outside its fit span"
    ),
}

MU_EARTH_KM3_S2 = MU_WGS72_KM3_S2  # as SGP4
_MIN_RADIUS_KM = RE_WGS72_KM * 0.95  # well inside the Earth: no orbit is there


def flag_unphysical(r_km: np.ndarray, v_km_s: np.ndarray, status: np.ndarray) -> None:
    """Set ``status`` to UNPHYSICAL (in place) where SGP4 returned 0 for a state that no
    orbit can have: ``v^2 > 2 mu / r`` with 10 % slack (unbound) or ``r`` deep inside the
    Earth.  SGP4 does this for some badly decayed element sets."""
    r2 = np.einsum("...i,...i->...", r_km, r_km)
    v2 = np.einsum("...i,...i->...", v_km_s, v_km_s)
    rn = np.sqrt(r2)
    bad = (status == 0) & ((v2 * rn > 2.2 * MU_EARTH_KM3_S2) | (rn < _MIN_RADIUS_KM))
    if bad.any():
        status[bad] = PropagationStatus.UNPHYSICAL


def status_counts(status: np.ndarray) -> dict[str, int]:
    """Number of states per status label, only for labels that occur."""
    codes, counts = np.unique(np.asarray(status), return_counts=True)
    return {PropagationStatus(int(c)).label: int(n) for c, n in zip(codes, counts, strict=True)}


def first_failure(status: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each object (row): the index of its first failed time (-1 if none) and its code."""
    status = np.asarray(status)
    bad = status != 0
    any_bad = bad.any(axis=-1)
    idx = np.where(any_bad, bad.argmax(axis=-1), -1)
    code = np.where(
        any_bad, np.take_along_axis(status, np.maximum(idx, 0)[..., None], -1)[..., 0], 0
    )
    return idx, code
