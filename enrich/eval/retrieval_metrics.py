"""Ranking metrics of ``enrich eval retrieval``: nDCG@k, recall@k and MRR@k, as BEIR
(pytrec_eval / trec_eval) computes them.

``ranking`` is the list of corpus ids a search returned, best first; ``judged`` maps
corpus ids to their qrels score. A document is relevant when its score is above 0.

* nDCG@k: ``DCG = sum(gain / log2(rank + 1))`` over the first ``k`` results (rank from
  1), the gain being the qrels score itself (trec_eval's linear gain); the ideal DCG
  ranks the judged documents by score. 0 when nothing is relevant.
* recall@k: relevant documents among the first ``k`` over all relevant documents.
* MRR@k: ``1 / rank`` of the first relevant document within the first ``k``, else 0.
"""

from __future__ import annotations

import math
from typing import Iterable, Mapping, Sequence

__all__ = ["CUTOFFS", "ndcg_at", "recall_at", "mrr_at", "query_scores", "mean_scores"]

CUTOFFS = {"ndcg": 10, "recall": 100, "mrr": 10}


def _dcg(gains: Iterable[float]) -> float:
    return sum(gain / math.log2(rank + 1) for rank, gain in enumerate(gains, start=1))


def ndcg_at(ranking: Sequence[str], judged: Mapping[str, float], k: int) -> float:
    ideal = _dcg(sorted((s for s in judged.values() if s > 0), reverse=True)[:k])
    if ideal <= 0:
        return 0.0
    return _dcg(max(judged.get(doc, 0.0), 0.0) for doc in ranking[:k]) / ideal


def recall_at(ranking: Sequence[str], judged: Mapping[str, float], k: int) -> float:
    relevant = {doc for doc, score in judged.items() if score > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranking[:k])) / len(relevant)


def mrr_at(ranking: Sequence[str], judged: Mapping[str, float], k: int) -> float:
    for rank, doc in enumerate(ranking[:k], start=1):
        if judged.get(doc, 0.0) > 0:
            return 1.0 / rank
    return 0.0


def query_scores(ranking: Sequence[str], judged: Mapping[str, float]) -> dict[str, float]:
    """The three figures of one query at :data:`CUTOFFS`."""
    return {f"ndcg@{CUTOFFS['ndcg']}": ndcg_at(ranking, judged, CUTOFFS["ndcg"]),
            f"recall@{CUTOFFS['recall']}": recall_at(ranking, judged, CUTOFFS["recall"]),
            f"mrr@{CUTOFFS['mrr']}": mrr_at(ranking, judged, CUTOFFS["mrr"])}


def mean_scores(rows: Sequence[Mapping[str, float]]) -> dict[str, float | int]:
    """The mean of each figure over ``rows`` (rounded to 4 places), with their count."""
    names = list(rows[0]) if rows else list(query_scores([], {}))
    out: dict[str, float | int] = {"queries": len(rows)}
    for name in names:
        out[name] = round(sum(r[name] for r in rows) / len(rows), 4) if rows else 0.0
    return out
