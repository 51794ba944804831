"""Load on ``enrich serve``: concurrent clients while an index run writes.

    .venv/bin/python bench/load.py [--clients 50] [--seconds 30] [--docs 150] [--work DIR]
        [--keep] [--json]

Steps (printed as they run, then one table; nothing is asserted):

a. **corpus** (``WORK/corpus/{first,second,third}``): ``--docs`` text PDFs in each folder,
   ``--pages`` pages of English prose from ``bench/throughput.py``'s generator (people,
   players, teams, brands, organisations, places), written with ``tests/factories.py``
   (``text_pdf``); every fourth PDF carries an embedded photo, so some results have image
   thumbnails (the others' thumbnail is a page render, requested as ``page_image``).
   Fixed seed; reused under ``--work`` when ``WORK/corpus.json`` matches the parameters.
b. **first index**: ``python -m enrich index WORK/corpus/first --data WORK/data`` (fresh
   data directory, ``HF_HUB_OFFLINE=1``).
c. **server**: ``python -m enrich serve --data WORK/data --host 127.0.0.1 --port P``
   (a free port; loopback only), ready when ``/api/health`` answers 200.
d. **writer**: ``enrich index`` of ``second``, then ``third``, then ``--reindex`` of
   each in turn, one run after the other until the load ends, so the store and the
   search index are written during the whole window. The load starts once the first
   new document is in the store.
e. **load**: ``--clients`` threads, each with its own ``httpx.Client``, loop for
   ``--seconds`` (back to back, or ``--think`` seconds apart on average) over the
   ``MIX`` of requests: search with facets and filters, suggest, documents, image
   thumbnails, page images, files, graph entity / neighbors / ego / evidence / search,
   status, runs. Ids and entity keys come from earlier answers (a warm-up search and
   suggest calls, not measured, seed them). An error is a non-2xx answer, a 2xx answer
   whose body is not what the endpoint promises (JSON, an image), a connection error,
   or no answer within 10 s.
f. **stop**: the writer is interrupted (SIGINT, like Ctrl-C), the server terminated;
   the work folder is deleted unless ``--keep`` or ``--work``.

Printed: per request type and overall, requests, errors, p50/p95/p99/max latency (ms)
and requests/s; the error examples (status and body); how long the index runs
overlapped the window and how many documents they wrote in it; CPU time of server,
index runs and clients (the machine's cores are shared by all three); the server's
log problems. ``--json`` prints the same as one JSON object (progress goes to stderr).
Target: 0 errors. Exit status 2 when the setup failed (no index, no server).
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import platform
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
prose = importlib.import_module("throughput")  # the prose generator and its name lists
from enrich.server.security import is_loopback  # noqa: E402 (after the path set-up)

MAX_CLIENTS = 200
MAX_SECONDS = 600
REQUEST_TIMEOUT = 10.0
GENERATOR_VERSION = 1
SEED = 20240611
FOLDERS = ("first", "second", "third")
FACETS = ("people", "organizations", "keyphrases", "locations")
ERROR_EXAMPLES = 20

# Request types and their share of the mix (weights, in percent).
MIX = {
    "search": 30, "suggest": 14, "document": 12, "thumbnail": 8, "page_image": 3, "file": 2,
    "entity": 3, "neighbors": 8, "ego": 6, "evidence": 2, "graph_search": 5, "status": 5,
    "runs": 2,
}
WORDS = ["shoes", "sponsorship", "budget", "stadium", "merger", "contract", "clinic", "storm",
         "flight", "tickets", "committee", "report", "agreement", "charity", "broadcast",
         "points", "coach", "reporters", "schedule", "findings", "damage", "delayed", "training"]
PHRASES = ['"LeBron James"', '"World Bank"', '"stadium lease"', '"supply agreement"',
           '"Red Cross"', '"Golden State Warriors"', '"annual report"', '"New York City"',
           '"training centre"', '"youth basketball programme"']


def say(*args: Any) -> None:
    print(*args, file=sys.stderr if QUIET else sys.stdout, flush=True)


QUIET = False  # --json: progress goes to stderr


# ----------------------------------------------------------------------------- corpus


def write_doc(args: tuple[str, str, int, int]) -> None:
    """One PDF of the corpus (its own seed, so any worker can write any document)."""
    from tests import factories

    folder, tag, index, pages = args
    rng = random.Random(f"{SEED}-{tag}-{index}")
    texts = ["\n\n".join(prose.page_paragraphs(rng)) for _ in range(pages)]
    title = f"{rng.choice(prose.FAMOUS)}, {rng.choice(prose.ORGS)} and {rng.choice(prose.PLACES)}"
    factories.text_pdf(Path(folder) / f"{tag}-{index:04d}.pdf", texts, image=index % 4 == 0,
                       title=title, author=prose.person(rng))


def ensure_corpus(work: Path, docs: int, pages: int) -> tuple[dict[str, Path], bool]:
    corpus, manifest = work / "corpus", work / "corpus.json"
    params = {"docs": docs, "pages": pages, "seed": SEED, "generator": GENERATOR_VERSION}
    folders = {tag: corpus / tag for tag in FOLDERS}
    if manifest.exists() and json.loads(manifest.read_text()) == params and all(
            len(list(f.glob("*.pdf"))) == docs for f in folders.values()):
        return folders, True
    shutil.rmtree(corpus, ignore_errors=True)
    for folder in folders.values():
        folder.mkdir(parents=True)
    jobs = [(str(folders[tag]), tag, i, pages) for tag in FOLDERS for i in range(docs)]
    with ProcessPoolExecutor(max_workers=max(1, min(4, usable_cores()))) as pool:
        list(pool.map(write_doc, jobs, chunksize=16))
    manifest.write_text(json.dumps(params))
    return folders, False


# ------------------------------------------------------------------------ processes


def enrich_env() -> dict[str, str]:
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", PYTHONUNBUFFERED="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def index_argv(folder: Path, data: Path, workers: int, reindex: bool = False,
               batch_size: int | None = None) -> list[str]:
    return [sys.executable, "-m", "enrich", "index", str(folder), "--data", str(data),
            "--workers", str(workers), *(["--batch-size", str(batch_size)] if batch_size else []),
            *(["--reindex"] if reindex else []), "--json"]


def run_index(folder: Path, data: Path, workers: int, log: Path) -> tuple[int, dict | None, float]:
    argv = index_argv(folder, data, workers)
    t0 = time.monotonic()
    proc = subprocess.run(argv, check=False, cwd=ROOT, env=enrich_env(), capture_output=True, text=True)
    seconds = time.monotonic() - t0
    log.write_text(f"$ {' '.join(argv)}\n# rc={proc.returncode}\n--- stdout\n{proc.stdout}"
                   f"\n--- stderr\n{proc.stderr}")
    return proc.returncode, prose.parse_summary(proc.stdout), seconds


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
                 logs: Path) -> None:
        self.folders, self.data, self.workers, self.logs = folders, data, workers, logs
        self.batch_size = batch_size
        self.runs: list[dict[str, Any]] = []
        self.stopped = threading.Event()
        self.lock = threading.Lock()
        self.proc: subprocess.Popen | None = None
        self.thread = threading.Thread(target=self._loop, name="writer", daemon=True)
        self.stop_how = ""

    def start(self) -> None:
        self.thread.start()

    def _loop(self) -> None:
        failures = 0
        n = 0
        while not self.stopped.is_set():
            folder = self.folders[n % len(self.folders)]
            reindex = n >= len(self.folders)
            argv = index_argv(folder, self.data, self.workers, reindex, self.batch_size)
            out, err = self.logs / f"writer-{n + 1}.out", self.logs / f"writer-{n + 1}.err"
            run = {"n": n + 1, "folder": folder.name, "reindex": reindex, "start": time.time()}
            with self.lock:
                if self.stopped.is_set():
                    break
                with open(out, "w") as fo, open(err, "w") as fe:
                    self.proc = subprocess.Popen(argv, cwd=ROOT, env=enrich_env(), stdout=fo,
                                                 stderr=fe, start_new_session=True)
            run["rc"] = self.proc.wait()
            run["end"] = time.time()
            run["summary"] = prose.parse_summary(out.read_text())
            run["interrupted"] = self.stopped.is_set() and run["summary"] is None
            if run["summary"] is None and not run["interrupted"]:
                run["stderr_tail"] = err.read_text().strip().splitlines()[-6:]
            self.runs.append(run)
            n += 1
            if run["rc"] not in (0, 1) and not run["interrupted"]:
                failures += 1
                if failures >= 3:
                    say("    writer: three index runs failed in a row; no more writes")
                    return
                time.sleep(1.0)
            else:
                failures = 0

    def stop(self) -> None:
        with self.lock:
            self.stopped.set()
            proc = self.proc
        if proc is not None:
            self.stop_how = stop_group(proc, signal.SIGINT, 30.0)
        self.thread.join(60)


def free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]



def auth_headers() -> dict[str, str]:
    key = os.environ.get("ENRICH_API_KEY")
    return {"Authorization": f"Bearer {key}"} if key else {}


def start_server(data: Path, host: str, port: int, log: Path, timeout: float
                 ) -> tuple[subprocess.Popen, str, float, dict]:
    import httpx

    argv = [sys.executable, "-m", "enrich", "serve", "--data", str(data), "--host", host,
            "--port", str(port)]
    with open(log, "w") as f:
        f.write(f"$ {' '.join(argv)}\n")
        f.flush()
        proc = subprocess.Popen(argv, cwd=ROOT, env=enrich_env(), stdout=f, stderr=subprocess.STDOUT,
                                start_new_session=True)
    base = f"http://{'[' + host + ']' if ':' in host else host}:{port}"
    t0 = time.monotonic()
    last = "no answer"
    while time.monotonic() - t0 < timeout:
        if proc.poll() is not None:
            raise SetupFailed(f"the server exited with status {proc.returncode}:\n" + tail(log, 15))
        try:
            r = httpx.get(base + "/api/health", timeout=2.0, headers=auth_headers())
            if r.status_code == 200:
                return proc, base, time.monotonic() - t0, r.json()
            last = f"{r.status_code} {r.text[:200]}"
        except httpx.HTTPError as exc:
            last = f"{type(exc).__name__}: {exc}"
        time.sleep(0.25)
    stop_group(proc, signal.SIGTERM, 10.0)
    raise SetupFailed(f"/api/health did not answer 200 within {timeout:.0f} s (last: {last}):\n"
                      + tail(log, 15))


class SetupFailed(Exception):
    pass


def health(base: str) -> dict[str, Any]:
    import httpx

    try:
        return httpx.get(base + "/api/health", headers=auth_headers(), timeout=REQUEST_TIMEOUT).json()
    except (httpx.HTTPError, ValueError) as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}


def tail(path: Path, lines: int) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return ""


# ------------------------------------------------------------------- store read-outs


def store_rows(data: Path) -> list[tuple[str, float]]:
    """(id, ``indexed_at`` as epoch seconds) of every stored document (read-only)."""
    path = data / "enrich.sqlite"
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
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if any(t >= since for _, t in store_rows(data)):
            return time.monotonic() - t0
        if not writer.thread.is_alive():
            return None
        time.sleep(0.2)
    return None


# ------------------------------------------------------------------------ CPU usage


def usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _proc_table() -> dict[int, tuple[int, float]]:
    """pid -> (ppid, user + system CPU seconds), from /proc (empty elsewhere)."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    table = {}
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        table[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    return table


def loadavg() -> str:
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    try:
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return 0.0, 0.0
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return float(sum(values) - idle), float(sum(values))


class CpuSampler:
    """CPU seconds of the server's and the index runs' process trees, sampled every 0.5 s.

    Approximate: a process that exits between two samples loses its last half second.
    """

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.first: dict[int, float] = {}
        self.last: dict[int, tuple[str, float]] = {}
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="cpu", daemon=True)

    def start(self) -> None:
        self._sample(baseline=True)
        self.busy0 = machine_busy()
        self.thread.start()

    def _sample(self, baseline: bool = False) -> None:
        table = _proc_table()
        me = os.getpid()
        for pid, (_, cpu) in table.items():
            chain, p = [], pid
            while p in table and p not in (me, 0, 1) and len(chain) < 50:
                chain.append(p)
                p = table[p][0]
            if p != me or pid == me:
                continue
            role = "server" if self.server_pid in chain else "index"
            if baseline:
                self.first[pid] = cpu
            else:
                self.first.setdefault(pid, 0.0)
            self.last[pid] = (role, cpu)

    def _loop(self) -> None:
        while not self.stopped.wait(0.5):
            self._sample()

    def stop(self) -> dict[str, float]:
        self.stopped.set()
        self.thread.join(5)
        self._sample()
        busy1 = machine_busy()
        out = {"server": 0.0, "index": 0.0}
        for pid, (role, cpu) in self.last.items():
            out[role] += max(0.0, cpu - self.first.get(pid, 0.0))
        tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        out["machine_busy"] = (busy1[0] - self.busy0[0]) / tick
        total = busy1[1] - self.busy0[1]
        out["machine_busy_pct"] = 100 * (busy1[0] - self.busy0[0]) / total if total else 0.0
        return out


# ----------------------------------------------------------------------------- load


class Pools:
    """What earlier answers taught the clients: ids, thumbnails, entities, facet values."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.docs: list[str] = []
        self.thumbs: list[str] = []
        self.entities: list[tuple[str, str, str]] = []  # (name, type, key)
        self.pairs: list[tuple[str, str]] = []  # keys of co-occurring entities
        self.facets: list[tuple[str, str]] = []  # (field, value)

    @staticmethod
    def _add(items: list, value: Any, cap: int, rng: random.Random) -> None:
        if value in items:
            return
        if len(items) < cap:
            items.append(value)
        else:
            items[rng.randrange(cap)] = value

    def add(self, kind: str, value: Any, rng: random.Random) -> None:
        cap = {"docs": 2000, "thumbs": 1000, "entities": 1000, "pairs": 1000, "facets": 500}[kind]
        with self.lock:
            self._add(getattr(self, kind), value, cap, rng)

    def pick(self, kind: str, rng: random.Random) -> Any:
        with self.lock:
            items = getattr(self, kind)
            return rng.choice(items) if items else None


def search_query(rng: random.Random, pools: Pools) -> str:
    r = rng.random()
    if r < 0.30:
        return rng.choice([rng.choice(prose.PLACES).split()[-1], rng.choice(prose.LAST),
                           rng.choice(prose.BRANDS), rng.choice(WORDS), rng.choice(prose.FIRST)])
    if r < 0.45:
        return rng.choice(PHRASES)
    if r < 0.60:
        a, b = rng.choice(prose.BRANDS + prose.LAST), rng.choice(prose.PLACES).split()[0]
        return rng.choice([f"{a} AND {b}", f"{a} OR {b}", f"{b} NOT {a}", f"{a} {rng.choice(WORDS)}"])
    if r < 0.70:
        return rng.choice(prose.PLACES + prose.LAST + WORDS)[:4] + "*"
    if r < 0.80:
        name = pools.pick("entities", rng)
        field = {"PERSON": "people", "ORG": "organizations", "GPE": "locations"}.get(name[1] if name else "")
        if field:
            return f'{field}:"{name[0]}"'
        return "file_type:pdf"
    if r < 0.88:
        return "*"
    return f"{rng.choice(WORDS)} {rng.choice(prose.PLACES)}"


def build(kind: str, rng: random.Random, pools: Pools) -> tuple[str, str, list[tuple[str, str]]]:
    """(kind actually used, path, query parameters); falls back to a search when the pools
    have nothing for ``kind`` yet."""
    if kind == "suggest":
        name = rng.choice(prose.FAMOUS + prose.ORGS + prose.PLACES + [prose.person(rng)])
        name = name.removeprefix("the ")
        params = [("q", name[:rng.randint(2, 5)]), ("limit", "8")]
        entity = pools.pick("entities", rng)
        if entity and rng.random() < 0.2:
            params.append(("kind", entity[1]))
        return kind, "/api/suggest", params
    if kind in ("document", "page_image", "file"):
        doc = pools.pick("docs", rng)
        if doc:
            if kind == "document":
                return kind, f"/api/documents/{doc}", [("tree", "true")] if rng.random() < 0.1 else []
            if kind == "page_image":
                return kind, f"/api/documents/{doc}/pages/1/image", [("width", str(rng.choice([200, 200, 400, 800])))]
            return kind, f"/api/documents/{doc}/file", []
    if kind == "thumbnail":
        url = pools.pick("thumbs", rng)
        if url:
            return kind, url, [("size", str(rng.choice([64, 128, 256])))]
    if kind in ("entity", "neighbors", "ego", "evidence"):
        # Entities are named by key (``PERSON:lebron james``), as picked from suggest: a bare
        # name is often ambiguous (the same name tagged PERSON and ORG), a 400 by design.
        entity = pools.pick("entities", rng)
        if entity:
            name, etype, key = entity
            if kind == "entity":
                return kind, "/api/graph/entity", ([("name", name), ("kind", etype)]
                                                   if rng.random() < 0.5 else [("name", key)])
            if kind == "neighbors":
                return kind, "/api/graph/neighbors", [
                    ("entity", key), ("rank", rng.choice(["count", "npmi", "llr"])), ("limit", "20"),
                    *([("kind", rng.choice(["PERSON", "ORG", "GPE"]))] if rng.random() < 0.2 else [])]
            if kind == "ego":
                radius2 = rng.random() < 0.2  # radius 2 allows limit <= 14 (limit ** radius <= 200)
                return kind, "/api/graph/ego", [("entity", key), ("radius", "2" if radius2 else "1"),
                                                ("limit", "14" if radius2 else "25")]
            pair = pools.pick("pairs", rng)
            if pair:
                return kind, "/api/graph/evidence", [("a", pair[0]), ("b", pair[1]), ("limit", "10")]
    if kind == "graph_search":
        return kind, "/api/graph/search", [("q", search_query(rng, pools)), ("limit", "25")]
    if kind == "status":
        return kind, "/api/status", []
    if kind == "runs":
        return kind, "/api/runs", [("limit", "20")]
    # search (and every fallback)
    params = [("q", search_query(rng, pools))]
    params += [("facet", f) for f in rng.sample(FACETS, rng.randint(1, 3))]
    if rng.random() < 0.25:
        facet = pools.pick("facets", rng)
        if facet:
            params.append(("filter", f"{facet[0]}:{facet[1]}"))
    if rng.random() < 0.2:
        params.append(("top", "25"))
    if rng.random() < 0.15:
        params.append(("skip", "10"))
    if rng.random() < 0.1:
        params.append(("sort", rng.choice(["uri", "-uri"])))
    return "search", "/api/search", params


def harvest(kind: str, body: Any, pools: Pools, rng: random.Random) -> str | None:
    """Feed the pools from an answer; return a problem with its shape, or None."""
    if not isinstance(body, dict):
        return "not a JSON object"
    if kind == "search":
        if not isinstance(body.get("results"), list):
            return "no results list"
        for hit in body["results"]:
            if hit.get("id"):
                pools.add("docs", hit["id"], rng)
            if "/images/" in (hit.get("thumbnail") or ""):  # not page renders: see page_image
                pools.add("thumbs", hit["thumbnail"], rng)
        for field, values in (body.get("facets") or {}).items():
            for v in values[:20]:
                if field != "keyphrases" or rng.random() < 0.2:
                    pools.add("facets", (field, v.get("value")), rng)
    elif kind == "suggest":
        if not isinstance(body.get("suggestions"), list):
            return "no suggestions list"
        for s in body["suggestions"]:
            if s.get("name") and s.get("type") and s.get("key"):
                pools.add("entities", (s["name"], s["type"], s["key"]), rng)
    elif kind == "document":
        if not body.get("id"):
            return "no id"
        for image in body.get("images") or []:
            if "/images/" in (image.get("thumbnail") or ""):
                pools.add("thumbs", image["thumbnail"], rng)
    elif kind == "neighbors":
        center = (body.get("entity") or {}).get("key")
        if not isinstance(body.get("neighbors"), list):
            return "no neighbors list"
        for n in body["neighbors"][:5]:
            if center and n.get("key"):
                pools.add("pairs", (center, n["key"]), rng)
    elif kind in ("ego", "graph_search") and not (
            isinstance(body.get("nodes"), list) and isinstance(body.get("edges"), list)):
        return "no nodes/edges"
    return None


BINARY = {"thumbnail", "page_image", "file"}


def client(number: int, base: str, deadline: float, pools: Pools, think: float,
           results: list, examples: list, examples_lock: threading.Lock) -> None:
    import httpx

    rng = random.Random(f"client-{number}")
    kinds, weights = list(MIX), list(MIX.values())
    with httpx.Client(base_url=base, timeout=REQUEST_TIMEOUT, headers=auth_headers()) as http:
        while time.monotonic() < deadline:
            kind, path, params = build(rng.choices(kinds, weights)[0], rng, pools)
            problem, status, body_text = None, None, ""
            t0 = time.perf_counter()
            try:
                r = http.get(path, params=params)
                content = r.content
                elapsed = time.perf_counter() - t0
                status = r.status_code
                ctype = r.headers.get("content-type", "")
                if not 200 <= status < 300:
                    problem, body_text = f"HTTP {status}", r.text[:500]
                elif elapsed > REQUEST_TIMEOUT:
                    problem = "timeout (answered after 10 s)"
                elif kind in ("thumbnail", "page_image"):
                    if not ctype.startswith("image/") or not content:
                        problem, body_text = f"not an image ({ctype})", content[:200].decode("latin-1")
                elif kind == "file":
                    if not content:
                        problem = "empty file"
                else:
                    try:
                        problem = harvest(kind, r.json(), pools, rng)
                    except ValueError:
                        problem = f"not JSON ({ctype})"
                    if problem:
                        body_text = r.text[:500]
            except httpx.TimeoutException as exc:
                elapsed, problem = time.perf_counter() - t0, f"timeout ({type(exc).__name__})"
            except httpx.HTTPError as exc:
                elapsed, problem = time.perf_counter() - t0, f"{type(exc).__name__}: {exc}"
            results.append((kind, elapsed * 1000.0, problem and problem.split(":")[0], status))
            if problem is not None:
                with examples_lock:
                    same = sum(1 for e in examples if e["type"] == kind and e["problem"] == problem)
                    if len(examples) < ERROR_EXAMPLES and same < 3:
                        url = path + ("?" + "&".join(f"{k}={v}" for k, v in params) if params else "")
                        examples.append({"type": kind, "url": url, "status": status, "problem": problem,
                                         "body": body_text, "at_s": None, "t": time.monotonic()})
            if think:
                time.sleep(rng.uniform(0, 2 * think))


def warm_up(base: str, pools: Pools) -> dict[str, Any]:
    """Seed the pools (not measured): one facetted search and suggest calls for its values."""
    import httpx

    rng = random.Random("warm-up")
    notes: dict[str, Any] = {"problems": []}
    with httpx.Client(base_url=base, timeout=30.0, headers=auth_headers()) as http:
        r = http.get("/api/search", params=[("q", "*"), ("top", "100"), ("facet_size", "30")]
                     + [("facet", f) for f in FACETS])
        if r.status_code != 200:
            notes["problems"].append(f"search q=*: {r.status_code} {r.text[:300]}")
            names = prose.FAMOUS + prose.ORGS[:8]
        else:
            body = r.json()
            notes["documents"] = body.get("count")
            harvest("search", body, pools, rng)
            facets = body.get("facets") or {}
            names = [v["value"] for f in ("people", "organizations", "locations")
                     for v in (facets.get(f) or [])[:15]]
        for name in names:
            r = http.get("/api/suggest", params={"q": name, "limit": "3"})
            if r.status_code == 200:
                harvest("suggest", {"suggestions": r.json().get("suggestions", [])[:1]}, pools, rng)
            else:
                notes["problems"].append(f"suggest q={name}: {r.status_code} {r.text[:300]}")
    notes.update({k: len(getattr(pools, k)) for k in ("docs", "thumbs", "entities", "facets")})
    return notes


def percentile(sorted_values: list[float], p: float) -> float | None:
    if not sorted_values:
        return None
    return sorted_values[max(0, math.ceil(p / 100 * len(sorted_values)) - 1)]


def summarize(results: list, seconds: float) -> dict[str, Any]:
    by_kind: dict[str, list] = {}
    for item in results:
        by_kind.setdefault(item[0], []).append(item)
    rows = {}
    for kind in [k for k in MIX if k in by_kind] + ["all"]:
        items = results if kind == "all" else by_kind[kind]
        lat = sorted(i[1] for i in items)
        rows[kind] = {"requests": len(items), "errors": sum(1 for i in items if i[2] is not None),
                      "p50_ms": percentile(lat, 50), "p95_ms": percentile(lat, 95),
                      "p99_ms": percentile(lat, 99), "max_ms": lat[-1] if lat else None,
                      "per_s": len(items) / seconds if seconds else None}
    return rows


def run_load(base: str, clients: int, seconds: float, think: float, pools: Pools
             ) -> tuple[list, list, float, float, float]:
    results: list = []  # list.append is atomic: one list for every thread
    examples: list = []
    lock = threading.Lock()
    start = time.monotonic()
    deadline = start + seconds
    cpu0 = time.process_time()
    threads = [threading.Thread(target=client, name=f"client-{i}", daemon=True,
                                args=(i, base, deadline, pools, think, results, examples, lock))
               for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + REQUEST_TIMEOUT * 3 + 30)
    elapsed = time.monotonic() - start
    for e in examples:
        e["at_s"] = round(e.pop("t") - start, 2)
    return results, examples, elapsed, time.process_time() - cpu0, start


# --------------------------------------------------------------------------- report


def fmt_ms(v: float | None) -> str:
    return f"{v:>9,.1f}" if v is not None else f"{'-':>9}"


def print_report(res: dict[str, Any]) -> None:
    rows = res["requests"]
    print()
    print(f"{'request':<14}{'requests':>9}{'errors':>8}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}"
          f"{'p99 ms':>9}{'max ms':>9}")
    print("-" * 75)
    for kind, r in rows.items():
        if kind == "all":
            print("-" * 75)
        print(f"{kind:<14}{r['requests']:>9,}{r['errors']:>8,}{r['per_s']:>8.1f}{fmt_ms(r['p50_ms'])}"
              f"{fmt_ms(r['p95_ms'])}{fmt_ms(r['p99_ms'])}{fmt_ms(r['max_ms'])}")
    load = res["load"]
    errors = rows["all"]["errors"]
    print(f"\n{load['clients']} clients for {load['seconds']:.1f} s: {rows['all']['per_s']:.1f} requests/s; "
          f"errors {errors} (target 0: {'met' if errors == 0 else 'MISSED'})")
    if res["error_kinds"]:
        print("errors by problem: " + ", ".join(f"{k} x{n}" for k, n in res["error_kinds"].items()))
    for e in res["error_examples"]:
        body = re.sub(r"\s+", " ", e["body"] or "")[:300]
        print(f"  +{e['at_s']:.2f} s {e['type']} GET {e['url']}\n      -> {e['problem']}"
              + (f": {body}" if body else ""))
    w = res["writes"]
    print(f"\nwrites: index runs alive {w['overlap_s']:.1f} s of the {w['window_s']:.1f} s window "
          f"({w['overlap_pct']:.0f} %); {w['documents_written']} document versions written in the window"
          + (f" (from +{w['first_write_s']:.1f} s to +{w['last_write_s']:.1f} s)" if w["documents_written"] else "")
          + f"; store {w['documents_before']} -> {w['documents_at_end']} documents "
          f"({w['documents_after_stop']} once the writer stopped)")
    for run in w["runs"]:
        s = run.get("summary") or {}
        d = s.get("documents") or {}
        what = (f"{s.get('status')}: {d.get('indexed')} indexed, {d.get('unchanged')} unchanged, "
                f"{d.get('failed')} failed" if s else
                ("interrupted at the end" if run.get("interrupted") else f"no summary (rc {run.get('rc')})"))
        print(f"  run {run['n']}: {'--reindex ' if run['reindex'] else ''}{run['folder']}, "
              f"{run['start_s']:+.1f} s .. {run['end_s']:+.1f} s: {what}"
              + (f"\n      {' / '.join(run['stderr_tail'])}" if run.get("stderr_tail") else ""))
    h = res["health"]
    print(f"  the server's /api/health: documents {h['before'].get('documents')} -> "
          f"{h['after'].get('documents')}, index_documents {h['before'].get('index_documents')} -> "
          f"{h['after'].get('index_documents')}")
    c = res["cpu"]
    print(f"\nCPU seconds in the window ({res['machine']['cores']} cores, "
          f"{res['machine']['cores'] * load['seconds']:.0f} s available): server {c['server']:.1f}, "
          f"index runs {c['index']:.1f}, clients {c['clients']:.1f}, anything else {c['others']:.1f}; "
          f"machine busy {c['machine_busy_pct']:.0f} %; load average {c['loadavg_after']}")
    if c["others"] > 0.1 * c["machine_busy"]:
        print("  (other processes used the CPU meanwhile: compare numbers only from an otherwise idle machine)")
    log = res["server_log"]
    print(f"server log: {log['lines']} lines, {log['tracebacks']} tracebacks, {log['5xx']} 5xx lines, "
          f"{log['warnings']} warning/error lines ({log['path']})")
    for line in log["examples"]:
        print(f"  | {line}")
    srv = res["server"]
    alive = "still running" if srv["alive_after_load"] else "DIED during the load"
    clean = "clean shutdown" if log["clean_shutdown"] else "NO clean shutdown in the log"
    print(f"server: {alive} after the load; stopped by {srv['stopped_by']} ({clean}), "
          f"exit status {srv['exit_status']}")


def server_log_report(path: Path) -> dict[str, Any]:
    text = path.read_text(errors="replace") if path.exists() else ""
    lines = text.splitlines()
    bad = [line for line in lines if re.search(r"Traceback|\bERROR\b|\bWARNING\b|Exception|\" 5\d\d\b", line)]
    return {"path": str(path), "lines": len(lines), "tracebacks": text.count("Traceback"),
            "5xx": sum(1 for line in lines if re.search(r"\" 5\d\d\b", line)),
            "warnings": len(bad), "examples": bad[:10],
            "clean_shutdown": "Application shutdown complete" in text or "Finished server process" in text}


def machine_info() -> dict[str, Any]:
    cpu = prose.cpu_name()
    import httpx
    return {"platform": platform.platform(), "cpu": cpu, "cores": os.cpu_count(),
            "usable_cores": usable_cores(), "python": platform.python_version(), "loadavg": loadavg(),
            "httpx": httpx.__version__}


# ----------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Load on `enrich serve` while an index run writes.")
    p.add_argument("--clients", type=int, default=50, help=f"concurrent clients (default 50, at most {MAX_CLIENTS})")
    p.add_argument("--seconds", type=float, default=30.0, help=f"load duration (default 30, at most {MAX_SECONDS})")
    p.add_argument("--docs", type=int, default=150, help="PDFs in each of the three corpus folders (default 150)")
    p.add_argument("--pages", type=int, default=2, help="pages per PDF (default 2)")
    p.add_argument("--index-workers", type=int, default=1, help="enrich index --workers (default 1)")
    p.add_argument("--write-batch-size", type=int, default=4,
                   help="the writer's enrich index --batch-size: documents per commit (default 4)")
    p.add_argument("--think", type=float, default=0.0,
                   help="mean pause between a client's requests, seconds (default 0: back to back)")
    p.add_argument("--host", default="127.0.0.1", help="server address: loopback only (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="server port (default: a free one)")
    p.add_argument("--work", type=Path, default=None,
                   help="work folder, kept, corpus reused (default: a temporary folder, deleted)")
    p.add_argument("--keep", action="store_true", help="keep the temporary work folder")
    p.add_argument("--startup-timeout", type=float, default=90.0, help="seconds to wait for the server and "
                   "for the writer's first document (default 90)")
    p.add_argument("--json", action="store_true", help="print the results as JSON (progress to stderr)")
    args = p.parse_args(argv)
    if not is_loopback(args.host):
        p.error(f"--host {args.host}: this benchmark only runs a server on loopback (127.0.0.1, ::1)")
    if not 1 <= args.clients <= MAX_CLIENTS:
        p.error(f"--clients must be 1..{MAX_CLIENTS}")
    if not 1 <= args.seconds <= MAX_SECONDS:
        p.error(f"--seconds must be 1..{MAX_SECONDS}")
    if min(args.docs, args.pages, args.write_batch_size, args.index_workers + 1) < 1:
        p.error("--docs, --pages and --write-batch-size must be at least 1, --index-workers at least 0")
    return args


def _terminated(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    global QUIET
    args = parse_args(argv)
    QUIET = args.json
    # Ctrl-C and kill both clean up (the finally below). A shell that started us in the
    # background may have set SIGINT to "ignore", which the index runs would inherit.
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _terminated)
    res: dict[str, Any] = {"machine": machine_info(), "config": {
        k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}}
    m = res["machine"]
    say(f"machine: {m['platform']}; {m['cpu']}; {m['cores']} CPUs ({m['usable_cores']} usable), shared by "
        f"the server, the index run and the clients; Python {m['python']}; load average {m['loadavg']}")
    temporary = args.work is None
    work = Path(tempfile.mkdtemp(prefix="enrich-load-")) if temporary else args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    server = writer = None
    status = 0
    try:
        status = bench(args, res, work)
    except SetupFailed as exc:
        say(f"FAILED: {exc}")
        status = 2
    except KeyboardInterrupt:
        say("interrupted: stopping the writer and the server")
        status = 130
    finally:
        server, writer = res.pop("_server", None), res.pop("_writer", None)
        if writer is not None and writer.thread.is_alive():
            writer.stop()
        if server is not None:
            stop_group(server, signal.SIGTERM, 15.0)
        if temporary and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        elif temporary:
            say(f"work folder kept: {work}")
    return status


def bench(args: argparse.Namespace, res: dict[str, Any], work: Path) -> int:
    logs, data = work / "logs", work / "data"
    logs.mkdir(exist_ok=True)
    shutil.rmtree(data, ignore_errors=True)

    t0 = time.monotonic()
    folders, reused = ensure_corpus(work, args.docs, args.pages)
    say(f"(a) corpus: {work / 'corpus'}: 3 x {args.docs} PDFs of {args.pages} pages "
        f"({'reused' if reused else f'generated in {time.monotonic() - t0:.1f} s'})")

    say(f"(b) first index: enrich index {folders['first']} --workers {args.index_workers}")
    rc, summary, seconds = run_index(folders["first"], data, args.index_workers, logs / "index-first.log")
    if summary is None:
        raise SetupFailed(f"`enrich index` exited {rc} without a JSON summary:\n" + tail(logs / "index-first.log", 10))
    d = summary.get("documents", {})
    res["first_index"] = {"seconds": seconds, "rc": rc, "documents": d}
    say(f"    {seconds:.1f} s, status {summary.get('status')}, {d.get('indexed')} indexed, {d.get('failed')} failed")

    port = args.port or free_port(args.host)
    say(f"(c) server: enrich serve --data {data} --host {args.host} --port {port}")
    server, base, up_s, first_health = start_server(data, args.host, port, logs / "server.log", args.startup_timeout)
    res["_server"] = server
    res["server"] = {"url": base, "startup_s": up_s, "health": first_health}
    say(f"    {base} up in {up_s:.1f} s: {first_health}")
    pools = Pools()
    res["warm_up"] = warm_up(base, pools)
    say(f"    warm-up (not measured): {res['warm_up']}")

    say(f"(d) writer: enrich index second, third, then --reindex of each, until the load ends "
        f"(--workers {args.index_workers} --batch-size {args.write_batch_size})")
    before = len(store_rows(data))
    writer = Writer([folders["second"], folders["third"]], data, args.index_workers,
                    args.write_batch_size, logs)
    res["_writer"] = writer
    writer_start = time.time()
    writer.start()
    first = wait_first_write(data, writer_start, writer, args.startup_timeout)
    if first is None:
        say("    WARNING: no document written by the writer yet; the load starts anyway")
    else:
        say(f"    first new document in the store after {first:.1f} s")
    res["writer_first_write_s"] = first

    health_before = health(base)
    say(f"(e) load: {args.clients} clients for {args.seconds:g} s "
        f"(mix: {', '.join(f'{k} {v} %' for k, v in MIX.items())})")
    sampler = CpuSampler(server.pid)
    sampler.start()
    watcher = WriteWatcher(data)
    watcher.start()
    window0 = time.time()
    results, examples, elapsed, client_cpu, _ = run_load(base, args.clients, args.seconds, args.think, pools)
    window1 = time.time()
    cpu = sampler.stop()
    documents_at_end = len(store_rows(data))
    cpu["clients"] = client_cpu
    cpu["others"] = max(0.0, cpu["machine_busy"] - cpu["server"] - cpu["index"] - client_cpu)
    cpu["loadavg_after"] = loadavg()
    health_after = health(base)
    say(f"    {len(results):,} requests in {elapsed:.1f} s")

    say("(f) stopping the writer (SIGINT) and the server (SIGTERM)")
    writer.stop()
    res.pop("_writer", None)
    res["server"]["alive_after_load"] = server.poll() is None
    server_stop = stop_group(server, signal.SIGTERM, 15.0)
    res.pop("_server", None)
    res["server"]["stopped_by"] = server_stop
    res["server"]["exit_status"] = server.returncode

    res["load"] = {"clients": args.clients, "seconds": elapsed, "think_s": args.think,
                   "requests": len(results)}
    res["requests"] = summarize(results, elapsed)
    res["error_examples"] = examples
    res["error_kinds"] = dict(Counter(f"{kind}: {problem}" for kind, _, problem, _ in results
                                      if problem is not None).most_common())
    res["health"] = {"before": health_before, "after": health_after}
    res["cpu"] = cpu

    watcher.stop()
    inside = watcher.between(window0, window1)
    intervals = [(max(r["start"], window0), min(r["end"], window1)) for r in writer.runs]
    overlap = sum(max(0.0, b - a) for a, b in intervals)  # runs never overlap each other
    res["writes"] = {
        "window_s": window1 - window0, "overlap_s": overlap,
        "overlap_pct": 100 * overlap / (window1 - window0),
        "documents_written": len(inside),
        "first_write_s": inside[0] - window0 if inside else None,
        "last_write_s": inside[-1] - window0 if inside else None,
        "documents_before": before, "documents_at_end": documents_at_end,
        "documents_after_stop": len(store_rows(data)), "writer_stopped_by": writer.stop_how,
        "runs": [{**{k: v for k, v in r.items() if k not in ("start", "end")},
                  "start_s": r["start"] - window0, "end_s": r["end"] - window0} for r in writer.runs],
    }
    res["server_log"] = server_log_report(logs / "server.log")
    res["logs"] = str(logs)

    if args.json:
        print(json.dumps(res, indent=2, default=str))
    else:
        print_report(res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
