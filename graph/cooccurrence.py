"""Co-occurrence edges from entity mentions.

Co-occurrence is the weighted projection of the entity-evidence incidence: two
entities are linked once per evidence unit (a document, a page) in which both
occur. A document contributes, per scope, one count to every pair of distinct
entity keys that share a unit; the store sums contributions over documents and
subtracts them when a document changes or goes away. The scopes: the document,
its pages, its images and its sentences (a mention's ``sentence`` is numbered
within its page). Entities recognised in an image (its labels) carry the image's
page, so they link at page scope to the names in that page's text, and to each
other at image scope.

>>> mentions = [{"key": "ORG:nike", "page": 1}, {"key": "PERSON:lebron james", "page": 1},
...             {"key": "GPE:ohio", "page": 2}, {"key": "ORG:nike", "page": 2}]
>>> sorted(contributions(mentions))[:2]
[('document', 'GPE:ohio', 'ORG:nike', 1), ('document', 'GPE:ohio', 'PERSON:lebron james', 1)]
>>> [e for e in contributions(mentions) if e[0] == "page"]
[('page', 'GPE:ohio', 'ORG:nike', 1), ('page', 'ORG:nike', 'PERSON:lebron james', 1)]
>>> seen = [{"key": "BRAND:nike", "page": 1, "image": "p1-i0"},
...         {"key": "PERSON:lebron james", "page": 1, "image": "p1-i0"}]
>>> [e for e in contributions(seen) if e[0] == "image"]
[('image', 'BRAND:nike', 'PERSON:lebron james', 1)]
>>> said = [{"key": "ORG:nike", "page": 1, "sentence": 0},
...         {"key": "PERSON:lebron james", "page": 1, "sentence": 0},
...         {"key": "GPE:ohio", "page": 1, "sentence": 1}]
>>> [e for e in contributions(said) if e[0] == "sentence"]
[('sentence', 'ORG:nike', 'PERSON:lebron james', 1)]
>>> units(said)
{'document': 1, 'page': 1, 'image': 0, 'sentence': 2}
"""

from __future__ import annotations

from collections import Counter, defaultdict
from itertools import combinations
from typing import Any, Iterable

__all__ = ["SCOPES", "RANKS", "MAX_ENTITIES", "contributions", "pair_counts", "unit_of", "units"]

SCOPES = ("document", "page", "image", "sentence")
RANKS = ("count", "npmi", "llr")  # how a pair can be ranked (graph.scores has the two scores)
MAX_ENTITIES = 300  # per unit: at most 44,850 pairs


def pair_counts(units: Iterable[set[str]]) -> Counter:
    """How many units each unordered pair ``(a, b)`` with ``a < b`` shares."""
    counts: Counter = Counter()
    for keys in units:
        counts.update(combinations(sorted(keys), 2))
    return counts


def _strongest(keys: set[str], counts: Counter, limit: int) -> set[str]:
    """At most ``limit`` keys, the most mentioned first (ties by key): pairs grow as n^2."""
    if len(keys) <= limit:
        return keys
    return set(sorted(keys, key=lambda k: (-counts[k], k))[:limit])


def unit_of(mention: dict[str, Any], scope: str) -> Any:
    """The unit of ``scope`` a mention sits in within its document, or None.

    Pages are numbers, images ids and sentences ``(page, sentence)`` pairs.
    """
    if scope == "document":
        return 0
    if scope == "sentence":
        sentence = mention.get("sentence")
        return None if sentence is None else (mention.get("page"), sentence)
    return mention.get(scope)


def units(mentions: Iterable[dict[str, Any]]) -> dict[str, int]:
    """How many units of each scope hold at least one of a document's mentions."""
    found: dict[str, set] = {scope: set() for scope in SCOPES}
    for mention in mentions:
        for scope, seen in found.items():
            unit = unit_of(mention, scope)
            if unit is not None:
                seen.add(unit)
    return {scope: len(seen) for scope, seen in found.items()}


def contributions(mentions: Iterable[dict[str, Any]],
                  max_entities: int = MAX_ENTITIES) -> list[tuple[str, str, str, int]]:
    """One document's edges ``(scope, a, b, count)`` from its mentions, sorted.

    A unit (the document, a page, an image) with more than ``max_entities`` distinct
    entities links only its ``max_entities`` most mentioned ones: a 1,000-page report
    naming 4,000 entities would otherwise add 8 million edges by itself.
    """
    mentions = list(mentions)
    counts = Counter(m["key"] for m in mentions)
    groups: dict[str, dict[Any, set[str]]] = {scope: defaultdict(set) for scope in SCOPES}
    for mention in mentions:
        for scope, by_unit in groups.items():
            unit = unit_of(mention, scope)
            if unit is not None:
                by_unit[unit].add(mention["key"])
    edges = []
    for scope, by_unit in groups.items():
        kept = [_strongest(keys, counts, max_entities) for keys in by_unit.values()]
        edges += [(scope, a, b, n) for (a, b), n in pair_counts(kept).items()]
    return sorted(edges)
