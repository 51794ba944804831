"""The JSON API of `enrich serve`, in process, over the corpus of conftest.py: search and suggest.

Every expected value is worked out from how the corpus was built (which names are
in which file), not read back from the server.
"""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from tests.server.api_helpers import ALL, get, search, names_of, buckets
from tests.server.conftest import CREW


# --- search --------------------------------------------------------------------

def test_a_word_finds_the_one_document_that_has_it(client, indexed):
    found = search(client, q="quixotic")
    assert found["count"] == 1
    hit, = found["results"]
    assert (hit["uri"], hit["id"]) == (indexed.uri("harbour.pdf"), indexed.ids["harbour.pdf"])
    assert hit["file_type"] == "pdf" and hit["content_type"] == "application/pdf"
    assert hit["people"] == ["Zorvex", "Quilmar"] and hit["locations"] == ["Tesmira"]
    assert hit["organizations"] == ["Brantis"]
    assert found["query"] == "quixotic" and found["sort"] == "relevance"


def test_a_word_in_several_documents(client, indexed):
    found = search(client, q="lighthouse")
    assert found["count"] == 3
    assert sorted(names_of(found, indexed)) == ["again.pdf", "gone.txt", "memo.docx"]


def test_a_phrase_matches_only_the_words_in_that_order(client, indexed):
    assert names_of(search(client, q='"met Quilmar again"'), indexed) == ["again.pdf"]
    assert search(client, q='"again Quilmar met"')["count"] == 0
    assert sorted(names_of(search(client, q='"Zorvex met Quilmar"'), indexed)) == [
        "again.pdf", "harbour.pdf"]


def test_field_value_in_the_query(client, indexed):
    assert sorted(names_of(search(client, q="people:Zorvex"), indexed)) == [
        "again.pdf", "harbour.pdf"]
    assert sorted(names_of(search(client, q="file_type:csv"), indexed)) == [
        "ledger.csv#row=1", "ledger.csv#row=2"]
    assert names_of(search(client, q="people:Zorvex AND locations:Tesmira"), indexed) == [
        "harbour.pdf"]


def test_highlights_bold_the_match(client):
    hit, = search(client, q="quixotic")["results"]
    assert any("<b>quixotic</b>" in h for h in hit["highlights"]), hit["highlights"]


def test_highlights_escape_the_text_of_the_document(client, indexed):
    found = search(client, q="alert")
    hit, = found["results"]
    assert hit["id"] == indexed.ids["notes.md"]
    text = " ".join(hit["highlights"])
    assert "<b>alert</b>" in text
    assert "&lt;script&gt;" in text and "<script>" not in text and "</script>" not in text
    # Only <b> and </b> are markup; every other angle bracket is escaped.
    assert not re.sub(r"</?b>", "", text).count("<")


def test_an_empty_query_and_star_match_every_document(client, indexed):
    for q in ("", "*"):
        found = search(client, q=q, top=50)
        assert found["count"] == len(ALL)
        assert sorted(names_of(found, indexed)) == sorted(ALL)


def test_facets_count_documents_per_value_exactly(client):
    found = search(client, facet=["people", "organizations", "locations", "file_type"],
                   facet_size=50)
    assert buckets(found, "people") == {"Quilmar": 3, "Zorvex": 2, "Ulvane": 2, "Vantor": 1,
                                        **dict.fromkeys(CREW, 1)}
    assert buckets(found, "organizations") == {"Olvenko": 2, "Brantis": 1, "Vantor Inc": 1}
    assert buckets(found, "locations") == {"Tesmira": 2}
    assert buckets(found, "file_type") == {"pdf": 3, "csv": 2, "text": 2, "docx": 1,
                                           "markdown": 1}
    counts = [b["count"] for b in found["facets"]["people"]]
    assert counts == sorted(counts, reverse=True)  # most frequent first


def test_facets_count_over_the_matches_only_and_facet_size_caps_them(client):
    found = search(client, q="lighthouse", facet=["people", "file_type"])
    assert buckets(found, "people") == {"Zorvex": 1, "Quilmar": 1, "Vantor": 1, "Ulvane": 1}
    assert buckets(found, "file_type") == {"pdf": 1, "docx": 1, "text": 1}
    small = search(client, facet="people", facet_size=2)["facets"]["people"]
    assert (small[0]["value"], small[0]["count"]) == ("Quilmar", 3) and len(small) == 2


@pytest.mark.parametrize("filters, expected", [
    (["people:Zorvex"], {"again.pdf", "harbour.pdf"}),
    (["people:Zorvex", "people:Ulvane"], {"again.pdf", "harbour.pdf", "gone.txt",
                                         "ledger.csv#row=2"}),              # one field: OR
    (["people:Quilmar", "locations:Tesmira"], {"harbour.pdf", "visit.pdf"}),  # fields: AND
    (["people:Zorvex", "locations:Tesmira"], {"harbour.pdf"}),
    (["organizations:Vantor Inc"], {"ledger.csv#row=1"}),   # the value may have spaces
    (["people:Nobody"], set()),
])
def test_filters(client, indexed, filters, expected):
    found = search(client, filter=filters, top=50)
    assert found["count"] == len(expected)
    assert set(names_of(found, indexed)) == expected


def test_a_filter_narrows_a_query_and_its_facets(client, indexed):
    found = search(client, q="lighthouse", filter="people:Zorvex", facet="people")
    assert names_of(found, indexed) == ["again.pdf"]
    assert buckets(found, "people") == {"Zorvex": 1, "Quilmar": 1}


def test_a_filter_value_is_everything_after_the_first_colon(client, indexed):
    uri = indexed.uri("ledger.csv") + "#row=2"  # "file:///...": colons in the value
    assert names_of(search(client, filter=f"uri:{uri}"), indexed) == ["ledger.csv#row=2"]


def test_pages_are_disjoint_and_add_up_to_the_first_n(client):
    whole = search(client, q="*", sort="uri", top=9)
    ids = [hit["id"] for hit in whole["results"]]
    assert len(ids) == 9
    pages = [search(client, q="*", sort="uri", top=4, skip=skip) for skip in (0, 4, 8)]
    assert [page["count"] for page in pages] == [9, 9, 9]
    assert [(page["top"], page["skip"]) for page in pages] == [(4, 0), (4, 4), (4, 8)]
    assert [len(page["results"]) for page in pages] == [4, 4, 1]
    paged = [hit["id"] for page in pages for hit in page["results"]]
    assert paged == ids and len(set(paged)) == 9
    assert search(client, q="*", top=4, skip=40)["results"] == []


def test_paging_a_relevance_ranked_query(client):
    whole = [hit["id"] for hit in search(client, q="Zorvex OR Quilmar OR Ulvane")["results"]]
    first = search(client, q="Zorvex OR Quilmar OR Ulvane", top=2)
    rest = search(client, q="Zorvex OR Quilmar OR Ulvane", top=10, skip=2)
    assert first["count"] == rest["count"] == len(whole) == 5
    ids = [h["id"] for h in first["results"]] + [h["id"] for h in rest["results"]]
    assert sorted(ids) == sorted(whole) and len(set(ids)) == 5
    scores = [h["score"] for h in first["results"] + rest["results"]]
    assert scores == sorted(scores, reverse=True)


def test_top_zero_counts_without_results(client):
    found = search(client, q="lighthouse", top=0)
    assert found["count"] == 3 and found["results"] == []


def test_sort_by_uri_both_ways(client, indexed):
    up = [hit["uri"] for hit in search(client, sort="uri", top=50)["results"]]
    down = [hit["uri"] for hit in search(client, sort="-uri", top=50)["results"]]
    assert up == sorted(up) and len(up) == len(ALL)
    assert down == list(reversed(up))
    assert up[0] == indexed.uri("again.pdf") and down[0] == indexed.uri("visit.pdf")


def test_result_lists_are_capped_at_ten_values(client, indexed):
    hit, = search(client, q="crew")["results"]
    assert hit["id"] == indexed.ids["roster.txt"]
    assert hit["people"] == CREW[:10]
    document = get(client, f"/api/documents/{hit['id']}")
    assert document["fields"]["people"] == CREW  # the document has them all


def test_result_thumbnails(client, indexed):
    found = search(client, top=50)
    by_id = {doc_id: name for name, doc_id in indexed.ids.items()}
    thumbs = {by_id[hit["id"]]: hit["thumbnail"] for hit in found["results"]}
    doc = indexed.ids["harbour.pdf"]
    assert thumbs["harbour.pdf"] == f"/api/documents/{doc}/images/p1-i0/thumbnail"
    for name in ("notes.md", "memo.docx", "roster.txt", "ledger.csv#row=1"):
        assert thumbs[name] is None, name  # no images
    for name, url in thumbs.items():
        if url:  # every thumbnail given can be fetched, and is an image
            response = client.get(url)
            assert response.status_code == 200, (name, url)
            assert response.headers["content-type"].startswith("image/")
            Image.open(io.BytesIO(response.content)).verify()


# --- suggest -------------------------------------------------------------------

def test_suggest_finds_a_person_by_prefix(client):
    found = get(client, "/api/suggest", q="zor")
    assert found["query"] == "zor"
    first = found["suggestions"][0]
    assert first == {"key": "PERSON:zorvex", "name": "Zorvex", "type": "PERSON",
                     "documents": 2, "mentions": 3, "match": "prefix", "field": "people"}


def test_suggest_gives_the_field_to_filter_by(client):
    found = get(client, "/api/suggest", q="vantor")
    fields = {s["key"]: s["field"] for s in found["suggestions"]}
    assert fields == {"PERSON:vantor": "people", "ORG:vantor": "organizations"}
    assert {s["match"] for s in found["suggestions"]} <= {"exact", "alias", "prefix"}
    # The field and name really filter the search.
    org = next(s for s in found["suggestions"] if s["type"] == "ORG")
    assert search(client, filter=f"{org['field']}:{org['name']}")["count"] == org["documents"]


def test_suggest_kind_limit_and_empty_query(client):
    assert get(client, "/api/suggest", q="vantor", kind="ORG")["suggestions"][0]["key"] == \
        "ORG:vantor"
    assert [s["type"] for s in get(client, "/api/suggest", q="vantor", kind="org")[
        "suggestions"]] == ["ORG"]
    assert len(get(client, "/api/suggest", q="vantor", limit=1)["suggestions"]) == 1
    assert get(client, "/api/suggest", q="")["suggestions"] == []
    assert get(client, "/api/suggest", q="quil", kind="GPE")["suggestions"] == []


def test_suggest_most_documented_first_and_fuzzy(client):
    found = get(client, "/api/suggest", q="quilmer")["suggestions"]  # a typo
    assert found and found[0]["key"] == "PERSON:quilmar" and found[0]["match"] == "fuzzy"
