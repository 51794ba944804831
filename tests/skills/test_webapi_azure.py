"""An Azure custom Web API skill definition, pasted into a skillset unchanged, becomes the
webapi skill with its inputs, outputs and parameters; what enrich cannot do is refused."""

import pytest
import yaml

from enrich.errors import SkillsetError
from enrich.plan import build_plan
from enrich.skillset import Skillset

# An Azure skill definition as the portal exports it, in YAML (the JSON would do as well).
AZURE = """
skills:
  - "@odata.type": "#Microsoft.Skills.Custom.WebApiSkill"
    name: keyphrases-custom
    description: Key phrases from our own model
    context: /document/pages/*
    uri: https://skills.example.com/api/keyphrases?code=${WEBAPI_AZURE_CODE}
    httpMethod: PUT
    timeout: PT1M
    batchSize: 50
    degreeOfParallelism: 2
    httpHeaders: {x-functions-key: "${WEBAPI_AZURE_KEY}"}
    inputs:
      - {name: text, source: /document/pages/*/text}
      - {name: language, source: /document/language}
    outputs:
      - {name: phrases, targetName: customPhrases}
      - {name: score}
  - skill: language
"""


@pytest.fixture(autouse=True)
def key(monkeypatch):
    monkeypatch.setenv("WEBAPI_AZURE_KEY", "k")
    monkeypatch.setenv("WEBAPI_AZURE_CODE", "c")


def plan_of(text):
    return build_plan(Skillset.from_dict(yaml.safe_load(text)))


def test_an_azure_definition_becomes_the_webapi_skill():
    bound = next(b for b in plan_of(AZURE).skills if b.name == "keyphrases-custom")
    assert bound.spec.skill == "webapi" and bound.context == ("pages", "*")
    assert bound.inputs == {"text": ("pages", "*", "text"), "language": ("language",)}
    assert bound.outputs == {"phrases": "customPhrases", "score": "score"}
    assert bound.writes == [("pages", "*", "customPhrases"), ("pages", "*", "score")]
    config = bound.skill().config
    assert (config.method, config.timeout, config.batch_size, config.parallelism) == \
        ("PUT", 60.0, 50, 2)
    assert config.headers == {"x-functions-key": "${WEBAPI_AZURE_KEY}"}  # expanded at warm-up


def test_the_skillset_form_declares_inputs_and_outputs_too():
    text = """
skills:
  - skill: language
  - skill: webapi
    name: sentiment
    inputs: {text: /document/content, lang: /document/language}
    outputs: {label: sentiment_label}
    params: {uri: "https://skills.example.com/sentiment", batchSize: 10}
"""
    bound = next(b for b in plan_of(text).skills if b.name == "sentiment")
    assert bound.outputs == {"label": "sentiment_label"}
    assert [b.name for b in plan_of(text).skills] == ["language", "sentiment"]  # reads language


@pytest.mark.parametrize("change,message", [
    ({"inputs": []}, "inputs is a list of {name, source} entries"),
    ({"outputs": [{"targetName": "x"}]}, "each of outputs needs a name"),
    ({"inputs": [{"name": "t", "source": "/document/content", "sourceContext": "/document"}]},
     "has ['sourceContext'], which enrich does not support"),
    ({"authResourceId": "api://1234"}, "authResourceId (a managed identity)"),
    ({"@odata.type": "#Microsoft.Skills.Text.KeyPhraseExtractionSkill"},
     "only Azure's custom Web API skill"),
    ({"cacheTtl": 3}, "unknown keys ['cacheTtl']"),
])
def test_what_enrich_cannot_do_is_refused_with_the_reason(change, message):
    data = yaml.safe_load(AZURE)
    data["skills"][0].update(change)
    with pytest.raises(SkillsetError) as error:
        build_plan(Skillset.from_dict(data))
    assert message in str(error.value)


def test_a_webapi_skill_needs_inputs_and_outputs_and_its_paths_must_exist():
    with pytest.raises(SkillsetError, match="at least one of each"):
        plan_of("skills: [{skill: webapi, params: {uri: 'https://a.example.com'}}]")
    with pytest.raises(SkillsetError, match="reads /document/merged_content, which nothing"):
        plan_of("skills: [{skill: webapi, inputs: {text: /document/merged_content}, "
                "outputs: {x: x}, params: {uri: 'https://a.example.com'}}]")
