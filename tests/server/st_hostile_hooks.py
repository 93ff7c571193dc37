"""Schemathesis hooks (loaded with ``SCHEMATHESIS_HOOKS``): besides the schema-driven
positive and negative bodies, send the hostile values of issue 10 on every operation
with a JSON body: lone surrogates, unknown fields, deep nesting, huge integers, long
strings, numbers at the float limit.  The server must answer each with a 4xx, never 500."""

from __future__ import annotations

import schemathesis
from hypothesis import strategies as st


def _first_str_key(body: dict) -> str | None:
    return next((k for k, v in body.items() if isinstance(v, str)), None)


def _surrogate(body: dict) -> dict:
    k = _first_str_key(body)
    return dict(body, **{k or "text": "EXERCISE \ud800 \udfff"})


def _deep(body: dict) -> dict:
    v: object = 1
    for _ in range(40):
        v = [v]
    return dict(body, nested=v)


MUTATIONS = [
    lambda b: b,
    _surrogate,
    lambda b: dict(b, junk="x" * 20_000),
    _deep,
    lambda b: dict(b, **{next(iter(b), "n"): 10**30}),
    lambda b: dict(b, **{next(iter(b), "n"): 1.7976931348623157e308}),
    lambda b: {k: ("y" * 9000 if isinstance(v, str) else v) for k, v in b.items()},
]


@schemathesis.hook
def flatmap_body(ctx, body):
    if not isinstance(body, dict):
        return st.just(body)
    return st.sampled_from(MUTATIONS).map(lambda m: m(body))
