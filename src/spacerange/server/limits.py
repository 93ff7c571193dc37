"""Hostile-input limits at the HTTP boundary, applied before any route parses a body.

* :class:`BodyLimit` (pure ASGI middleware): a request body over ``max_body_bytes`` gets
  413 before it is parsed (``Content-Length`` checked first, then the bytes as they
  stream in); a JSON body that is not strict JSON (``NaN``/``Infinity``), is nested deeper
  than ``max_depth`` or holds an integer literal beyond 40 digits gets 400.
* :func:`strict_loads`: the same JSON check for WebSocket frames.
* :class:`SafeJSONResponse`: responses serialized by the one serializer
  (:func:`spacerange.exercise.eventlog.dumps`), so whatever reached the log can be served.
* :func:`validation_error_handler`: 422 with location, message and type per error, never
  the input (no echo of passwords, no NaN/surrogates that would fail to serialize).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spacerange.exercise.eventlog import dumps

__all__ = [
    "BodyLimit",
    "SafeJSONResponse",
    "JSONLimitError",
    "strict_loads",
    "validation_error_handler",
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_MAX_JSON_DEPTH",
]

DEFAULT_MAX_BODY_BYTES = 256 * 1024
DEFAULT_MAX_JSON_DEPTH = 16
_MAX_INT_DIGITS = 40


class JSONLimitError(ValueError):
    """A JSON text that is not acceptable input (malformed, non-finite, too deep)."""


def _no_constant(name: str) -> Any:
    raise JSONLimitError(f"non-finite number {name} is not JSON")


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_INT_DIGITS:
        raise JSONLimitError(f"integer literal longer than {_MAX_INT_DIGITS} digits")
    return int(text)


def _depth(obj: Any) -> int:
    """Nesting depth of parsed JSON, iteratively (no recursion on hostile input)."""
    deepest, stack = 0, [(obj, 0)]
    while stack:
        o, d = stack.pop()
        if isinstance(o, dict):
            o = list(o.values())
        if isinstance(o, list):
            deepest = max(deepest, d + 1)
            stack.extend((x, d + 1) for x in o if isinstance(x, dict | list))
    return deepest


def strict_loads(raw: str | bytes, max_depth: int = DEFAULT_MAX_JSON_DEPTH) -> Any:
    """Parse strict JSON: no NaN/Infinity, depth <= ``max_depth``, bounded integers;
    :class:`JSONLimitError` otherwise."""
    if isinstance(raw, bytes | bytearray):
        try:
            raw = bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            raise JSONLimitError("body is not valid UTF-8") from None
    try:
        obj = json.loads(raw, parse_constant=_no_constant, parse_int=_bounded_int)
    except JSONLimitError:
        raise
    except RecursionError:
        raise JSONLimitError(f"JSON nested deeper than {max_depth} levels") from None
    except ValueError as exc:
        raise JSONLimitError(f"malformed JSON: {str(exc)[:120]}") from None
    if _depth(obj) > max_depth:
        raise JSONLimitError(f"JSON nested deeper than {max_depth} levels")
    return obj


class SafeJSONResponse(JSONResponse):
    """JSON response through the log's serializer (never fails on content)."""

    def render(self, content: Any) -> bytes:
        return dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _plain(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


class BodyLimit:
    """ASGI middleware: bounded request bodies and strict, shallow JSON (see module doc)."""

    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        max_depth: int = DEFAULT_MAX_JSON_DEPTH,
    ) -> None:
        self.app, self.max_body_bytes, self.max_depth = app, max_body_bytes, max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        try:
            declared = int(headers.get(b"content-length", b"0") or 0)
        except ValueError:
            await _plain(400, "bad Content-Length")(scope, receive, send)
            return
        limit = self.max_body_bytes
        if declared > limit:
            await _plain(413, f"request body over {limit} bytes")(scope, receive, send)
            return
        chunks, size, more = [], 0, True
        while more:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                return
            chunk = msg.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _plain(413, f"request body over {limit} bytes")(scope, receive, send)
                return
            chunks.append(chunk)
            more = msg.get("more_body", False)
        body = b"".join(chunks)
        ctype = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if body and (ctype == b"application/json" or ctype.endswith(b"+json")):
            try:
                strict_loads(body, self.max_depth)
            except JSONLimitError as exc:
                await _plain(400, str(exc))(scope, receive, send)
                return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _loc(loc: Any) -> list:
    return [x if isinstance(x, int) else str(x)[:64] for x in loc]


async def validation_error_handler(request: Request, exc: RequestValidationError) -> JSONResponse:
    """422 listing where and why, without the offending input or its context."""
    errors = [
        {"loc": _loc(e.get("loc", ())), "msg": str(e.get("msg", ""))[:300], "type": e.get("type")}
        for e in exc.errors()[:20]
    ]
    return SafeJSONResponse({"detail": errors}, status_code=422)
