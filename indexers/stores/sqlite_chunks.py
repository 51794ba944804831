"""Chunk vectors as the store keeps them: in the documents' trees.

The ``embeddings`` skill writes a vector on each text chunk (``/document/chunks/*``)
and an image-embedding skill (``clip``) one on each image (``/document/images/*``);
the tree's provenance names the model of each. The store is the record of those
vectors: ``pending_index`` hands them to the search index under ``CHUNKS_KEY``, so any
index (embedded or Elasticsearch) can be rebuilt from the store with its vectors.

Chunk ids: ``DOC#N`` for the N-th text chunk, ``DOC#image-N`` for the N-th image
(``vectors.document_of`` gives the document back).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Sequence

__all__ = ["chunks_of", "chunk_texts", "HAS_VECTORS"]

TEXT_VECTORS = "/document/chunks/*/vector"
IMAGE_VECTORS = "/document/images/*/vector"
# An SQL test that a stored tree may hold vectors (cheap: no JSON parsed otherwise).
HAS_VECTORS = "instr(d.tree, '\"vector\"') > 0"


def chunks_of(tree: dict[str, Any], doc_id: str) -> list[dict[str, Any]]:
    """The chunk vectors of a document's tree, as ``SearchIndex`` upserts take them."""
    provenance = tree.get("provenance") or {}
    out: list[dict[str, Any]] = []
    model = (provenance.get(TEXT_VECTORS) or {}).get("model")
    for n, chunk in enumerate(tree.get("chunks") or ()):
        if model and isinstance(chunk, dict) and chunk.get("vector"):
            out.append({"id": f"{doc_id}#{chunk.get('index', n)}", "model": model,
                        "page": chunk.get("page"), "start": chunk.get("start"),
                        "end": chunk.get("end"), "image": None, "vector": chunk["vector"]})
    model = (provenance.get(IMAGE_VECTORS) or {}).get("model")
    for n, image in enumerate(tree.get("images") or ()):
        if model and isinstance(image, dict) and image.get("vector"):
            out.append({"id": f"{doc_id}#image-{n}", "model": model, "page": image.get("page"),
                        "start": None, "end": None, "image": image.get("id"),
                        "vector": image["vector"]})
    return out


def chunk_texts(conn: sqlite3.Connection, chunk_ids: Sequence[str]) -> dict[str, str]:
    """The text of each text chunk (``DOC#N``) that the store has (images have none)."""
    wanted: dict[str, dict[int, str]] = {}
    for chunk_id in chunk_ids:
        doc, _, n = chunk_id.rpartition("#")
        if n.isdigit():
            wanted.setdefault(doc, {})[int(n)] = chunk_id
    out: dict[str, str] = {}
    for doc, numbers in wanted.items():
        row = conn.execute("SELECT tree FROM documents WHERE id = ?", (doc,)).fetchone()
        if row is None or not row[0]:
            continue
        for n, chunk in enumerate(json.loads(row[0]).get("chunks") or ()):
            index = chunk.get("index", n) if isinstance(chunk, dict) else n
            if index in numbers and isinstance(chunk.get("text"), str):
                out[numbers[index]] = chunk["text"]
    return out
