"""People's corrections in the SQLite store: applied at once, kept through re-indexing,
undoable, checked before anything changes."""

from __future__ import annotations

import pytest

from graph.corrections import (Correction, CorrectionConflict, CorrectionError,
                               UnknownCorrection, to_line)
from graph.errors import AmbiguousEntity, EntityNotFound
from indexers.stores import SqliteStore
from tests.graph.test_resolution_store import assert_consistent, put, record

A = record("a", "Orla Vantree met Pell Dorrin at Kestrel Works in Brindle.",
           [("Orla Vantree", "PERSON"), ("Pell Dorrin", "PERSON"), ("Kestrel Works", "ORG"),
            ("Brindle", "GPE")])
B = record("b", "Kestrel Works hired Orla Vantree. Brindle grew.",
           [("Kestrel Works", "ORG"), ("Orla Vantree", "PERSON"), ("Brindle", "GPE")])
C = record("c", "The Kestrel plant in Brindle closed; Vantree left.",
           [("Kestrel", "ORG"), ("Brindle", "PERSON"), ("Vantree", "ORG")])
DOCS = (A, B, C)


@pytest.fixture
def store(tmp_path):
    with SqliteStore(tmp_path / "enrich.sqlite") as opened:
        put(opened, *DOCS)
        opened.mark_indexed([d.id for d in DOCS], [])
        yield opened


def table(store, sql):
    return sorted(store.graph._rows(sql))


def entity_keys(store):
    return {k for (k,) in table(store, "SELECT key FROM entities")}


def snapshot(store):
    return {t: table(store, f"SELECT * FROM {t}") for t in
            ("entities", "entity_names", "edges", "graph_units")} | {
        "mentions": table(store, "SELECT doc_id, raw_key, entity_key, start FROM mentions")}


def queued(store):
    return {d for (d,) in table(store, "SELECT doc_id FROM index_queue")}


def test_merge_moves_mentions_counts_and_edges_and_queues_the_documents(store):
    assert "ORG:kestrel" in entity_keys(store)
    row = store.correct({"op": "merge", "entity": "ORG:kestrel", "into": "ORG:kestrel works",
                         "reason": "same company"}, "ann")
    assert row["target"] == "ORG:kestrel works" and row["who"] == "ann"
    assert row["before"]["mentions"] == 1 and row["reason"] == "same company"
    assert (row["after"]["key"], row["after"]["mentions"]) == ("ORG:kestrel works", 3)
    assert "ORG:kestrel" not in entity_keys(store)
    assert table(store, "SELECT documents, mentions FROM entities WHERE key = "
                        "'ORG:kestrel works'") == [(3, 3)]
    assert queued(store) == {"c"}
    fields = store.get_document("c")["fields"]
    assert "Kestrel Works" in fields["organizations"]
    assert_consistent(store)


def test_every_op_changes_keys_and_undo_restores_the_store_exactly(store):
    before = snapshot(store)
    made = store.correct_many([
        {"op": "retype", "entity": "GPE:brindle", "type": "loc"},
        {"op": "reject", "entity": "ORG:kestrel"},
        {"op": "rename", "entity": "ORG:kestrel works", "name": "Kestrel Works Ltd"},
        {"op": "alias", "entity": "PERSON:pell dorrin", "alias": "Orla Vantree"},
        {"op": "accept", "entity": "LOC:brindle"},
    ], "ann")
    assert [m["op"] for m in made] == ["retype", "reject", "rename", "alias", "accept"]
    keys = entity_keys(store)
    assert "GPE:brindle" not in keys and "ORG:kestrel" not in keys
    assert table(store, "SELECT mentions FROM entities WHERE key = 'LOC:brindle'") == [(3,)]
    assert table(store, "SELECT name FROM entities WHERE key = 'ORG:kestrel works'") == \
        [("Kestrel Works Ltd",)]
    assert table(store, "SELECT entity_key FROM mentions WHERE raw_key = 'ORG:kestrel'") == \
        [(None,)]
    # the alias took the full name's mentions; the short form joined to it stays
    assert table(store, "SELECT doc_id, entity_key FROM mentions WHERE raw_key LIKE "
                        "'%vantree'") == [("a", "PERSON:pell dorrin"), ("b", "PERSON:pell dorrin"),
                                          ("c", "PERSON:orla vantree")]
    assert "Kestrel Works Ltd" in store.get_document("a")["fields"]["organizations"]
    assert queued(store) == {"a", "b", "c"}
    assert_consistent(store)
    store.undo_correction([m["id"] for m in made], "bob")
    assert snapshot(store) == before
    assert all(c["undone_by"] == "bob" for c in store.corrections())
    assert store.corrections(active=True) == []


def test_corrections_apply_again_when_documents_are_indexed_again(store, tmp_path):
    store.correct_many([{"op": "merge", "entity": "ORG:kestrel", "into": "ORG:kestrel works"},
                        {"op": "retype", "entity": "GPE:brindle", "type": "LOC"},
                        {"op": "reject", "entity": "PERSON:orla vantree", "doc": "c"}], "ann")
    corrected = snapshot(store)
    for rec in DOCS:  # a re-index: every document deleted and written again
        store.delete_source(rec.source_uri)
    put(store, *reversed(DOCS))
    assert snapshot(store) == corrected
    assert_consistent(store)


def test_split_moves_one_mention_and_reject_in_context_touches_one_document(store):
    start = C.content.index("Brindle")
    # machine resolution voted Brindle GPE everywhere: split the one mention of c off it
    row = store.correct({"op": "split", "entity": "GPE:brindle", "doc": "c", "page": 1,
                         "start": start, "into": "LOC:brindle district"}, "ann")
    assert row["target"] == "LOC:brindle district"
    assert table(store, "SELECT doc_id, entity_key FROM mentions WHERE raw_key LIKE "
                        "'%:brindle'") == [("a", "GPE:brindle"), ("b", "GPE:brindle"),
                                           ("c", "LOC:brindle district")]
    store.correct({"op": "reject", "entity": "GPE:brindle", "doc": "a"}, "ann")
    assert table(store, "SELECT doc_id, entity_key FROM mentions WHERE raw_key LIKE "
                        "'%:brindle'") == [("a", None), ("b", "GPE:brindle"),
                                           ("c", "LOC:brindle district")]
    assert_consistent(store)


@pytest.mark.parametrize("item, error, match", [
    ({"op": "explode", "entity": "ORG:kestrel"}, CorrectionError, "unknown op"),
    ({"op": "retype", "entity": "ORG:kestrel"}, CorrectionError, "'type' must be"),
    ({"op": "merge", "entity": "ORG:kestrel", "into": "ORG:kestrel"}, CorrectionConflict,
     "into itself"),
    ({"op": "merge", "entity": "Kestrel", "into": "ORG:kestrel"}, CorrectionConflict,
     "into itself"),
    ({"op": "reject", "entity": "ORG:nowhere"}, EntityNotFound, "nowhere"),
    ({"op": "rename", "entity": "ORG:kestrel", "name": "K", "colour": 1}, CorrectionError,
     "unknown field"),
    ({"op": "split", "entity": "ORG:kestrel", "doc": "a", "start": 0}, CorrectionError,
     "no mention"),
    ("reject ORG:kestrel", CorrectionError, "JSON object"),
])
def test_a_bad_correction_is_a_clear_error_and_changes_nothing(store, item, error, match):
    before = snapshot(store)
    with pytest.raises(error, match=match):
        store.correct_many([{"op": "accept", "entity": "ORG:kestrel works"}, item], "ann")
    assert snapshot(store) == before and store.corrections() == []


def test_a_name_must_denote_exactly_one_entity(store):
    row = store.correct({"op": "accept", "entity": "Kestrel Works"}, "ann")
    assert row["entity"] == "ORG:kestrel works"
    store.correct({"op": "split", "entity": "Brindle", "doc": "c", "page": 1,
                   "start": C.content.index("Brindle"), "into": "LOC:brindle"}, "ann")
    with pytest.raises(AmbiguousEntity):
        store.correct({"op": "accept", "entity": "Brindle"}, "ann")  # GPE and LOC now


def test_a_cycle_of_merges_is_refused(store):
    store.correct({"op": "merge", "entity": "ORG:kestrel", "into": "ORG:kestrel works"}, "ann")
    store.correct({"op": "merge", "entity": "ORG:kestrel works", "into": "GPE:brindle"}, "ann")
    with pytest.raises(CorrectionConflict, match="cycle"):
        store.correct_many([{"op": "accept", "entity": "GPE:brindle"},
                            {"op": "merge", "entity": "GPE:brindle", "into": "ORG:kestrel"}],
                           "ann")
    assert len(store.corrections()) == 2


def test_a_merged_entity_is_gone_for_the_corrections_after_it_in_a_batch(store):
    with pytest.raises(EntityNotFound):
        store.correct_many([{"op": "merge", "entity": "ORG:kestrel", "into": "ORG:kestrel works"},
                            {"op": "retype", "entity": "ORG:kestrel", "type": "FAC"}], "ann")


def test_undo_of_an_unknown_or_undone_correction_is_an_error(store):
    row = store.correct({"op": "reject", "entity": "ORG:kestrel"}, "ann")
    store.undo_correction([row["id"]], "ann")
    with pytest.raises(UnknownCorrection, match=str(row["id"])):
        store.undo_correction([row["id"]], "ann")


def test_accept_restores_a_rejected_name(store):
    store.correct({"op": "reject", "entity": "ORG:kestrel"}, "ann")
    store.correct({"op": "accept", "entity": "ORG:kestrel"}, "ann")
    assert table(store, "SELECT entity_key FROM mentions WHERE raw_key = 'ORG:kestrel'") == \
        [("ORG:kestrel",)]


def test_a_dry_run_returns_the_rows_and_changes_nothing(store):
    before = snapshot(store)
    rows = store.correct_many([{"op": "reject", "entity": "ORG:kestrel"}], "ann", dry_run=True)
    assert [(r["op"], r["entity"]) for r in rows] == [("reject", "ORG:kestrel")]
    assert snapshot(store) == before and store.corrections() == [] and queued(store) == set()
    store.delete_source(C.source_uri)  # the rolled-back reject applies to nothing indexed later
    put(store, C)
    assert snapshot(store) == before


def test_reject_and_its_undo_or_an_accept_reach_the_short_forms_resolved_into_it(tmp_path):
    from tests.graph.test_resolution_store import MARA, SHORT, keys
    with SqliteStore(tmp_path / "enrich.sqlite") as store:
        put(store, MARA, SHORT)
        assert keys(store, "b")[0] == "PERSON:mara quillfeather"  # "Quillfeather" alone
        row = store.correct({"op": "reject", "entity": "PERSON:mara quillfeather"}, "ann")
        assert keys(store, "b") == ["GPE:dunmore"]
        store.undo_correction([row["id"]], "ann")
        assert keys(store, "b")[0] == "PERSON:mara quillfeather"
        store.correct({"op": "reject", "entity": "PERSON:mara quillfeather"}, "ann")
        store.correct({"op": "accept", "entity": "PERSON:mara quillfeather"}, "ann")
        assert keys(store, "b")[0] == "PERSON:mara quillfeather"


def test_undoing_a_merge_finds_what_a_later_correction_of_its_target_moved(store):
    merge = store.correct({"op": "merge", "entity": "ORG:kestrel", "into": "ORG:kestrel works"},
                          "ann")
    store.correct({"op": "retype", "entity": "ORG:kestrel works", "type": "FAC"}, "ann")
    assert table(store, "SELECT entity_key FROM mentions WHERE raw_key = 'ORG:kestrel'") == \
        [("FAC:kestrel works",)]
    store.undo_correction([merge["id"]], "ann")
    assert table(store, "SELECT entity_key FROM mentions WHERE raw_key = 'ORG:kestrel'") == \
        [("ORG:kestrel",)]
    assert_consistent(store)


def test_a_name_reject_reaches_types_only_a_correction_made(store):
    store.correct({"op": "retype", "entity": "ORG:kestrel", "type": "FAC"}, "ann")
    store.correct({"op": "rename", "entity": "FAC:kestrel", "name": "Kestrel Works"}, "ann")
    assert "FAC:kestrel works" in entity_keys(store)
    store.correct({"op": "reject", "entity": "ORG:kestrel works"}, "ann")  # the name, any type
    assert "FAC:kestrel works" not in entity_keys(store)
    assert table(store, "SELECT entity_key FROM mentions WHERE raw_key LIKE '%:kestrel%'") == \
        [(None,), (None,), (None,)]


@pytest.mark.parametrize("item, match", [
    ({"op": "retype", "entity": "ORG:kestrel", "type": "ORG"}, "of type ORG already"),
    ({"op": "alias", "entity": "ORG:kestrel", "alias": "Kestrel"}, "own name"),
    ({"op": "reject", "entity": "ORG:kestrel", "doc": "a"}, "holds no mention"),
])
def test_a_correction_that_would_change_nothing_is_refused(store, item, match):
    with pytest.raises(CorrectionError, match=match):
        store.correct(item, "ann")


def test_after_a_reject_in_the_batch_the_entity_is_gone(store):
    with pytest.raises(EntityNotFound):
        store.correct_many([{"op": "reject", "entity": "ORG:kestrel"},
                            {"op": "retype", "entity": "ORG:kestrel", "type": "FAC"}], "ann")


def test_every_bad_item_is_reported_by_its_label(store):
    with pytest.raises(CorrectionError) as caught:
        store.correct_many([{"op": "reject", "entity": "ORG:nowhere"},
                            {"op": "accept", "entity": "ORG:kestrel"},
                            {"op": "merge", "entity": "ORG:kestrel", "into": "ORG:kestrel"}],
                           "ann", labels=["line 2", "line 3", "line 5"])
    message = str(caught.value)
    assert "2 of 3 corrections" in message and "line 2: E503" in message and \
        "line 5: E511" in message and "line 3" not in message
    assert store.corrections() == []


def test_who_and_when_come_from_the_caller_unless_the_items_are_an_import(store):
    item = {"op": "accept", "entity": "ORG:kestrel", "who": "mallory", "at": "2001-01-01"}
    row = store.correct(item, "ann")
    assert row["who"] == "ann" and row["at"] != "2001-01-01"
    row = store.correct_many([{**item, "entity": "ORG:kestrel works"}], "ann", authored=True)[0]
    assert (row["who"], row["at"]) == ("mallory", "2001-01-01")


def test_a_split_after_a_merge_imports_into_a_fresh_store_of_the_same_documents(store, tmp_path):
    start = C.content.index("Kestrel")
    store.correct_many([{"op": "merge", "entity": "ORG:kestrel", "into": "ORG:kestrel works"},
                        {"op": "split", "entity": "ORG:kestrel works", "doc": "c", "page": 1,
                         "start": start, "into": "FAC:kestrel plant"}], "ann")
    items = [to_line(Correction.from_row(c)) for c in store.corrections()]  # as exported
    with SqliteStore(tmp_path / "fresh.sqlite") as fresh:
        put(fresh, *DOCS)
        fresh.correct_many(items, "bob")
        assert snapshot(fresh)["mentions"] == snapshot(store)["mentions"]
