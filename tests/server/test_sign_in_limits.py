"""Signing in: failed attempts limited per client address, sessions that expire and
rotate, and the cookie's flags (enrich/server/sessions.py)."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from enrich.server import create_app
from enrich.server.sessions import ROTATE_SECONDS, SESSION_COOKIE

from .conftest import API_KEY

WRONG = "wrong-key-0123456789abcdef"


@pytest.fixture
def app(indexed):
    return create_app(indexed.data, api_key=API_KEY, auth_failures="3/minute",
                      session_hours=1)


def client(app, address="10.0.0.1"):
    return TestClient(app, client=(address, 50000))


def test_failed_attempts_are_limited_per_address_and_say_when_to_retry(app):
    guesser, other = client(app), client(app, "10.0.0.2")
    for _ in range(3):
        assert guesser.get("/api/search", headers={"X-API-Key": WRONG}).status_code == 401
    refused = guesser.get("/api/search", headers={"X-API-Key": WRONG})
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "too_many_attempts"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # even the right key waits: that is what stops a guesser
    assert guesser.get("/api/search", headers={"X-API-Key": API_KEY}).status_code == 429
    assert guesser.post("/api/login", json={"key": API_KEY}).status_code == 429
    # another address is not affected
    assert other.get("/api/search", headers={"X-API-Key": API_KEY}).status_code == 200


def test_wrong_logins_count_missing_credentials_and_bad_cookies_do_not(app):
    web = client(app)
    for _ in range(5):  # no credential at all: a 401, not a guess
        assert web.get("/api/search").status_code == 401
    web.cookies.set(SESSION_COOKIE, "admin.1700000000." + "0" * 64)
    for _ in range(5):  # a page's images with a cookie of a restarted server
        assert web.get("/api/search").status_code == 401
    web.cookies.clear()
    for _ in range(3):
        assert web.post("/api/login", json={"key": WRONG}).status_code == 401
    assert web.post("/api/login", json={"key": WRONG}).status_code == 429


def test_the_session_cookie_is_httponly_strict_and_expires(app, indexed):
    web = client(app)
    answer = web.post("/api/login", json={"key": API_KEY})
    assert answer.status_code == 204
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Max-Age=3600" in cookie
    assert web.get("/api/search").status_code == 200
    name, issued, mac = web.cookies[SESSION_COOKIE].split(".")
    web.cookies.clear()
    web.cookies.set(SESSION_COOKIE, f"{name}.{int(issued) - 3601}.{mac}")
    assert web.get("/api/search").status_code == 401  # a changed time breaks the MAC
    secure = create_app(indexed.data, api_key=API_KEY, secure_cookie=True)
    assert "Secure" in TestClient(secure).post("/api/login",
                                               json={"key": API_KEY}).headers["set-cookie"]


def test_an_expired_session_is_refused_without_counting_as_a_guess(app, monkeypatch):
    web = client(app)
    web.post("/api/login", json={"key": API_KEY})
    later = time.time() + 3601
    monkeypatch.setattr(time, "time", lambda: later)
    for _ in range(5):
        assert web.get("/api/search").status_code == 401
    web.cookies.clear()
    assert web.get("/api/search", headers={"X-API-Key": API_KEY}).status_code == 200


def test_a_used_session_rotates_and_an_idle_one_expires(app, monkeypatch):
    web = client(app)
    web.post("/api/login", json={"key": API_KEY})
    first = web.cookies[SESSION_COOKIE]
    assert "set-cookie" not in web.get("/api/search").headers  # fresh: kept
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + ROTATE_SECONDS + 5)
    answer = web.get("/api/search")
    assert answer.status_code == 200 and SESSION_COOKIE in answer.headers["set-cookie"]
    second = web.cookies[SESSION_COOKIE]
    assert second != first and int(second.split(".")[1]) > int(first.split(".")[1])
    # the rotated cookie lives an hour from its own issue, the first one does not
    monkeypatch.setattr(time, "time", lambda: now + 3600 + 60)
    assert web.get("/api/search").status_code == 200
    web.cookies.clear()
    web.cookies.set(SESSION_COOKIE, first)
    assert web.get("/api/search").status_code == 401


def test_a_bad_rate_or_session_length_is_a_clear_error(indexed):
    from enrich.errors import ConfigError
    with pytest.raises(ConfigError, match="not a rate"):
        create_app(indexed.data, api_key=API_KEY, auth_failures="often")
    with pytest.raises(ConfigError, match="some time"):
        create_app(indexed.data, api_key=API_KEY, session_hours=0)
