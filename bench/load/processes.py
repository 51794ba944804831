"""The processes the load benchmark drives: index runs, the writer, the server, store read-outs."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from bench import ROOT
from bench.load import REQUEST_TIMEOUT, auth_headers, say
from bench.runs import ENRICH, enrich_env, index_argv, parse_summary, run_logged, tail
from indexers.stores import DataDir


class SetupFailed(Exception):
    """The first index run or the server did not come up: nothing to measure."""


def run_index(folder: Path, data: Path, workers: int, log: Path) -> tuple[int, dict | None, float]:
    """(exit status, JSON summary, seconds) of one ``enrich index`` of ``folder``."""
    proc, seconds = run_logged(index_argv(folder, data, workers), log, offline=True)
    return proc.returncode, parse_summary(proc.stdout), seconds


def stop_group(proc: subprocess.Popen, first: int, grace: float) -> str:
    """Signal the process group we created for ``proc``; escalate to SIGTERM, SIGKILL."""
    if proc.poll() is not None:
        return "exited"
    for sig, wait in ((first, grace), (signal.SIGTERM, 10.0), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(wait)
            return signal.Signals(sig).name
        except subprocess.TimeoutExpired:
            continue
    return "killed"


class Writer:
    """``enrich index`` runs one after the other, until stopped."""

    def __init__(self, folders: list[Path], data: Path, workers: int, batch_size: int,
                 logs: Path, commit_seconds: float | None = None) -> None:
        self.folders, self.data, self.workers, self.logs = folders, data, workers, logs
        self.batch_size, self.commit_seconds = batch_size, commit_seconds
        self.runs: list[dict[str, Any]] = []
        self.stopped = threading.Event()
        self.lock = threading.Lock()
        self.proc: subprocess.Popen | None = None
        self.thread = threading.Thread(target=self._loop, name="writer", daemon=True)
        self.stop_how = ""

    def start(self) -> None:
        self.thread.start()

    def _loop(self) -> None:
        """Index the folders in turn (then ``--reindex`` them); give up after three failures."""
        failures = 0
        while not self.stopped.is_set() and failures < 3:
            run = self._run(len(self.runs))
            if run is None:
                return
            self.runs.append(run)
            failed = run["rc"] not in (0, 1) and not run["interrupted"]
            failures = failures + 1 if failed else 0
            if failed:
                self.stopped.wait(1.0)
        if failures >= 3:
            say("    writer: three index runs failed in a row; no more writes")

    def _run(self, n: int) -> dict[str, Any] | None:
        """Run ``n`` (from 0), as a process group of its own; None once the writer is stopped."""
        folder = self.folders[n % len(self.folders)]
        reindex = n >= len(self.folders)
        commits = [] if self.commit_seconds is None else ["--commit-seconds",
                                                          str(self.commit_seconds)]
        argv = index_argv(folder, self.data, self.workers, "--batch-size", str(self.batch_size),
                          *commits, *(["--reindex"] if reindex else []))
        out, err = self.logs / f"writer-{n + 1}.out", self.logs / f"writer-{n + 1}.err"
        run = {"n": n + 1, "folder": folder.name, "reindex": reindex, "start": time.time()}
        with self.lock:
            if self.stopped.is_set():
                return None
            with open(out, "w") as fo, open(err, "w") as fe:
                self.proc = subprocess.Popen(argv, cwd=ROOT, env=enrich_env(offline=True),
                                             stdout=fo, stderr=fe, start_new_session=True)
        run["rc"] = self.proc.wait()
        run["end"] = time.time()
        run["summary"] = parse_summary(out.read_text())
        run["interrupted"] = self.stopped.is_set() and run["summary"] is None
        if run["summary"] is None and not run["interrupted"]:
            run["stderr_tail"] = err.read_text().strip().splitlines()[-6:]
        return run

    def stop(self) -> None:
        """Interrupt the current run like Ctrl-C (SIGINT), escalating if it does not stop."""
        with self.lock:
            self.stopped.set()
            proc = self.proc
        if proc is not None:
            self.stop_how = stop_group(proc, signal.SIGINT, 30.0)
        self.thread.join(60)


def free_port(host: str) -> int:
    """A port nobody listens on at ``host`` right now."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def start_server(data: Path, host: str, port: int, log: Path, timeout: float,
                 extra: list[str] | None = None) -> tuple[subprocess.Popen, str, float, dict]:
    """``enrich serve`` in its own process group: (process, base URL, start-up seconds, health).

    Ready when ``/api/health`` answers 200 with ``ready`` (query models loaded) several
    times in a row (one answer per process, likely); :class:`SetupFailed` when it exits
    or times out.
    """
    import httpx

    argv = [*ENRICH, "serve", "--data", str(data), "--host", host, "--port", str(port),
            *(extra or [])]
    with open(log, "w") as f:
        f.write(f"$ {' '.join(argv)}\n")
        f.flush()
        proc = subprocess.Popen(argv, cwd=ROOT, env=enrich_env(offline=True), stdout=f,
                                stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://{'[' + host + ']' if ':' in host else host}:{port}"
    t0 = time.monotonic()
    last, ready = "no answer", 0
    while time.monotonic() - t0 < timeout:
        if proc.poll() is not None:
            raise SetupFailed(f"the server exited with status {proc.returncode}:\n" + tail(log, 15))
        try:
            r = httpx.get(base + "/api/health", timeout=2.0, headers=auth_headers())
            ready = ready + 1 if r.status_code == 200 and r.json().get("ready", True) else 0
            if ready >= READY_ANSWERS:
                return proc, base, time.monotonic() - t0, r.json()
            last = f"{r.status_code} {r.text[:200]}"
        except httpx.HTTPError as exc:
            last = f"{type(exc).__name__}: {exc}"
        time.sleep(0.25)
    stop_group(proc, signal.SIGTERM, 10.0)
    raise SetupFailed(f"/api/health did not answer 200 within {timeout:.0f} s (last: {last}):\n"
                      + tail(log, 15))


READY_ANSWERS = 8  # ready answers in a row before the load starts (every process, likely)


def health(base: str) -> dict[str, Any]:
    """The server's ``/api/health`` answer, or ``{"error": ...}``."""
    import httpx

    try:
        return httpx.get(base + "/api/health", headers=auth_headers(), timeout=REQUEST_TIMEOUT).json()
    except (httpx.HTTPError, ValueError) as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}


def store_rows(data: Path) -> list[tuple[str, float]]:
    """(id, ``indexed_at`` as epoch seconds) of every stored document (read-only)."""
    path = DataDir(data).store
    if not path.exists():
        return []
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        rows = conn.execute("SELECT id, indexed_at FROM documents").fetchall()
    except sqlite3.Error:
        return []
    finally:
        conn.close()
    return [(r[0], datetime.fromisoformat(r[1]).timestamp()) for r in rows]


class WriteWatcher:
    """Every (document, indexed_at) version seen in the store, polled every 0.5 s, so a
    document written twice in the window (a --reindex run) counts twice."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.seen: set[tuple[str, float]] = set()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="writes", daemon=True)

    def start(self) -> None:
        self.seen.update(store_rows(self.data))
        self.thread.start()

    def _loop(self) -> None:
        while not self.stopped.wait(0.5):
            self.seen.update(store_rows(self.data))

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(10)
        self.seen.update(store_rows(self.data))

    def between(self, t0: float, t1: float) -> list[float]:
        return sorted(t for _, t in self.seen if t0 <= t <= t1)


def wait_first_write(data: Path, since: float, writer: Writer, timeout: float) -> float | None:
    """Seconds until a document indexed after ``since`` is in the store; None if none came."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if any(t >= since for _, t in store_rows(data)):
            return time.monotonic() - t0
        if not writer.thread.is_alive():
            return None
        time.sleep(0.2)
    return None
