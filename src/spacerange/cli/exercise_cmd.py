"""``spacerange exercise ...``: validate scenario files and publish their JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from spacerange.cli.app import app
from spacerange.cli.common import emit, err, guard, out

exercise_app = typer.Typer(
    help="Exercise scenarios: validate files, export the JSON Schema.", no_args_is_help=True
)
app.add_typer(exercise_app, name="exercise")


@exercise_app.command("validate")
def validate(
    files: list[Path] = typer.Argument(..., help="Scenario YAML file(s)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Check scenario files; list every error with its path and line (exit 1 on errors)."""
    from spacerange.exercise.validate import validate_file

    with guard(as_json):
        results = []
        for f in files:
            issues = validate_file(f)
            n_err = sum(i.severity == "error" for i in issues)
            results.append(
                {
                    "file": str(f),
                    "valid": n_err == 0,
                    "errors": n_err,
                    "warnings": len(issues) - n_err,
                    "issues": [i.as_dict() for i in issues],
                }
            )
    result = {"valid": all(r["valid"] for r in results), "files": results}

    def render(r: dict) -> None:
        for fr in r["files"]:
            for i in fr["issues"]:
                colour = "red" if i["severity"] == "error" else "yellow"
                where = f"{i['file']}:{i['line']}" if i["line"] else i["file"]
                path = f"{i['path']}: " if i["path"] else ""
                out.print(f"[{colour}]{i['severity']}[/] {where}: {path}{i['message']}")
            verdict = "[green]valid[/]" if fr["valid"] else "[bold red]INVALID[/]"
            err.print(
                f"{fr['file']}: {verdict} ({fr['errors']} error(s), {fr['warnings']} warning(s))"
            )

    emit(result, as_json, render)
    if not result["valid"]:
        raise typer.Exit(1)


@exercise_app.command("schema")
def schema(
    out_file: Path = typer.Option(None, "--out", help="Write the schema to this file."),
    as_json: bool = typer.Option(
        False,
        "--json",
        help="Print one JSON object on stdout "
        "(the schema itself, or a summary when --out is given).",
    ),
) -> None:
    """Print (or write) the JSON Schema of scenario files."""
    from spacerange.exercise.validate import scenario_json_schema

    with guard(as_json):
        doc = scenario_json_schema()
        if out_file is not None:
            out_file.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    if out_file is None:
        emit(doc, True)
        return
    emit(
        {"schema": str(out_file), "definitions": len(doc.get("$defs", {}))},
        as_json,
        lambda r: out.print(f"wrote JSON Schema to {r['schema']} ({r['definitions']} definitions)"),
    )
