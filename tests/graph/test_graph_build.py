"""The graph an index run builds, against a corpus whose co-occurrences are known.

Names come from a dictionary (the ``entity_lookup`` skill), so which entity sits
in which sentence, page and document is fixed by construction; the expected
counts are worked out here independently of ``graph.cooccurrence``.
"""

from __future__ import annotations

import random
import sqlite3
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path

import pytest

from enrich.indexer import IndexOptions, run_index
from indexers.stores import DataDir, SqliteStore
from indexers.stores.sqlite_migrate import rebuild_graph
from tests.indexers.test_store_contract import entity
from enrich.testing.factories import text_pdf

NAMES = {"Zorvex": "PERSON", "Quilmar": "PERSON", "Brantis": "ORG", "Olvenko": "ORG",
         "Tesmira": "GPE", "Korblat": "PRODUCT", "Ulvane": "PERSON"}
OPENERS = ("Today", "Later", "Then", "Meanwhile", "After lunch")

Corpus = dict[str, list[list[list[str]]]]  # file name -> pages -> sentences -> names


def key(name: str) -> str:
    return f"{NAMES[name]}:{name.lower()}"


def make_corpus(rng: random.Random, documents: int) -> Corpus:
    corpus: Corpus = {}
    for n in range(documents):
        corpus[f"doc{n:02}.pdf"] = [
            [rng.sample(sorted(NAMES), rng.choice((0, 1, 2, 2, 3))) for _ in range(rng.randint(1, 3))]
            for _ in range(rng.randint(1, 3))]
    return corpus


def sentence(names: list[str], rng: random.Random) -> str:
    who = " met ".join(names) if names else "nobody came"
    return f"{rng.choice(OPENERS)} {who} at the harbour."


def write(folder: Path, corpus: Corpus, seed: int = 0) -> None:
    rng = random.Random(seed)
    for name, pages in corpus.items():
        text_pdf(folder / name, [" ".join(sentence(s, rng) for s in page) for page in pages])


def expected_edges(corpus: Corpus) -> dict[tuple[str, str, str], tuple[int, int]]:
    """``(scope, a, b) -> (count, documents)`` worked out from the construction."""
    totals: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for pages in corpus.values():
        units = {"document": [{n for page in pages for s in page for n in s}],
                 "page": [{n for s in page for n in s} for page in pages],
                 "sentence": [set(s) for page in pages for s in page]}
        for scope, sets in units.items():
            pairs = Counter(pair for names in sets
                            for pair in combinations(sorted(key(n) for n in names), 2))
            for (a, b), count in pairs.items():
                totals[scope, a, b][0] += count
                totals[scope, a, b][1] += 1
    return {k: (count, docs) for k, (count, docs) in totals.items()}


def expected_units(corpus: Corpus) -> dict[str, int]:
    sentences = [s for pages in corpus.values() for page in pages for s in page]
    return {"document": sum(any(s for page in pages for s in page) for pages in corpus.values()),
            "page": sum(any(page) for pages in corpus.values() for page in pages),
            "sentence": sum(bool(s) for s in sentences)}


@pytest.fixture
def dictionary(tmp_path: Path) -> Path:
    path = tmp_path / "names.csv"
    path.write_text("name,type\n" + "".join(f"{n},{t}\n" for n, t in NAMES.items()))
    return path


def index(folder: Path, data: Path, dictionary: Path) -> None:
    skillset = {"name": "graph-fixture",
                "skills": [{"skill": "entity_lookup", "params": {"dictionary": str(dictionary)}}],
                "entities": ["/document/pages/*/lookup_entities"]}
    summary = run_index(str(folder), IndexOptions(data_dir=data, skillset=skillset, workers=1))
    assert summary.documents["failed"] == 0, summary.errors


def stored(data: Path) -> tuple[dict, dict]:
    db = sqlite3.connect(DataDir(data).store)
    edges = {(s, a, b): (c, d) for s, a, b, c, d in db.execute("SELECT * FROM edges")}
    return edges, dict(db.execute("SELECT scope, units FROM graph_units"))


@pytest.mark.slow
def test_counts_and_document_frequencies_are_exact_at_every_scope(tmp_path, dictionary):
    corpus = make_corpus(random.Random(3), 14)
    folder, data = tmp_path / "corpus", tmp_path / "data"
    folder.mkdir()
    write(folder, corpus)
    index(folder, data, dictionary)
    edges, units = stored(data)
    assert edges == expected_edges(corpus)
    assert units == expected_units(corpus)
    assert {s for s, _, _ in edges} == {"document", "page", "sentence"}

    # Delete one document and change another: exactly their contributions move.
    gone, changed = sorted(corpus)[:2]
    (folder / gone).unlink()
    del corpus[gone]
    corpus[changed] = [[["Zorvex", "Korblat"], ["Ulvane", "Zorvex", "Brantis"]], [["Korblat"]]]
    write(folder, {changed: corpus[changed]}, seed=9)
    index(folder, data, dictionary)
    edges, units = stored(data)
    assert edges == expected_edges(corpus)
    assert units == expected_units(corpus)
    db = sqlite3.connect(DataDir(data).store)
    with db:
        rebuild_graph(db)  # the reference: every aggregate summed from scratch
    db.close()
    assert stored(data) == (edges, units)


@pytest.mark.slow
def test_aliases_short_forms_and_acronyms_merge_across_documents(tmp_path):
    """spaCy finds the names; normalisation and the store's aliases join them."""
    folder, data = tmp_path / "corpus", tmp_path / "data"
    folder.mkdir()
    text_pdf(folder / "a.pdf", ["The Federal Bureau of Investigation (FBI) opened a file on "
                                "LeBron James in Akron. Agents said James played for the "
                                "Cleveland Cavaliers."])
    text_pdf(folder / "b.pdf", ["The FBI closed the file on LeBron James last year."])
    text_pdf(folder / "c.pdf", ["Reporters asked the F.B.I. about Nike."])
    skillset = {"name": "ner", "skills": [{"skill": "entities"}],
                "entities": ["/document/pages/*/entities"]}
    run_index(str(folder), IndexOptions(data_dir=data, skillset=skillset, workers=1))
    with SqliteStore(DataDir(data).store, read_only=True) as store:
        fbi = entity(store, "ORG:federal bureau of investigation")
        assert (fbi["documents"], fbi["name"]) == (3, "Federal Bureau of Investigation")
        assert fbi["names"] == {"Federal Bureau of Investigation": 1, "FBI": 1, "F.B.I.": 1}
        assert entity(store, "ORG:fbi") is None
        lebron = entity(store, "PERSON:lebron james")
        assert (lebron["documents"], lebron["mentions"]) == (2, 3)  # "James" joined it
        assert entity(store, "PERSON:james") is None
        db = sqlite3.connect(store.path)
        assert sorted(db.execute("SELECT DISTINCT text FROM mentions WHERE entity_key = "
                                 "'ORG:federal bureau of investigation'")) == [
            ("F.B.I.",), ("FBI",), ("The Federal Bureau of Investigation (FBI",)]
        assert db.execute("SELECT count FROM edges WHERE scope = 'document' AND a = "
                          "'ORG:federal bureau of investigation' AND b = 'ORG:nike'"
                          ).fetchall() == [(1,)]
        (folder / "a.pdf").unlink()  # the definition goes: FBI stands for itself again
    run_index(str(folder), IndexOptions(data_dir=data, skillset=skillset, workers=1))
    with SqliteStore(DataDir(data).store, read_only=True) as store:
        assert entity(store, "ORG:federal bureau of investigation") is None
        # spaCy called "F.B.I." a place in c.pdf: without the alias, the corpus type
        # vote (one ORG, one GPE: the tie goes to ORG) still makes it one entity
        assert entity(store, "ORG:fbi")["documents"] == 2
        assert entity(store, "GPE:fbi") is None
