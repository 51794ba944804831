"""The pii wiring that enrich/default_skillset.yaml documents in its comments is valid,
and puts the skill before everything that reads the page text."""

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
