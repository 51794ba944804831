"""The state of a data directory, for ``enrich status`` and the HTTP API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from indexers.stores import DataDir, SqliteStore

__all__ = ["status"]


def status(data_dir: str | Path, runs: int = 5, top: int = 10,
           failed: int = 100) -> dict[str, Any]:
    """Counts, top co-occurrence edges, recent runs and the items that failed (transient
    failures first: the next run tries them again; permanent ones wait for a change
    or ``--retry-failed``), read in one snapshot of the store, opened read-only."""
    with SqliteStore(DataDir(data_dir).require().store, read_only=True) as store, \
            store.snapshot():
        return {"data_dir": str(data_dir), "stats": store.stats(),
                "top_edges": store.graph.top_edges("document", limit=top),
                "runs": store.runs(runs), "failed": store.failed_sources(limit=failed)}
