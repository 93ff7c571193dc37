"""WebSocket ``/ws``: live clock, events and messages, with per-message authorization.

Protocol (JSON text frames):
  client -> ``{"type": "auth", "token": "<bearer token>"}`` first (within 10 s);
  server -> ``{"type": "hello", "user": {...}, "clock": {...}}`` then a stream of
  ``{"type": "clock"|"event"|"message", ...}``.  Client may send ``{"type": "ping"}``
  (-> ``pong``) and ``{"type": "action", "id": ..., "action": {...}}`` (-> ``action_result``).
Frames must be JSON text holding an object (binary, malformed, non-object, oversized or
too deeply nested frames get ``{"type": "error", "status": 400}``).
Every outgoing event is filtered for the subscriber's team; the token's session is
re-checked at least once a second and the socket closes with code 4401 once it is revoked
or expired; a forbidden request gets ``{"type": "error", "status": 403}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import ValidationError

from spacerange.server.deps import principal_from_token
from spacerange.server.engine import ACTION_ROLES
from spacerange.server.limits import JSONLimitError, strict_loads
from spacerange.server.schemas import action_adapter, action_dict

router = APIRouter(tags=["live"])

CLOSE_UNAUTHORIZED = 4401


class _BadFrame(ValueError):
    pass


def _frame(msg: dict, settings) -> dict:
    """A client frame as a JSON object: text frames (binary frames are refused: the
    protocol is JSON text), bounded, strict JSON, an object at the top."""
    if msg.get("type") == "websocket.disconnect":
        raise WebSocketDisconnect(msg.get("code", 1000))
    text = msg.get("text")
    if text is None:
        raise _BadFrame("binary frames are not supported: send JSON text")
    if len(text) > settings.max_body_bytes:
        raise _BadFrame(f"frame over {settings.max_body_bytes} bytes")
    try:
        req = strict_loads(text, settings.max_json_depth)
    except JSONLimitError as exc:
        raise _BadFrame(f"bad JSON: {exc}") from None
    if not isinstance(req, dict):
        raise _BadFrame(f"expected a JSON object, got {type(req).__name__}")
    return req


@router.websocket("/ws")
async def live(ws: WebSocket) -> None:
    app = ws.app
    await ws.accept()
    settings = app.state.settings
    try:
        first = _frame(await asyncio.wait_for(ws.receive(), timeout=10), settings)
        token = str(first.get("token", ""))[:1024] if first.get("type") == "auth" else ""
    except (TimeoutError, _BadFrame, WebSocketDisconnect, RuntimeError):
        token = ""
    who = principal_from_token(token, app.state.signer, app.state.store) if token else None
    if who is not None and app.state.store.must_change(who.user_id):
        who = None
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
            msg = await ws.receive()
            if msg["type"] == "websocket.disconnect":
                return
            try:
                req = _frame(msg, settings)
            except _BadFrame as exc:
                await ws.send_json({"type": "error", "status": 400, "detail": str(exc)})
                continue
            kind = req.get("type")
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
                    action = action_dict(action_adapter.validate_python(req.get("action")))
                except ValidationError as e:
                    errs = [{"loc": list(map(str, x["loc"]))[:8], "msg": x["msg"][:300]}
                            for x in e.errors(include_url=False, include_input=False)[:20]]  # fmt: skip
                    await ws.send_json({"type": "error", "id": rid, "status": 422, "detail": errs})
                    continue
                code, errs = sess.action_errors(who, action)
                if errs:
                    await ws.send_json(
                        {"type": "error", "id": rid, "status": code, "detail": "; ".join(errs)}
                    )
                    continue
                res = await sess.submit_action(who.team, who.username, action)
                await ws.send_json({"type": "action_result", "id": rid, **res})
            else:
                await ws.send_json(
                    {"type": "error", "status": 400, "detail": "unknown message type"}
                )

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
