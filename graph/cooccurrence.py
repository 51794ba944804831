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

__all__ = ["SCOPES", "contributions", "pair_counts"]

SCOPES = ("document", "page", "image")


def pair_counts(units: Iterable[set[str]]) -> Counter:
    """How many units each unordered pair ``(a, b)`` with ``a < b`` shares."""
    counts: Counter = Counter()
    for keys in units:
        counts.update(combinations(sorted(keys), 2))
    return counts


def contributions(mentions: Iterable[dict[str, Any]]) -> list[tuple[str, str, str, int]]:
    """One document's edges ``(scope, a, b, count)`` from its mentions, sorted."""
    document: set[str] = set()
    units: dict[str, dict[Any, set[str]]] = {"page": defaultdict(set), "image": defaultdict(set)}
    for mention in mentions:
        document.add(mention["key"])
        for scope in units:
            if mention.get(scope) is not None:
                units[scope][mention[scope]].add(mention["key"])
    edges = [("document", a, b, n) for (a, b), n in pair_counts([document]).items()]
    for scope, groups in units.items():
        edges += [(scope, a, b, n) for (a, b), n in pair_counts(groups.values()).items()]
    return sorted(edges)
