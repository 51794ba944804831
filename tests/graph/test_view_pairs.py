"""The pair counting behind ``KnowledgeGraph.view_graph`` and ``documents_graph``:
numpy codes counted in chunks, checked against a plain count on random data."""

from __future__ import annotations

import random

import pytest

from graph import networks
from graph.cooccurrence import pair_counts


def _rows(seed: int, docs: int, keys: list[str]) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    rows = set()
    for d in range(docs):
        for key in rng.sample(keys, rng.randint(0, min(len(keys), 40))):
            rows.add((f"doc{d}", key))
    return sorted(rows, key=lambda _: rng.random())


def _plain(rows) -> dict:
    """The project's plain pair counter over the same documents."""
    by_doc: dict[str, set[str]] = {}
    for doc, key in rows:
        by_doc.setdefault(doc, set()).add(key)
    return dict(pair_counts(by_doc.values()))


@pytest.mark.parametrize("chunk", [4_000_000, 7])  # one chunk; many small ones
def test_shared_documents_counts_as_a_plain_count_does(monkeypatch, chunk):
    monkeypatch.setattr(networks, "PAIR_CHUNK", chunk)
    keys = sorted(f"K:{i:03d} é,\"x" for i in range(60))
    for seed in range(3):
        rows = _rows(seed, 80, keys)
        assert networks._shared_documents(rows, keys) == _plain(rows)
    assert networks._shared_documents([], keys) == {}
