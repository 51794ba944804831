"""Writing corrections from the review surfaces: ``enrich review`` and the server's
``POST /api/corrections``.

``CorrectionWriter(data_dir)`` makes one write at a time per process, each through
``enrich.corrections.correcting``: the data directory's lock for its few
milliseconds (a ``DataDirBusyError`` while an index run holds it), the store opened
for writing, the corrections applied in one transaction (``store.correct_many``: all
or nothing) or one undone, then the documents they changed pushed to the search
index, so a search sees the new names and facets at once. A data directory with no
store yet is a ``DataDirError``, never a new empty store.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Callable

from indexers.stores import DataDir, DataDirBusyError, Store

from enrich.corrections import correcting

__all__ = ["CorrectionWriter"]


LOCK_WAIT = 5.0  # seconds a correction waits for another writer of the data directory

class CorrectionWriter:
    """Applies and undoes corrections in ``data_dir`` (see the module doc);
    ``index_url`` names the search index when it is not the data directory's own."""

    def __init__(self, data_dir: str | Path, index_url: str | None = None) -> None:
        self.data = DataDir(data_dir)
        self.index_url = index_url or None
        self._lock = threading.Lock()

    def correct(self, items: list[dict[str, Any]], who: str) -> list[dict[str, Any]]:
        """Apply ``items`` (the JSONL shapes) as ``who``; the saved rows. Nothing is
        applied when one of them is wrong."""
        return self._write(lambda store: store.correct_many(items, who))

    def undo(self, correction_id: int, who: str) -> dict[str, Any]:
        """Undo the active correction ``correction_id`` as ``who``; its row."""
        return self._write(lambda store: store.undo_correction([correction_id], who))[0]

    def _write(self, action: Callable[[Store], Any]) -> Any:
        """``action`` in one correcting transaction. Another process writing the data
        directory (another server worker's correction, which takes a moment) is waited
        for up to ``LOCK_WAIT`` seconds; an index run still writing after that is
        DataDirBusyError."""
        deadline = time.monotonic() + LOCK_WAIT
        with self._lock:
            self.data.require()
            while True:
                try:
                    with correcting(self.data.root, self.index_url) as store:
                        return action(store)
                except DataDirBusyError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
