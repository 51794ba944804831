"""``enrich eval retrieval``: index a BEIR corpus with the real indexer, run its queries
through :func:`enrich.searching.search` and score the rankings per search mode.

Each corpus document is written as a text file (``WORK/corpus/dNNNNNN.txt``: its title,
a blank line, its text) and the folder is indexed by :func:`enrich.indexer.run_index`
with the skillset given into ``WORK/index``. A search result's document id is
``document_id(file URI)``, which maps back to the BEIR ``_id``, so any ``_id`` works,
whatever characters it holds. Queries run with the lenient syntax (a sentence is never
refused), the first 100 results each; equal scores are ordered by BEIR id (a fixed
tie-break, as trec_eval breaks ties by document id: a run does not depend on the order
documents were indexed in), and a result whose BEIR id is the query's own id is dropped,
as BEIR does. Only queries with a relevant document are scored.

Modes: ``keyword`` is what :func:`~enrich.searching.search` does today. ``vector`` and
``hybrid`` are passed as ``mode=`` once ``search`` takes that argument; until then they
are a :class:`ModeUnavailableError` before anything is indexed.
"""

from __future__ import annotations

import inspect
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

from enrich.eval.errors import ModeUnavailableError, UnknownModeError
from enrich.eval.evaluate import _work_folder
from enrich.eval.retrieval_data import BeirDoc, BeirQuery, BeirSet, read_beir
from enrich.eval.retrieval_metrics import CUTOFFS, mean_scores, query_scores
from enrich.indexer import IndexOptions, run_index
from enrich.records import document_id
from enrich.searching import search

__all__ = ["MODES", "RetrievalOptions", "parse_modes", "available_modes", "write_corpus",
           "evaluate_retrieval"]

MODES = ("keyword", "vector", "hybrid")
DEPTH = max(CUTOFFS.values())  # results asked of each search


@dataclass
class RetrievalOptions:
    """How to run ``enrich eval retrieval`` (the CLI's options)."""

    corpus: Path
    queries: Path
    qrels: Path
    modes: tuple[str, ...] = ("keyword",)
    skillset: Any = None
    work: Path | None = None  # kept work folder; None: a temporary one
    workers: int = 1
    batch_size: int = 16


def _search_takes_mode() -> bool:
    return "mode" in inspect.signature(search).parameters


def available_modes() -> tuple[str, ...]:
    """The modes :func:`search` offers: all of them once it takes ``mode=``."""
    return MODES if _search_takes_mode() else ("keyword",)


def parse_modes(values: Iterable[str]) -> tuple[str, ...]:
    """``--mode`` values (repeated, or comma lists) -> modes in the order given, checked."""
    modes: list[str] = []
    for value in values:
        for mode in (m.strip().lower() for m in value.split(",")):
            if mode and mode not in modes:
                modes.append(mode)
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        raise UnknownModeError(f"--mode {', '.join(unknown)}: unknown; the modes are "
                               f"{', '.join(MODES)}")
    missing = [m for m in modes if m not in available_modes()]
    if missing:
        raise ModeUnavailableError(f"--mode {', '.join(missing)}: not available yet (search "
                                   f"offers {', '.join(available_modes())})")
    return tuple(modes) or ("keyword",)


def write_corpus(docs: Sequence[BeirDoc], folder: Path) -> dict[str, str]:
    """One text file per document (a file already holding it is left alone, so a kept
    work folder re-indexes only what changed); ``{document id: BEIR _id}``."""
    folder.mkdir(parents=True, exist_ok=True)
    ids, names = {}, set()
    for i, doc in enumerate(docs):
        path = folder / f"d{i + 1:06d}.txt"
        data = (f"{doc.title}\n\n{doc.text}" if doc.title else doc.text).encode("utf-8")
        if not path.is_file() or path.read_bytes() != data:
            path.write_bytes(data)
        ids[document_id(path.resolve().as_uri())] = doc.id
        names.add(path.name)
    for stale in folder.glob("d*.txt"):
        if stale.name not in names:  # from a larger corpus: the indexer deletes it too
            stale.unlink()
    return ids


def _ranking(data: Path, query: BeirQuery, mode: str, ids: dict[str, str]) -> list[str]:
    more = {"mode": mode} if _search_takes_mode() else {}
    found = search(data, query.text, top=DEPTH, syntax="lenient", **more)
    hits = [(-float(r.get("score") or 0.0), ids[r["id"]]) for r in found.results
            if r.get("id") in ids]
    return [doc for _, doc in sorted(hits) if doc != query.id]


def _score_mode(data: Path, beir: BeirSet, queries: list[BeirQuery], mode: str,
                ids: dict[str, str]) -> dict[str, Any]:
    started, rows = time.monotonic(), []
    for query in queries:
        rows.append((query, query_scores(_ranking(data, query, mode, ids), beir.qrels[query.id])))
    out: dict[str, Any] = {"overall": mean_scores([s for _, s in rows])}
    groups = sorted({q.group for q in queries if q.group is not None})
    if groups:
        out["groups"] = {g: mean_scores([s for q, s in rows if q.group == g]) for g in groups}
    out["seconds"] = round(time.monotonic() - started, 2)
    out["per_query"] = {q.id: {k: round(v, 4) for k, v in s.items()} for q, s in rows}
    return out


def evaluate_retrieval(options: RetrievalOptions) -> dict[str, Any]:
    """nDCG@10, recall@100 and MRR@10 per mode, overall and per query group."""
    modes = parse_modes(options.modes)
    beir = read_beir(options.corpus, options.queries, options.qrels)
    judged = beir.judged_queries()
    report: dict[str, Any] = {
        "corpus": {"path": str(options.corpus), "documents": len(beir.corpus)},
        "queries": {"path": str(options.queries), "queries": len(beir.queries),
                    "scored": len(judged),
                    "groups": _group_counts(judged)},
        "qrels": {"path": str(options.qrels),
                  "judgements": sum(len(r) for r in beir.qrels.values()),
                  "relevant": sum(s > 0 for r in beir.qrels.values() for s in r.values())},
        "cutoffs": dict(CUTOFFS)}
    with _work_folder(options.work) as work:
        ids = write_corpus(beir.corpus, work / "corpus")
        started = time.monotonic()
        summary = run_index(str((work / "corpus").resolve()), IndexOptions(
            data_dir=work / "index", skillset=options.skillset, workers=options.workers,
            batch_size=options.batch_size, cache=True))
        report["pipeline"] = {"skillset": str(options.skillset or "default"),
                              "seconds": round(time.monotonic() - started, 2),
                              "documents": dict(summary.documents),
                              "errors": list(summary.errors)[:20]}
        report["modes"] = {mode: _score_mode(work / "index", beir, judged, mode, ids)
                           for mode in modes}
    return report


def _group_counts(queries: list[BeirQuery]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for query in queries:
        if query.group is not None:
            counts[query.group] = counts.get(query.group, 0) + 1
    return dict(sorted(counts.items()))
