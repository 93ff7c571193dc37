"""Players see only their own side, by construction: the autopilot module imports nothing
of the engine, world or scenario, and what the engine hands an autopilot is the team's
port and the events logged visible to that team."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import numpy as np

from spacerange.exercise import autopilot as ap_mod
from spacerange.exercise import autopilot_base as apb_mod
from spacerange.exercise import autopilot_clouds as apc_mod
from spacerange.exercise import autopilot_effects as ape_mod
from spacerange.exercise import autopilot_geo as apg_mod
from spacerange.exercise import autopilot_red as apr_mod
from spacerange.exercise import cloudtrace as ct_mod
from spacerange.exercise import teamview as tv_mod
from spacerange.exercise.autopilot import Autopilot
from spacerange.exercise.engine import Exercise
from spacerange.exercise.teamview import TeamView

TRAINING = Path(__file__).resolve().parents[2] / "scenarios" / "training"
ALLOWED = {"__future__", "spacerange.constants", "spacerange.conjunction.thresholds", "math",
           "datetime", "numpy", "spacerange.exercise.teamview", "collections.abc",
           "dataclasses", "typing", "spacerange.exercise.cloudtrace",
           "spacerange.exercise.autopilot_effects", "spacerange.exercise.autopilot_base",
           "spacerange.exercise.autopilot_red", "spacerange.exercise.autopilot_clouds",
           "spacerange.exercise.autopilot_geo"}  # fmt: skip
#: the player's own cloud analysis may also use the engine's fit and trace-back (no truth)
ALLOWED_CLOUDTRACE = ALLOWED | {"sgp4", "spacerange.catalog.tle",
                                "spacerange.propagation.mean_elements",
                                "spacerange.events.breakup_trace"}  # fmt: skip


def _imports(mod) -> set[str]:
    tree = ast.parse(Path(mod.__file__).read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            out.add(node.module or "")
    return out


def test_autopilot_and_teamview_import_nothing_of_truth():
    assert _imports(ap_mod) <= ALLOWED, _imports(ap_mod) - ALLOWED
    assert _imports(ape_mod) <= ALLOWED - {"spacerange.exercise.autopilot_effects"}
    assert _imports(apb_mod) <= ALLOWED - {"spacerange.exercise.autopilot_base"}
    assert _imports(apc_mod) <= ALLOWED - {"spacerange.exercise.autopilot_clouds"}
    assert _imports(apg_mod) <= ALLOWED - {"spacerange.exercise.autopilot_geo"}
    # the red cell that adapts (issue 15): its view and its port only (``re`` reads orders)
    assert _imports(apr_mod) <= (ALLOWED | {"re"}) - {"spacerange.exercise.autopilot_red"}
    # the view's band filter uses the engine's osculating elements (orbit math, no truth)
    assert _imports(tv_mod) <= (ALLOWED | {"spacerange.propagation.mean_elements"}) - {
        "spacerange.exercise.teamview"
    }
    assert _imports(ct_mod) <= ALLOWED_CLOUDTRACE - {"spacerange.exercise.cloudtrace"}
    for mod in (ap_mod, apb_mod, apc_mod, apg_mod, ape_mod, apr_mod, ct_mod):
        src = Path(mod.__file__).read_text(encoding="utf-8")
        for word in ("._ex", ".world", ".scenario", ".injects", "expected_actions",
                     "ground_truth"):  # fmt: skip
            assert word not in src, (mod.__name__, word)


class Recorder(Autopilot):
    name = "recorder"

    def __init__(self) -> None:
        self.seen: list[tuple[str, dict]] = []
        self.ports: set[str] = set()
        self.tracks_checked = 0

    def on_event(self, port, kind, payload):
        self.ports.add(type(port).__name__)
        # (``_ca_memo``: closest approaches under the team's own names, on its estimates)
        assert set(vars(port)) <= {"_ex", "team", "_cache", "_seen", "_static", "_ca_memo"}
        self.seen.append((kind, payload))
        v = port.view()
        assert isinstance(v, TeamView) and v.team == "ardenia-ops"
        if self.tracks_checked < 12 and v.picture:
            # one track computed alone is the item the whole picture lists under its name
            alone = port._build()
            for item in v.picture[:4]:
                assert alone.track(item["id"]) == item
                self.tracks_checked += 1
            assert alone.track("NO-SUCH-OBJECT") is None and alone.picture_items is None


def test_autopilot_receives_only_its_team_events(tmp_path):
    ex = Exercise.create(TRAINING / "geo_rendezvous.yaml", tmp_path / "run",
                         autopilots={"red": "competent"})  # fmt: skip
    rec = Recorder()
    ex.autopilots["ardenia-ops"] = rec
    ex._ap_pending = [p for p in ex._ap_pending if p[0] != "ardenia-ops"]
    ex.run()
    visible = [(e["kind"], e["payload"]) for e in ex.events(0, "ardenia-ops")
               if e["kind"] not in ("exercise_info",)]  # fmt: skip
    ex.close()
    kinds = {k for k, _ in rec.seen}
    assert rec.ports == {"TeamPortImpl"}
    assert rec.tracks_checked >= 4
    assert "inject_released" not in kinds and "detection" not in kinds
    assert "world_event" not in kinds and "rating" not in kinds
    assert [k for k, _ in rec.seen] == [k for k, _ in visible]
    assert all(p == q for (_, p), (_, q) in zip(rec.seen, visible, strict=True))


def test_track_by_name_gives_the_pictures_item_one_by_one_and_past_the_switch(tmp_path):
    """A view computes the first ``ONE_BY_ONE_MAX`` tracks asked by name alone, then its
    whole picture once; either way ``track(name)`` is the picture's item of that name."""
    from spacerange.exercise.teamview import ONE_BY_ONE_MAX

    ex = Exercise.create(TRAINING / "debris_event.yaml", tmp_path / "run", autopilots={})
    try:
        ex.step(6 * 3600)
        team = next(t.id for t in ex.scenario.teams if t.role == "blue")
        port = ex._port(team)
        whole = {p["id"]: p for p in port.view().picture}
        assert len(whole) > 2 * ONE_BY_ONE_MAX, len(whole)
        v = port._build()  # a fresh view of the same instant (port.view() reuses its own)
        assert v.picture_items is None
        loads = {"one": 0, "all": 0}
        one, every = v.track_loader, v.picture_loader

        def count_one(name):
            loads["one"] += 1
            return one(name)

        def count_all():
            loads["all"] += 1
            return every()

        v.track_loader, v.picture_loader = count_one, count_all
        names = [*whole, "NO-SUCH-TRACK"]
        got = {n: v.track(n) for n in names}
        assert got.pop("NO-SUCH-TRACK") is None
        assert got == whole
        assert loads == {"one": ONE_BY_ONE_MAX, "all": 1}
        assert v.track(names[0]) == whole[names[0]] and loads["one"] == ONE_BY_ONE_MAX
    finally:
        ex.close()


def test_orbit_reaches_a_band_by_its_apsides():
    """Perigee and apogee radii of two-body orbits (WGS-72 mu) against a band."""
    from spacerange.constants import MU_WGS72_KM3_S2 as mu
    from spacerange.exercise.teamview import orbit_reaches

    def at_perigee(rp, ra):  # state at perigee of the ellipse (rp, ra) [km]
        a = (rp + ra) / 2
        return [rp, 0.0, 0.0], [0.0, math.sqrt(mu * (2 / rp - 1 / a)), 0.0]

    leo, gto, geo = at_perigee(7000, 7000), at_perigee(6700, 42164), at_perigee(42164, 42164)
    esc = ([7000.0, 0.0, 0.0], [0.0, 11.5, 0.0])  # faster than escape: open
    r = [leo[0], gto[0], geo[0], esc[0], [np.nan] * 3]
    v = [leo[1], gto[1], geo[1], esc[1], [0.0] * 3]
    assert orbit_reaches(r, v, 40000, 44000).tolist() == [False, True, True, True, False]
    assert orbit_reaches(r, v, 6000, 6900).tolist() == [False, True, False, False, False]
    assert orbit_reaches(r, v, 42164.5, 44000).tolist() == [False, False, False, True, False]


def test_picture_reaching_a_band_is_the_whole_pictures_items_there(tmp_path):
    """The band loader computes only the tracks whose orbits reach the band, and they
    are exactly the whole picture's items that :func:`orbit_reaches` keeps."""
    from spacerange.exercise.teamview import orbit_reaches

    ex = Exercise.create(TRAINING / "geo_rendezvous.yaml", tmp_path / "run", autopilots={})
    try:
        ex.step(6 * 3600)
        team = next(t.id for t in ex.scenario.teams if t.role == "blue")
        whole = list(ex._port(team)._build().picture)
        band = (38000.0, 46000.0)
        v = ex._port(team)._build()
        got = v.picture_reaching(*band)
        assert v.picture_items is None  # the whole picture was not computed
        keep = orbit_reaches([p["r_km"] for p in whole], [p["v_km_s"] for p in whole], *band)
        assert 0 < len(got) < len(whole), (len(got), len(whole))
        assert list(got) == [p for p, k in zip(whole, keep, strict=True) if k]
        # with the whole picture at hand the view filters it: the same items
        v.picture  # noqa: B018 (computes it)
        v._bands.clear()
        assert v.picture_reaching(*band) == got
    finally:
        ex.close()


def test_picture_ids_are_the_whole_pictures_ids(tmp_path):
    """``picture_ids()`` lists the ids of the picture's items, in order, without computing
    the items (a look for allies' new names reads only these)."""
    ex = Exercise.create(TRAINING / "debris_event.yaml", tmp_path / "run", autopilots={})
    try:
        ex.step(6 * 3600)
        team = next(t.id for t in ex.scenario.teams if t.role == "blue")
        v = ex._port(team)._build()
        v.picture_loader = None  # computing the whole picture here would fail the test
        ids = v.picture_ids()
        assert v.picture_items is None
        whole = [p["id"] for p in ex._port(team)._build().picture]
        assert sum("-UCT-" in i for i in whole) > 10, whole[:5]
        assert list(ids) == whole
    finally:
        ex.close()
