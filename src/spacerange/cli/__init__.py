"""The one ``spacerange`` command (Typer + Rich).

A thin shell over the Python API: parse arguments, call, print.  With ``--json`` every
subcommand prints exactly one JSON object on stdout; logs and progress go to stderr.
"""

from spacerange.cli.app import app, main

__all__ = ["app", "main"]
