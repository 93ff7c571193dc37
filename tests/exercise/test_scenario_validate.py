"""Validation of scenario files: the bundled scenarios pass; broken scenarios, each with ONE
mistake made by mutating a small valid text, fail with the right data path and line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from spacerange.exercise.scenario import Scenario
from spacerange.exercise.validate import (
    ScenarioError,
    load_scenario,
    load_scenario_text,
    validate_file,
    validate_text,
)

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((REPO / "scenarios").rglob("*.yaml"))
INJ = "events[0].incidents[0].injects"


def _line(text: str, marker: str, occurrence: int = 1) -> int:
    """1-based line of the ``occurrence``-th line containing ``marker``."""
    hits = [i + 1 for i, ln in enumerate(text.splitlines()) if marker in ln]
    assert len(hits) >= occurrence, f"marker {marker!r} not in text"
    return hits[occurrence - 1]


def test_base_is_valid(base_text, sites):
    model, issues = validate_text(base_text, sites=sites)
    assert issues == []
    assert isinstance(model, Scenario)
    assert model.inject("INJ-003").trigger.after == "INJ-001"


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: str(p.relative_to(REPO)))
def test_bundled_scenarios_validate(path):
    issues = validate_file(path)
    assert [str(i) for i in issues if i.severity == "error"] == []
    assert isinstance(load_scenario(path), Scenario)


# (id, old, new, expected path, marker of the expected line in the mutated text, nth hit)
MUTATIONS = [
    (
        "unknown-inject-in-trigger",
        "trigger: {after: INJ-001",
        "trigger: {after: INJ-009",
        f"{INJ}[2].trigger.after",
        "after: INJ-009",
        1,
    ),
    (
        "endex-before-startex",
        "endex: 2026-03-04T20:00:00Z",
        "endex: 2026-03-03T20:00:00Z",
        "exercise.endex",
        "endex:",
        1,
    ),
    (
        "negative-delta-v",
        "delta_v_mps: 20}",
        "delta_v_mps: -20}",
        "actors[0].assets[0].delta_v_mps",
        "delta_v_mps: -20",
        1,
    ),
    (
        "unknown-team-in-to",
        "to: [blue]\n            method: phone",
        "to: [bleu]\n            method: phone",
        f"{INJ}[1].to[0]",
        "to: [bleu]",
        1,
    ),
    (
        "duplicate-serial",
        "serial: INJ-002",
        "serial: INJ-001",
        f"{INJ}[1].serial",
        "serial: INJ-001",
        2,
    ),
    (
        "bad-time-format",
        "at: 2026-03-04T10:00:00Z",
        "at: 2026-03-04T25:00:00Z",
        f"{INJ}[1].at",
        "at: 2026-03-04T25",
        1,
    ),
    (
        "missing-required-field",
        "            method: order\n",
        "",
        f"{INJ}[0].method",
        "serial: INJ-001",
        1,
    ),
    (
        "unknown-threat-kind",
        "kind: sensor_outage",
        "kind: death_ray",
        f"{INJ}[1].action.kind",
        "kind: death_ray",
        1,
    ),
    (
        "unknown-sensor-ref",
        "default:GRAVES",
        "default:GRAVEZ",
        "actors[0].sensors[0].ref",
        "default:GRAVEZ",
        1,
    ),
    (
        "bad-rule-syntax",
        "< 2h and range",
        "< 2h and and range",
        f"{INJ}[2].evaluation[0].rule",
        "rule:",
        1,
    ),
    (
        "forbidden-function",
        "latency('assessment')",
        "__import__('os')",
        f"{INJ}[2].evaluation[0].rule",
        "rule:",
        1,
    ),
    (
        "contingency-to-unknown-team",
        "inject: {to: [blue]",
        "inject: {to: [blu]",
        f"{INJ}[2].contingency[0].inject.to[0]",
        "inject: {to: [blu]",
        1,
    ),
    (
        "sharing-with-unknown-team",
        "recipients: [blue]",
        "recipients: [purple]",
        "sharing[0].recipients[0]",
        "recipients: [purple]",
        1,
    ),
    (
        "objective-unknown-critical-task",
        "critical_tasks: [CT-1, CT-2]",
        "critical_tasks: [CT-1, CT-9]",
        "objectives[0].critical_tasks[1]",
        "CT-9",
        1,
    ),
    (
        "inject-outside-window",
        "at: STARTEX+1h",
        "at: STARTEX+13h",
        f"{INJ}[0].at",
        "at: STARTEX+13h",
        1,
    ),
    (
        "unknown-asset-in-action",
        "asset: RED-RPO,",
        "asset: RED-XYZ,",
        f"{INJ}[0].action.asset",
        "asset: RED-XYZ",
        1,
    ),
    (
        "delta-v-over-budget",
        "dv_rtn_mps: [0.0, 3.0, 0.0]",
        "dv_rtn_mps: [0.0, 300.0, 0.0]",
        f"{INJ}[0].action.dv_rtn_mps",
        "dv_rtn_mps",
        1,
    ),
    (
        "unknown-sensor-in-outage",
        "sensors: [BLU-SCOPE]",
        "sensors: [ARECIBO]",
        f"{INJ}[1].action.sensors[0]",
        "sensors: [ARECIBO]",
        1,
    ),
    ("unknown-field", "delay: 30m}", "dealy: 30m}", "sharing[0].dealy", "dealy:", 1),
    (
        "trigger-cycle",
        'trigger: {condition: "range(RED-RPO, BLU-GEO) < 50 km"}',
        "trigger: {after: INJ-003}\n            at: STARTEX+1h",
        f"{INJ}[3]",
        "serial: INJ-004",
        1,
    ),
    (
        "unknown-object-in-rule",
        "range(RED-RPO, BLU-GEO) > 5 km",
        "range(RED-RPO, GRN-GEO) > 5 km",
        f"{INJ}[2].evaluation[0].rule",
        "GRN-GEO",
        1,
    ),
    (
        "duplicate-team-id",
        "{id: observers, role: observer}",
        "{id: excon, role: observer}",
        "teams[4].id",
        "{id: excon, role: observer}",
        1,
    ),
    (
        "unknown-actor-in-plays",
        "plays: [BLUELAND]",
        "plays: [GREENLAND]",
        "teams[1].plays[0]",
        "GREENLAND",
        1,
    ),
    (
        "if-missing-not-expected",
        "if_missing: assessment",
        "if_missing: maneuver",
        f"{INJ}[2].contingency[0].if_missing",
        "if_missing: maneuver",
        1,
    ),
    (
        "unknown-objective-in-inject",
        "objectives: [OBJ-1]",
        "objectives: [OBJ-7]",
        f"{INJ}[2].objectives[0]",
        "objectives: [OBJ-7]",
        1,
    ),
    (
        "rendezvous-not-capable",
        "        rendezvous_capable: true\n",
        "",
        "actors[1].assets[0]",
        "- id: RED-RPO",
        1,
    ),
    (
        "condition-uses-player-name",
        '"range(RED-RPO, BLU-GEO) < 50 km"',
        '"assessment.threat == 1"',
        f"{INJ}[3].trigger.condition",
        "assessment.threat",
        1,
    ),
    (
        "duplicate-yaml-key",
        "  compression: 60\n",
        "  compression: 60\n  compression: 30\n",
        "exercise.compression",
        "compression: 30",
        1,
    ),
    (
        "orbit-without-kind",
        "orbit: {geo_longitude_deg: 14.0}",
        "orbit: {longitude: 14.0}",
        "actors[1].assets[0].orbit",
        "orbit: {longitude",
        1,
    ),
    (
        "no-white-team",
        "{id: excon, role: white}",
        "{id: excon, role: observer}",
        "teams",
        "teams:",
        1,
    ),
]


@pytest.mark.parametrize("case", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_broken_scenario_reports_path_and_line(case, base_text, sites):
    name, old, new, path, marker, nth = case
    assert base_text.count(old) == 1, f"{name}: mutation target must be unique"
    text = base_text.replace(old, new)
    if name == "trigger-cycle":
        # INJ-004 waits for INJ-003, which now waits for INJ-004.
        text = text.replace("trigger: {after: INJ-001, delay: 2h}", "trigger: {after: INJ-004}")
        text = text.replace(
            "trigger: {after: INJ-003}\n            at: STARTEX+1h", "trigger: {after: INJ-003}"
        )
    if name == "rendezvous-not-capable":
        text = text.replace(
            "kind: unannounced_maneuver, asset: RED-RPO, dv_rtn_mps: [0.0, 3.0, 0.0]",
            "kind: geo_rendezvous, red_asset: RED-RPO, target: BLU-GEO, final_range_km: 5, "
            "duration: 6h",
        )
        path, marker = f"{INJ}[0].action.red_asset", "red_asset: RED-RPO"
    model, issues = validate_text(text, file="broken.yaml", sites=sites)
    errors = [i for i in issues if i.severity == "error"]
    assert model is None
    assert len(errors) == 1, "\n".join(map(str, errors))
    err = errors[0]
    if name == "trigger-cycle":
        assert err.path.startswith(INJ) and err.path.endswith("trigger.after")
        assert "cycle" in err.message
        return
    assert err.path == path, str(err)
    assert err.line == _line(text, marker, nth), str(err)
    assert re.match(rf"broken\.yaml:{err.line}: {re.escape(path)}: ", str(err))


def test_every_error_is_reported(base_text, sites):
    text = (
        base_text.replace("recipients: [blue]", "recipients: [purple]")
        .replace("delta_v_mps: 20}", "delta_v_mps: -20}")
        .replace("trigger: {after: INJ-001", "trigger: {after: INJ-009")
    )
    _, issues = validate_text(text, sites=sites)
    paths = {i.path for i in issues}
    assert {
        "sharing[0].recipients[0]",
        "actors[0].assets[0].delta_v_mps",
        f"{INJ}[2].trigger.after",
    } <= paths
    assert [i.line for i in issues] == sorted(i.line for i in issues)


def test_load_scenario_raises_with_every_error(tmp_path, base_text):
    f = tmp_path / "bad.yaml"
    f.write_text(
        base_text.replace("recipients: [blue]", "recipients: [purple]").replace(
            "to: [red]", "to: [reed]"
        )
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(f)
    paths = {p for p, _, _ in info.value.errors}
    assert paths == {"sharing[0].recipients[0]", f"{INJ}[0].to[0]"}
    assert all(line > 0 for _, line, _ in info.value.errors)
    assert isinstance(info.value, ValueError)


def test_yaml_syntax_error_has_line():
    _, issues = validate_text("exercise:\n  name: [unclosed\n  seed: 1\n")
    assert len(issues) == 1 and issues[0].line > 0 and "YAML" in issues[0].message


def test_yaml_norway_is_a_string(base_text, sites):
    # YAML 1.1 would read NO as False; scenario files keep it as text.
    text = base_text.replace("- id: BLUELAND", "- id: BLUELAND\n    catalog_owners: [NO, F]")
    model, issues = validate_text(text, sites=sites)
    assert issues == []
    assert model.actors[0].catalog_owners == ["NO", "F"]


def test_missing_catalog_file_is_an_error(tmp_path, base_text):
    text = base_text.replace(
        "catalog: {synthetic: {n: 100, seed: 3}}", "catalog: {file: missing.tle}"
    )
    _, issues = validate_text(text, base_dir=tmp_path, sites={"default": {"GRAVES"}})
    assert [(i.path, i.message.split(" (")[0]) for i in issues] == [
        ("world.catalog.file", "no such file 'missing.tle'")
    ]


def test_load_scenario_text_accepts_valid_text(base_text):
    # Uses the bundled site network (GRAVES is one of its sites).
    assert load_scenario_text(base_text).exercise.seed == 1


def test_relative_times_resolve(base_text, sites):
    model, _ = validate_text(base_text, sites=sites)
    inj = model.inject("INJ-001")
    assert model.time_of(inj.at).isoformat() == "2026-03-04T09:00:00+00:00"


def test_a_shared_assessment_product_is_flagged_as_delivering_nothing(base_text, sites):
    """The schema takes ``assessment`` as a sharing product, but the pictures deliver
    none: the validator says so (a warning), so that no scenario counts on it."""
    old = "products: [omm, cdm], delay: 30m"
    assert base_text.count(old) == 1
    model, issues = validate_text(base_text.replace(old, "products: [omm, assessment], delay: 30m"),
                                  sites=sites)  # fmt: skip
    assert model is not None
    (w,) = issues
    assert (w.severity, w.path) == ("warning", "sharing[0].products[1]")
    assert "deliver" in w.message
