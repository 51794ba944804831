"""Stores written in code, for the export tests and the export benchmark.

:func:`small_store` writes a few invented documents through the store's own write
path (``put_source``: aggregates, aliases and edges as an index run leaves them),
with metadata, search fields, an image with bytes and entities of several names.
:func:`synthetic_store` writes ``mentions`` mention rows (and their documents, pages
and entities) straight into a fresh store with ``executemany``: **synthetic** rows
with no text analysis behind them and no edges, to measure reading and writing a
large store in seconds (a million mentions take about ten).
"""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

from graph import contributions
from indexers.stores import DataDir, DocumentRecord, SourceState, SqliteStore

from enrich.testing.factories import photo_bytes

__all__ = ["small_store", "synthetic_store", "SMALL_DOCS"]

# (id, pages, mentions as (key, name, text, page, start, confidence))
SMALL_DOCS = [
    ("a1", ["Ilse Marwick met Tolvane Systems in Brackford. Marwick signed."],
     [("PERSON:ilse marwick", "Ilse Marwick", "Ilse Marwick", 1, 0, 0.92),
      ("ORG:tolvane systems", "Tolvane Systems", "Tolvane Systems", 1, 18, 0.81),
      ("GPE:brackford", "Brackford", "Brackford", 1, 37, 0.77),
      ("PERSON:ilse marwick", "Ilse Marwick", "Marwick", 1, 48, None)]),
    ("a2", ["The Quillon Trust (QT) paid Tolvane Systems.", "Ilse Marwick agreed."],
     [("ORG:quillon trust", "Quillon Trust", "Quillon Trust", 1, 4, 0.66),
      ("ORG:tolvane systems", "Tolvane Systems", "Tolvane Systems", 1, 28, 0.9),
      ("PERSON:ilse marwick", "I. Marwick", "Ilse Marwick", 2, 0, 0.88)]),
    ("a3", ["Brackford is quiet."], [("GPE:brackford", "Brackford", "Brackford", 1, 0, 0.5)]),
]


def _record(doc_id: str, pages: list[str], mentions: list[tuple]) -> DocumentRecord:
    entities = [{"key": key, "type": key.split(":")[0], "label": key.split(":")[0],
                 "name": name, "text": text, "page": page, "sentence": 0, "start": start,
                 "end": start + len(text), "confidence": confidence, "skill": "entities",
                 "version": "1", "model": "invented"}
                for key, name, text, page, start, confidence in mentions]
    images = ([{"id": "p1-i0", "page": 1, "bbox": [10.0, 20.5, 110.0, 95.0], "width": 40,
                "height": 30, "format": "png", "kind": "embedded", "needs_ocr": False,
                "data": photo_bytes((40, 30), "PNG")}] if doc_id == "a1" else [])
    content = "\n\n".join(pages)
    return DocumentRecord(
        id=doc_id, uri=f"file:///notes/{doc_id}.pdf", source_uri=f"file:///notes/{doc_id}.pdf",
        status="ok", title=f"Notes {doc_id}", content=content,
        metadata={"file_name": f"{doc_id}.pdf", "page_count": len(pages), "size": 1000 + len(content),
                  **({"author": "R. Penhallow"} if doc_id != "a3" else {})},
        pages=[{"number": n, "text": t, "offset": 0, "needs_ocr": False, "width": 595.0,
                "height": 842.0} for n, t in enumerate(pages, 1)],
        images=images, entities=entities, edges=contributions(entities),
        fields={"title": f"Notes {doc_id}", "content": content, "language": "en",
                "keyphrases": [p.split()[0].lower() for p in pages],
                "people": [m[1] for m in mentions if m[0].startswith("PERSON")]},
        tree={"content": content, "pages": pages}, warnings=["a warning"] if doc_id == "a3" else [],
        aliases=[("ORG:qt", "ORG:quillon trust")] if doc_id == "a2" else [])


def small_store(data_dir: str | Path) -> Path:
    """A data directory whose store holds the three documents of ``SMALL_DOCS``."""
    with SqliteStore(DataDir(data_dir).store) as store:
        for doc_id, pages, mentions in SMALL_DOCS:
            record = _record(doc_id, pages, mentions)
            store.put_source(SourceState(record.source_uri, 1, 1.0, doc_id, "ok"), [record])
    return Path(data_dir)


def synthetic_store(data_dir: str | Path, mentions: int, per_document: int = 100,
                    entities: int = 20_000, seed: int = 1) -> Path:
    """A data directory whose store holds ``mentions`` synthetic mention rows,
    ``per_document`` to a one-page document, over ``entities`` entities (Zipf-like)."""
    path = DataDir(data_dir).store
    SqliteStore(path).close()  # the schema, at the current version
    rng = random.Random(seed)
    docs = (mentions + per_document - 1) // per_document
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany("INSERT INTO sources (uri, size, mtime, sha256, status, updated_at) "
                         "VALUES (?, 1, 0, 'h', 'ok', 'now')",
                         ((f"file:///s/{d}.txt",) for d in range(docs)))
        conn.executemany("INSERT INTO documents (id, uri, source_uri, status, title, content, "
                         "metadata, indexed_at) VALUES (?, ?, ?, 'ok', ?, '', ?, 'now')",
                         ((f"d{d}", f"file:///s/{d}.txt", f"file:///s/{d}.txt", f"Doc {d}",
                           f'{{"page_count": 1, "size": {d}}}') for d in range(docs)))
        conn.executemany("INSERT INTO pages (doc_id, number, text) VALUES (?, 1, '')",
                         ((f"d{d}",) for d in range(docs)))
        conn.executemany("INSERT INTO entities (key, type, name, documents, mentions) "
                         "VALUES (?, 'PERSON', ?, 0, 0)",
                         ((f"PERSON:e{e}", f"E{e}") for e in range(entities)))
        conn.executemany(
            'INSERT INTO mentions (doc_id, entity_key, raw_key, label, name, text, page, '
            'sentence, start, "end", confidence, skill, skill_version, model) VALUES '
            "(?, ?, ?, 'PERSON', ?, ?, 1, ?, ?, ?, ?, 'entities', '1', 'synthetic')",
            (_mention(rng, n, per_document, entities) for n in range(mentions)))
    conn.close()
    return Path(data_dir)


def _mention(rng: random.Random, n: int, per_document: int, entities: int) -> tuple:
    e = min(int(rng.paretovariate(0.5)), entities) - 1
    start = (n % per_document) * 12
    return (f"d{n // per_document}", f"PERSON:e{e}", f"PERSON:e{e}", f"E{e}", f"E{e}",
            start // 120, start, start + 3, round(rng.random(), 3))
