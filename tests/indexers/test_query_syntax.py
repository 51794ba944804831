"""The lenient query syntax (the default) and the strict one, on every backend.

The contract cases run on tantivy and on the fake Elasticsearch (and a live cluster with
``ENRICH_TEST_ES_URL``) through the fixtures of ``test_search_index_contract``.
"""

from __future__ import annotations

import pytest

from indexers.stores import QueryError
from indexers.stores.elastic_body import search_body, text_query
from indexers.stores.query_syntax import runs_nowhere, unknown_fields_as_words, words

from .fake_elasticsearch import fake_es  # noqa: F401 - a fixture
from .test_search_index_contract import DOCS, backend, ids, index  # noqa: F401 - fixtures

QUIZ = {"id": "q1", "uri": "file:///quiz.txt", "title": "Quiz night notes",
        "content": "Which late-1950s kids' TV show won a newspaper award? Marlow's answer: "
                   "the Puffin Hour. What's new: compare C++ vs. C# at 10:30 tonight."}

HOSTILE = [
    "late-1950s kids' TV show that won a newspaper award",
    'what\'s "new',
    "Marlow's answer AND",
    "(unclosed puffin",
    "puffin hour)",
    '"Puffin Hour',
    "C++ vs. C#",
    "puffin title:",
    "foo:puffin",
    "10:30",
    "puffin AND OR hour",
    "puffin~1 hour",
    "newspaper award NOT",
    "content:* puffin",
    "kids' TV!",
]


@pytest.fixture
def quiz(index):  # noqa: F811 - the contract's fixture
    index.upsert(DOCS + [QUIZ])
    index.commit()
    return index


@pytest.mark.parametrize("query", HOSTILE)
def test_a_natural_language_query_never_fails_and_finds_its_words(quiz, query):
    result = quiz.search(query)
    assert result.results and result.results[0]["id"] == "q1", (query, result.results)


@pytest.mark.parametrize("query", ["-", "NOT", '"', "()", "AND OR"])
def test_a_query_without_words_answers_nothing(quiz, query):
    assert quiz.search(query).count == 0


@pytest.mark.parametrize("query, expected", [
    ('people:"LeBron James" AND title:nike', ["d2"]),
    ('"free throws"', ["d3"]),
    ('"throws free"', []),
    ("LeBron -Nike", ["d1"]),
    ("LeBron AND NOT Nike", ["d1"]),
    ("aard*", ["d1"]),
    ("organizations:Celtics AND NOT title:lakers", ["d3"]),
    ("*", ["d1", "d2", "d3", "d4", "q1"]),
])
def test_the_full_syntax_works_when_the_query_parses(quiz, query, expected):
    assert ids(quiz.search(query)) == expected
    assert ids(quiz.search(query, syntax="strict")) == expected


def test_an_unknown_field_is_words_but_known_fields_keep_working(quiz):
    assert ids(quiz.search("colour:puffin")) == ["q1"]
    assert ids(quiz.search("colour:puffin organizations:Nike")) == ["d2", "q1"]
    assert ids(quiz.search('(marlow:"puffin hour") AND people:"Jayson Tatum"')) == []
    assert ids(quiz.search('(marlow:"puffin hour") OR people:"Jayson Tatum"')) == ["d3", "q1"]


def test_lenient_results_are_filtered_and_faceted(quiz):
    found = quiz.search("aardvark nike (", filters={"file_type": ["pdf"]}, facets=["people"])
    assert ids(found) == ["d1", "d2"]
    assert found.facets["people"] == [{"value": "LeBron James", "count": 2}]
    (d1,) = [hit for hit in found.results if hit["id"] == "d1"]
    assert any("<b>aardvark</b>" in h for h in d1["highlights"])  # words highlight too


@pytest.mark.parametrize("query,position", [
    ('nike "unclosed', 5), ("(LeBron OR Nike", 0), ("LeBron) Nike", 6),
    ("LeBron AND", 7), ("nike title:", 5), ("nike foo:bar", 5)])
def test_the_strict_syntax_says_where_the_error_is(quiz, query, position):
    with pytest.raises(QueryError) as error:
        quiz.search(query, syntax="strict")
    assert error.value.position == position and query in str(error.value)
    assert quiz.search(query).count >= 1  # the lenient one answers


def test_an_unknown_syntax_is_a_query_error(quiz):
    with pytest.raises(QueryError, match="lenient or strict"):
        quiz.search("puffin", syntax="loose")


# -- the text functions and the Elasticsearch bodies -----------------------------------

def test_words_drop_operators_quotes_and_punctuation():
    assert words('late-1950s kids\' "TV" AND C++ (vs) OR NOT x_y') == \
        ["late", "1950s", "kids", "tv", "c", "vs", "x", "y"]
    assert words("-") == [] and words("and or") == ["and", "or"]


def test_unknown_fields_become_words_outside_quotes():
    assert unknown_fields_as_words('foo:bar title:x "a:b" 10:30 c\\:d') == \
        'foo bar title:x "a:b" 10 30 c\\:d'
    assert runs_nowhere("title:*") and runs_nowhere("id:*") and not runs_nowhere("people:*")


def test_elasticsearch_bodies_for_each_syntax():
    assert text_query("a AND") == {"simple_query_string": {
        "query": "a", "fields": ["title", "content"], "default_operator": "OR",
        "flags": "WHITESPACE"}}
    assert text_query('"') == {"match_none": {}}
    assert text_query("foo:bar")["query_string"]["query"] == "foo bar"
    assert text_query("foo:bar", "strict")["query_string"]["query"] == "foo:bar"
    body = search_body("nike", filters={"people": ["x"]}, as_words=True)
    assert body["query"]["bool"]["must"][0]["simple_query_string"]["query"] == "nike"


# -- through enrich.search and the CLI -------------------------------------------------------

def test_search_and_the_cli_take_the_syntax(tmp_path):
    import json

    from typer.testing import CliRunner

    from enrich.cli import app
    from enrich.searching import search
    from indexers.stores import open_store

    store, written = open_store(tmp_path)  # a data directory the CLI accepts
    written.upsert([QUIZ])
    written.commit()
    written.close()
    store.close()
    assert [hit["id"] for hit in search(tmp_path, "kids' TV (").results] == ["q1"]
    with pytest.raises(QueryError) as error:
        search(tmp_path, "kids' TV (", syntax="strict")
    assert error.value.position == 9  # the "("
    with pytest.raises(QueryError, match="unknown query syntax"):
        search(tmp_path, "puffin", syntax="loose")

    def cli(*args):
        return CliRunner().invoke(app, ["search", "--data", str(tmp_path), "--json", *args])
    found = cli("puffin AND")
    assert found.exit_code == 0 and json.loads(found.stdout)["count"] == 1
    refused = cli("--syntax", "strict", "puffin AND")
    assert refused.exit_code == 2 and "E403" in refused.output and "character 8" in refused.output
