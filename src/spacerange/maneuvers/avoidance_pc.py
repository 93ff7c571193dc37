"""The Pc an avoidance plan reports and decides on (``auto`` by default).

Split from :mod:`.avoidance`, which re-exports :func:`assess_pc`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from spacerange.conjunction.pc import pc_foster

if TYPE_CHECKING:
    from spacerange.maneuvers.avoidance import Conjunction

__all__ = ["SLOW_ENCOUNTER_KM_S", "assess_pc"]

SLOW_ENCOUNTER_KM_S = 0.01
"""Relative speed (km/s) below which the short-encounter assumptions fail (warning)."""


def assess_pc(conj: Conjunction, x1=None, x2=None, method: str = "auto") -> dict:
    """Pc of the encounter (or of TCA states ``x1``, ``x2`` (6,) with the conjunction's
    covariances) by ``method`` (``auto`` or ``foster``): ``{"pc", "method", "reason",
    "flags"}`` (the validity flags of :func:`.multistep.validity_flags`).  A pair slower
    than :data:`SLOW_ENCOUNTER_KM_S` is not planned, and gets the 2-D value with a reason
    (the 3-D methods would spend minutes on an association)."""
    from spacerange.conjunction.multistep import pc_auto, validity_flags

    x1 = np.concatenate([conj.r1_km, conj.v1_km_s]) if x1 is None else np.asarray(x1, float)
    x2 = np.concatenate([conj.r2_km, conj.v2_km_s]) if x2 is None else np.asarray(x2, float)
    if not (np.all(np.isfinite(x1)) and np.all(np.isfinite(x2))):
        return {"pc": float("nan"), "method": None, "reason": "no TCA state", "flags": {}}
    args = (x1[:3], x1[3:], conj.cov1_km2, x2[:3], x2[3:], conj.cov2_km2, conj.hbr_km)
    slow = float(np.linalg.norm(x1[3:] - x2[3:])) < SLOW_ENCOUNTER_KM_S
    if method == "foster" or slow:
        from spacerange.conjunction.validity import check_2d

        pc = float(pc_foster(*args).pc)
        v = check_2d(x1, conj.cov1_km2, x2, conj.cov2_km2)
        why = ("slow encounter: 2-D Pc only (no plan is made for an association)" if slow
               else "2-D Pc requested (pc_method='foster')")  # fmt: skip
        flags = {"pc_2d": pc, "violations_2d": list(v.violations), "usage_2d": v.summary()}
        return {"pc": pc, "method": "foster-2d", "reason": why, "flags": flags}
    if method != "auto":
        raise ValueError(f"pc_method {method!r}: expected 'auto' or 'foster'")
    res = pc_auto(*args)
    return {"pc": float(res.pc), "method": res.method, "reason": res.flags["reason"],
            "flags": validity_flags(res.flags)}  # fmt: skip
