"""A search index is enrich's only when it carries enrich's marker; nothing else is
ever written into or deleted.

Tantivy: a folder without ``enrich-index.json`` that is not empty, and any folder that
is, holds or lies inside the data directory (but for its own ``index/``), is refused;
a marker of an older layout is rebuilt, one of a newer layout refused. Elasticsearch:
an alias or index without enrich's ``_meta``, or a template enrich did not write, is
refused, and a rebuild whose alias swap fails leaves no orphan index.
"""

from __future__ import annotations

import json
import os
import uuid

import pytest

from indexers.stores import (DataDir, ForeignIndexError, IndexLayoutError, SqliteStore,
                             TantivyIndex, index_location, open_index, rebuild_index)

from .fake_elasticsearch import EsError, fake_es  # noqa: F401 - a fixture

DOCS = [{"id": "a", "content": "a quokka crossed the dunes"},
        {"id": "b", "content": "the heron waited by the weir"}]


def tree(folder) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes (to show nothing changed)."""
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def data(tmp_path):
    """A data directory with a store and a cache file in it."""
    root = tmp_path / "data"
    SqliteStore(DataDir(root).store).close()
    DataDir(root).cache.mkdir()
    (DataDir(root).cache / "entry").write_text("cached")
    return root


# -- where a tantivy index may be -----------------------------------------------------------

@pytest.mark.parametrize("where", ["{data}", "{data}/cache", "{data}/index/inner",
                                   "{data}/index.old", "{parent}", "{data}/."])
def test_an_index_overlapping_the_data_directory_is_refused(data, where):
    before = tree(data.parent)
    url = where.format(data=data, parent=data.parent)
    for write in (True, False):
        with pytest.raises(ForeignIndexError, match="data directory"):
            open_index(data, url, write=write)
    with pytest.raises(ForeignIndexError):
        index_location(data, f"file://{os.path.abspath(url)}")
    assert tree(data.parent) == before


def test_the_data_directorys_own_index_is_fine_however_named(data):
    assert index_location(data, str(data / "index")) == DataDir(data).index.resolve()
    with open_index(data, str(data / "sub" / ".." / "index"), write=True) as index:
        assert index.path == DataDir(data).index.resolve() and index.count() == 0


def test_a_folder_with_someone_elses_files_is_never_written_or_deleted(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.txt").write_text("years of work")
    for write in (True, False):
        with pytest.raises(ForeignIndexError, match="not a search index enrich made"):
            TantivyIndex(mine, write=write)
    assert tree(mine) == {"thesis.txt": b"years of work"}
    (mine / "enrich-index.json").write_text("not json")  # a file of that name, not ours
    with pytest.raises(ForeignIndexError, match="not a marker enrich wrote"):
        TantivyIndex(mine, write=True)
    assert sorted(tree(mine)) == ["enrich-index.json", "thesis.txt"]


def test_the_current_folder_is_resolved(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("kept")
    with pytest.raises(ForeignIndexError):
        TantivyIndex(".", write=True)
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    with TantivyIndex(".", write=True) as index:  # an empty folder may become an index
        assert index.path == empty.resolve()
        with index.rebuild() as fresh:  # no "PosixPath('.') has an empty name"
            fresh.upsert(DOCS)
        assert index.count() == 2
    assert (tmp_path / "notes.txt").read_text() == "kept"
    with pytest.raises(ForeignIndexError, match="of its own"):
        TantivyIndex("/", write=True)


def test_an_empty_folder_becomes_an_index_with_a_marker_and_an_id(tmp_path):
    (tmp_path / "ix").mkdir()
    with TantivyIndex(tmp_path / "ix", write=True) as index:
        marker = json.loads((tmp_path / "ix" / "enrich-index.json").read_text())
        assert marker["id"] == index.index_id and marker["schema"] == 2
        first = index.index_id
        with index.rebuild() as fresh:
            fresh.upsert(DOCS)
        assert index.index_id == fresh.index_id != first  # a rebuild is another index
    assert TantivyIndex(tmp_path / "ix").index_id == index.index_id


def test_only_an_older_enrich_layout_is_rebuilt(tmp_path):
    folder = tmp_path / "ix"
    TantivyIndex(folder, write=True).close()
    marker = folder / "enrich-index.json"
    marker.write_text('{"schema": 0}')
    with TantivyIndex(folder, write=True) as older:
        assert older.stale and older.index_id is None
    marker.write_text('{"schema": 99}')
    before = tree(folder)
    for write in (True, False):
        with pytest.raises(IndexLayoutError, match="newer enrich"):
            TantivyIndex(folder, write=write)
    assert tree(folder) == before


def test_a_marker_without_an_id_gets_one_when_written(tmp_path):
    """An index made before index ids: kept, and given an id by its next writer."""
    folder = tmp_path / "ix"
    with TantivyIndex(folder, write=True) as index:
        index.upsert(DOCS)
        index.commit()
    marker = folder / "enrich-index.json"
    layout = {k: v for k, v in json.loads(marker.read_text()).items() if k != "id"}
    marker.write_text(json.dumps(layout))
    assert TantivyIndex(folder).index_id is None
    with TantivyIndex(folder, write=True) as index:
        assert index.index_id and index.count() == 2 and not index.stale


# -- Elasticsearch ----------------------------------------------------------------------------

def _foreign(fake, alias: str | None, concrete: str) -> None:
    """An index someone else made (no enrich _meta), behind ``alias`` if given."""
    fake.cluster.indices[concrete] = {"mappings": {"properties": {}},
                                      "aliases": {alias} if alias else set(),
                                      "docs": {"1": {"message": "production log line"}}}


@pytest.mark.parametrize("behind_alias", [True, False], ids=["alias", "index"])
def test_a_foreign_elasticsearch_index_is_refused(fake_es, tmp_path, behind_alias):
    name = f"logs-{uuid.uuid4().hex[:8]}"
    concrete = f"{name}-2024" if behind_alias else name
    _foreign(fake_es, name if behind_alias else None, concrete)
    url = fake_es.url(name)
    for write in (True, False):
        with pytest.raises(ForeignIndexError, match="not one enrich made"):
            with open_index(tmp_path, url, write=write) as index:
                index.count()
    store = SqliteStore(tmp_path / "store.sqlite")
    with pytest.raises(ForeignIndexError):
        with open_index(tmp_path, url) as index:  # a rebuild through a reader, too
            rebuild_index(store, index)
    store.close()
    assert fake_es.cluster.indices[concrete]["docs"] == {"1": {"message": "production log line"}}
    assert set(fake_es.cluster.indices) >= {concrete}
    assert not [i for i in fake_es.cluster.indices if i.startswith(f"{name}.v")]


def test_a_foreign_index_template_is_not_replaced(fake_es, tmp_path):
    name = f"corpus-{uuid.uuid4().hex[:8]}"
    theirs = {"index_patterns": [f"{name}.v*"], "template": {}}
    fake_es.cluster.templates[f"{name}-template"] = theirs
    with pytest.raises(ForeignIndexError, match="template"):
        open_index(tmp_path, fake_es.url(name), write=True)
    assert fake_es.cluster.templates[f"{name}-template"] is theirs
    assert not [i for i in fake_es.cluster.indices if i.startswith(name)]


def test_a_failed_alias_swap_leaves_no_orphan_index(fake_es, tmp_path, monkeypatch):
    name = f"corpus-{uuid.uuid4().hex[:8]}"
    with open_index(tmp_path, fake_es.url(name), write=True) as index:
        index.upsert(DOCS)
        index.commit()
        before = sorted(fake_es.cluster.resolve(name))

        def refuse(actions):
            raise EsError(500, "cluster_block_exception", "blocked by: [FORBIDDEN/8]")
        monkeypatch.setattr(fake_es.cluster, "update_aliases", refuse)
        with pytest.raises(Exception, match="swap the alias"):
            with index.rebuild() as fresh:
                fresh.upsert(DOCS[:1])
        mine = sorted(i for i in fake_es.cluster.indices if i.startswith(f"{name}."))
        assert mine == before  # the filled new index was deleted; the alias never moved
        assert index.count() == 2 and index.index_id == ",".join(before)
