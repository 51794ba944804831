"""`enrich serve --workers 2`: two processes answer, and a session cookie made by one is
good on the other (they share the session secret)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest

from .conftest import API_KEY
from .test_browser import serving

pytestmark = pytest.mark.slow


def _get(url: str, headers: dict[str, str]) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_two_processes_answer_and_share_sessions(indexed, tmp_path):
    log = tmp_path / "serve.log"
    with serving(indexed.data, {"ENRICH_API_KEY": API_KEY}, log, ("--workers", "2")) as base:
        deadline = time.monotonic() + 60  # uvicorn logs each process it starts
        while log.read_text().count("Started server process") < 2:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        login = urllib.request.Request(base + "/api/login", method="POST",
                                       data=json.dumps({"key": API_KEY}).encode(),
                                       headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(login, timeout=10) as answer:
            cookie = answer.headers["Set-Cookie"].split(";")[0]
        # new connections go to either process: the cookie is good on every one
        answers = [_get(base + "/api/search?q=lighthouse", {"Cookie": cookie})
                   for _ in range(30)]
        assert {status for status, _ in answers} == {200}
        assert len({body["count"] for _, body in answers}) == 1
        assert _get(base + "/api/search?q=x", {})[0] == 401
