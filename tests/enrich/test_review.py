"""The review queue: each planted doubt gives its signal and suggestion, the order is
impact x uncertainty, corrected entities leave it, evidence is the mention's sentence."""

from __future__ import annotations

import math

import pytest

from enrich.review import NEAR, near_duplicates, review_queue, sentence_around
from enrich.testing.review_corpus import review_store
from graph.resolution import name_of
from indexers.stores import DataDir, SqliteStore


@pytest.fixture(scope="module")
def planted_store(tmp_path_factory):
    data = DataDir(tmp_path_factory.mktemp("review") / "data")
    planted = review_store(data, documents=60)
    return data, planted


@pytest.fixture
def store(planted_store, tmp_path):
    """A writable copy of the module's store (corrections change it)."""
    import shutil
    data = DataDir(tmp_path / "data")
    shutil.copytree(planted_store[0].root, data.root)
    with SqliteStore(data.store) as opened:
        yield opened


@pytest.fixture(scope="module")
def queue(planted_store):
    with SqliteStore(planted_store[0].store, read_only=True) as store:
        return {item.key: item for item in review_queue(store, limit=10 ** 6, evidence=2)}


def test_misspelt_twins_are_near_duplicates_to_merge(queue, planted_store):
    """The one of a pair with fewer mentions (ties: the larger key) is to be merged."""
    found = 0
    for name, twin in planted_store[1].twins.items():
        keys = {n: next((k for k in queue if name_of(k) == n.casefold()), None)
                for n in (name, twin)}
        if None in keys.values():
            continue  # one of them was never drawn
        found += 1
        small, big = sorted(keys.values(), key=lambda k: (-queue[k].mentions, k))[::-1]
        signal = queue[small].signals["near_duplicate"]
        assert signal["key"] == big and signal["value"] >= NEAR / 100
        assert queue[small].suggestion == {"op": "merge", "entity": small, "into": big}
        assert queue[big].signals.get("near_duplicate", {}).get("key") != small
    assert found >= 2


def test_confusable_entities_disagree_on_their_type(queue, planted_store):
    planted = planted_store[1]
    confusable = [k for k in queue if queue[k].name in planted.confusable
                  and queue[k].mentions >= 8]
    assert confusable
    for key in confusable:
        signal = queue[key].signals["type_disagreement"]
        assert 0 < signal["value"] < 1 and signal["labelled_otherwise"] > 0
        assert set(signal["labels"]) == {queue[key].type, *signal["labels"]} and \
            len(signal["labels"]) == 2


def test_doubtful_entities_have_low_confidence(queue, planted_store):
    planted = planted_store[1]
    doubtful = [i for i in queue.values() if i.name in planted.doubtful and i.mentions >= 5]
    sure = [i for i in queue.values() if i.kind == "entity" and i.name not in planted.doubtful
            and i.name not in planted.twins.values() and i.mentions >= 5]
    assert doubtful and sure
    assert min(i.signals["low_confidence"]["value"] for i in doubtful) > \
        max(i.signals["low_confidence"]["value"] for i in sure)


def test_common_words_rejected_and_kept(queue, planted_store):
    planted = planted_store[1]
    rejected = {i.name.casefold(): i for i in queue.values() if i.kind == "rejected"}
    assert set(rejected) == set(planted.rejected_words)
    for item in rejected.values():
        assert item.suggestion == {"op": "reject", "entity": item.key}
        assert item.evidence and item.evidence[0]["text"].casefold() == name_of(item.key)
        assert 0 < item.signals["rejected_common_word"]["value"] < 0.5
    kept = [i for i in queue.values() if name_of(i.key) in planted.kept_words]
    assert kept and all(0.2 <= i.signals["common_word"]["value"] < 0.5 for i in kept)


def test_the_order_is_impact_times_uncertainty(queue):
    items = list(queue.values())
    scores = [i.score for i in items]
    assert scores == sorted(scores, reverse=True)
    for item in items[:20]:
        expected = math.log1p(max(item.degree, item.mentions)) * \
            (1 - math.prod(1 - s["value"] for s in item.signals.values()))
        assert item.score == pytest.approx(expected)
        assert item.to_dict()["score"] == round(expected, 4)


def test_corrected_entities_and_names_leave_the_queue(store):
    items = review_queue(store, limit=10 ** 6, evidence=0)
    entity = next(i for i in items if i.kind == "entity")
    rejected = next(i for i in items if i.kind == "rejected")
    merged = next(i for i in items if i.suggestion["op"] == "merge")
    store.correct({"op": "accept", "entity": entity.key}, "tester")
    store.correct({"op": "reject", "entity": rejected.key}, "tester")  # confirms the machine
    store.correct(merged.suggestion, "tester")
    keys = {i.key for i in review_queue(store, limit=10 ** 6, evidence=0)}
    assert not keys & {entity.key, rejected.key, merged.key, merged.suggestion["into"]}
    assert len(keys) < len(items) - 3
    undo = [c["id"] for c in store.corrections()][0]
    store.undo_correction([undo], "tester")
    assert entity.key in {i.key for i in review_queue(store, limit=10 ** 6, evidence=0)}


def test_near_duplicates_compare_only_within_blocks_and_compatible_types():
    names = {"ORG:velmora": ("velmora", 10), "ORG:velmroa": ("velmroa", 2),
             "PRODUCT:velmora": ("velmora", 1), "PERSON:velmora": ("velmora", 3),
             "GPE:ostrand": ("ostrand", 5), "LOC:ostrnad": ("ostrnad", 4),
             "ORG:kessel pran": ("kessel pran", 6), "ORG:pran kessel": ("pran kessel", 1)}
    found = near_duplicates(names)
    assert found["ORG:velmroa"] == ("ORG:velmora", pytest.approx(6 / 7))  # a swap: one edit
    assert found["PRODUCT:velmora"] == ("ORG:velmora", 1.0)  # ORG and PRODUCT: compatible
    assert "PERSON:velmora" not in found and "ORG:velmora" not in found
    assert found["LOC:ostrnad"][0] == "GPE:ostrand"
    assert found["ORG:pran kessel"] == ("ORG:kessel pran", 1.0)  # token_sort_ratio


def test_names_sharing_no_block_are_never_compared():
    """Blocks: a shared word, the first four letters, or the first two and last two;
    a slip in the first two letters of a one-word name is the price of not comparing
    every pair."""
    assert near_duplicates({"ORG:bravento": ("bravento", 3), "ORG:brovento": ("brovento", 1)}) \
        == {"ORG:brovento": ("ORG:bravento", pytest.approx(0.875))}  # first two, last two
    assert near_duplicates({"ORG:bravento": ("bravento", 3), "ORG:cravento": ("cravento", 1)}) \
        == {}
    assert near_duplicates({"ORG:bravento mill": ("bravento mill", 3),
                            "ORG:cravento mill": ("cravento mill", 1)}) == {
        "ORG:cravento mill": ("ORG:bravento mill", pytest.approx(12 / 13))}  # the word "mill"


class Text:
    """A GraphReader's ``text`` over one page."""

    def __init__(self, page: str):
        self.page = page

    def text(self, doc_id, page, start, length):
        return self.page[start:start + length], len(self.page)


@pytest.mark.parametrize("page, mention, expected", [
    ("First one. Then Ulvane Corp  signed it.\nNext line here.", "Ulvane Corp",
     ("Then ", "Ulvane Corp", " signed it.")),
    ("Dr. Quen met Ivo Marrk at noon! Later more.", "Ivo Marrk",
     ("Dr. Quen met ", "Ivo Marrk", " at noon!")),
    ("Heading\n\nOlvenko sold lanterns", "Olvenko", ("", "Olvenko", " sold lanterns")),
])
def test_the_evidence_is_the_mention_in_its_sentence(page, mention, expected):
    start = page.index(mention)
    found = sentence_around(Text(page), "d", 1, start, start + len(mention))
    assert (found["before"], found["text"], found["after"]) == expected


def test_a_sentence_longer_than_the_window_is_cut_at_words():
    page = "x " * 300 + "Brantis spoke " + "y " * 300
    start = page.index("Brantis")
    found = sentence_around(Text(page), "d", 1, start, start + 7)
    assert found["text"] == "Brantis"
    assert found["before"].startswith("…x x") and found["before"].endswith("x ")
    assert found["after"].startswith(" spoke y y") and found["after"].endswith("y…")
    assert len(found["before"]) <= 201 and len(found["after"]) <= 201


def test_a_correction_in_one_document_leaves_the_entity_in_the_queue(store):
    item = next(i for i in review_queue(store, limit=10 ** 6, evidence=0)
                if i.kind == "entity" and i.documents > 1)
    doc = store.graph._rows("SELECT doc_id FROM mentions WHERE entity_key = ? LIMIT 1",
                            (item.key,))[0][0]
    store.correct({"op": "reject", "entity": item.key, "doc": doc}, "tester")
    assert item.key in {i.key for i in review_queue(store, limit=10 ** 6, evidence=0)}
