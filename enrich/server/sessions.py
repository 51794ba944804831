"""Signing in: failed attempts limited per client address, sessions that expire and rotate.

* **Failed attempts.** A wrong API key (``Authorization``, ``X-API-Key``, ``/api/login``)
  counts against the client's address; past ``ENRICH_AUTH_FAILURES`` (default
  ``10/minute``, a moving window, the ``limits`` library's syntax) every request from
  that address is refused with 429 ``too_many_attempts`` and ``Retry-After`` until the
  window has room again, a right key included (that is what stops a guesser). A session
  cookie that is not good (expired, or made before the server restarted with a new
  secret) does not count: a page's many image requests would lock its owner out, and an
  HMAC cannot be guessed anyway. Neither does a request with no credential at all.
* **Sessions.** The cookie is ``NAME.ISSUED.HMAC``: the key's name, when it was issued
  (Unix seconds) and an HMAC over both keyed by the server's secret and the key's
  digest. It is valid for ``ENRICH_SESSION_HOURS`` (default 8) from its issue and is sent
  with that ``Max-Age``; a request carrying one older than ``ROTATE_SECONDS`` gets a new
  one (sliding expiry: an idle page expires, a used one does not), so a copied cookie
  stops working soon after its owner's goes on. HttpOnly, SameSite=Strict, and Secure
  whenever the server listens beyond loopback.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import time
from dataclasses import dataclass

from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from enrich.errors import ConfigError

from .errors import ApiError
from .security_keys import ApiKey

__all__ = ["FailedAttempts", "Sessions", "SESSION_COOKIE", "ROTATE_SECONDS"]

SESSION_COOKIE = "enrich_session"
ROTATE_SECONDS = 15 * 60
DEFAULT_FAILURES = "10/minute"
DEFAULT_SESSION_HOURS = 8.0


class FailedAttempts:
    """Failed sign-ins per client address, in a moving window (``limits``)."""

    def __init__(self, limit: str | None = None) -> None:
        spec = limit or os.environ.get("ENRICH_AUTH_FAILURES") or DEFAULT_FAILURES
        try:
            self.item = parse(spec)
        except ValueError as error:
            raise ConfigError(f"ENRICH_AUTH_FAILURES={spec!r} is not a rate such as "
                              f"10/minute or 50/hour ({error})") from None
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def check(self, address: str) -> None:
        """429 ``too_many_attempts`` when ``address`` has used up its failures."""
        if self.limiter.test(self.item, "enrich-sign-in", address):
            return
        stats = self.limiter.get_window_stats(self.item, "enrich-sign-in", address)
        wait = max(1, math.ceil(stats.reset_time - time.time()))
        raise ApiError(429, "too_many_attempts",
                       f"too many failed sign-ins from {address}: try again in {wait} s",
                       retry_after=wait)

    def failed(self, address: str) -> None:
        self.limiter.hit(self.item, "enrich-sign-in", address)


@dataclass(frozen=True)
class Session:
    key: ApiKey
    issued: int

    @property
    def stale(self) -> bool:
        """Old enough to be replaced by a new cookie (see the module docstring)."""
        return time.time() - self.issued > ROTATE_SECONDS


class Sessions:
    """Session cookies: made for a key, checked against the keys (constant time)."""

    def __init__(self, secret: bytes, hours: float | None = None) -> None:
        self.secret = secret
        if hours is None:
            raw = os.environ.get("ENRICH_SESSION_HOURS", "")
            try:
                hours = float(raw) if raw else DEFAULT_SESSION_HOURS
            except ValueError:
                raise ConfigError(f"ENRICH_SESSION_HOURS={raw!r} is not a number of "
                                  "hours") from None
        if not hours > 0:
            raise ConfigError(f"a session must last some time, not {hours} hours")
        self.seconds = int(hours * 3600)

    def cookie(self, key: ApiKey, issued: int | None = None) -> str:
        issued = int(time.time()) if issued is None else issued
        return f"{key.name}.{issued}.{self._mac(key, issued)}"

    def _mac(self, key: ApiKey, issued: int) -> str:
        return hmac.new(self.secret + key.digest,
                        f"enrich-session-v3:{key.name}:{issued}".encode(),
                        hashlib.sha256).hexdigest()

    def check(self, cookie: str, keys: list[ApiKey]) -> Session | None:
        """The session ``cookie`` holds, when a key made it and it is valid now."""
        rest, _, mac = cookie.rpartition(".")
        name, _, issued = rest.rpartition(".")
        if not issued.isdigit():
            return None
        found = None
        for key in keys:  # every key, no early exit: the time does not tell which
            if key.name == name and hmac.compare_digest(mac.encode(),
                                                        self._mac(key, int(issued)).encode()):
                found = key
        age = time.time() - int(issued)
        if found is None or age > self.seconds or age < -60:  # or issued in the future
            return None
        return Session(found, int(issued))
