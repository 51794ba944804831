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
    """The text of each text chunk (``DOC#N``: the N-th of ``/document/chunks``, as the
    chunks skill numbers them) that the store has; images have none. SQLite's
    ``json_extract`` reads the one value, so a tree of many vectors is not decoded here."""
    out: dict[str, str] = {}
    for chunk_id in chunk_ids:
        doc, _, n = chunk_id.rpartition("#")
        if not n.isdigit():
            continue
        row = conn.execute("SELECT json_extract(tree, ?) FROM documents WHERE id = ?",
                           (f"$.chunks[{int(n)}].text", doc)).fetchone()
        if row is not None and isinstance(row[0], str):
            out[chunk_id] = row[0]
    return out
