"""What a player team is given, and the only way it acts: the team view and the team port.

A player (a human through the server, or an autopilot) sees exactly what the engine's
per-team visibility lets through: :meth:`Exercise.team_view` (its picture under its own
designators, its own assets and sensors, its inbox of delivered messages, its alerts,
conjunction and re-entry products, what allies shared) and the events logged visible to
it.  An autopilot receives a :class:`TeamView` built from that same dictionary and a
:class:`TeamPort`; this module imports nothing of the engine, the world or the scenario,
so an autopilot written against it cannot reach truth, inject metadata or expected
actions (``tests/exercise/test_teamview.py`` checks the imports and what is passed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from spacerange.propagation.mean_elements import kepler_equinoctial

__all__ = ["TeamView", "TeamPort", "Approach", "orbit_reaches"]

#: tracks a view computes one by one before it computes its whole picture once: an
#: autopilot walking a debris cloud asks for hundreds by name, and one batch of the whole
#: picture costs about as much as 20-30 single tracks of the demo's 4,000
ONE_BY_ONE_MAX = 16


def orbit_reaches(r_km, v_km_s, lo_km: float, hi_km: float) -> np.ndarray:
    """Which osculating orbits pass through the geocentric radii ``[lo_km, hi_km]``: a
    boolean mask (n,) over TEME states ``r_km`` (n, 3) [km] and ``v_km_s`` (n, 3) [km/s]
    (two-body, WGS-72 mu as SGP4's), true where the perigee radius is at most ``hi_km``
    and the apogee radius at least ``lo_km`` (an open orbit has no apogee).  A state that
    is not finite reaches nothing."""
    r = np.asarray(r_km, float).reshape(-1, 3)
    v = np.asarray(v_km_s, float).reshape(-1, 3)
    el = kepler_equinoctial(np.concatenate([r, v], axis=1))
    a, e = el["a"], el["e"]
    with np.errstate(invalid="ignore"):
        rp = a * (1.0 - e)  # a < 0 and e > 1 on an open orbit: still its perigee
        ra = np.where((a > 0.0) & (e < 1.0), a * (1.0 + e), np.inf)
        out = (rp <= hi_km) & (ra >= lo_km)
    return out & np.isfinite(r).all(axis=1) & np.isfinite(v).all(axis=1)


@dataclass(frozen=True)
class Approach:
    """A closest approach computed on the team's own estimates: time [UTC ISO], miss
    distance [km], and Pc (Foster, the team's covariances) when it could be computed."""

    tca_utc: str
    miss_km: float
    pc: float | None = None


@dataclass
class TeamView:
    """One team's view at ``clock_utc`` (all object names are the team's designators).

    * ``picture``: tracks ``{id, name, owner, r_km, v_km_s (TEME), pos_sigma_km,
      last_obs_utc, source, custody (held or lost)}``; ``assets``: own assets with states
      and delta-v;
    * ``sensors``: own sensor ids; ``share_to``: teams this team may send products to,
      with the products and delay of each agreement; ``teams``: the exercise's teams and
      roles (public);
    * ``inbox``: delivered messages ``{msg_id, time_utc, from, method, text, data}``;
    * ``alerts``, ``conjunctions`` (latest ``conjunction_update`` per pair), ``reentry``
      (latest prediction per object), ``cdms``, ``shared_in``;
    * ``action_kinds``: the action kinds the team may submit; ``uplink_delay_s``."""

    team: str
    role: str
    clock_utc: str
    picture_items: tuple[dict, ...] | None = None
    assets: tuple[dict, ...] = ()
    sensors: tuple[str, ...] = ()
    share_to: tuple[dict, ...] = ()
    teams: dict = field(default_factory=dict)
    inbox: tuple[dict, ...] = ()
    alerts: tuple[dict, ...] = ()
    conjunctions: tuple[dict, ...] = ()
    reentry: tuple[dict, ...] = ()
    cdms: tuple[dict, ...] = ()
    shared_in: tuple[dict, ...] = ()
    action_kinds: tuple[str, ...] = ()
    uplink_delay_s: float = 600.0
    #: computes the tracks on first use (propagating a large catalog is the costly part)
    picture_loader: Callable[[], list[dict]] | None = field(default=None, repr=False)
    #: computes one track by name without the whole picture (``None``: none such)
    track_loader: Callable[[str], dict | None] | None = field(default=None, repr=False)
    #: computes only the tracks whose orbits reach a radius band (:meth:`picture_reaching`)
    band_loader: Callable[[float, float], list[dict]] | None = field(default=None, repr=False)
    #: lists the picture's track names without computing the tracks (:meth:`picture_ids`)
    ids_loader: Callable[[], list[str]] | None = field(default=None, repr=False)
    _bands: dict = field(default_factory=dict, repr=False, compare=False)
    _ids: tuple[str, ...] | None = field(default=None, repr=False, compare=False)
    _tracks: dict = field(default_factory=dict, repr=False, compare=False)
    _by_id: dict | None = field(default=None, repr=False, compare=False)

    @property
    def picture(self) -> tuple[dict, ...]:
        if self.picture_items is None:
            self.picture_items = tuple(self.picture_loader() if self.picture_loader else ())
        return self.picture_items

    @classmethod
    def from_dict(cls, d: dict) -> TeamView:
        """From :meth:`Exercise.team_view`'s dictionary (the server's team view)."""
        conj: dict[tuple, dict] = {}
        for c in d.get("conjunctions", []) or []:
            conj[tuple(c.get("objects", []))] = c
        reent: dict[str, dict] = {}
        for r in d.get("reentry", []) or []:
            reent[str(r.get("object"))] = r
        return cls(
            team=str(d["team"]),
            role=str(d["role"]),
            clock_utc=str(d["clock_utc"]),
            picture_items=tuple(d.get("picture", []) or []),
            assets=tuple(d.get("assets", []) or []),
            sensors=tuple(d.get("sensors", []) or []),
            share_to=tuple(d.get("share_to", []) or []),
            teams=dict(d.get("teams", {}) or {}),
            inbox=tuple(d.get("inbox", []) or []),
            alerts=tuple(d.get("alerts", []) or []),
            conjunctions=tuple(conj.values()),
            reentry=tuple(reent.values()),
            cdms=tuple(d.get("cdms", []) or []),
            shared_in=tuple(d.get("shared_in", []) or []),
            action_kinds=tuple(d.get("action_kinds", []) or []),
            uplink_delay_s=float(d.get("uplink_delay_s", 600.0)),
        )

    def picture_reaching(self, lo_km: float, hi_km: float) -> tuple[dict, ...]:
        """The picture's items whose osculating orbits pass through the geocentric radii
        ``[lo_km, hi_km]`` (:func:`orbit_reaches`), in the picture's order.  While the
        whole picture is not computed, only those tracks are (a GEO watch reads the few
        hundred GEO tracks of a 4,000-track picture every hour)."""
        if self.picture_items is None and self.band_loader is not None:
            key = (float(lo_km), float(hi_km))
            if key not in self._bands:
                self._bands[key] = tuple(self.band_loader(*key))
            return self._bands[key]
        items = self.picture
        if not items:
            return ()
        mask = orbit_reaches([p["r_km"] for p in items], [p["v_km_s"] for p in items],
                             lo_km, hi_km)  # fmt: skip
        return tuple(p for p, m in zip(items, mask, strict=True) if m)

    def picture_ids(self) -> tuple[str, ...]:
        """The ``id`` of every picture item, in the picture's order; while the picture is
        not computed, without computing it (a look for new names reads only these)."""
        if self.picture_items is None and self.ids_loader is not None:
            if self._ids is None:
                self._ids = tuple(self.ids_loader())
            return self._ids
        return tuple(p["id"] for p in self.picture)

    def asset(self, asset_id: str) -> dict | None:
        return next((a for a in self.assets if a.get("id") == asset_id), None)

    def track(self, name: str) -> dict | None:
        """The picture's item named ``name``: computed alone while the picture is not, for
        the first :data:`ONE_BY_ONE_MAX` names; after those from the whole picture."""
        if self.picture_items is None and self.track_loader is not None:
            if name in self._tracks:
                return self._tracks[name]
            if len(self._tracks) < ONE_BY_ONE_MAX or self.picture_loader is None:
                self._tracks[name] = self.track_loader(name)
                return self._tracks[name]
        if self._by_id is None:
            self._by_id = {}
            for p in self.picture:
                self._by_id.setdefault(p.get("id"), p)
        return self._by_id.get(name)


class TeamPort(Protocol):
    """A team's handle on the exercise: its view, its submissions, its own timers, and
    computations on its *own* estimates (picture scope; never truth)."""

    team: str

    def view(self) -> TeamView:
        """The team's view now."""
        ...

    def submit(self, action: dict) -> tuple[bool, list[str]]:
        """Submit an action (validated and logged like a human player's)."""
        ...

    def schedule(self, delay_s: float, task: dict) -> None:
        """Call the autopilot's ``on_task(port, task)`` ``delay_s`` later."""
        ...

    def closest_approach(self, a: str, b: str, hours: float = 48.0) -> Approach | None:
        """Closest approach of two objects of the team's picture in the next ``hours``,
        from its estimates; ``None`` when either is not in its picture."""
        ...

    def reentry_window(self, name: str) -> dict | None:
        """The team's own re-entry prediction of ``name`` now (its track's decay):
        ``{object, window_start, window_end, most_likely, footprint}`` or ``None``."""
        ...
