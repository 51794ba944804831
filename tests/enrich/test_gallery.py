"""A photo recognised from the reference gallery is linked in the graph to a name in
the text of the same page; an unrelated photo is answered "unknown"."""

import io
import sqlite3
import textwrap

import pytest
from fpdf import FPDF

from enrich.indexer import IndexOptions, run_index
from enrich.records import document_id
from enrich.searching import search
from indexers.stores import SqliteStore
from tests.skills.test_labels import NIKE, green_gradient, make_gallery, picture

pytestmark = pytest.mark.slow


def page_with_photo(path, text, image):
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    pdf = FPDF(unit="pt", format="letter")
    pdf.add_page()
    pdf.set_font("helvetica", size=14)
    pdf.multi_cell(0, 20, text)
    pdf.image(buf, x=72, y=200, w=144, h=144)
    pdf.output(str(path))


@pytest.fixture
def indexed(tmp_path, clip_dir, monkeypatch):
    monkeypatch.setenv("ENRICH_CACHE", str(tmp_path / "cache"))
    docs = tmp_path / "docs"
    docs.mkdir()
    page_with_photo(docs / "game.pdf", "LeBron James scored 30 points in Cleveland.",
                    picture(*NIKE, seed=101))
    page_with_photo(docs / "warmup.pdf", "Stephen Curry warmed up in San Francisco.",
                    green_gradient())
    skillset = tmp_path / "skillset.yaml"
    skillset.write_text(textwrap.dedent(f"""
        skills:
          - skill: labels
            params: {{model: {clip_dir}, gallery: {make_gallery(tmp_path / "gallery")}}}
          - merge
          - join
          - skill: entities
            inputs: {{text: /document/pages/*/merged_text}}
        entities: [/document/pages/*/entities, /document/images/*/labels]
    """))
    data = tmp_path / "data"
    summary = run_index(str(docs), IndexOptions(data_dir=data, workers=0, skillset=skillset))
    assert summary.status == "ok" and summary.skills["labels"]["disabled"] is None
    return docs, data


def test_a_recognised_label_links_to_a_name_on_the_same_page(indexed):
    docs, data = indexed
    with sqlite3.connect(data / "enrich.sqlite") as db:
        edges = dict(((s, a, b), n) for s, a, b, n in db.execute("SELECT scope, a, b, count FROM edges"))
        mention = db.execute("SELECT page, image_id, skill FROM mentions "
                             "WHERE entity_key = 'BRAND:nike'").fetchall()
    assert edges[("page", "BRAND:nike", "PERSON:lebron james")] == 1
    assert edges[("document", "BRAND:nike", "PERSON:lebron james")] == 1
    assert mention == [(1, "p1-i0", "labels")]
    hits = search(data, "*", filters={"labels": ["Nike"]})
    assert [h["uri"].rsplit("/", 1)[-1] for h in hits.results] == ["game.pdf"]
    assert search(data, "Nike").count == 1  # the label is in the searchable page text


def test_an_unrelated_photo_is_unknown(indexed):
    docs, data = indexed
    with SqliteStore(data / "enrich.sqlite") as store:
        doc = store.get_document(document_id((docs / "warmup.pdf").as_uri()))
    image, = doc["tree"]["images"]
    assert image["labels"] == [] and image["recognition"]["label"] == "unknown"
    assert not [m for m in doc["entities"] if m.get("image")]
