"""The competent autopilot's drills for the non-kinetic effects (issue 15), from what the
team observes only: its link-quality reports, its payload's saturation reports, the
proximity alerts of its picture and the answers to its own cross-checks.

* a degraded link (``link_quality`` alert, margin below 0) -> change frequency, report the
  interference; still degraded 30 min after the change -> switch the asset to another
  station it may use (own or allied);
* saturated frames (``payload_saturation``) -> avoid the area the saturated frames were
  imaging (200 km around their footprint) and report;
* an uncorrelated track close to an own asset -> cross-check it with the other sensors and
  allies; a track nobody confirms, reported by one feed -> isolate that feed, ask allies
  for data and report.

Like :mod:`spacerange.exercise.autopilot`, this imports nothing of the engine or world.
"""

from __future__ import annotations

from datetime import datetime

__all__ = ["EffectResponses", "AVOID_RADIUS_KM"]

#: radius of the area the payload stops imaging after saturation [km]
AVOID_RADIUS_KM = 200.0
#: a frequency change that did not clear the link after this is followed by a switch [s]
SWITCH_AFTER_S = 1800.0


def _dt(s: str) -> datetime:
    return datetime.fromisoformat(str(s).replace("Z", "+00:00"))


class EffectResponses:
    """Mixin of :class:`~spacerange.exercise.autopilot.CompetentAutopilot`."""

    def _effect_event(self, port, kind: str, payload: dict) -> bool:
        """Handle an effect cue; True when it is one (nothing else to do with it)."""
        if kind == "alert":
            k = payload.get("kind")
            if k == "link_quality":
                self._link_quality(port, payload)
                return True
            if k == "payload_saturation":
                self._saturation(port, payload)
                return True
            if k == "proximity":
                self._cross_check(port, payload)
        elif kind == "action_applied":
            a = payload.get("action") or {}
            if a.get("kind") == "countermeasure" and a.get("measure") == "cross_check":
                self._cross_check_result(port, payload)
                return True
        return False

    # ------------------------------------------------------------------ RF
    def _link_quality(self, port, a: dict) -> None:
        v = port.view()
        det = a.get("details") or {}
        own = {x["id"] for x in v.assets}
        assets = [o for o in a.get("objects", []) if o in own]
        if v.role != "blue" or not assets or det.get("state") != "degraded":
            return
        asset = assets[0]
        links = {k: d for k, d in det.items() if isinstance(d, dict) and "margin_db" in d}
        bad = {k: d for k, d in links.items() if d.get("in_contact") and d["margin_db"] < 0}
        if not bad:
            return
        now = _dt(v.clock_utc)
        changed = getattr(self, "_freq_changed", {})
        self._freq_changed = changed
        if asset not in changed:
            changed[asset] = now
            port.submit({"kind": "countermeasure", "measure": "frequency_change", "asset": asset,
                         "text": "EXERCISE. Link margin below zero: carrier moved."})  # fmt: skip
            worst = min(d["margin_db"] for d in bad.values())
            self._report(port, "interference", [asset],
                         f"{'/'.join(bad)} of {asset} degraded: C/(N+I) margin {worst} dB; "
                         "frequency changed.")  # fmt: skip
            self._notify(port, v, "interference", [asset], "link interference on our asset")
            return
        if (now - changed[asset]).total_seconds() < SWITCH_AFTER_S:
            return
        current = {d.get("station") for d in links.values()}
        spare = [s for s in det.get("stations_available") or [] if s not in current]
        if spare and self._once("switch", asset, spare[0]):
            port.submit({"kind": "countermeasure", "measure": "switch_link", "asset": asset,
                         "ground_station": spare[0],
                         "text": "EXERCISE. Interference persists: commanding through "
                                 f"{spare[0]}."})  # fmt: skip

    # ------------------------------------------------------------------ laser
    def _saturation(self, port, a: dict) -> None:
        v = port.view()
        det = a.get("details") or {}
        asset = det.get("asset")
        if v.role != "blue" or asset not in {x["id"] for x in v.assets}:
            return
        lat, lon = det.get("footprint_lat_deg"), det.get("footprint_lon_deg")
        if lat is None or lon is None or not self._once("avoid", asset, lat, lon):
            return
        port.submit({"kind": "countermeasure", "measure": "avoid_site", "asset": asset,
                     "lat_deg": lat, "lon_deg": lon, "radius_km": AVOID_RADIUS_KM,
                     "text": "EXERCISE. Imaging of the area re-planned outside its passes."})  # fmt: skip
        self._report(port, "dazzling", [asset],
                     f"{det.get('frames_saturated')} frames of {asset} saturated between "
                     f"{det.get('first_frame_utc')} and {det.get('last_frame_utc')} over "
                     f"{lat:.1f}N {lon:.1f}E.")  # fmt: skip

    # ------------------------------------------------------------------ cyber
    def _cross_check(self, port, a: dict) -> None:
        v = port.view()
        if v.role != "blue":
            return
        own = {x["id"] for x in v.assets}
        objs = [o for o in a.get("objects", []) if o not in own and "-UCT-" in o
                and self._once("xcheck", o)]  # fmt: skip
        if objs:
            port.submit({"kind": "countermeasure", "measure": "cross_check", "objects": objs,
                         "text": "EXERCISE. New track near our asset: cross-checking."})  # fmt: skip

    def _cross_check_result(self, port, payload: dict) -> None:
        v = port.view()
        res = []
        for ev in (payload.get("effects") or {}).get("world_events", []):
            res += (ev.get("details") or {}).get("results", [])
        false = [r for r in res if not r.get("confirmed")]
        feeds = sorted({s for r in false for s in r.get("reported_by", [])})
        for s in feeds:
            if self._once("isolate", s):
                port.submit({"kind": "countermeasure", "measure": "isolate_feed", "sensor": s,
                             "text": f"EXERCISE. Feed of {s} reports tracks no other source "
                                     "confirms: isolated."})  # fmt: skip
        if feeds and self._once("cyber-report"):
            objs = [r["object"] for r in false]
            self._report(port, "cyber", objs, f"tracks reported only by {', '.join(feeds)} "
                         "and confirmed by no other sensor or ally; feed isolated.")  # fmt: skip
            for ally in self._allies(v)[:2]:
                port.submit({"kind": "coordination", "to": ally,
                             "text": "EXERCISE. One of our sensor feeds is isolated: please "
                                     "send your tracks of objects near our assets."})  # fmt: skip
