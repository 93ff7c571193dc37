"""The leak oracle on every bundled training scenario (competent, gaming and passive blue;
team views captured every 3 h), and on a run with a planted leak (it must find it)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from spacerange.exercise.leaks import leak_findings

TRAINING = Path(__file__).resolve().parents[2] / "scenarios" / "training"
SCENARIOS = sorted(p.stem for p in TRAINING.glob("*.yaml"))


@pytest.mark.parametrize("name", SCENARIOS)
@pytest.mark.parametrize("kind", ["competent", "gaming", "passive"])
def test_no_leak_on_training_scenarios(play, name, kind):
    p = play(name, kind)
    f = leak_findings(p.run, p.frames)
    assert f == [], f[:5]


def test_oracle_finds_planted_leaks(play, tmp_path):
    p = play("leo_inspector", "passive")
    run, frames = p.copy_to(tmp_path / "run"), p.frames
    assert leak_findings(run, frames) == []
    con = sqlite3.connect(run / "events.sqlite")
    row = con.execute("SELECT seq, sim_time_utc, wall_time_utc, kind, team, visible_to, payload "
                      "FROM events WHERE kind = 'inject_released' AND payload LIKE "
                      "'%INJ-002%'").fetchone()  # fmt: skip
    assert row is not None and json.loads(row[5]) == []  # white only
    con.execute("UPDATE events SET visible_to = ? WHERE seq = ?",
                (json.dumps(["ardenia-ops"]), row[0]))  # fmt: skip
    con.commit()
    con.close()
    whats = {x["what"] for x in leak_findings(run) if x["team"] == "ardenia-ops"}
    assert {"inject serial", "trigger condition", "key 'threat'"} <= whats, whats
    # a truth id of a released object in a view the team never catalogued
    fr = dict(frames["ardenia-ops"][-1])
    fr["picture"] = [*fr.get("picture", []), {"id": "VRK-INSPECTOR-3B"}]
    whats = {x["what"] for x in leak_findings(run, {"ardenia-ops": [fr]})}
    assert "truth id VRK-INSPECTOR-3B" in whats


def test_string_check_is_the_boundary_regex_and_the_substring_tests():
    """The oracle's string check gives what one boundary regex over all forbidden ids
    (leftmost match, sorted order at a position) and a substring test per term give,
    on strings built to sit ids at run boundaries, inside runs, side by side and with
    ids that hold spaces."""
    import random
    import re

    from spacerange.exercise.leaks import _StringCheck

    ids = ["FRAG77-0042", "FRAG77-004", "U0001", "SAT A", "SAT AB", "RED-1", "X", "9"]
    terms = [("INJ-002", "inject serial"), ("Approach of", "inject title"), ("", "empty"),
             ("SAT A", "ground truth")]  # fmt: skip
    ref_re = re.compile(r"(?<![A-Za-z0-9-])(" + "|".join(map(re.escape, sorted(ids)))
                        + r")(?![A-Za-z0-9-])")  # fmt: skip
    pieces = [*ids, "-", " ", "/", ".", "a", "Z", "0", "INJ-002", "Approach of", "_", "é"]
    rng = random.Random(7)
    check = _StringCheck(ids, terms)
    strings = [" ".join(ids), "FRAG77-0042-1", "xFRAG77-0042", "SAT ABC", "SAT A.B"]
    strings += ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
                for _ in range(20000)]  # fmt: skip
    found = 0
    for s in strings * 2:  # twice: the memo answers the second time
        m = ref_re.search(s)
        want = (m.group(1) if m else None, tuple(w for t, w in terms if t and t in s))
        assert check(s) == want, s
        found += m is not None
    assert found > 1000
    assert check("SAT AB") == ("SAT AB", ("ground truth",))
    assert check("SAT A B")[0] == "SAT A" and check("FRAG77-0042-1")[0] is None
