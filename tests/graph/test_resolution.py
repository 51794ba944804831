"""Corpus-level resolution as pure functions: decisions, span boundaries, word case."""

from __future__ import annotations

import doctest

import pytest

import graph.resolution
import graph.resolution_forms
import graph.resolution_text
from graph.normalize import resolve
from graph.resolution import (DEFAULT_RULES, Decision, Facts, check_rules, decide,
                              name_contributions, voted_type)
from graph.resolution_text import clean_span, word_cases


@pytest.mark.parametrize("module", [graph.resolution, graph.resolution_forms,
                                    graph.resolution_text])
def test_doctests(module):
    assert doctest.testmod(module).failed == 0


def off(rule):
    return {**DEFAULT_RULES, rule: False}


def span(text, surface, **extra):
    start = text.index(surface)
    return {"text": surface, "name": surface, "start": start, "end": start + len(surface),
            **extra}


# --- boundaries ----------------------------------------------------------------------

@pytest.mark.parametrize(("text", "surface", "cleaned"), [
    ("Tickets for Orvelle Harbour vs the Quints", "Orvelle Harbour vs", "Orvelle Harbour"),
    ("and Dassa Mirel came", "and Dassa Mirel", "Dassa Mirel"),
    ("the Brant Foundry's plans", "the Brant Foundry's", "Brant Foundry"),
    ("open at Pellow Lane hours 9-5", "Pellow Lane hours", "Pellow Lane"),
    ("said (Korvath Mills) today", "(Korvath Mills)", "Korvath Mills"),
    ("Wenna Tull, who left.", "Wenna Tull,", "Wenna Tull"),
    ("Brant Foundry Inc. grew", "Brant Foundry Inc.", "Brant Foundry Inc."),
    ("v. Ostrel Quay", "v. Ostrel Quay", "Ostrel Quay"),
    ("The Of Maids", "The Of Maids", "The Of Maids"),  # capitalised: part of a title
    ("RT @Tevna: hi", "RT @Tevna", "Tevna"),  # social text: retweet mark, handle
    ("via https://x.example/a Brant Foundry", "https://x.example/a Brant Foundry",
     "Brant Foundry"),
    ("Wenna Tull \u2764 won", "Wenna Tull \u2764", "Wenna Tull"),
    ("on #Keldmoor today", "#Keldmoor", "Keldmoor"),
    ("Orvelle News said", "Orvelle News", "Orvelle News"),  # capitalised: the name's own
])
def test_boundaries_are_cleaned(text, surface, cleaned):
    out = clean_span(span(text, surface), text)
    assert out["text"] == cleaned == text[out["start"]:out["end"]] == out["name"]


def test_a_span_of_function_words_only_is_dropped_and_names_kept():
    text = "went to and from Keld"
    assert clean_span(span(text, "to and"), text) is None
    given = {**span(text, "Keld"), "name": "Keld Ironworks"}  # a dictionary's own name
    assert clean_span(given, text)["name"] == "Keld Ironworks"


def test_word_cases_skip_sentence_line_field_and_heading_starts():
    assert word_cases("# Harvest notes\n- Harvest: Harvest day") == {
        "notes": (1, 0), "day": (1, 0)}


def test_a_web_address_alone_is_dropped():
    text = "see https://x.example/r/keld now"
    assert clean_span(span(text, "https://x.example/r/keld"), text) is None


def test_word_cases_skip_web_addresses_handles_and_hashtags():
    assert word_cases("see https://x.example/r/keld and @keld #keld or mail a@keld.example") \
        == {"see": (1, 0), "and": (1, 0), "or": (1, 0), "mail": (1, 0)}


def test_word_cases_skip_sentence_starts():
    assert word_cases("Harvest came. The harvest, a Harvest fair.\nHarvest ends") == {
        "harvest": (1, 1), "came": (1, 0), "a": (1, 0), "fair": (1, 0), "ends": (1, 0)}


# --- decisions -----------------------------------------------------------------------

def facts(**names):
    """Facts from ``name=(documents, {type: weight}, [initial, capitals])``."""
    out = Facts()
    for name, (docs, votes, *more) in names.items():
        name = name.replace("_", " ")
        initial, capitals = more[0] if more else (0, 0)
        out.stats[name] = (docs, docs, initial, capitals)
        out.votes[name] = {t: (w, 0, docs) for t, w in votes.items()}
        for other in names:
            other = other.replace("_", " ")
            if other != name and (other.startswith(name + " ") or other.endswith(" " + name)):
                out.containing.setdefault(name, []).append(other)
    return out


def test_a_surname_of_another_type_joins_the_one_full_name():
    f = facts(quill=(2, {"GPE": 1.0}), mara_quill=(3, {"PERSON": 2.0}))
    assert decide("quill", f, DEFAULT_RULES) == Decision("mara quill", "PERSON")
    assert decide("quill", f, off("short_forms")) == Decision("quill", "GPE")


def test_two_comparable_full_names_make_a_short_form_ambiguous_one_dominant_does_not():
    f = facts(quill=(2, {"PERSON": 1.0}), mara_quill=(3, {"PERSON": 2.0}),
              tomas_quill=(2, {"PERSON": 1.0}))
    assert decide("quill", f, DEFAULT_RULES) == Decision("quill", "PERSON")
    f.stats["mara quill"] = (6, 6, 0, 0)  # three times the documents of the other
    assert decide("quill", f, DEFAULT_RULES).target == "mara quill"


def test_organisations_join_trailing_words_not_after_a_function_word_nor_places():
    f = facts(harriers=(1, {"NORP": 1.0}), vell_harriers=(4, {"ORG": 3.0}),
              vell=(5, {"GPE": 3.0}), bank_of_vell=(1, {"ORG": 1.0}))
    assert decide("harriers", f, DEFAULT_RULES) == Decision("vell harriers", "ORG")
    assert decide("vell", f, DEFAULT_RULES) == Decision("vell", "GPE")


def test_type_vote_weighs_confidence_and_the_dictionary_wins():
    votes = {"PERSON": (0.9 + 0.8, 0, 2), "ORG": (0.95, 0, 1)}
    assert voted_type(votes) == "PERSON"
    assert voted_type({**votes, "PLAY": (0.5, 1, 1)}) == "PLAY"
    assert voted_type(votes, weighted=False) == "PERSON"
    f = facts(ostrel=(3, {"ORG": 2.5, "GPE": 0.4}))
    assert decide("ostrel", f, DEFAULT_RULES) == Decision("ostrel", "ORG")
    assert decide("ostrel", f, off("type_vote")) == Decision("ostrel", None)
    assert Decision("ostrel", None).key("GPE:ostrel") == "GPE:ostrel"


def test_a_split_type_vote_leaves_each_mention_its_own_type():
    f = facts(ostrel=(20, {"ORG": 9.8, "PERSON": 5.2}))  # two to one is not clear
    assert decide("ostrel", f, DEFAULT_RULES) == Decision("ostrel", None)
    f.votes["ostrel"]["PERSON"] = (5.2, 0, 2)  # two odd ones are outvoted
    assert decide("ostrel", f, DEFAULT_RULES) == Decision("ostrel", "ORG")
    f = facts(ostrel=(4, {"PERSON": 3.0, "ORG": 0.9}))  # a clear majority
    assert decide("ostrel", f, DEFAULT_RULES) == Decision("ostrel", "PERSON")


def test_missing_confidence_counts_half_in_thousandths():
    stats, votes = name_contributions([
        {"key": "ORG:kell", "text": "KELL", "confidence": None, "initial": True},
        {"key": "ORG:kell", "text": "Kell", "confidence": 0.8},
        {"key": "PERSON:kell", "text": "Kell", "label": "PLAY", "authority": True}])
    assert stats == {"kell": [1, 3, 1, 1]}
    assert votes[("kell", "ORG")] == [1300, 0, 2]  # whole numbers: sums never drift
    assert votes[("kell", "PLAY")] == [500, 1, 0] and votes[("kell", "PERSON")][2] == 1


def test_common_words_need_lower_case_evidence():
    f = facts(harvest=(2, {"PERSON": 1.0}))
    assert not decide("harvest", f, DEFAULT_RULES).rejected  # no evidence
    f.cases["harvest"] = (5, 1)
    assert decide("harvest", f, DEFAULT_RULES) == Decision("harvest", None, True)
    assert Decision("harvest", None, True).key("PERSON:harvest") is None
    assert not decide("harvest", f, off("common_words")).rejected
    f.cases["harvest"] = (5, 5)  # capitalised mid-sentence as often: a name
    assert not decide("harvest", f, DEFAULT_RULES).rejected
    f.cases["harvest"] = (1, 0)
    assert not decide("harvest", f, DEFAULT_RULES).rejected  # one sighting is not "mostly"
    f.stats["harvest"] = (2, 2, 2, 0)  # ... unless the name only ever starts a sentence
    assert decide("harvest", f, DEFAULT_RULES).rejected
    f.stats["harvest"] = (2, 2, 0, 2)  # written in capitals: an acronym
    assert not decide("harvest", f, DEFAULT_RULES).rejected


def test_acronyms_switch():
    f = facts(kbi=(2, {"GPE": 1.0}), kell_bureau_of_inquiry=(1, {"ORG": 1.0}))
    f.aliases["kbi"] = "ORG:kell bureau of inquiry"
    assert decide("kbi", f, DEFAULT_RULES) == Decision("kell bureau of inquiry", "ORG")
    assert decide("kbi", f, off("acronyms")) == Decision("kbi", "GPE")


def test_rules_are_checked():
    assert check_rules({"boundaries": False}) == {**DEFAULT_RULES, "boundaries": False}
    with pytest.raises(ValueError, match="unknown resolution rules"):
        check_rules({"short_form": True})
    with pytest.raises(ValueError, match="true or false"):
        check_rules({"acronyms": "yes"})


def test_per_document_rules_switch_acronyms_and_short_forms():
    text = "Kell Bureau of Inquiry (KBI) met Mara Quill. Quill and the KBI left."
    ms = [{**span(text, s), "type": t} for s, t in [
        ("Kell Bureau of Inquiry", "ORG"), ("Mara Quill", "PERSON")]]
    ms += [{"text": s, "name": s, "type": t, "start": text.rindex(s),
            "end": text.rindex(s) + len(s)} for s, t in [("Quill", "GPE"), ("KBI", "ORG")]]
    keys = [m["key"] for m in resolve(ms, {None: text})[0]]
    assert keys == ["ORG:kell bureau of inquiry", "PERSON:mara quill", "PERSON:mara quill",
                    "ORG:kell bureau of inquiry"]
    keys = [m["key"] for m in resolve(ms, {None: text}, off("short_forms"))[0]]
    assert keys[2] == "GPE:quill"
    out, aliases = resolve(ms, {None: text}, off("acronyms"))
    assert out[3]["key"] == "ORG:kbi" and aliases == []
    assert [m["initial"] for m in out] == [True, False, True, False]


def test_votes_added_and_taken_away_equal_a_fresh_count():
    """Float weights drifted: (0.3 + 0.7) - 0.7 != 0.3, and a drifted tie flipped a type."""
    kept = {"key": "GPE:vell", "text": "Vell", "confidence": 0.3}
    other = {"key": "ORG:vell", "text": "Vell", "confidence": 0.3}
    gone = {"key": "GPE:vell", "text": "Vell", "confidence": 0.7}
    _, fresh = name_contributions([kept, other])
    _, added = name_contributions([kept, gone, other])
    _, removed = name_contributions([gone])
    after = {k: [a - b for a, b in zip(v, removed.get(k, [0, 0, 0]))] for k, v in added.items()}
    assert {k: v for k, v in after.items() if any(v)} == fresh
    votes = {t: tuple(v) for (_, t), v in after.items()}
    assert voted_type(votes) == voted_type({t: tuple(v) for (_, t), v in fresh.items()})
