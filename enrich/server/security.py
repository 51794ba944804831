"""Who may ask, and what every answer carries.

* **API key**: required when one is configured (``ENRICH_API_KEY``) and whenever the
  server listens beyond loopback (``check_exposure`` refuses to start there without
  one). Clients send ``Authorization: Bearer KEY`` or ``X-API-Key: KEY``; the web page
  posts the key once to ``/api/login`` and then carries an HttpOnly, SameSite=Strict
  cookie holding an HMAC of the key (never the key itself), so ``<img>`` requests are
  authorised too. Every comparison is constant-time (``hmac.compare_digest``).
* **Headers**: every answer is ``nosniff``, ``no-referrer`` and unframeable; pages get
  a strict Content-Security-Policy (no inline script, nothing from other origins);
  original files are served with ``CSP: sandbox`` so an indexed HTML or SVG file
  cannot run script in the server's origin.
* **Body size**: requests with a body larger than ``MAX_BODY`` are refused (413), as
  are bodies without a length (411).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import ApiError, error_body

__all__ = ["Auth", "SESSION_COOKIE", "is_loopback", "check_exposure", "SecurityHeaders",
           "PAGE_CSP"]

SESSION_COOKIE = "enrich_session"
MAX_BODY = 16_384
PAGE_CSP = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "
            "script-src 'self'; connect-src 'self'; object-src 'none'; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
FILE_CSP = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'"


def is_loopback(host: str) -> bool:
    """Whether ``host`` only listens on this machine (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, key: str | None) -> None:
    """Refuse to listen beyond loopback without an API key."""
    if not key and not is_loopback(host):
        raise ValueError(
            f"--host {host} listens beyond this machine, which needs an API key: set "
            "ENRICH_API_KEY (a long random string, e.g. `python -c \"import secrets; "
            "print(secrets.token_urlsafe(32))\"`) and send it as 'Authorization: Bearer KEY'")


class Auth:
    """Checks a request's key or session cookie against the configured key."""

    def __init__(self, key: str | None) -> None:
        self.key = key or None
        self.session = (hmac.new(self.key.encode(), b"enrich-session-v1", hashlib.sha256)
                        .hexdigest() if self.key else None)

    @property
    def required(self) -> bool:
        return self.key is not None

    def matches_key(self, given: str | None) -> bool:
        return bool(self.key and given) and hmac.compare_digest(
            given.encode(), self.key.encode())  # type: ignore[union-attr]

    def authenticated(self, request: Request) -> bool:
        if self.key is None:
            return True
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and self.matches_key(token.strip()):
            return True
        if self.matches_key(request.headers.get("x-api-key")):
            return True
        cookie = request.cookies.get(SESSION_COOKIE)
        return bool(cookie) and hmac.compare_digest(cookie.encode(), self.session.encode())

    def __call__(self, request: Request) -> None:
        """A FastAPI dependency: raise 401 unless the request is authorised."""
        if not self.authenticated(request):
            raise ApiError(401, "unauthorized",
                           "this server needs an API key: send 'Authorization: Bearer KEY' "
                           "or 'X-API-Key: KEY', or log in on the web page")


class SecurityHeaders:
    """ASGI middleware: security headers on every answer, and a cap on request bodies."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        length = headers.get(b"content-length")
        if length is None and b"transfer-encoding" in headers:
            await _refuse(send, 411, "length_required",
                          "send a Content-Length with a request body (bodies are small)")
            return
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            await _refuse(send, 413, "payload_too_large",
                          f"the request body is larger than {MAX_BODY} bytes")
            return
        path = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                extra = [(b"x-content-type-options", b"nosniff"),
                         (b"referrer-policy", b"no-referrer"),
                         (b"x-frame-options", b"DENY")]
                if b"content-security-policy" not in names:
                    csp = FILE_CSP if path.endswith("/file") else PAGE_CSP
                    extra.append((b"content-security-policy", csp.encode()))
                if b"cache-control" not in names:
                    extra.append((b"cache-control", b"no-store"))
                message["headers"] = headers + [h for h in extra if h[0] not in names]
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _refuse(send: Send, status: int, code: str, message: str) -> None:
    import json
    body = json.dumps(error_body(status, code, message)).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
