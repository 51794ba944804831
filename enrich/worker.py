"""The work one process does on one batch: read, crack, run the per-document skills.

Runs in worker processes (one :class:`Engine` per process, so models load once per
worker) or inline. Never raises for a bad document: each item comes back with its
status and reason. Unchanged bytes (same SHA-256 as last time) skip cracking.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from indexers.sources import Source, SourceItem, open_source

from enrich.engine import Engine
from enrich.records import attach_graph
from enrich.skillset import Skillset

__all__ = ["ItemResult", "BatchResult", "Worker", "WorkerConfig", "init_process",
           "process_in_worker"]

log = logging.getLogger(__name__)


@dataclass
class ItemResult:
    """What became of one source item."""

    item: SourceItem
    status: str  # "ok" | "partial" | "failed" | "unchanged"
    sha256: str = ""
    stage: str = ""
    message: str = ""
    documents: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class BatchResult:
    items: list[ItemResult]
    skills: dict[str, dict[str, Any]]


@dataclass(frozen=True)
class WorkerConfig:
    """What every worker process needs besides the skillset (picklable)."""

    source_uri: str
    source_options: dict[str, Any] = field(default_factory=dict)  # open_source(uri, **options)
    cache_dir: str | None = None  # the enrichment cache (None: no cache)
    max_bytes: int | None = None  # items larger than this fail as too large

    def open_source(self) -> Source:
        return open_source(self.source_uri, **self.source_options)


class Worker:
    """Holds the engine and source of one process."""

    def __init__(self, skillset: Skillset, config: WorkerConfig) -> None:
        self.engine = Engine(skillset.build())
        self.config = config
        self.source = config.open_source()

    def process(self, batch: list[tuple[SourceItem, str | None]]) -> BatchResult:
        results = [self._crack(item, old_sha) for item, old_sha in batch]
        docs = [doc for result in results for doc in result.documents]
        self.engine.run_documents(docs)
        attach_graph(docs, self.engine.plan)
        return BatchResult(items=results, skills=self.engine.status())

    def _crack(self, item: SourceItem, old_sha: str | None) -> ItemResult:
        from indexers.crackers import Blob, CrackError, crack
        try:
            data = self.source.read(item)
        except Exception as exc:  # noqa: BLE001 - any read error fails this item only
            return ItemResult(item, "failed", stage="read", message=f"cannot read: {exc}")
        sha = hashlib.sha256(data).hexdigest()
        if sha == old_sha:
            return ItemResult(item, "unchanged", sha256=sha)
        modified = datetime.fromtimestamp(item.mtime, timezone.utc).isoformat()
        blob = Blob(uri=item.uri, name=item.name, data=data, size=item.size, modified=modified)
        try:
            docs = crack(blob)
        except CrackError as exc:
            return ItemResult(item, "failed", sha256=sha, stage="crack", message=str(exc))
        except Exception as exc:  # noqa: BLE001 - a cracker bug fails this item only
            log.exception("cracker crashed on %s", item.uri)
            return ItemResult(item, "failed", sha256=sha, stage="crack",
                              message=f"{type(exc).__name__}: {exc}")
        return ItemResult(item, "ok", sha256=sha, documents=docs)


_worker: Worker | None = None


def init_process(skillset: Skillset, config: WorkerConfig, processes: int = 1) -> None:
    """Pool initializer: build this process's worker (skills warm up on first use).

    ``ENRICH_PROCESSES`` tells skills that run their own threads (OCR) how many
    worker processes share the cores.
    """
    global _worker
    os.environ["ENRICH_PROCESSES"] = str(processes)
    logging.basicConfig(level=logging.WARNING)
    _worker = Worker(skillset, config)


def process_in_worker(batch: list[tuple[SourceItem, str | None]]) -> BatchResult:
    assert _worker is not None, "init_process was not called in this process"
    return _worker.process(batch)
