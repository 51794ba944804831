"""The local runner: batches in worker processes on this machine, in order.

Batches go to a pebble process pool (a worker that hangs past its timeout or dies
is killed and replaced); each process holds one :class:`~enrich.worker.Worker`, so
models load once per process. At most ``2 x workers`` batches are in flight, so
memory stays bounded. A batch that times out or crashes its worker is re-run one
item at a time; the item that still fails alone is recorded as failed (stage
``worker``) with the reason, and the run goes on; the skill counts of the items
re-run are added up like any batch's. ``workers=0`` runs inline, in this process,
without isolation (tests, debugging).
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from functools import reduce
from typing import Any, Iterable, Iterator

from enrich.skillset import Skillset
from enrich.worker import (Batch, BatchResult, ItemResult, Worker, WorkerConfig, merge_skills,
                           limit_memory, start_worker)

__all__ = ["LocalRunner"]

STARTUP_SECONDS = 120.0  # a fresh worker loads its models before its first batch


class LocalRunner:
    """A process pool (or inline) behind the runner protocol of :mod:`enrich.runners`."""

    def __init__(self, skillset: Skillset, config: WorkerConfig, *, workers: int,
                 doc_timeout: float) -> None:
        self.skillset, self.config = skillset, config
        self.workers, self.doc_timeout = workers, doc_timeout
        self._pool: Any = None
        self._pending: deque[tuple[Batch, Future]] = deque()

    def __enter__(self) -> "LocalRunner":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, batches: Iterable[Batch]) -> Iterator[BatchResult]:
        if self.workers <= 0:
            worker = Worker(self.skillset, self.config)
            try:
                for batch in batches:
                    yield worker.process(batch)
            finally:
                worker.close()
            return
        todo = iter(batches)
        self._submit(todo)
        while self._pending:
            batch, future = self._pending.popleft()
            yield self._collect(batch, future)
            self._submit(todo)

    def close(self) -> None:
        """Release the processes: at once when batches are still in flight (a run
        that stopped early does not wait for them), else after they exit cleanly."""
        if self._pool is None:
            return
        if self._pending:
            self._pool.stop()
        else:
            self._pool.close()
        self._pool.join()
        self._pool, self._pending = None, deque()

    def _submit(self, todo: Iterator[Batch]) -> None:
        for batch in todo:
            self._pending.append((batch, self._schedule(batch)))
            if len(self._pending) >= 2 * self.workers:
                return

    def _schedule(self, batch: Batch) -> Future:
        if self._pool is None:
            from pebble import ProcessPool
            context = multiprocessing.get_context("spawn")  # no fork of a process with threads
            self._pool = ProcessPool(max_workers=self.workers, context=context,
                                     initializer=_start,
                                     initargs=(self.skillset, self.config, self.workers))
        return self._pool.schedule(_process, (batch,), timeout=self._timeout(len(batch)))

    def _timeout(self, size: int) -> float:
        return self.doc_timeout * size + STARTUP_SECONDS

    def _collect(self, batch: Batch, future: Future) -> BatchResult:
        """The batch's result; when its process failed, each item re-run alone."""
        try:
            return future.result()
        except Exception as exc:  # noqa: BLE001 - timeout, dead worker, pickling error...
            reason = _reason(exc, self._timeout(len(batch)))
        if len(batch) == 1:
            return BatchResult([ItemResult(batch[0][0], "failed", stage="worker",
                                           message=reason)], {})
        singles = [([one], self._schedule([one])) for one in batch]
        parts = [self._collect(one, future) for one, future in singles]
        return BatchResult([p.items[0] for p in parts],
                           reduce(merge_skills, (p.skills for p in parts), {}))


def _reason(exc: BaseException, seconds: float) -> str:
    if isinstance(exc, FutureTimeout):
        return f"timed out after {seconds:.0f} s (the document was abandoned)"
    name = type(exc).__name__
    if name == "ProcessExpired":
        return ("the worker process died while processing it "
                f"(exit code {getattr(exc, 'exitcode', '?')})")
    return f"{name}: {exc}"


_worker: Worker | None = None  # this pool process's worker


def _start(skillset: Skillset, config: WorkerConfig, processes: int) -> None:
    global _worker
    limit_memory(config.memory_limit)  # a pool process only: never the main one
    _worker = start_worker(skillset, config, processes)


def _process(batch: Batch) -> BatchResult:
    assert _worker is not None, "the pool initializer did not run in this process"
    return _worker.process(batch)
