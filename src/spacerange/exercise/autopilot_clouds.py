"""Debris clouds and new objects as a drilled SSA cell handles them from its own picture
(a mixin of :class:`~spacerange.exercise.autopilot.CompetentAutopilot`).

* **Uncorrelated tracks** (``uct`` alerts, the team's own designators) are sorted by orbit
  plane: a track within :data:`CLOUD_PLANE_DEG` of a characterized cloud's median plane
  is one of its pieces; the others are new objects (a launch, a release) until enough of
  them share one plane within :data:`BURST_WINDOW_S`: a burst, i.e. a new fragmentation.
  Each break-up is handled once (assessment with its parent, re-screening, report,
  catalogue and trace-back), however many a run has (a collision, then an ASAT test); the
  planes of one break-up (a collision's two objects, its fastest pieces) are bursts within
  :data:`SAME_EVENT_S` of each other, their pieces catalogued under the first.
* **Parent**: the engine's ``propose_parent`` on the team's fitted tracks
  (:mod:`~spacerange.exercise.cloudtrace`); with too few pieces, the catalogued orbit
  closest to the cloud's plane whose radii span the pieces' (all pieces and the parent
  pass through the break-up point).
* **Allies' reports**: a cloud is notified to the allies; an ally's notification of a
  break-up the team has not characterized is assessed from it (its parent candidates).
* **Allies' new objects**: a share announcement schedules a look at the picture once the
  products can have arrived; uncorrelated tracks under an ally's designator that the team
  has not catalogued are catalogued from the shared tracks.
* **Triage**: a manoeuvre alert on a piece of a known cloud is a misfit, not a burn.

Like the rest of the autopilot this module sees only the team's view and port.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from spacerange.constants import MU_WGS84_KM3_S2
from spacerange.exercise.autopilot_base import _dt, _elements, _iso
from spacerange.exercise.cloudtrace import propose_parents, trace_back
from spacerange.exercise.teamview import TeamPort, TeamView

__all__ = ["Cloud", "CloudProcedures", "BURST_MIN", "CLOUD_PLANE_DEG"]

#: uncorrelated tracks in one plane within BURST_WINDOW_S that make a fragmentation
BURST_MIN = 10
#: the same once a missile or ASAT launch has been reported (the cell expects a break-up)
BURST_MIN_WARNED = 5
BURST_WINDOW_S = 6 * 3600.0
#: bursts first seen this close in time are one break-up seen in several planes [s]
SAME_EVENT_S = 2 * BURST_WINDOW_S
#: a track within this angle of a cloud's median plane is one of its pieces [deg]
CLOUD_PLANE_DEG = 5.0
#: breakup trace-back: tries after the cloud is detected [s], and the search window [s]
TRACE_AFTER_S = (2 * 3600.0, 3 * 3600.0, 4 * 3600.0)
TRACE_WINDOW_S = 12 * 3600.0
#: fragments the parent search and trace-back use at most (the first seen)
TRACE_MAX_FRAGMENTS = 50
#: objects per catalog update (the action schema bounds a list at 500)
CATALOG_CHUNK = 400
#: after an ally's share announcement, when its products have arrived [s]
SHARED_LOOK_AFTER_S = 2.5 * 3600.0


@dataclass
class Cloud:
    """A debris cloud the team characterized: first piece seen (UTC), the unit normal of
    its median orbit plane (TEME), its pieces (team designators, first seen first)."""

    first_utc: datetime
    normal: np.ndarray
    ids: list[str]
    catalogued: set[str] = field(default_factory=set)
    frags: dict = field(default_factory=dict)
    cat: dict = field(default_factory=dict)


def _catalog(port: TeamPort, ids: list[str], note: str) -> None:
    """Catalog updates of ``ids`` in chunks the action schema accepts."""
    for k in range(0, len(ids), CATALOG_CHUNK):
        port.submit({"kind": "catalog_update", "objects": ids[k : k + CATALOG_CHUNK],
                     "note": note})  # fmt: skip


def _unit_normal(tr: dict | None) -> np.ndarray | None:
    if tr is None:
        return None
    h = np.cross(np.asarray(tr["r_km"], float), np.asarray(tr["v_km_s"], float))
    n = float(np.linalg.norm(h))
    return h / n if n > 0 else None


def _angle_deg(normals: np.ndarray, n: np.ndarray) -> np.ndarray:
    return np.degrees(np.arccos(np.clip(normals @ n, -1.0, 1.0)))


def _radii(r_km: np.ndarray, v_km_s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Semi-major axis, perigee and apogee radii [km] of TEME states (rows)."""
    rn = np.linalg.norm(r_km, axis=-1)
    a = 1.0 / (2.0 / rn - np.einsum("ij,ij->i", v_km_s, v_km_s) / MU_WGS84_KM3_S2)
    h = np.cross(r_km, v_km_s)
    e_vec = np.cross(v_km_s, h) / MU_WGS84_KM3_S2 - r_km / rn[:, None]
    e = np.linalg.norm(e_vec, axis=-1)
    return a, a * (1 - e), a * (1 + e)


class CloudProcedures:
    """Mixin: uncorrelated tracks, clouds and allies' new objects (module docstring).

    The autopilot provides ``_assess``, ``_report``, ``_notify``, ``_task``,
    ``_new_objects`` and ``_not_since``."""

    # state (set by the autopilot's constructor)
    done: set[tuple]
    ucts: list[str]
    uct_seen: dict[str, datetime]

    def _cloud_state(self) -> None:
        self.clouds: list[Cloud] = []
        self.uct_normal: dict[str, np.ndarray] = {}
        self.shared_catalogued: set[str] = set()

    # ------------------------------------------------------------------ sorting tracks
    def _normal_of(self, v: TeamView, oid: str) -> np.ndarray | None:
        if oid not in self.uct_normal:
            n = _unit_normal(v.track(oid))
            if n is None:
                return None
            self.uct_normal[oid] = n
        return self.uct_normal[oid]

    def _cloud_of(self, v: TeamView, oid: str) -> Cloud | None:
        """The known cloud whose plane track ``oid`` flies in (``None``: none)."""
        n = self._normal_of(v, oid)
        if n is None or not self.clouds:
            return None
        ang = _angle_deg(np.array([c.normal for c in self.clouds]), n)
        k = int(np.argmin(ang))
        return self.clouds[k] if ang[k] < CLOUD_PLANE_DEG else None

    def _is_cloud_piece(self, oid: str) -> bool:
        """Whether ``oid`` is a piece of a known cloud (its designator was sorted there)."""
        return any(oid in c.ids for c in self.clouds)

    def _burst(self, v: TeamView, now: datetime) -> list[str]:
        """The largest group of loose uncorrelated tracks of the last BURST_WINDOW_S that
        fly within CLOUD_PLANE_DEG of one plane."""
        placed = {o for c in self.clouds for o in c.ids}
        recent = [o for o, t in self.uct_seen.items()
                  if (now - t).total_seconds() <= BURST_WINDOW_S and o not in placed]  # fmt: skip
        ids = [o for o in recent if self._normal_of(v, o) is not None]
        if not ids:
            return []
        nrm = np.array([self.uct_normal[o] for o in ids])
        near = _angle_deg(nrm, nrm.T) < CLOUD_PLANE_DEG  # pairwise: (n, n)
        k = int(np.argmax(near.sum(axis=1)))
        return [o for o, m in zip(ids, near[k], strict=True) if m]

    def _uct_alert(self, port: TeamPort, v: TeamView, objs: list[str]) -> None:
        """New uncorrelated tracks: pieces of a known cloud, a new cloud, or new objects."""
        new = [o for o in objs if "-UCT-" in o and o not in self.uct_seen]
        if not new:
            return
        self.ucts += new
        now = _dt(v.clock_utc)
        self.uct_seen.update((o, now) for o in new)
        loose = []
        for o in new:
            c = self._cloud_of(v, o)
            if c is not None:
                c.ids.append(o)
            else:
                loose.append(o)
        group = self._burst(v, now)
        warned = ("asat-launch",) in self.done
        if len(group) >= (BURST_MIN_WARNED if warned else BURST_MIN):
            self._fragmentation(port, v, group)
            loose = [o for o in loose if o not in group]
        if loose:
            self._new_objects(port, loose)

    # ------------------------------------------------------------------ a new cloud
    def _fragmentation(self, port: TeamPort, v: TeamView, group: list[str]) -> None:
        """Characterize a new cloud (the burst ``group``): assess it with its parent,
        re-screen the own assets, report, catalogue its pieces and trace it back."""
        nrm = np.array([self.uct_normal[o] for o in group])
        normal = np.median(nrm, axis=0)
        normal /= np.linalg.norm(normal)
        cloud = Cloud(min(self.uct_seen[o] for o in group), normal, list(group))
        same = [c for c in self.clouds
                if abs((cloud.first_utc - c.first_utc).total_seconds()) < SAME_EVENT_S]  # fmt: skip
        self.clouds.append(cloud)
        k = len(self.clouds) - 1
        if same:  # another plane of a break-up already assessed (a collision's second
            # object, its fastest pieces): its pieces, not a new event
            self._catalogue_cloud(port, v, cloud)
            return
        tracks = [v.track(o) for o in group]
        el = np.array([_elements(np.asarray(c["r_km"]), np.asarray(c["v_km_s"])) for c in tracks])
        med = np.median(el, axis=0)
        ranked = self._parents(v, cloud)
        # the candidates whose orbits pass through the pinch (two for a collision)
        parent = ranked[:2] if ranked else [p for p in [self._coplanar_parent(v, cloud)] if p]
        self._assess(port, "fragmentation", parent, f"Burst of {len(group)} uncorrelated "
                     f"tracks at a = {med[0]:.0f} km, i = {med[1]:.1f} deg; parent "
                     f"{' or '.join(parent) or 'unknown'}.")  # fmt: skip
        mine = [a["id"] for a in v.assets]
        self._assess(port, "conjunction", mine, "Own assets re-screened against the cloud.")
        what = f"break-up of {' or '.join(parent) or 'an unidentified object'}"
        self._report(port, "fragmentation", parent, what + ".")
        self._notify(port, v, "fragmentation", parent, f"{what}, {len(group)} new tracks")
        self._catalogue_cloud(port, v, cloud)
        # trace the cloud back once more passes have catalogued more of it
        port.schedule(TRACE_AFTER_S[0], {"do": "trace", "try": 0, "cloud": k})

    def _fragmentation_reported(self, port: TeamPort) -> None:
        """A message reports debris: characterize the loose tracks of the last hours if
        they are not already a cloud (a few suffice once someone has seen the cloud)."""
        v = port.view()
        now = _dt(v.clock_utc)
        if any((now - c.first_utc).total_seconds() < 2 * BURST_WINDOW_S for c in self.clouds):
            return
        group = self._burst(v, now)
        if len(group) >= 3:
            self._fragmentation(port, v, group)

    def _fragmentation_from_ally(self, port: TeamPort, v: TeamView, frm: str, text: str):
        """An ally notifies a break-up we have not characterized ourselves in the last
        hours: assess it from the ally's report (the parent candidates it names that we
        hold, read from the parenthesis that ends its notification) and task our sensors."""
        now = _dt(v.clock_utc)
        if any((now - c.first_utc).total_seconds() < 2 * BURST_WINDOW_S for c in self.clouds):
            return
        if not self._not_since("ally-frag", "", now, 2 * BURST_WINDOW_S):
            return
        named = text.rsplit("(", 1)[-1].split(")")[0].split(", ") if "(" in text else []
        parent = [w for w in named if "-UCT-" not in w and v.track(w) is not None][:2]
        self._assess(port, "fragmentation", parent, f"{frm} reports a break-up (parent "
                     f"{' or '.join(parent) or 'not named'}); our sensors search for the "
                     "pieces.", conf=0.5)  # fmt: skip
        if parent:
            self._task(port, v, parent)

    def _catalogue_cloud(self, port: TeamPort, v: TeamView, cloud: Cloud) -> None:
        """Catalogue the cloud's pieces the team tracks and has not catalogued yet."""
        new = [o for o in cloud.ids if o not in cloud.catalogued and v.track(o) is not None]
        if new:
            cloud.catalogued |= set(new)
            _catalog(port, new, f"EXERCISE. {len(new)} fragments catalogued from our tracks.")

    # ------------------------------------------------------------------ its parent
    def _parents(self, v: TeamView, cloud: Cloud) -> list[str]:
        """The cloud's parent candidates ranked by the engine's ``propose_parent`` on the
        team's own tracks (see :mod:`~spacerange.exercise.cloudtrace`)."""
        # the first pieces seen: the engine's parent-free pinch (propose_parent) found no
        # parent with all 240 tracks of the training break-up and finds it with the first 34
        ids = [o for o in cloud.ids if v.track(o) is not None][:TRACE_MAX_FRAGMENTS]
        ranked, cloud.frags, cloud.cat = propose_parents(v, ids, cloud.first_utc,
                                                         TRACE_WINDOW_S)  # fmt: skip
        return ranked

    def _coplanar_parent(self, v: TeamView, cloud: Cloud) -> str | None:
        """With too few pieces for the pinch: the catalogued track closest to the cloud's
        plane among those whose perigee-apogee range meets the pieces' (a fragment and
        its parent share the break-up point), ties broken by semi-major axis."""
        pieces = [v.track(o) for o in cloud.ids]
        pieces = [p for p in pieces if p is not None]
        cand = [p for p in v.picture if "-UCT-" not in p["id"] and p["id"] not in self.ucts]
        if not pieces or not cand:
            return None
        rf = np.array([p["r_km"] for p in pieces], float)
        vf = np.array([p["v_km_s"] for p in pieces], float)
        af, rpf, raf = _radii(rf, vf)
        rc = np.array([p["r_km"] for p in cand], float)
        vc = np.array([p["v_km_s"] for p in cand], float)
        ac, rpc, rac = _radii(rc, vc)
        h = np.cross(rc, vc)
        ang = _angle_deg(h / np.linalg.norm(h, axis=1)[:, None], cloud.normal)
        meets = (rpc <= np.max(raf)) & (rac >= np.min(rpf)) & (ang < CLOUD_PLANE_DEG)
        if not meets.any():
            return None
        score = np.where(meets, ang + np.abs(ac - np.median(af)) / 200.0, np.inf)
        return str(cand[int(np.argmin(score))]["id"])

    def _trace(self, port: TeamPort, attempt: int, k: int = 0) -> None:
        """Breakup attribution of cloud ``k`` from the team's own tracks: each track's state
        fitted to an SGP4 mean element set, the parent proposed by the engine's
        ``propose_parent`` (the catalogued object whose orbit passes through the
        fragments' pinch) and the epoch by ``trace_pinch``, searched in the 12 h before the
        first uncorrelated track.  Submitted when the best revolution clearly beats the
        next one, or on the last try."""
        if not 0 <= k < len(self.clouds):
            return
        cloud = self.clouds[k]
        self._catalogue_cloud(port, port.view(), cloud)
        v = port.view()
        last = attempt + 1 >= len(TRACE_AFTER_S)
        ranked = self._parents(v, cloud)
        again = None if last else (TRACE_AFTER_S[attempt + 1] - TRACE_AFTER_S[attempt],
                                   {"do": "trace", "try": attempt + 1, "cloud": k})  # fmt: skip
        try:
            if not ranked:
                raise ValueError("no catalogued orbit passes through the pinch")
            parent = ranked[0]
            tr = trace_back(cloud.frags, cloud.cat[parent], cloud.first_utc, TRACE_WINDOW_S)
        except ValueError:
            if again:
                port.schedule(*again)
            return
        sure = len(tr.candidates) < 2 or tr.candidates[1][1] > 1.2 * tr.candidates[0][1]
        if not sure and again:
            port.schedule(*again)
            return
        port.submit({"kind": "breakup_attribution", "parent": parent,
                     "epoch_utc": str(tr.epoch_utc.astype("datetime64[ms]")) + "Z",
                     "lat_deg": round(tr.lat_deg, 3), "lon_deg": round(tr.lon_deg, 3),
                     "alt_km": round(tr.alt_km, 2), "spread_km": round(tr.spread_km, 3)})  # fmt: skip

    # ------------------------------------------------------------------ allies' objects
    def _shared_announced(self, port: TeamPort, frm: str) -> None:
        """An ally announced a share: look for its new objects once they can have arrived."""
        now = _dt(port.view().clock_utc)
        if self._not_since("shared-look", frm, now, SHARED_LOOK_AFTER_S):
            port.schedule(SHARED_LOOK_AFTER_S, {"do": "shared", "from": frm})

    def _shared_new_objects(self, port: TeamPort) -> None:
        """Catalogue the uncorrelated tracks allies gave us (their designators) that we have
        not catalogued: new objects an ally found (a launch, a release, fragments)."""
        v = port.view()
        mine = f"{v.team.upper()}-UCT-"
        # the names only: computing the whole picture here was 3.7 % of the demo
        new = [i for i in v.picture_ids()
               if "-UCT-" in i and not i.startswith(mine)
               and i not in self.shared_catalogued and i not in self.ucts]  # fmt: skip
        if not new:
            return
        self.shared_catalogued |= set(new)
        _catalog(port, new, f"EXERCISE. {len(new)} new objects catalogued from allies' "
                 f"shared tracks (as of {_iso(_dt(v.clock_utc))}).")  # fmt: skip
