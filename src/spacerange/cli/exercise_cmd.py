"""``spacerange exercise ...``: validate scenario files and publish their JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from spacerange.cli.app import app
from spacerange.cli.common import deprecated_alias, emit, err, guard, out, output_format

exercise_app = typer.Typer(
    help="Exercise scenarios: validate files, export the JSON Schema, run a scenario to ENDEX "
    "and write its after-action report.",
    no_args_is_help=True,
)
app.add_typer(exercise_app, name="exercise")


@exercise_app.command("validate")
def validate(
    files: list[Path] = typer.Argument(
        ..., help="Scenario YAML file(s), or names of bundled scenarios (e.g. asterx-demo)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Check scenario files; list every error with its path and line (exit 1 on errors)."""
    from spacerange.exercise.validate import validate_file
    from spacerange.scenarios import resolve_scenario

    with guard(as_json):
        results = []
        for f in files:
            f = resolve_scenario(f)
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
        if out_file is not None:
            output_format(out_file, {".json": "json"})
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


@exercise_app.command("run")
def run(
    file: Path = typer.Argument(
        ..., help="Scenario YAML file, or the name of a bundled scenario (e.g. asterx-demo)."
    ),
    autopilot: list[str] = typer.Option(
        [],
        "--autopilot",
        help="TEAM=competent|passive|gaming or ROLE=... (e.g. blue=gaming); repeat.",
    ),
    speed: str = typer.Option(
        "max", "--speed", help="'max' (as fast as possible) or scenario seconds per wall second."
    ),
    out_dir: Path = typer.Option(None, "--out-dir", help="Run directory (default runs/NAME-UTC)."),
    out_old: Path = typer.Option(None, "--out", hidden=True, help="Deprecated: use --out-dir."),
    seed: int = typer.Option(None, "--seed", help="Override the scenario's seed."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Play a scenario to ENDEX (autopilots for unattended teams); writes RUN_DIR with the
    event log and summary.json."""
    from spacerange.cli.common import exercise_progress
    from spacerange.exercise.runner import parse_autopilots, parse_speed, run_exercise
    from spacerange.scenarios import resolve_scenario

    with guard(as_json):
        out_dir = deprecated_alias("--out", "--out-dir", out_old, out_dir)
        file = resolve_scenario(file)
        with exercise_progress() as progress:
            result = run_exercise(file, out_dir, parse_autopilots(autopilot), parse_speed(speed),
                                  seed=seed, progress=progress)  # fmt: skip

    def render(r: dict) -> None:
        from rich.table import Table

        t = Table(title=f"{r['scenario']}: {r['injects']} injects, {r['threat_types']} threat "
                        f"types, {r['events']} events, {r['collisions']} collision(s)")  # fmt: skip
        for c in ("team", "role", "autopilot", "score", "ratings"):
            t.add_column(c)
        for tid, v in r["teams"].items():
            t.add_row(tid, v["role"], v.get("autopilot") or "-",
                      "-" if v["score"] is None else f"{v['score']:.1f}",
                      " ".join(f"{k}:{x}" for k, x in v["ratings"].items()))  # fmt: skip
        out.print(t)
        out.print(f"run directory: {r['run']} ({r['wall_s']} s)")

    emit(result, as_json, render)


@exercise_app.command("report")
def report(
    run_dir: Path = typer.Argument(..., help="Run directory of 'exercise run'."),
    out_file: Path = typer.Option(None, "--out", help="HTML file (default RUN_DIR/report.html)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Write the after-action report (HTML, and PDF when chromium is available)."""
    with guard(as_json):
        if not (run_dir / "events.sqlite").is_file():
            raise ValueError(f"{run_dir}: not a run directory (no events.sqlite)")
        from spacerange.exercise.report import write_report

        res = write_report(run_dir, out_file)
        pdf = getattr(res, "pdf", None)
        result = {"html": str(getattr(res, "html", res)), "pdf": None if pdf is None else str(pdf)}
    emit(result, as_json, lambda r: out.print(f"report: {r['html']}" +
                                              (f" and {r['pdf']}" if r["pdf"] else "")))  # fmt: skip
