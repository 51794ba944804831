"""Metrics and label maps of `enrich eval`, on hand-computed cases."""

from __future__ import annotations

import pytest

from enrich.eval import (Found, LabelMapError, build_label_map, calibration, graph_scores,
                         parse_labels, score_entities)
from enrich.eval.gold import GoldDoc, GoldMention

WNUT = ["person", "location", "group", "corporation", "product", "creative-work"]


def _doc(*mentions, relations=()):
    return GoldDoc("d", "x " * 20, None, [GoldMention(*m) for m in mentions], list(relations))


def test_exact_span_scores_by_type_micro_and_macro():
    docs = [_doc((0, 2, "PER"), (4, 6, "LOC"), (8, 10, "PER")), _doc((0, 3, "ORG"))]
    found = [Found(0, 0, 2, ("PER",)),      # right
             Found(0, 4, 6, ("ORG",)),      # right span, wrong type
             Found(0, 12, 14, ("PER",)),    # nothing there
             Found(0, 0, 2, ("PER",), 0.9),  # a duplicate counts once
             Found(1, 0, 3, ("ORG",))]      # right
    scores = score_entities(docs, found)
    per = scores["per_type"]
    assert (per["PER"]["tp"], per["PER"]["fp"], per["PER"]["fn"]) == (1, 1, 1)
    assert (per["ORG"]["tp"], per["ORG"]["fp"], per["ORG"]["fn"]) == (1, 1, 0)
    assert (per["LOC"]["tp"], per["LOC"]["fp"], per["LOC"]["fn"]) == (0, 0, 1)
    assert per["ORG"]["precision"] == 0.5 and per["ORG"]["f1"] == 0.6667
    micro = scores["micro"]
    assert (micro["tp"], micro["fp"], micro["fn"]) == (2, 2, 2)
    assert micro["precision"] == micro["recall"] == micro["f1"] == 0.5
    # macro F1: PER 0.5, ORG 2*0.5*1/1.5 = 0.6667, LOC 0 -> 0.3889
    assert scores["macro"]["f1"] == round((0.5 + 2 / 3 + 0) / 3, 4)
    untyped = scores["untyped"]  # 3 of 4 found spans are gold spans, 3 of 4 gold spans found
    assert (untyped["tp"], untyped["fp"], untyped["fn"]) == (3, 1, 1)


def test_a_prediction_with_several_gold_types_matches_any():
    docs = [_doc((0, 1, "group"), (2, 3, "corporation"))]
    found = [Found(0, 0, 1, ("corporation", "group")), Found(0, 2, 3, ("corporation", "group")),
             Found(0, 5, 6, ("corporation", "group"))]
    per = score_entities(docs, found)["per_type"]
    assert per["group"]["tp"] == 1 and per["corporation"]["tp"] == 1
    assert per["corporation"]["fp"] == 1 and per["group"]["fp"] == 0  # charged to the first


def test_precision_per_confidence_bucket():
    docs = [_doc(*[(i, i + 1, "PER") for i in range(0, 10, 2)])]
    found = [Found(0, 0, 1, ("PER",), 0.3), Found(0, 11, 12, ("PER",), 0.4),
             Found(0, 2, 3, ("PER",), 0.75), Found(0, 4, 5, ("PER",), 0.96),
             Found(0, 6, 7, ("PER",), 1.0), Found(0, 13, 14, ("PER",), None)]
    cal = calibration(docs, found)
    rows = {r["bucket"]: r for r in cal["buckets"]}
    assert (rows["[0.00, 0.50)"]["mentions"], rows["[0.00, 0.50)"]["precision"]) == (2, 0.5)
    assert rows["[0.50, 0.70)"]["mentions"] == 0 and rows["[0.50, 0.70)"]["precision"] is None
    assert (rows["[0.70, 0.85)"]["correct"], rows["[0.95, 1.00]"]["correct"]) == (1, 2)
    assert (rows["none"]["mentions"], rows["none"]["precision"]) == (1, 0.0)
    assert cal["rising"] is True
    worse = calibration(docs, [Found(0, 0, 1, ("PER",), 0.2), Found(0, 11, 12, ("PER",), 0.99)])
    assert worse["rising"] is False and all(r["bucket"] != "none" for r in worse["buckets"])


def test_graph_pairs_and_clusters():
    # entity 0: mentions at 0 and 5; entity 1: at 2; entity 2: at 8 and 10; 3: at 12
    doc = _doc((0, 2, "PER", 0), (5, 6, "PER", 0), (2, 3, "ORG", 1), (8, 9, "LOC", 2),
               (10, 11, "LOC", 2), (12, 13, "MISC", 3), relations=[(0, 1), (2, 3)])
    found = [Found(0, 0, 2, ("PER",), key="PERSON:a"), Found(0, 5, 6, ("PER",), key="PERSON:a"),
             Found(0, 2, 3, ("ORG",), key="ORG:b"),
             Found(0, 8, 9, ("LOC",), key="GPE:c"), Found(0, 10, 11, ("LOC",), key="GPE:d"),
             Found(0, 12, 13, ("PER",), key="PERSON:e")]  # wrong type: entity 3 not found
    scores = graph_scores([doc], found)
    # 6 pairs; entity 3 unfound leaves (0,1), (0,2), (1,2): all with different keys
    assert scores["pairs"] == {"found": 3, "linked": 3, "pairs": 6, "rate": 0.5}
    assert scores["related_pairs"]["pairs"] == 2 and scores["related_pairs"]["linked"] == 1
    # clusters with >= 2 found mentions: 0 (one key) and 2 (two keys)
    assert scores["clusters"] == {"eligible": 2, "one_key": 1, "rate": 0.5}
    assert scores["mentions_found"]["found"] == 5 and scores["mentions_found"]["gold"] == 6


def test_two_entities_merged_into_one_key_are_not_linked():
    doc = _doc((0, 1, "PER", 0), (3, 4, "PER", 1))
    found = [Found(0, 0, 1, ("PER",), key="PERSON:x"), Found(0, 3, 4, ("PER",), key="PERSON:x")]
    assert graph_scores([doc], found)["pairs"] == {"found": 1, "linked": 0, "pairs": 1, "rate": 0.0}


def test_default_label_maps_follow_the_gold_types():
    conll = build_label_map(["PER", "ORG", "LOC", "MISC"])
    assert conll["PERSON"] == ("PER",) and conll["FAC"] == ("LOC",) and conll["LAW"] == ("MISC",)
    assert "DATE" not in conll and "CARDINAL" not in conll  # the gold has no TIME, NUM
    redocred = build_label_map(["PER", "ORG", "LOC", "MISC", "TIME", "NUM"])
    assert redocred["DATE"] == ("TIME",) and redocred["MONEY"] == ("NUM",)
    wnut = build_label_map(WNUT)
    assert (wnut["ORG"], wnut["NORP"], wnut["WORK_OF_ART"]) == (("corporation",), ("group",),
                                                                 ("creative-work",))
    assert "LAW" not in wnut
    onto = build_label_map(["PERSON", "GPE"])
    assert onto == {"PERSON": ("PERSON",), "GPE": ("GPE",)}


def test_label_overrides_and_their_errors(tmp_path):
    both = build_label_map(WNUT, parse_labels("ORG=corporation|group, law=product,GPE="))
    assert both["ORG"] == ("corporation", "group") and both["LAW"] == ("product",)
    assert "GPE" not in both
    path = tmp_path / "map.yaml"
    path.write_text("PERSON: MISC\nDATE: null\n")
    assert build_label_map(["PER", "MISC", "TIME"], parse_labels(str(path)))["PERSON"] == ("MISC",)
    with pytest.raises(LabelMapError) as caught:
        build_label_map(["PER"], {"PERSN": "PER"})
    assert caught.value.code == "E702" and "unknown label 'PERSN'" in str(caught.value)
    assert "known: CARDINAL, DATE," in str(caught.value) and "PERSON" in str(caught.value)
    with pytest.raises(LabelMapError, match="'PERS' is not a gold type; the gold has PER"):
        build_label_map(["PER"], {"PERSON": "PERS"})
    with pytest.raises(LabelMapError, match="pairs like"):
        parse_labels("PERSON")
    path.write_text("- a list\n")
    with pytest.raises(LabelMapError, match="must be a mapping"):
        parse_labels(str(path))


def test_ablation_switches_each_rule_off_in_turn_then_all(tmp_path):
    from graph.resolution import RULES

    from enrich.eval import ablation_skillsets

    path = tmp_path / "s.yaml"
    path.write_text("skills: [{skill: entities}]\nentities: [/document/pages/*/entities]\n"
                    "resolution: {boundaries: false}\n")
    variants = dict(ablation_skillsets(path))
    assert list(variants) == [f"no {rule}" for rule in RULES] + ["no rules"]
    assert variants["no acronyms"]["resolution"] == {"boundaries": False, "acronyms": False}
    assert variants["no rules"]["resolution"] == dict.fromkeys(RULES, False)
    assert variants["no type_vote"]["skills"] == [{"skill": "entities"}]
