"""Keeping a search index derived from the store: the outbox replay and the rebuild.

The store queues every document it writes or deletes for the search index in the
same transaction (``Store.pending_index``); ``sync_index`` applies the queue and takes
what the index has committed off it, so a run killed in between converges when the
next one syncs.

One store may feed several indexes over time (the data directory's, another
``--index``, one recreated after it was deleted, a rebuilt one), but it has one queue.
So the store records which index the queue feeds (``Store.track_index``, by the
index's ``index_id``): when ``sync_index`` is given another one, every document is
queued for it first, and that index catches up in the same sync instead of silently
missing what the queue had already handed to another.

``rebuild_index`` fills a fresh index (a new ``index_id``, so every document) and swaps
it in (``SearchIndex.rebuild``): after a layout change, or to move a corpus to
another index (``enrich index --rebuild-index``). If the rebuild fails, the old index
is not the one the queue fed last, so the next sync fills it again from the store.
"""

from __future__ import annotations

from .base import SearchIndex, Store

__all__ = ["sync_index", "rebuild_index"]

BATCH = 500


def sync_index(store: Store, index: SearchIndex) -> int:
    """Bring the search index up to the store's queue (every document, when the queue
    last fed another index); returns documents applied."""
    if index.index_id is not None:
        store.track_index(index.index_id)
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
    documents applied. Searches see the old contents until the new ones are complete.
    """
    with index.rebuild() as fresh:
        return sync_index(store, fresh)
