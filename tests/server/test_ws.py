"""WebSocket: authentication, live clock, per-subscriber filtering, revocation."""

from __future__ import annotations

import pytest
from srv_helpers import INJECT, login, make_client
from starlette.websockets import WebSocketDisconnect


def _collect(ws, until, n_max=200):
    seen = []
    for _ in range(n_max):
        msg = ws.receive_json()
        seen.append(msg)
        if until(msg):
            return seen
    raise AssertionError(f"condition not met in {n_max} messages: {seen[-3:]}")


def test_ws_filters_per_team_and_closes_on_logout(scenario_file, tmp_path):
    with make_client(scenario_file, tmp_path, tick_s=0.05) as c:
        hx, ha, hb = login(c, "excon"), login(c, "ardenia"), login(c, "borealis")
        with c.websocket_connect("/ws") as wa, c.websocket_connect("/ws") as wb:
            wa.send_json({"type": "auth", "token": ha["Authorization"][7:]})
            wb.send_json({"type": "auth", "token": hb["Authorization"][7:]})
            assert wa.receive_json()["type"] == "hello"
            assert wb.receive_json()["user"]["team"] == "borealis-ops"
            c.post("/api/excon/start", headers=hx)
            c.post("/api/excon/inject/release", json={"serial": INJECT}, headers=hx)
            _collect(wa, lambda m: m["type"] == "event"
                           and m["event"]["kind"] == "message")  # fmt: skip
            # borealis: clock updates flow, the inject never does
            msgs = _collect(wb, lambda m: m["type"] == "clock" and m["running"], 100)
            msgs += [wb.receive_json() for _ in range(10)]
            assert not [m for m in msgs if m["type"] == "event"
                        and m["event"]["kind"] in ("inject_released", "message")]  # fmt: skip
            # an observer cannot act through the socket; ardenia can
            wa.send_json({"type": "action", "id": 7,
                          "action": {"kind": "maneuver", "asset": "ARD-EO-1",
                                     "dv_rtn_mps": [0, 0.2, 0]}})  # fmt: skip
            res = _collect(wa, lambda m: m["type"] == "action_result")[-1]
            assert res["id"] == 7 and res["accepted"], res
            # logout: the socket is closed with 4401 within about a second
            c.post("/api/auth/logout", headers=hb)
            with pytest.raises(WebSocketDisconnect) as exc:
                for _ in range(400):
                    wb.receive_json()
            assert exc.value.code == 4401


def test_ws_refuses_without_token(scenario_file, tmp_path):
    with make_client(scenario_file, tmp_path) as c:
        with c.websocket_connect("/ws") as w:
            w.send_json({"type": "auth", "token": "forged.token"})
            with pytest.raises(WebSocketDisconnect) as exc:
                w.receive_json()
            assert exc.value.code == 4401
        ho = login(c, "observer")
        with c.websocket_connect("/ws") as w:
            w.send_json({"type": "auth", "token": ho["Authorization"][7:]})
            assert w.receive_json()["type"] == "hello"
            w.send_json({"type": "action", "id": 1, "action": {"kind": "rfi"}})
            res = _collect(w, lambda m: m["type"] == "error")[-1]
            assert res["status"] == 403
