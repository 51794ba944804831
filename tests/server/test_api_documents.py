"""The JSON API of `enrich serve`, in process, over the corpus of conftest.py: documents, originals, images and page renders.

Every expected value is worked out from how the corpus was built (which names are
in which file), not read back from the server.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.server.api_helpers import get, search, names_of
from tests.server.conftest import HARBOUR_PAGES, NOTES_MD, error_of


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
