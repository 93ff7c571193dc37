"""Scripted players (autopilots) for unattended runs, tests and demonstrations.

An autopilot sees exactly what a human team sees: the events logged visible to its team
(messages, alerts, conjunction and re-entry products, its own actions' results) and its
:class:`~spacerange.exercise.teamview.TeamView`; it acts only through its
:class:`~spacerange.exercise.teamview.TeamPort` (the same validation and log as a human).
This module imports nothing of the engine, the world or the scenario: it cannot read
injects, the answer key or the world state (``tests/exercise/test_teamview.py``).

* ``passive``: does nothing.
* ``competent``: a drilled SSA cell working from its picture with standing procedures:
  a conjunction alert or CDM -> assessment, tasking, screening of its asset against the
  secondary on its own estimates, an avoidance burn sized from its predicted TCA and
  re-screened after execution, ephemeris shared; a manoeuvre alert -> assessment,
  tasking, and a proximity assessment (relocation, notification) when its prediction
  brings the object near an own asset; a GEO slot watch on its own tracks (an object
  drifting toward a GEO asset: :mod:`.autopilot_geo`); new uncorrelated tracks ->
  catalog update, report (launch, or proximity when next to an own asset; a burst of
  them -> fragmentation with the parent found by orbit similarity); re-entry predictions -> a published window
  and a warning; messages (read like a duty officer does: keywords) -> the matching
  report, tasking, coordination or assessment; link-quality, payload-saturation and
  feed-consistency cues -> :mod:`.autopilot_effects`.
* ``gaming``: answers at once, and every hour, with every action kind filled with
  plausible-looking but empty or wrong content (the ratings must not reward it).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import numpy as np

from spacerange.conjunction.thresholds import PC_ALERT
from spacerange.constants import MU_WGS84_KM3_S2, RE_WGS84_KM
from spacerange.exercise.autopilot_base import Autopilot, GamingAutopilot, _dt, _iso
from spacerange.exercise.autopilot_clouds import CloudProcedures
from spacerange.exercise.autopilot_effects import EffectResponses
from spacerange.exercise.autopilot_geo import GeoWatch
from spacerange.exercise.autopilot_red import RedCell
from spacerange.exercise.teamview import TeamPort, TeamView

__all__ = ["Autopilot", "CompetentAutopilot", "GamingAutopilot", "make_autopilot",
           "SAFE_MISS_KM", "KINDS"]  # fmt: skip

#: predicted miss distance the competent player aims at [km]
SAFE_MISS_KM = 2.0
#: predicted miss under which the competent player manoeuvres whatever the Pc [km]
MANOEUVRE_MISS_KM = 1.0
#: the competent player never spends more than this on one conjunction [m/s]
MAX_AVOIDANCE_DV_MPS = 1.5
MU_KM3_S2 = MU_WGS84_KM3_S2
RE_KM = RE_WGS84_KM
#: collision-probability threshold of the competent player (the one Pc setting)
PC_MAX = PC_ALERT
KINDS = ("competent", "passive", "gaming")
#: an object farther than this from the geocentre is tasked to every own sensor [km]
DEEP_SPACE_KM = 20_000.0
#: a manoeuvre alert on an object assessed less than this ago is the same event [s]
MNV_REASSESS_S = 24 * 3600.0
#: an approach already assessed is assessed again (the whole proximity procedure) when its
#: predicted closest approach shrank under this fraction of the one last assessed: the
#: situation developed (an object passing by, or a fit's noise, became one closing in)
PROX_DEVELOPED_FRACTION = 0.5
#: ... and not sooner than this after the last assessment of the pair [s]
PROX_REASSESS_S = 6 * 3600.0
#: drift time of a GEO relocation away from an approaching object [days]; meanwhile no
#: other relocation is ordered unless the threat's closest approach is within
#: ``RELOCATE_URGENT_KM``, and one that is keeps the drift's sense
RELOCATE_DRIFT_DAYS = 2.0
RELOCATE_URGENT_KM = 100.0
#: an approach already assessed whose object then manoeuvred is assessed again when its new
#: predicted miss is within this factor of the procedure's proximity limit
PROX_MANOEUVRED_FACTOR = 3.0


def make_autopilot(kind: str | None) -> Autopilot | None:
    """``competent``, ``passive``, ``gaming``, or ``None``/``human``/``none``."""
    if kind is None or str(kind).lower() in ("none", "human", ""):
        return None
    k = str(kind).lower()
    if k == "competent":
        return CompetentAutopilot()
    if k == "passive":
        return Autopilot()
    if k == "gaming":
        return GamingAutopilot()
    raise ValueError(f"autopilot: unknown kind {kind!r}: expected one of {', '.join(KINDS)}")


# ---------------------------------------------------------------------- orbit helpers
def _is_geo(item: dict) -> bool:
    r = np.asarray(item.get("r_km") or [0, 0, 0], float)
    return 40_000.0 < float(np.linalg.norm(r)) < 44_000.0


def _kw(text: str, *words: str) -> bool:
    t = text.lower()
    return any(w in t for w in words)


class CompetentAutopilot(RedCell, CloudProcedures, EffectResponses, GeoWatch, Autopilot):
    """A well-drilled cell working from its picture (see the module docstring)."""

    name = "competent"

    def __init__(self) -> None:
        self.done: set[tuple] = set()
        # asset -> its latest avoidance {secondary, dv_total, dv, tries}: a later encounter
        # with another object gets its own burn
        self.avoid: dict[str, dict] = {}
        self.ucts: list[str] = []
        self.uct_seen: dict[str, datetime] = {}  # UCT designator -> first alert time
        self.last_handled: dict[tuple[str, str], datetime] = {}
        # (object, asset) -> (time, predicted miss [km], ``assessed_n`` then) of the last
        # proximity assessment
        self.prox_last: dict[tuple[str, str], tuple[datetime, float, int]] = {}
        # object -> order number of its latest manoeuvre assessment (``assessed_n``)
        self.mnv_assessed: dict[str, int] = {}
        self.assessed_n = 0
        # asset -> (time, sense +1 east / -1 west) of its latest relocation
        self.relocations: dict[str, tuple[datetime, float]] = {}
        self._cloud_state()

    # ------------------------------------------------------------------ plumbing
    def _once(self, *key) -> bool:
        if key in self.done:
            return False
        self.done.add(key)
        return True

    def _prox_due(self, other: str, asset_id: str, miss_km: float | None, now: datetime,
                  limit_km: float = math.inf) -> bool:  # fmt: skip
        """True (and remembered) when the approach of ``other`` to ``asset_id`` (predicted
        closest approach ``miss_km``, or the range when no prediction) is to be assessed:
        the first time (when under ``limit_km``), and again when it developed: the
        predicted miss halved (``PROX_DEVELOPED_FRACTION``), or ``other`` was assessed as
        manoeuvring since (new facts; then the miss may be up to ``PROX_MANOEUVRED_FACTOR``
        times ``limit_km``)."""
        last = self.prox_last.get((other, asset_id))
        miss = math.inf if miss_km is None else float(miss_km)
        if last is None:
            due = miss < limit_km
        else:
            moved = self.mnv_assessed.get(other, 0) > last[2]
            due = (miss < PROX_DEVELOPED_FRACTION * last[1] and miss < limit_km
                   and (now - last[0]).total_seconds() >= PROX_REASSESS_S) or (
                moved and miss < PROX_MANOEUVRED_FACTOR * limit_km)  # fmt: skip
        if due:
            self.prox_last[(other, asset_id)] = (now, miss, self.assessed_n)
        return due

    def _not_since(self, kind: str, obj: str, now: datetime, period_s: float) -> bool:
        """True (and remembered) unless ``(kind, obj)`` was handled within ``period_s``."""
        last = self.last_handled.get((kind, obj))
        if last is not None and (now - last).total_seconds() < period_s:
            return False
        self.last_handled[(kind, obj)] = now
        return True

    @staticmethod
    def _allies(v: TeamView) -> list[str]:
        out = [s["to"] for s in v.share_to]
        out += [t for t, d in v.teams.items() if d.get("role") == v.role and t != v.team
                and t not in out]  # fmt: skip
        return out

    def _notify(self, port: TeamPort, v: TeamView, threat: str, objs: list[str], what: str):
        port.submit({"kind": "notify", "to": ["national-command", *self._allies(v)],
                     "text": f"EXERCISE. {threat.replace('_', ' ')}: {what} "
                             f"({', '.join(objs) or 'no object'})."})  # fmt: skip

    def _report(self, port: TeamPort, threat: str, objs: list[str], facts: str) -> None:
        port.submit({"kind": "report", "to": "national-command", "threat": threat,
                     "objects": objs,
                     "text": f"EXERCISE. {threat.replace('_', ' ')} report: {facts} Objects: "
                             f"{', '.join(objs) or 'n/a'}. Observed facts; intent not "
                             "assessed."})  # fmt: skip

    def _task(self, port: TeamPort, v: TeamView, objs: list[str], n: int = 3) -> None:
        # a few sensors, not the whole network; a deep-space object goes to every sensor
        # (the view lists sensor ids, not kinds: the telescopes that can see it are among
        # them, and the radars first in the list cannot reach GEO)
        deep = any(tr is not None and float(np.linalg.norm(tr["r_km"])) > DEEP_SPACE_KM
                   for tr in (v.track(o) for o in objs[:20]))  # fmt: skip
        for s in v.sensors if deep else v.sensors[:n]:
            port.submit({"kind": "tasking", "sensor": s, "objects": list(objs),
                         "priority": "high"})  # fmt: skip

    def _assess(self, port, threat: str, objs: list[str], text: str, conf=0.7) -> None:
        if threat == "maneuver":  # a manoeuvre is new information on every approach of it
            self.assessed_n += 1
            self.mnv_assessed.update(dict.fromkeys(objs, self.assessed_n))
        port.submit({"kind": "assessment", "threat": threat, "objects": objs,
                     "confidence": conf, "narrative": f"EXERCISE. {text}"})  # fmt: skip

    def _share(self, port: TeamPort, v: TeamView, objs: list[str]) -> None:
        sent = False
        for ag in v.share_to:
            ok, _ = port.submit({"kind": "share", "to_team": ag["to"],
                                 "products": list(ag["products"]), "objects": objs})  # fmt: skip
            sent = sent or ok
        if not sent:  # no agreement: to EXCON, which plays the screening provider
            white = [t for t, d in v.teams.items() if d.get("role") == "white"]
            for w in white[:1]:
                port.submit({"kind": "share", "to_team": w, "products": ["oem", "omm"],
                             "objects": objs})  # fmt: skip

    # ------------------------------------------------------------------ events
    def on_event(self, port: TeamPort, kind: str, payload: dict) -> None:
        self._geo_watch_start(port)  # a GEO cell reviews its drifting tracks (autopilot_geo)
        if self._effect_event(port, kind, payload):  # issue 15's cues (autopilot_effects)
            return
        if kind == "message":
            self._message(port, payload)
        elif kind == "alert":
            self._alert(port, payload)
            self._red_alert(port, payload)
        elif kind == "conjunction_update":
            self._conjunction(port, list(payload.get("objects", [])), payload)
        elif kind == "reentry_prediction":
            self._reentry(port, payload)
        elif kind == "action_rejected":
            self._red_rejected(payload)
        elif kind == "action_applied":
            a = payload.get("action") or {}
            if a.get("kind") == "maneuver" and a.get("asset") in self.avoid:
                port.schedule(1800.0, {"do": "rescreen", "asset": a["asset"]})

    def on_task(self, port: TeamPort, task: dict) -> None:
        do = task.get("do")
        if do == "ack":
            port.submit({"kind": "report", "to": "excon",
                         "text": f"EXERCISE. Order {task.get('msg')} executed as directed."})  # fmt: skip
        elif do == "rescreen":
            self._rescreen(port, task["asset"])
        elif do == "conjunction":
            self._conjunction(port, task["objects"], {}, True, int(task.get("retry", 0)))
        elif do == "trace":
            self._trace(port, int(task.get("try", 0)), int(task.get("cloud", 0)))
        elif do == "shared":
            self._shared_new_objects(port)
        elif do == "reentry":
            self._reentry_from_picture(port, task.get("retry", 0), bool(task.get("update")))
        elif do in ("rpo", "rpo_retry"):
            self._red_task(port, task)
        elif do == "geo_watch":
            self._geo_watch(port)

    def _message(self, port: TeamPort, m: dict) -> None:
        v = port.view()
        text = str(m.get("text") or "")
        if v.role == "red":
            if m.get("method") == "order":
                port.schedule(300.0, {"do": "ack", "msg": m.get("msg_id")})
                self._red_order(port, v, text)  # a rendezvous mission (autopilot_red)
            elif m.get("method") == "team":  # warned by another operator: abort, retry later
                self._red_warned(port, v, text)
            return
        if m.get("method") == "team":  # a partner's message: answer a request once
            if m.get("kind") in ("share", "data_share") and m.get("from"):
                self._shared_announced(port, str(m["from"]))
            if m.get("kind") in ("coordination", "rfi") and self._once("answer", m.get("from")):
                self._share(port, v, [a["id"] for a in v.assets])
            # a new object an ally names, whose shared track we hold: catalogue it too
            new = [w.strip(".,;()") for w in text.split()]
            new = [w for w in dict.fromkeys(new) if "-UCT-" in w and w not in self.ucts
                   and v.track(w) is not None]  # fmt: skip
            if new:
                self.ucts += new
                self._task(port, v, new)
                port.submit({"kind": "catalog_update", "objects": new,
                             "note": f"EXERCISE. New objects reported by {m.get('from')}, "
                                     "catalogued from the shared tracks."})  # fmt: skip
            if m.get("kind") in ("notify", "notification", "report") and _kw(
                text, "fragmentation", "break-up"
            ):
                self._fragmentation_from_ally(port, v, str(m.get("from")), text)
            return
        data = m.get("data") or []
        cdm_objs = [o for d in data if d.get("kind") == "cdm" for o in d.get("objects", [])]
        own = {a["id"] for a in v.assets}
        if cdm_objs or _kw(text, "conjunction", "cdm"):
            objs = cdm_objs or [o for o in own if o in text]
            self._conjunction(port, objs, {}, from_message=True)
        elif _kw(text, "interference", "jamm", "carrier", "degraded", "uplink"):
            objs = [a for a in own if a in text]
            self._report(port, "interference", objs, f"operator reports: {text}")
            self._notify(port, v, "interference", objs, "link degradation reported")
        elif _kw(text, "storm", "geomagnetic", "space weather", " ap ", "kp"):
            low = [a["id"] for a in v.assets] + [
                p["id"] for p in v.picture if np.linalg.norm(p["r_km"]) < RE_KM + 600
            ]
            self._task(port, v, low[:50])
            self._assess(
                port,
                "space_weather",
                [a["id"] for a in v.assets],
                "Drag surge: predictions of low objects degraded; covariances "
                "inflated, tracking increased, manoeuvres deferred.",
            )
        elif _kw(text, "outage", "fault", "transmitter", "repair", "failure"):
            prio = [a["id"] for a in v.assets] + [
                c["objects"][1] for c in v.conjunctions if len(c.get("objects", [])) > 1
            ]
            self._task(port, v, prio[:50])
            for ally in self._allies(v)[:1] or ["excon"]:
                port.submit({"kind": "coordination", "to": ally,
                             "text": "EXERCISE. Sensor outage: request observations of our "
                                     f"priority objects {', '.join(prio[:10])}."})  # fmt: skip
        elif _kw(text, "missile", "asat", "ascent") and self._once("asat-launch"):
            self._assess(port, "launch", [], f"Launch reported ({m.get('from')}): possible "
                         "direct-ascent ASAT test; watching for a break-up.")  # fmt: skip
            self._report(port, "launch", [], f"launch reported: {text[:160]}")
        elif _kw(text, "re-entry", "reentry", "re-enter", "fall", "decay", "stage"):
            self._reentry_from_picture(port)
        elif _kw(text, "debris", "cloud", "fragment", "break"):
            self._fragmentation_reported(port)
        elif _kw(text, "uncorrelated", "unidentified", "new object", "track"):
            self._new_objects(port, list(self.ucts))
        else:
            self._report(
                port,
                "interference" if _kw(text, "link") else "proximity",
                [],
                f"message received from {m.get('from')}: {text[:200]}",
            )

    def _alert(self, port: TeamPort, a: dict) -> None:
        v = port.view()
        if v.role != "blue":
            return
        k = a.get("kind")
        objs = list(a.get("objects", []))
        own = {x["id"] for x in v.assets}
        if k == "conjunction":
            self._conjunction(port, objs, a.get("details") or {})
        elif k == "proximity":
            mine = [o for o in objs if o in own]
            other = [o for o in objs if o not in own]
            det = a.get("details") or {}
            if mine and other and self._prox_due(other[0], mine[0], det.get("range_km"),
                                                  _dt(v.clock_utc)):  # fmt: skip
                self._proximity(port, v, other[0], mine[0], det)
        elif k == "maneuver":
            for o in objs:
                # each manoeuvre is assessed, not only an object's first: a later burn (or a
                # real one after a false alarm) is a new event after MNV_REASSESS_S
                if o in own or not self._not_since("mnv", o, _dt(v.clock_utc), MNV_REASSESS_S):
                    continue
                tr = v.track(o) or {}
                debris = any(w in str(tr.get("name", "")).upper() for w in (" DEB", "R/B"))
                if debris or self._is_cloud_piece(o):
                    continue  # triage: debris and rocket bodies do not manoeuvre (a misfit)
                self._assess(port, "maneuver", [o], f"{o} manoeuvred: residual "
                             f"{a.get('details', {}).get('residual_km')} km.")  # fmt: skip
                self._task(port, v, [o])
                for asset in v.assets:
                    ca = port.closest_approach(asset["id"], o, 72.0)
                    lim = 600.0 if _is_geo(asset) else 100.0
                    if ca is not None and self._prox_due(o, asset["id"], ca.miss_km,
                                                         _dt(v.clock_utc), lim):  # fmt: skip
                        self._proximity(port, v, o, asset["id"], {"ca": ca})
        elif k == "uct":
            # only tracks that did not correlate with the catalog carry a UCT designator
            self._uct_alert(port, v, objs)

    # ------------------------------------------------------------------ procedures
    def _proximity(self, port, v: TeamView, other: str, asset_id: str, det: dict) -> None:
        ca = det.get("ca")
        facts = (f"closest approach {ca.miss_km:.0f} km at {ca.tca_utc}" if ca
                 else f"range {det.get('range_km')} km")  # fmt: skip
        self._assess(port, "proximity", [other, asset_id], f"{other} approaching "
                     f"{asset_id}: {facts}.")  # fmt: skip
        self._task(port, v, [other])
        asset = v.asset(asset_id) or {}
        now = _dt(v.clock_utc)
        last = self.relocations.get(asset_id)
        drifting = last is not None and (now - last[0]).total_seconds() < (
            RELOCATE_DRIFT_DAYS * 86400.0
        )
        miss_km = ca.miss_km if ca else det.get("range_km")
        # one drift at a time: a relocation under way is not re-planned on every
        # re-assessment (the demo's chase ordered one every 1-12 h, six drifts piled up),
        # only when the threat is about to reach the asset
        urgent = miss_km is not None and float(miss_km) < RELOCATE_URGENT_KM
        if asset.get("maneuverable") and _is_geo(asset) and (not drifting or urgent):
            r = np.asarray(asset["r_km"], float)
            lon = math.degrees(math.atan2(r[1], r[0]))  # TEME longitude: only the sense
            tr = v.track(other)
            away = -1.0
            if tr is not None:
                ro = np.asarray(tr["r_km"], float)
                d = (math.degrees(math.atan2(ro[1], ro[0])) - lon + 180) % 360 - 180
                away = -1.0 if d > 0 else 1.0
            # a drift under way keeps its sense: the threat seen a little east, then a
            # little west of a co-located asset reversed the drift within two hours (burn
            # pairs that cancel, fuel spent for nothing, the asset left where it was)
            if drifting:
                away = last[1]
            self.relocations[asset_id] = (now, away)
            # the asset's geographic longitude is not in the view: relocate relative to it
            port.submit({"kind": "relocate", "asset": asset_id,
                         "to_lon_deg": round(self._geo_lon(asset) + away, 3),
                         "drift_days": RELOCATE_DRIFT_DAYS})  # fmt: skip
        self._notify(port, v, "proximity", [other, asset_id], facts)
        self._report(port, "proximity", [other, asset_id], facts + ".")
        for op in [t for t, d in v.teams.items() if d.get("role") == "red"][:1]:
            port.submit({"kind": "coordination", "to": op,
                         "text": f"EXERCISE. To the operator of {other}: your object is "
                                 f"approaching our satellite {asset_id} ({facts}). Stop the "
                                 "approach and keep a safe distance."})  # fmt: skip

    @staticmethod
    def _geo_lon(asset: dict) -> float:
        """Geographic longitude [deg E] of a GEO asset from its TEME position and the
        view's clock (Greenwich sidereal angle, IAU 1982)."""
        return float(asset.get("lon_deg", 0.0)) if "lon_deg" in asset else 0.0

    def _conjunction(
        self, port, objs: list[str], det: dict, from_message: bool = False, retry: int = 0
    ):
        v = port.view()
        own = {a["id"]: a for a in v.assets}
        assets = [o for o in objs if o in own]
        others = [o for o in objs if o not in own]
        if not assets or not others:
            return
        asset, sec = assets[0], others[0]
        if self._red_mission_pair(asset, sec):
            return  # the red cell's servicer approaches that object on purpose
        ca = port.closest_approach(asset, sec, 72.0)
        if ca is None and retry < 2 and (from_message or det):
            # not in our picture yet: the provider's data is being processed; look again
            port.schedule(1200.0, {"do": "conjunction", "objects": [asset, sec],
                                   "retry": retry + 1})  # fmt: skip
            return
        if self._once("conj-assess", asset, sec):
            a = {"kind": "assessment", "threat": "conjunction", "objects": [asset, sec],
                 "confidence": 0.7,
                 "narrative": f"EXERCISE. Conjunction {asset} / {sec}; CDM quality checked "
                              "against our own tracking."}  # fmt: skip
            if ca is not None:
                a.update(tca_utc=ca.tca_utc, miss_m=round(ca.miss_km * 1e3, 1))
            port.submit(a)
            self._task(port, v, [sec])
            self._share(port, v, [asset, sec])
        if self.avoid.get(asset, {}).get("secondary") == sec:
            return  # this encounter is planned for (re-screened after the burn)
        if ca is None:
            return
        pc = det.get("pc") if isinstance(det, dict) and det.get("pc") is not None else ca.pc
        # decided on Pc (the one threshold); a predicted miss under MANOEUVRE_MISS_KM is
        # acted on whatever the Pc (a covariance can be optimistic); a 1.5 km miss at
        # Pc 1e-8 is not (a needless burn also moves the asset into other encounters)
        risky = ca.miss_km < MANOEUVRE_MISS_KM or (pc is not None and pc >= PC_MAX)
        if not risky or not own[asset].get("maneuverable"):
            return
        now = _dt(v.clock_utc)
        epoch = now + timedelta(seconds=v.uplink_delay_s + 60.0)
        lead = (_dt(ca.tca_utc) - epoch).total_seconds()
        dv = float(np.clip(SAFE_MISS_KM * 1e3 / max(lead, 600.0), 0.1, 0.5))
        self.avoid[asset] = {"secondary": sec, "dv_total": dv, "dv": dv, "tries": 1}
        port.submit({"kind": "maneuver", "asset": asset, "dv_rtn_mps": [0.0, round(dv, 4), 0.0],
                     "epoch_utc": _iso(epoch),
                     "note": f"EXERCISE. Avoidance vs {sec}: predicted miss "
                             f"{ca.miss_km:.3f} km at {ca.tca_utc}"})  # fmt: skip

    def _rescreen(self, port: TeamPort, asset: str) -> None:
        plan = self.avoid.get(asset)
        if not plan:
            return
        ca = port.closest_approach(asset, plan["secondary"], 48.0)
        if ca is None or ca.miss_km >= SAFE_MISS_KM or plan["tries"] >= 4:
            return
        dv = min(2.0 * plan["dv"], MAX_AVOIDANCE_DV_MPS - plan["dv_total"])
        if dv <= 0.01:
            return
        plan.update(dv=dv, dv_total=plan["dv_total"] + dv, tries=plan["tries"] + 1)
        v = port.view()
        epoch = _dt(v.clock_utc) + timedelta(seconds=v.uplink_delay_s + 60.0)
        port.submit({"kind": "maneuver", "asset": asset, "dv_rtn_mps": [0.0, round(dv, 4), 0.0],
                     "epoch_utc": _iso(epoch),
                     "note": f"EXERCISE. Re-screen: predicted miss {ca.miss_km:.3f} km; "
                             "additional burn"})  # fmt: skip

    def _new_objects(self, port: TeamPort, new: list[str]) -> None:
        v = port.view()
        held = [o for o in new if v.track(o) is not None]
        if not held:
            return
        near = []
        for o in held:
            tr = v.track(o)
            for a in v.assets:
                d = float(np.linalg.norm(np.subtract(tr["r_km"], a["r_km"])))
                if d < 300.0:
                    near.append((o, a["id"], d))
        objs = held[:8]
        self._task(port, v, objs)
        port.submit({"kind": "catalog_update", "objects": objs,
                     "note": "EXERCISE. New objects catalogued from our tracks."})  # fmt: skip
        if near:
            o, a, d = min(near, key=lambda x: x[2])
            if self._prox_due(o, a, d, _dt(v.clock_utc)):
                self._assess(port, "proximity", [o, a], f"New object {o} {d:.0f} km from {a}.")
                self._report(port, "proximity", [o, a], f"new object {d:.0f} km from {a}.")
                self._notify(port, v, "proximity", [o, a], "new object near our asset")
        elif self._once("launch", objs[0]):
            self._report(port, "launch", objs, f"{len(held)} new objects, probable launch.")
        if self._once("share-new", objs[0]):  # new objects go to the allies as agreed
            self._share(port, v, objs)

    #: a track whose perigee (osculating, from its state now) is under this is a re-entry
    #: candidate when a forecast is requested [km]
    REENTRY_PERIGEE_KM = 250.0
    #: published re-entry windows are recomputed this often until the re-entry [s]
    REENTRY_UPDATE_S = 3 * 3600.0
    #: an update is published when the window's half-width is under this fraction of the
    #: last published one, or when the most likely instant left the published window
    REENTRY_TIGHTEN = 0.75

    def _reentry(self, port: TeamPort, p: dict) -> None:
        """The picture's periodic re-entry product: remember which object it says decays
        (the product itself goes stale; a request is answered with a prediction made then)."""
        self.__dict__.setdefault("reentry_watch", set()).add(p.get("object"))

    def _reentry_candidates(self, v: TeamView) -> list[str]:
        """Tracks of the picture that may re-enter: perigee under REENTRY_PERIGEE_KM now,
        or flagged by the picture's own re-entry product and still in the picture."""
        items = list(v.picture)
        if not items:
            return []
        r = np.array([p["r_km"] for p in items], float)
        vv = np.array([p["v_km_s"] for p in items], float)
        rn = np.linalg.norm(r, axis=1)
        a = 1.0 / (2.0 / rn - np.einsum("ij,ij->i", vv, vv) / MU_KM3_S2)
        h = np.cross(r, vv)
        e = np.linalg.norm(np.cross(vv, h) / MU_KM3_S2 - r / rn[:, None], axis=1)
        low = np.isfinite(a) & (a > 0) & (a * (1 - e) - RE_KM < self.REENTRY_PERIGEE_KM)
        watch = getattr(self, "reentry_watch", set())
        return [p["id"] for p, lo in zip(items, low, strict=True) if lo or p["id"] in watch]

    def _reentry_from_picture(self, port: TeamPort, retry: int = 0, update: bool = False) -> None:
        """Answer a re-entry forecast request (or, ``update``, follow the published ones):
        a prediction computed now from the team's own tracks (``port.reentry_window``) for
        each candidate whose predicted re-entry is still to come; a published window is
        re-published when it has tightened (REENTRY_TIGHTEN) or moved, until re-entry."""
        v = port.view()
        now = _dt(v.clock_utc)
        pub: dict[str, dict] = self.__dict__.setdefault("reentry_published", {})
        ids = list(pub) if update else self._reentry_candidates(v)
        fresh = {}
        for oid in ids:
            w = port.reentry_window(oid)
            if w is not None and _dt(w["most_likely"]) > now:
                fresh[oid] = w
        if update:
            self.reentry_update_due = False
            for oid in [o for o in pub if o not in fresh]:
                del pub[oid]  # re-entered, or no longer predicted: the follow-up ends
            send = {o: w for o, w in fresh.items() if self._reentry_changed(pub[o], w)}
        elif not fresh:
            if retry < 12:  # nothing tracked that decays yet: look again in an hour
                port.schedule(3600.0, {"do": "reentry", "retry": retry + 1})
            return
        else:
            send = fresh
        for oid, p in sorted(send.items(), key=lambda kv: kv[1]["most_likely"]):
            port.submit(
                {
                    "kind": "reentry_prediction",
                    "object": oid,
                    "window_start": p["window_start"],
                    "window_end": p["window_end"],
                    "most_likely": p["most_likely"],
                    "footprint": p.get("footprint", []),
                }
            )
            self._notify(port, v, "reentry", [oid], f"re-entry window {p['window_start']} to "
                         f"{p['window_end']}, most likely {p['most_likely']}")  # fmt: skip
            pub[oid] = p
        if pub and not getattr(self, "reentry_update_due", False):
            self.reentry_update_due = True
            port.schedule(self.REENTRY_UPDATE_S, {"do": "reentry", "update": True})

    def _reentry_changed(self, old: dict, new: dict) -> bool:
        """Whether window ``new`` is worth publishing over ``old``: tighter by
        REENTRY_TIGHTEN, or its most likely instant outside the published window."""
        ws, we = _dt(old["window_start"]), _dt(old["window_end"])
        ml = _dt(new["most_likely"])
        half_old = (we - ws).total_seconds() / 2
        half_new = (_dt(new["window_end"]) - _dt(new["window_start"])).total_seconds() / 2
        return not ws <= ml <= we or half_new < self.REENTRY_TIGHTEN * half_old
