"""``python -m spacerange.cli.main`` runs the command (same as the ``spacerange`` script)."""

from spacerange.cli import main

if __name__ == "__main__":
    main()
