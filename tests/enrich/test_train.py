"""``enrich train``: examples from a store's corrections, the trained folder loaded by
the entities skill, the dictionary for entity_lookup, and the errors (E81x)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from enrich.cli.app import app
from enrich.testing.train_store import mentions_store
from enrich.train import (META_FILE, BaseModelMissing, NothingToLearn, OutputExists,
                          TrainOptions, train_entities, write_dictionary)
from enrich.train.examples import Counts, Item, correction_items, rehearsal_texts, to_example
from enrich.train.rows import StoreRows
from indexers.stores import SqliteStore
from skills.entities import EntitySkill, default_model
from skills.entity_lookup import EntityLookupSkill

# Invented names only.
DOCS = [
    ("d1", "Kell Varga met the Orvane board in Dunmore. The talks went on for hours. "
           "Nobody left the room before noon today.",
     [("Kell Varga", "PERSON"), ("Orvane", "ORG"), ("Dunmore", "GPE")]),
    ("d2", "Orvane hired Kell Varga last year. Brightwater is a word here. Rain fell on "
           "the hills all day long.",
     [("Orvane", "PERSON"), ("Kell Varga", "PERSON"), ("Brightwater", "ORG")]),
    ("d3", "The Kell Vargas report was long.", [("Kell Varga", "PERSON")]),
]


def _correct(store_path, items):
    with SqliteStore(store_path) as store:
        for item in items:
            store.correct(item, "tester")


@pytest.fixture
def corrected(tmp_path):
    path = mentions_store(tmp_path / "data", DOCS)
    _correct(path, [{"op": "accept", "entity": "PERSON:kell varga"},
                    {"op": "retype", "entity": "PERSON:orvane", "type": "ORG"},
                    {"op": "reject", "entity": "ORG:brightwater"},
                    {"op": "alias", "entity": "ORG:orvane", "alias": "Orvane Holdings"}])
    return path


def test_examples_are_the_reviewed_mentions_in_their_sentences(corrected):
    counts = Counts()
    with StoreRows(corrected) as rows:
        items, reviewed = correction_items(rows, counts)
    got = {(i.text, tuple((i.text[a:b], t) for a, b, t in i.spans),
            tuple(i.text[a:b] for a, b in i.outside), i.complete) for i in items}
    assert got == {
        ("Kell Varga met the Orvane board in Dunmore. ",
         (("Kell Varga", "PERSON"), ("Orvane", "ORG")), (), False),  # Dunmore: unreviewed
        ("Orvane hired Kell Varga last year. ",
         (("Orvane", "ORG"), ("Kell Varga", "PERSON")), (), False),
        ("Brightwater is a word here. ", (), ("Brightwater",), False),
        ("The Kell Vargas report was long.", (("Kell Varga", "PERSON"),), (), False)}
    assert ("d1", 1, 0) in reviewed and ("d1", 1, 1) not in reviewed


def test_misaligned_spans_are_skipped_and_counted(corrected):
    import spacy

    nlp = spacy.blank("en")
    counts = Counts()
    with StoreRows(corrected) as rows:
        items, _ = correction_items(rows, counts)
    examples = [to_example(nlp, item, counts) for item in items]
    assert counts.misaligned == 1  # "Kell Varga" ends inside the token "Vargas"
    assert examples.count(None) == 1  # that sentence has nothing else to teach
    assert (counts.sentences, counts.positive, counts.negative) == (3, 4, 1)
    known = [ex for ex in examples if ex is not None and ex.text.startswith("Kell")][0]
    assert [t.ent_iob_ for t in known.reference] == ["B", "I", "", "", "B", "", "", "", ""]
    negative = [ex for ex in examples if ex is not None and ex.text.startswith("Bright")][0]
    assert [t.ent_iob_ for t in negative.reference][:2] == ["O", ""]


def test_rehearsal_draws_only_unreviewed_sentences(corrected):
    counts = Counts()
    with StoreRows(corrected) as rows:
        _, reviewed = correction_items(rows, counts)
        texts = rehearsal_texts(rows, reviewed, 10, seed=3)
    assert sorted(texts) == ["Nobody left the room before noon today.",
                             "Rain fell on the hills all day long.",
                             "The talks went on for hours."]


TRAIN = ["{} was sold to Fenwick traders.", "Buyers asked for the {} at the fair.",
         "The new {} ships next week.", "Fenwick traders stocked the {} again.",
         "We tried the {} and liked it.", "Shops ran out of the {} quickly."]


def test_the_trained_folder_loads_by_path_and_finds_a_corrected_entity(tmp_path):
    names = ["Quorbel", "Vexlin", "Tramory"]
    docs = [(f"d{i}{j}", line.format(name), [(name, "PERSON")])
            for i, name in enumerate(names) for j, line in enumerate(TRAIN)]
    docs += [(f"r{i}", "Mira Olsen walked to Paris on Monday. She met Tom Reyes there.", [])
             for i in range(3)]
    path = mentions_store(tmp_path / "data", docs)
    _correct(path, [{"op": "retype", "entity": f"PERSON:{n.lower()}", "type": "PRODUCT"}
                    for n in names])
    out = tmp_path / "model"
    seen = []
    summary = train_entities(TrainOptions(out=out, store=path, iterations=8, seed=1),
                             on_iteration=lambda i, loss: seen.append(i))
    assert seen == list(range(1, 9)) and len(summary["losses"]) == 8
    assert summary["examples"]["sentences"] == 18 and summary["examples"]["positive"] == 18
    note = json.loads((out / META_FILE).read_text())
    assert (note["base"], note["seed"], note["examples"]["positive"]) == (default_model(), 1, 18)
    skill = EntitySkill(model=str(out))
    skill.warm_up()
    assert skill.model.endswith(note["base_model"].split("-")[-1] + "+" +
                                skill.model.split("+")[-1])
    [result] = skill.run([{"text": "Buyers asked for the Vexlin at the fair."}])
    assert {(e["text"], e["type"]) for e in result["entities"]} >= {("Vexlin", "PRODUCT")}


def test_nothing_to_learn_without_corrections_or_gold(tmp_path):
    path = mentions_store(tmp_path / "data", DOCS[:1])
    with pytest.raises(NothingToLearn) as caught:
        train_entities(TrainOptions(out=tmp_path / "m", store=path))
    assert caught.value.code == "E811" and "--gold" in str(caught.value)
    assert not (tmp_path / "m").exists()


def test_an_existing_output_is_refused_unless_forced_and_a_model(corrected, tmp_path):
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "notes.txt").write_text("mine")
    with pytest.raises(OutputExists, match="--force") as caught:
        train_entities(TrainOptions(out=taken, store=corrected))
    assert caught.value.code == "E812"
    with pytest.raises(OutputExists, match="not a spaCy model folder"):
        train_entities(TrainOptions(out=taken, store=corrected, force=True))
    assert (taken / "notes.txt").read_text() == "mine"


def test_a_missing_base_model_is_named(corrected, tmp_path):
    with pytest.raises(BaseModelMissing, match="no_such_model_here") as caught:
        train_entities(TrainOptions(out=tmp_path / "m", store=corrected,
                                    base="no_such_model_here"))
    assert caught.value.code == "E813"


def test_gold_lines_are_taught_in_the_models_labels(tmp_path):
    import spacy

    from enrich.train.gold import gold_items

    gold = tmp_path / "gold.jsonl"
    lines = [{"text": "Ada Brook met Tom Reyes in Paris.",
              "spans": [{"start": 0, "end": 9, "label": "PER"},
                        {"start": 14, "end": 23, "label": "PER"},
                        {"start": 27, "end": 32, "label": "LOC"}]}]
    gold.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    nlp = spacy.load(default_model())
    counts = Counts()
    [item] = gold_items(gold, nlp, counts)
    labels = {item.text[a:b]: t for a, b, t in item.spans}
    assert labels["Ada Brook"] == labels["Tom Reyes"] == "PERSON"
    assert labels["Paris"] in {"GPE", "LOC", "FAC"} and item.complete


def test_the_dictionary_loads_in_entity_lookup_and_finds_kept_entities(corrected, tmp_path):
    out = tmp_path / "kept.json"
    summary = write_dictionary(corrected, out)
    assert (summary["entries"], summary["aliases"]) == (2, 1)
    entries = json.loads(out.read_text())
    assert [(e["name"], e["type"], e["id"], e["aliases"]) for e in entries] == [
        ("Kell Varga", "PERSON", "PERSON:kell varga", []),
        ("Orvane", "ORG", "ORG:orvane", ["Orvane Holdings"])]
    skill = EntityLookupSkill(dictionary=str(out))
    skill.warm_up()
    [result] = skill.run([{"text": "A letter from Orvane Holdings reached kell varga."}])
    assert [(e["text"], e["type"], e["key"]) for e in result["lookup_entities"]] == [
        ("Orvane Holdings", "ORG", "ORG:orvane"), ("kell varga", "PERSON", "PERSON:kell varga")]


def test_cli_errors_and_dictionary(corrected, tmp_path):
    runner = CliRunner()
    data = str(corrected.parent)
    empty = mentions_store(tmp_path / "empty", DOCS[:1]).parent
    result = runner.invoke(app, ["train", "entities", "--data", str(empty),
                                 "--out", str(tmp_path / "m")])
    assert result.exit_code == 2 and result.stderr.startswith("error E811:"), result.output
    result = runner.invoke(app, ["train", "dictionary", "--data", str(empty),
                                 "--out", str(tmp_path / "d.json")])
    assert result.exit_code == 2 and result.stderr.startswith("error E811:"), result.output
    out = tmp_path / "d.json"
    result = runner.invoke(app, ["train", "dictionary", "--data", data, "--out", str(out)])
    assert result.exit_code == 0 and "2 entities" in " ".join(result.output.split())
    result = runner.invoke(app, ["train", "dictionary", "--data", data, "--out", str(out)])
    assert result.exit_code == 2 and result.stderr.startswith("error E812:")
    result = runner.invoke(app, ["train", "dictionary", "--data", data, "--out", str(out),
                                 "--force", "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["entries"] == 2
    help_text = runner.invoke(app, ["train", "entities", "--help"]).output
    assert "pseudo-rehearsal" in help_text.lower() and "forgetting" in help_text


def test_the_dictionary_follows_later_corrections_of_a_kept_entity(corrected, tmp_path):
    _correct(corrected, [{"op": "retype", "entity": "ORG:orvane", "type": "GPE"},
                         {"op": "reject", "entity": "PERSON:kell varga"}])
    out = tmp_path / "kept.json"
    write_dictionary(corrected, out)
    # the accepted person was rejected since; the retyped org (and its alias) moved again
    assert [(e["id"], e["aliases"]) for e in json.loads(out.read_text())] == [
        ("GPE:orvane", ["Orvane Holdings"])]
