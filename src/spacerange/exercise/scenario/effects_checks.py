"""Cross-checks of the non-kinetic effect injects (:mod:`.effects`), with the paths the
validator turns into file lines: the target is an asset, its actor has a ground station
for an RF link effect, the named sensors exist, a satellite jammer is an asset."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def check_effect_action(ctx, path: tuple, act: dict, assets: dict[str, dict],
                        sensors: dict, asset_of: Callable[[str, str], Any],
                        known_object: Callable[[str], bool]) -> None:  # fmt: skip
    """Errors of one ``rf_interference`` / ``laser_dazzle`` / ``cyber_ground`` action."""
    kind = act.get("kind")
    if kind in ("rf_interference", "laser_dazzle"):
        target = asset_of("target", "")
        serving = [g for g in target.get("ground_stations") or [] if isinstance(g, dict)
                   and (not g.get("assets") or act.get("target") in g["assets"])
                   ] if target is not None else []  # fmt: skip
        if kind == "rf_interference" and target is not None and not serving:
            ctx.err((*path, "target"), f"{act.get('target')!r} is served by none of its actor's "
                    "ground_stations: an RF link effect needs the station the asset is "
                    "commanded through")  # fmt: skip
        if kind == "rf_interference" and isinstance(act.get("asset"), str):
            if act["asset"] == act.get("target"):
                ctx.err((*path, "asset"), "the jammer cannot be the target itself")
            asset_of("asset", "")
    elif kind == "cyber_ground":
        sens = act.get("sensors") if isinstance(act.get("sensors"), list) else []
        for i, sid in enumerate(sens):
            if isinstance(sid, str) and sid not in sensors:
                ctx.err((*path, "sensors", i), f"unknown sensor {sid!r}")
        deny = act.get("deny_commands") if isinstance(act.get("deny_commands"), list) else []
        for i, aid in enumerate(deny):
            if isinstance(aid, str) and aid not in assets:
                what = "not an asset of any actor" if known_object(aid) else "unknown asset"
                ctx.err((*path, "deny_commands", i), f"{aid!r}: {what}")
        if isinstance(act.get("spoof_near"), str):
            asset_of("spoof_near", "")
