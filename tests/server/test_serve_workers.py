"""`enrich serve --workers 2`: two processes answer, and a session cookie made by one is
good on the other (they share the session secret)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .conftest import API_KEY

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, headers: dict[str, str]) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def _children(pid: int) -> set[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True,
                         text=True)
    return {int(line) for line in out.stdout.split()}


def test_two_processes_answer_and_share_sessions(indexed, tmp_path):
    port = _free_port()
    env = {**os.environ, "ENRICH_API_KEY": API_KEY, "HF_HUB_OFFLINE": "1", "NO_COLOR": "1"}
    log = (tmp_path / "serve.log").open("w+")
    server = subprocess.Popen([sys.executable, "-m", "enrich", "serve", "--data",
                               str(indexed.data), "--port", str(port), "--workers", "2",
                               "--log-level", "warning"],
                              stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if _get(base + "/api/health", {})[0] == 200:
                    break
            except OSError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, \
                Path(log.name).read_text()
            time.sleep(0.3)
        # uvicorn's supervisor and its two workers (and a resource tracker, maybe)
        workers = {pid for pid in _children(server.pid) if _children(pid) == set()}
        assert len(workers) >= 2, Path(log.name).read_text()
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
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
