"""`enrich eval` end to end: invented gold through the real pipeline and spaCy model."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from enrich.cli.app import app

# Three invented sentences (three documents: the file has no -DOCSTART-). The small
# English model finds Barack Obama, Ada Lovelace (PERSON -> PER), Paris, London,
# Berlin (GPE -> LOC), Microsoft (ORG) and Sunday (DATE: not evaluated, this gold has
# no TIME), and misses the invented team "Green Tigers": 6 right, 0 wrong, 1 missed.
CONLL = """Barack\tB-PER
Obama\tI-PER
visited\tO
Paris\tB-LOC
last\tO
week\tO
.\tO

Microsoft\tB-ORG
hired\tO
Ada\tB-PER
Lovelace\tI-PER
in\tO
London\tB-LOC
.\tO

The\tO
Green\tB-ORG
Tigers\tI-ORG
played\tO
in\tO
Berlin\tB-LOC
on\tO
Sunday\tO
.\tO
"""


def _eval(*args):
    result = CliRunner().invoke(app, ["eval", *map(str, args)])
    return result


@pytest.fixture
def gold(tmp_path):
    path = tmp_path / "tiny.conll"
    path.write_text(CONLL, encoding="utf-8")
    return path


def test_entities_end_to_end(gold, tmp_path):
    result = _eval("entities", gold, "--workers", "0", "--bare-spacy", "--json",
                   "--data", tmp_path / "work")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["gold"] == {"path": str(gold), "format": "conll", "documents": 3,
                              "mentions": 7, "types": {"LOC": 3, "ORG": 2, "PER": 2}}
    assert report["pipeline"]["documents"]["indexed"] == 3
    for stage in ("before", "after", "bare_spacy"):
        scores = report[stage]
        assert (scores["micro"]["tp"], scores["micro"]["fp"], scores["micro"]["fn"]) == (6, 0, 1)
        assert scores["micro"]["f1"] == round(2 * 6 / (2 * 6 + 0 + 1), 4)  # 0.9231
        assert scores["per_type"]["ORG"]["recall"] == 0.5
        assert scores["macro"]["f1"] == round((1 + 1 + 2 / 3) / 3, 4)
    # every resolved mention is counted once in the calibration table
    assert sum(row["mentions"] for row in report["calibration"]["buckets"]) == 6
    assert (tmp_path / "work" / "index").is_dir()  # kept, for `enrich graph --data`


def test_label_map_and_types_change_what_counts(gold):
    result = _eval("entities", gold, "--workers", "0", "--json", "--labels", "GPE=")
    micro = json.loads(result.stdout)["after"]["micro"]
    assert (micro["tp"], micro["fp"], micro["fn"]) == (3, 0, 4)  # the three places dropped
    result = _eval("entities", gold, "--workers", "0", "--json", "--types", "per,ORG")
    report = json.loads(result.stdout)
    assert set(report["after"]["per_type"]) == {"ORG", "PER"}
    assert (report["after"]["micro"]["tp"], report["after"]["micro"]["fn"]) == (3, 1)


def test_ablate_indexes_once_per_rule_from_the_shared_cache(gold, tmp_path):
    from graph.resolution import RULES

    work = tmp_path / "work"
    result = _eval("entities", gold, "--workers", "0", "--json", "--ablate", "--data", work)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    rows = {row["variant"]: row for row in report["ablation"]}
    assert list(rows) == ["all rules", *(f"no {rule}" for rule in RULES), "no rules"]
    assert rows["all rules"]["f1"] == report["after"]["micro"]["f1"]
    for row in rows.values():
        assert row["delta_f1"] == round(row["f1"] - rows["all rules"]["f1"], 4)
    for name in list(rows)[1:]:  # each variant indexed into its own folder, one cache
        folder = work / ("ablate-" + name.replace(" ", "-"))
        assert folder.is_dir()
    assert any(p.is_symlink() for p in (work / "ablate-no-rules").rglob("*"))


def test_text_output_shows_scores_and_calibration(gold):
    result = _eval("entities", gold, "--workers", "0")
    assert result.exit_code == 0, result.output
    assert "0.923" in result.stdout and "calibration" in result.stdout
    assert "3 documents, 7 mentions" in result.stdout


def test_graph_end_to_end(tmp_path):
    doc = {"title": "t", "sents": [["Barack", "Obama", "visited", "Paris", "."],
                                   ["Obama", "met", "Ada", "Lovelace", "in", "London", "."]],
           "vertexSet": [[{"pos": [0, 2], "sent_id": 0, "type": "PER"},
                          {"pos": [0, 1], "sent_id": 1, "type": "PER"}],
                         [{"pos": [3, 4], "sent_id": 0, "type": "LOC"}],
                         [{"pos": [2, 4], "sent_id": 1, "type": "PER"}],
                         [{"pos": [5, 6], "sent_id": 1, "type": "LOC"}]],
           "labels": [{"h": 0, "t": 1, "r": "P1"}]}
    path = tmp_path / "g.json"
    path.write_text(json.dumps([doc]))
    result = _eval("graph", path, "--workers", "0", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    # the model finds all five mentions, and "Obama" in the second sentence gets the
    # key of "Barack Obama" (a surname joins the full name in its document)
    assert report["mentions_found"] == {"found": 5, "gold": 5, "rate": 1.0}
    assert report["clusters"] == {"eligible": 1, "one_key": 1, "rate": 1.0}
    assert report["pairs"] == {"found": 6, "linked": 6, "pairs": 6, "rate": 1.0}
    assert report["related_pairs"]["rate"] == 1.0


@pytest.mark.parametrize(("args", "code", "words"), [
    (["entities", "{bad}"], "E701", "line 2: a token without a tag"),
    (["entities", "{gold}", "--labels", "PERSN=PER"], "E702", "known: CARDINAL"),
    (["entities", "{gold}", "--types", "CITY"], "E702", "it has LOC, ORG, PER"),
    (["graph", "{gold}"], "E700", "needs DocRED gold"),
])
def test_bad_input_is_one_line(gold, tmp_path, args, code, words):
    bad = tmp_path / "bad.conll"
    bad.write_text("Nora\tB-PER\nPell\n")
    argv = [a.format(gold=gold, bad=bad) for a in args] + ["--workers", "0"]
    result = _eval(*argv)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"error {code}:") and words in lines[0]
