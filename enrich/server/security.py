"""Who may ask, and what every answer carries.

* **API keys and roles**: a key is required when one is configured (``ENRICH_API_KEY``,
  role ``write``, or a keys file of named keys with the role ``read`` or ``write``:
  :mod:`enrich.server.security_keys`) and whenever the server listens beyond loopback
  (``check_exposure`` refuses to start there without one). Clients send
  ``Authorization: Bearer KEY`` or ``X-API-Key: KEY``; the web page posts the key once
  to ``/api/login`` and then carries an HttpOnly, SameSite=Strict cookie holding the
  key's name, its issue time and an HMAC keyed by the key's digest (never the key
  itself), so ``<img>`` requests are authorised too; it expires and rotates, and failed
  attempts are limited per client address (:mod:`enrich.server.sessions`). Every
  comparison is constant-time (``hmac.compare_digest``). The routes that write (corrections) need the ``write``
  role (403 otherwise) and a JSON body (415 otherwise), as does ``/api/login``: a page
  on another origin, even a same-site one the SameSite cookie reaches, cannot send
  JSON without a CORS preflight, which the server refuses.
* **Errors**: an unexpected exception answers 500 in the error shape, here, so that
  it carries the headers too (Starlette's own handler sits outside all middleware).
* **HEAD** is answered as GET without the body (uptime checks, ``curl -I``).
* **Headers**: every answer is ``nosniff``, ``no-referrer`` and unframeable; pages get
  a strict Content-Security-Policy (no inline script, nothing from other origins);
  original files are served with ``CSP: sandbox`` so an indexed HTML or SVG file
  cannot run script in the server's origin (PDFs excepted: browsers will not show a
  PDF in a sandbox, and their viewers keep its scripts apart). API answers are never
  cached; images and renders may be, privately, for a minute.
* **Host names**: on loopback the server answers only to loopback names, so a web
  page whose domain is rebound to 127.0.0.1 (DNS rebinding) cannot read it.
* **Body size**: requests with a body larger than ``MAX_BODY`` are refused (413), as
  are bodies without a length (411).
* **Slow bodies**: a body is read whole before the route runs, and a client that has
  not sent all of it within ``BODY_SECONDS`` gets 408 (a slow client cannot hold a
  route, or the corrections lock, open).
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import logging
import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from enrich.corrections import local_user as default_user
from enrich.errors import ConfigError

from .errors import ApiError, error_body
from .security_keys import MIN_KEY, ApiKey, digest, env_key
from .sessions import SESSION_COOKIE, FailedAttempts, Sessions

log = logging.getLogger(__name__)

__all__ = ["Auth", "Principal", "require_json", "SESSION_COOKIE", "is_loopback", "check_exposure", "allowed_hosts",
           "SecurityHeaders",
           "PAGE_CSP", "JsonCORSMiddleware"]

MAX_BODY = 16_384
BODY_SECONDS = 10.0  # to send a whole request body
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


def check_exposure(host: str, key: str | None, keys: Sequence[ApiKey] = ()) -> None:
    """Refuse to listen beyond loopback without an API key (``key``, or ``keys`` from a
    keys file), and refuse a short ``key``."""
    if key and len(key) < MIN_KEY:
        raise ConfigError(f"ENRICH_API_KEY has {len(key)} characters; use at least {MIN_KEY} "
                         "(e.g. `python -c \"import secrets; print(secrets.token_urlsafe(32))\"`)")
    if not key and not keys and not is_loopback(host):
        raise ConfigError(
            f"--host {host} listens beyond this machine, which needs an API key: set "
            "ENRICH_API_KEY (a long random string, e.g. `python -c \"import secrets; "
            "print(secrets.token_urlsafe(32))\"`) or name a keys file (--keys FILE, "
            "ENRICH_API_KEYS_FILE), and send a key as 'Authorization: Bearer KEY'")


@dataclass(frozen=True)
class Principal:
    """Who a request is: the key's name (or the local user) and its role."""

    name: str
    role: str

    @property
    def can_write(self) -> bool:
        return self.role == "write"


class Auth:
    """Checks a request's key or session cookie against the configured keys.

    ``key`` is ``ENRICH_API_KEY`` (role ``write``), ``keys`` those of a keys file
    (:mod:`enrich.server.security_keys`). With no key at all (loopback only), every
    request is ``local_user`` with the ``write`` role. Keys are compared as SHA-256
    digests with ``hmac.compare_digest``, each against every configured one. The session
    cookie (:mod:`enrich.server.sessions`) holds the key's name, its issue time and an
    HMAC keyed by a secret drawn when the server starts and the key's digest: never the
    key, and not forgeable from a keys file's ``sha256:`` entry; it expires, and rotates
    while used (sessions also end when the server restarts). Failed attempts are limited
    per client address (429).
    """

    def __init__(self, key: str | None = None, keys: Sequence[ApiKey] = (),
                 local_user: str | None = None, *, failures: str | None = None,
                 session_hours: float | None = None, secret: bytes | None = None) -> None:
        self.keys = ([env_key(key)] if key else []) + list(keys)
        self.local = Principal(local_user or default_user(), "write")
        # the server's processes share one secret (a session works on any of them)
        self.sessions = Sessions(secret or secrets.token_bytes(32), session_hours)
        self.attempts = FailedAttempts(failures)

    @property
    def required(self) -> bool:
        return bool(self.keys)

    def key_of(self, given: str | None) -> ApiKey | None:
        """The configured key ``given`` is, or None."""
        if not given:
            return None
        wanted, found = digest(given), None
        for key in self.keys:  # no early exit: the time does not tell which one
            if hmac.compare_digest(wanted, key.digest):
                found = key
        return found

    def session_for(self, key: ApiKey) -> str:
        """A new session cookie's value for ``key``."""
        return self.sessions.cookie(key)

    def identify(self, request: Request) -> Principal | None:
        """Who sends ``request`` (None: no valid key or cookie). A wrong key counts
        against the client's address, and an address past its failures gets 429
        whatever it sends; a session due for rotation is noted on
        ``request.state.renew_session`` (the app sends the new cookie)."""
        if not self.keys:
            return self.local
        address = client_address(request)
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        given = [token.strip() if scheme.lower() == "bearer" else "",
                 request.headers.get("x-api-key") or ""]
        cookie = request.cookies.get(SESSION_COOKIE) or ""
        if not any(given) and not cookie:
            return None
        self.attempts.check(address)
        key = None
        for value in given:
            key = key or self.key_of(value)
        if key is None and any(given):
            self.attempts.failed(address)  # a wrong key: a guess
        if key is None and cookie:
            session = self.sessions.check(cookie, self.keys)
            if session is not None:
                key = session.key
                if session.stale:
                    request.state.renew_session = key
        return Principal(key.name, key.role) if key else None

    def login(self, request: Request, given: str) -> ApiKey | None:
        """``/api/login``'s check of a key: 429 past the failures, a failure counted."""
        if not self.keys:
            return None
        address = client_address(request)
        self.attempts.check(address)
        found = self.key_of(given)
        if found is None:
            self.attempts.failed(address)
        return found

    def authenticated(self, request: Request) -> bool:
        return self.identify(request) is not None

    def __call__(self, request: Request) -> Principal:
        """A FastAPI dependency: who asks, or 401."""
        who = self.identify(request)
        if who is None:
            raise ApiError(401, "unauthorized",
                           "this server needs an API key: send 'Authorization: Bearer KEY' "
                           "or 'X-API-Key: KEY', or log in on the web page")
        return who

    def writer(self, request: Request) -> Principal:
        """A FastAPI dependency of the routes that write: who asks, 401 without a key,
        403 with a key of the ``read`` role."""
        who = self(request)
        if not who.can_write:
            raise ApiError(403, "forbidden", f"the key {who.name!r} may only read; "
                           "corrections need a key of the write role (see the keys file)")
        return who


def client_address(request: Request) -> str:
    """The client's address as the server sees it (``enrich serve`` trusts no forwarded
    header: behind a reverse proxy, every client has the proxy's)."""
    return request.client.host if request.client else "unknown"


def require_json(request: Request) -> None:
    """A FastAPI dependency of every POST that takes a body: JSON only, so a page on
    another origin cannot send it without a CORS preflight (which is refused)."""
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind != "application/json":
        raise ApiError(415, "unsupported_media_type",
                       f"send the body as JSON (Content-Type: application/json), not "
                       f"{kind or 'no content type'}")


class SecurityHeaders:
    """ASGI middleware: security headers on every answer, a cap on request bodies, and
    (with ``allowed_hosts``) a check of the Host header."""

    def __init__(self, app: ASGIApp, allowed_hosts: Collection[str] | None = None) -> None:
        self.app = app
        self.allowed_hosts = {h.lower() for h in allowed_hosts} if allowed_hosts else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        csp = (FILE_CSP if path.endswith("/file") else PAGE_CSP).encode()
        # The page's own files may be kept and revalidated (ETag); data is never kept.
        cache = b"no-cache" if path == "/" or path.startswith("/static/") else b"no-store"
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                extra = [(b"x-content-type-options", b"nosniff"),
                         (b"referrer-policy", b"no-referrer"),
                         (b"x-frame-options", b"DENY"),
                         (b"content-security-policy", csp),
                         (b"cache-control", cache)]
                message["headers"] = headers + [h for h in extra if h[0] not in names]
            await send(message)

        headers = dict(scope["headers"])
        if self.allowed_hosts is not None:
            host = _host_name(headers.get(b"host", b"").decode("latin-1"))
            if host not in self.allowed_hosts:
                await _refuse(send_with_headers, 400, "invalid_host",
                              f"this server does not answer to the host name {host!r} "
                              "(allow it with --allowed-host)")
                return
        length = headers.get(b"content-length")
        if length is None and b"transfer-encoding" in headers:
            await _refuse(send_with_headers, 411, "length_required",
                          "send a Content-Length with a request body (bodies are small)")
            return
        if length is not None and not length.isdigit():
            await _refuse(send_with_headers, 400, "invalid_parameter",
                          "the Content-Length header is not a number")
            return
        if length is not None and int(length) > MAX_BODY:
            await _refuse(send_with_headers, 413, "payload_too_large",
                          f"the request body is larger than {MAX_BODY} bytes")
            return
        if length is not None and int(length) > 0:
            try:
                body = await asyncio.wait_for(_read_body(receive), BODY_SECONDS)
            except TimeoutError:
                await _refuse(send_with_headers, 408, "request_timeout",
                              f"the request body did not arrive within {BODY_SECONDS:g} s")
                return
            if body is None:  # the client went away
                return
            receive = _replay(body, receive)
        if scope["method"] == "HEAD":
            scope = {**scope, "method": "GET"}
            send_with_headers = _without_body(send_with_headers)
        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:  # an answer of the error shape, with the headers
            if started:
                raise
            log.exception("internal error on %s %s", scope["method"], scope["path"])
            await _refuse(send_with_headers, 500, "internal_error",
                          f"internal error ({type(exc).__name__}); the server log has the "
                          "details")


def _host_name(header: str) -> str:
    """``example.org:8000`` -> ``example.org``; ``[::1]:8000`` -> ``::1``."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def allowed_hosts(host: str, extra: Collection[str] = ()) -> list[str] | None:
    """The Host names to answer: loopback names when listening on loopback (so a page
    whose domain is rebound to 127.0.0.1 gets nothing), plus ``extra``; None (any
    name: the API key guards) beyond loopback unless ``extra`` names some."""
    extra = [h.strip().lower().strip("[]") for h in extra if h.strip()]
    if is_loopback(host):
        return ["127.0.0.1", "localhost", "::1", host.strip("[]").lower(), *extra]
    return extra or None


async def _read_body(receive: Receive) -> bytes | None:
    """The whole request body (at most ``MAX_BODY``: its length was checked), or None
    when the client disconnects first."""
    parts = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        parts.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(parts)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app the body already read, then waits on the
    connection (for its disconnect) as the server's would."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()
    return replay


def _without_body(send: Send) -> Send:
    async def send_head(message: Message) -> None:
        if message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)
    return send_head


async def _refuse(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps(error_body(status, code, message)).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class JsonCORSMiddleware(CORSMiddleware):
    """Starlette's CORS, with a refused preflight answered in the error shape."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        reason = bytes(response.body).decode(errors="replace")
        return JSONResponse(error_body(response.status_code, "cors_refused",
                                       f"cross-origin request refused: {reason}"),
                            status_code=response.status_code)
