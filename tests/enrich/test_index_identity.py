"""One store, many possible search indexes: none is left short, and one writer at a time.

The store records which index its queue last fed (the index's id, new whenever an
index is created or rebuilt); an index run given another one - another ``--index``,
the data directory's own after a run elsewhere, one deleted and made again, one left
behind by a rebuild that died between its two renames - fills it with every stored
document in the same run. The data directory's lock keeps a second run (or a
``--rebuild-index``) out while one writes, whichever index each names.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from enrich.cli.app import app
from enrich.indexer import IndexOptions, run_index
from enrich.status import status
from indexers.stores import (DataDir, DataDirBusyError, SqliteStore, open_index,
                             rebuild_search_index)

from tests.indexers.fake_elasticsearch import fake_es  # noqa: F401 - a fixture

LIGHT = {"skills": ["language"], "fields": {"language": "/document/language"}}
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def docs(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    for n, text in enumerate(["The lighthouse keeper counted gulls at dawn.",
                              "A ferry crossed the grey strait twice a day.",
                              "Fishermen mended nets beside the harbour wall."]):
        (folder / f"note{n}.txt").write_text(text)
    return folder


def index(folder, data, **options):
    return run_index(str(folder), IndexOptions(data_dir=data, workers=0, skillset=LIGHT,
                                               **options))


def found(data, query, url=None) -> int:
    with open_index(data, url) as opened:
        return opened.search(query).count


@pytest.fixture(params=["folder", "fake-es"])
def elsewhere(request, tmp_path):
    """Another index than the data directory's, of each kind; and how to delete it."""
    if request.param == "folder":
        folder = tmp_path / "other-index"
        return str(folder), lambda: shutil.rmtree(folder)
    fake = request.getfixturevalue("fake_es")
    name = f"other-{tmp_path.name[-16:].lower()}"

    def drop() -> None:
        for concrete in fake.cluster.resolve(name):
            del fake.cluster.indices[concrete]
    return fake.url(name), drop


def test_another_index_gets_every_stored_document(docs, tmp_path, elsewhere):
    data = tmp_path / "data"
    index(docs, data)
    url, _ = elsewhere
    summary = index(docs, data, index_url=url)  # nothing changed in the source
    assert summary.documents["unchanged"] == 3
    assert found(data, "*", url) == 3 and found(data, "lighthouse", url) == 1


def test_an_index_deleted_and_made_again_is_filled(docs, tmp_path, elsewhere):
    data = tmp_path / "data"
    url, drop = elsewhere
    index(docs, data, index_url=url)
    drop()
    index(docs, data, index_url=url)
    assert found(data, "*", url) == 3
    shutil.rmtree(DataDir(data).index, ignore_errors=True)
    index(docs, data)  # the data directory's own, made for the first time
    assert found(data, "*") == 3
    stats = status(data)["stats"]
    assert stats["index_documents"] == stats["documents"] == 3 and stats["index_pending"] == 0


def test_a_run_elsewhere_does_not_starve_the_default_index(docs, tmp_path):
    data = tmp_path / "data"
    index(docs, data)
    (docs / "note1.txt").write_text("A hovercraft replaced the ferry in the strait.")
    index(docs, data, index_url=str(tmp_path / "other"))  # drains the queue there
    assert found(data, "hovercraft", str(tmp_path / "other")) == 1
    index(docs, data)  # nothing changed since: the default index still catches up
    assert found(data, "hovercraft") == 1 and found(data, "ferry") == 1


KILLED_REBUILD = """
import os, pathlib, signal, sys
from indexers.stores import rebuild_search_index
renames, real = [], pathlib.Path.rename
def rename(self, target):
    renames.append(target)
    if len(renames) == 2:  # the old folder is out, the new one not in yet
        os.kill(os.getpid(), signal.SIGKILL)
    return real(self, target)
pathlib.Path.rename = rename
rebuild_search_index(sys.argv[1])
"""


def test_a_rebuild_killed_between_its_renames_is_recovered(docs, tmp_path):
    data = tmp_path / "data"
    index(docs, data)
    killed = subprocess.run([sys.executable, "-c", KILLED_REBUILD, str(data)], cwd=ROOT)
    assert killed.returncode == -9 and not DataDir(data).index.exists()
    index(docs, data)  # a new, empty index: filled from the store
    assert found(data, "*") == 3
    assert rebuild_search_index(data) == 3  # and the leftovers are cleared
    assert sorted(p.name for p in data.iterdir() if p.name.startswith("index")) == ["index"]


# -- one writer per data directory ----------------------------------------------------------

HOLD = """
import sys
from indexers.stores import DataDir
with DataDir(sys.argv[1]).locked():
    print("locked", flush=True)
    sys.stdin.read()
"""


def test_a_second_writer_is_refused_while_one_holds_the_data_directory(docs, tmp_path):
    data = tmp_path / "data"
    index(docs, data)
    before = DataDir(data).store.read_bytes()
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(data)], cwd=ROOT,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        (docs / "note3.txt").write_text("Seals slept on the breakwater.")
        with pytest.raises(DataDirBusyError, match=f"pid {holder.pid}"):
            index(docs, data, index_url=str(tmp_path / "other"))  # another index: still refused
        result = CliRunner().invoke(app, ["index", "--rebuild-index", "--data", str(data)])
        assert result.exit_code == 2 and "error E004" in result.stderr
        assert DataDir(data).store.read_bytes() == before
        assert not (tmp_path / "other").exists()
    finally:
        holder.communicate("", timeout=60)
    assert index(docs, data).documents["indexed"] == 1  # released when the holder ended
    with DataDir(data).locked():
        with pytest.raises(DataDirBusyError):  # in one process too: one holder at a time
            with DataDir(data).locked():
                pass


# -- the command line ----------------------------------------------------------------------

def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_the_command_refuses_an_index_that_would_overwrite_the_data(docs, tmp_path):
    data = tmp_path / "data"
    index(docs, data)
    keep = {p: p.read_bytes() for p in data.rglob("*") if p.is_file() and "index" not in p.parts}
    for args in (["--rebuild-index"], [docs]):
        result = invoke("index", *args, "--data", data, "--index", data)
        assert result.exit_code == 2 and result.stderr.startswith("error E404"), result.output
    assert {p: p.read_bytes() for p in keep} == keep
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "letter.txt").write_text("dear diary")
    result = invoke("index", docs, "--data", data, "--index", mine)
    assert result.exit_code == 2 and "error E404" in result.stderr
    assert [p.name for p in mine.iterdir()] == ["letter.txt"]


def test_rebuild_then_run_with_json_prints_only_json(docs, tmp_path):
    data = tmp_path / "data"
    index(docs, data)
    result = invoke("index", docs, "--rebuild-index", "--data", data, "--json",
                    "--workers", "0")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["rebuild"]["documents"] == 3 and out["documents"]["seen"] == 3
    with SqliteStore(DataDir(data).store, read_only=True) as store:
        assert store.stats()["index_pending"] == 0
