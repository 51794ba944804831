"""The indexer run loop.

``source.list()`` -> change detection against the stored state -> batches cracked
and enriched by a runner (``enrich.runners``: worker processes, or Ray) -> in the
main process, per group of finished batches and in one
store transaction: corpus skills, document records, state, errors -> the search
index catches up from the store's queue -> a run record with counts and timings.

Batches are the workers' units; the batches that finish together are committed
together (:mod:`enrich.commits` says when). Every commit is atomic and in order, and the search index replays the store's queue at start, so a
run killed at any point and started again ends with the same store and index as an
uninterrupted one; it redoes what was not committed.
"""

from __future__ import annotations

import hashlib
import math
import json
import logging
import os
import sqlite3
import time
from dataclasses import asdict, dataclass, field, replace
from functools import reduce
from pathlib import Path
from typing import Any, Callable, Iterator

from indexers.crackers.limits import Limits
from indexers.sources import SourceItem, close_source, open_source
from indexers.stores import (DataDir, SearchIndex, SourceState, Store, open_store,
                             rebuild_index, sync_index)
from skills.base import RunContext

from enrich import commits
from enrich.commits import (COMMIT_SECONDS, INTERRUPTED, TICK_SECONDS, commit_due, failed_in,
                            interrupt_after)
from enrich.engine import Engine
from enrich.errors import EnrichError
from enrich.page_parts import SPLIT_PAGES
from enrich.plan import Plan, build_plan
from enrich.records import document_id, to_record
from enrich.redaction import cache_allowed
from enrich.runners import Runner, check_runner, open_runner
from enrich.skillset import Skillset
from enrich.worker import (BatchResult, ItemResult, WorkerConfig, default_memory_limit,
                           merge_skills)

__all__ = ["IndexOptions", "RunSummary", "run_index", "sync_index", "batch_size", "split_pages"]

# What a document's own data can make the store raise (text with lone surrogates, an
# integer over 64 bits, a value SQLite cannot bind): that item fails, not the run. Other
# errors (a bug, a full disk) still stop the run, which resumes where it stopped.
STORE_DATA_ERRORS = (UnicodeEncodeError, OverflowError, sqlite3.InterfaceError)
BATCHES_PER_WORKER = 4  # a worker's share of the items comes in at least this many batches

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


@dataclass
class IndexOptions:
    data_dir: Path = Path("enrich-data")
    skillset: Any = None  # a path, a dict, a Skillset, or None for the default
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    batch_size: int = 16
    # batches finished within this many seconds of the last commit are committed
    # together (and what is left at the end); 0: every batch as it comes
    commit_seconds: float = COMMIT_SECONDS
    # documents of more pages are enriched in parts by every worker (local runner, 2+
    # workers: enrich.page_parts); None: never
    split_pages: int | None = SPLIT_PAGES
    max_failed: int | None = None
    limit: int | None = None
    doc_timeout: float = 300.0
    device: str = "auto"  # for image skills: auto | cpu | cuda[:N] | cuda[:N]! (skills.base)
    reindex: bool = False  # enrich every item again, changed or not
    source_options: dict[str, Any] = field(default_factory=dict)  # open_source(uri, **these)
    max_bytes: int | None = None  # items larger than this fail (permanently) as too large
    # bytes a worker process may allocate ("auto": a share of the machine's memory,
    # worker.default_memory_limit; None: no limit); over it a document fails
    doc_memory: int | str | None = "auto"
    # what containers (archives, e-mail, Office packages) may unpack; None: the defaults
    unpack_limits: Limits | None = None
    retry_failed: bool = False  # process only the items that failed last time
    cache: bool = True  # keep cracking and skill outputs in <data_dir>/cache and reuse them
    reset_skills: tuple[str, ...] = ()  # forget these skills' cached outputs (and re-run them)
    reset: bool = False  # forget the whole enrichment cache (and enrich everything again)
    allow_empty: bool = False  # a source that lists nothing deletes everything from it
    index_url: str | None = None  # Elasticsearch (es+https://host:9200/name); None: embedded
    engine: str = "local"  # the runner: "local" (a process pool) or "ray" (enrich.runners)
    ray_address: str | None = None  # a Ray cluster ("auto", "ray://host:10001"); None: local


@dataclass
class RunSummary:
    run_id: str
    source: str
    status: str = "ok"  # "ok" | "failed" (more failures than --max-failed)
    documents: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        ("seen", "indexed", "unchanged", "partial", "failed", "deleted"), 0))
    errors: list[dict[str, str]] = field(default_factory=list)
    skills: dict[str, dict[str, Any]] = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _under(uri: str, root: str) -> bool:
    """Whether item ``uri`` belongs to source ``root`` (a file below a folder, a blob
    below a prefix, a record ``#key=...`` of a file or table)."""
    return uri == root or uri.startswith((root.rstrip("/") + "/", root + "#"))


def _unchanged(item: SourceItem, state: SourceState | None) -> bool:
    """The source's version decides when it gives one; else size and mtime do."""
    if state is None or state.status == "failed":
        return state is not None and not state.transient and _same(item, state)
    return _same(item, state)


def _same(item: SourceItem, state: SourceState) -> bool:
    if item.version and state.version:
        return item.version == state.version
    return state.size == item.size and state.mtime == item.mtime


def _plan_items(listing: list[SourceItem], states: dict[str, SourceState],
                summary: RunSummary, retry_failed: bool = False
                ) -> list[tuple[SourceItem, str | None]]:
    """The items to process, with the content hash they had (to skip same bytes)."""
    todo = []
    for item in listing:
        state = states.get(item.uri)
        wanted = (state is not None and state.status == "failed") if retry_failed \
            else not _unchanged(item, state)
        if wanted:
            todo.append((item, state.sha256 if state and state.status != "failed" else None))
        else:
            summary.documents["unchanged"] += 1
    return todo


def batch_size(items: int, options: IndexOptions) -> int:
    """Items per batch: ``--batch-size`` at most, fewer when there are few items and
    several worker processes, so that every worker gets several batches (ten documents
    and two workers: five batches of two, not one of ten that one worker does alone
    while the other waits). One worker, or none, gains nothing from smaller batches."""
    if options.workers <= 1:
        return max(1, options.batch_size)
    share = math.ceil(items / (BATCHES_PER_WORKER * options.workers))
    return max(1, min(options.batch_size, share))


def split_pages(todo: list[tuple[SourceItem, str | None]], options: IndexOptions) -> int | None:
    """``--split-pages`` when splitting long documents can even out the work: some
    item is at least half a worker's share of the bytes to do (one long report among
    short notes, or a few reports). Otherwise whole documents already keep every
    worker busy, and the trips of the parts between processes would only cost."""
    if not options.split_pages or options.workers < 2 or not todo:
        return None
    sizes = [item.size or 0 for item, _ in todo]
    share = sum(sizes) / options.workers
    return options.split_pages if max(sizes) >= share / 2 else None


def _batches(todo: list, size: int) -> Iterator[list]:
    for start in range(0, len(todo), size):
        yield todo[start:start + size]


class _Run:
    """The main-process side of one run: commits batches and keeps the summary."""

    def __init__(self, store: Store, index: SearchIndex, plan: Plan,
                 summary: RunSummary) -> None:
        self.store, self.index, self.summary = store, index, summary
        self.plan = plan
        self.engine = Engine(self.plan)  # the corpus stage

    def commit(self, batches: list[BatchResult], interrupted: bool = False) -> None:
        """Commit the results of ``batches`` in one transaction, then let the search
        index catch up (a Ctrl-C meanwhile waits for both, unless the run was already
        ``interrupted``: then it stops at once)."""
        items = [result for batch in batches for result in batch.items]
        mark = self._mark()
        with interrupt_after(interrupted):  # Ctrl-C now: once the commit is done
            try:
                with self.store.transaction():
                    live = [r for r in items if r.status not in ("failed", "unchanged")]
                    docs = [doc for r in live for doc in r.documents]
                    self.engine.run_corpus(docs, [document_id(d["uri"]) for d in docs],
                                           self.store.terms)
                    for result in items:
                        self._commit_safely(result)
            except BaseException:  # rolled back: the summary counts what the store holds
                self._back_to(mark)
                raise
            sync_index(self.store, self.index)
            self.merge_skills(reduce(merge_skills, (batch.skills for batch in batches), {}))

    def _commit_safely(self, result) -> None:
        """Commit one item in its own savepoint: data the store cannot hold (text that is
        not UTF-8, a number too large) fails that item, at stage ``store`` with the
        reason, and the batch and the run go on."""
        mark = self._mark()
        try:
            with self.store.transaction():
                self._commit_item(result)
        except STORE_DATA_ERRORS as exc:
            log.warning("%s cannot be stored: %s", result.item.uri, exc)
            self._back_to(mark)
            self._commit_item(ItemResult(result.item, "failed", sha256=result.sha256,
                                         stage="store", message="cannot be stored: "
                                         f"{type(exc).__name__}: {exc}"))

    def _mark(self) -> tuple[dict[str, int], int]:
        """The summary's counts and number of errors now (before a transaction)."""
        return dict(self.summary.documents), len(self.summary.errors)

    def _back_to(self, mark: tuple[dict[str, int], int]) -> None:
        """The summary as it was at ``mark`` (its transaction rolled back)."""
        counts, errors = mark
        self.summary.documents.clear()
        self.summary.documents.update(counts)
        del self.summary.errors[errors:]

    def _commit_item(self, result) -> None:
        item, counts = result.item, self.summary.documents
        state = SourceState(uri=item.uri, size=item.size, mtime=item.mtime,
                            sha256=result.sha256, status=result.status, message=result.message,
                            version=item.version, stage=result.stage)
        if result.status == "unchanged":
            counts["unchanged"] += 1
            self.store.touch_source(item.uri, item.size, item.mtime, item.version)
            return
        if result.status == "failed":
            counts["failed"] += 1
            self._error(item.uri, result.stage, result.message, "error")
            if state.transient:  # it may go away: keep what was indexed, retry next run
                self.store.save_state(state)
            else:  # the item cannot be a document as it is: drop the stale version
                self.store.put_source(state, [])
            return
        records = [to_record(doc, item.uri, self.plan) for doc in result.documents]
        for record in records:
            counts["indexed"] += 1
            counts["partial"] += record.status == "partial"
            for warning in record.warnings:
                self._error(record.uri, "enrich" if warning.startswith(("skill ", "field "))
                            else "crack",
                            warning, "warning")
        state.status = "partial" if any(r.status == "partial" for r in records) else "ok"
        self.store.put_source(state, records)

    def _error(self, uri: str, stage: str, message: str, severity: str) -> None:
        self.store.record_error(self.summary.run_id, uri, stage, message, severity)
        self.summary.errors.append({"uri": uri, "stage": stage, "message": message,
                                    "severity": severity})

    def merge_skills(self, skills: dict[str, dict[str, Any]]) -> None:
        """Fold what the workers report for a batch, and what the corpus stage did
        here, into the run summary."""
        self.summary.skills = merge_skills(merge_skills(self.summary.skills, skills),
                                           self.engine.summary())

    def within_limit(self, batch: BatchResult, max_failed: int | None,
                     waiting: int = 0) -> BatchResult:
        """The batch up to the failure that takes the run past ``max_failed`` (counting
        the ``waiting`` failures of batches not committed yet): the items after it are
        not committed (the next run processes them)."""
        if max_failed is None:
            return batch
        left = max_failed - self.summary.documents["failed"] - waiting
        for n, result in enumerate(batch.items):
            left -= result.status == "failed"
            if left < 0:
                return BatchResult(batch.items[:n + 1], batch.skills)
        return batch


def run_index(source_uri: str, options: IndexOptions | None = None,
              progress: Progress | None = None) -> RunSummary:
    """Index ``source_uri`` into ``options.data_dir``; see the module docstring."""
    options = options or IndexOptions()
    started = time.monotonic()
    skillset = Skillset.load(options.skillset)
    plan = build_plan(skillset)  # validate before any document runs
    check_runner(options.engine)
    if options.cache and not cache_allowed(plan):
        log.warning("a pii skill redacts without keep_original: indexing without the "
                    "enrichment cache, which would keep the original text")
        options = replace(options, cache=False)
    unknown = [name for name in options.reset_skills if name not in {b.name for b in plan.skills}]
    if unknown:
        raise EnrichError(f"--reset-skill {', '.join(unknown)}: not in the skillset; its skills "
                          f"are {', '.join(b.name for b in plan.skills)}")
    data_dir = Path(options.data_dir)
    source = open_source(source_uri, exclude=(str(data_dir),), **_reader_options(options))

    def runner(split_pages: int | None) -> Runner:  # opened once the work is known
        return open_runner(options.engine, skillset, _worker_config(source_uri, options),
                           workers=options.workers, doc_timeout=options.doc_timeout,
                           address=options.ray_address, split_pages=split_pages)
    try:
        with DataDir(data_dir).locked():  # one writer per data directory, whatever the index
            store, index = open_store(data_dir, options.index_url, skillset.field_specs)
            try:
                return _run(source, store, index, runner, plan, options, progress, started)
            finally:
                index.close()
                store.close()
    finally:
        close_source(source)


def _worker_config(source_uri: str, options: IndexOptions) -> WorkerConfig:
    """What the runner's processes need (the URI as given: a stored root drops a
    database password)."""
    return WorkerConfig(source_uri=source_uri, source_options=_reader_options(options),
                        cache_dir=str(DataDir(options.data_dir).cache) if options.cache else None,
                        max_bytes=options.max_bytes, context=RunContext(device=options.device),
                        memory_limit=default_memory_limit(options.workers)
                        if options.doc_memory == "auto" else options.doc_memory,
                        unpack_limits=options.unpack_limits)


def _run(source, store, index, runner, plan, options, progress, started) -> RunSummary:
    if index.stale:  # built with another layout: rebuild it from the store first
        log.warning("%s; rebuilding it now", index.stale)
        rebuild_index(store, index)
    sync_index(store, index)  # replay what a killed run left queued
    if store.set_resolution(plan.skillset.resolution):  # other rules: the store re-keys
        sync_index(store, index)
    fingerprint = skillset_fingerprint(plan)
    reindex = (options.reindex or options.reset or bool(options.reset_skills)
               or _skillset_changed(store, source.uri, fingerprint))
    _reset_cache(options)
    config = {k: str(v) for k, v in asdict(options).items() if k != "source_options"}
    config["source_options"] = str(_redacted(options.source_options))
    if not (options.retry_failed or options.limit is not None):
        # Only a run over every item may record the skillset it enriched with: after a
        # partial one, the next full run must still see the change and enrich again.
        config["fingerprint"] = fingerprint
    summary = RunSummary(run_id=store.start_run(source.uri, config), source=source.uri)
    try:
        _process(source, store, index, runner, plan, options, progress, summary, reindex)
    except BaseException as exc:
        stopped = isinstance(exc, KeyboardInterrupt)
        summary.status = "interrupted" if stopped else "crashed"
        summary.errors.append({"uri": source.uri, "stage": "run", "severity": "error",
                               "message": INTERRUPTED if stopped
                               else f"{type(exc).__name__}: {exc}"})
        raise
    finally:
        summary.seconds = round(time.monotonic() - started, 3)
        store.finish_run(summary.run_id, summary.to_dict())
    return summary


def _process(source, store, index, runner, plan, options, progress, summary,
             reindex) -> None:
    run = _Run(store, index, plan, summary)
    listing = list(source.list())
    summary.documents["seen"] = len(listing)
    states = store.states()
    todo = _plan_items(listing, states if options.retry_failed or not reindex else {},
                       summary, options.retry_failed)[: options.limit]
    if listing or options.allow_empty:
        _delete_missing(run, source.uri, {i.uri for i in listing}, states,
                        getattr(source, "unreadable", set()))
    elif any(_under(uri, source.uri) for uri in states):
        kept = sum(_under(uri, source.uri) for uri in states)
        run._error(source.uri, "source", f"the source lists nothing: the {kept} items "
                   "indexed from it are kept (a wrong container, bucket or credentials?); "
                   "run with --allow-empty to delete them", "warning")
    done, group, last = 0, [], commits.clock()
    patience = min(TICK_SECONDS, options.commit_seconds) if options.commit_seconds else None
    if progress:
        progress(0, len(todo))
    with runner(split_pages(todo, options)) as running:
        try:
            for batch in running.run(_batches(todo, batch_size(len(todo), options)), patience):
                if batch is not None:  # None: the next batch is keeping us waiting
                    group.append(run.within_limit(batch, options.max_failed, failed_in(group)))
                    done += len(group[-1].items)
                    if progress:
                        progress(done, len(todo))  # enriched; committed within commit_seconds
                crossed = options.max_failed is not None and (  # then the run stops here
                    summary.documents["failed"] + failed_in(group) > options.max_failed)
                if not group or not (crossed or commit_due(group, last, options.commit_seconds)):
                    continue
                ready, group = group, []
                run.commit(ready)
                last = commits.clock()
                if _too_many_failures(summary, options):
                    break  # closing the runner abandons the batches in flight
        except KeyboardInterrupt:  # keep what was enriched (a second one rolls it back)
            if group:
                run.commit(group, interrupted=True)
            raise
        if group:
            run.commit(group)
    if _too_many_failures(summary, options):
        summary.status = "failed"
    run.merge_skills({})


SECRET_OPTIONS = ("connection_string", "password", "key", "sas_token", "secret", "token")


def _redacted(source_options: dict[str, Any]) -> dict[str, Any]:
    """Source options fit to store in the run record: secrets (a connection string
    with its AccountKey) are never written."""
    return {k: "(redacted)" if any(word in k for word in SECRET_OPTIONS) and k != "key"
            else v for k, v in source_options.items()}


def _reset_cache(options: IndexOptions) -> None:
    """Create the enrichment cache before the workers open it (one process sets it up);
    ``--reset`` forgets all of it, ``--reset-skill`` one skill's part."""
    if not (options.cache or options.reset or options.reset_skills):
        return
    from enrich.cache import EnrichmentCache
    try:
        with EnrichmentCache.open(DataDir(options.data_dir).cache) as cache:
            if options.reset:
                cache.clear()
            for name in options.reset_skills:
                cache.forget_skill(name)
    except (sqlite3.Error, OSError) as exc:
        if options.reset or options.reset_skills:
            raise EnrichError(f"cannot reset the enrichment cache: {exc}") from exc
        log.warning("enrichment cache unusable, indexing without it: %s", exc)


def _reader_options(options: IndexOptions) -> dict[str, Any]:
    """The source options a worker opens its source with (it only reads)."""
    found = {**options.source_options}
    if options.max_bytes is not None:
        found["max_bytes"] = options.max_bytes
    return found


def skillset_fingerprint(plan: Plan) -> str:
    """What decides the enrichment: skills, their versions and parameters, mappings."""
    described = {"skillset": plan.skillset.to_dict(),  # the device is left out: same results
                 "versions": {b.name: b.cls.version for b in plan.skills}}
    return hashlib.sha256(json.dumps(described, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _skillset_changed(store: Store, source_uri: str, fingerprint: str) -> bool:
    """Whether the last finished run of this source used another skillset."""
    for run in store.runs(50):
        config = run.get("config") or {}
        if run.get("source") == source_uri and run.get("finished_at") and "fingerprint" in config:
            return config["fingerprint"] != fingerprint
    return False


def _delete_missing(run: _Run, root: str, present: set[str], states: dict,
                    unreadable: set[str] = frozenset()) -> None:
    """Delete the items under ``root`` the listing no longer has (but not those under
    a part the source could not read this time)."""
    gone = [uri for uri in states if _under(uri, root) and uri not in present
            and not any(_under(uri, part) for part in unreadable)]
    with run.store.transaction():
        for uri in gone:
            run.store.delete_source(uri)
    run.summary.documents["deleted"] = len(gone)
    sync_index(run.store, run.index)


def _too_many_failures(summary: RunSummary, options: IndexOptions) -> bool:
    return options.max_failed is not None and summary.documents["failed"] > options.max_failed
