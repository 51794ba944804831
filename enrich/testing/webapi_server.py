"""A custom Web API skill endpoint on 127.0.0.1, for the tests of the ``webapi`` skill.

::

    with SkillServer(upper_words) as server:      # answers each record with upper_words
        server.script.append((503, {"Retry-After": "1"}, b""))   # the next answer first
        ... uri=server.url("/skill") ...
    server.requests                               # what it received, in order

A *record handler* takes one record's ``data`` and returns its answer value without
the ``recordId`` (``{"data": {...}, "errors": [...], "warnings": [...]}``), or
``None`` to leave the record out of the answer. Scripted answers (status, headers,
body bytes) are given before the handler is asked; ``delay`` slows every answer;
``trickle`` sends each answer's body one byte at a time, that many seconds apart;
``reverse`` answers the records last first.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

__all__ = ["SkillServer", "Received", "upper_words"]

RecordHandler = Callable[[dict[str, Any]], "dict[str, Any] | None"]


def upper_words(data: dict[str, Any]) -> dict[str, Any]:
    """A toy custom skill: the text's words upper-cased and counted; a text holding
    ``FAIL`` is answered with an error, one holding ``WARN`` with a warning."""
    text = str(data.get("text") or "")
    if "FAIL" in text:
        return {"data": {}, "errors": [{"message": "cannot read this text"}], "warnings": []}
    warnings = [{"message": "this text asked for a warning"}] if "WARN" in text else []
    return {"data": {"words": text.upper().split(), "count": len(text.split())},
            "errors": [], "warnings": warnings}


@dataclass
class Received:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class SkillServer:
    """The endpoint: start with ``with``, stopped on leaving it."""

    handler: RecordHandler = upper_words
    delay: float = 0.0
    trickle: float = 0.0  # seconds between the body's bytes (0: all at once)
    reverse: bool = False  # answer the values last first (ids, not order, match them)
    script: list[tuple[int, dict[str, str], bytes]] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)

    def __enter__(self) -> "SkillServer":
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(self))
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,),
                                        daemon=True)  # polls often: a quick shutdown
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def url(self, path: str = "/skill", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def answer(self, body: Any) -> tuple[int, dict[str, str], bytes]:
        """The handler's answer to a request body of the contract."""
        values = []
        for value in body.get("values", []):
            out = self.handler(value.get("data") or {})
            if out is not None:
                values.append({"recordId": value.get("recordId"), **out})
        values = values[::-1] if self.reverse else values
        return 200, {"Content-Type": "application/json"}, json.dumps({"values": values}).encode()


def _handler_class(server: SkillServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(raw or b"null")
            except ValueError:
                body = raw
            server.requests.append(Received(self.command, self.path, dict(self.headers), body))
            time.sleep(server.delay)
            status, headers, payload = (server.script.pop(0) if server.script
                                        else server.answer(body))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if not server.trickle:
                self.wfile.write(payload)
                return
            self.wfile.flush()
            for n in range(len(payload)):
                time.sleep(server.trickle)
                try:
                    self.wfile.write(payload[n:n + 1])
                    self.wfile.flush()
                except OSError:  # the client gave up
                    return

        do_POST = do_PUT = _serve

        def log_message(self, *args: Any) -> None:  # quiet tests
            pass

    return Handler
