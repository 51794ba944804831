"""One small indexed corpus shared by the HTTP API tests, and clients over it.

The corpus is indexed once per session, in process (``workers=0``), with a skillset
free of image models: language, n-grams, key phrases and a dictionary of invented
names (``entity_lookup``), so which entity is in which document is fixed by
construction and every count below is exact:

==============  ===========================================================
harbour.pdf     2 pages and an embedded photo (page 1): Zorvex, Quilmar,
                Tesmira, Brantis (page 1); Zorvex (page 2); "quixotic"
again.pdf       Zorvex, Quilmar; "lighthouse"
visit.pdf       Quilmar, Olvenko, Tesmira
notes.md        Olvenko, Korblat, and a literal ``<script>alert(1)</script>``
ledger.csv      two rows, two documents: Vantor Inc (ORG) + Korblat; Ulvane
memo.docx       Vantor (PERSON); "lighthouse"
roster.txt      the twelve ``CREW`` people (more than a result's 10-value cap)
gone.txt        Ulvane; "lighthouse"; deleted after indexing (410 file_gone)
broken.pdf      not a PDF at all: the run's one failed document
==============  ===========================================================

"Vantor" names two entities (``PERSON:vantor`` and ``ORG:vantor``, from "Vantor
Inc"), so it is ambiguous.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from enrich.indexer import IndexOptions, run_index
from enrich.server import create_app
from enrich.testing import factories

API_KEY = "test-key-0123456789abcdef"
# The API tests send many wrong keys from one address on purpose; the limit on failed
# sign-ins has tests of its own (test_sign_in_limits.py). Servers the browser tests
# start inherit it.
os.environ["ENRICH_AUTH_FAILURES"] = "100000/minute"

CREW = ["Abrel Nox", "Brinta Sol", "Cosmo Vell", "Dara Quen", "Emrik Tal", "Fenna Roos",
        "Gilo Pask", "Hessa Lind", "Ivo Marrk", "Jorra Feld", "Kesti Bram", "Lume Odar"]
NAMES = {"Zorvex": "PERSON", "Quilmar": "PERSON", "Ulvane": "PERSON", "Vantor": "PERSON",
         "Vantor Inc": "ORG", "Tesmira": "GPE", "Brantis": "ORG", "Olvenko": "ORG",
         "Korblat": "PRODUCT", **dict.fromkeys(CREW, "PERSON")}

HARBOUR_PAGES = ["Zorvex met Quilmar in Tesmira. Brantis paid for lunch.",
                 "The quixotic harbour pilot waved at Zorvex."]
NOTES_MD = ("# Field notes\n\nOlvenko sold Korblat to everyone. <script>alert(1)</script> "
            "Korblat again.\n")


def skillset(dictionary: Path) -> dict:
    return {"name": "server-tests",
            "skills": [{"skill": "language"}, {"skill": "ngrams"}, {"skill": "keyphrases"},
                       {"skill": "entity_lookup", "params": {"dictionary": str(dictionary)}}],
            "fields": {"language": "/document/language",
                       "keyphrases": "/document/keyphrases/*/text"},
            "entities": ["/document/pages/*/lookup_entities"],
            # the corpus type vote would make "Vantor" (PERSON) and "Vantor Inc" (ORG) one
            # entity; these tests need a name that names two
            "resolution": {"type_vote": False}}


def write_dictionary(path: Path) -> Path:
    path.write_text("name,type\n" + "".join(f"{n},{t}\n" for n, t in NAMES.items()))
    return path


def index(folder: Path, data: Path, dictionary: Path):
    return run_index(str(folder), IndexOptions(data_dir=data, skillset=skillset(dictionary),
                                               workers=0))


@dataclass
class Indexed:
    """The session's corpus: where it is, and what the run that indexed it said."""

    docs: Path
    data: Path
    dictionary: Path
    ids: dict[str, str]       # file name (CSV rows: "ledger.csv#row=N") -> document id
    run_id: str
    summary: dict

    def uri(self, name: str) -> str:
        return (self.docs / name).as_uri()

    def source(self, name: str) -> Path:
        return self.docs / name.split("#", 1)[0]


def build_corpus(root: Path) -> Indexed:
    docs = root / "docs"
    docs.mkdir()
    factories.text_pdf(docs / "harbour.pdf", HARBOUR_PAGES, image=True)
    factories.text_pdf(docs / "again.pdf", ["Zorvex met Quilmar again near the lighthouse."])
    factories.text_pdf(docs / "visit.pdf", ["Quilmar visited Olvenko in Tesmira."])
    (docs / "notes.md").write_text(NOTES_MD)
    factories.csv_file(docs / "ledger.csv", [("buyer", "item"), ("Vantor Inc", "Korblat"),
                                            ("Ulvane", "lanterns")])
    factories.docx(docs / "memo.docx", ["Vantor wrote a memo about the lighthouse."])
    (docs / "roster.txt").write_text("The night crew: " + ", ".join(CREW) + ".\n")
    (docs / "gone.txt").write_text("Ephemeral text naming Ulvane near a lighthouse.\n")
    (docs / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    dictionary = write_dictionary(root / "names.csv")
    summary = index(docs, root / "data", dictionary)
    assert summary.documents["failed"] == 1, summary.errors  # broken.pdf only
    assert summary.documents["indexed"] == 9, summary.documents
    (docs / "gone.txt").unlink()  # still in the index; its original is gone

    with closing(sqlite3.connect(root / "data" / "enrich.sqlite")) as db:
        ids = {uri.rsplit("/", 1)[1]: doc_id
               for doc_id, uri in db.execute("SELECT id, uri FROM documents")}
    return Indexed(docs=docs, data=root / "data", dictionary=dictionary, ids=ids,
                   run_id=summary.run_id, summary=summary.to_dict())


@pytest.fixture(scope="session")
def indexed(tmp_path_factory) -> Indexed:
    """The corpus above, indexed once per test session."""
    return build_corpus(tmp_path_factory.mktemp("server-corpus"))


@pytest.fixture(scope="session")
def client(indexed):
    """A client of the app over the corpus, without an API key."""
    with TestClient(create_app(indexed.data)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def keyed_app(indexed):
    """An app over the corpus that requires ``API_KEY``."""
    return create_app(indexed.data, api_key=API_KEY)


@pytest.fixture
def keyed(keyed_app):
    """A fresh client (no cookies) of the keyed app."""
    with TestClient(keyed_app) as test_client:
        yield test_client


def error_of(response) -> dict:
    """The ``error`` object of an error answer, after checking the one shape of errors."""
    assert response.headers["content-type"].split(";")[0] == "application/json", \
        response.headers["content-type"]
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"status", "code", "message", "details"}, error
    assert error["status"] == response.status_code, (error, response.status_code)
    assert isinstance(error["code"], str) and error["code"], error
    assert isinstance(error["message"], str) and error["message"].strip(), error
    assert isinstance(error["details"], dict), error
    return error
