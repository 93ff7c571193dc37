"""The bundled exercise scenarios (``asterx-demo`` and the ``training/`` set).

In a source checkout they live in ``scenarios/`` at the repository root; the wheel carries
them as package data in ``spacerange/data/scenarios/`` (copied there by ``setup.py`` at build
time), so ``spacerange demo`` and ``spacerange serve`` work from any directory once installed.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent / "data" / "scenarios"
_CHECKOUT_DIR = Path(__file__).resolve().parents[2] / "scenarios"


def scenarios_dir() -> Path:
    """Directory of the bundled scenarios (package data first, else the source checkout)."""
    for d in (_PACKAGE_DIR, _CHECKOUT_DIR):
        if (d / "asterx-demo.yaml").is_file():
            return d
    raise FileNotFoundError(
        f"bundled scenarios not found (looked in {_PACKAGE_DIR} and {_CHECKOUT_DIR}); "
        "the installation is incomplete: reinstall spacerange"
    )


def bundled_names() -> list[str]:
    """Names of the bundled scenarios, e.g. ``asterx-demo``, ``training/debris_event``."""
    root = scenarios_dir()
    return sorted(str(p.relative_to(root).with_suffix("")) for p in root.rglob("*.yaml"))


def bundled_scenario(name: str) -> Path:
    """Path of the bundled scenario ``name`` (``asterx-demo``, ``training/new_launch``; a
    ``.yaml`` suffix and a leading ``scenarios/`` are accepted)."""
    rel = name.removeprefix("scenarios/").removesuffix(".yaml") + ".yaml"
    path = scenarios_dir() / rel
    if ".." in Path(rel).parts or not path.is_file():
        raise ValueError(
            f"{name}: no such bundled scenario (bundled: {', '.join(bundled_names())})"
        )
    return path


def resolve_scenario(arg: str | Path) -> Path:
    """A scenario argument as given on the command line: an existing file, else the name of
    a bundled scenario (so ``scenarios/asterx-demo.yaml`` works from any directory)."""
    path = Path(arg)
    if path.is_file():
        return path
    try:
        return bundled_scenario(str(arg))
    except ValueError:
        raise ValueError(
            f"{arg}: no such scenario file, nor a bundled scenario "
            f"(bundled: {', '.join(bundled_names())})"
        ) from None
