"""``python -m spacerange`` runs the ``spacerange`` command."""

from spacerange.cli import main

main()
