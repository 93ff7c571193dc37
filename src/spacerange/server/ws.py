"""WebSocket ``/ws``: live clock, events and messages, with per-message authorization.

Protocol (JSON text frames):
  client -> ``{"type": "auth", "token": "<bearer token>"}`` first (within 10 s);
  server -> ``{"type": "hello", "user": {...}, "clock": {...}}`` then a stream of
  ``{"type": "clock"|"event"|"message", ...}``.  Client may send ``{"type": "ping"}``
  (-> ``pong``) and ``{"type": "action", "id": ..., "action": {...}}`` (-> ``action_result``).
Every outgoing event is filtered for the subscriber's team; the token's session is
re-checked at least once a second and the socket closes with code 4401 once it is revoked
or expired; a forbidden request gets ``{"type": "error", "status": 403}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import ValidationError

from spacerange.server.deps import principal_from_token
from spacerange.server.engine import ACTION_ROLES
from spacerange.server.schemas import ActionIn

router = APIRouter(tags=["live"])

CLOSE_UNAUTHORIZED = 4401


@router.websocket("/ws")
async def live(ws: WebSocket) -> None:
    app = ws.app
    await ws.accept()
    try:
        first = json.loads(await asyncio.wait_for(ws.receive_text(), timeout=10))
        token = str(first.get("token", "")) if first.get("type") == "auth" else ""
    except (TimeoutError, json.JSONDecodeError, WebSocketDisconnect, AttributeError):
        token = ""
    who = principal_from_token(token, app.state.signer, app.state.store) if token else None
    sess = getattr(app.state, "session", None)
    if who is None or sess is None:
        with contextlib.suppress(Exception):
            await ws.close(code=CLOSE_UNAUTHORIZED, reason="authentication required")
        return
    sub = sess.subscribe(who)
    await ws.send_json(
        {
            "type": "hello",
            "user": {"username": who.username, "role": who.role, "team": who.team},
            "clock": sess.clock_message(),
            "last_seq": sess.last_seq,
        }
    )

    async def still_valid() -> bool:
        # the store is synchronous: keep its query off the event loop
        ls = await asyncio.to_thread(app.state.store.valid_login_session, who.sid)
        return ls is not None

    async def sender() -> None:
        checked = time.monotonic()
        while True:
            try:
                msg = await asyncio.wait_for(sub.queue.get(), timeout=1.0)
            except TimeoutError:
                msg = None
            if time.monotonic() - checked >= 1.0:
                checked = time.monotonic()
                if not await still_valid():
                    await ws.close(code=CLOSE_UNAUTHORIZED, reason="session ended")
                    return
            if msg is not None:
                await ws.send_text(msg)

    async def receiver() -> None:
        while True:
            raw = await ws.receive_text()
            try:
                req = json.loads(raw)
                kind = req.get("type")
            except (json.JSONDecodeError, AttributeError):
                await ws.send_json({"type": "error", "status": 400, "detail": "bad JSON"})
                continue
            if not await still_valid():
                await ws.close(code=CLOSE_UNAUTHORIZED, reason="session ended")
                return
            if kind == "ping":
                await ws.send_json({"type": "pong", "t": req.get("t"), "server_time": time.time()})
            elif kind == "action":
                rid = req.get("id")
                if who.role not in ACTION_ROLES or who.team not in sess.roles:
                    await ws.send_json(
                        {"type": "error", "id": rid, "status": 403, "detail": "read-only role"}
                    )
                    continue
                try:
                    action = ActionIn.model_validate(req.get("action") or {}).model_dump()
                except ValidationError as e:
                    await ws.send_json(
                        {"type": "error", "id": rid, "status": 422, "detail": str(e)[:2000]}
                    )
                    continue
                res = await sess.submit_action(who.team, who.username, action)
                await ws.send_json({"type": "action_result", "id": rid, **res})
            else:
                await ws.send_json({"type": "error", "status": 400, "detail": f"type {kind!r}?"})

    tasks = [asyncio.create_task(sender()), asyncio.create_task(receiver())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(BaseException):
                await t
        sess.unsubscribe(sub)
        with contextlib.suppress(Exception):
            await ws.close()
