"""Operator boards derived from a team's own view (never from truth): one row per
conjunction event with its Pc trend, one row per submitted action with its outcome, and the
team's own sensor sites with their coverage.  Everything here reads only what the team
view already holds (its CDMs, conjunction updates, actions, assets) or public site data,
so a board can never show a team more than its view does."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from spacerange.constants import RE_WGS84_KM
from spacerange.timescales import parse_utc, to_datetime

__all__ = ["action_log", "conjunction_board", "sensor_sites", "coverage_radius_km"]

#: Two updates of one pair whose TCAs differ by less than this are one event (successive
#: CDMs of one close approach move the TCA by seconds; the next approach of the same pair
#: is at least half an orbit, ~45 min in LEO, away).
SAME_EVENT_S = 20 * 60.0
#: Reference altitude of the drawn sensor coverage (a LEO target).
COVERAGE_ALT_KM = 800.0


def _t(s: Any) -> datetime | None:
    """An ISO instant as an aware datetime, or None when absent or not a time (the one
    parser, :func:`spacerange.timescales.parse_utc`)."""
    if not isinstance(s, str) or not s:
        return None
    try:
        return to_datetime(parse_utc(s))
    except (ValueError, TypeError):
        return None


def _iso_s(d: datetime | None) -> str | None:
    """UTC to the second: ``2026-03-04T16:30:00Z``."""
    if d is None:
        return None
    return d.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _num(x: Any) -> float | None:
    if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x):
        return None
    return float(x)


def _updates(view: dict) -> list[dict]:
    """Every screening update the team holds, as ``{t, o1, o2, tca, miss_m, pc, pc_note}``:
    its CDMs (``object1``/``object2``) and its conjunction updates (``objects``), one entry
    per (time, pair, TCA) even when both products report it."""
    seen: set[tuple] = set()
    out: list[dict] = []

    def add(t, o1, o2, tca, miss, pc, note, rel) -> None:
        if not (isinstance(o1, str) and isinstance(o2, str)) or t is None or tca is None:
            return
        key = (t, frozenset((o1, o2)), tca)
        if key in seen:
            return
        seen.add(key)
        out.append({"t": t, "o1": o1, "o2": o2, "tca": tca, "miss_m": _num(miss),
                    "pc": _num(pc), "pc_note": note if isinstance(note, str) else None,
                    "rel_speed_km_s": _num(rel)})  # fmt: skip

    for c in view.get("cdms") or []:
        if isinstance(c, dict):
            add(_t(c.get("creation_utc") or c.get("sim_time_utc")), c.get("object1"),
                c.get("object2"), _t(c.get("tca_utc")), c.get("miss_m"), c.get("pc"),
                c.get("pc_note"), c.get("rel_speed_km_s"))  # fmt: skip
    for c in view.get("conjunctions") or []:
        if isinstance(c, dict) and isinstance(c.get("objects"), list) and len(c["objects"]) >= 2:
            add(_t(c.get("sim_time_utc")), c["objects"][0], c["objects"][1],
                _t(c.get("tca_utc")), c.get("miss_m"), c.get("pc"), c.get("pc_note"),
                c.get("rel_speed_km_s"))  # fmt: skip
    out.sort(key=lambda u: u["t"])
    return out


def _risk_key(row: dict) -> tuple:
    """Open events first; then highest Pc, events without a Pc after those with one
    (ordered by miss distance); then the nearest TCA."""
    pc = row["pc"]
    miss = row["miss_m"]
    return (row["passed"], pc is None, -(pc or 0.0), miss if miss is not None else math.inf,
            row["tca_utc"])  # fmt: skip


def conjunction_board(view: dict, now_utc: str | None) -> list[dict]:
    """One row per conjunction event of the team's screening, sorted by risk.

    A row: ``object1``, ``object2`` (own asset first when one of them is), ``tca_utc``
    (latest estimate), ``miss_m``, ``pc``, ``pc_note``, ``tca_in_s`` (negative once
    passed), ``passed``, ``updates`` (count), ``last_update_utc`` and ``trend`` (every
    update's ``t_utc``, ``pc``, ``miss_m``, oldest first) and ``pc_change`` (latest Pc
    over the previous one, ``None`` without two Pcs)."""
    own = {a.get("id") for a in view.get("assets") or [] if isinstance(a, dict)}
    now = _t(now_utc) or _t(view.get("clock_utc"))
    events: list[dict] = []
    for u in _updates(view):
        pair = frozenset((u["o1"], u["o2"]))
        ev = next((e for e in events if e["pair"] == pair
                   and abs((e["tca"] - u["tca"]).total_seconds()) < SAME_EVENT_S), None)  # fmt: skip
        if ev is None:
            o1, o2 = (u["o2"], u["o1"]) if u["o2"] in own and u["o1"] not in own else (
                u["o1"], u["o2"])  # fmt: skip
            ev = {"pair": pair, "object1": o1, "object2": o2, "updates": []}
            events.append(ev)
        ev["updates"].append(u)
        ev["tca"] = u["tca"]  # the latest estimate
    rows = []
    for ev in events:
        last = ev["updates"][-1]
        pcs = [u["pc"] for u in ev["updates"] if u["pc"] is not None]
        tca_in = (ev["tca"] - now).total_seconds() if now is not None else None
        rows.append({
            "object1": ev["object1"], "object2": ev["object2"], "tca_utc": _iso_s(ev["tca"]),
            "miss_m": last["miss_m"], "pc": last["pc"], "pc_note": last["pc_note"],
            "rel_speed_km_s": last["rel_speed_km_s"],
            "tca_in_s": None if tca_in is None else round(tca_in),
            "passed": bool(tca_in is not None and tca_in < 0),
            "updates": len(ev["updates"]), "last_update_utc": _iso_s(last["t"]),
            "pc_change": pcs[-1] / pcs[-2] if len(pcs) >= 2 and pcs[-2] > 0 else None,
            "trend": [{"t_utc": _iso_s(u["t"]), "pc": u["pc"], "miss_m": u["miss_m"]}
                      for u in ev["updates"]],
        })  # fmt: skip
    rows.sort(key=_risk_key)
    return rows


def _subject(a: dict) -> str:
    """What an action is about, in a few words (no empty fields, no JSON)."""
    bits = []
    for k in ("asset", "sensor", "object", "to_team", "threat", "measure"):
        v = a.get(k)
        if isinstance(v, str) and v:
            bits.append(v)
    for k in ("objects", "to", "products"):
        v = a.get(k)
        if isinstance(v, str) and v:
            bits.append(v)
        elif isinstance(v, list) and v:
            bits.append(", ".join(str(x) for x in v[:6]) + (" ..." if len(v) > 6 else ""))
    dv = a.get("dv_rtn_mps")
    if isinstance(dv, list) and len(dv) == 3 and all(_num(x) is not None for x in dv):
        bits.append(f"dV RTN [{', '.join(f'{float(x):g}' for x in dv)}] m/s")
    if isinstance(a.get("epoch_utc"), str):
        at = _iso_s(_t(a["epoch_utc"]))
        bits.append("at " + (at.replace("T", " ") if at else a["epoch_utc"]))
    if _num(a.get("to_lon_deg")) is not None:
        bits.append(f"to {float(a['to_lon_deg']):g} deg")
    return " | ".join(bits)


#: how a world effect's numbers read to an operator: key -> (label, unit, format).  The
#: world reports the burn as ``dv_mps`` (this burn) and ``dv_used_mps`` (the asset's total
#: so far); any other plain number is shown under its own key.
_EFFECT_LABELS = {
    "dv_mps": ("dV", "m/s", ".2f"), "dv_used_mps": ("dV used so far", "m/s", ".2f"),
    "dv_left_mps": ("dV left", "m/s", ".2f"), "drift_days": ("drift", "days", ".1f"),
    "to_lon_deg": ("to", "deg", ".2f"), "miss_m": ("miss", "m", ".0f"), "pc": ("Pc", "", ".1e"),
}  # fmt: skip
_EFFECT_SKIP = ("residual", "dv_rtn_mps", "epoch_utc", "why")


def _effects_text(effects: Any) -> str:
    """A world effect list as short text: ``maneuver ARD-EO-1: dV 0.30 m/s, dV used so far
    0.30 m/s``."""
    if not isinstance(effects, dict):
        return ""
    out = []
    for e in effects.get("world_events") or []:
        if not isinstance(e, dict):
            continue
        det = e.get("details") if isinstance(e.get("details"), dict) else {}
        nums = []
        for k, v in det.items():
            if _num(v) is None or any(x in k for x in _EFFECT_SKIP):
                continue
            label, unit, fmt = _EFFECT_LABELS.get(k, (k.replace("_", " "), "", "g"))
            nums.append(f"{label} {float(v):{fmt}}{' ' + unit if unit else ''}")
        objs = ", ".join(str(o) for o in (e.get("objects") or [])[:3])
        head = " ".join(x for x in (str(e.get("type") or "effect"), objs) if x)
        out.append(head + (": " + ", ".join(nums[:4]) if nums else ""))
    return "; ".join(out)


def action_log(view: dict, board: list[dict] | None = None) -> list[dict]:
    """One row per action the team submitted, newest first: ``seq``, ``submitted_utc``,
    ``kind``, ``subject``, ``status`` (pending, applied, rejected, cancelled), ``outcome``
    (the world's effects or the errors) and, for an applied burn, ``screening_after``: the
    first update of the team's own screening after the burn for each event of that asset
    (``object2``, ``t_utc``, ``miss_m``, ``pc``; ``cleared`` when the team screened since
    the burn without that pair), or nothing while none came yet."""
    rows: dict[int, dict] = {}
    orphans: list[dict] = []
    for e in view.get("actions") or []:
        if not isinstance(e, dict):
            continue
        kind = e.get("kind")
        act = e.get("action") if isinstance(e.get("action"), dict) else {}
        if kind == "action_submitted" and isinstance(e.get("seq"), int):
            rows[e["seq"]] = {"seq": e["seq"], "submitted_utc": _iso_s(_t(e.get("sim_time_utc"))),
                              "kind": str(act.get("kind") or "?"), "subject": _subject(act),
                              "user": e.get("user"), "status": "pending", "outcome": "",
                              "outcome_utc": None}  # fmt: skip
            continue
        ref = e.get("submitted_seq")
        row = rows.get(ref) if isinstance(ref, int) else None
        if row is None:
            orphans.append(e)
            continue
        row["status"] = str(kind or "").replace("action_", "") or row["status"]
        row["outcome_utc"] = _iso_s(_t(e.get("sim_time_utc")))
        if kind == "action_rejected":
            row["outcome"] = "; ".join(str(x) for x in e.get("errors") or [])
        elif kind == "action_applied":
            row["outcome"] = _effects_text(e.get("effects"))
        elif kind == "action_cancelled":
            row["outcome"] = "cancelled before execution"
    # an instantaneous action is applied at once: nothing stays pending but burns/relocations
    board = board if board is not None else []
    # the team's latest screening: the newest update of any conjunction it holds
    screens = [_t(u.get("t_utc")) for ev in board for u in ev.get("trend") or []]
    screens += [_t(c.get("sim_time_utc")) for c in view.get("conjunctions") or []
                if isinstance(c, dict)]  # fmt: skip
    last_screen = max((x for x in screens if x is not None), default=None)
    for row in rows.values():
        if row["kind"] == "maneuver" and row["status"] == "applied" and row["outcome_utc"]:
            asset = row["subject"].split(" | ")[0]
            after = []
            t_burn = _t(row["outcome_utc"])
            for ev in board:
                if asset not in (ev["object1"], ev["object2"]):
                    continue
                other = ev["object2"] if ev["object1"] == asset else ev["object1"]
                nxt = next((u for u in ev["trend"] if (_t(u["t_utc"]) or t_burn) > t_burn), None)
                if nxt is not None:
                    after.append({"object2": other, **nxt})
                elif last_screen is not None and t_burn is not None and last_screen > t_burn:
                    # screened since the burn without this pair: it left the screening volume
                    after.append({"object2": other, "t_utc": _iso_s(last_screen), "miss_m": None,
                                  "pc": None, "cleared": True})  # fmt: skip
            row["screening_after"] = after
    return sorted(rows.values(), key=lambda r: -r["seq"])


# ------------------------------------------------------------------------ sensors
@lru_cache(maxsize=1)
def _bundled() -> dict[str, dict]:
    from spacerange.sensors.sites import bundled_entries

    try:
        return {str(e["id"]).upper(): e for e in bundled_entries() if isinstance(e, dict)}
    except (FileNotFoundError, OSError, KeyError, ValueError):
        return {}


def coverage_radius_km(min_elevation_deg: float, max_range_km: float | None,
                       alt_km: float = COVERAGE_ALT_KM) -> float:  # fmt: skip
    """Ground radius (km, along the surface of a spherical Earth) within which a target at
    ``alt_km`` is above ``min_elevation_deg`` and within ``max_range_km`` of the site.

    Horizon: central angle ``lam = acos(Re cos(el) / (Re + h)) - el``; range limit: the
    law of cosines in the Earth-centre/site/target triangle."""
    re_km, r_km = RE_WGS84_KM, RE_WGS84_KM + alt_km
    el = math.radians(max(0.0, min(90.0, min_elevation_deg)))
    lam = math.acos(re_km * math.cos(el) / r_km) - el
    if max_range_km is not None and max_range_km > 0:
        if max_range_km <= alt_km:
            return 0.0
        c = (re_km**2 + r_km**2 - max_range_km**2) / (2 * re_km * r_km)
        lam = min(lam, math.acos(max(-1.0, min(1.0, c))))
    return re_km * max(0.0, lam)


def sensor_sites(scenario: Any, team_id: str) -> list[dict]:
    """The sites of the sensors of the actors ``team_id`` plays: ``id``, ``name``,
    ``kind``, ``lat_deg``, ``lon_deg``, ``alt_m``, ``min_elevation_deg``, ``max_range_km``,
    ``coverage_radius_km`` (for a target at ``COVERAGE_ALT_KM``), ``coverage_alt_km``;
    ``location: null`` for a site of a network this server does not bundle."""
    try:
        team = scenario.team(team_id)
    except (KeyError, ValueError, AttributeError):
        return []
    out = []
    for actor in getattr(scenario, "actors", None) or []:
        if actor.id not in team.plays:
            continue
        for s in actor.sensors:
            entry: dict | None
            if hasattr(s, "ref"):
                network, _, site = s.ref.partition(":")
                entry = _bundled().get(site.upper()) if network == "default" else None
            else:
                entry = s.model_dump()
            item: dict = {"id": s.sensor_id}
            if entry is None:
                item["location"] = None
                out.append(item)
                continue
            min_el = float(entry.get("min_elevation_deg") or 0.0)
            max_rng = _num(entry.get("max_range_km"))
            item.update({
                "name": entry.get("name") or s.sensor_id, "kind": entry.get("kind"),
                "lat_deg": float(entry["lat_deg"]), "lon_deg": float(entry["lon_deg"]),
                "alt_m": float(entry.get("alt_m") or 0.0), "min_elevation_deg": min_el,
                "max_range_km": max_rng,
                "coverage_radius_km": round(coverage_radius_km(min_el, max_rng), 1),
                "coverage_alt_km": COVERAGE_ALT_KM,
            })  # fmt: skip
            out.append(item)
    return out
