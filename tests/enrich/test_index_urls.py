"""The indexer and ``enrich search`` open the search index ``--index`` names, and only it.

``open_index`` is the one opener: an index run into Elasticsearch (the fake cluster of
``tests/indexers``) or a folder outside the data directory leaves no embedded index in
the data directory, ``enrich search --index`` finds what the run wrote, and a search of
an index that is not there creates nothing. An index of another layout is rebuilt
from the store by the next run (through the protocol, whatever the backend).
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from enrich.cli.app import app
from enrich.indexer import IndexOptions, run_index
from indexers.stores import DataDir

from tests.indexers.fake_elasticsearch import fake_es  # noqa: F401 - a fixture

LIGHT = {"skills": ["language"], "fields": {"language": "/document/language"}}


def index(folder, data, **options):
    return run_index(str(folder), IndexOptions(data_dir=data, workers=0, skillset=LIGHT,
                                               **options))


def search(*args):
    result = CliRunner().invoke(app, ["search", *map(str, args), "--json"])
    return result.exit_code, (json.loads(result.stdout) if result.exit_code == 0
                              else result.output)


@pytest.fixture(params=["folder", "fake-es"])
def url(request, tmp_path):
    """An index outside the data directory, of each kind."""
    if request.param == "folder":
        return str(tmp_path / "indexes" / "corpus")
    return request.getfixturevalue("fake_es").url(f"corpus-{tmp_path.name[-20:].lower()}")


def test_a_run_writes_to_the_index_named_and_search_reads_it(corpus, tmp_path, url):
    data = tmp_path / "data"
    missing, message = search("Nike", "--data", data, "--index", url)
    assert missing == 2 and "enrich index" in message  # nothing there yet, and nothing made
    assert not data.exists()
    summary = index(corpus, data, index_url=url)
    assert summary.documents["indexed"] == 5
    code, found = search("Nike", "--data", data, "--index", url)
    assert code == 0 and found["count"] == 2
    assert not DataDir(data).index.exists()  # the run never made the embedded one
    code, message = search("Nike", "--data", data)
    assert code == 2 and "enrich index" in message
    index(corpus, data, index_url=url)  # unchanged: nothing written twice
    assert search("*", "--data", data, "--index", url)[1]["count"] == 5


def test_a_run_rebuilds_an_index_of_another_layout_from_the_store(corpus, tmp_path, caplog):
    data = tmp_path / "data"
    index(corpus, data)
    before = search("Nike", "--data", data)[1]
    (DataDir(data).index / "enrich-index.json").write_text('{"schema": 0}')
    code, message = search("Nike", "--data", data)
    assert code == 2 and "--rebuild-index" in message
    summary = index(corpus, data)
    assert summary.documents["indexed"] == 0  # nothing enriched again: the store had it all
    assert "rebuilding it now" in caplog.text
    assert search("Nike", "--data", data)[1] == before
