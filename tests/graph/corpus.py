"""A small corpus written straight into a store, for exact answers from the graph.

``build_store`` writes documents, pages and mentions, and the aggregate tables
summed from them (entities, entity_names, edges per scope, graph_units), into the
store that ``SqliteStore`` creates in a data directory. ``basketball()`` is the
corpus most graph tests read (``kg`` in ``conftest.py`` opens it); ``record`` builds
a ``DocumentRecord`` to go through the store's own write path instead.
"""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path

from graph import contributions
from graph.normalize import sentence_of, sentence_spans
from indexers.stores import DataDir, DocumentRecord, SqliteStore

LEBRON, NIKE, LAKERS, LA = ("PERSON:lebron james", "ORG:nike", "ORG:lakers",
                            "GPE:los angeles")
MJ, JORDAN_P, JORDAN_G, BULLS = ("PERSON:michael jordan", "PERSON:jordan", "GPE:jordan",
                                 "ORG:bulls")
FBI, ZORRO = "ORG:federal bureau of investigation", "PERSON:zorro"


def m(key: str, text: str, page: int | None = 1, name: str | None = None, nth: int = 0,
      image: str | None = None, label: str | None = None, raw: str | None = None) -> dict:
    """A mention of ``key`` by ``text`` (its ``nth`` occurrence on ``page``)."""
    return {"key": key, "text": text, "page": page, "name": name or text, "nth": nth,
            "image": image, "label": label or key.split(":")[0], "raw": raw or key}


def _place(mention: dict, pages: list[str]) -> dict:
    """Offsets and sentence of a text mention; none for an image label."""
    if mention["image"]:
        return {**mention, "start": None, "end": None, "sentence": None}
    text, start = pages[mention["page"] - 1], -1
    for _ in range(mention["nth"] + 1):
        start = text.index(mention["text"], start + 1)
    sentence = sentence_of(sentence_spans(text), start)
    return {**mention, "start": start, "end": start + len(mention["text"]),
            "sentence": sentence}


def _units(doc_id: str, mentions: list[dict]) -> dict[str, dict]:
    units: dict[str, dict] = {s: defaultdict(set) for s in ("document", "page", "image",
                                                            "sentence")}
    for x in mentions:
        units["document"][doc_id].add(x["key"])
        if x["page"] is not None:
            units["page"][(doc_id, x["page"])].add(x["key"])
        if x["image"]:
            units["image"][(doc_id, x["image"])].add(x["key"])
        if x["sentence"] is not None:
            units["sentence"][(doc_id, x["page"], x["sentence"])].add(x["key"])
    return units


def _aggregate(docs: list[dict]) -> tuple[dict, dict, Counter]:
    """Per-entity unit counts, edges ``{(scope, a, b): [count, docs]}``, units per scope."""
    seen: dict[str, Counter] = defaultdict(Counter)
    edges: dict[tuple, list] = defaultdict(lambda: [0, set()])
    n_units: Counter = Counter()
    for doc in docs:
        for scope, groups in _units(doc["id"], doc["mentions"]).items():
            for keys in groups.values():
                n_units[scope] += 1
                for key in keys:
                    seen[key][scope] += 1
                for a, b in combinations(sorted(keys), 2):
                    edges[(scope, a, b)][0] += 1
                    edges[(scope, a, b)][1].add(doc["id"])
    return seen, edges, n_units


def _write_documents(conn: sqlite3.Connection, docs: list[dict]) -> None:
    for doc in docs:
        uri = f"file:///corpus/{doc['id']}.pdf"
        conn.execute("INSERT INTO sources (uri, size, mtime, sha256, status, message, "
                     "updated_at) VALUES (?, 1, 0, 'h', 'ok', '', 'now')", (uri,))
        conn.execute("INSERT INTO documents (id, uri, source_uri, status, title, content, "
                     "indexed_at) VALUES (?, ?, ?, 'ok', ?, ?, 'now')",
                     (doc["id"], uri, uri, doc.get("title", f"Title {doc['id']}"),
                      "\n\n".join(doc["pages"])))
        for number, text in enumerate(doc["pages"], 1):
            conn.execute("INSERT INTO pages (doc_id, number, text) VALUES (?, ?, ?)",
                         (doc["id"], number, text))
        for x in doc["mentions"]:
            conn.execute("INSERT INTO mentions (doc_id, entity_key, raw_key, label, name, "
                         'text, page, sentence, start, "end", image_id) VALUES '
                         "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         (doc["id"], x["key"], x["raw"], x["label"], x["name"], x["text"],
                          x["page"], x["sentence"], x["start"], x["end"], x["image"]))


def _write_aggregates(conn: sqlite3.Connection, docs: list[dict]) -> None:
    seen, edges, n_units = _aggregate(docs)
    mentions = [x for doc in docs for x in doc["mentions"]]
    names = Counter((x["key"], x["name"]) for x in mentions)
    for key, units in seen.items():
        name = max((n for k, n in names if k == key), key=lambda n: (names[(key, n)], n))
        conn.execute("INSERT INTO entities VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?)",
                     (key, key.split(":")[0], name, units["document"],
                      sum(x["key"] == key for x in mentions), units["page"], units["image"],
                      units["sentence"]))
    conn.executemany("INSERT INTO entity_names VALUES (?, ?, ?)",
                     [(k, n, c) for (k, n), c in names.items()])
    conn.executemany("INSERT INTO edges VALUES (?, ?, ?, ?, ?)",
                     [(s, a, b, c, len(d)) for (s, a, b), (c, d) in edges.items()])
    conn.executemany("INSERT INTO graph_units VALUES (?, ?)", n_units.items())


def build_store(data_dir: Path, docs: list[dict], aliases: tuple = ()) -> Path:
    """A data directory whose store holds ``docs`` ({id, pages, mentions}) and their
    aggregates."""
    path = DataDir(data_dir).store
    SqliteStore(path).close()
    docs = [{**d, "mentions": [_place(x, d["pages"]) for x in d["mentions"]]} for d in docs]
    conn = sqlite3.connect(path)
    with conn:
        _write_documents(conn, docs)
        _write_aggregates(conn, docs)
        conn.executemany("INSERT INTO aliases VALUES (?, ?, ?)", aliases)
    conn.close()
    return data_dir


def basketball() -> list[dict]:
    """Six short documents about players, brands, teams, places and the FBI."""
    return [
        {"id": "d1", "title": "Game notes", "pages": [
            "LeBron James wore Nike shoes. The Lakers won in Los Angeles.",
            "King James thanked Nike after the game."],
         "mentions": [m(LEBRON, "LeBron James"), m(NIKE, "Nike"), m(LAKERS, "Lakers"),
                      m(LA, "Los Angeles"), m(LEBRON, "King James", 2, name="LeBron James"),
                      m(NIKE, "Nike", 2), m(LEBRON, "LeBron James", image="p1-i0"),
                      m(NIKE, "Nike", image="p1-i0", label="BRAND")]},
        {"id": "d2", "title": "Legends", "pages": [
            "Lebron James met Michael Jordan.", "Nike signed Michael Jordan."],
         "mentions": [m(LEBRON, "Lebron James"), m(MJ, "Michael Jordan"),
                      m(NIKE, "Nike", 2), m(MJ, "Michael Jordan", 2)]},
        {"id": "d3", "title": "Travels", "pages": [
            "Michael Jordan visited Jordan with the Bulls."],
         "mentions": [m(MJ, "Michael Jordan"), m(JORDAN_G, "Jordan", nth=1),
                      m(BULLS, "Bulls")]},
        {"id": "d4", "title": "Watched", "pages": [
            "Jordan scored for the Bulls. The Federal Bureau of Investigation (FBI) watched."],
         "mentions": [m(JORDAN_P, "Jordan"), m(BULLS, "Bulls"),
                      m(FBI, "Federal Bureau of Investigation")]},
        {"id": "d5", "title": "Files", "pages": ["The FBI and the Bulls."],
         "mentions": [m(FBI, "FBI", name="Federal Bureau of Investigation", raw="ORG:fbi"),
                      m(BULLS, "Bulls")]},
        {"id": "d6", "title": "Alone", "pages": ["Zorro rode alone."],
         "mentions": [m(ZORRO, "Zorro")]},
    ]


def record(doc_id: str, pages: list[str], mentions: list[dict],
           aliases: list[tuple[str, str]] = ()) -> DocumentRecord:
    """A ``DocumentRecord`` whose mentions are placed with ``_place`` and linked with
    ``graph.contributions``, as the indexer writes them."""
    placed = [_place(x, pages) for x in mentions]
    entities = [{"key": x["raw"], "type": x["key"].split(":")[0], "label": x["label"],
                 "name": x["name"], "text": x["text"], "page": x["page"],
                 "sentence": x["sentence"], "start": x["start"], "end": x["end"],
                 "image": x["image"], "skill": "entities", "version": "1"} for x in placed]
    doc = DocumentRecord(
        id=doc_id, uri=f"file:///{doc_id}.pdf", source_uri=f"file:///{doc_id}.pdf",
        status="ok", title=doc_id.upper(), content="\n\n".join(pages), metadata={},
        pages=[{"number": n, "text": t, "offset": 0, "needs_ocr": False}
               for n, t in enumerate(pages, 1)],
        images=[], entities=entities, edges=contributions(entities), fields={}, tree={},
        warnings=[])
    doc.aliases = list(aliases)
    return doc
