"""EntityLookupSkill with small dictionaries written in each test."""

import json
import re
import subprocess
import sys
import textwrap
import unicodedata

import pytest
import yaml

import skills.entity_lookup as lookup
import skills.lookup_dictionary as dictionary
from enrich.engine import Engine
from enrich.registry import get_skill
from enrich.plan import build_plan
from enrich.skillset import Skillset
from skills.base import SkillUnavailable
from skills.entity_lookup import DictionaryError, EntityLookupSkill, read_dictionary

AMTRUNK = {"name": "AMTRUNK", "type": "CRYPTONYM", "id": "cia-001",
           "description": "CIA operation against the Castro government",
           "caseSensitive": True, "fuzzyEditDistance": 1,
           "aliases": [{"text": "AM/TRUNK", "caseSensitive": False}, "Operation Amtrunk"]}
OSWALD = {"name": "Lee Harvey Oswald", "type": "PERSON", "aliases": ["Oswald"]}


def write(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content),
                    encoding="utf-8")
    return str(path)


def skill(tmp_path, content, name="dictionary.json", **params):
    s = EntityLookupSkill(dictionary=write(tmp_path, name, content), **params)
    s.warm_up()
    return s


def found(s, text):
    [result] = s.run([{"text": text}])
    return [(e["text"], e["name"], e["start"], e["end"]) for e in result["lookup_entities"]]


def test_json_dictionary_gives_the_full_entity_shape(tmp_path):
    s = skill(tmp_path, [AMTRUNK, OSWALD])
    text = "Report on AMTRUNK: Oswald was not part of am/trunk."
    [result] = s.run([{"text": text}])
    assert result["lookup_entities"] == [
        {"text": "AMTRUNK", "type": "CRYPTONYM", "name": "AMTRUNK", "key": "CRYPTONYM:amtrunk",
         "start": 10, "end": 17, "confidence": 1.0, "id": "cia-001",
         "description": "CIA operation against the Castro government", "matched": "AMTRUNK"},
        {"text": "Oswald", "type": "PERSON", "name": "Lee Harvey Oswald",
         "key": "PERSON:lee harvey oswald", "start": 19, "end": 25, "confidence": 1.0,
         "description": None, "id": None, "matched": "Oswald"},
        {"text": "am/trunk", "type": "CRYPTONYM", "name": "AMTRUNK", "key": "CRYPTONYM:amtrunk",
         "start": 42, "end": 50, "confidence": 1.0, "id": "cia-001",
         "description": "CIA operation against the Castro government", "matched": "AM/TRUNK"}]


def test_json_wrapped_in_entities_and_snake_case_keys(tmp_path):
    s = skill(tmp_path, {"entities": [{"name": "ZRRIFLE", "case_sensitive": True,
                                       "fuzzy_edit_distance": 0, "aliases": ["ZR/RIFLE"]}]},
              name="codes.txt")  # no suffix: sniffed as JSON
    assert found(s, "ZRRIFLE, zrrifle and zr/rifle") == [
        ("ZRRIFLE", "ZRRIFLE", 0, 7), ("zr/rifle", "ZRRIFLE", 21, 29)]
    [result] = s.run([{"text": "ZRRIFLE"}])
    assert result["lookup_entities"][0]["type"] == "MISC"


def test_csv_with_header_aliases_and_settings(tmp_path):
    csv_text = ("name,type,aliases,case_sensitive,fuzzy,description,id\n"
                "AMTRUNK,CRYPTONYM,AM/TRUNK|Operation Amtrunk,yes,1,CIA operation,c1\n"
                "Lee Harvey Oswald,PERSON,Oswald;L. H. Oswald,,,,\n"
                "\n"
                '"Dallas, Texas",GPE,,,,"the city, not the county",\n')
    s = skill(tmp_path, csv_text, name="codes.csv")
    text = "AMTRUNK met L. H. Oswald in Dallas,  Texas; amtrunk, AMTRUNC."
    [result] = s.run([{"text": text}])
    got = [(e["text"], e["name"], e["type"], e["confidence"], e["matched"])
           for e in result["lookup_entities"]]
    assert got == [("AMTRUNK", "AMTRUNK", "CRYPTONYM", 1.0, "AMTRUNK"),
                   ("L. H. Oswald", "Lee Harvey Oswald", "PERSON", 1.0, "L. H. Oswald"),
                   ("Dallas,  Texas", "Dallas, Texas", "GPE", 1.0, "Dallas, Texas"),
                   ("AMTRUNC", "AMTRUNK", "CRYPTONYM", 0.857, "AMTRUNK")]
    first, _, dallas, _ = result["lookup_entities"]
    assert (first["description"], first["id"]) == ("CIA operation", "c1")
    assert dallas["description"] == "the city, not the county" and dallas["id"] is None


def test_headerless_csv_is_a_name_then_its_aliases(tmp_path):
    s = skill(tmp_path, "\ufeffAMTRUNK,AM/TRUNK\nLee Harvey Oswald,Oswald\nJMWAVE\n",
              name="names.csv", default_type="CRYPTONYM")
    assert found(s, "JMWAVE sent Oswald to AM/TRUNK") == [
        ("JMWAVE", "JMWAVE", 0, 6), ("Oswald", "Lee Harvey Oswald", 12, 18),
        ("AM/TRUNK", "AMTRUNK", 22, 30)]
    assert {e["type"] for e in s.run([{"text": "JMWAVE"}])[0]["lookup_entities"]} == {"CRYPTONYM"}


def test_case_sensitivity_per_entry_and_default(tmp_path):
    entries = [{"name": "Apple", "type": "ORG", "caseSensitive": True}, {"name": "nike"}]
    s = skill(tmp_path, entries)
    assert found(s, "apple, Apple, APPLE, NIKE, Nike") == [
        ("Apple", "Apple", 7, 12), ("NIKE", "nike", 21, 25), ("Nike", "nike", 27, 31)]
    strict = skill(tmp_path, [{"name": "nike"}], name="strict.json", default_case_sensitive=True)
    assert found(strict, "NIKE nike") == [("nike", "nike", 5, 9)]


def test_alias_settings_follow_azure(tmp_path):
    # caseSensitive is for the name; aliases take defaultCaseSensitive, else the skill's.
    entries = [{"name": "AMTRUNK", "caseSensitive": True, "aliases": ["AM/TRUNK"]},
               {"name": "ZRRIFLE", "defaultCaseSensitive": True, "aliases": ["ZR/RIFLE"]}]
    s = skill(tmp_path, entries)
    assert found(s, "amtrunk am/trunk zrrifle zr/rifle ZR/RIFLE") == [
        ("am/trunk", "AMTRUNK", 8, 16), ("zrrifle", "ZRRIFLE", 17, 24),
        ("ZR/RIFLE", "ZRRIFLE", 34, 42)]


def test_accent_insensitive_with_offsets_into_the_original(tmp_path):
    s = skill(tmp_path, [{"name": "Jose Marti", "type": "PERSON"}, {"name": "Lech Wałęsa"}])
    text = "Señor José Martí met Lech Walesa."
    assert found(s, text) == [("José Martí", "Jose Marti", 6, 16),
                              ("Lech Walesa", "Lech Wałęsa", 21, 32)]
    nfd = unicodedata.normalize("NFD", text)  # combining accents: longer text, same words
    [(surface, _, start, end), _] = found(s, nfd)
    assert nfd[start:end] == surface and surface == unicodedata.normalize("NFD", "José Martí")
    strict = skill(tmp_path, [{"name": "Jose Marti", "accentSensitive": True}], name="a.json")
    assert found(strict, text) == [] and found(strict, "jose marti") == [
        ("jose marti", "Jose Marti", 0, 10)]


def test_fuzzy_matches_within_the_edit_distance(tmp_path):
    s = skill(tmp_path, [{"name": "AMTRUNK", "fuzzyEditDistance": 1},
                         {"name": "CIA", "fuzzyEditDistance": 2},
                         {"name": "Lee Harvey Oswald", "fuzzyEditDistance": 2}])
    [result] = s.run([{"text": "AMTRUNC, AMTRXNX, amtrunk, CIO, Lee Harvy\nOsvald, Lee Oswald"}])
    assert [(e["text"], e["confidence"]) for e in result["lookup_entities"]] == [
        ("AMTRUNC", 0.857), ("amtrunk", 1.0), ("Lee Harvy\nOsvald", 0.882)]
    assert lookup.MIN_FUZZY_CHARS == 4  # "CIA" never matches "CIO"


def test_whole_words_only(tmp_path):
    s = skill(tmp_path, [{"name": "AMTRUNK"}, {"name": "AM/TRUNK"}, {"name": "Oswald"}])
    text = "AMTRUNKS XAMTRUNK AMTRUNK_2 (AMTRUNK), Oswald's AM/TRUNKS OswaldX"
    assert found(s, text) == [("AMTRUNK", "AMTRUNK", 29, 36), ("Oswald", "Oswald", 39, 45)]


def test_multi_word_names_match_across_any_whitespace(tmp_path):
    s = skill(tmp_path, [OSWALD])
    assert found(s, "Lee Harvey\nOswald and Lee\t Harvey  \r\n Oswald, not LeeHarvey Oswald") == [
        ("Lee Harvey\nOswald", "Lee Harvey Oswald", 0, 17),
        ("Lee\t Harvey  \r\n Oswald", "Lee Harvey Oswald", 22, 44),
        ("Oswald", "Lee Harvey Oswald", 60, 66)]


def test_overlaps_keep_the_longest_then_exact_then_earliest(tmp_path):
    s = skill(tmp_path, [{"name": "New York"}, {"name": "New York Times", "type": "ORG"},
                         {"name": "York Times"}, {"name": "AMTRUNC"},
                         {"name": "AMTRUNK", "fuzzyEditDistance": 1},
                         {"name": "Times Square"}, {"name": "York Bay"}])
    assert found(s, "The New York Times; AMTRUNC; New York Times Square") == [
        ("New York Times", "New York Times", 4, 18), ("AMTRUNC", "AMTRUNC", 20, 27),
        ("New York Times", "New York Times", 29, 43)]
    assert found(s, "York Times Square") == [("Times Square", "Times Square", 5, 17)]
    assert found(s, "New York Bay") == [("New York", "New York", 0, 8)]  # same length


def test_a_longer_fuzzy_match_beats_a_shorter_exact_one(tmp_path):
    s = skill(tmp_path, [{"name": "New York"},
                         {"name": "New York Times", "fuzzyEditDistance": 1}])
    assert found(s, "the New York Tines") == [("New York Tines", "New York Times", 4, 18)]


def test_same_alias_in_two_entries_goes_to_the_first(tmp_path):
    s = skill(tmp_path, [{"name": "George Washington", "type": "PERSON", "aliases": ["Washington"]},
                         {"name": "Washington", "type": "GPE"}])
    [result] = s.run([{"text": "Washington"}])
    assert [(e["key"], e["matched"]) for e in result["lookup_entities"]] == [
        ("PERSON:george washington", "Washington")]


def test_batch_gives_one_result_per_record_in_order(tmp_path):
    s = skill(tmp_path, [AMTRUNK, OSWALD])
    results = s.run([{"text": "Oswald"}, {"text": None}, {}, {"text": ""},
                     {"text": "AMTRUNC and Oswald"}])
    assert [[e["text"] for e in r["lookup_entities"]] for r in results] == [
        ["Oswald"], [], [], [], ["AMTRUNC", "Oswald"]]


@pytest.mark.parametrize("name, content, message", [
    ("d.json", '[{"name": "AMTRUNK",}]',
     r"'.*d\.json' is not valid JSON: line 1, column 21"),
    ("d.json", '{"names": []}', r"holds no list of entries"),
    ("d.json", [{"name": "A"}, {"name": "AMTRUNK", "fuzzyEditDistance": 7}],
     r"entry 2 \('AMTRUNK'\): fuzzy must be a whole number from 0 to 5, got 7"),
    ("d.json", [{"type": "PERSON"}], r"entry 1: the name is missing or empty"),
    ("d.json", [{"name": "X", "fuzzyEditDistnce": 1}],
     r"entry 1 \('X'\): unknown key\(s\) \['fuzzyEditDistnce'\]; allowed: "),
    ("d.json", [{"name": "X", "caseSensitive": "maybe"}],
     r"case_sensitive must be true or false, got 'maybe'"),
    ("d.json", [{"name": "X", "aliases": [{"txt": "Y"}]}], r"unknown key\(s\) \['txt'\]"),
    ("d.json", [{"name": "X", "aliases": "Y"}], r"'aliases' must be a list"),
    ("d.csv", "title,type\nAMTRUNK,CRYPTONYM\n",
     r"'.*d\.csv': line 1: the header row has unknown column\(s\) \['title'\]"),
    ("d.csv", "type,aliases\nCRYPTONYM,AM/TRUNK\n", r"line 1: the header row has no 'name' column"),
    ("d.csv", "name,fuzzy\nAMTRUNK,1\nZRRIFLE,6\nJMWAVE,x\n",
     r"'.*d\.csv': line 3: fuzzy must .* got '6'; line 4: fuzzy must .* got 'x'"),
    ("d.csv", "name,type\nAMTRUNK,CRYPTONYM,extra\n", r"line 2: 3 cells but the header has 2"),
    ("d.csv", "name,type\n,PERSON\n", r"line 2: the name is missing or empty"),
])
def test_a_bad_dictionary_names_the_file_the_entry_and_the_problem(tmp_path, name, content,
                                                                   message):
    path = write(tmp_path, name, content)
    with pytest.raises(DictionaryError, match=message) as err:
        EntityLookupSkill(dictionary=path).warm_up()
    assert isinstance(err.value, SkillUnavailable) and str(err.value).startswith("entity_lookup: ")


def test_missing_dictionary_and_bad_parameters_are_unavailable(tmp_path):
    with pytest.raises(SkillUnavailable, match="no dictionary given"):
        EntityLookupSkill().warm_up()
    with pytest.raises(SkillUnavailable, match=r"cannot read dictionary '.*nope\.csv'"):
        EntityLookupSkill(dictionary=str(tmp_path / "nope.csv")).warm_up()
    path = write(tmp_path, "d.csv", "AMTRUNK\n")
    with pytest.raises(SkillUnavailable, match="default_fuzzy must be a whole number from 0 to 5"):
        EntityLookupSkill(dictionary=path, default_fuzzy=6).warm_up()
    with pytest.raises(SkillUnavailable, match="default_type must be a non-empty string"):
        EntityLookupSkill(dictionary=path, default_type="").warm_up()


def test_errors_are_listed_at_most_ten_at_a_time(tmp_path):
    path = write(tmp_path, "d.json", [{"name": ""}] * 12)
    with pytest.raises(DictionaryError, match=r"entry 10: .*\(and 2 more\)$"):
        read_dictionary(path)


def test_compiled_once_per_file_version_and_model_names_it(tmp_path):
    s = skill(tmp_path, "AMTRUNK\n", name="codes.csv")
    other = EntityLookupSkill(dictionary=s.dictionary)
    assert other.model == s.dictionary  # before warm-up: the file only
    other.warm_up()
    assert other._matcher is s._matcher
    assert s.model.startswith(s.dictionary + "@sha256:") and len(s.model.split(":")[-1]) == 12
    (tmp_path / "codes.csv").write_text("AMTRUNK\nZRRIFLE\n", encoding="utf-8")
    changed = EntityLookupSkill(dictionary=s.dictionary)
    changed.warm_up()
    assert changed._matcher is not s._matcher and changed.model != s.model
    assert found(changed, "ZRRIFLE") == [("ZRRIFLE", "ZRRIFLE", 0, 7)]


def test_declaration_and_registry():
    assert get_skill("entity_lookup") is EntityLookupSkill
    assert EntityLookupSkill.context == "/document/pages/*"
    assert EntityLookupSkill.inputs == {"text": "/document/pages/*/text"}
    assert EntityLookupSkill.outputs == ("lookup_entities",)
    assert EntityLookupSkill(dictionary="x.csv").models() == []
    assert EntityLookupSkill(dictionary="x.csv").params["default_type"] == "MISC"


def test_runs_in_a_skillset(tmp_path):
    path = write(tmp_path, "codes.json", [AMTRUNK, OSWALD])
    plan = build_plan(Skillset.from_dict({"skills": [{"skill": "entity_lookup",
                                                      "outputs": {"lookup_entities": "codes"},
                                                      "params": {"dictionary": path}}],
                                          "entities": ["/document/pages/*/codes"]}))
    engine = Engine(plan)
    docs = [{"uri": "u1", "pages": [{"number": 1, "text": "Oswald and AMTRUNK"},
                                    {"number": 2, "text": "nothing here"}]},
            {"uri": "u2", "pages": [{"number": 1, "text": "Lee Harvey\nOswald"}]}]
    engine.run_documents(docs)
    assert [[e["key"] for e in p["codes"]] for d in docs for p in d["pages"]] == [
        ["PERSON:lee harvey oswald", "CRYPTONYM:amtrunk"], [], ["PERSON:lee harvey oswald"]]
    provenance = docs[0]["provenance"]["/document/pages/*/codes"]
    assert provenance["skill"] == "entity_lookup" and "codes.json@sha256:" in provenance["model"]
    assert engine.status()["entity_lookup"]["disabled"] is None


def test_a_bad_dictionary_disables_the_skill_in_a_run(tmp_path):
    path = write(tmp_path, "codes.json", [{"name": "AMTRUNK", "fuzzyEditDistance": 9}])
    engine = Engine(build_plan(Skillset.from_dict({"skills": [{"skill": "entity_lookup",
                                                               "params": {"dictionary": path}}]})))
    docs = [{"uri": "u", "pages": [{"number": 1, "text": "AMTRUNK"}]}]
    engine.run_documents(docs)
    assert "lookup_entities" not in docs[0]["pages"][0]
    assert "codes.json': entry 1 ('AMTRUNK'): fuzzy must be" in \
        engine.status()["entity_lookup"]["disabled"]


def test_importing_the_skill_loads_no_numeric_library():
    code = ("import sys, skills.entity_lookup; print(sorted(m for m in "
            "('numpy', 'rapidfuzz', 'spacy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_documented_examples_work(tmp_path):
    yaml_text, json_text, csv_text, bare_csv = [
        textwrap.dedent(block) for doc in (lookup.__doc__, dictionary.__doc__)
        for block in re.findall(r"::\n\n((?:    .*\n|\n)+)", doc)]
    example = yaml.safe_load(yaml_text)
    build_plan(Skillset.from_dict(example))  # valid as written (nothing is loaded)
    text = "AMTRUNK (AM/TRUNK) told Lee Harvey\nOswald about AMTRUNC."
    for name, content in [("d.json", json_text), ("d.csv", csv_text), ("b.csv", bare_csv)]:
        s = skill(tmp_path, content, name=name)
        fuzzy = [] if name == "b.csv" else ["AMTRUNC"]  # the headerless CSV has no fuzzy
        assert [e["text"] for e in s.run([{"text": text}])[0]["lookup_entities"]] == [
            "AMTRUNK", "AM/TRUNK", "Lee Harvey\nOswald", *fuzzy]
