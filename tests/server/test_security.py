"""Who may ask, what may not be asked, and what every answer carries.

API keys (header, bearer, session cookie), the refusal to listen beyond loopback
without one, path traversal and hostile ids, oversized parameters and bodies, CORS,
and the security headers.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from enrich.errors import ConfigError
from enrich.server import allowed_hosts, check_exposure, create_app, is_loopback
from tests.server.conftest import API_KEY, error_of

BEARER = {"Authorization": f"Bearer {API_KEY}"}


def doc_urls(indexed) -> list[str]:
    doc = indexed.ids["harbour.pdf"]
    return ["/api/search?q=lighthouse", f"/api/documents/{doc}", f"/api/documents/{doc}/file",
            f"/api/documents/{doc}/images/p1-i0", f"/api/documents/{doc}/images/p1-i0/thumbnail",
            f"/api/documents/{doc}/pages/1/image?width=100", "/api/suggest?q=zor",
            "/api/graph/entity?name=Zorvex", "/api/graph/ego?entity=Zorvex", "/api/status",
            "/api/runs", f"/api/runs/{indexed.run_id}", "/metrics", "/api/openapi.json"]


# --- API key -------------------------------------------------------------------

def test_without_a_key_every_protected_endpoint_is_401(keyed, indexed):
    for url in doc_urls(indexed):
        if url == "/api/openapi.json":
            continue  # the API's description is not data
        response = keyed.get(url)
        error = error_of(response)
        assert (error["status"], error["code"]) == (401, "unauthorized"), url
        assert response.headers["www-authenticate"] == "Bearer"
        assert b"%PDF" not in response.content and b"JFIF" not in response.content


@pytest.mark.parametrize("headers", [
    {"Authorization": "Bearer wrong-key"}, {"X-API-Key": "wrong-key"},
    {"Authorization": API_KEY},                       # no scheme
    {"Authorization": f"Basic {API_KEY}"},            # another scheme
    {"Authorization": f"Bearer {API_KEY}x"}, {"X-API-Key": API_KEY[:-1]},
    {"Authorization": "Bearer "}, {"X-API-Key": ""},
    {"Cookie": f"enrich_session={API_KEY}"},          # the key is not a session
])
def test_a_wrong_key_is_401(keyed, indexed, headers):
    for url in ("/api/search", f"/api/documents/{indexed.ids['harbour.pdf']}/file", "/metrics"):
        error = error_of(keyed.get(url, headers=headers))
        assert (error["status"], error["code"]) == (401, "unauthorized"), (url, headers)


@pytest.mark.parametrize("headers", [BEARER, {"X-API-Key": API_KEY},
                                     {"authorization": f"bearer {API_KEY}"}])
def test_the_right_key_opens_everything(keyed, indexed, headers):
    for url in doc_urls(indexed):
        assert keyed.get(url, headers=headers).status_code == 200, url
    response = keyed.get(f"/api/documents/{indexed.ids['harbour.pdf']}/file", headers=headers)
    assert response.content == indexed.source("harbour.pdf").read_bytes()


def test_health_the_page_and_static_files_need_no_key(keyed):
    assert keyed.get("/api/health").json()["status"] == "ok"
    assert keyed.get("/").status_code == 200
    assert keyed.get("/static/app.js").status_code == 200
    assert keyed.get("/api/auth").json() == {"required": True, "authenticated": False}


def test_auth_reports_what_the_client_has(keyed, client):
    assert keyed.get("/api/auth", headers=BEARER).json() == {"required": True,
                                                             "authenticated": True}
    assert keyed.get("/api/auth", headers={"X-API-Key": "nope"}).json() == {
        "required": True, "authenticated": False}
    assert client.get("/api/auth").json() == {"required": False, "authenticated": True}


def test_login_sets_a_strict_httponly_cookie_that_authorises(keyed, indexed):
    response = keyed.post("/api/login", json={"key": API_KEY})
    assert response.status_code == 204 and response.content == b""
    cookie = response.headers["set-cookie"]
    attributes = [part.strip().lower() for part in cookie.split(";")]
    name, _, value = cookie.split(";")[0].partition("=")
    assert name == "enrich_session" and value and API_KEY not in value  # never the key
    assert "httponly" in attributes and "samesite=strict" in attributes and "path=/" in attributes
    assert keyed.get("/api/auth").json() == {"required": True, "authenticated": True}
    for url in doc_urls(indexed):
        assert keyed.get(url).status_code == 200, url  # images included: <img> sends cookies


def test_the_cookie_is_secure_when_asked(indexed):
    app = create_app(indexed.data, api_key=API_KEY, secure_cookie=True)
    with TestClient(app) as client:
        cookie = client.post("/api/login", json={"key": API_KEY}).headers["set-cookie"]
    assert "secure" in [part.strip().lower() for part in cookie.split(";")]


def test_logout_clears_the_cookie(keyed):
    assert keyed.post("/api/login", json={"key": API_KEY}).status_code == 204
    assert keyed.get("/api/search").status_code == 200
    response = keyed.post("/api/logout")
    assert response.status_code == 204
    assert "enrich_session=" in response.headers["set-cookie"]
    assert "max-age=0" in response.headers["set-cookie"].lower()
    assert "enrich_session" not in keyed.cookies
    assert error_of(keyed.get("/api/search"))["code"] == "unauthorized"
    assert keyed.get("/api/auth").json()["authenticated"] is False


@pytest.mark.parametrize("body", [{"key": "wrong"}, {"key": ""}, {"key": API_KEY + " "}])
def test_login_with_a_wrong_key_is_401_and_sets_no_cookie(keyed, body):
    response = keyed.post("/api/login", json=body)
    error = error_of(response)
    assert (error["status"], error["code"]) == (401, "unauthorized")
    assert "set-cookie" not in response.headers
    assert not keyed.cookies
    assert keyed.get("/api/search").status_code == 401


def test_a_session_cookie_of_another_key_is_refused(indexed, keyed):
    other = create_app(indexed.data, api_key="another-key-9876543210")
    with TestClient(other) as stranger:
        assert stranger.post("/api/login", json={"key": "another-key-9876543210"}).status_code \
            == 204
        cookie = stranger.cookies["enrich_session"]
    keyed.cookies.set("enrich_session", cookie)
    error = error_of(keyed.get("/api/search"))
    assert error["code"] == "unauthorized"


@pytest.mark.parametrize("host, key, refused", [
    ("0.0.0.0", None, True), ("0.0.0.0", "", True), ("192.168.1.20", None, True),
    ("::", None, True), ("example.org", None, True),
    ("127.0.0.1", None, False), ("127.0.0.2", None, False), ("localhost", None, False),
    ("::1", None, False), ("[::1]", None, False),
    ("0.0.0.0", "k" * 16, False), ("::", "k" * 16, False),
])
def test_check_exposure(host, key, refused):
    if refused:
        with pytest.raises(ConfigError, match="ENRICH_API_KEY"):
            check_exposure(host, key)
        assert not is_loopback(host)
    else:
        check_exposure(host, key)


@pytest.mark.parametrize("host", ["127.0.0.1", "0.0.0.0"])
def test_a_short_key_is_refused(host):
    with pytest.raises(ConfigError, match="15 characters; use at least 16"):
        check_exposure(host, "k" * 15)


def test_on_loopback_only_loopback_host_names_are_answered(indexed):
    """DNS rebinding: a page at evil.example resolved to 127.0.0.1 is same-origin with
    the server, so the server must refuse Host names it was not started for."""
    app = create_app(indexed.data, allowed_hosts=allowed_hosts("127.0.0.1", ["search.lan"]))
    with TestClient(app, base_url="http://127.0.0.1:8000") as local:
        for host in ("127.0.0.1:8000", "localhost:8000", "[::1]:8000", "search.lan"):
            assert local.get("/api/search", headers={"Host": host}).status_code == 200, host
        for host in ("evil.example", "evil.example:8000", "127.0.0.1.evil.example", ""):
            error = error_of(local.get("/api/search", headers={"Host": host}))
            assert (error["status"], error["code"]) == (400, "invalid_host"), host
    assert allowed_hosts("0.0.0.0") is None  # beyond loopback the key guards every name
    assert allowed_hosts("0.0.0.0", ["search.example.org"]) == ["search.example.org"]


def test_serve_beyond_loopback_without_a_key_exits_2(indexed, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENRICH_")}
    result = subprocess.run(
        [sys.executable, "-m", "enrich", "serve", "--host", "0.0.0.0", "--port", "0",
         "--data", str(indexed.data)],
        env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path, check=False)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "ENRICH_API_KEY" in result.stdout + result.stderr


# --- traversal and hostile ids -------------------------------------------------

def traversal_urls(indexed) -> list[str]:
    doc = indexed.ids["harbour.pdf"]
    passwd = "%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd"
    return [
        "/api/documents/%2e%2e", "/api/documents/%2e%2e/file", "/api/documents/..%2f..%2fetc",
        f"/api/documents/{passwd}", f"/api/documents/{passwd}/file",
        "/api/documents/..%5c..%5cwindows", "/api/documents/%252e%252e%252f",
        "/api/documents/%00", "/api/documents/abc%00def/file", f"/api/documents/{doc}%00/file",
        "/api/documents/" + "a" * 129, "/api/documents/" + "a" * 129 + "/file",
        "/api/documents/" + "a" * 5000 + "/file",
        "/api/documents/%20", "/api/documents/a.b/file", "/api/documents/~root/file",
        f"/api/documents/{doc}/images/%2e%2e", f"/api/documents/{doc}/images/%2e%2e/thumbnail",
        f"/api/documents/{doc}/images/a%2fb", f"/api/documents/{doc}/images/{passwd}",
        f"/api/documents/{doc}/images/..%2f..%2f..%2fenrich.sqlite",
        f"/api/documents/{doc}/images/p1-i0%00", f"/api/documents/{doc}/images/" + "p" * 65,
        f"/api/documents/{doc}/pages/0/image", f"/api/documents/{doc}/pages/-1/image",
        f"/api/documents/{doc}/pages/%2e%2e/image", f"/api/documents/{doc}/pages/1e9/image",
        "/api/runs/%2e%2e", "/api/runs/%2e%2e%2f%2e%2e", f"/api/runs/{passwd}",
        "/api/runs/..%2f..%2fenrich.sqlite", "/api/runs/x%00", "/api/runs/" + "r" * 65,
        "/static/%2e%2e/app.py", "/static/..%2f..%2fserver%2fapp.py", "/static/%2e%2e%2fAPI.md",
    ]


def test_traversal_and_malformed_ids_are_refused_with_the_error_shape(client, indexed):
    secret = (indexed.data / "enrich.sqlite").read_bytes()[:16]  # "SQLite format 3\0"
    for url in traversal_urls(indexed):
        response = client.get(url)
        assert response.status_code in (400, 404), (url, response.status_code)
        error = error_of(response)
        assert error["code"] in ("invalid_parameter", "not_found"), (url, error)
        assert secret not in response.content and b"root:" not in response.content
        assert b"%PDF" not in response.content


def test_malformed_ids_name_the_parameter(client, indexed):
    doc = indexed.ids["harbour.pdf"]
    for url, parameter in [("/api/documents/%2e%2e", "doc_id"),
                           ("/api/documents/" + "a" * 129, "doc_id"),
                           ("/api/documents/a%00b/file", "doc_id"),
                           (f"/api/documents/{doc}/images/" + "p" * 65, "image_id"),
                           (f"/api/documents/{doc}/images/a%00", "image_id"),
                           ("/api/runs/x%00", "run_id"), ("/api/runs/" + "r" * 65, "run_id")]:
        error = error_of(client.get(url))
        assert (error["code"], error["details"]["parameter"]) == ("invalid_parameter",
                                                                  parameter), url


def test_a_document_id_of_128_characters_is_valid_and_unknown(client):
    error = error_of(client.get("/api/documents/" + "a" * 128))
    assert (error["status"], error["code"]) == (404, "not_found")


# --- oversized parameters and bodies ---------------------------------------------

def oversized(indexed) -> list[tuple[str, dict | list, str]]:
    doc = indexed.ids["harbour.pdf"]
    return [
        ("/api/search", {"q": "a" * 1001}, "q"),
        ("/api/search", {"top": 101}, "top"),
        ("/api/search", {"top": -1}, "top"),
        ("/api/search", {"skip": 10001}, "skip"),
        ("/api/search", {"facet_size": 101}, "facet_size"),
        ("/api/search", {"facet_size": 0}, "facet_size"),
        ("/api/search", [("facet", "people")] * 11, "facet"),
        ("/api/search", [("filter", "people:Zorvex")] * 21, "filter"),
        ("/api/search", {"filter": "people:" + "x" * 501}, "filter"),
        ("/api/suggest", {"q": "z" * 201}, "q"),
        ("/api/suggest", {"q": "zor", "limit": 51}, "limit"),
        ("/api/graph/search", {"q": "a" * 1001}, "q"),
        ("/api/graph/search", [("filter", "people:Zorvex")] * 21, "filter"),
        ("/api/graph/search", {"limit": 201}, "limit"),
        ("/api/graph/ego", {"entity": "Zorvex", "radius": 3}, "radius"),
        ("/api/graph/ego", {"entity": "Zorvex", "radius": 0}, "radius"),
        ("/api/graph/ego", {"entity": "Zorvex", "limit": 201}, "limit"),
        ("/api/graph/ego", {"entity": "Zorvex", "radius": 2, "limit": 15}, "limit"),
        ("/api/graph/neighbors", {"entity": "Zorvex", "limit": 201}, "limit"),
        ("/api/graph/neighbors", {"entity": "Z" * 301}, "entity"),
        ("/api/graph/evidence", {"a": "Zorvex", "b": "Quilmar", "limit": 201}, "limit"),
        ("/api/graph/entity", {"name": "Zorvex", "kind": "P" * 101}, "kind"),
        ("/api/runs", {"limit": 201}, "limit"),
        (f"/api/documents/{doc}/images/p1-i0/thumbnail", {"size": 1000}, "size"),
        (f"/api/documents/{doc}/images/p1-i0/thumbnail", {"size": 15}, "size"),
        (f"/api/documents/{doc}/pages/1/image", {"width": 5000}, "width"),
        (f"/api/documents/{doc}/pages/1/image", {"width": 99}, "width"),
        (f"/api/documents/{doc}/pages/100001/image", {}, "number"),
    ]


def test_oversized_parameters_are_400_naming_the_parameter(client, indexed):
    for url, params, parameter in oversized(indexed):
        response = client.get(url, params=params)
        error = error_of(response)
        assert (error["status"], error["code"]) == (400, "invalid_parameter"), (url, error)
        assert error["details"]["parameter"] == parameter, (url, error)
        assert error["details"].get("reason"), (url, error)


def test_the_limits_themselves_are_allowed(client, indexed):
    doc = indexed.ids["harbour.pdf"]
    for url, params in [
        ("/api/search", {"q": "a" * 1000, "top": 100, "skip": 10000, "facet_size": 100}),
        ("/api/search", [("facet", f) for f in ("uri", "file_type", "language", "people",
                                                 "organizations", "locations", "entities",
                                                 "keyphrases", "tags", "labels")]),
        ("/api/search", [("filter", f"people:P{i}") for i in range(20)]),
        ("/api/search", {"filter": "people:" + "x" * 500}),
        ("/api/graph/ego", {"entity": "Zorvex", "radius": 2, "limit": 14}),
        ("/api/graph/ego", {"entity": "Zorvex", "radius": 1, "limit": 200}),
        ("/api/graph/search", {"limit": 200}),
        (f"/api/documents/{doc}/images/p1-i0/thumbnail", {"size": 512}),
        (f"/api/documents/{doc}/images/p1-i0/thumbnail", {"size": 16}),
        (f"/api/documents/{doc}/pages/1/image", {"width": 100}),
    ]:
        response = client.get(url, params=params)
        assert response.status_code == 200, (url, response.text[:300])


def test_the_largest_page_render_is_allowed(client, indexed):
    response = client.get(f"/api/documents/{indexed.ids['again.pdf']}/pages/1/image",
                          params={"width": 2000})
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"


@pytest.mark.parametrize("size", [16_385, 100_000])
def test_a_large_body_is_413(keyed, size):
    body = b'{"key": "' + b"k" * size + b'"}'
    response = keyed.post("/api/login", content=body,
                          headers={"Content-Type": "application/json"})
    error = error_of(response)
    assert (error["status"], error["code"]) == (413, "payload_too_large")
    assert "set-cookie" not in response.headers


def test_a_body_of_exactly_the_limit_is_read(keyed):
    body = b'{"key": "' + b"k" * (16_384 - 11) + b'"}'
    assert len(body) == 16_384
    error = error_of(keyed.post("/api/login", content=body,
                                headers={"Content-Type": "application/json"}))
    assert (error["status"], error["code"]) == (400, "invalid_parameter")  # key too long


def test_a_key_longer_than_1024_characters_is_refused(keyed):
    error = error_of(keyed.post("/api/login", json={"key": "k" * 1025}))
    assert (error["status"], error["details"]["parameter"]) == (400, "key")


def test_a_body_without_a_length_is_refused(keyed):
    response = keyed.post("/api/login", content=iter([b'{"key": "', API_KEY.encode(), b'"}']),
                          headers={"Content-Type": "application/json"})
    error = error_of(response)
    assert (error["status"], error["code"]) == (411, "length_required")
    assert "set-cookie" not in response.headers


# --- CORS ----------------------------------------------------------------------

def test_no_cors_by_default(client):
    for origin in ("https://a.example", "null", "http://127.0.0.1:9999"):
        response = client.get("/api/search", headers={"Origin": origin})
        assert response.status_code == 200
        assert "access-control-allow-origin" not in response.headers
        assert "access-control-allow-credentials" not in response.headers
    preflight = client.options("/api/search", headers={
        "Origin": "https://a.example", "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in preflight.headers


@pytest.fixture(scope="module")
def cors(indexed):
    app = create_app(indexed.data, api_key=API_KEY, cors_origins=["https://a.example"])
    with TestClient(app) as test_client:
        yield test_client


def test_cors_allows_only_the_configured_origin(cors):
    allowed = cors.get("/api/search", headers={"Origin": "https://a.example", **BEARER})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://a.example"
    for origin in ("https://b.example", "https://a.example.evil.org", "http://a.example",
                   "null"):
        other = cors.get("/api/search", headers={"Origin": origin, **BEARER})
        assert other.headers.get("access-control-allow-origin") is None, origin


def test_cors_preflight(cors):
    allowed = cors.options("/api/search", headers={
        "Origin": "https://a.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization"})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://a.example"
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    refused = cors.options("/api/search", headers={
        "Origin": "https://b.example", "Access-Control-Request-Method": "GET"})
    assert refused.status_code >= 400
    assert "access-control-allow-origin" not in refused.headers


def test_cors_does_not_replace_the_key(cors):
    response = cors.get("/api/search", headers={"Origin": "https://a.example"})
    assert error_of(response)["code"] == "unauthorized"


# --- headers -------------------------------------------------------------------

def assert_security_headers(response, what):
    headers = response.headers
    assert headers.get("x-content-type-options") == "nosniff", what
    assert headers.get("x-frame-options") == "DENY", what
    assert headers.get("referrer-policy") == "no-referrer", what
    assert headers.get("content-security-policy"), what


def test_security_headers_on_pages_and_api_answers(client, indexed):
    doc = indexed.ids["harbour.pdf"]
    for url in ("/", "/static/app.js", "/api/search?q=lighthouse", f"/api/documents/{doc}",
                f"/api/documents/{doc}/images/p1-i0", "/api/health", "/metrics",
                "/api/nowhere", "/api/search?top=1000"):
        response = client.get(url)
        assert_security_headers(response, url)
        csp = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp, url
        assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0], url


def test_api_answers_are_not_cached(client):
    assert client.get("/api/search").headers["cache-control"] == "no-store"
    assert client.get("/api/nowhere").headers["cache-control"] == "no-store"


def test_pdfs_are_shown_inline_without_a_sandbox_but_never_framed(client, indexed):
    response = client.get(f"/api/documents/{indexed.ids['harbour.pdf']}/file")
    assert response.headers["content-disposition"].startswith("inline")
    assert response.headers["content-security-policy"] == "frame-ancestors 'none'"
    assert response.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("name", ["notes.md", "memo.docx"])
def test_original_files_are_sandboxed(client, indexed, name):
    response = client.get(f"/api/documents/{indexed.ids[name]}/file")
    assert response.status_code == 200
    assert_security_headers(response, name)
    csp = [part.strip() for part in response.headers["content-security-policy"].split(";")]
    assert csp[0] == "sandbox"  # no allow-scripts, no allow-same-origin
    assert "default-src 'none'" in csp


def test_error_answers_carry_the_security_headers_too(keyed, client, indexed):
    """security.py: *every* answer is nosniff, no-referrer and unframeable."""
    answers = {
        "401": keyed.get("/api/search"),
        "404": client.get("/api/documents/" + "0" * 32),
        "405": client.post("/api/search"),
        "413": keyed.post("/api/login", content=b"x" * 20_000),
        "411": keyed.post("/api/login", content=iter([b"{}"])),
    }
    missing = [what for what, response in answers.items()
               if response.headers.get("x-content-type-options") != "nosniff"
               or response.headers.get("x-frame-options") != "DENY"
               or response.headers.get("referrer-policy") != "no-referrer"]
    assert missing == [], f"answers without the security headers: {missing}"


def test_an_internal_error_carries_the_security_headers(indexed, monkeypatch):
    from enrich.server.corpus import Corpus

    def broken(self, *args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Corpus, "document", broken)
    with TestClient(create_app(indexed.data), raise_server_exceptions=False) as client:
        response = client.get(f"/api/documents/{indexed.ids['notes.md']}")
    assert response.status_code == 500
    assert b"disk on fire" not in response.content  # the log has it, not the client
    assert_security_headers(response, "500")


def test_head_is_answered_like_get_without_a_body(client, keyed):
    for url in ("/", "/api/health", "/api/search?q=zorvex"):
        get, head = client.get(url), client.head(url)
        assert head.status_code == get.status_code == 200, url
        assert head.content == b"" and head.headers["content-type"] == get.headers["content-type"]
    assert keyed.head("/api/search?q=zorvex").status_code == 401  # HEAD needs the key too


def test_the_page_files_are_revalidated_not_stored(client):
    for url in ("/", "/static/app.js"):
        answer = client.get(url)
        assert answer.headers["cache-control"] == "no-cache", url
    assert client.get("/api/health").headers["cache-control"] == "no-store"


def test_large_answers_are_gzipped_when_the_client_accepts_it(client):
    plain = client.get("/api/search", params={"facet": "people"},
                       headers={"Accept-Encoding": "identity"})
    packed = client.get("/api/search", params={"facet": "people"},
                        headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip" and packed.json() == plain.json()
    assert_security_headers(packed, "gzipped search")


def test_unknown_methods_do_not_grow_the_metrics(client):
    for method in ("X0ZZ", "X1ZZ", "BREW"):
        client.request(method, "/api/search")
    text = client.get("/metrics").text
    assert 'method="other"' in text and "X0ZZ" not in text and "BREW" not in text


def test_the_api_key_is_never_read_from_a_config_file(tmp_path, monkeypatch):
    from enrich.config import get_setting
    from enrich.errors import EnrichError
    (tmp_path / "enrich.yaml").write_text("api_key: in-a-file-0123456789\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ENRICH_API_KEY", raising=False)
    with pytest.raises(EnrichError, match="ENRICH_API_KEY"):
        get_setting("api_key")
