"""A slow client cannot hold a route open: the body is read whole, within
BODY_SECONDS, before the route runs; past that the answer is 408 in the one error
shape. Driven at the ASGI level, where the client's pace is ours to set."""

from __future__ import annotations

import asyncio
import json

from enrich.server import security
from enrich.server.security import SecurityHeaders


def _call(receive_parts, delay: float, seconds: float, monkeypatch):
    """Run a POST with ``receive_parts`` (sent ``delay`` s apart) through the
    middleware; returns (status, body, what the app received)."""
    monkeypatch.setattr(security, "BODY_SECONDS", seconds)
    seen: list[bytes] = []

    async def app(scope, receive, send):
        message = await receive()
        seen.append(message["body"])
        assert not message.get("more_body")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    parts = iter(receive_parts)

    async def receive():
        await asyncio.sleep(delay)
        return next(parts)

    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    length = sum(len(p.get("body", b"")) for p in receive_parts)
    scope = {"type": "http", "method": "POST", "path": "/api/corrections",
             "headers": [(b"content-length", str(length).encode()),
                         (b"content-type", b"application/json")]}
    asyncio.run(SecurityHeaders(app)(scope, receive, send))
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"] if sent else None, body, seen


def test_a_body_sent_in_parts_in_time_reaches_the_route_whole(monkeypatch):
    parts = [{"type": "http.request", "body": b'{"op": ', "more_body": True},
             {"type": "http.request", "body": b'"reject"}', "more_body": False}]
    status, body, seen = _call(parts, delay=0.01, seconds=2, monkeypatch=monkeypatch)
    assert (status, body, seen) == (200, b"ok", [b'{"op": "reject"}'])


def test_a_body_too_slow_is_408_in_the_error_shape(monkeypatch):
    parts = [{"type": "http.request", "body": b'{"op": ', "more_body": True},
             {"type": "http.request", "body": b'"reject"}', "more_body": False}]
    status, body, seen = _call(parts, delay=0.3, seconds=0.4, monkeypatch=monkeypatch)
    assert status == 408 and seen == []  # the route never ran
    error = json.loads(body)["error"]
    assert error["code"] == "request_timeout" and "0.4 s" in error["message"]


def test_a_client_that_leaves_mid_body_gets_no_answer(monkeypatch):
    parts = [{"type": "http.request", "body": b'{"op": ', "more_body": True},
             {"type": "http.disconnect"}]
    status, _, seen = _call(parts, delay=0.01, seconds=2, monkeypatch=monkeypatch)
    assert status is None and seen == []
