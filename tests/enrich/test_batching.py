"""How work is cut into batches, and that the result never depends on it: the same
corpus indexed one document at a time in this process and in batches over two worker
processes gives the same store (documents, entities, mentions, edges, terms)."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest

from enrich.indexer import IndexOptions, batch_size, run_index
from enrich.testing import factories
from indexers.stores import DataDir

SKILLSET = {"name": "text", "entities": ["/document/pages/*/entities"],
            "fields": {"language": "/document/language",
                       "keyphrases": "/document/keyphrases/*/text"},
            "skills": [{"skill": "language"}, {"skill": "ngrams"}, {"skill": "keyphrases"},
                       {"skill": "entities"}]}
PAGES = [
    "Marta Quell of the Harbor Trust met Ivo Brandt in Lisbon on Monday.",
    "Ivo Brandt later wrote to the Harbor Trust from Porto about the ferry contract.",
    "The ferry contract was signed by Marta Quell and the Northwind Line in Lisbon.",
]


@pytest.mark.parametrize(("items", "workers", "cap", "size"), [
    (10, 2, 16, 2),       # few large documents: every worker gets several batches
    (1, 2, 16, 1),
    (1000, 2, 16, 16),    # many: the cap
    (30, 3, 16, 3),
    (0, 2, 16, 1),
    (30, 1, 16, 16),      # one worker or none: nothing to balance
    (5, 0, 16, 16),
])
def test_few_items_come_in_small_batches(items, workers, cap, size):
    assert batch_size(items, IndexOptions(workers=workers, batch_size=cap)) == size


def _rows(data_dir) -> dict[str, list[tuple]]:
    queries = {
        "documents": "SELECT uri, title, status FROM documents",
        "entities": "SELECT key, type, name, documents, mentions FROM entities",
        "mentions": "SELECT d.uri, m.page, m.start, m.\"end\", m.entity_key FROM mentions AS m "
                    "JOIN documents AS d ON d.id = m.doc_id",
        "edges": "SELECT scope, a, b, count, documents FROM edges",
        "terms": "SELECT * FROM term_df",
    }
    with closing(sqlite3.connect(DataDir(data_dir).store)) as conn:
        return {name: sorted(map(tuple, conn.execute(sql).fetchall()))
                for name, sql in queries.items()}


@pytest.mark.slow  # two runs, one with two worker processes
def test_the_store_does_not_depend_on_batches_or_workers(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    for n in range(7):  # different documents sharing names
        factories.text_pdf(folder / f"note{n}.pdf", [PAGES[(n + i) % 3] for i in range(1 + n % 3)])
    alone = run_index(str(folder), IndexOptions(data_dir=str(tmp_path / "a"), workers=0,
                                                batch_size=1, skillset=SKILLSET))
    pooled = run_index(str(folder), IndexOptions(data_dir=str(tmp_path / "b"), workers=2,
                                                 batch_size=3, skillset=SKILLSET))
    assert alone.documents["indexed"] == pooled.documents["indexed"] == 7
    first, second = _rows(tmp_path / "a"), _rows(tmp_path / "b")
    assert first["entities"] and first["edges"]
    for table in first:
        assert first[table] == second[table], table
