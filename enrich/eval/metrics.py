"""Scores: exact-span precision, recall and F1 per type, micro and macro; precision
per confidence bucket; the graph figures of DocRED gold (pairs found and linked,
coreference clusters kept on one key).

A prediction is a :class:`Found` (document, span in the gold's units, the gold types
it may match after the label map, confidence, entity key). Gold mentions count once
per ``(document, span, type)``; so do predictions (the highest confidence kept).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Iterable, Sequence

from enrich.eval.gold import GoldDoc

__all__ = ["Found", "BUCKETS", "prf", "score_entities", "calibration", "graph_scores",
           "dedupe"]

BUCKETS = (0.0, 0.5, 0.7, 0.85, 0.95, 1.0)


@dataclass(frozen=True)
class Found:
    """One mention the pipeline found, in the gold's units and types."""

    doc: int
    start: int
    end: int
    types: tuple[str, ...]  # gold types it may match (the label map's targets), first = its own
    confidence: float | None = None
    key: str | None = None


def prf(tp: int, fp: int, fn: int) -> dict[str, Any]:
    """Precision, recall, F1 (0 where undefined) with the counts."""
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4),
            "tp": tp, "fp": fp, "fn": fn}


def dedupe(found: Iterable[Found]) -> list[Found]:
    """One prediction per (document, span, types): the most confident."""
    best: dict[tuple, Found] = {}
    for f in found:
        k = (f.doc, f.start, f.end, f.types)
        old = best.get(k)
        if old is None or (f.confidence or -1.0) > (old.confidence or -1.0):
            best[k] = f
    return list(best.values())


def gold_spans(docs: Sequence[GoldDoc]) -> dict[tuple[int, int, int], set[str]]:
    """``{(doc, start, end): gold types}``."""
    spans: dict[tuple[int, int, int], set[str]] = defaultdict(set)
    for i, doc in enumerate(docs):
        for m in doc.mentions:
            spans[(i, m.start, m.end)].add(m.type)
    return spans


def match(docs: Sequence[GoldDoc], found: Sequence[Found]) -> list[tuple[Found, str | None]]:
    """Each prediction with the gold type it matched (None: a false positive). A gold
    mention is matched at most once."""
    spans, used = gold_spans(docs), set()
    out = []
    for f in sorted(dedupe(found), key=lambda f: (f.doc, f.start, f.end, -(f.confidence or 0))):
        hit = next((t for t in f.types if t in spans.get((f.doc, f.start, f.end), ())
                    and (f.doc, f.start, f.end, t) not in used), None)
        if hit is not None:
            used.add((f.doc, f.start, f.end, hit))
        out.append((f, hit))
    return out


def score_entities(docs: Sequence[GoldDoc], found: Sequence[Found]) -> dict[str, Any]:
    """Per gold type, micro and macro exact-span P/R/F1, and the same ignoring types."""
    support = Counter(t for types in gold_spans(docs).values() for t in types)
    tp, fp = Counter(), Counter()
    for f, hit in match(docs, found):
        if hit is None:
            fp[f.types[0]] += 1
        else:
            tp[hit] += 1
    per_type = {t: {**prf(tp[t], fp[t], support[t] - tp[t]), "support": support[t]}
                for t in sorted(support)}
    micro = prf(sum(tp.values()), sum(fp.values()), sum(support.values()) - sum(tp.values()))
    macro = {k: round(sum(s[k] for s in per_type.values()) / len(per_type), 4) if per_type
             else 0.0 for k in ("precision", "recall", "f1")}
    gold_untyped = {k for k in gold_spans(docs)}
    found_untyped = {(f.doc, f.start, f.end) for f in found}
    hits = len(gold_untyped & found_untyped)
    untyped = prf(hits, len(found_untyped) - hits, len(gold_untyped) - hits)
    return {"per_type": per_type, "micro": micro, "macro": macro, "untyped": untyped}


def calibration(docs: Sequence[GoldDoc], found: Sequence[Found],
                edges: Sequence[float] = BUCKETS) -> dict[str, Any]:
    """Precision of the predictions per confidence bucket (``[low, high)``, the last
    closed), with counts; predictions without a confidence in a bucket of their own.
    ``rising`` says whether precision rises (or stays) from each filled bucket to
    the next."""
    rows = [{"bucket": f"[{lo:.2f}, {hi:.2f}{']' if hi == edges[-1] else ')'}", "low": lo,
             "high": hi, "mentions": 0, "correct": 0} for lo, hi in zip(edges, edges[1:])]
    none = {"bucket": "none", "low": None, "high": None, "mentions": 0, "correct": 0}
    for f, hit in match(docs, found):
        c = f.confidence
        row = none if c is None else next(
            (r for r in rows if r["low"] <= c < r["high"]), rows[-1] if c >= edges[-1] else rows[0])
        row["mentions"] += 1
        row["correct"] += hit is not None
    for row in (*rows, none):
        row["precision"] = round(row["correct"] / row["mentions"], 4) if row["mentions"] else None
    filled = [r["precision"] for r in rows if r["mentions"]]
    return {"buckets": rows + ([none] if none["mentions"] else []),
            "rising": all(a <= b for a, b in zip(filled, filled[1:])) if filled else None}


def graph_scores(docs: Sequence[GoldDoc], found: Sequence[Found]) -> dict[str, Any]:
    """DocRED figures at document scope: (a) gold entity pairs whose both ends were
    found and linked (different keys, both present), over all pairs and over the
    related pairs; (b) gold clusters with >= 2 found mentions whose found mentions
    all carry one key."""
    keys_at: dict[tuple[int, int, int, str], set[str]] = defaultdict(set)
    for f in found:
        for t in f.types:
            if f.key:
                keys_at[(f.doc, f.start, f.end, t)].add(f.key)
    pairs, related, clusters = Counter(), Counter(), Counter()
    mentions = Counter()
    for i, doc in enumerate(docs):
        keys: dict[int, set[str]] = defaultdict(set)
        found_in: Counter = Counter()
        for m in doc.mentions:
            got = keys_at.get((i, m.start, m.end, m.type), set())
            mentions["gold"] += 1
            mentions["found"] += bool(got)
            if got and m.cluster is not None:
                keys[m.cluster] |= got
                found_in[m.cluster] += 1
        entities = sorted({m.cluster for m in doc.mentions if m.cluster is not None})
        for a, b in combinations(entities, 2):
            _count_pair(pairs, keys.get(a), keys.get(b))
        for a, b in doc.relations:
            _count_pair(related, keys.get(a), keys.get(b))
        for c, n in found_in.items():
            if n >= 2:
                clusters["eligible"] += 1
                clusters["one_key"] += len(keys[c]) == 1
    return {"pairs": _rate(pairs, "linked", "pairs"),
            "related_pairs": _rate(related, "linked", "pairs"),
            "clusters": _rate(clusters, "one_key", "eligible"),
            "mentions_found": _rate(mentions, "found", "gold")}


def _count_pair(counter: Counter, a: set[str] | None, b: set[str] | None) -> None:
    counter["pairs"] += 1
    if a and b:
        counter["found"] += 1
        counter["linked"] += any(x != y for x in a for y in b)


def _rate(counter: Counter, part: str, whole: str) -> dict[str, Any]:
    out = {k: counter[k] for k in sorted(counter)} or {part: 0, whole: 0}
    out["rate"] = round(counter[part] / counter[whole], 4) if counter[whole] else None
    return out
