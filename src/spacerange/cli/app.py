"""Command tree of ``spacerange``; each command module registers itself on ``app``."""

from __future__ import annotations

import sys

import typer

from spacerange import __version__

app = typer.Typer(
    name="spacerange",
    help="Space situational awareness engine and space-operations exercise range.",
    rich_markup_mode=None,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Debug logging on stderr."),
) -> None:
    from spacerange.cli.common import setup_logging

    setup_logging(verbose)


def _register() -> None:
    # Imported for their side effect of adding commands to ``app``.
    from spacerange.cli import (  # noqa: F401
        catalog_cmd,
        demo_cmd,
        events_cmd,
        exercise_cmd,
        export_cmd,
        od_cmd,
        pc_cmd,
        propagate_cmd,
        screen_cmd,
        sensors_cmd,
        serve_cmd,
    )


_register()


#: Exit codes (docs/vocabulary.md): 0 success, 1 an error in the input or the work (the
#: message says which), 2 a usage error (unknown option, bad option value), 70 an internal
#: error (a bug: please report it), 130 interrupted.
EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 70, 130


def main(argv: list[str] | None = None) -> int:
    """Run the command line; with ``--json`` anywhere in ``argv`` every failure, usage errors
    and unexpected exceptions included, is one JSON object ``{"error": ...}`` on stdout.
    Exits the process with the code of :data:`EXIT_OK` ... :data:`EXIT_INTERRUPTED`."""
    sys.exit(run(argv))


#: Metavars by parameter type: plain words instead of ``<list[Path]>`` or ``<bool>``.
_METAVARS = {
    "path": "PATH",
    "file": "PATH",
    "integer": "INTEGER",
    "int": "INTEGER",
    "float": "NUMBER",
    "number": "NUMBER",
    "text": "TEXT",
    "str": "TEXT",
    "string": "TEXT",
    "boolean": "BOOLEAN",
    "bool": "BOOLEAN",
}


def _metavar(param) -> str:
    """A plain metavar: NAME for arguments, a|b|c for choices, else the value type in words."""
    import typing
    from pathlib import Path

    if param.param_type_name == "argument":
        # The name says what it is; typer would add the Python type (<list[Path]>) after it.
        if hasattr(param, "display_type_rich"):
            param.display_type_rich = lambda ctx: None
        return param.name.upper()
    desc = getattr(param, "type_descriptor", None)
    if desc is not None:  # typer >= 0.22
        if desc.is_choice:
            return "|".join(str(getattr(c, "value", c)) for c in desc.choices)
        ann = desc.annotation
        while typing.get_args(ann) and typing.get_origin(ann) is not None:
            ann = next(a for a in typing.get_args(ann) if a is not type(None))
        if isinstance(ann, type):
            if issubclass(ann, Path):
                return "PATH"
            if issubclass(ann, bool):
                return "BOOLEAN"
            for kind, word in ((int, "INTEGER"), (float, "NUMBER"), (str, "TEXT")):
                if issubclass(ann, kind):
                    return word
        return "TEXT"
    kind = str(getattr(getattr(param, "type", None), "name", "")).lower()
    return _METAVARS.get(kind, "TEXT")


def _plain_help(command) -> None:
    """Walk the command tree: plain-text help (reST ````literal```` marks dropped) and readable
    metavars, so every command's ``--help`` reads the same whoever wrote it."""
    for attr in ("help", "short_help"):
        text = getattr(command, attr, None)
        if text:
            setattr(command, attr, text.replace("``", ""))
    for param in getattr(command, "params", []):
        if getattr(param, "help", None):
            param.help = param.help.replace("``", "")
        if getattr(param, "is_flag", False) or getattr(param, "count", False):
            continue
        if getattr(param, "metavar", None) is None:
            param.metavar = _metavar(param)
    for sub in getattr(command, "commands", {}).values():
        _plain_help(sub)


def get_command():
    """The click command tree of :data:`app`, with plain help text and metavars."""
    command = typer.main.get_command(app)
    _plain_help(command)
    return command


def run(argv: list[str] | None = None) -> int:
    """:func:`main` without the ``sys.exit``: returns the exit code."""
    from spacerange.cli.common import emit, err

    try:  # typer >= 0.22 carries its own copy of click
        from typer._click import exceptions as cx
    except ImportError:  # pragma: no cover - older typer on the real click
        from click import exceptions as cx

    args = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in args
    command = get_command()
    try:
        rv = command.main(args=args, prog_name="spacerange", standalone_mode=False)
    except (typer.Exit, getattr(cx, "Exit", typer.Exit)) as exc:
        return exc.exit_code
    except cx.UsageError as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # ``spacerange group`` alone: its help
            sys.stdout.write(exc.format_message() + "\n")
            return EXIT_OK
        message = exc.format_message()
        if as_json:
            emit({"error": message, "kind": "usage"}, True)
        if exc.ctx is not None:
            err.print(exc.ctx.get_usage())
        err.print(f"[bold red]error:[/] {message}")
        err.print("Try 'spacerange --help' or 'spacerange COMMAND --help'.")
        return EXIT_USAGE
    except getattr(cx, "ClickException", cx.UsageError) as exc:
        if as_json:
            emit({"error": exc.format_message()}, True)
        err.print(f"[bold red]error:[/] {exc.format_message()}")
        return exc.exit_code
    except (typer.Abort, getattr(cx, "Abort", typer.Abort), KeyboardInterrupt):
        if as_json:
            emit({"error": "interrupted", "kind": "interrupted"}, True)
        err.print("[bold red]interrupted[/]")
        return EXIT_INTERRUPTED
    except Exception as exc:  # the last line of defence: no traceback on stdout
        import logging
        import traceback

        message = f"internal error: {type(exc).__name__}: {exc}"
        if as_json:
            emit({"error": message, "kind": "internal"}, True)
        logging.getLogger("spacerange").debug("".join(traceback.format_exception(exc)))
        err.print(f"[bold red]{message}[/] (run with -v for the traceback; please report it)")
        return EXIT_INTERNAL
    return rv if isinstance(rv, int) else EXIT_OK
