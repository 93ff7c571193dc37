"""Small helpers shared by the benchmark scripts (data location, memory sampling, output)."""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def data_root() -> Path:
    env = os.environ.get("SPACERANGE_DATA")
    root = Path(env) if env else REPO.parent / "shared" / "data"
    if not root.is_dir():
        sys.exit(f"reference data not found at {root}: set SPACERANGE_DATA")
    return root


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (for a server a benchmark starts)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def latency_ms(seconds: list[float]) -> dict:
    """Percentiles of latencies given in seconds: ``n``, ``p50_ms``, ``p95_ms``, ``p99_ms``,
    ``max_ms`` (``{"n": 0}`` for none)."""
    if not seconds:
        return {"n": 0}
    import numpy as np

    a = np.asarray(seconds, float) * 1000.0
    out = {"n": len(a)}
    for q in (50, 95, 99):
        out[f"p{q}_ms"] = round(float(np.percentile(a, q)), 2)
    return {**out, "max_ms": round(float(a.max()), 2)}


def _tree_rss_bytes(pid: int) -> int:
    """Resident memory of ``pid`` and all its descendants (Linux /proc)."""
    total = 0
    stack = [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    stack.extend(int(c) for c in f.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


class PeakMemory:
    """Samples the RSS of this process tree every ``interval`` s; ``peak_mb`` after exit.

    Shared pages (the forked workers' copy-on-write parent pages, our shared output
    slots) are counted once per process, so this over-estimates: a safe upper bound."""

    def __init__(self, interval: float = 0.05):
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()

    def __enter__(self):
        self.peak = _tree_rss_bytes(os.getpid())
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, _tree_rss_bytes(os.getpid()))
            time.sleep(self.interval)

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()

    @property
    def peak_mb(self) -> float:
        return self.peak / 1e6


def report(figures: dict, as_json: bool) -> None:
    """Print the figures for people, then (``--json``) as one JSON object on the last line."""
    for k, v in figures.items():
        print(f"{k:>32}: {v}", file=sys.stderr if as_json else sys.stdout)
    if as_json:
        print(json.dumps(figures))
