"""Load test of the exercise server: N concurrent authenticated clients, each holding a
WebSocket and submitting REST actions, against a local ``spacerange serve`` on 127.0.0.1.

Reports p50/p95/p99 latency of actions (REST round trip) and of clock updates (server send
-> client receipt, same host clock), and checks that no message is lost: every accepted
action's log event must reach every subscriber of that team.  Stops by itself after
``--duration`` seconds.  ``--json`` prints one JSON object as the last line.  Target: p95 of
actions < 200 ms with 50 clients.

    .venv/bin/python benchmarks/server_load.py [--clients 50] [--duration 60] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import REPO, free_port, latency_ms  # noqa: E402

SCENARIO = REPO / "scenarios" / "training" / "high_pc_conjunction.yaml"
TEAM = "ardenia-ops"


async def client(i, base, ws_url, password, deadline, out, accepted, start_evt):
    import httpx
    import websockets

    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        r = await http.post("/api/auth/login", json={"username": f"blue{i:02d}",
                                                     "password": password})  # fmt: skip
        r.raise_for_status()
        token = r.json()["token"]
        hdr = {"Authorization": "Bearer " + token}
        got_seqs: set[int] = set()
        async with websockets.connect(ws_url, max_queue=None, ping_interval=None) as ws:
            await ws.send(json.dumps({"type": "auth", "token": token}))
            hello = json.loads(await ws.recv())
            assert hello["type"] == "hello", hello

            async def recv():
                while True:
                    m = json.loads(await ws.recv())
                    now = time.time()
                    if m["type"] == "clock" and m.get("running"):
                        out["clock"].append(now - m["server_time"])
                    elif m["type"] == "event":
                        ev = m["event"]
                        if ev["kind"] == "action_submitted":
                            got_seqs.add(ev["seq"])

            rt = asyncio.create_task(recv())
            await start_evt.wait()
            while time.monotonic() < _DEADLINE[0]:
                await asyncio.sleep(random.uniform(0.5 * args_period[0], 1.5 * args_period[0]))
                act = {"kind": "assessment", "threat": "conjunction",
                       "objects": ["ARD-EO-1", "DEB-4411"], "confidence": 0.5,
                       "narrative": f"EXERCISE load {i}"}  # fmt: skip
                t0 = time.perf_counter()
                r = await http.post("/api/exercise/actions", json=act, headers=hdr)
                out["action"].append(time.perf_counter() - t0)
                if r.status_code == 200 and r.json()["accepted"]:
                    accepted.add(r.json()["seq"])
                else:
                    out["errors"] += 1
                    out.setdefault("first_error", r.text[:300])
            await asyncio.sleep(3.0)  # drain
            rt.cancel()
        out["received"].append(got_seqs)


async def main_async(args, base, ws_url, password) -> dict:
    import httpx

    out = {"action": [], "clock": [], "errors": 0, "received": []}
    accepted: set[int] = set()
    start_evt = asyncio.Event()
    _DEADLINE[0] = time.monotonic() + 1e9
    tasks = [asyncio.create_task(client(i, base, ws_url, password, 0, out, accepted, start_evt))
             for i in range(args.clients)]  # fmt: skip
    await asyncio.sleep(0)
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        r = await http.post("/api/auth/login", json={"username": "excon", "password": password})
        hx = {"Authorization": "Bearer " + r.json()["token"]}
        await asyncio.sleep(3.0)  # all clients logged in and subscribed
        (await http.post("/api/excon/start", headers=hx)).raise_for_status()
    _DEADLINE[0] = time.monotonic() + args.duration
    start_evt.set()
    await asyncio.gather(*tasks)
    lost = sum(len(accepted - got) for got in out["received"])
    return {
        "clients": args.clients,
        "action_period_s": args.period,
        "duration_s": args.duration,
        "actions_accepted": len(accepted),
        "action_errors": out["errors"],
        "action_latency": latency_ms(out["action"]),
        "clock_latency": latency_ms(out["clock"]),
        "messages_lost": lost,
        "first_error": out.get("first_error"),
        "subscribers_reporting": len(out["received"]),
    }


_DEADLINE = [0.0]
args_period = [2.0]  # mean seconds between one client's actions


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--period", type=float, default=2.0, help="mean s between actions/client")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    args_period[0] = args.period

    from spacerange.server.auth import hash_password
    from spacerange.server.store import Store

    tmp = Path(tempfile.mkdtemp(prefix="sr-load-"))
    db = f"sqlite:///{tmp / 'server.sqlite'}"
    password = "load-test-password"
    store = Store(db)
    h = hash_password(password)  # one hash shared by the test accounts (setup speed)
    store.upsert_user("excon", h, "white", None)
    for i in range(args.clients):
        store.upsert_user(f"blue{i:02d}", h, "blue", TEAM)
    store.close()
    port = free_port()
    base, ws_url = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/ws"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "spacerange",
            "serve",
            str(SCENARIO),
            "--run-dir",
            str(tmp / "run"),
            "--db",
            db,
            "--port",
            str(port),
            "--no-demo-accounts",
            "--tick",
            "0.5",
            "--speed",
            "300",  # ENDEX (12 h) after 144 s of wall time: longer than the run
        ],
        stdout=(tmp / "server.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        import httpx

        for _ in range(300):
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        res = asyncio.run(main_async(args, base, ws_url, password))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
    res["target_p95_ms"] = 200
    res["ok"] = bool(res["messages_lost"] == 0 and res["action_latency"].get("p95_ms", 1e9) < 200)
    if not args.json:
        print(f"{res['clients']} clients x {res['duration_s']:.0f} s: "
              f"{res['actions_accepted']} actions, lost {res['messages_lost']}")  # fmt: skip
        print("actions", res["action_latency"])
        print("clock  ", res["clock_latency"])
    print(json.dumps(res))


if __name__ == "__main__":
    main()
