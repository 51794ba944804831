"""Bad input never stops a run; a killed run converges when started again.

These run the real `enrich` command in a subprocess with worker processes.
"""

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from enrich.searching import search
from enrich.testing import factories

ENRICH = [sys.executable, "-m", "enrich"]
pytestmark = pytest.mark.slow


def enrich(*args, timeout=240):
    return subprocess.run(ENRICH + [str(a) for a in args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "NO_COLOR": "1"})


@pytest.fixture(scope="module")
def bad_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad")
    factories.text_pdf(folder / "good.pdf", ["LeBron James wore Nike shoes in Cleveland."])
    (folder / "good.txt").write_text("Stephen Curry practised in San Francisco.")
    factories.zero_byte_pdf(folder / "zero.pdf")
    factories.header_only_pdf(folder / "header-only.pdf")
    factories.encrypted_pdf(folder / "encrypted.pdf")
    factories.broken_xref_pdf(folder / "broken-xref.pdf")
    factories.cyclic_xobject_pdf(folder / "cyclic.pdf")
    factories.cyclic_xobject_pdf(folder / "explosive.pdf", fan_out=2)  # 2^40 drawings
    factories.invalid_utf8_txt(folder / "invalid-utf8.txt")
    factories.huge_png(folder / "huge.png")
    return folder


def test_bad_files_are_recorded_and_good_ones_indexed(bad_folder, tmp_path):
    data = tmp_path / "data"
    run = enrich("index", bad_folder, "--data", data, "--workers", 2, "--json")
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    by_uri = {}
    for error in summary["errors"]:
        by_uri.setdefault(Path(error["uri"].split("#")[0]).name, []).append(error)
    failed = {name: e[0]["message"] for name, e in by_uri.items() if e[0]["severity"] == "error"}
    assert set(failed) == {"zero.pdf", "header-only.pdf", "encrypted.pdf"}
    assert "empty" in failed["zero.pdf"]
    assert "password" in failed["encrypted.pdf"]
    warned = {name for name, e in by_uri.items() if e[0]["severity"] == "warning"}
    assert warned == {"broken-xref.pdf", "invalid-utf8.txt", "huge.png", "explosive.pdf"}
    assert "page skipped" in by_uri["explosive.pdf"][0]["message"]
    assert "not decoded" in by_uri["huge.png"][0]["message"]
    assert summary["documents"]["failed"] == 3
    assert summary["documents"]["indexed"] == 7  # 2 good + 5 recovered
    assert summary["documents"]["partial"] == 4  # the warned ones (cyclic.pdf is clean)
    assert search(data, "survivor", mode="keyword").count == 2  # text of broken-xref.pdf and cyclic.pdf
    assert search(data, "LeBron", mode="keyword").count == 1
    status = json.loads(enrich("status", "--data", data, "--json").stdout)
    assert status["stats"]["documents"] == 7


def test_max_failed_zero_fails_the_run(bad_folder, tmp_path):
    run = enrich("index", bad_folder, "--data", tmp_path / "data", "--workers", 1,
                 "--max-failed", 0, "--json")
    assert run.returncode == 1
    summary = json.loads(run.stdout)
    assert summary["status"] == "failed"
    # the ten items are one batch: the run commits up to the first failure and stops
    assert summary["documents"]["failed"] == 1
    assert summary["seconds"] > 0


def _corpus(folder, n=40):
    folder.mkdir()
    people = ["LeBron James", "Stephen Curry", "Jayson Tatum", "Kevin Durant"]
    brands = ["Nike", "Adidas", "Under Armour", "Puma"]
    for i in range(n):
        text = (f"Game {i}: {people[i % 4]} met {people[(i + 1) % 4]} in Boston. "
                f"{people[i % 4]} wore {brands[i % 3]} shoes. Match report number {i}.")
        (folder / f"doc{i:03}.txt").write_text(text)


def _snapshot(data):
    with sqlite3.connect(data / "enrich.sqlite") as db:
        tables = {
            "documents": "SELECT id, uri, status, content, tree FROM documents ORDER BY id",
            "mentions": "SELECT doc_id, entity_key, text, page, start, \"end\" FROM mentions ORDER BY 1, 2, 5",
            "edges": "SELECT scope, a, b, count FROM edges ORDER BY 1, 2, 3",
            "entities": "SELECT key, name, documents, mentions FROM entities ORDER BY key",
            "sources": "SELECT uri, sha256, status FROM sources ORDER BY uri",
        }
        snap = {name: db.execute(sql).fetchall() for name, sql in tables.items()}
    result = search(data, "*", top=100, facets=["people", "organizations", "keyphrases"])
    snap["search"] = (result.count, sorted(h["id"] for h in result.results), result.facets)
    # Tied scores may come back in another order (segment layout differs after a
    # kill), so hits are compared with their scores, as a set.
    hits = search(data, "Boston Nike shoes", top=100, mode="keyword").results
    snap["ranked"] = sorted((h["id"], round(h["score"], 4)) for h in hits)
    return snap


def _committed(data):
    try:
        with sqlite3.connect(data / "enrich.sqlite", timeout=0.1) as db:
            return db.execute("SELECT count(*) FROM sources").fetchone()[0]
    except sqlite3.Error:
        return 0


# `enrich ARGS...` that SIGKILLs its process group (itself and its workers) inside the
# store write that follows the N-th committed source: mid-flight, with a transaction
# open, at a point that does not depend on timing.
KILL_MID_WRITE = """
import os, signal, sqlite3, sys
from enrich.cli import main
from indexers.stores import DataDir, SqliteStore

data, after = DataDir(sys.argv[1]), int(sys.argv[2])
real_put = SqliteStore.put_source

def put_source(self, state, documents):
    real_put(self, state, documents)
    with sqlite3.connect(data.store) as db:  # sees committed sources only
        if db.execute("SELECT count(*) FROM sources").fetchone()[0] >= after:
            os.killpg(0, signal.SIGKILL)

SqliteStore.put_source = put_source
sys.argv = ["enrich", *sys.argv[3:]]
main()
"""


def test_sigkill_part_way_then_rerun_converges(tmp_path):
    folder = tmp_path / "docs"
    _corpus(folder)
    args = ["--workers", "2", "--batch-size", "2"]
    reference = tmp_path / "reference"
    assert enrich("index", folder, "--data", reference, *args).returncode == 0

    killed = tmp_path / "killed"
    proc = subprocess.run([sys.executable, "-c", KILL_MID_WRITE, str(killed), "6",
                           "index", str(folder), "--data", str(killed), *args],
                          capture_output=True, text=True, timeout=240, start_new_session=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    done = _committed(killed)
    assert 0 < done < 40, f"the kill should land part way ({done} of 40 committed)"

    assert enrich("index", folder, "--data", killed, *args).returncode == 0
    assert _snapshot(killed) == _snapshot(reference)
