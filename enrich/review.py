"""The review queue: the entities (and rejected names) a person should look at first.

Each candidate gets **signals** of doubt, each a value in [0, 1] with what it saw:

- ``low_confidence``: 1 - the mean confidence of its mentions (those that have one);
- ``type_disagreement``: the share of its mentions a skill labelled with another type
  than the entity's, or of its names' type votes (``name_votes``) against the
  winning type, whichever is larger;
- ``near_duplicate``: the best rapidfuzz similarity (``token_sort_ratio``, ``ratio``
  or the optimal-string-alignment similarity, where two swapped letters are one edit,
  of the normalised names, from :data:`NEAR` up) to another entity of the
  same or a compatible type (:data:`COMPATIBLE`) with more mentions; names are
  compared only within blocks sharing a word, the first letters, or the first and last
  two letters (:func:`near_duplicates`), never all pairs;
- ``common_word``: for a one-word name, the share of its word's occurrences in the
  page texts written in lower case (from :data:`COMMON_FLOOR` up);
- ``rejected_common_word``: a name resolution rejected as a common word: 1 - that
  share (how close the rejection was).

**uncertainty** = 1 - prod(1 - value) over the signals; **impact** =
ln(1 + max(degree in the document-scope edges, mentions)); the queue is ordered by
**score** = impact x uncertainty. Entities an active correction names leave it, and
so do entities only the user's dictionary or gallery gave (``authority``). Each item
has a **suggestion** (a correction in the JSONL shape: merge into the near-duplicate,
retype to the majority label, reject a common word, accept) and **evidence**: up to
``evidence`` sentences around its mentions, one per document first.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from graph.normalize import TYPE_PREFERENCE, sentence_of, sentence_spans
from graph.resolution import name_of, words_of

__all__ = ["ReviewItem", "review_queue", "review_types", "near_duplicates", "sentence_around", "NEAR",
           "COMPATIBLE", "COMMON_FLOOR"]

NEAR = 83  # similarity (0-100) from which two names are near-duplicates: one letter
#            off or two swapped in a six-letter word
COMMON_FLOOR = 0.2  # lower-case share from which a one-word name's doubt counts
MAX_BLOCK = 400  # a blocking key shared by more names is too common to compare on
PREFIX = 4  # letters of the first-letters blocking key
COMPATIBLE = ({"GPE", "LOC", "FAC"}, {"ORG", "PRODUCT", "NORP"})
WINDOW = 200  # characters read on each side of a mention for its sentence


@dataclass
class ReviewItem:
    """One entry of the queue (see the module doc)."""

    key: str
    name: str
    type: str
    kind: str  # "entity", or "rejected" (a name resolution keeps out of the graph)
    mentions: int
    documents: int
    degree: int = 0
    signals: dict[str, dict[str, Any]] = field(default_factory=dict)
    suggestion: dict[str, Any] = field(default_factory=dict)
    evidence: list[dict[str, Any]] = field(default_factory=list)

    @property
    def uncertainty(self) -> float:
        return 1 - math.prod(1 - s["value"] for s in self.signals.values())

    @property
    def impact(self) -> float:
        return math.log1p(max(self.degree, self.mentions))

    @property
    def score(self) -> float:
        return self.impact * self.uncertainty

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["signals"] = [{"name": k, **v} for k, v in self.signals.items()]
        out.update(score=round(self.score, 4), impact=round(self.impact, 4),
                   uncertainty=round(self.uncertainty, 4))
        return out


def _group(type: str) -> str:
    return next((min(g) for g in COMPATIBLE if type in g), type)


def near_duplicates(names: dict[str, tuple[str, int]]) -> dict[str, tuple[str, float]]:
    """``{key: (other key, score)}`` for ``names`` (``key -> (name, mentions)``): each
    pair of compatible types scoring :data:`NEAR` or more, given to the one with fewer
    mentions (ties: the larger key), its best match kept. Names meet only in blocks of a
    shared word (three letters or more), the same first :data:`PREFIX` letters, or the
    same first two and last two letters (a slip inside a word keeps those)."""
    from rapidfuzz import fuzz, process
    from rapidfuzz.distance import OSA
    blocks: dict[tuple[str, str], list[str]] = {}
    for key, (name, _) in names.items():
        group = _group(key.split(":", 1)[0])
        compact = name.replace(" ", "")
        marks = {w for w in words_of(name) if len(w) >= 3} | {
            "^" + compact[:PREFIX], "^" + compact[:2] + "$" + compact[-2:]}
        for mark in marks:
            blocks.setdefault((group, mark), []).append(key)
    best: dict[str, tuple[str, float]] = {}
    for members in blocks.values():
        if len(members) < 2 or len(members) > MAX_BLOCK:
            continue
        texts = [names[k][0] for k in members]
        scores = [process.cdist(texts, texts, scorer=fuzz.token_sort_ratio, score_cutoff=NEAR,
                                workers=1) / 100,
                  process.cdist(texts, texts, scorer=fuzz.ratio, score_cutoff=NEAR,
                                workers=1) / 100,
                  process.cdist(texts, texts, scorer=OSA.normalized_similarity,
                                score_cutoff=NEAR / 100, workers=1)]
        for i, j in zip(*(scores[0] + scores[1] + scores[2]).nonzero()):
            if i >= j:
                continue
            a, b = members[i], members[j]
            score = float(max(s[i, j] for s in scores))
            small, big = sorted((a, b), key=lambda k: (-names[k][1], k))[::-1]
            if score > best.get(small, ("", 0.0))[1]:
                best[small] = (big, score)
    return best


def _lower_share(cases: list[tuple[int, int]]) -> float:
    """The least lower-case share over a name's words (every word must be common)."""
    return min((low / (low + cap) if low + cap else 0.0) for low, cap in cases) if cases else 0.0


def _signals(item: ReviewItem, row: tuple, votes: dict[str, int],
             near: tuple[str, float] | None, cases: list[tuple[int, int]]) -> None:
    _, _, type, mentions, _, conf_n, conf_sum, other, _ = row
    if conf_n:
        mean = conf_sum / conf_n
        item.signals["low_confidence"] = {"value": round(max(0.0, 1 - mean), 4),
                                          "mean": round(mean, 4), "of": conf_n}
    total = sum(votes.values())
    against = 1 - votes.get(type, 0) / total if total else 0.0
    disagreement = max(other / mentions if mentions else 0.0, against)
    if disagreement > 0:
        item.signals["type_disagreement"] = {"value": round(disagreement, 4),
                                             "labelled_otherwise": int(other), "votes": votes}
    if near:
        item.signals["near_duplicate"] = {"value": round(near[1], 4), "key": near[0]}
    share = _lower_share(cases)
    if len(words_of(name_of(item.key))) == 1 and share >= COMMON_FLOOR:
        item.signals["common_word"] = {"value": round(share, 4), "lower_share": round(share, 4)}


def _suggest(item: ReviewItem, labels: dict[str, int] | None = None) -> dict[str, Any]:
    """The correction the strongest actionable signal points to."""
    s, base = item.signals, {"entity": item.key}
    if item.kind == "rejected":
        share = 1 - s["rejected_common_word"]["value"]
        return {"op": "reject" if share >= 0.5 else "accept", **base}
    options = []
    if "near_duplicate" in s:
        options.append((s["near_duplicate"]["value"],
                        {"op": "merge", **base, "into": s["near_duplicate"]["key"]}))
    if labels and "type_disagreement" in s:
        top = max(labels, key=lambda t: (labels[t], t == item.type))
        if top and top != item.type and labels[top] * 2 > sum(labels.values()):
            options.append((s["type_disagreement"]["value"], {"op": "retype", **base,
                                                              "type": top}))
    if s.get("common_word", {}).get("value", 0) >= 0.5:
        options.append((s["common_word"]["value"], {"op": "reject", **base}))
    if options:
        return max(options, key=lambda o: o[0])[1]
    mean = s.get("low_confidence", {}).get("mean", 1.0)
    return {"op": "reject" if mean < 0.5 else "accept", **base}


def _entity_items(reader: Any, corrected: set[str]) -> list[ReviewItem]:
    rows = reader.entities()
    degrees = reader.degrees()
    votes = reader.type_votes()
    near = near_duplicates({r[0]: (name_of(r[0]), r[3]) for r in rows})
    cases = reader.word_cases(n for n in map(name_of, (r[0] for r in rows))
                              if len(words_of(n)) == 1)
    items = []
    for row in rows:
        key, name, type, mentions, documents, *_, authority = row
        if key in corrected or (authority >= mentions and key not in near):
            continue
        item = ReviewItem(key, name, type, "entity", mentions, documents,
                          int(degrees.get(key, 0)))
        _signals(item, row, votes.get(name_of(key), {}), near.get(key),
                 [cases.get(w, (0, 0)) for w in words_of(name_of(key))])
        if item.signals:
            items.append(item)
    return items


def _rejected_items(reader: Any, corrected: set[str]) -> list[ReviewItem]:
    names = {name_of(k) for k in corrected}
    rows = [r for r in reader.rejected_names()
            if len(words_of(r[0])) == 1 and r[0] not in names and r[1]]
    cases = reader.word_cases(r[0] for r in rows)
    items = []
    for name, raw_key, documents, mentions in rows:
        share = _lower_share([cases.get(name, (0, 0))])
        item = ReviewItem(raw_key, name, raw_key.split(":", 1)[0], "rejected", mentions,
                          documents)
        item.signals["rejected_common_word"] = {"value": round(1 - share, 4),
                                                "lower_share": round(share, 4)}
        items.append(item)
    return items


def review_queue(store: Any, limit: int = 50, evidence: int = 3) -> list[ReviewItem]:
    """The ``limit`` candidates of ``store`` (a ``SqliteStore``) most worth a decision,
    with their suggestions and up to ``evidence`` sentences each."""
    from indexers.stores.sqlite_review import review_reader
    reader = review_reader(store)
    with reader.snapshot():
        corrected = reader.corrected()
        items = _entity_items(reader, corrected) + _rejected_items(reader, corrected)
        items.sort(key=lambda i: (-i.score, i.key))
        items = items[:limit]
        for item in items:
            rejected = item.kind == "rejected"
            labels = None if rejected else reader.labels(item.key)
            if labels:
                item.signals.get("type_disagreement", {}).setdefault("labels", labels)
            if rejected:
                item.name = reader.display_name(item.key) or item.name
            item.suggestion = _suggest(item, labels)
            if evidence:
                item.evidence = _evidence(store.graph, reader.samples(
                    None if rejected else item.key, name_of(item.key) if rejected
                    else None, evidence))
    return items


def review_types(store: Any) -> list[str]:
    """The types to offer for a retype: the usual ones, then the store's others."""
    return list(dict.fromkeys([*TYPE_PREFERENCE, *store.graph.types()]))


def _evidence(graph: Any, samples: Sequence[tuple]) -> list[dict[str, Any]]:
    docs = graph.documents({s[0] for s in samples})
    out = []
    for doc_id, page, start, end, text, confidence in samples:
        found = sentence_around(graph, doc_id, page, start, end)
        if found is None:
            continue
        doc = docs.get(doc_id, {})
        out.append({"doc_id": doc_id, "title": doc.get("title"), "uri": doc.get("uri"),
                    "page": page, "confidence": confidence, **found})
    return out


def sentence_around(graph: Any, doc_id: str, page: int | None, start: int,
                    end: int) -> dict[str, str] | None:
    """The sentence holding the mention at ``start:end`` of a page's text (read through
    the ``GraphReader``'s ``text``; split as the store splits sentences,
    ``graph.normalize.sentence_spans``), as ``{"before", "text", "after"}`` with
    whitespace collapsed and ``…`` where it runs past :data:`WINDOW` characters."""
    lo = max(0, start - WINDOW)
    found = graph.text(doc_id, page, lo, end - lo + WINDOW)
    if found is None:
        return None
    text, length = found
    spans = sentence_spans(text)
    first, last = (spans[sentence_of(spans, at)] for at in (start - lo, max(start, end - 1) - lo))
    before, mention, after = text[first[0]:start - lo], text[start - lo:end - lo], \
        text[end - lo:last[1]]
    if first[0] == 0 and lo > 0:  # the window cut the sentence: drop the partial word
        before = "…" + before[before.find(" ") + 1:] if " " in before else "…"
    if last[1] == len(text) and end + WINDOW < length:
        after = after[:after.rfind(" ")] + "…" if " " in after else "…"
    return {"before": _squeeze(before, right=True), "text": " ".join(mention.split()),
            "after": _squeeze(after.rstrip(), left=True)}


def _squeeze(text: str, left: bool = False, right: bool = False) -> str:
    """Whitespace collapsed, keeping one space where the text meets the mention."""
    inner = " ".join(text.split())
    if left and text[:1].isspace() and inner:
        inner = " " + inner
    if right and text[-1:].isspace() and inner:
        inner += " "
    return inner
