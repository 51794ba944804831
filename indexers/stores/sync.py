"""Keeping a search index derived from the store: the outbox replay and the rebuild.

The store queues every document it writes or deletes for the search index in the
same transaction (``Store.pending_index``); ``sync_index`` applies the queue and takes
what the index has committed off it, so a run killed in between converges when the
next one syncs. ``rebuild_index`` fills a fresh index from every stored document and
swaps it in (``SearchIndex.rebuild``): after a layout change, or to move a corpus to
another index (``enrich index --rebuild-index``).
"""

from __future__ import annotations

from .base import SearchIndex, Store

__all__ = ["sync_index", "rebuild_index"]

BATCH = 500


def sync_index(store: Store, index: SearchIndex) -> int:
    """Bring the search index up to the store's queue; returns documents applied."""
    applied = 0
    while True:
        upserts, deletes = store.pending_index(limit=BATCH)
        if not upserts and not deletes:
            return applied
        index.delete(deletes)
        index.upsert(upserts)
        index.commit()
        with store.transaction():
            store.mark_indexed([doc["id"] for doc in upserts], deletes)
        applied += len(upserts) + len(deletes)


def rebuild_index(store: Store, index: SearchIndex) -> int:
    """Replace the index's contents by every document of the store; returns the
    documents applied.

    Searches see the old contents until the new ones are complete. When the rebuild
    fails, every document is queued again, so the next sync brings the old index up
    to date (the queue drained into the abandoned one would otherwise be lost).
    """
    store.reindex_all()
    try:
        with index.rebuild() as fresh:
            return sync_index(store, fresh)
    except BaseException:
        store.reindex_all()
        raise
