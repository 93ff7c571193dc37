"""Command tree of ``spacerange``; each command module registers itself on ``app``."""

from __future__ import annotations

import typer

from spacerange import __version__

app = typer.Typer(
    name="spacerange",
    help="Space situational awareness engine and space-operations exercise range.",
    rich_markup_mode="rich",
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


def main() -> None:
    app()
