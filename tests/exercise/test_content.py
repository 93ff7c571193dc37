"""Content adjudication (exercise.content): the taxonomy and the checks, on hand-made
actions: the gaming player's empty content fails, a correct answer in the team's own
designators passes."""

from __future__ import annotations

from spacerange.exercise.content import TAXONOMY, MatchContext, category, check
from spacerange.exercise.scenario import ExpectedAction


def _ea(**kw) -> ExpectedAction:
    return ExpectedAction.model_validate({"deadline": "2h", **kw})


# the team holds the released sub-satellite under its own designator
NAMES = {"ARDENIA-OPS-UCT-0003": "VRK-INSPECTOR-3B", "ARD-SAR-1": "ARD-SAR-1",
         "DEB-4411": "DEB-4411"}  # fmt: skip
CTX = MatchContext(NAMES.get, {"ARD-SAR-1"}, "proximity", {"VRK-INSPECTOR-3B"})


def test_taxonomy():
    assert category("leo_inspector") == "proximity"
    assert category("Re-entry") == "reentry"
    assert category("new_launch") == "launch"
    assert category("weather balloon") is None
    assert set(TAXONOMY) >= {"conjunction", "fragmentation", "interference"}


def test_gaming_content_fails():
    ea = _ea(action="assessment", threat="proximity", objects=["VRK-INSPECTOR-3B", "ARD-SAR-1"])
    bad = {"kind": "assessment", "threat": "weather balloon", "objects": ["NOTHING-HERE"]}
    assert not check(ea, bad, CTX)[0]
    # the truth id of an object the team holds only under its designator matches nothing
    leak = {"kind": "assessment", "threat": "proximity",
            "objects": ["VRK-INSPECTOR-3B", "ARD-SAR-1"]}  # fmt: skip
    assert not check(ea, leak, CTX)[0]
    assert not check(_ea(action="catalog_update"), {"kind": "catalog_update",
                                                    "objects": ["UCT"]}, CTX)[0]  # fmt: skip
    assert not check(_ea(action="report", threat="leo_inspector"),
                     {"kind": "report", "text": "x"}, CTX)[0]  # fmt: skip
    assert not check(_ea(action="maneuver", objects=["ARD-SAR-1"]),
                     {"kind": "maneuver", "asset": "ARD-SAR-1", "dv_rtn_mps": [0, 0.01, 0]},
                     CTX)[0]  # fmt: skip
    assert not check(_ea(action="countermeasure", options=["relocate", "notify"]),
                     {"kind": "countermeasure", "measure": "x"}, CTX)[0]  # fmt: skip
    # naming everything is not an answer
    many = {
        "kind": "assessment",
        "threat": "proximity",
        "objects": ["ARDENIA-OPS-UCT-0003", "ARD-SAR-1", *[f"X{i}" for i in range(10)]],
    }
    assert not check(ea, many, CTX)[0]


def test_correct_content_passes_through_the_team_correlation():
    ea = _ea(action="assessment", threat="leo_inspector",
             objects=["VRK-INSPECTOR-3B", "ARD-SAR-1"])  # fmt: skip
    ok, note = check(ea, {"kind": "assessment", "threat": "proximity",
                          "objects": ["ARDENIA-OPS-UCT-0003", "ARD-SAR-1"]}, CTX)  # fmt: skip
    assert ok, note
    assert check(
        _ea(action="catalog_update"),
        {"kind": "catalog_update", "objects": ["ARDENIA-OPS-UCT-0003"]},
        CTX,
    )[0]
    assert check(
        _ea(action="report", threat="leo_inspector"),
        {
            "kind": "report",
            "threat": "proximity",
            "text": "EXERCISE. New object 60 km from ARD-SAR-1, proximity.",
        },
        CTX,
    )[0]
    assert check(
        _ea(action="maneuver", objects=["ARD-SAR-1"]),
        {"kind": "maneuver", "asset": "ARD-SAR-1", "dv_rtn_mps": [0, 0.2, 0]},
        CTX,
    )[0]


def test_either_party_of_a_collision_is_its_parent_and_nothing_else_is():
    """A collision breaks up both objects: a team that sees the impactor's half of the
    cloud and names the impactor names a parent; a background object does not."""
    names = {"DEAD-SAT-12": "DEAD-SAT-12", "RB-OLD-77": "RB-OLD-77", "SYN DEB 14": "SYN DEB 14"}
    ctx = MatchContext(names.get, set(), "fragmentation", set(),
                       {"RB-OLD-77": {"DEAD-SAT-12"}, "DEAD-SAT-12": {"RB-OLD-77"}})  # fmt: skip
    ea = _ea(action="assessment", threat="debris_event", objects=["RB-OLD-77"])
    act = {"kind": "assessment", "threat": "fragmentation"}
    assert check(ea, dict(act, objects=["DEAD-SAT-12"]), ctx)[0]
    assert check(ea, dict(act, objects=["RB-OLD-77"]), ctx)[0]
    ok, note = check(ea, dict(act, objects=["SYN DEB 14"]), ctx)
    assert not ok and "do not include" in note
    # without the collision (an explosion) the impactor is no parent
    assert not check(ea, dict(act, objects=["DEAD-SAT-12"]), MatchContext(names.get))[0]
