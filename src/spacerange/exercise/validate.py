"""Load and validate exercise scenario files, reporting every problem with its path and line.

Three passes, all run so that one report lists every error:

1. YAML, read by a SafeLoader variant that keeps each node's line, refuses duplicate keys
   and keeps timestamps as text (pydantic parses them) and only ``true``/``false`` as
   booleans (``NO`` stays the string ``"NO"``, not ``False``);
2. the pydantic models (:mod:`spacerange.exercise.scenario`): types, ranges, required
   fields, rule syntax; error ``loc`` tuples are mapped back to the data path and line;
3. cross-reference checks the models cannot do alone: unknown or duplicate ids (teams,
   actors, assets/objects, sensors, objectives, critical tasks, inject serials), inject
   times outside STARTEX..ENDEX, trigger cycles, delta-v beyond an asset's budget, sensor
   refs absent from the bundled site network, capability flags, missing files.

Each problem is an :class:`Issue` ``(path, line, message, severity)``, e.g.
``events[1].incidents[0].injects[3].trigger.after: unknown inject ME-02/INJ-9`` at line 57.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from spacerange.exercise.scenario import Scenario
from spacerange.exercise.scenario.cross_checks import _cross_checks, _Ctx, bundled_sites
from spacerange.exercise.scenario.issues import Issue, ScenarioError, format_path
from spacerange.exercise.scenario.yaml_lines import _pydantic_issues, read_yaml

__all__ = [
    "Issue",
    "ScenarioError",
    "load_scenario",
    "load_scenario_text",
    "validate_file",
    "validate_text",
    "read_yaml",
    "scenario_json_schema",
    "bundled_sites",
    "format_path",
]


def validate_text(
    text: str,
    file: str = "<scenario>",
    base_dir: str | Path | None = None,
    sites: Mapping[str, Iterable[str]] | None | bool = True,
) -> tuple[Scenario | None, list[Issue]]:
    """Validate scenario YAML text; returns the model (``None`` if any error) and every
    issue sorted by line.  ``base_dir`` resolves relative file paths (not checked when
    ``None``); ``sites`` maps network names to site ids (``True``: the bundled network)."""
    data, lines, issues = read_yaml(text, file)
    if data is None:
        return None, issues
    if not isinstance(data, dict):
        return None, [*issues, Issue("", 1, "a scenario is a YAML mapping", file=file)]
    if sites is True:
        site_map = bundled_sites()
    elif sites is None or sites is False:
        site_map = None
    else:
        site_map = {k: frozenset(s.upper() for s in v) for k, v in sites.items()}
    model, p_issues = _pydantic_issues(data, lines, file)
    ctx = _Ctx(data, lines, file, Path(base_dir) if base_dir is not None else None, site_map)
    _cross_checks(ctx)
    seen = {(i.path, i.message) for i in p_issues}
    all_issues = issues + p_issues + [i for i in ctx.issues if (i.path, i.message) not in seen]
    all_issues.sort(key=lambda i: (i.line, i.path))
    if any(i.severity == "error" for i in all_issues):
        model = None
    return model, all_issues


def validate_file(path: str | Path) -> list[Issue]:
    """Every issue (errors and warnings) of a scenario file, sorted by line."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        return [Issue("", 0, f"cannot read: {exc.strerror or exc}", file=str(p))]
    return validate_text(text, str(p), p.parent)[1]


def load_scenario_text(
    text: str, file: str = "<scenario>", base_dir: str | Path | None = None
) -> Scenario:
    """Parse and validate scenario text; raises :class:`ScenarioError` on any error."""
    model, issues = validate_text(text, file, base_dir)
    if model is None:
        raise ScenarioError(file, issues)
    return model


def load_scenario(path: str | Path) -> Scenario:
    """Load a scenario file; raises :class:`ScenarioError` listing every
    ``(path, line, message)`` when it has errors (warnings do not stop it)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(
            str(p), [Issue("", 0, f"cannot read: {exc.strerror or exc}", file=str(p))]
        ) from None
    return load_scenario_text(text, str(p), p.parent)


def scenario_json_schema() -> dict:
    """The JSON Schema (draft 2020-12) of a scenario document."""
    schema = Scenario.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://spacerange.dev/schemas/scenario-v1.json"
    schema.setdefault("title", "spacerange exercise scenario")
    return schema
