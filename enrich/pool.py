"""Running batches in worker processes, in order, with per-document isolation.

Batches go to a pebble process pool (a worker that hangs past its timeout or dies
is killed and replaced). Results come back in submission order, so the indexer
commits whole batches in order and a killed run resumes at a batch boundary. A
batch that times out or crashes its worker is re-run one item at a time; the item
that still fails alone is recorded as failed with the reason, and the run goes on.
At most ``2 x workers`` batches are in flight, so memory stays bounded.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Iterable, Iterator

from indexers.sources import SourceItem

from enrich.skillset import Skillset
from enrich.worker import (BatchResult, ItemResult, Worker, WorkerConfig, init_process,
                           process_in_worker)

__all__ = ["run_batches"]

Batch = list[tuple[SourceItem, "str | None"]]


def run_batches(batches: Iterable[Batch], skillset: Skillset, config: WorkerConfig, *,
                workers: int, doc_timeout: float) -> Iterator[BatchResult]:
    """Yield one result per batch, in order. ``workers=0`` runs inline (no isolation)."""
    if workers <= 0:
        worker = Worker(skillset, config)
        for batch in batches:
            yield worker.process(batch)
        return
    yield from _pooled(batches, skillset, config, workers, doc_timeout)


def _pooled(batches: Iterable[Batch], skillset: Skillset, config: WorkerConfig,
            workers: int, doc_timeout: float) -> Iterator[BatchResult]:
    from pebble import ProcessPool
    context = multiprocessing.get_context("spawn")  # no fork of a process holding threads
    with ProcessPool(max_workers=workers, context=context, initializer=init_process,
                     initargs=(skillset, config, workers)) as pool:
        pending: deque = deque()
        todo = iter(batches)

        def submit() -> None:
            for batch in todo:
                timeout = _timeout(doc_timeout, len(batch))
                pending.append((batch, pool.schedule(process_in_worker, (batch,), timeout=timeout)))
                if len(pending) >= 2 * workers:
                    return

        submit()
        while pending:
            batch, future = pending.popleft()
            yield _collect(pool, batch, future, doc_timeout)
            submit()
        pool.close()
        pool.join()


def _timeout(doc_timeout: float, size: int) -> float:
    # A fresh worker loads its models before the first batch: allow for it.
    return doc_timeout * size + 120.0


def _collect(pool, batch: Batch, future, doc_timeout: float) -> BatchResult:
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001 - timeout, dead worker, pickling error...
        reason = _reason(exc, _timeout(doc_timeout, len(batch)))
    if len(batch) == 1:
        item = batch[0][0]
        return BatchResult([ItemResult(item, "failed", stage="worker", message=reason)], {})
    singles = [(b, pool.schedule(process_in_worker, ([b],), timeout=_timeout(doc_timeout, 1)))
               for b in batch]
    parts = [_collect(pool, [b], f, doc_timeout) for b, f in singles]
    skills = next((p.skills for p in parts if p.skills), {})
    return BatchResult([p.items[0] for p in parts], skills)


def _reason(exc: BaseException, seconds: float) -> str:
    if isinstance(exc, FutureTimeout):
        return f"timed out after {seconds:.0f} s (the document was abandoned)"
    name = type(exc).__name__
    if name == "ProcessExpired":
        return f"the worker process died while processing it (exit code {getattr(exc, 'exitcode', '?')})"
    return f"{name}: {exc}"
