"""A large co-occurrence graph written in code, for the graph view's tests and benchmark.

:func:`graph_store` writes a data directory that ``enrich serve --data DIR`` serves:
``entities`` invented entities of several types, in a few communities, and documents
each naming a handful of them (mostly of one community; the popular ones far more
often, so degrees are skewed), until the documents have made about ``edges``
distinct co-occurrence edges at document scope. Every entity is in at least one
document, so ``/api/graph/view?limit=N`` returns ``N`` nodes for any ``N <= entities``.

It goes through the store's own write path (``put_source``: aggregates, edges and
the search index's queue as an index run leaves them) and then fills the search
index, so search, the graph view and ``/api/graph/evidence`` (with snippets: each
document's text holds the names, two to a sentence) all answer. **Synthetic**: no text
analysis behind it. 2,000 entities and 20,000 edges take a few seconds.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from itertools import combinations
from pathlib import Path

from graph import contributions
from indexers.stores import DocumentRecord, SourceState, open_store, sync_index

from enrich.records import TYPE_FIELDS

__all__ = ["graph_store", "TYPES", "entity_names"]

TYPES = ("PERSON", "ORG", "GPE", "LOC", "FAC", "PRODUCT", "EVENT", "NORP")
SYLLABLES = ("ka", "vel", "dor", "mi", "zan", "tro", "lis", "quen", "bar", "os", "fen",
             "rul", "ti", "gam", "shor", "ne", "pra", "vok", "el", "dun", "sa", "ker", "yo",
             "brin")
COMMUNITIES = 6     # groups of entities that mostly meet each other
CROSS = 0.08        # share of documents mixing communities
SKEW = 0.9          # Zipf exponent of how often an entity is named within its community
BATCH = 500         # documents per transaction


def graph_store(data_dir: str | Path, entities: int = 2000, edges: int = 20_000,
                seed: int = 0, docs: str | Path | None = None) -> Path:
    """A data directory whose graph has ``entities`` entities and about ``edges``
    document-scope edges (see the module doc); returns ``data_dir``.

    ``docs``: a folder to write each document's text to (``NNNNNN.txt``), so that
    ``/api/documents/{id}/file`` serves it; without, the documents' URIs name files
    that do not exist (410 ``file_gone``)."""
    if entities < 2 or edges < 1:
        raise ValueError(f"graph_store needs at least 2 entities and 1 edge, got "
                         f"{entities} and {edges}")
    rng = random.Random(seed)
    names = entity_names(entities, rng)
    people = [(f"{TYPES[i % len(TYPES)]}:{name.lower()}", TYPES[i % len(TYPES)], name)
              for i, name in enumerate(names)]
    folder = Path(docs).resolve() if docs is not None else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    store, index = open_store(data_dir)
    try:
        batch: list[DocumentRecord] = []
        for number, members in enumerate(_documents(people, edges, rng)):
            batch.append(_record(number, [people[i] for i in members], folder))
            if len(batch) == BATCH:
                _put(store, batch)
                batch = []
        if batch:
            _put(store, batch)
        sync_index(store, index)
    finally:
        index.close()
        store.close()
    return Path(data_dir)


def entity_names(n: int, rng: random.Random) -> list[str]:
    """``n`` distinct invented two-word names, no word of one the whole of another."""
    names: dict[str, None] = {}
    while len(names) < n:
        words = [_word(rng) for _ in range(2)]
        if words[0] != words[1]:
            names.setdefault(" ".join(words), None)
    return list(names)


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def _documents(people: list, edges: int, rng: random.Random) -> Iterator[list[int]]:
    """Each document's entities (indexes into ``people``): first one document per
    entity (so every entity is named), then documents until ``edges`` distinct pairs."""
    groups: list[list[int]] = [[] for _ in range(COMMUNITIES)]
    for i in range(len(people)):
        groups[rng.randrange(COMMUNITIES)].append(i)
    groups = [g for g in groups if g]
    weights = [[1 / (rank + 1) ** SKEW for rank in range(len(g))] for g in groups]
    community = {i: c for c, g in enumerate(groups) for i in g}
    seen: set[tuple[int, int]] = set()

    def pick(first: int | None) -> list[int]:
        c = community[first] if first is not None else rng.randrange(len(groups))
        k = rng.randint(2, 6)
        chosen = {first} if first is not None else set()
        for _ in range(4 * k):
            if len(chosen) >= k:
                break
            g = rng.randrange(len(groups)) if rng.random() < CROSS else c
            chosen.add(rng.choices(groups[g], weights[g])[0])
        members = sorted(chosen)
        seen.update(combinations(members, 2))
        return members

    for i in range(len(people)):
        yield pick(i)
    for _ in range(50 * edges):  # bounded: a tiny graph may not have that many pairs
        if len(seen) >= edges:
            return
        yield pick(None)


def _record(number: int, members: list[tuple[str, str, str]],
            folder: Path | None) -> DocumentRecord:
    """A one-page document naming ``members`` two to a sentence (its text written in
    ``folder`` when given)."""
    sentences, mentions, offset = [], [], 0
    for s in range(0, len(members), 2):
        pair = members[s:s + 2]
        text = " met ".join(name for _, _, name in pair) + " at the works."
        start = offset
        for key, type_, name in pair:
            mentions.append({"key": key, "type": type_, "label": type_, "name": name,
                             "text": name, "page": 1, "sentence": s // 2, "start": start,
                             "end": start + len(name), "confidence": 0.9, "skill": "entities",
                             "version": "1", "model": "synthetic"})
            start += len(name) + len(" met ")
        sentences.append(text)
        offset += len(text) + 1
    content = " ".join(sentences)
    doc_id, uri = f"g{number:06d}", f"file:///graph/{number:06d}.txt"
    if folder is not None:
        (folder / f"{number:06d}.txt").write_text(content, encoding="utf-8")
        uri = (folder / f"{number:06d}.txt").as_uri()
    fields: dict = {"uri": uri, "title": f"Report {number}", "content": content,
                    "file_type": "text", "language": "en"}
    for _, type_, name in members:
        if type_ in TYPE_FIELDS:
            fields.setdefault(TYPE_FIELDS[type_], []).append(name)
    return DocumentRecord(
        id=doc_id, uri=uri, source_uri=uri, status="ok", title=f"Report {number}",
        content=content, metadata={"file_name": f"{number:06d}.txt", "size": len(content),
                                   "content_type": "text/plain"},
        pages=[{"number": 1, "text": content, "offset": 0, "needs_ocr": False}],
        images=[], entities=mentions, edges=contributions(mentions), fields=fields,
        tree={"content": content})


def _put(store, batch: list[DocumentRecord]) -> None:
    """One source per document (so a document's source is its own, as for files)."""
    with store.transaction():
        for record in batch:
            store.put_source(SourceState(record.uri, len(record.content), 0.0, record.id,
                                         "ok"), [record])
