"""Corpus-level resolution in the SQLite store: incremental, order-free, switchable."""

from __future__ import annotations

import sqlite3

import pytest

from graph import contributions
from graph.normalize import resolve
from graph.resolution import DEFAULT_RULES
from indexers.stores import DocumentRecord, SourceState, SqliteStore
from indexers.stores.sqlite_migrate import rebuild_graph


def state(uri: str, sha: str = "h") -> SourceState:
    return SourceState(uri=uri, size=1, mtime=1.0, sha256=sha, status="ok")


def record(doc_id: str, text: str, spans: list[tuple], rules=None) -> DocumentRecord:
    """A document of one page whose mentions are ``(surface, type, confidence,
    authority label)`` at the surface's first occurrence, resolved as records.py does."""
    mentions = []
    for surface, type, *more in spans:
        start = text.index(surface)
        label = more[1] if len(more) > 1 else None
        mentions.append({"key": f"{type}:{surface}", "type": label or type, "name": surface,
                         "text": surface, "page": 1, "start": start,
                         "end": start + len(surface), "confidence": more[0] if more else None,
                         "skill": "entity_lookup" if label else "entities",
                         "authority": bool(label)})
    out, aliases = resolve(mentions, {1: text, None: text}, rules)
    return DocumentRecord(
        id=doc_id, uri=f"mem://{doc_id}", source_uri=f"mem://{doc_id}", status="ok",
        title=doc_id, content=text, metadata={}, images=[], tree={}, fields={},
        pages=[{"number": 1, "text": text, "offset": 0}], entities=out,
        edges=contributions(out), aliases=aliases)


def put(store, *records):
    for rec in records:
        store.put_source(state(rec.source_uri), [rec])


@pytest.fixture
def store(tmp_path):
    with SqliteStore(tmp_path / "enrich.sqlite") as opened:
        yield opened


def keys(store, doc_id):
    return [m["entity_key"] for m in store.graph.mentions_of([doc_id])]


def entities(store):
    return sorted(store.graph._rows("SELECT key, documents, mentions, pages, sentences "
                                    "FROM entities"))


def assert_consistent(store):
    """Aggregates equal a rebuild from the per-document rows."""
    tables = ("edges", "entities", "entity_names", "graph_units")
    before = {t: sorted(store.graph._rows(f"SELECT * FROM {t}")) for t in tables}
    conn = sqlite3.connect(store.path)
    with conn:
        rebuild_graph(conn)
    conn.close()
    assert before == {t: sorted(store.graph._rows(f"SELECT * FROM {t}")) for t in tables}


MARA = record("a", "Mara Quillfeather spoke at Dunmore.",
              [("Mara Quillfeather", "PERSON"), ("Dunmore", "GPE")])
SHORT = record("b", "Later Quillfeather won in Dunmore.",
               [("Quillfeather", "GPE"), ("Dunmore", "GPE")])
TOMAS = record("c", "Tomas Quillfeather stayed home.", [("Tomas Quillfeather", "PERSON")])


def test_a_later_document_makes_a_short_form_ambiguous_and_its_deletion_undoes_it(store):
    put(store, MARA, SHORT)
    assert keys(store, "b") == ["PERSON:mara quillfeather", "GPE:dunmore"]
    edges = {(e["a"], e["b"]) for e in store.graph.top_edges("document", 10)}
    assert ("GPE:dunmore", "PERSON:mara quillfeather") in edges
    put(store, TOMAS)  # two full names, one document each: "Quillfeather" is ambiguous
    assert keys(store, "b") == ["GPE:quillfeather", "GPE:dunmore"]
    assert store.graph.cards(["PERSON:mara quillfeather"])["PERSON:mara quillfeather"][
        "documents"] == 1
    assert_consistent(store)
    store.delete_source("mem://c")
    assert keys(store, "b") == ["PERSON:mara quillfeather", "GPE:dunmore"]
    assert store.graph.cards(["GPE:quillfeather"]) == {}
    assert_consistent(store)


def test_a_later_long_form_joins_earlier_short_forms_and_facets_follow(store):
    put(store, SHORT)
    assert keys(store, "b")[0] == "GPE:quillfeather"
    store.pending_index()
    put(store, MARA)
    upserts, _ = store.pending_index()
    fields = {doc["id"]: doc for doc in upserts}
    assert fields["b"]["people"] == ["Mara Quillfeather"]  # re-queued with the new facet
    assert fields["b"]["locations"] == ["Dunmore"]
    assert store.get_document("b")["fields"]["people"] == ["Mara Quillfeather"]


def test_type_vote_merges_raw_keys_and_the_dictionary_wins(store):
    put(store, record("a", "Ostrel grew.", [("Ostrel", "ORG", 0.9)]),
         record("b", "Ostrel again.", [("Ostrel", "ORG", 0.8)]),
         record("c", "In Ostrel.", [("Ostrel", "GPE", 0.95)]))
    assert [keys(store, d) for d in "abc"] == [["ORG:ostrel"]] * 3
    assert [m["label"] for m in store.graph.mentions_of(["c"])] == ["GPE"]
    put(store, record("d", "Ostrel on stage.", [("Ostrel", "PERSON", 0.99, "PLAY")]))
    assert [keys(store, d) for d in "abcd"] == [["PLAY:ostrel"]] * 4
    store.delete_source("mem://d")
    assert keys(store, "c") == ["ORG:ostrel"]
    assert_consistent(store)


def test_common_words_are_rejected_by_case_evidence_and_restored(store):
    put(store, record("a", "Harvest praised Lio Brandt.",
                      [("Harvest", "PERSON"), ("Lio Brandt", "PERSON")]))
    assert keys(store, "a") == ["PERSON:harvest", "PERSON:lio brandt"]
    put(store, record("b", "The harvest was late; the harvest festival moved.", []))
    assert keys(store, "a") == ["PERSON:lio brandt"]  # only ever a sentence start
    assert store.graph.cards(["PERSON:harvest"]) == {}
    assert store.graph.top_edges("document", 10) == []
    doc = store.get_document("a")
    assert [m["text"] for m in doc["entities"]] == ["Lio Brandt"]
    assert doc["fields"]["people"] == ["Lio Brandt"]
    store.delete_source("mem://b")  # the evidence goes: the mention comes back
    assert keys(store, "a") == ["PERSON:harvest", "PERSON:lio brandt"]
    assert_consistent(store)


CORPUS = [
    record("d0", "Mara Quillfeather met Ostrel Works in Dunmore.",
           [("Mara Quillfeather", "PERSON", 0.9), ("Ostrel Works", "ORG", 0.8),
            ("Dunmore", "GPE", 0.9)]),
    record("d1", "Quillfeather praised Works staff.", [("Quillfeather", "GPE", 0.6),
                                                       ("Works", "PERSON", 0.5)]),
    record("d2", "Harvest came early. The harvest was good in Dunmore.",
           [("Harvest", "PERSON", 0.4), ("Dunmore", "ORG", 0.3)]),
    record("d3", "Kell Bureau of Inquiry (KBI) called Ostrel Works.",
           [("Kell Bureau of Inquiry", "ORG", 0.9), ("Ostrel Works", "ORG", 0.9)]),
    record("d4", "The KBI met Tomas Quillfeather and Mara Quillfeather.",
           [("KBI", "GPE", 0.7), ("Tomas Quillfeather", "PERSON", 0.9),
            ("Mara Quillfeather", "PERSON", 0.9)]),
    record("d5", "Later Quillfeather left Dunmore.", [("Quillfeather", "PERSON", 0.8),
                                                     ("Dunmore", "GPE", 0.9)]),
    record("d6", "Lio Brandt joined Ostrel Works.", [("Lio Brandt", "PERSON", 0.9),
                                                     ("Ostrel Works", "ORG", 0.7)]),
    record("d7", "Brandt said the harvest is over.", [("Brandt", "ORG", 0.5)]),
]


def index(store, docs, batch):
    for start in range(0, len(docs), batch):
        with store.transaction():
            put(store, *docs[start:start + batch])
    return entities(store), sorted(store.graph._rows(
        "SELECT doc_id, start, entity_key FROM mentions"))


def test_entities_do_not_depend_on_batch_size_or_order(tmp_path):
    results = []
    for n, (docs, batch) in enumerate([(CORPUS, 1), (CORPUS, 16), (CORPUS[::-1], 1),
                                       (CORPUS[::-1], 3)]):
        with SqliteStore(tmp_path / f"s{n}.sqlite") as store:
            results.append(index(store, docs, batch))
            assert_consistent(store)
    assert all(result == results[0] for result in results)
    found = {key for key, *_ in results[0][0]}
    assert {"PERSON:lio brandt", "ORG:ostrel works", "ORG:kell bureau of inquiry",
            "GPE:dunmore"} <= found
    assert "PERSON:harvest" not in found and "GPE:quillfeather" not in found


def test_rule_switches_rekey_the_store(store):
    put(store, *CORPUS)
    for rule, back in [("short_forms", "ORG:brandt"), ("type_vote", "ORG:dunmore"),
                       ("common_words", "PERSON:harvest"), ("acronyms", "GPE:kbi")]:
        before = {key for key, *_ in entities(store)}
        assert back not in before
        assert store.set_resolution({**DEFAULT_RULES, rule: False})
        after = {key for key, *_ in entities(store)}
        assert back in after, rule
        assert_consistent(store)
        assert store.resolution[rule] is False
        assert store.set_resolution(dict(DEFAULT_RULES))
        assert {key for key, *_ in entities(store)} == before
    assert not store.set_resolution(dict(DEFAULT_RULES))


def test_the_rules_are_kept_with_the_store(tmp_path):
    with SqliteStore(tmp_path / "s.sqlite") as store:
        store.set_resolution({**DEFAULT_RULES, "type_vote": False})
    with SqliteStore(tmp_path / "s.sqlite", read_only=True) as again:
        assert again.resolution["type_vote"] is False


def test_mentions_of_returns_resolved_mentions(store):
    put(store, MARA, SHORT)
    assert store.graph.mentions_of(["b"]) == [
        {"doc_id": "b", "page": 1, "start": 6, "end": 18, "text": "Quillfeather",
         "label": "GPE", "type": "PERSON", "entity_key": "PERSON:mara quillfeather",
         "raw_key": "GPE:quillfeather", "confidence": None, "skill": "entities"},
        {"doc_id": "b", "page": 1, "start": 26, "end": 33, "text": "Dunmore", "label": "GPE",
         "type": "GPE", "entity_key": "GPE:dunmore", "raw_key": "GPE:dunmore",
         "confidence": None, "skill": "entities"}]
    assert store.graph.mentions_of(["nope"]) == []


def _initial(store):
    return sorted(store.graph._rows("SELECT doc_id, start FROM mentions WHERE initial = 1"))


def test_a_version_5_store_is_migrated_and_resolved(tmp_path):
    path = tmp_path / "old.sqlite"
    with SqliteStore(path) as store:
        store.set_resolution({rule: False for rule in DEFAULT_RULES})
        put(store, *CORPUS)
        assert "GPE:quillfeather" in {key for key, *_ in entities(store)}
        initial = _initial(store)
        assert initial  # the corpus has names at sentence starts
    with sqlite3.connect(path) as conn:  # take away what versions 6 and 7 added
        conn.executescript(
            "DROP TABLE corrections; DROP TABLE name_stats; DROP TABLE name_votes; DROP TABLE name_words; "
            "DROP TABLE word_cases; DROP TABLE name_keys; DROP TABLE settings; "
            "DROP INDEX mentions_raw_key; ALTER TABLE mentions DROP COLUMN initial; "
            "ALTER TABLE mentions DROP COLUMN authority; PRAGMA user_version = 5;")
    with SqliteStore(path) as store:
        assert store.graph._rows("PRAGMA user_version") == [(7,)]
        assert store.resolution == DEFAULT_RULES
        assert _initial(store) == initial  # sentence starts found again from the texts
        found = {key for key, *_ in entities(store)}
        assert "GPE:quillfeather" not in found and "PERSON:lio brandt" in found
        assert_consistent(store)
        store.delete_source("mem://d1")
        assert_consistent(store)


def test_a_version_6_store_gains_the_corrections_table(tmp_path):
    path = tmp_path / "old.sqlite"
    with SqliteStore(path) as store:
        put(store, *CORPUS)
        before = entities(store)
    with sqlite3.connect(path) as conn:
        conn.executescript("DROP TABLE corrections; PRAGMA user_version = 6;")
    with SqliteStore(path) as store:
        assert store.graph._rows("PRAGMA user_version") == [(7,)]
        assert store.corrections() == [] and entities(store) == before
