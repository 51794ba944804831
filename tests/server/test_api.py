"""The JSON API of `enrich serve`, in process, over the corpus of conftest.py.

Every expected value is worked out from how the corpus was built (which names are
in which file), not read back from the server.
"""

from __future__ import annotations

import io
import re

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from enrich.server import create_app
from indexers.stores import SqliteStore
from enrich.testing import factories
from tests.server.conftest import (
    CREW,
    HARBOUR_PAGES,
    NOTES_MD,
    error_of,
    index,
    write_dictionary,
)

ALL = ["again.pdf", "harbour.pdf", "ledger.csv#row=1", "ledger.csv#row=2", "memo.docx",
       "notes.md", "roster.txt", "gone.txt", "visit.pdf"]


def get(client, url, **params):
    response = client.get(url, params=params)
    assert response.status_code == 200, (url, response.status_code, response.text)
    return response.json()


def search(client, **params) -> dict:
    return get(client, "/api/search", **params)


def names_of(found: dict, indexed) -> list[str]:
    by_id = {doc_id: name for name, doc_id in indexed.ids.items()}
    return [by_id[hit["id"]] for hit in found["results"]]


def buckets(found: dict, field: str) -> dict[str, int]:
    return {b["value"]: b["count"] for b in found["facets"][field]}


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


# --- documents -----------------------------------------------------------------

def test_document_pages_fields_and_file_link(client, indexed):
    doc_id = indexed.ids["harbour.pdf"]
    doc = get(client, f"/api/documents/{doc_id}")
    assert (doc["id"], doc["uri"], doc["source_uri"]) == (
        doc_id, indexed.uri("harbour.pdf"), indexed.uri("harbour.pdf"))
    assert doc["status"] == "ok" and doc["content_type"] == "application/pdf"
    assert doc["file_type"] == "pdf" and doc["file"] == f"/api/documents/{doc_id}/file"
    assert [p["number"] for p in doc["pages"]] == [1, 2]
    assert [p["text"].strip() for p in doc["pages"]] == HARBOUR_PAGES
    assert all(p["image"] == f"/api/documents/{doc_id}/pages/{p['number']}/image"
               for p in doc["pages"])
    assert all(p["width"] > 0 and p["height"] > 0 for p in doc["pages"])
    assert doc["fields"]["people"] == ["Zorvex", "Quilmar"]
    assert doc["fields"]["locations"] == ["Tesmira"]
    assert "tree" not in doc and "content" not in doc["fields"]


def test_entity_offsets_point_at_the_mention_in_the_page_text(client, indexed):
    for name in ("harbour.pdf", "notes.md", "visit.pdf", "roster.txt"):
        doc = get(client, f"/api/documents/{indexed.ids[name]}")
        pages = {p["number"]: p["text"] for p in doc["pages"]}
        assert doc["entities"], name
        for mention in doc["entities"]:
            text = pages[mention["page"]]
            assert text[mention["start"]:mention["end"]] == mention["text"], (name, mention)
    doc = get(client, f"/api/documents/{indexed.ids['harbour.pdf']}")
    where = [(m["key"], m["page"]) for m in doc["entities"]]
    assert where == [("PERSON:zorvex", 1), ("PERSON:quilmar", 1), ("GPE:tesmira", 1),
                     ("ORG:brantis", 1), ("PERSON:zorvex", 2)]
    assert {m["skill"] for m in doc["entities"]} == {"entity_lookup"}


def test_document_images_have_their_urls(client, indexed):
    doc_id = indexed.ids["harbour.pdf"]
    image, = get(client, f"/api/documents/{doc_id}")["images"]
    assert (image["id"], image["page"], image["kind"]) == ("p1-i0", 1, "embedded")
    assert (image["width"], image["height"]) == (200, 150)
    assert image["url"] == f"/api/documents/{doc_id}/images/p1-i0"
    assert image["thumbnail"] == f"/api/documents/{doc_id}/images/p1-i0/thumbnail"
    assert get(client, f"/api/documents/{indexed.ids['notes.md']}")["images"] == []


def test_tree_only_when_asked(client, indexed):
    doc_id = indexed.ids["notes.md"]
    doc = get(client, f"/api/documents/{doc_id}", tree="true")
    assert doc["tree"]["content"] == NOTES_MD
    assert doc["tree"]["pages"][0]["lookup_entities"][0]["text"] == "Olvenko"
    assert "tree" not in get(client, f"/api/documents/{doc_id}", tree="false")


def test_an_unknown_document_is_404(client):
    error = error_of(client.get("/api/documents/" + "0" * 32))
    assert error["code"] == "not_found"


# --- files, images, page renders ---------------------------------------------

@pytest.mark.parametrize("name, media, disposition", [
    ("harbour.pdf", "application/pdf", "inline"),
    ("notes.md", "text/markdown", "inline"),
    ("ledger.csv#row=1", "text/csv", "inline"),
    ("roster.txt", "text/plain", "inline"),
    ("memo.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
     "attachment"),
])
def test_file_is_the_original_bytes(client, indexed, name, media, disposition):
    response = client.get(f"/api/documents/{indexed.ids[name]}/file")
    assert response.status_code == 200
    assert response.content == indexed.source(name).read_bytes()
    assert response.headers["content-type"].split(";")[0] == media
    filename = indexed.source(name).name
    assert response.headers["content-disposition"] == f'{disposition}; filename="{filename}"'


def test_download_makes_any_file_an_attachment(client, indexed):
    response = client.get(f"/api/documents/{indexed.ids['harbour.pdf']}/file",
                          params={"download": "true"})
    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="harbour.pdf"'
    assert response.content == indexed.source("harbour.pdf").read_bytes()


def test_file_of_a_deleted_original_is_gone(client, indexed):
    doc_id = indexed.ids["gone.txt"]
    assert get(client, f"/api/documents/{doc_id}")["uri"] == indexed.uri("gone.txt")
    error = error_of(client.get(f"/api/documents/{doc_id}/file"))
    assert (error["status"], error["code"]) == (410, "file_gone")
    assert names_of(search(client, q="Ephemeral"), indexed) == ["gone.txt"]  # still indexed


def test_image_bytes_decode_to_the_embedded_picture(client, indexed):
    response = client.get(f"/api/documents/{indexed.ids['harbour.pdf']}/images/p1-i0")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(response.content)) as image:
        assert image.format == "JPEG" and image.size == (200, 150)


@pytest.mark.parametrize("size, expected", [(64, (64, 48)), (16, (16, 12)), (256, (200, 150))])
def test_thumbnail_fits_in_size(client, indexed, size, expected):
    response = client.get(f"/api/documents/{indexed.ids['harbour.pdf']}/images/p1-i0/thumbnail",
                          params={"size": size})
    assert response.status_code == 200
    assert response.headers["content-type"] in ("image/jpeg", "image/png")
    with Image.open(io.BytesIO(response.content)) as image:
        assert max(image.size) <= size
        assert image.size == expected  # aspect kept, never enlarged


def test_thumbnail_default_size(client, indexed):
    response = client.get(f"/api/documents/{indexed.ids['harbour.pdf']}/images/p1-i0/thumbnail")
    with Image.open(io.BytesIO(response.content)) as image:
        assert max(image.size) <= 256


def test_an_unknown_image_is_404(client, indexed):
    error = error_of(client.get(f"/api/documents/{indexed.ids['harbour.pdf']}/images/p9-i9"))
    assert error["code"] == "not_found"
    error = error_of(client.get(f"/api/documents/{indexed.ids['notes.md']}/images/p1-i0"))
    assert error["code"] == "not_found"


@pytest.mark.parametrize("number, width", [(1, 300), (2, 100)])
def test_pdf_page_renders_as_png_of_the_width_asked(client, indexed, number, width):
    response = client.get(f"/api/documents/{indexed.ids['harbour.pdf']}/pages/{number}/image",
                          params={"width": width})
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    with Image.open(io.BytesIO(response.content)) as image:
        assert image.format == "PNG" and image.size[0] == width
        assert abs(image.size[1] - width * 297 / 210) <= 1  # A4 portrait


def test_page_one_render_shows_the_picture(client, indexed):
    """Page 1 has the red-disc photo; page 2 is text only: their renders differ in red."""
    def red_pixels(number):
        body = client.get(f"/api/documents/{indexed.ids['harbour.pdf']}/pages/{number}/image",
                          params={"width": 200}).content
        with Image.open(io.BytesIO(body)) as image:
            rgb = image.convert("RGB").tobytes()
        return sum(1 for i in range(0, len(rgb), 3) if rgb[i] > 180 and rgb[i + 1] < 90)
    assert red_pixels(1) > 100 and red_pixels(2) == 0


def test_page_render_of_a_missing_page_or_a_non_pdf_is_404(client, indexed):
    assert error_of(client.get(f"/api/documents/{indexed.ids['harbour.pdf']}/pages/3/image"))[
        "code"] == "not_found"
    for name in ("notes.md", "memo.docx"):
        error = error_of(client.get(f"/api/documents/{indexed.ids[name]}/pages/1/image"))
        assert (error["status"], error["code"]) == (404, "not_found")


# --- graph ---------------------------------------------------------------------

def test_entity_card(client):
    card = get(client, "/api/graph/entity", name="quilmar")
    assert {k: card[k] for k in ("key", "name", "type", "documents", "mentions")} == {
        "key": "PERSON:quilmar", "name": "Quilmar", "type": "PERSON", "documents": 3,
        "mentions": 3}
    assert card["names"] == {"Quilmar": 3}
    assert {"description", "aliases", "acronyms", "labels"} <= set(card)
    by_key = get(client, "/api/graph/entity", name="PERSON:zorvex")
    assert (by_key["documents"], by_key["mentions"]) == (2, 3)


def test_entity_kind_picks_one_of_an_ambiguous_name(client):
    assert get(client, "/api/graph/entity", name="Vantor", kind="ORG")["key"] == "ORG:vantor"
    assert get(client, "/api/graph/entity", name="Vantor", kind="PERSON")["name"] == "Vantor"
    error = error_of(client.get("/api/graph/entity", params={"name": "Vantor"}))
    assert (error["status"], error["code"]) == (400, "ambiguous_entity")
    assert {c["key"] for c in error["details"]["candidates"]} == {"ORG:vantor", "PERSON:vantor"}
    assert "'ORG:vantor'" in error["message"] and "key" in error["message"]
    for url, params in (("/api/graph/neighbors", {"entity": "Vantor"}),
                        ("/api/graph/ego", {"entity": "Vantor"})):
        assert error_of(client.get(url, params=params))["code"] == "ambiguous_entity"
        params["entity"] = "ORG:vantor"  # the key the error offers settles it
        assert client.get(url, params=params).status_code == 200


def test_unknown_entity_suggests_near_names(client):
    error = error_of(client.get("/api/graph/entity", params={"name": "Zorvx"}))
    assert (error["status"], error["code"]) == (404, "entity_not_found")
    assert [s["key"] for s in error["details"]["suggestions"]][:1] == ["PERSON:zorvex"]


def test_neighbors_by_count(client):
    found = get(client, "/api/graph/neighbors", entity="Zorvex")
    assert found["entity"]["key"] == "PERSON:zorvex"
    assert (found["scope"], found["rank"]) == ("document", "count")
    assert [(n["key"], n["count"], n["documents"]) for n in found["neighbors"]] == [
        ("PERSON:quilmar", 2, 2), ("GPE:tesmira", 1, 1), ("ORG:brantis", 1, 1)]  # ties: key
    assert all({"name", "type", "npmi", "llr"} <= set(n) for n in found["neighbors"])


@pytest.mark.parametrize("rank", ["count", "npmi", "llr"])
def test_neighbors_are_ordered_by_the_rank_asked(client, rank):
    found = get(client, "/api/graph/neighbors", entity="Quilmar", rank=rank)
    assert found["rank"] == rank
    values = [n[rank] for n in found["neighbors"]]
    assert values == sorted(values, reverse=True)
    assert {n["key"] for n in found["neighbors"]} == {"PERSON:zorvex", "GPE:tesmira",
                                                      "ORG:brantis", "ORG:olvenko"}


def test_npmi_ranks_a_rare_exclusive_partner_above_a_common_one(client):
    # Zorvex meets Tesmira (2 documents) and Brantis (1 document) once each:
    # tied by count (then key), but Brantis is the stronger association.
    by_count = [n["key"] for n in get(client, "/api/graph/neighbors", entity="Zorvex")[
        "neighbors"]]
    by_npmi = [n["key"] for n in get(client, "/api/graph/neighbors", entity="Zorvex",
                                     rank="npmi")["neighbors"]]
    assert by_count == ["PERSON:quilmar", "GPE:tesmira", "ORG:brantis"]
    assert by_npmi == ["PERSON:quilmar", "ORG:brantis", "GPE:tesmira"]


def test_neighbors_scope_kind_limit_and_min_count(client):
    sentence = get(client, "/api/graph/neighbors", entity="Zorvex", scope="sentence")
    assert sentence["scope"] == "sentence"
    assert {n["key"] for n in sentence["neighbors"]} == {"PERSON:quilmar", "GPE:tesmira"}
    kind = get(client, "/api/graph/neighbors", entity="Zorvex", kind="ORG,GPE")
    assert [n["key"] for n in kind["neighbors"]] == ["GPE:tesmira", "ORG:brantis"]
    assert len(get(client, "/api/graph/neighbors", entity="Zorvex", limit=1)["neighbors"]) == 1
    assert [n["key"] for n in get(client, "/api/graph/neighbors", entity="Zorvex",
                                  min_count=2)["neighbors"]] == ["PERSON:quilmar"]


def test_evidence_lists_the_documents_where_two_entities_meet(client, indexed):
    found = get(client, "/api/graph/evidence", a="Zorvex", b="Quilmar")
    assert (found["a"]["key"], found["b"]["key"]) == ("PERSON:zorvex", "PERSON:quilmar")
    assert found["scopes"]["document"]["count"] == 2
    assert found["scopes"]["document"]["documents"] == 2
    assert found["scopes"]["sentence"]["count"] == 2
    uris = sorted(e["uri"] for e in found["evidence"])
    assert uris == [indexed.uri("again.pdf"), indexed.uri("harbour.pdf")]
    for item in found["evidence"]:
        assert item["pages"] == [1]
        assert any("Zorvex met Quilmar" in s["text"] for s in item["snippets"])
        assert {"title", "images", "sentences"} <= set(item)


def test_evidence_items_are_identified_by_id(client, indexed):
    """API.md: evidence items are {"id", "uri", "title", "pages", "images", ...}."""
    found = get(client, "/api/graph/evidence", a="Zorvex", b="Quilmar")
    by_uri = {indexed.uri(name): doc_id for name, doc_id in indexed.ids.items()}
    for item in found["evidence"]:
        assert item.get("id") == by_uri[item["uri"]], sorted(item)


def test_evidence_of_one_entity_with_itself_is_refused(client):
    error = error_of(client.get("/api/graph/evidence", params={"a": "Zorvex", "b": "zorvex"}))
    assert (error["status"], error["code"]) == (400, "invalid_parameter")


def edges_are_among_nodes(graph: dict) -> set[str]:
    nodes = {n["id"] for n in graph["nodes"]}
    assert len(nodes) == len(graph["nodes"])  # no node twice
    for edge in graph["edges"]:
        assert edge["source"] in nodes and edge["target"] in nodes, edge
        assert edge["source"] != edge["target"]
    pairs = [frozenset((e["source"], e["target"])) for e in graph["edges"]]
    assert len(pairs) == len(set(pairs))
    return nodes


def test_ego_graph(client):
    ego = get(client, "/api/graph/ego", entity="Zorvex")
    assert ego["center"] == "PERSON:zorvex" and ego["scope"] == "document"
    nodes = edges_are_among_nodes(ego)
    assert nodes == {"PERSON:zorvex", "PERSON:quilmar", "GPE:tesmira", "ORG:brantis"}
    edges = {frozenset((e["source"], e["target"])): e for e in ego["edges"]}
    assert len(edges) == 6  # the four all met in harbour.pdf
    assert edges[frozenset(("PERSON:zorvex", "PERSON:quilmar"))]["count"] == 2
    zorvex = next(n for n in ego["nodes"] if n["id"] == "PERSON:zorvex")
    assert (zorvex["name"], zorvex["type"], zorvex["documents"], zorvex["mentions"]) == (
        "Zorvex", "PERSON", 2, 3)


def test_ego_graph_radius_two_reaches_neighbours_of_neighbours(client):
    ego = get(client, "/api/graph/ego", entity="Zorvex", radius=2, limit=14)
    nodes = edges_are_among_nodes(ego)
    assert nodes == {"PERSON:zorvex", "PERSON:quilmar", "GPE:tesmira", "ORG:brantis",
                     "ORG:olvenko"}
    assert edges_are_among_nodes(get(client, "/api/graph/ego", entity="Zorvex", limit=1)) == {
        "PERSON:zorvex", "PERSON:quilmar"}


def test_graph_of_a_search(client):
    found = get(client, "/api/graph/search", q="lighthouse")
    assert found["matches"] == 3 and found["count"] == 3
    nodes = edges_are_among_nodes(found)
    assert nodes == {"PERSON:zorvex", "PERSON:quilmar", "PERSON:vantor", "PERSON:ulvane"}
    assert all(1 <= n["hits"] <= found["matches"] for n in found["nodes"])
    assert all(1 <= e["hits"] <= found["matches"] for e in found["edges"])
    edge, = found["edges"]
    assert {edge["source"], edge["target"]} == {"PERSON:zorvex", "PERSON:quilmar"}
    assert edge["count"] == 2  # corpus-wide, not only in the matches (hits: 1)
    assert edge["hits"] == 1


def test_graph_of_a_search_narrowed_by_a_filter(client):
    everything = get(client, "/api/graph/search", limit=200)
    assert everything["matches"] == len(ALL)
    narrowed = get(client, "/api/graph/search", q="lighthouse", filter="people:Zorvex")
    assert narrowed["matches"] == 1
    assert {n["id"] for n in narrowed["nodes"]} == {"PERSON:zorvex", "PERSON:quilmar"}
    assert all(n["hits"] == 1 for n in narrowed["nodes"])
    kind = get(client, "/api/graph/search", kind="GPE")
    assert [n["id"] for n in kind["nodes"]] == ["GPE:tesmira"]
    assert len(get(client, "/api/graph/search", limit=2)["nodes"]) == 2


# --- status, runs, health, metrics, openapi ------------------------------------

def test_status_counts_are_the_stores(client, indexed):
    status = get(client, "/api/status")
    with SqliteStore(indexed.data / "enrich.sqlite", read_only=True) as store:
        stats = store.stats()
    assert status["stats"] == stats
    assert status["stats"]["documents"] == len(ALL) and status["stats"]["images"] == 1
    assert status["graph"]["entities"] == 9 + len(CREW)
    assert [run["id"] for run in status["runs"]] == [indexed.run_id]


def test_runs_list_and_one_run_with_its_failed_document(client, indexed):
    runs = get(client, "/api/runs")["runs"]
    assert [run["id"] for run in runs] == [indexed.run_id]
    run = runs[0]
    assert {"source", "started_at", "finished_at", "status", "summary"} <= set(run)
    assert run["source"] == indexed.docs.as_uri() and run["errors"] == 1
    one = get(client, f"/api/runs/{indexed.run_id}")
    assert one["id"] == indexed.run_id
    error, = one["errors"]
    assert error["uri"] == indexed.uri("broken.pdf")
    assert error["severity"] == "error" and error["stage"] and error["message"]
    assert error["at"]


def test_an_unknown_run_is_404(client):
    error = error_of(client.get("/api/runs/20000101T000000-abcdef"))
    assert (error["status"], error["code"]) == (404, "not_found")


def test_health(client):
    assert get(client, "/api/health") == {"status": "ok", "documents": len(ALL),
                                           "index_documents": len(ALL)}


def test_metrics_count_requests_by_route(client, indexed):
    client.get("/api/search", params={"q": "lighthouse"})
    client.get(f"/api/documents/{indexed.ids['notes.md']}")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    search_line = re.search(r'^enrich_http_requests_total\{route="/api/search",method="GET",'
                            r'status="200"\} (\d+)$', text, re.MULTILINE)
    assert search_line and int(search_line.group(1)) >= 1
    assert 'route="/api/documents/{doc_id}"' in text  # the template, not the id
    assert indexed.ids["notes.md"] not in text
    assert re.search(r'^enrich_http_request_duration_seconds_bucket\{route="/api/search",'
                     r'le="\+Inf"\} \d+$', text, re.MULTILINE)
    assert re.search(rf"^enrich_documents {len(ALL)}$", text, re.MULTILINE)
    for gauge in ("enrich_entities", "enrich_edges", "enrich_index_pending", "enrich_runs"):
        assert re.search(rf"^{gauge} \d+$", text, re.MULTILINE), gauge


def test_metrics_counts_grow_with_requests(indexed):
    with TestClient(create_app(indexed.data)) as fresh:
        for _ in range(3):
            fresh.get("/api/search", params={"q": "quixotic"})
        fresh.get("/api/nowhere")
        text = fresh.get("/metrics").text
    assert 'enrich_http_requests_total{route="/api/search",method="GET",status="200"} 3' in text
    assert 'enrich_http_requests_total{route="unmatched",method="GET",status="404"} 1' in text


def test_openapi_lists_the_endpoints(client):
    spec = get(client, "/api/openapi.json")
    paths = set(spec["paths"])
    assert paths >= {"/api/search", "/api/suggest", "/api/documents/{doc_id}",
                     "/api/documents/{doc_id}/file", "/api/documents/{doc_id}/images/{image_id}",
                     "/api/documents/{doc_id}/images/{image_id}/thumbnail",
                     "/api/documents/{doc_id}/pages/{number}/image", "/api/graph/entity",
                     "/api/graph/neighbors", "/api/graph/evidence", "/api/graph/ego",
                     "/api/graph/search", "/api/status", "/api/runs", "/api/runs/{run_id}",
                     "/api/health", "/api/auth", "/api/login", "/api/logout", "/metrics"}
    assert "get" in spec["paths"]["/api/search"] and "post" in spec["paths"]["/api/login"]


def test_the_web_page_is_served(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")


# --- a data directory that changes under the server ---------------------------

@pytest.fixture
def live(tmp_path, monkeypatch):
    """An empty data directory, a folder to index into it, and a client over it."""
    import enrich.server.corpus
    monkeypatch.setattr(enrich.server.corpus, "REFRESH_SECONDS", 0)
    folder, data = tmp_path / "docs", tmp_path / "data"
    folder.mkdir()
    dictionary = write_dictionary(tmp_path / "names.csv")
    with TestClient(create_app(data)) as client:
        yield folder, data, dictionary, client


def test_nothing_indexed_is_503_then_an_index_run_makes_it_searchable(live):
    folder, data, dictionary, client = live
    for url in ("/api/search", "/api/health", "/api/status", "/api/graph/entity?name=Zorvex",
                "/api/documents/" + "0" * 32):
        error = error_of(client.get(url))
        assert (error["status"], error["code"]) == (503, "no_index"), url
        assert "enrich index" in error["message"]
    assert client.get("/metrics").status_code == 200  # request metrics only
    (folder / "first.md").write_text("Zorvex sailed past the breakwater.\n")
    assert index(folder, data, dictionary).documents["indexed"] == 1
    assert search(client, q="breakwater")["count"] == 1
    assert get(client, "/api/health")["documents"] == 1


def test_an_index_run_while_the_server_is_open_becomes_visible(live):
    folder, data, dictionary, client = live
    (folder / "first.md").write_text("Zorvex sailed past the breakwater.\n")
    index(folder, data, dictionary)
    assert search(client, q="breakwater")["count"] == 1
    assert search(client, q="marmalade")["count"] == 0  # the reader is open now
    factories.text_pdf(folder / "second.pdf", ["Quilmar spread marmalade on toast."])
    assert index(folder, data, dictionary).documents["indexed"] == 1
    found = search(client, q="marmalade")
    assert [hit["uri"] for hit in found["results"]] == [(folder / "second.pdf").as_uri()]
    assert search(client, q="*")["count"] == 2
    assert get(client, "/api/health") == {"status": "ok", "documents": 2, "index_documents": 2}
    assert get(client, "/api/graph/entity", name="Quilmar")["documents"] == 1
    assert get(client, "/api/suggest", q="quil")["suggestions"][0]["key"] == "PERSON:quilmar"
    assert len(get(client, "/api/runs")["runs"]) == 2


@pytest.mark.parametrize("q", ["title:*", "content:*", "id:*", "IN:*", "lighthouse AND title:*"])
def test_queries_that_parse_but_cannot_run_are_400_not_500(client, q):
    for url in ("/api/search", "/api/graph/search"):
        error = error_of(client.get(url, params={"q": q}))
        assert (error["status"], error["code"]) == (400, "bad_query"), (url, q)
        assert q[error["details"]["position"]:].endswith(":*"), (q, error)


def test_a_store_being_created_answers_503_on_every_route(tmp_path):
    (tmp_path / "enrich.sqlite").write_bytes(b"")  # a first run has only just created it
    with TestClient(create_app(tmp_path)) as fresh:
        for url in ("/api/search", "/api/suggest?q=a", "/api/graph/entity?name=a",
                    "/api/graph/ego?entity=a", "/api/status", "/api/health"):
            error = error_of(fresh.get(url))
            assert (error["status"], error["code"]) == (503, "no_index"), url


def test_a_search_index_rebuilt_under_the_server_is_reopened(indexed, tmp_path, monkeypatch):
    import shutil
    from enrich.server import corpus
    monkeypatch.setattr(corpus, "REFRESH_SECONDS", 0)
    data = tmp_path / "data"
    shutil.copytree(indexed.data, data)
    with TestClient(create_app(data)) as mine:
        before = mine.get("/api/search").json()["count"]
        shutil.rmtree(data / "index")  # removed under the server (a rebuild by hand, say)
        assert error_of(mine.get("/api/search"))["code"] == "no_index"
        shutil.copytree(indexed.data / "index", data / "index")
        assert mine.get("/api/search").json()["count"] == before
