"""Shared test fixtures: where the real reference data lives, and physical tolerances."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]

ONE_METER_KM = 1e-3
ONE_MM_S_KM_S = 1e-6


def data_root() -> Path:
    """Root of the shared reference data (``SPACERANGE_DATA``, default ``../shared/data``)."""
    env = os.environ.get("SPACERANGE_DATA")
    return Path(env) if env else (REPO_ROOT.parent / "shared" / "data")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path to ``shared/data``; skips the test cleanly when the data are absent."""
    root = data_root()
    if not root.is_dir():
        pytest.skip(f"reference data not found at {root} (set SPACERANGE_DATA)")
    return root


_MODULE_FIXTURE = re.compile(r'@pytest\.fixture\(\s*scope="module"[^)]*\)\s*\n\s*def (\w+)')


def _module_fixture_modules(tests: Path) -> set[str]:
    """Test modules (as node ids spell them) that define a module-scoped fixture or name
    one defined in a conftest: their tests share it, so they run on one worker."""
    from_conftest: set[str] = set()
    for c in tests.rglob("conftest.py"):
        from_conftest |= set(_MODULE_FIXTURE.findall(c.read_text(encoding="utf-8")))
    words = re.compile(r"\b(" + "|".join(sorted(from_conftest)) + r")\b") if from_conftest else None
    out = set()
    for f in tests.rglob("test_*.py"):
        text = f.read_text(encoding="utf-8")
        if _MODULE_FIXTURE.search(text) or (words is not None and words.search(text)):
            out.add(f.relative_to(tests.parent).as_posix())
    return out


#: thread pools of the libraries below: one thread in each test process when pytest-xdist
#: runs one worker per core (GNU OpenMP's idle numba threads and OpenBLAS's spin against
#: the other workers; measured on 2 cores: four training scenarios' autopilot tests
#: 109 s -> 73 s wall, 215 s -> 136 s CPU)
THREAD_POOLS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS")


def pytest_configure(config):
    """Under ``-n``: the workers (and the servers and commands they start) inherit one
    thread per pool; a value already set in the environment wins."""
    if config.getvalue("numprocesses") and "PYTEST_XDIST_WORKER" not in os.environ:
        for var in THREAD_POOLS:
            os.environ.setdefault(var, "1")


#: the work unit queued first: its tests run no numba kernel (the installed wheel is the
#: base install, without numba), so one worker builds and runs it while the other compiles
#: SGP4's driver into the shared cache (53-55 s from a fresh clone); in collection order
#: both workers compiled it side by side (docs/performance.md, "Round 22")
NUMBA_FREE_FIRST = "tests/packaging/test_wheel.py"


def pytest_xdist_make_scheduler(config, log):
    """``make test`` (``-n auto --dist loadgroup``): xdist's own ``loadgroup`` groups by
    a suffix on the node id, which pytest 9 no longer lets a plugin set (each test of a
    group ran wherever; so did the PostgreSQL group).  This scheduler keeps the intent:
    one work unit per module that shares a module-scoped fixture (a built wheel, a started
    server, a catalog's orbit determination is then made once per run, not on each
    worker), one for the PostgreSQL tests, one per test otherwise; in collection order
    except :data:`NUMBA_FREE_FIRST` (the longest modules first made the browser drill
    fail at its start in a fresh clone, beside the wheel's build and the first numba
    compiles; not pursued)."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    grouped = _module_fixture_modules(Path(str(config.rootpath)) / "tests")
    config.option.loadscopereorder = False

    class ModuleFixtureScheduling(LoadScopeScheduling):
        first_assigned = False

        def _assign_work_unit(self, node) -> None:
            if not self.first_assigned:
                self.first_assigned = True
                if NUMBA_FREE_FIRST in self.workqueue:
                    self.workqueue.move_to_end(NUMBA_FREE_FIRST, last=False)
            super()._assign_work_unit(node)

        def _split_scope(self, nodeid: str) -> str:
            if "[postgresql" in nodeid:
                return "postgresql"
            path = nodeid.split("::", 1)[0]
            return path if path in grouped else nodeid

    return ModuleFixtureScheduling(config, log)


#: ``SPACERANGE_TEST_TIMELINE=FILE``: one JSON line per test (worker, node id, start and
#: end of its setup-call-teardown, wall clock [s], and the seconds numba compiled in the
#: test's own process), to see what ran beside what (docs/performance.md)
TIMELINE = os.environ.get("SPACERANGE_TEST_TIMELINE")


if TIMELINE:
    import json
    import time

    #: seconds this process spent in numba compiles (outermost ones; cache loads included)
    _COMPILE_S = [0.0]
    try:
        from numba.core import event as _numba_event

        class _CompileClock(_numba_event.Listener):
            depth, t0 = 0, 0.0

            def on_start(self, event):
                if self.depth == 0:
                    self.t0 = time.perf_counter()
                self.depth += 1

            def on_end(self, event):
                self.depth -= 1
                if self.depth == 0:
                    _COMPILE_S[0] += time.perf_counter() - self.t0

        _numba_event.register("numba:compile", _CompileClock())
    except ImportError:  # pragma: no cover - numba is in the dev extra
        pass

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(item, nextitem):
        start, compiled = time.time(), _COMPILE_S[0]
        yield
        line = json.dumps({"worker": os.environ.get("PYTEST_XDIST_WORKER", "main"),
                           "nodeid": item.nodeid, "start": start, "end": time.time(),
                           "numba_compile_s": round(_COMPILE_S[0] - compiled, 2)})  # fmt: skip
        with open(TIMELINE, "a", encoding="utf-8") as f:
            f.write(line + "\n")
