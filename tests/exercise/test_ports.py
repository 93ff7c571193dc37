"""The typed boundaries of the exercise (issue 11, section 4): the concrete world, pictures
and adjudicator satisfy the Protocols of :mod:`spacerange.exercise.ports` (member by
member, parameter names included), and ``Any`` has left the boundary modules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from spacerange.exercise.adjudication import Adjudicator
from spacerange.exercise.ports import AdjudicatorPort, PicturePort, WorldPort, missing_members
from spacerange.exercise.validate import load_scenario

REPO = Path(__file__).resolve().parents[2]
PKG = REPO / "src" / "spacerange" / "exercise"

#: modules that hold the engine / world / pictures / adjudication boundaries
BOUNDARY = ["engine", "world", "picture", "port.py", "ports.py", "adjudication.py",
            "rulefuncs.py", "runner.py", "teamview.py", "autopilot.py"]  # fmt: skip
#: the ``Any`` left there, each with its reason (scenario parsing, the report's readers and
#: the YAML/JSON helpers take arbitrary documents and are not boundaries between parts)
ALLOWED_ANY = {
    "world/model.py": 1,  # to_utc64(t): the UTC parser, accepts anything and refuses bad input
}


@pytest.fixture(scope="module")
def world_and_pictures():
    from spacerange.exercise.engine import default_world_factory

    sc = load_scenario(REPO / "scenarios" / "training" / "high_pc_conjunction.yaml")
    sc.world.catalog.synthetic.n = 5
    return sc, *default_world_factory(sc, 1, REPO / "scenarios" / "training")


def test_world_satisfies_world_port(world_and_pictures):
    _, world, _ = world_and_pictures
    assert isinstance(world, WorldPort)
    assert missing_members(world, WorldPort) == []


def test_pictures_satisfy_picture_port(world_and_pictures):
    _, world, pictures = world_and_pictures
    assert isinstance(pictures, PicturePort)
    assert missing_members(pictures, PicturePort) == []
    assert isinstance(world.pictures, PicturePort)  # the pictures attach themselves


def test_adjudicator_satisfies_adjudicator_port(world_and_pictures):
    sc, _, _ = world_and_pictures
    adj = Adjudicator(sc)
    assert isinstance(adj, AdjudicatorPort)
    assert missing_members(adj, AdjudicatorPort) == []


def test_the_structural_check_can_fail():
    class Half:
        clock_utc = None

        def obj(self, object_id):  # noqa: D102
            return None

        def states(self, when):  # a different parameter name
            return None

    missing = missing_members(Half(), WorldPort)
    assert "state_of" in missing and "objects" in missing
    assert any(m.startswith("states(") for m in missing)
    assert not isinstance(Half(), WorldPort)


def _any_uses(path: Path) -> int:
    tree = ast.parse(path.read_text())
    n = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "Any":
            n += 1
        elif isinstance(node, ast.Attribute) and node.attr == "Any":
            n += 1
    return n


def test_any_has_left_the_boundaries():
    files = []
    for b in BOUNDARY:
        p = PKG / b
        files += sorted(p.rglob("*.py")) if p.is_dir() else [p]
    found = {str(f.relative_to(PKG)): _any_uses(f) for f in files}
    found = {k: v for k, v in found.items() if v}
    assert found == ALLOWED_ANY, f"Any at the exercise boundaries: {found}"
