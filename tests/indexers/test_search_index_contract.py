"""The search index contract: every ``SearchIndex`` passes ``SearchIndexContract``."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from indexers.stores import QueryError, StoreError, TantivyIndex

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


class SearchIndexContract:
    """Tests every search index must pass. Subclasses provide ``index`` (empty, at a path)."""

    @pytest.fixture
    def index(self, tmp_path):
        raise NotImplementedError("a search index test class overrides the index fixture")

    @pytest.fixture
    def full(self, index):
        index.upsert(DOCS)
        index.commit()
        return index

    def reopen(self, index):
        raise NotImplementedError

    def test_a_word_finds_the_one_document_with_it(self, full):
        result = full.search("aardvark")
        assert result.count == 1 and ids(result) == ["d1"]
        hit = result.results[0]
        assert (hit["uri"], hit["title"]) == ("file:///d1.pdf", "Lakers beat Celtics")
        assert hit["score"] > 0

    def test_writes_are_visible_after_commit(self, index):
        index.upsert(DOCS[:1])
        assert index.count() == 0
        index.commit()
        assert index.count() == 1

    def test_phrase(self, full):
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
    def test_boolean(self, full, query, expected):
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
    def test_field_and_prefix_queries(self, full, query, expected):
        assert ids(full.search(query)) == expected

    def test_empty_query_and_star_match_everything(self, full):
        assert full.search("").count == 4 and full.search("*").count == 4

    def test_filters(self, full):
        assert ids(full.search("*", filters={"organizations": ["Celtics"]})) == ["d1", "d3"]
        assert ids(full.search("*", filters={"file_type": ["docx", "html"]})) == ["d3", "d4"]
        both = {"organizations": ["Celtics"], "people": ["Jayson Tatum"]}
        assert ids(full.search("*", filters=both)) == ["d3"]
        assert ids(full.search("LeBron", filters={"file_type": ["pdf"]})) == ["d1", "d2"]
        assert full.search("*", filters={"people": []}).count == 4

    def test_facets(self, full):
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

    def test_highlights(self, full):
        hit = full.search("aardvark").results[0]
        assert any("<b>aardvark</b>" in h for h in hit["highlights"])
        assert 1 <= len(hit["highlights"]) <= 2

    def test_highlights_escape_html(self, full):
        (hit,) = full.search("rare AND odd").results
        text = " ".join(hit["highlights"])
        assert "<b>rare</b>" in text and "<b>odd</b>" in text
        assert "<script>" not in text and "&lt;script&gt;" in text
        assert text.replace("<b>", "").replace("</b>", "").count("<") == 0

    def test_paging_and_total_count(self, full):
        pages = [full.search("*", top=2, offset=offset) for offset in (0, 2, 4)]
        assert [p.count for p in pages] == [4, 4, 4]
        assert [len(p.results) for p in pages] == [2, 2, 0]
        assert sorted(ids(pages[0]) + ids(pages[1])) == ["d1", "d2", "d3", "d4"]
        assert full.search("*", top=0).count == 4 and full.search("*", top=0).results == []

    def test_upserting_twice_keeps_one_document(self, full):
        changed = dict(DOCS[0], content="Now about a platypus.")
        full.upsert([changed])
        full.upsert([changed])
        full.commit()
        assert full.count() == 4
        assert ids(full.search("platypus")) == ["d1"] and full.search("aardvark").count == 0

    def test_delete(self, full):
        full.delete(["d1", "unknown"])
        full.commit()
        assert full.count() == 3 and full.search("aardvark").count == 0

    @pytest.mark.parametrize("query", ["title:(", '"unclosed', "LeBron AND", "foo:bar"])
    def test_malformed_query_raises_query_error(self, full, query):
        with pytest.raises(QueryError) as error:
            full.search(query)
        assert query in str(error.value)

    @pytest.mark.parametrize("query,position", [
        ('nike "unclosed', 5), ("(LeBron OR Nike", 0), ("LeBron) Nike", 6),
        ("LeBron AND", 7), ("nike title:", 5), ("nike foo:bar", 5)])
    def test_query_errors_say_where(self, full, query, position):
        with pytest.raises(QueryError) as error:
            full.search(query)
        assert error.value.position == position

    def test_sort_by_a_keyword_field(self, full):
        up = full.search("*", sort="uri", top=10)
        down = full.search("*", sort="-uri", top=10)
        assert [h["uri"] for h in up.results] == sorted(d["uri"] for d in DOCS)
        assert [h["uri"] for h in down.results] == sorted((d["uri"] for d in DOCS), reverse=True)
        assert all(h["score"] is None for h in up.results) and up.count == 4
        assert [h["id"] for h in full.search("*", sort="uri", top=2, offset=2).results] == \
            ["d3", "d4"]
        with pytest.raises(QueryError, match="cannot sort on 'title'"):
            full.search("*", sort="title")

    def test_results_without_highlights(self, full):
        result = full.search("aardvark", highlight=False)
        assert ids(result) == ["d1"] and result.results[0]["highlights"] == []

    def test_unknown_field_names_the_known_ones(self, full):
        with pytest.raises(QueryError, match="'foo'.*people"):
            full.search("foo:bar")
        with pytest.raises(QueryError, match="people"):
            full.search("*", filters={"colour": ["red"]})
        with pytest.raises(QueryError, match="people"):
            full.search("*", facets=["content"])

    def test_reopening_sees_committed_documents(self, full):
        again = self.reopen(full)
        assert again.count() == 4 and ids(again.search("aardvark")) == ["d1"]

    def test_text_is_stemmed_and_folded(self, index):
        index.upsert([{"id": "a", "title": "Players", "content": "Ramón Muñoz was running."}])
        index.commit()
        for query in ("player", "munoz", "Muñoz", "run", '"ramon munoz"'):
            assert index.search(query).count == 1, query
        assert "<b>Muñoz</b>" in index.search("munoz").results[0]["highlights"][0]

    def test_two_fragments_for_distant_matches(self, index):
        filler = " ".join(["filler"] * 200)
        index.upsert([{"id": "a", "content": f"zebra first. {filler} zebra again."}])
        index.commit()
        highlights = index.search("zebra").results[0]["highlights"]
        assert len(highlights) == 2 and all("<b>zebra</b>" in h for h in highlights)

    def test_result_shape(self, full):
        result = full.search("aardvark").to_dict()
        assert set(result) == {"count", "results", "facets"}
        assert set(result["results"][0]) == {"id", "uri", "title", "score", "highlights"}
        json.dumps(result)


class TestTantivyIndex(SearchIndexContract):
    @pytest.fixture
    def index(self, tmp_path):
        with TantivyIndex(tmp_path / "index") as index:
            yield index

    def reopen(self, index):
        index.close()
        return TantivyIndex(index.path)

    def test_an_open_reader_sees_another_writers_commits_after_refresh(self, full):
        reader = TantivyIndex(full.path)
        try:
            full.upsert([{"id": "d5", "content": "a wombat"}])
            full.commit()
            reader.refresh()
            assert ids(reader.search("wombat")) == ["d5"]
        finally:
            reader.close()

    def test_a_second_writer_is_refused_clearly(self, full):
        full.upsert(DOCS[:1])
        other = TantivyIndex(full.path)
        with pytest.raises(StoreError, match="Another enrich process"):
            other.upsert(DOCS[:1])
        assert other.count() == 4  # reading is fine

    def test_an_index_of_another_layout_is_refused(self, tmp_path):
        TantivyIndex(tmp_path / "ix").close()
        (tmp_path / "ix" / "enrich-index.json").write_text('{"schema": 0}')
        with pytest.raises(StoreError, match="another enrich version"):
            TantivyIndex(tmp_path / "ix")

    def test_a_killed_writer_leaves_no_lock(self, tmp_path):
        script = textwrap.dedent(f"""
            import os, signal
            from indexers.stores import TantivyIndex
            index = TantivyIndex({str(tmp_path / "ix")!r})
            index.upsert([{{"id": "a", "content": "kept"}}])
            index.commit()
            index.upsert([{{"id": "b", "content": "lost"}}])
            os.kill(os.getpid(), signal.SIGKILL)
            """)
        result = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).parents[2])
        assert result.returncode == -9
        with TantivyIndex(tmp_path / "ix") as index:
            assert index.count() == 1 and index.search("lost").count == 0
            index.upsert([{"id": "c", "content": "new"}])
            index.commit()
            assert index.count() == 2
