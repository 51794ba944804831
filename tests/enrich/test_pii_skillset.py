"""The pii skill in skillsets and records: the wiring the default skillset documents in
its comments is valid and runs pii first; personal data and its context words never
become entities unless asked (``to_record`` on a tree, no Presidio needed)."""

import re

import yaml

from enrich.plan import build_plan
from enrich.skillset import DEFAULT_SKILLSET_FILE, Skillset


def _commented_pii_block(text: str) -> dict:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(r"\s*# - skill: pii\s*$", line))
    block = []
    for line in lines[start:]:
        if not re.match(r"\s*#( -|   )", line):
            break
        block.append(re.sub(r"^\s*# ?", "", line).split("  #")[0])
    return yaml.safe_load("\n".join(block))[0]


def test_the_documented_redaction_wiring_builds_and_runs_first():
    text = DEFAULT_SKILLSET_FILE.read_text(encoding="utf-8")
    pii = _commented_pii_block(text)
    assert pii["params"]["mode"] == "redact"
    data = yaml.safe_load(text)
    merge = next(i for i, s in enumerate(data["skills"]) if s.get("skill") == "merge")
    data["skills"][merge] = {"skill": "merge", "outputs": {"merged_text": "raw_text"}}
    data["skills"].insert(merge + 1, pii)
    field = re.search(r"# (pii_types: \S+)", text).group(1)
    data["fields"].update(yaml.safe_load(field))
    plan = build_plan(Skillset.from_dict(data))
    order = [b.name for b in plan.skills]
    for reader in ("join", "entities", "phrases", "chunks", "language"):
        assert order.index("pii") < order.index(reader), order
    assert plan.fields["pii_types"] == ("pages", "*", "pii", "*", "type")


def test_pii_is_not_in_the_default_skillset():
    assert "pii" not in [b.spec.skill for b in build_plan(Skillset.default()).skills]


def _page_doc(text, ssn):
    at = text.index(ssn)
    finding = {"type": "US_SSN", "text": ssn, "start": at, "end": at + len(ssn),
               "confidence": 0.85, "context": ["ssn"]}
    spacy_like = [{"text": "SSN", "type": "ORG", "name": "SSN", "key": "ORG:ssn",
                   "start": text.index("SSN"), "end": text.index("SSN") + 3, "confidence": 0.6},
                  {"text": ssn[:3], "type": "CARDINAL", "name": ssn[:3],
                   "key": f"CARDINAL:{ssn[:3]}", "start": at, "end": at + 3, "confidence": 0.5},
                  {"text": "Anna Schmidt", "type": "PERSON", "name": "Anna Schmidt",
                   "key": "PERSON:anna schmidt", "start": 0, "end": 12, "confidence": 0.99}]
    asked = [{"text": ssn, "type": "US_SSN", "name": ssn, "key": f"US_SSN:{ssn}",
              "start": at, "end": at + len(ssn), "confidence": 0.85}]
    page = {"number": 1, "text": text, "merged_text": text, "pii": [finding],
            "pii_entities": asked, "entities": spacy_like}
    provenance = {"/document/pages/*/pii_entities": {"skill": "pii", "version": "1"},
                  "/document/pages/*/entities": {"skill": "entities", "version": "3"}}
    return {"uri": "file:///letter.txt", "metadata": {"file_name": "letter.txt"},
            "content": text, "pages": [page], "provenance": provenance}


def test_pii_and_its_context_words_never_become_entities_unless_asked():
    from enrich.records import to_record
    from enrich.testing.pii_factories import pii_skillset, pii_values

    ssn = pii_values(3)["ssn"]
    text = f"Anna Schmidt wrote: my SSN is {ssn}."
    plain = build_plan(Skillset.from_dict(pii_skillset(mode="detect")))
    keys = {m["key"] for m in to_record(_page_doc(text, ssn), "file:///", plain).entities}
    assert keys == {"PERSON:anna schmidt"}
    asked = build_plan(Skillset.from_dict(pii_skillset(mode="detect", as_entities=True)))
    mentions = to_record(_page_doc(text, ssn), "file:///", asked).entities
    assert {m["type"] for m in mentions} == {"PERSON", "US_SSN"}
