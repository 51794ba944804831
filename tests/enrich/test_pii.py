"""PII end to end: `enrich index` with the pii skill, then search, the store, the API."""

import json
import sqlite3

import pytest
import yaml
from fastapi.testclient import TestClient
from indexers.stores import DataDir
from typer.testing import CliRunner

from enrich.cache import FILE_NAME, EnrichmentCache
from enrich.cli.app import app
from enrich.server import create_app
from enrich.testing.pii_factories import pii_email, pii_skillset, pii_values, write_letters

pytest.importorskip("presidio_analyzer")
pytestmark = pytest.mark.slow

runner = CliRunner()
KINDS = ("ssn", "card", "iban", "phone", "email", "ipv4", "ipv6")
TYPES = ["CREDIT_CARD", "EMAIL_ADDRESS", "IBAN_CODE", "IP_ADDRESS", "PHONE_NUMBER", "US_SSN"]


def _index(root, semantic=False, **params):
    docs, data = root / "docs", root / "data"
    values = write_letters(docs, 2)
    skillset = root / "pii.yaml"
    skillset.write_text(yaml.safe_dump(pii_skillset(semantic=semantic, **params)))
    result = runner.invoke(app, ["index", str(docs), "--data", str(data), "--workers", "0",
                                 "--skillset", str(skillset), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["documents"]["indexed"] == 2
    return data, values


def _cached_entries(data):
    """The enrichment cache's entries (none when the run made no cache)."""
    folder = DataDir(data).cache
    if not (folder / FILE_NAME).exists():
        return 0
    with EnrichmentCache.open(folder) as cache:
        return cache.stats()["entries"]


def _search(data, query, *args):
    result = runner.invoke(app, ["search", query, "--data", str(data), "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _store_texts(data):
    """Every text value of every table of the store."""
    with sqlite3.connect(data / "enrich.sqlite") as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in db.execute(f"SELECT * FROM {table}"):
                yield from (v for v in row if isinstance(v, str))


def _tree(data, name):
    with sqlite3.connect(data / "enrich.sqlite") as db:
        tree, content = db.execute("SELECT tree, content FROM documents WHERE uri LIKE ?",
                                   (f"%{name}",)).fetchone()
    return json.loads(tree), content


@pytest.fixture(scope="module")
def redacted(tmp_path_factory):
    return _index(tmp_path_factory.mktemp("pii-redacted"), semantic=True)


@pytest.fixture(scope="module")
def kept(tmp_path_factory):
    return _index(tmp_path_factory.mktemp("pii-kept"), keep_original=True)


def test_full_text_search_finds_no_personal_data(redacted):
    data, values = redacted
    for v in values:
        for kind in KINDS:
            assert _search(data, f'"{v[kind]}"', "--mode", "keyword")["count"] == 0, kind
    found = _search(data, "refund", "--mode", "keyword")
    assert found["count"] == 2
    assert "[US_SSN]" in " ".join(found["results"][0]["highlights"])


def test_chunks_for_semantic_search_are_redacted(redacted):
    data, values = redacted
    hits = _search(data, "social security number and card", "--mode", "vector")["results"]
    assert len(hits) == 2
    for hit in hits:
        assert "[US_SSN]" in hit["chunk"]["text"]
        assert not any(v[k] in hit["chunk"]["text"] for v in values for k in KINDS)


def test_the_store_holds_no_original_by_default(redacted):
    data, values = redacted
    texts = list(_store_texts(data))
    for v in values:
        for kind in KINDS:
            assert not any(v[kind] in text for text in texts), kind
    tree, content = _tree(data, "letter0.txt")
    assert "[US_SSN]" in content and "[US_SSN]" in tree["content"]
    assert _cached_entries(data) == 0  # the enrichment cache would keep the originals
    assert {f["type"] for f in tree["pages"][0]["pii"]} >= set(TYPES)


def test_keep_original_keeps_it_in_the_store_only(kept):
    data, values = kept
    assert _search(data, f'"{values[0]["ssn"]}"', "--mode", "keyword")["count"] == 0
    tree, content = _tree(data, "letter0.txt")
    assert values[0]["ssn"] in tree["content"] and values[0]["ssn"] not in content
    assert "[US_SSN]" in content
    assert _cached_entries(data) > 0  # kept: the cache may keep it too


def test_pii_types_facet_counts_documents(redacted):
    data, _ = redacted
    facets = _search(data, "refund", "--mode", "keyword", "--facet", "pii_types")["facets"]
    assert facets["pii_types"] == [{"value": t, "count": 2} for t in TYPES]
    only = _search(data, "", "--mode", "keyword", "--filter", "pii_types=US_SSN")
    assert only["count"] == 2


def test_http_api_facets(redacted):
    data, _ = redacted
    with TestClient(create_app(data)) as client:
        body = client.get("/api/search", params={"q": "refund", "facet": "pii_types"}).json()
    assert {"value": "US_SSN", "count": 2} in body["facets"]["pii_types"]


def _mentions(data):
    with sqlite3.connect(data / "enrich.sqlite") as db:
        return db.execute("SELECT label, text FROM mentions").fetchall()


def test_pii_is_no_entity_unless_asked(tmp_path):
    data, values = _index(tmp_path / "detect", mode="detect")
    mentions = _mentions(data)
    assert ("PERSON", "Anna Schmidt") in mentions
    labels = {label for label, _ in mentions}
    assert not labels & set(TYPES)
    assert not any(v[k] in text for v in values for k in KINDS for _, text in mentions)
    # detect mode leaves the text as it is
    assert _search(data, f'"{values[0]["ssn"]}"', "--mode", "keyword")["count"] == 1
    asked, values = _index(tmp_path / "asked", mode="detect", as_entities=True)
    found = set(_mentions(asked))
    assert ("US_SSN", values[0]["ssn"]) in found and ("EMAIL_ADDRESS", values[1]["email"]) in found


def test_an_email_subject_is_redacted_by_a_header_instance(tmp_path):
    values = pii_values(9)
    docs = tmp_path / "mail"
    docs.mkdir()
    (docs / "form.eml").write_bytes(pii_email(values))
    skillset = tmp_path / "pii.yaml"
    skillset.write_text(yaml.safe_dump(pii_skillset(headers=True)))
    result = runner.invoke(app, ["index", str(docs), "--data", str(tmp_path / "data"),
                                 "--workers", "0", "--skillset", str(skillset), "--no-cache"])
    assert result.exit_code == 0, result.output
    data = tmp_path / "data"
    assert _search(data, f'"{values["ssn"]}"', "--mode", "keyword")["count"] == 0
    hit = _search(data, "refund", "--mode", "keyword")["results"][0]
    assert hit["title"] == "SSN [US_SSN] for the form"
    texts = list(_store_texts(data))
    assert not any(values[k] in text for k in KINDS for text in texts)
