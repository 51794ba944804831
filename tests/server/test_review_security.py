"""Roles per API key: the keys file (owner-only, its mistakes refused at start), read
keys that stay read-only, write keys whose name signs the corrections, sessions."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from enrich.errors import ConfigError
from enrich.server import check_exposure, create_app
from enrich.server.security_keys import KeysFileError, load_keys
from enrich.testing.review_corpus import review_store

from .conftest import error_of

READ_KEY = "read-only-key-0123456789"
WRITE_KEY = "write-key-abcdefghijklmnop"
ENV_KEY = "environment-key-0123456789"


def _keys_file(tmp_path, text: str, mode: int = 0o600):
    path = tmp_path / "keys"
    path.write_text(text)
    path.chmod(mode)
    return path


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("roles") / "data"
    review_store(folder, documents=12, index=True)
    return folder


@pytest.fixture
def app(data, tmp_path):
    digest = hashlib.sha256(WRITE_KEY.encode()).hexdigest()
    keys = load_keys(_keys_file(tmp_path, f"# who  role  key\nkiosk read {READ_KEY}\n"
                                          f"alice write sha256:{digest}\n"))
    return create_app(data, api_key=ENV_KEY, keys=keys)


def _entity(client, headers) -> str:
    return client.get("/api/review", params={"limit": 1}, headers=headers).json()["items"][0]["key"]


def test_a_read_key_reads_but_never_writes(app):
    with TestClient(app) as client:
        read = {"X-API-Key": READ_KEY}
        answer = client.get("/api/review", headers=read).json()
        assert answer["user"] == {"name": "kiosk", "role": "read", "can_write": False}
        assert client.get("/api/corrections", headers=read).status_code == 200
        key = answer["items"][0]["key"]
        error = error_of(client.post("/api/corrections", headers=read,
                                     json={"op": "accept", "entity": key}))
        assert (error["status"], error["code"]) == (403, "forbidden")
        assert "kiosk" in error["message"] and "write role" in error["message"]
        assert error_of(client.post("/api/corrections/1/undo", headers=read, json={}))["status"] \
            == 403
        assert client.get("/api/corrections", headers=read).json()["corrections"] == []


def test_a_write_key_signs_its_corrections_with_its_name(app):
    with TestClient(app) as client:
        for headers, name in (({"Authorization": f"Bearer {WRITE_KEY}"}, "alice"),
                              ({"X-API-Key": ENV_KEY}, "ENRICH_API_KEY")):
            key = _entity(client, headers)
            answer = client.post("/api/corrections", headers=headers,
                                 json={"op": "accept", "entity": key})
            assert answer.status_code == 201, answer.text
            assert answer.json()["corrections"][0]["who"] == name


def test_without_a_key_writes_are_401(app):
    with TestClient(app) as client:
        error = error_of(client.post("/api/corrections", json={"op": "accept", "entity": "ORG:x"}))
        assert error["status"] == 401
        assert error_of(client.get("/api/review"))["status"] == 401


def test_a_session_cookie_keeps_the_role_of_its_key(app):
    with TestClient(app) as client:
        assert client.post("/api/login", json={"key": READ_KEY}).status_code == 204
        cookie = client.cookies["enrich_session"]
        assert READ_KEY not in cookie and cookie.startswith("kiosk.")
        assert client.get("/api/review").json()["user"]["role"] == "read"
        key = _entity(client, {})
        assert error_of(client.post("/api/corrections", json={"op": "accept", "entity": key}))[
            "status"] == 403
        # a forged cookie naming the write key is refused
        client.cookies.clear()
        client.cookies.set("enrich_session", "alice." + cookie.split(".", 1)[1])
        assert error_of(client.get("/api/review"))["status"] == 401
        client.cookies.clear()
        assert client.post("/api/login", json={"key": WRITE_KEY}).status_code == 204
        assert client.get("/api/review").json()["user"]["name"] == "alice"
        assert client.post("/api/corrections", json={"op": "accept", "entity": key}
                           ).status_code == 201


def test_login_needs_a_json_body(app):
    with TestClient(app) as client:
        answer = client.post("/api/login", content=f"key={READ_KEY}",
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert error_of(answer)["status"] == 415 and "set-cookie" not in answer.headers


def test_a_json_keys_file(tmp_path):
    path = _keys_file(tmp_path, json.dumps([{"name": "bo", "role": "write", "key": WRITE_KEY},
                                            {"name": "cy", "role": "read",
                                             "sha256": "ab" * 32}]))
    keys = load_keys(path)
    assert [(k.name, k.role, k.can_write) for k in keys] == [("bo", "write", True),
                                                             ("cy", "read", False)]
    assert keys[0].digest == hashlib.sha256(WRITE_KEY.encode()).digest()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o622])
def test_a_keys_file_others_may_read_or_write_is_refused(tmp_path, mode):
    path = _keys_file(tmp_path, f"kiosk read {READ_KEY}\n", mode)
    with pytest.raises(KeysFileError, match=f"permissions {mode:04o}.*chmod 600"):
        load_keys(path)


@pytest.mark.parametrize("text, problem", [
    (f"kiosk reader {READ_KEY}\n", "role 'reader'"),
    ("kiosk read short\n", "shorter than 16"),
    (f"kiosk read {READ_KEY}\nkiosk write {WRITE_KEY}\n", "line 2: the name 'kiosk' is used twice"),
    (f"kiosk read {READ_KEY}\nbo write {READ_KEY}\n", "given twice"),
    (f"kiosk read\n", "line 1: expected 'NAME ROLE KEY'"),
    ("kiosk read sha256:1234\n", "64 hex digits"),
    (f"ENRICH_API_KEY write {WRITE_KEY}\n", "used twice"),
    ("# nothing\n\n", "names no key"),
    ('[{"name": "x", "role": "read"}]', "either a key or the sha256"),
    ('{"keys": 3}', "expected a JSON list"),
])
def test_a_wrong_keys_file_is_refused_with_its_line(tmp_path, text, problem):
    with pytest.raises(KeysFileError, match=problem.replace("(", r"\(")):
        load_keys(_keys_file(tmp_path, text))


def test_keys_from_a_file_allow_listening_beyond_loopback(tmp_path):
    keys = load_keys(_keys_file(tmp_path, f"kiosk read {READ_KEY}\n"))
    check_exposure("0.0.0.0", None, keys)
    with pytest.raises(ConfigError, match="keys file"):
        check_exposure("0.0.0.0", None, [])


def test_serve_refuses_an_open_keys_file_in_one_line(data, tmp_path):
    path = _keys_file(tmp_path, f"kiosk read {READ_KEY}\n", 0o644)
    env = {**os.environ, "ENRICH_API_KEYS_FILE": str(path), "NO_COLOR": "1"}
    env.pop("ENRICH_API_KEY", None)
    run = subprocess.run([sys.executable, "-m", "enrich", "serve", "--data", str(data),
                          "--port", "0"], capture_output=True, text=True, timeout=60, env=env)
    assert run.returncode == 2, run.stdout + run.stderr
    assert run.stderr.startswith("error E820:") and "chmod 600" in run.stderr


def test_a_keys_file_digest_cannot_forge_a_session():
    import hmac

    from enrich.server.security import Auth
    from enrich.server.security_keys import ApiKey, digest

    key = ApiKey("alice", "write", digest("alice-long-secret-key-0123"))
    auth = Auth(keys=[key])
    # what anyone reading the keys file could compute: an HMAC keyed by the digest alone
    issued = auth.session_for(key).split(".")[1]
    forged = f"alice.{issued}." + hmac.new(key.digest, f"enrich-session-v3:alice:{issued}"
                                           .encode(), hashlib.sha256).hexdigest()
    assert auth.sessions.check(forged, auth.keys) is None
    assert auth.sessions.check(auth.session_for(key), auth.keys).key is key
    assert Auth(keys=[key]).session_for(key) != auth.session_for(key)  # a secret per server
