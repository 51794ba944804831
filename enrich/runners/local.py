"""The local runner: batches in worker processes on this machine, in order.

Batches go to a pebble process pool (a worker that hangs past its timeout or dies
is killed and replaced); each process holds one :class:`~enrich.worker.Worker`, so
models load once per process. At most ``2 x workers`` batches are in flight, so
memory stays bounded. A batch that times out or crashes its worker is re-run one
item at a time; the item that still fails alone is recorded as failed (stage
``worker``) with the reason, and the run goes on; the skill counts of the items
re-run are added up like any batch's. ``workers=0`` runs inline, in this process,
without isolation (tests, debugging).

With two or more workers, a document of more than ``split_pages`` pages is not
enriched by the process that cracked it alone: its page-level skills run on parts of
its pages in whichever processes are free, and one process finishes it
(:mod:`enrich.page_parts`), so a corpus of a few long reports keeps every worker busy.
A part that fails or times out fails its document's item, with the reason.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections import deque
from concurrent.futures import Future, wait
from concurrent.futures import TimeoutError as FutureTimeout
from functools import reduce
from typing import Any, Iterable, Iterator

from enrich import page_parts
from enrich.page_parts import SPLIT_PAGES
from enrich.plan import build_plan
from enrich.skillset import Skillset
from enrich.worker import (Batch, BatchResult, ItemResult, Worker, WorkerConfig, merge_skills,
                           limit_memory, start_worker)

__all__ = ["LocalRunner"]

STARTUP_SECONDS = 120.0  # a fresh worker loads its models before its first batch


class LocalRunner:
    """A process pool (or inline) behind the runner protocol of :mod:`enrich.runners`."""

    def __init__(self, skillset: Skillset, config: WorkerConfig, *, workers: int,
                 doc_timeout: float, split_pages: int | None = SPLIT_PAGES) -> None:
        self.skillset, self.config = skillset, config
        self.workers, self.doc_timeout = workers, doc_timeout
        self.split_pages = split_pages if workers >= 2 else None
        self.phases = page_parts.phases(build_plan(skillset))
        self.documents_in_parts = 0  # long documents finished in parts so far
        self._pool: Any = None
        self._pending: deque[tuple[Batch, Future]] = deque()

    def __enter__(self) -> "LocalRunner":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, batches: Iterable[Batch], patience: float | None = None
            ) -> Iterator[BatchResult | None]:
        """See ``Runner.run``: with ``patience``, None each time the next batch keeps
        this process waiting that long (never inline, where nothing waits)."""
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
            yield from self._collect(*self._pending.popleft(), patience)
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
        """The future of ``batch``'s result, its long documents finished in parts."""
        if self._pool is None:
            from pebble import ProcessPool
            context = multiprocessing.get_context("spawn")  # no fork of a process with threads
            self._pool = ProcessPool(max_workers=self.workers, context=context,
                                     initializer=_start,
                                     initargs=(self.skillset, self.config, self.workers))
        done: Future = Future()
        first = self._pool.schedule(_process, (batch, self.split_pages),
                                    timeout=self._timeout(len(batch)))
        first.add_done_callback(lambda future: self._then(future, done))
        return done

    def _then(self, first: Future, done: Future) -> None:
        """(In the pool's thread) pass the batch's result on, or start its parts."""
        try:
            result = first.result()
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits
            done.set_exception(exc)
            return
        if not result.unfinished:
            done.set_result(result)
            return
        try:
            _LongDocuments(self, result, done).start()
        except BaseException as exc:  # noqa: BLE001 - never leave the runner waiting
            if not done.done():
                done.set_exception(exc)

    def _timeout(self, size: int) -> float:
        return self.doc_timeout * size + STARTUP_SECONDS

    def _collect(self, batch: Batch, future: Future, patience: float | None
                 ) -> Iterator[BatchResult | None]:
        """The batch's result, last; when its process failed, each item re-run alone.
        Before it, with ``patience``, None each time the wait lasts that long (the
        re-runs' waits too)."""
        while patience is not None and not wait([future], timeout=patience).done:
            yield None
        try:
            yield future.result()
            return
        except Exception as exc:  # noqa: BLE001 - timeout, dead worker, pickling error...
            reason = _reason(exc, self._timeout(len(batch)))
        if len(batch) == 1:
            yield BatchResult([ItemResult(batch[0][0], "failed", stage="worker",
                                          message=reason)], {})
            return
        parts: list[BatchResult] = []
        for one, single in [([one], self._schedule([one])) for one in batch]:
            for part in self._collect(one, single, patience):
                if part is None:
                    yield None  # still waiting on a re-run
                else:
                    parts.append(part)
        yield BatchResult([p.items[0] for p in parts],
                          reduce(merge_skills, (p.skills for p in parts), {}))


class _LongDocuments:
    """Finishes the long documents of one batch result in parts (enrich.page_parts):
    every part goes to the pool at once; when a document's parts are all back they are
    merged and one process finishes it; when every document is, ``done`` gets the
    batch. Driven by the futures' callbacks, so the runner's thread never waits on a
    part and keeps the pool fed. A part or finish that fails fails its item."""

    def __init__(self, runner: LocalRunner, result: BatchResult, done: Future) -> None:
        self.runner, self.done = runner, done
        self.items, self.skills = list(result.items), result.skills
        self.unfinished = list(result.unfinished)
        self.settled: set[tuple[int, int]] = set()
        self.lock = threading.Lock()
        self.timeout = runner._timeout(1)

    def start(self) -> None:
        """Send out the parts of every long document (one that cannot be split or sent
        fails its item at once, so ``done`` is always settled)."""
        for i, j in self.unfinished:
            try:
                doc = self.items[i].documents[j]
                bounds = page_parts.part_bounds(len(doc["pages"]), self.runner.workers)
                parts = page_parts.split(doc, bounds, self.runner.phases.reads)
                back: list = [None] * len(parts)
                for n, part in enumerate(parts):
                    future = self.runner._pool.schedule(_enrich_part, (part,),
                                                        timeout=self.timeout)
                    future.add_done_callback(
                        lambda f, i=i, j=j, n=n, back=back: self._part_back(f, i, j, n, back))
            except BaseException as exc:  # noqa: BLE001 - a closed pool, a bad document
                self._settle(i, j, failure=exc)

    def _part_back(self, future: Future, i: int, j: int, n: int, back: list) -> None:
        try:
            part, status = future.result()
        except BaseException as exc:  # noqa: BLE001 - the item fails with the reason
            self._settle(i, j, failure=exc)
            return
        with self.lock:
            self.skills = merge_skills(self.skills, status)
            back[n] = part
            ready = all(p is not None for p in back) and (i, j) not in self.settled
        if not ready:
            return
        try:
            doc = page_parts.merge(self.items[i].documents[j], back, self.runner.phases.pages)
            finish = self.runner._pool.schedule(_finish_document, (doc,), timeout=self.timeout)
        except BaseException as exc:  # noqa: BLE001 - a closed pool, a bad part
            self._settle(i, j, failure=exc)
            return
        finish.add_done_callback(lambda f: self._finished(f, i, j))

    def _finished(self, future: Future, i: int, j: int) -> None:
        try:
            doc, status = future.result()
        except BaseException as exc:  # noqa: BLE001
            self._settle(i, j, failure=exc)
            return
        with self.lock:
            self.skills = merge_skills(self.skills, status)
        self._settle(i, j, doc=doc)

    def _settle(self, i: int, j: int, doc: dict | None = None,
                failure: BaseException | None = None) -> None:
        """Document ``j`` of item ``i`` is finished (``doc``) or failed; once each (the
        other parts of a failed document still report, and are ignored). The last one
        hands the batch on."""
        with self.lock:
            if (i, j) in self.settled:
                return
            self.settled.add((i, j))
            item = self.items[i]
            if failure is not None and item.status != "failed":
                self.items[i] = ItemResult(item.item, "failed", sha256=item.sha256,
                                           stage="worker", message="a part of its pages: "
                                           + _reason(failure, self.timeout))
            elif doc is not None and item.status != "failed":
                item.documents[j] = doc
                self.runner.documents_in_parts += 1
            last = len(self.settled) == len(self.unfinished)
        if last and not self.done.done():
            self.done.set_result(BatchResult(self.items, self.skills))


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


def _process(batch: Batch, split_pages: int | None = None) -> BatchResult:
    assert _worker is not None, "the pool initializer did not run in this process"
    return _worker.process(batch, split_pages)


def _enrich_part(part: dict) -> tuple[dict, dict]:
    assert _worker is not None, "the pool initializer did not run in this process"
    return _worker.enrich_part(part)


def _finish_document(doc: dict) -> tuple[dict, dict]:
    assert _worker is not None, "the pool initializer did not run in this process"
    return _worker.finish_document(doc)
