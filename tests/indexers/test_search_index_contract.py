"""The search index contract: every case runs against every ``SearchIndex`` backend.

Backends: the embedded tantivy index, Elasticsearch through the faithful fake cluster
(``fake_elasticsearch.py``: the official client over HTTP), and a live cluster when
``ENRICH_TEST_ES_URL`` points at one (``https://host:9200``; auth and TLS from
``ENRICH_ES_*``; marker ``es``). Each opens through ``open_index``, as the indexer,
``enrich search`` and the server do.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from indexers.stores import (ForeignIndexError, IndexLayoutError, IndexMissingError,
                             QueryError, StoreError, TantivyIndex, open_index)

from .fake_elasticsearch import fake_es  # noqa: F401 - a fixture

DOCS = [
    {"id": "d1", "uri": "file:///d1.pdf", "title": "Lakers beat Celtics",
     "content": "LeBron James scored 40 points. A rare aardvark appeared in the crowd.",
     "people": ["LeBron James"], "organizations": ["Lakers", "Celtics"],
     "file_type": "pdf", "language": "en"},
    {"id": "d2", "uri": "file:///d2.pdf", "title": "Nike signs a deal",
     "content": "Nike signed LeBron James to a lifetime deal. New shoes were shown.",
     "people": ["LeBron James"], "organizations": ["Nike"], "file_type": "pdf",
     "language": "en"},
    {"id": "d3", "uri": "file:///d3.docx", "title": "Celtics practice",
     "content": "The Celtics practiced free throws. Jayson Tatum led the drills.",
     "people": ["Jayson Tatum"], "organizations": ["Celtics"], "file_type": "docx",
     "language": "en"},
    {"id": "d4", "uri": "file:///d4.html", "title": "A web page",
     "content": "<script>alert('x')</script> rare & odd markup", "file_type": "html",
     "keyphrases": "odd markup"},
]


def ids(result) -> list[str]:
    return sorted(hit["id"] for hit in result.results)


@dataclass
class Backend:
    """One search index backend: where its index is, and how to age its layout."""

    name: str
    data: Path
    url: str | None
    make_stale: Callable[[], None]

    def open(self, write: bool = False):
        return open_index(self.data, self.url, write=write)


def _tantivy(tmp_path: Path) -> Backend:
    def make_stale() -> None:
        (tmp_path / "index" / "enrich-index.json").write_text('{"schema": 0}')
    return Backend("tantivy", tmp_path, None, make_stale)


def _fake_es(tmp_path: Path, fake) -> Backend:
    name = f"enrich-{uuid.uuid4().hex[:10]}"

    def make_stale() -> None:
        for index in fake.cluster.resolve(name):
            fake.cluster.indices[index]["mappings"]["_meta"] = {"enrich_layout": 0}
    return Backend("fake-es", tmp_path, fake.url(name), make_stale)


def live_es_url(name: str) -> str:
    """An index URL on the cluster ENRICH_TEST_ES_URL names."""
    url = os.environ["ENRICH_TEST_ES_URL"].removeprefix("es+").rstrip("/")
    scheme, rest = url.split("://", 1)
    return f"es+{scheme}://{rest.split('/', 1)[0]}/{name}"


def _live_es(tmp_path: Path) -> tuple[Backend, Callable[[], None]]:
    import elasticsearch

    from indexers.stores.elastic import ElasticIndex
    url = live_es_url(f"enrich-test-{uuid.uuid4().hex[:10]}")
    admin = ElasticIndex.from_url(url)

    def make_stale() -> None:
        admin.client.indices.put_mapping(index=admin.name, meta={"enrich_layout": 0})

    def drop() -> None:
        try:
            indices = list(dict(admin.client.indices.get_alias(name=admin.name)))
        except elasticsearch.NotFoundError:
            indices = []
        for index in indices:
            admin.client.indices.delete(index=index, ignore_unavailable=True)
        admin.client.options(ignore_status=404).indices.delete_index_template(
            name=f"{admin.name}-template")
        admin.close()
    return Backend("es", tmp_path, url, make_stale), drop


@pytest.fixture(params=["tantivy", "fake-es", pytest.param("es", marks=pytest.mark.es)])
def backend(request, tmp_path):
    """Where an index of each backend goes (nothing is there yet)."""
    if request.param == "tantivy":
        yield _tantivy(tmp_path)
    elif request.param == "fake-es":
        yield _fake_es(tmp_path, request.getfixturevalue("fake_es"))
    else:
        if not os.environ.get("ENRICH_TEST_ES_URL"):
            pytest.skip("ENRICH_TEST_ES_URL is not set: no Elasticsearch cluster to run "
                        "the contract against")
        found, drop = _live_es(tmp_path)
        yield found
        drop()


@pytest.fixture
def index(backend):
    """An empty index, opened for writing."""
    with backend.open(write=True) as opened:
        yield opened


@pytest.fixture
def full(index):
    index.upsert(DOCS)
    index.commit()
    return index


def test_a_word_finds_the_one_document_with_it(full):
    result = full.search("aardvark")
    assert result.count == 1 and ids(result) == ["d1"]
    hit = result.results[0]
    assert (hit["uri"], hit["title"]) == ("file:///d1.pdf", "Lakers beat Celtics")
    assert hit["score"] > 0

def test_writes_are_visible_after_commit(index):
    index.upsert(DOCS[:1])
    assert index.count() == 0
    index.commit()
    assert index.count() == 1

def test_phrase(full):
    assert ids(full.search('"free throws"')) == ["d3"]
    assert ids(full.search('"throws free"')) == []

@pytest.mark.parametrize("query, expected", [
    ("LeBron AND Nike", ["d2"]),
    ("Tatum OR aardvark", ["d1", "d3"]),
    ("LeBron AND NOT Nike", ["d1"]),
    ("LeBron -Nike", ["d1"]),
    ("NOT Nike", ["d1", "d3", "d4"]),
    ("(Tatum OR Nike) AND shoes", ["d2"]),
])
def test_boolean(full, query, expected):
    assert ids(full.search(query)) == expected

@pytest.mark.parametrize("query, expected", [
    ('people:"LeBron James"', ["d1", "d2"]),
    ("organizations:Nike", ["d2"]),
    ("title:celtics", ["d1", "d3"]),
    ('keyphrases:"odd markup"', ["d4"]),
    ('people:"LeBron James" AND title:nike', ["d2"]),
    ("aard*", ["d1"]),
    ("people:Jay*", ["d3"]),
])
def test_field_and_prefix_queries(full, query, expected):
    assert ids(full.search(query)) == expected

def test_empty_query_and_star_match_everything(full):
    assert full.search("").count == 4 and full.search("*").count == 4

def test_filters(full):
    assert ids(full.search("*", filters={"organizations": ["Celtics"]})) == ["d1", "d3"]
    assert ids(full.search("*", filters={"file_type": ["docx", "html"]})) == ["d3", "d4"]
    both = {"organizations": ["Celtics"], "people": ["Jayson Tatum"]}
    assert ids(full.search("*", filters=both)) == ["d3"]
    assert ids(full.search("LeBron", filters={"file_type": ["pdf"]})) == ["d1", "d2"]
    assert full.search("*", filters={"people": []}).count == 4

def test_facets(full):
    facets = full.search("*", facets=["organizations", "file_type"]).facets
    assert facets["organizations"] == [{"value": "Celtics", "count": 2},
                                       {"value": "Lakers", "count": 1},
                                       {"value": "Nike", "count": 1}]
    assert facets["file_type"] == [{"value": "pdf", "count": 2},
                                   {"value": "docx", "count": 1},
                                   {"value": "html", "count": 1}]
    assert full.search("LeBron", facets=["people"]).facets == {
        "people": [{"value": "LeBron James", "count": 2}]}
    assert full.search("*", facets=["organizations"], facet_size=1).facets == {
        "organizations": [{"value": "Celtics", "count": 2}]}
    filtered = full.search("*", filters={"file_type": ["pdf"]}, facets=["people"])
    assert filtered.facets["people"] == [{"value": "LeBron James", "count": 2}]

def test_highlights(full):
    hit = full.search("aardvark").results[0]
    assert any("<b>aardvark</b>" in h for h in hit["highlights"])
    assert 1 <= len(hit["highlights"]) <= 2

def test_highlights_escape_html(full):
    (hit,) = full.search("rare AND odd").results
    text = " ".join(hit["highlights"])
    assert "<b>rare</b>" in text and "<b>odd</b>" in text
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert text.replace("<b>", "").replace("</b>", "").count("<") == 0

def test_paging_and_total_count(full):
    pages = [full.search("*", top=2, offset=offset) for offset in (0, 2, 4)]
    assert [p.count for p in pages] == [4, 4, 4]
    assert [len(p.results) for p in pages] == [2, 2, 0]
    assert sorted(ids(pages[0]) + ids(pages[1])) == ["d1", "d2", "d3", "d4"]
    assert full.search("*", top=0).count == 4 and full.search("*", top=0).results == []

def test_upserting_twice_keeps_one_document(full):
    changed = dict(DOCS[0], content="Now about a platypus.")
    full.upsert([changed])
    full.upsert([changed])
    full.commit()
    assert full.count() == 4
    assert ids(full.search("platypus")) == ["d1"] and full.search("aardvark").count == 0

def test_delete(full):
    full.delete(["d1", "unknown"])
    full.commit()
    assert full.count() == 3 and full.search("aardvark").count == 0

@pytest.mark.parametrize("query", ["title:(", '"unclosed', "LeBron AND", "foo:bar"])
def test_malformed_query_raises_query_error(full, query):
    with pytest.raises(QueryError) as error:
        full.search(query, syntax="strict")
    assert query in str(error.value)

@pytest.mark.parametrize("query,position", [
    ('nike "unclosed', 5), ("(LeBron OR Nike", 0), ("LeBron) Nike", 6),
    ("LeBron AND", 7), ("nike title:", 5), ("nike foo:bar", 5)])
def test_query_errors_say_where(full, query, position):
    with pytest.raises(QueryError) as error:
        full.search(query, syntax="strict")
    assert error.value.position == position

def test_sort_by_a_keyword_field(full):
    up = full.search("*", sort="uri", top=10)
    down = full.search("*", sort="-uri", top=10)
    assert [h["uri"] for h in up.results] == sorted(d["uri"] for d in DOCS)
    assert [h["uri"] for h in down.results] == sorted((d["uri"] for d in DOCS), reverse=True)
    assert all(h["score"] is None for h in up.results) and up.count == 4
    assert [h["id"] for h in full.search("*", sort="uri", top=2, offset=2).results] == \
        ["d3", "d4"]
    with pytest.raises(QueryError, match="cannot sort on 'title'"):
        full.search("*", sort="title")

def test_results_without_highlights(full):
    result = full.search("aardvark", highlight=False)
    assert ids(result) == ["d1"] and result.results[0]["highlights"] == []

def test_unknown_field_names_the_known_ones(full):
    with pytest.raises(QueryError, match="'foo'.*people"):
        full.search("foo:bar", syntax="strict")
    with pytest.raises(QueryError, match="people"):
        full.search("*", filters={"colour": ["red"]})
    with pytest.raises(QueryError, match="people"):
        full.search("*", facets=["content"])

def test_reopening_sees_committed_documents(backend, full):
    with backend.open() as again:
        assert again.count() == 4 and ids(again.search("aardvark")) == ["d1"]

def test_text_is_stemmed_and_folded(index):
    index.upsert([{"id": "a", "title": "Players", "content": "Ramón Muñoz was running."}])
    index.commit()
    for query in ("player", "munoz", "Muñoz", "run", '"ramon munoz"'):
        assert index.search(query).count == 1, query
    assert "<b>Muñoz</b>" in index.search("munoz").results[0]["highlights"][0]

def test_two_fragments_for_distant_matches(index):
    filler = " ".join(["filler"] * 200)
    index.upsert([{"id": "a", "content": f"zebra first. {filler} zebra again."}])
    index.commit()
    highlights = index.search("zebra").results[0]["highlights"]
    assert len(highlights) == 2 and all("<b>zebra</b>" in h for h in highlights)

def test_result_shape(full):
    result = full.search("aardvark").to_dict()
    assert set(result) == {"count", "mode", "results", "facets"}
    assert result["mode"] == "keyword"
    assert set(result["results"][0]) == {"id", "uri", "title", "score", "highlights"}
    json.dumps(result)


# -- opening, refreshing, rebuilding -------------------------------------------------------

def test_reading_creates_nothing(backend):
    for _ in range(2):  # the first try left nothing behind
        with pytest.raises(IndexMissingError, match="index"):
            backend.open().count()
    assert not any(backend.data.iterdir())  # not even an empty folder


def test_a_reader_sees_another_writers_commits_after_refresh(backend, full):
    with backend.open() as reader:
        assert reader.count() == 4
        full.upsert([{"id": "d5", "content": "a wombat"}])
        full.commit()
        reader.refresh()
        assert ids(reader.search("wombat")) == ["d5"]


def test_rebuild_swaps_the_new_contents_in_at_once(backend, full):
    with backend.open() as reader:
        with full.rebuild() as fresh:
            fresh.upsert(DOCS[:1])
            fresh.commit()
            assert fresh.count() == 1 and ids(fresh.search("aardvark")) == ["d1"]
            reader.refresh()
            assert full.count() == 4 and reader.count() == 4  # the old contents, still
        assert full.count() == 1 and ids(full.search("lakers")) == ["d1"]
        reader.refresh()
        assert reader.count() == 1 and ids(reader.search("aardvark")) == ["d1"]
    with backend.open() as again:
        assert again.count() == 1


def test_a_failed_rebuild_changes_nothing(backend, full):
    with pytest.raises(RuntimeError, match="disk on fire"):
        with full.rebuild() as fresh:
            fresh.upsert(DOCS[:1])
            fresh.commit()
            raise RuntimeError("disk on fire")
    assert full.count() == 4
    with backend.open() as again:
        assert again.count() == 4 and ids(again.search("Nike")) == ["d2"]
    full.upsert([{"id": "d5", "content": "still writable"}])
    full.commit()
    assert full.count() == 5


def test_an_index_of_another_layout_is_refused_until_rebuilt(backend, full):
    full.close()
    backend.make_stale()
    with pytest.raises(IndexLayoutError, match="--rebuild-index"):
        with backend.open() as reader:
            reader.count()
    with backend.open(write=True) as writer:
        assert "--rebuild-index" in writer.stale
        with pytest.raises(IndexLayoutError):
            writer.search("aardvark")
        with writer.rebuild() as fresh:
            fresh.upsert(DOCS)
        assert writer.stale is None and writer.count() == 4
    with backend.open() as reader:
        assert ids(reader.search("aardvark")) == ["d1"]


# -- tantivy alone ---------------------------------------------------------------------------

class TestTantivyIndex:
    @pytest.fixture
    def full(self, tmp_path):
        with TantivyIndex(tmp_path / "index", write=True) as index:
            index.upsert(DOCS)
            index.commit()
            yield index

    def test_a_second_writer_is_refused_clearly(self, full):
        with pytest.raises(StoreError, match="Another enrich process"):
            TantivyIndex(full.path, write=True)  # refused at once, before any work
        other = TantivyIndex(full.path)
        with pytest.raises(StoreError, match="Another enrich process"):
            other.upsert(DOCS[:1])
        assert other.count() == 4  # reading is fine
        with pytest.raises(StoreError, match="Another enrich process"):
            with other.rebuild():
                pass
        assert not full.path.with_name("index.rebuild").exists()

    def test_a_killed_rebuild_leaves_a_folder_the_next_one_replaces(self, full):
        leftover = full.path.with_name(full.path.name + ".rebuild")
        leftover.mkdir()
        (leftover / "enrich-index.json").write_text('{"schema": 1}')  # marked, then killed
        (leftover / "junk").write_text("x")
        with full.rebuild() as fresh:
            fresh.upsert(DOCS[:2])
        assert full.count() == 2 and not leftover.exists()
        assert sorted(p.name for p in full.path.parent.iterdir()) == ["index"]

    @pytest.mark.parametrize("suffix", [".rebuild", ".old"])
    def test_a_foreign_folder_beside_the_index_is_never_deleted(self, full, suffix):
        beside = full.path.with_name(full.path.name + suffix)
        beside.mkdir()
        (beside / "notes.txt").write_text("mine")
        with pytest.raises(ForeignIndexError, match="move it away"):
            with full.rebuild() as fresh:
                fresh.upsert(DOCS[:1])
        assert (beside / "notes.txt").read_text() == "mine" and full.count() == 4

    def test_an_index_of_another_layout_is_refused(self, tmp_path):
        TantivyIndex(tmp_path / "ix", write=True).close()
        (tmp_path / "ix" / "enrich-index.json").write_text('{"schema": 0}')
        with pytest.raises(StoreError, match="another enrich version"):
            TantivyIndex(tmp_path / "ix")

    def test_a_killed_writer_leaves_no_lock(self, tmp_path):
        script = textwrap.dedent(f"""
            import os, signal
            from indexers.stores import TantivyIndex
            index = TantivyIndex({str(tmp_path / "ix")!r}, write=True)
            index.upsert([{{"id": "a", "content": "kept"}}])
            index.commit()
            index.upsert([{{"id": "b", "content": "lost"}}])
            os.kill(os.getpid(), signal.SIGKILL)
            """)
        result = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).parents[2])
        assert result.returncode == -9
        with TantivyIndex(tmp_path / "ix", write=True) as index:
            assert index.count() == 1 and index.search("lost").count == 0
            index.upsert([{"id": "c", "content": "new"}])
            index.commit()
            assert index.count() == 2
