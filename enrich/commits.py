"""When an index run commits (:mod:`enrich.indexer`).

Batches are the workers' units, small so that every worker gets several; commits are
the store's. The batches that finish within ``commit_seconds`` of the last commit go
in one transaction, at most ``COMMIT_BATCHES`` of them and ``COMMIT_PAGES`` pages
(what waits for its commit is in memory). While the next batch is slow, the runner
says so every ``TICK_SECONDS`` and those waiting are committed when their time comes.
A commit re-decides the names it touched, re-keys the earlier documents those
decisions change and has the search index catch up, so ten commits of one document
cost about three times one commit of ten.

Ctrl-C during a commit takes effect once the commit is done (:func:`interrupt_after`),
so what was enriched is kept; a second Ctrl-C stops at once and rolls the commit back.
"""

from __future__ import annotations

import signal
import threading
import time
from contextlib import contextmanager
from typing import Any, Iterator

__all__ = ["COMMIT_SECONDS", "COMMIT_BATCHES", "COMMIT_PAGES", "TICK_SECONDS", "INTERRUPTED",
           "clock", "commit_due", "failed_in", "interrupt_after"]

COMMIT_SECONDS = 5.0  # batches finished within this long of the last commit commit together
COMMIT_BATCHES = 16  # ... but no more than this many (what waits for its commit is in memory)
COMMIT_PAGES = 2000  # ... nor batches holding more pages than this
TICK_SECONDS = 1.0  # while the next batch keeps it waiting, the loop looks at the clock this often
INTERRUPTED = ("interrupted (Ctrl-C): what was committed is kept (`enrich status` shows the "
               "run); index the same source again to go on")
clock = time.monotonic  # when commits are due (a test moves it)


def failed_in(group: list[Any]) -> int:
    """Failed items in ``group`` (batch results)."""
    return sum(r.status == "failed" for batch in group for r in batch.items)


def commit_due(group: list[Any], last: float, commit_seconds: float) -> bool:
    """Whether the batches waiting are committed now: ``commit_seconds`` have passed
    since the ``last`` commit (``clock()``), or they reach ``COMMIT_BATCHES`` or
    ``COMMIT_PAGES``."""
    if clock() - last >= commit_seconds or len(group) >= COMMIT_BATCHES:
        return True
    return sum(len(doc.get("pages") or ()) for batch in group for r in batch.items
               for doc in r.documents) >= COMMIT_PAGES


@contextmanager
def interrupt_after(pressed_before: bool = False) -> Iterator[None]:
    """Hold a Ctrl-C (SIGINT) back until the block is done, then raise it; a second one
    raises at once, and so does the first when one was ``pressed_before`` (the commit
    that follows a Ctrl-C). Only in the main thread with Python's own handler in place
    (else the block runs as it is)."""
    if (pressed_before or threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield
        return
    pressed: list[int] = []

    def later(signum: int, frame: Any) -> None:
        if pressed:
            raise KeyboardInterrupt
        pressed.append(signum)

    signal.signal(signal.SIGINT, later)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if pressed:
        raise KeyboardInterrupt
