"""The ``maneuver_notice`` product of a sharing agreement (:mod:`spacerange.exercise.
picture.notices`), played on the engine: World, the teams' pictures, the burn log the
manoeuvre goal grades."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from spacerange.exercise.picture import Pictures
from spacerange.exercise.picture.maneuvers import maneuver_goals
from spacerange.exercise.picture.notices import NOTICE_SOURCE
from spacerange.exercise.validate import load_scenario
from spacerange.exercise.world import World, _td64
from spacerange.timescales import iso_utc

TRAINING = Path(__file__).resolve().parents[2] / "scenarios" / "training"
SHARING = "  - {provider: borealis-ops, recipients: [ardenia-ops], products: [omm, cdm], delay: 1h}"
BOREALIS_SENSORS = """    sensors:
      - {ref: "default:FYLINGDALES"}
      - {ref: "default:GLOBUS2"}
"""


def _play(tmp_path, products: str, burn_mps: float = 1.0, objects: str = "own",
          back: str | None = None, each_update=None):  # fmt: skip
    """The sensor-outage drill without its outage, Borealis blind (no sensors of its own)
    and holding Ardenia's EO satellite on Ardenia's standing share of its own assets
    (``products``, 30 min delay; ``objects`` which); ARD-EO-1 burns ``burn_mps``
    along-track 3 h into the play.  ``back``: Borealis's products to Ardenia (none when
    None); ``each_update(p, t)`` is called after each picture update.  Returns the world,
    the pictures, the burn time and Borealis's picture."""
    text = (TRAINING / "sensor_outage.yaml").read_text()
    assert SHARING in text and BOREALIS_SENSORS in text
    agreements = ("  - {provider: ardenia-ops, recipients: [borealis-ops], products: ["
                  + products + "], delay: 30m, objects: " + objects + "}")  # fmt: skip
    if back:
        agreements += ("\n  - {provider: borealis-ops, recipients: [ardenia-ops], products: ["
                       + back + "], delay: 30m}")  # fmt: skip
    text = text.replace(BOREALIS_SENSORS, "").replace(SHARING, agreements)
    (tmp_path / "notice.yaml").write_text(text)
    sc = load_scenario(tmp_path / "notice.yaml")
    sc.world.catalog.synthetic.n = 40
    w = World(sc, sc.exercise.seed, TRAINING)
    p = Pictures(w, sc, warm_start_s=2 * 3600.0)
    t_burn = w.startex + _td64(3 * 3600 + 300)
    burned = False
    for k in range(1, 8 * 6 + 1):  # 8 h in 10-min steps
        t = w.startex + _td64(k * 600)
        if not burned and t > t_burn:
            w.burn("ARD-EO-1", [0.0, burn_mps, 0.0], t_burn)
            burned = True
        w.advance(t)
        p.update(t)
        if each_update is not None:
            each_update(p, t)
    return w, p, t_burn, p.teams["borealis-ops"]


def _goals(p, team: str) -> dict:
    return next(g for g in maneuver_goals(p) if g["team"] == team)


def test_an_allys_notice_of_its_own_burn_is_the_recipients_manoeuvre_alert(tmp_path):
    """Borealis never observes ARD-EO-1: without the notice the burn is graded and missed
    (its allies' next element set silently replaces its track); with it, Borealis alerts
    once, inside the interval the notice states, and its track follows the object after
    the burn (the operator's post-burn ephemeris, taken from the notice)."""
    w, p, t_burn, rp = _play(tmp_path, "omm, maneuver_notice")
    alerts = [a for a in rp.alerts if a["kind"] == "maneuver"]
    assert len(alerts) == 1
    a = alerts[0]
    d = a["details"]
    assert a["objects"] == ["ARD-EO-1"]
    assert d["source"] == NOTICE_SOURCE and d["shared_by"] == "ardenia-ops"
    assert np.datetime64(d["since_utc"][:-1]) <= t_burn <= np.datetime64(d["alarm_utc"][:-1])
    assert d["dv_rtn_mps"][1] == pytest.approx(1.0, abs=0.01)
    t_alert = np.datetime64(a["time_utc"][:-1])
    # delivered with the agreement's 30 min delay after the provider's next update
    assert t_burn + _td64(1800) <= t_alert <= t_burn + _td64(1800 + 2 * 600)
    assert any(s["from"] == "ardenia-ops" and s["n_notices"] == 1 for s in rp.shared_in)
    g = _goals(p, "borealis-ops")
    assert (g["graded_burns"], g["detected_burns"], g["true_alerts"], g["false_alerts"]) == (
        1, 1, 1, 0)  # fmt: skip
    assert g["own_custody_burns"] == 0  # it holds the object on the share alone
    assert (g["notice_alerts"], g["detected_by_own_alerts"]) == (1, 0)
    # the provider itself is not graded on its own asset and raises nothing
    a_goals = _goals(p, "ardenia-ops")
    assert a_goals["graded_burns"] == 0 and a_goals["maneuver_alerts"] == 0
    t = w.clock_utc
    r_est = p.predict("borealis-ops", "ARD-EO-1", np.asarray([t]))[0].reshape(3)
    r_true = w.state_of("ARD-EO-1", np.asarray([t]))[0].reshape(3)
    assert np.linalg.norm(r_est - r_true) < 1.0


def test_without_the_notice_product_the_same_burn_is_missed(tmp_path):
    """A standing ``omm`` share of the provider's own assets carries the operator's sets
    (before, own assets were never in a standing share: Borealis held nothing); the burn
    is graded (Borealis holds the satellite in custody on them) and missed."""
    _, p, _, rp = _play(tmp_path, "omm")
    assert rp.tracks["ARD-EO-1"].source == "shared:ardenia-ops"
    assert not [a for a in rp.alerts if a["kind"] == "maneuver"]
    g = _goals(p, "borealis-ops")
    assert (g["graded_burns"], g["detected_burns"]) == (1, 0)


def test_a_burn_too_small_to_be_a_manoeuvre_sends_no_notice(tmp_path):
    _, p, _, rp = _play(tmp_path, "omm, maneuver_notice", burn_mps=0.02)
    assert not [a for a in rp.alerts if a["kind"] == "maneuver"]
    assert not p.teams["ardenia-ops"].notices


def test_the_providers_own_manoeuvre_alerts_are_passed_on_and_never_echo(tmp_path):
    """Ardenia's notices of all objects carry the manoeuvre alerts its own arc tests raise
    (here one raised by hand on a background object Ardenia and Borealis both hold, 2 h
    into the play): Borealis takes it as its alert with the interval Ardenia stated (an
    alert notice carries no set).  Borealis's notices back to Ardenia do not return it."""
    stated = {}

    def ardenia_alerts(p, t):
        ap, rp = p.teams["ardenia-ops"], p.teams["borealis-ops"]
        if stated or t < p.world.startex + _td64(2 * 3600):
            return
        oid = next(k for k in sorted(ap.tracks) if k in rp.tracks and not k.startswith("ARD"))
        since = t - _td64(3 * 3600)
        stated.update(oid=oid, t=t, since=since)
        ap.maneuver_alerted[oid] = t
        p._alert(ap, t, "maneuver", [oid], {"since_utc": iso_utc(since), "alarm_utc": iso_utc(t)})

    _, p, _, rp = _play(tmp_path, "omm, maneuver_notice", objects="all",
                        back="maneuver_notice", each_update=ardenia_alerts)  # fmt: skip
    oid = stated["oid"]
    (a,) = [a for a in rp.alerts if a["kind"] == "maneuver" and a["objects"] == [oid]]
    d = a["details"]
    assert d["source"] == NOTICE_SOURCE and d["shared_by"] == "ardenia-ops"
    assert (d["since_utc"], d["alarm_utc"]) == (iso_utc(stated["since"]), iso_utc(stated["t"]))
    assert "dv_rtn_mps" not in d
    # raised after the update at t: scanned at the next one (10 min), then the 30 min delay
    assert np.datetime64(a["time_utc"][:-1]) == stated["t"] + _td64(600 + 1800)
    # Ardenia's own alerts: the one raised, and its own asset's burn is no alert of its own
    ap = p.teams["ardenia-ops"]
    assert [a["objects"] for a in ap.alerts if a["kind"] == "maneuver"] == [[oid]]
    assert not any(n["object"] == oid for n in rp.notices)
