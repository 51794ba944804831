"""Co-occurrence edges from entity mentions.

Co-occurrence is the weighted projection of the entity-evidence incidence: two
entities are linked once per evidence unit (a document, a page) in which both
occur. A document contributes, per scope, one count to every pair of distinct
entity keys that share a unit; the store sums contributions over documents and
subtracts them when a document changes or goes away. Entities recognised in an
image (its labels) carry the image's page, so they link at page scope to the names
in that page's text, and to each other at image scope.

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
"""

from __future__ import annotations

from collections import Counter, defaultdict
from itertools import combinations
from typing import Any, Iterable

__all__ = ["SCOPES", "MAX_ENTITIES", "contributions", "pair_counts"]

SCOPES = ("document", "page", "image")
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


def contributions(mentions: Iterable[dict[str, Any]],
                  max_entities: int = MAX_ENTITIES) -> list[tuple[str, str, str, int]]:
    """One document's edges ``(scope, a, b, count)`` from its mentions, sorted.

    A unit (the document, a page, an image) with more than ``max_entities`` distinct
    entities links only its ``max_entities`` most mentioned ones: a 1,000-page report
    naming 4,000 entities would otherwise add 8 million edges by itself.
    """
    mentions = list(mentions)
    counts = Counter(m["key"] for m in mentions)
    document: set[str] = set()
    units: dict[str, dict[Any, set[str]]] = {"page": defaultdict(set), "image": defaultdict(set)}
    for mention in mentions:
        document.add(mention["key"])
        for scope in units:
            if mention.get(scope) is not None:
                units[scope][mention[scope]].add(mention["key"])
    document = _strongest(document, counts, max_entities)
    edges = [("document", a, b, n) for (a, b), n in pair_counts([document]).items()]
    for scope, groups in units.items():
        kept = [_strongest(keys, counts, max_entities) for keys in groups.values()]
        edges += [(scope, a, b, n) for (a, b), n in pair_counts(kept).items()]
    return sorted(edges)
