"""A small store of invented documents with entity mentions at known offsets, for the
tests and benchmarks of ``enrich train``.

:func:`mentions_store` writes each document (one page) through the real store
(``SqliteStore.put_source``), with a mention per ``(surface, type)`` pair found in its
text, so corrections can then be made on it like on an indexed corpus.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from graph.normalize import entity_key, sentence_of, sentence_spans
from indexers.stores import DataDir, DocumentRecord, SourceState, SqliteStore

__all__ = ["Doc", "mentions_store"]

Doc = tuple[str, str, Sequence[tuple[str, str]]]  # (doc id, text, [(surface, type)])


def _mentions(text: str, found: Sequence[tuple[str, str]]) -> list[dict]:
    spans, out, at = sentence_spans(text), [], {}
    for surface, kind in found:
        start = text.index(surface, at.get(surface, 0))
        at[surface] = start + len(surface)
        out.append({"key": entity_key(kind, surface), "type": kind, "label": kind,
                    "name": surface, "text": surface, "page": 1,
                    "sentence": sentence_of(spans, start), "start": start,
                    "end": start + len(surface), "confidence": 0.9, "skill": "entities",
                    "version": "2", "model": "test"})
    return out


def mentions_store(data: str | Path, docs: Sequence[Doc]) -> Path:
    """Write the documents into ``data``'s store (one source each); its path."""
    store_path = DataDir(data).store
    with SqliteStore(store_path) as store:
        for doc_id, text, found in docs:
            uri = f"file:///invented/{doc_id}.txt"
            record = DocumentRecord(
                id=doc_id, uri=uri, source_uri=uri, status="ok", title=doc_id, content=text,
                metadata={"content_type": "text/plain", "page_count": 1},
                pages=[{"number": 1, "text": text, "offset": 0, "needs_ocr": False}],
                images=[], entities=_mentions(text, found), edges=[],
                fields={"title": doc_id, "content": text}, tree={"content": text},
                warnings=[])
            store.put_source(SourceState(uri=uri, size=len(text), mtime=1.0, sha256=doc_id,
                                         status="ok"), [record])
    return store_path
