"""``enrich eval retrieval``: index a BEIR corpus with the real indexer, run its queries
through the index it made (opened once) and score the rankings per search mode.

Each corpus document is written as a text file (``WORK/corpus/dNNNNNN.txt``: its title,
a blank line, its text) and the folder is indexed by :func:`enrich.indexer.run_index`
with the skillset given into ``WORK/index``. A search result's document id is
``document_id(file URI)``, which maps back to the BEIR ``_id``, so any ``_id`` works,
whatever characters it holds. Queries run with the lenient syntax (a sentence is never
refused), the first 100 results each; equal scores are ordered by BEIR id (a fixed
tie-break, as trec_eval breaks ties by document id: a run does not depend on the order
documents were indexed in), and a result whose BEIR id is the query's own id is dropped,
as BEIR does. Only queries with a relevant document are scored.

Modes are those of ``enrich search --mode`` (:mod:`indexers.stores.hybrid`):
``keyword``, ``vector`` and ``hybrid``, each through the same search code users run.
The vector modes need chunk vectors: the built-in skillset makes them (``chunks`` and
``embeddings``); a skillset given without them is a ``NoVectorsError`` saying so.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from enrich.eval.errors import UnknownModeError
from enrich.eval.evaluate import work_folder
from enrich.eval.retrieval_data import BeirQuery, BeirSet, read_beir
from enrich.eval.retrieval_metrics import CUTOFFS, mean_scores, query_scores
from enrich.eval.runner import index_texts
from enrich.records import document_id
from indexers.stores import SearchIndex, hybrid, open_index

__all__ = ["MODES", "RetrievalOptions", "parse_modes", "ranking", "evaluate_retrieval"]

MODES = hybrid.MODES
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
    return tuple(modes) or ("keyword",)


def ranking(results: Iterable[dict[str, Any]], query_id: str, ids: dict[str, str]) -> list[str]:
    """BEIR ids of search ``results`` (``{id, score}``), best first: equal scores by
    BEIR id, documents not of the set and the query's own id dropped, as BEIR does."""
    hits = [(-float(r.get("score") or 0.0), ids[r["id"]]) for r in results if r.get("id") in ids]
    return [doc for _, doc in sorted(hits) if doc != query_id]


def _score_mode(index: SearchIndex, mode: str, beir: BeirSet, queries: list[BeirQuery],
                ids: dict[str, str]) -> dict[str, Any]:
    started, rows = time.monotonic(), []
    for query in queries:
        found = hybrid.search(index, query.text, mode=mode, top=DEPTH, syntax="lenient",
                              highlight=False)
        rows.append((query, query_scores(ranking(found.results, query.id, ids),
                                         beir.qrels[query.id])))
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
    with work_folder(options.work) as work:
        texts = [f"{d.title}\n\n{d.text}" if d.title else d.text for d in beir.corpus]
        files, summary, seconds = index_texts(
            texts, work, folder="corpus", skillset=options.skillset, workers=options.workers,
            batch_size=options.batch_size)
        ids = {document_id(path.as_uri()): doc.id for path, doc in zip(files, beir.corpus)}
        report["pipeline"] = {"skillset": str(options.skillset or "default"),
                              "seconds": seconds, "documents": dict(summary.documents),
                              "errors": list(summary.errors)[:20]}
        index = open_index(work / "index")
        try:
            report["modes"] = {mode: _score_mode(index, mode, beir, judged, ids)
                               for mode in modes}
        finally:
            index.close()
    return report


def _group_counts(queries: list[BeirQuery]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for query in queries:
        if query.group is not None:
            counts[query.group] = counts.get(query.group, 0) + 1
    return dict(sorted(counts.items()))
