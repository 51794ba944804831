"""The state of a data directory, for ``enrich status`` and the HTTP API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from indexers.stores import DataDir, SqliteStore, StoreError, open_index

__all__ = ["status"]


def status(data_dir: str | Path, runs: int = 5, top: int = 10,
           failed: int = 100) -> dict[str, Any]:
    """Counts, top co-occurrence edges, recent runs and the items that failed (transient
    failures first: the next run tries them again; permanent ones wait for a change
    or ``--retry-failed``), read in one snapshot of the store, opened read-only.
    ``stats.index_documents`` is what the data directory's own search index holds
    (None when it cannot be read), beside the store's ``documents``."""
    with SqliteStore(DataDir(data_dir).require().store, read_only=True) as store, \
            store.snapshot():
        info = {"data_dir": str(data_dir), "stats": store.stats(),
                "top_edges": store.graph.top_edges("document", limit=top),
                "runs": store.runs(runs), "failed": store.failed_sources(limit=failed)}
    info["stats"]["index_documents"] = _index_documents(data_dir)
    return info


def _index_documents(data_dir: str | Path) -> int | None:
    try:
        with open_index(data_dir) as index:
            return index.count()
    except StoreError:
        return None
