"""The work one process does on one batch: read, crack, run the per-document skills.

Three public steps, which every batch runner (``enrich.runners``) calls: :meth:`Worker.crack`
(read and crack the items), :meth:`Worker.enrich` (the per-document skills, all or one
stage's) and :meth:`Worker.finish` (the graph part, and the :class:`BatchResult`);
:meth:`Worker.process` is the three in a row. A runner process builds its worker with
:func:`start_worker` (models load once per process). Skill status (a model seen, a skill
disabled, records run or taken from the cache) is folded in one place,
:func:`merge_skills`, wherever it meets: a retried batch, Ray stages, the run summary.

Never raises for a bad document: each item comes back with its
status and reason: a read fails at stage ``read`` (may go away: tried again next
run), ``source`` (the source says the item is gone or unreadable for good) or
``size`` (over ``max_bytes``). Unchanged bytes (same SHA-256 as last time) skip
cracking.

With ``WorkerConfig.cache_dir`` set, the worker opens the enrichment cache
(``enrich.cache``): bytes cracked before (a moved file, a re-index after a
skillset change) come from it instead of the cracker, and the engine reuses the
skill outputs it holds. A cache that cannot be opened is logged and left out.
"""

from __future__ import annotations

import hashlib
import logging
import mmap
import os
import sqlite3
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Collection

from indexers.crackers.limits import LIMITS, Limits
from indexers.sources import (Source, SourceError, SourceItem, TooLarge, TransientSourceError,
                              check_size, close_source, open_source)
from skills.base import RunContext

from enrich.cache import EnrichmentCache, cracked_value, rebind
from enrich.cache_keys import crack_key
from enrich.engine import Engine
from enrich.page_parts import phases
from enrich.plan import build_plan
from enrich.records import attach_graph
from enrich.skillset import Skillset

__all__ = ["Batch", "ItemResult", "BatchResult", "Worker", "WorkerConfig", "merge_skills",
           "start_worker", "limit_memory", "default_memory_limit"]

log = logging.getLogger(__name__)

# Items larger than this are memory-mapped from a file (when the source can open one)
# rather than read into memory: the OS pages them in as a cracker needs them.
MAP_BYTES = 32 << 20


@dataclass
class ItemResult:
    """What became of one source item."""

    item: SourceItem
    status: str  # "ok" | "partial" | "failed" | "unchanged"
    sha256: str = ""
    stage: str = ""
    message: str = ""
    documents: list[dict[str, Any]] = field(default_factory=list)


Batch = list[tuple[SourceItem, "str | None"]]  # items with the content hash they had
SkillStatus = dict[str, dict[str, Any]]  # {name: {skill, version, model, disabled, ran, cached}}


@dataclass
class BatchResult:
    """A batch's items, in order, and the skill status of the work done on them."""

    items: list[ItemResult]
    skills: SkillStatus
    # (item, document) indexes of long documents enriched only up to their page-level
    # skills (Worker.process with split_pages): the runner finishes them in parts
    unfinished: list[tuple[int, int]] = field(default_factory=list)


def merge_skills(known: SkillStatus, more: SkillStatus) -> SkillStatus:
    """``known`` and ``more`` folded into a new status: a model either saw, a skill
    either disabled (the first reason), and the ``ran``/``cached`` counts added up."""
    out = {name: dict(skill) for name, skill in known.items()}
    for name, skill in more.items():
        into = out.setdefault(name, {**skill, "ran": 0, "cached": 0})
        into["model"] = into.get("model") or skill.get("model")
        into["disabled"] = into.get("disabled") or skill.get("disabled")
        into["ran"] = into.get("ran", 0) + skill.get("ran", 0)
        into["cached"] = into.get("cached", 0) + skill.get("cached", 0)
    return out


def disabled_in(status: SkillStatus) -> dict[str, str]:
    """``{name: reason}`` of the skills ``status`` says are disabled."""
    return {name: skill["disabled"] for name, skill in status.items() if skill.get("disabled")}


@dataclass(frozen=True)
class WorkerConfig:
    """What every worker process needs besides the skillset (picklable)."""

    source_uri: str
    source_options: dict[str, Any] = field(default_factory=dict)  # open_source(uri, **options)
    cache_dir: str | None = None  # the enrichment cache (None: no cache)
    max_bytes: int | None = None  # items larger than this fail as too large
    context: RunContext = RunContext()  # the run's device; start_worker shares the cores
    memory_limit: int | None = None  # bytes a worker process may allocate (limit_memory)
    unpack_limits: Limits | None = None  # what containers may unpack (None: the defaults)

    def open_source(self) -> Source:
        return open_source(self.source_uri, **self.source_options)


class Worker:
    """Holds the engine, source and enrichment cache of one process."""

    def __init__(self, skillset: Skillset, config: WorkerConfig) -> None:
        self.cache = _open_cache(config.cache_dir)
        self.engine = Engine(build_plan(skillset), cache=self.cache, context=config.context)
        self.phases = phases(self.engine.plan)  # the plan's cut for long documents in parts
        self.config = config
        self.source = config.open_source()

    def close(self) -> None:
        """Release the enrichment cache and the source's connections."""
        if self.cache is not None:
            self.cache.close()
        close_source(self.source)

    def process(self, batch: Batch, split_pages: int | None = None) -> BatchResult:
        """The whole batch in this process: crack, enrich, finish. With ``split_pages``,
        a document of more pages than that is enriched only up to its page-level skills
        and listed in ``unfinished``, for the runner to finish in parts on any process
        (:mod:`enrich.page_parts`: :meth:`enrich_part`, then :meth:`finish_document`)."""
        items = self.crack(batch)
        phases = self.phases
        if not split_pages or not phases.pages:
            return self.finish(items, self.enrich(items))
        long = [(i, j) for i, result in enumerate(items)
                for j, doc in enumerate(result.documents)
                if len(doc.get("pages") or ()) > split_pages]
        if not long:
            return self.finish(items, self.enrich(items))
        held = {id(items[i].documents[j]) for i, j in long}
        whole = [doc for result in items for doc in result.documents if id(doc) not in held]
        self.engine.run_documents(whole)
        self.engine.run_documents([items[i].documents[j] for i, j in long], phases.before)
        attach_graph(whole, self.engine.plan)
        return BatchResult(items=items, skills=self.engine.summary(), unfinished=long)


    def enrich_part(self, part: dict[str, Any]) -> tuple[dict[str, Any], SkillStatus]:
        """Run the page-level skills over one part of a long document's pages."""
        self.engine.run_documents([part], self.phases.pages)
        return part, self.engine.summary()

    def finish_document(self, doc: dict[str, Any]) -> tuple[dict[str, Any], SkillStatus]:
        """Run the skills after the page-level ones over a long document whose parts
        are merged back, and work out its graph part."""
        self.engine.run_documents([doc], self.phases.after)
        attach_graph([doc], self.engine.plan)
        return doc, self.engine.summary()

    def crack(self, batch: Batch) -> list[ItemResult]:
        """Read and crack each item (never raises: a bad item comes back failed)."""
        return [self._crack_one(item, old_sha) for item, old_sha in batch]

    def enrich(self, items: list[ItemResult], skills: Collection[str] | None = None,
               known: SkillStatus | None = None) -> SkillStatus:
        """Run the per-document skills (all, or those named in ``skills``) over the
        documents of ``items``, in place; ``known`` is the status an earlier stage
        reported (a skill it disabled stays disabled here). Returns this call's status
        with its ``ran``/``cached`` counts. Writes the cache, cracked documents included."""
        docs = [doc for result in items for doc in result.documents]
        self.engine.run_documents(docs, skills, disabled_in(known or {}))
        return self.engine.summary()

    def finish(self, items: list[ItemResult], skills: SkillStatus) -> BatchResult:
        """Work out the graph part of every enriched document (here, not in the driver)
        and wrap up the batch."""
        attach_graph([doc for result in items for doc in result.documents], self.engine.plan)
        return BatchResult(items=items, skills=skills)

    def _crack_one(self, item: SourceItem, old_sha: str | None) -> ItemResult:
        from indexers.crackers import Blob, CrackError
        data = self._read(item)
        if isinstance(data, ItemResult):
            return data
        try:
            sha = hashlib.sha256(data).hexdigest()
            if sha == old_sha:
                return ItemResult(item, "unchanged", sha256=sha)
            modified = datetime.fromtimestamp(item.mtime, timezone.utc).isoformat()
            limits = self.config.unpack_limits
            blob = Blob(uri=item.uri, name=item.name, data=data, size=item.size,
                        modified=modified, mime_type=getattr(item, "content_type", None),
                        extra={LIMITS: limits} if limits else {})
            try:
                docs = self._cracked(blob, sha)
            except CrackError as exc:
                return ItemResult(item, "failed", sha256=sha, stage="crack", message=str(exc))
            except MemoryError:
                return ItemResult(item, "failed", sha256=sha, stage="crack",
                                  message=self._out_of_memory("cracking it"))
            except Exception as exc:  # noqa: BLE001 - a cracker bug fails this item only
                log.exception("cracker crashed on %s", item.uri)
                return ItemResult(item, "failed", sha256=sha, stage="crack",
                                  message=f"{type(exc).__name__}: {exc}")
            return ItemResult(item, "ok", sha256=sha, documents=docs)
        finally:
            if isinstance(data, mmap.mmap):
                data.close()

    def _out_of_memory(self, doing: str) -> str:
        limit = self.config.memory_limit
        return (f"out of memory: {doing} needs more than this worker may allocate"
                + (f" ({limit / (1 << 20):,.0f} MB, --doc-memory)" if limit else ""))

    def _read(self, item: SourceItem) -> bytes | ItemResult:
        """The item's bytes, or its failure: ``size`` (over ``max_bytes``) and ``source``
        (the source says it is gone for good) are permanent, ``read`` is tried again."""
        limit = self.config.max_bytes
        try:
            check_size(item.name, item.size, limit)  # known from the listing: not read
            data = self._fetch(item)
            check_size(item.name, len(data), limit)
        except TooLarge as exc:
            return ItemResult(item, "failed", stage="size", message=f"too large: {exc}")
        except TransientSourceError as exc:
            return ItemResult(item, "failed", stage="read", message=f"cannot read: {exc}")
        except SourceError as exc:
            return ItemResult(item, "failed", stage="source", message=f"cannot read: {exc}")
        except Exception as exc:  # noqa: BLE001 - I/O errors may go away: tried again
            return ItemResult(item, "failed", stage="read", message=f"cannot read: {exc}")
        return data

    def _fetch(self, item: SourceItem) -> bytes | mmap.mmap:
        """The item's bytes; a large item of a source that can ``open`` it is mapped
        from its file (a local file, or a download spooled to disk) instead of being
        read into memory."""
        opener = getattr(self.source, "open", None)
        if opener is None or item.size <= MAP_BYTES:
            return self.source.read(item)
        with opener(item) as file:
            if getattr(file, "_rolled", True) is False:  # a spooled file still in memory
                return file.read()
            if os.fstat(file.fileno()).st_size == 0:
                return b""
            return mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)  # keeps its own fd

    def _cracked(self, blob: Any, sha: str) -> list[dict[str, Any]]:
        """The blob's documents: from the cache when these bytes were cracked before."""
        from indexers.crackers import crack
        if self.cache is None:
            return crack(blob)
        limits = self.config.unpack_limits
        key = crack_key(sha, blob.name, blob.size, blob.mime_type,
                        limits.describe() if limits and limits != Limits() else None)
        hit = self.cache.get(key)
        if hit is not None:
            return rebind(hit.value(), blob.uri, blob.modified)
        docs = crack(blob)
        self.cache.put(key, cracked_value(docs, blob.uri, blob.modified), kind="cracked")
        return docs


def _open_cache(folder: str | None) -> EnrichmentCache | None:
    if folder is None:
        return None
    try:
        return EnrichmentCache.open(folder)
    except (OSError, sqlite3.Error) as exc:
        log.warning("enrichment cache in %s cannot be opened, running without it: %s",
                    folder, exc)
        return None


def default_memory_limit(workers: int) -> int | None:
    """A worker process's share of the machine's memory: three quarters of it, split
    between the workers (at least 1 GiB); None where the size cannot be known."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None
    return max(1 << 30, int(total * 0.75) // max(1, workers))


def limit_memory(limit: int | None) -> bool:
    """Cap this process's data (heap and private mappings: ``RLIMIT_DATA``) at ``limit``
    bytes, so a document that needs more fails with a MemoryError (that document is
    recorded failed with the reason; the run goes on) instead of taking the machine
    down. POSIX only; False where it cannot be set."""
    if limit is None:
        return False
    try:
        import resource
    except ImportError:  # Windows
        log.warning("--doc-memory is not enforced on this platform")
        return False
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    wanted = limit if hard == resource.RLIM_INFINITY else min(limit, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (wanted, hard))
    return True


def start_worker(skillset: Skillset, config: WorkerConfig, processes: int = 1) -> Worker:
    """Set up a runner's process (a pool process, a Ray actor) and build its worker;
    skills warm up on first use, with this process's share of the cores (``threads``
    of the run context: OCR runs that many images at once)."""
    logging.basicConfig(level=logging.WARNING)
    return Worker(skillset, replace(config, context=config.context.share(processes)))
