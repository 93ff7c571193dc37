"""JSON Schema export and the ``spacerange exercise`` commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spacerange.cli.app import app
from spacerange.exercise.scenario import THREAT_ACTIONS, Scenario
from spacerange.exercise.validate import load_scenario, read_yaml, scenario_json_schema

jsonschema = pytest.importorskip("jsonschema")

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "scenarios" / "asterx-demo.yaml"
TRAINING = REPO / "scenarios" / "training"


def _as_json(path: Path):
    data, _, issues = read_yaml(path.read_text())
    assert issues == []
    return json.loads(json.dumps(data))


def test_schema_is_valid_and_accepts_bundled_scenarios():
    schema = scenario_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for path in [DEMO, *sorted(TRAINING.glob("*.yaml"))]:
        errors = list(validator.iter_errors(_as_json(path)))
        assert errors == [], f"{path.name}: {errors[0].message}"


def test_schema_rejects_a_broken_document():
    validator = jsonschema.Draft202012Validator(scenario_json_schema())
    doc = _as_json(DEMO)
    doc["actors"][0]["assets"][0]["delta_v_mps"] = -5
    doc["teams"][0]["role"] = "purple"
    assert len(list(validator.iter_errors(doc))) >= 2


def test_model_round_trips_through_json():
    model = load_scenario(DEMO)
    again = Scenario.model_validate_json(model.model_dump_json(by_alias=True))
    assert again == model


def test_demo_is_asterx_scale():
    s = load_scenario(DEMO)
    injects = [inj for _, _, inj in s.iter_injects()]
    kinds = {inj.action.kind for inj in injects if inj.action is not None}
    assert len(injects) >= 20
    assert len(kinds) >= 8
    assert s.world.catalog.synthetic.n >= 4000
    assert sum(len(a.sensors) for a in s.actors) >= 30
    roles = [t.role for t in s.teams]
    assert roles.count("blue") == 3 and "red" in roles and "white" in roles
    blue = {t.id for t in s.teams if t.role == "blue"}
    assert {ag.provider for ag in s.sharing} <= blue and len(s.sharing) >= 3
    assert s.exercise.duration.total_seconds() >= 14 * 86400


def test_one_training_scenario_per_threat_type():
    names = {p.stem for p in TRAINING.glob("*.yaml")}
    physical = set(THREAT_ACTIONS) - {"media", "diplomatic_note"}
    assert physical <= names
    for path in TRAINING.glob("*.yaml"):
        s = load_scenario(path)
        assert s.world.catalog.synthetic.n <= 500
        assert s.exercise.duration.total_seconds() <= 86400
        kinds = {inj.action.kind for _, _, inj in s.iter_injects() if inj.action}
        # one per kind, named after it; a variant is <kind>_<what> (geo_rendezvous_hold)
        assert any(path.stem == k or path.stem.startswith(f"{k}_") for k in kinds), path.stem


runner = CliRunner()


def test_cli_validate_json_valid():
    res = runner.invoke(app, ["exercise", "validate", "--json", str(DEMO)])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["valid"] is True and doc["files"][0]["errors"] == 0


def test_cli_validate_json_reports_path_and_line(tmp_path):
    text = DEMO.read_text().replace(
        "trigger: {after: ME-02/MI-02.1/INJ-004, on: released",
        "trigger: {after: ME-02/INJ-9, on: released",
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    line = 1 + next(i for i, ln in enumerate(text.splitlines()) if "after: ME-02/INJ-9" in ln)
    res = runner.invoke(app, ["exercise", "validate", "--json", str(bad)])
    assert res.exit_code == 1
    doc = json.loads(res.stdout)  # exactly one JSON object
    issues = doc["files"][0]["issues"]
    assert [(i["path"], i["line"], i["message"]) for i in issues] == [
        ("events[1].incidents[0].injects[2].trigger.after", line, "unknown inject ME-02/INJ-9")
    ]


def test_cli_schema_out(tmp_path):
    out = tmp_path / "scenario.schema.json"
    res = runner.invoke(app, ["exercise", "schema", "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["schema"] == str(out)
    assert json.loads(out.read_text())["title"]
    res = runner.invoke(app, ["exercise", "schema"])
    assert json.loads(res.stdout)["$schema"].endswith("2020-12/schema")


def test_annotated_example_in_the_docs_is_valid():
    from spacerange.exercise.validate import validate_text

    doc = (REPO / "docs" / "scenario-format.md").read_text()
    example = doc.split("## Annotated example")[1].split("```yaml\n")[1].split("```")[0]
    _, issues = validate_text(example)
    assert [str(i) for i in issues] == []
