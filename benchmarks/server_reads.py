"""Read latency of the exercise server while its engine is busy: a local ``spacerange
serve`` of a scenario (default asterx-demo) with the clock running fast enough that the
engine thread never idles, and one team's client polling two reads in turn.

* ``GET /api/exercise/events?after=N`` (ours): read from the log's committed rows through
  its own connection, never queued behind the engine;
* ``GET /api/exercise/view`` (the baseline from the same run): the team's picture, which
  has to be computed on the engine thread, so it waits for the clock step in progress
  (at most ``ExerciseSession.max_step_s`` of scenario time per engine call).

Reports p50/p95/max of each.  ``--json`` prints one JSON object as the last line.

    .venv/bin/python benchmarks/server_reads.py [--scenario FILE] [--speed 3600]
        [--duration 60] [--json]
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import REPO, free_port, latency_ms  # noqa: E402

TEAM = "ardenia-ops"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=str(REPO / "scenarios" / "asterx-demo.yaml"))
    ap.add_argument("--speed", type=float, default=3600.0, help="scenario s per wall s")
    ap.add_argument("--duration", type=float, default=60.0, help="wall seconds of polling")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    import httpx

    from spacerange.server.auth import hash_password
    from spacerange.server.store import Store

    tmp = Path(tempfile.mkdtemp(prefix="sr-reads-"))
    db = f"sqlite:///{tmp / 'server.sqlite'}"
    password = "read-bench-password"
    store = Store(db)
    h = hash_password(password)
    store.upsert_user("excon", h, "white", None)
    store.upsert_user("blue00", h, "blue", TEAM)
    store.close()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "spacerange", "serve", args.scenario, "--run-dir",
           str(tmp / "run"), "--db", db, "--port", str(port), "--no-demo-accounts",
           "--tick", "0.5", "--speed", str(args.speed)]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=(tmp / "server.log").open("wb"), stderr=subprocess.STDOUT)
    out: dict = {"events": [], "view": []}
    try:
        t_start = time.monotonic()
        while time.monotonic() - t_start < 600:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        startup_s = time.monotonic() - t_start
        with httpx.Client(base_url=base, timeout=300) as http:

            def login(user: str) -> dict:
                r = http.post("/api/auth/login", json={"username": user, "password": password})
                r.raise_for_status()
                return {"Authorization": "Bearer " + r.json()["token"]}

            hx, hb = login("excon"), login("blue00")
            http.post("/api/excon/start", headers=hx).raise_for_status()
            after, n_events = 0, 0
            deadline = time.monotonic() + args.duration
            while time.monotonic() < deadline:
                t0 = time.perf_counter()
                r = http.get("/api/exercise/events", params={"after": after}, headers=hb)
                out["events"].append(time.perf_counter() - t0)
                r.raise_for_status()
                evs = r.json()
                if evs:
                    after, n_events = evs[-1]["seq"], n_events + len(evs)
                t0 = time.perf_counter()
                http.get("/api/exercise/view", headers=hb).raise_for_status()
                out["view"].append(time.perf_counter() - t0)
                time.sleep(0.2)
            clock = http.get("/api/exercise/state", headers=hb)
            sim_now = clock.json().get("sim_time_utc") if clock.status_code == 200 else None
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    res = {
        "scenario": Path(args.scenario).name,
        "speed": args.speed,
        "duration_s": args.duration,
        "startup_s": round(startup_s, 1),
        "sim_time_utc_at_end": sim_now,
        "events_read_by_team": n_events,
        "events_read_latency": latency_ms(out["events"]),
        "baseline_view_read_latency": latency_ms(out["view"]),
    }
    if not args.json:
        print(f"{res['scenario']} at x{args.speed:g} for {args.duration:g} s "
              f"(server up in {res['startup_s']} s; clock at {sim_now})")  # fmt: skip
        print("GET /api/exercise/events ", res["events_read_latency"])
        print("GET /api/exercise/view   ", res["baseline_view_read_latency"], "(baseline)")
    print(json.dumps(res))


if __name__ == "__main__":
    main()
