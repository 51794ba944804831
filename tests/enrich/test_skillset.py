import pytest

from enrich.errors import SkillsetError, UnknownSkillError
from enrich.plan import build_plan
from enrich.skillset import Skillset


def build(skills, **extra):
    return build_plan(Skillset.from_dict({"skills": skills, **extra}))


def test_order_follows_paths_not_declaration():
    plan = build(["toy-count", "toy-upper"])
    assert [b.name for b in plan.skills] == ["toy-upper", "toy-count"]


def test_missing_input_lists_existing_paths():
    with pytest.raises(SkillsetError) as err:
        build([{"skill": "toy-count"}])
    message = str(err.value)
    assert "/document/pages/*/upper, which nothing produces" in message
    assert "/document/pages/*/text" in message and "/document/content" in message


def test_typo_in_input_path_is_caught():
    with pytest.raises(SkillsetError, match="/document/pages/\\*/txt"):
        build([{"skill": "toy-upper", "inputs": {"text": "/document/pages/*/txt"}}])


def test_renamed_output_feeds_a_later_skill():
    plan = build([{"skill": "toy-upper", "outputs": {"upper": "shout"}},
                  {"skill": "toy-count", "inputs": {"pages": "/document/pages/*/shout"}}])
    assert [b.name for b in plan.skills] == ["toy-upper", "toy-count"]


def test_unknown_skill_names_the_registered_ones():
    with pytest.raises(UnknownSkillError, match="toy-upper"):
        build(["no-such-skill"])


def test_unknown_input_name_and_keys_are_errors():
    with pytest.raises(SkillsetError, match="unknown inputs \\['txt'\\]"):
        build([{"skill": "toy-upper", "inputs": {"txt": "/document/content"}}])
    with pytest.raises(SkillsetError, match="unknown keys"):
        build([{"skill": "toy-upper", "param": {}}])


def test_two_writers_of_one_node_and_duplicate_names_are_errors():
    with pytest.raises(SkillsetError, match="unique"):
        build(["toy-upper", "toy-upper"])
    with pytest.raises(SkillsetError, match="already writes"):
        build(["toy-upper", {"skill": "toy-upper", "name": "again"}])
    with pytest.raises(SkillsetError, match="already writes"):
        build([{"skill": "toy-upper", "outputs": {"upper": "text"}}])


def test_field_and_entity_paths_are_validated():
    with pytest.raises(SkillsetError, match="field 'language'"):
        build(["toy-upper"], fields={"language": "/document/language"})


def test_corpus_skills_form_the_second_stage():
    plan = build(["toy-corpus", "toy-upper"])
    assert [b.name for b in plan.document_skills] == ["toy-upper"]
    assert [b.name for b in plan.corpus_skills] == ["toy-corpus"]
    with pytest.raises(SkillsetError, match="corpus skill"):
        build(["toy-corpus", {"skill": "toy-upper", "context": "/document",
                              "inputs": {"text": "/document/df"}}])


def test_yaml_file_and_default_skillset(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("skills:\n  - skill: toy-upper\n  - toy-count\n")
    assert [b.name for b in build_plan(Skillset.from_yaml(path)).skills] == ["toy-upper", "toy-count"]
    default = Skillset.default()
    assert {s.skill for s in default.skills} >= {"language", "phrases", "keyphrases", "entities"}
    (tmp_path / "bad.yaml").write_text("skills: [\n")
    with pytest.raises(SkillsetError, match="not valid YAML"):
        Skillset.from_yaml(tmp_path / "bad.yaml")


@pytest.mark.parametrize(("skill", "params", "says"), [
    ("ocr", {"engine": "bogus"}, "unknown engine 'bogus'"),
    ("labels", {"gallery": "g", "threshold": "high"}, "threshold must be 'auto' or a number"),
])
def test_parameters_a_skill_refuses_fail_the_skillset_before_any_document(skill, params, says):
    with pytest.raises(SkillsetError, match=says):
        build_plan(Skillset.from_dict({"skills": [{"skill": skill, "params": params}]}))
