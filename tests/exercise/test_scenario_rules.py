"""The evaluation/condition rule language: grammar, whitelist, units, interpretation."""

from __future__ import annotations

import math

import pytest

from spacerange.exercise.scenario.rules import RuleError, parse_rule


def test_units_are_converted_to_km_and_seconds():
    rule = parse_rule("range(A, B) < 50 km and miss_distance(A, B) > 500 m and latency < 12h")
    funcs = {"range": lambda a, b: 49.9, "miss_distance": lambda a, b: 0.6}
    assert rule.evaluate({"latency": 12 * 3600 - 1}, funcs) is True
    assert rule.evaluate({"latency": 12 * 3600 + 1}, funcs) is False
    funcs["miss_distance"] = lambda a, b: 0.4  # 400 m < 500 m
    assert rule.evaluate({"latency": 0}, funcs) is False


def test_hyphenated_ids_are_object_refs():
    rule = parse_rule("min_range(RED-INSPECTOR, BLU-GEO-COM) > 10 km")
    assert rule.object_refs == ("RED-INSPECTOR", "BLU-GEO-COM")
    seen = []
    rule.evaluate({}, {"min_range": lambda a, b: seen.append((a, b)) or 11.0})
    assert seen == [("RED-INSPECTOR", "BLU-GEO-COM")]


def test_attributes_of_actions_and_none_semantics():
    rule = parse_rule("assessment.threat == 'proximity' and latency('assessment') < 2h")
    assert rule.action_refs == ("assessment",)
    lat = {"latency": lambda k: 3600.0}
    assert rule.evaluate({"assessment": {"threat": "proximity"}}, lat) is True
    assert rule.evaluate({"assessment": {"threat": "debris"}}, lat) is False
    # No submission: attribute of none is none, comparisons with none are false.
    assert not rule.evaluate({"assessment": None}, lat)
    inf = parse_rule("latency('report') < 1h")
    assert inf.evaluate({}, {"latency": lambda k: math.inf}) is False


def test_in_lists_not_and_negative_numbers():
    rule = parse_rule("not (countermeasure.kind in ['relocate', 'notify']) or dv_used(X) > -1")
    assert rule.evaluate({"countermeasure": {"kind": "notify"}}, {"dv_used": lambda a: -2}) is False


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("__import__('os').system('true')", "only whitelisted functions"),
        ("__import__('os') == 1", "forbidden function '__import__'"),
        ("eval('1')", "forbidden function 'eval'"),
        ("assessment.__class__ == 1", "forbidden attribute '__class__'"),
        ("range(A, B) + 1 > 2", "arithmetic"),
        ("count('report')[0] > 1", "indexing"),
        ("(lambda: 1)() == 1", "only whitelisted functions"),
        ("range(A) < 5", "takes 2 argument(s)"),
        ("latency('dance') < 5", "unknown action kind 'dance'"),
        ("secret > 3", "unknown name 'secret'"),
        ("range(A, B) <", "invalid rule syntax"),
        ("pc(A, B) > 1e-4 if True else False", "forbidden construct IfExp"),
        ("[x for x in 'ab'] == 1", "forbidden construct ListComp"),
    ],
)
def test_forbidden_or_malformed_rules(text, fragment):
    with pytest.raises(RuleError) as info:
        parse_rule(text)
    assert fragment in str(info.value)


def test_condition_context_refuses_player_state():
    assert parse_rule("range(A, B) < 50 km", "condition").functions == {"range"}
    with pytest.raises(RuleError, match="not available in a condition rule"):
        parse_rule("submitted('report')", "condition")
    with pytest.raises(RuleError, match="unknown name 'assessment'"):
        parse_rule("assessment.threat == 'x'", "condition")


def test_pc_threshold_scientific_notation():
    rule = parse_rule("pc(A, B) >= 1e-4")
    assert rule.evaluate({}, {"pc": lambda a, b: 1.2e-4}) is True
    assert rule.evaluate({}, {"pc": lambda a, b: 9e-5}) is False
