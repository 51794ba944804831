"""Random walks of corrections, undos and re-indexing over small invented corpora: after
every step each stored key is what the machine's decisions and the active corrections
give, and every aggregate equals a recount from the per-document rows."""

from __future__ import annotations

import json
import random
from collections import defaultdict

import pytest

from graph import contributions
from graph.errors import GraphError
from graph.normalize import resolve
from indexers.stores import DocumentRecord, SqliteStore
from indexers.stores.sqlite_graph import doc_edge_counts
from indexers.stores.sqlite_graph_names import load_corrections, machine_keys
from tests.graph.test_resolution_store import assert_consistent, put

NAMES = ["Orla Vantree", "Vantree", "Kestrel Works", "Kestrel", "Brindle", "Pell Dorrin",
         "Dorrin", "Marsh Bank", "Marsh", "Tollan", "Orla"]
TYPES = ["PERSON", "ORG", "GPE"]
OPS = ["reject", "retype", "rename", "merge", "alias", "accept", "split", "reject here"]


def problems(store) -> list[str]:
    """What differs from the truth: keys from the rules, aggregates from the rows."""
    conn, found = store._conn, []
    rows = conn.execute("SELECT doc_id, raw_key, entity_key, page, start FROM mentions").fetchall()
    machine = machine_keys(conn, {r[1] for r in rows})
    rules = load_corrections(conn)
    for doc, raw, key, page, start in rows:
        want = rules.key(raw, machine[raw], doc, page, start)
        if want != key:
            found.append(f"mention {doc} {raw}: stored {key}, the rules give {want}")
    names = set(conn.execute("SELECT entity_key, name, mentions FROM entity_names"))
    want = set(conn.execute("SELECT entity_key, name, count(*) FROM mentions WHERE "
                            "entity_key IS NOT NULL GROUP BY 1, 2"))
    if names != want:
        found.append(f"entity_names {sorted(names ^ want)}")
    cursor = conn.execute("SELECT doc_id, entity_key AS key, page, sentence, start, end, "
                          "image_id AS image FROM mentions WHERE entity_key IS NOT NULL "
                          "ORDER BY doc_id, id")
    columns = [c[0] for c in cursor.description]
    by_doc = defaultdict(list)
    for row in cursor:
        mention = dict(zip(columns, row))
        by_doc[mention.pop("doc_id")].append(mention)
    stored = {d: json.loads(e) for d, e in conn.execute("SELECT doc_id, edges FROM doc_edges")}
    for doc in set(by_doc) | set(stored):
        recount = {k: n for k, n in doc_edge_counts(contributions(by_doc.get(doc, []))).items()
                   if n}
        edges = {(scope, a, b): n for scope, by_a in stored.get(doc, {}).items()
                 for a, row in by_a.items() for b, n in row.items()}
        if recount != edges:
            found.append(f"doc_edges of {doc}")
    for key, name in conn.execute("SELECT key, name FROM entities"):
        renamed = conn.execute("SELECT value FROM corrections WHERE target = ? AND op = 'rename' "
                               "AND undone_at IS NULL ORDER BY id DESC LIMIT 1",
                               (key,)).fetchone()
        top = conn.execute("SELECT name FROM entity_names WHERE entity_key = ? ORDER BY "
                           "mentions DESC, length(name) DESC, name LIMIT 1", (key,)).fetchone()
        if name != (renamed or top or (None,))[0]:
            found.append(f"name of {key}: {name!r}")
    try:
        assert_consistent(store)
    except AssertionError as exc:
        found.append(f"aggregates: {str(exc)[:300]}")
    return found


def tables(store) -> dict[str, list]:
    return {t: sorted(store._conn.execute(f"SELECT * FROM {t}").fetchall()) for t in
            ("mentions", "entities", "entity_names", "edges", "graph_units", "corrections",
             "index_queue")}


def document(rng: random.Random, doc_id: str) -> DocumentRecord:
    text, mentions = "", []
    for _ in range(rng.randint(1, 4)):
        sentence = ""
        for i, name in enumerate(rng.sample(NAMES, rng.randint(1, 3))):
            sentence += " and " if i else ""
            start = len(text) + len(sentence)
            sentence += name
            kind = rng.choice(TYPES)
            mentions.append({"key": f"{kind}:{name}", "type": kind, "name": name, "text": name,
                             "page": 1, "start": start, "end": start + len(name),
                             "confidence": 0.9, "skill": "entities"})
        text += sentence + " went there. "
    out, aliases = resolve(mentions, {1: text, None: text})
    return DocumentRecord(id=doc_id, uri=f"mem://{doc_id}", source_uri=f"mem://{doc_id}",
                          status="ok", title=doc_id, content=text, metadata={}, images=[],
                          tree={}, fields={}, pages=[{"number": 1, "text": text, "offset": 0}],
                          entities=out, edges=contributions(out), aliases=aliases)


def correction(rng: random.Random, store, keys: list[str]) -> dict:
    entity, op = rng.choice(keys), rng.choice(OPS)
    if op == "retype":
        return {"op": op, "entity": entity, "type": rng.choice(TYPES + ["LOC"])}
    if op == "rename":
        return {"op": op, "entity": entity, "name": rng.choice(NAMES)}
    if op in ("merge", "alias"):
        field, value = ("into", rng.choice(keys)) if op == "merge" else ("alias", rng.choice(NAMES))
        return {"op": op, "entity": entity, field: value}
    if op in ("split", "reject here"):
        doc, page, start = rng.choice(store._conn.execute(
            "SELECT doc_id, page, start FROM mentions WHERE entity_key = ?", (entity,)).fetchall())
        if op == "reject here":
            return {"op": "reject", "entity": entity, "doc": doc}
        item = {"op": "split", "entity": entity, "doc": doc, "page": page, "start": start}
        return {**item, "into": rng.choice(keys)} if rng.random() < 0.5 else item
    return {"op": op, "entity": entity}


@pytest.mark.parametrize("seed", range(24))
def test_keys_and_aggregates_stay_true_through_any_walk(tmp_path, seed):
    rng = random.Random(seed)
    docs = {f"d{i}": document(rng, f"d{i}") for i in range(6)}
    steps = []
    with SqliteStore(tmp_path / "enrich.sqlite") as store:
        put(store, *docs.values())
        for _ in range(40):
            keys = [k for (k,) in store._conn.execute("SELECT key FROM entities ORDER BY key")]
            active = [c["id"] for c in store.corrections(active=True)]
            dice = rng.random()
            if dice < 0.15 and active:
                undone = rng.choice(active)
                store.undo_correction([undone], "ann")
                steps.append(f"undo {undone}")
            elif dice < 0.25:  # index a document again, perhaps changed
                doc_id = rng.choice(sorted(docs))
                if rng.random() < 0.5:
                    docs[doc_id] = document(rng, doc_id)
                store.delete_source(f"mem://{doc_id}")
                put(store, docs[doc_id])
                steps.append(f"re-index {doc_id}")
            elif keys:
                item = correction(rng, store, keys)
                before = tables(store)
                try:
                    store.correct(item, "ann")
                    steps.append(f"correct {item}")
                except GraphError as exc:  # refused: nothing may have changed
                    steps.append(f"refused {item}: {exc.code}")
                    assert tables(store) == before, "\n".join(steps[-8:])
            found = problems(store)
            assert not found, "\n".join(steps[-8:] + found)
