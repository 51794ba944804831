import copy
import doctest
import random

import pytest

import graph.normalize
from graph.normalize import (
    entity_key,
    normalize_name,
    resolve,
    sentence_of,
    sentence_spans,
)


def test_doctests():
    assert doctest.testmod(graph.normalize).failed == 0


def mention(text, surface, type, nth=0, **extra):
    """A skill-style mention of the ``nth`` occurrence of ``surface`` in ``text``."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(surface, start + 1)
    return {"key": f"{type}:{surface}", "type": type, "name": surface, "text": surface,
            "page": None, "image": None, "start": start, "end": start + len(surface), **extra}


# --- normalize_name ------------------------------------------------------------------

@pytest.mark.parametrize(("name", "type", "expected"), [
    ("Dr. Martin Luther King, Jr.", "PERSON", "martin luther king jr"),
    ("Mr. President Kennedy", "PERSON", "kennedy"),
    ("Sen Elizabeth Warren", "PERSON", "elizabeth warren"),
    ("John F. Kennedy", "PERSON", "john f kennedy"),
    ("Henry Ford III", "PERSON", "henry ford iii"),
    ("President", "PERSON", "president"),
    ("The Rock", "PERSON", "the rock"),
    ("LeBron James's", "PERSON", "lebron james"),
    ("the Celtics\u2019", "ORG", "celtics"),
    ("  LEBRON\n\tJAMES ", "PERSON", "lebron james"),
    ("\u201cNike\u201d", "ORG", "nike"),
    ("O\u2019Neal", "PERSON", "o'neal"),
    ("Jean\u2010Luc Picard", "PERSON", "jean-luc picard"),
    ("\ufb01nance Ministry", "ORG", "finance ministry"),
    ("Le\u00adBron\u00a0James", "PERSON", "lebron james"),
    ("F.B.I.", "ORG", "fbi"),
    ("U.S.", "GPE", "us"),
    ("the U.S. Army", "ORG", "us army"),
    ("Nike, Inc.", "ORG", "nike"),
    ("Apple Inc", "ORG", "apple"),
    ("Acme Co., Ltd.", "ORG", "acme"),
    ("Ford Motor Company", "ORG", "ford motor"),
    ("Siemens AG", "ORG", "siemens"),
    ("Nike, Inc.", "PRODUCT", "nike inc"),
    ("The Beatles", "ORG", "beatles"),
    ("Inc.", "ORG", "inc"),
    ("( )", "ORG", "( )"),
])
def test_normalize_name(name, type, expected):
    assert normalize_name(name, type) == expected


def test_entity_key_is_type_and_normalised_name():
    assert entity_key("PERSON", "Mr. LeBron James") == "PERSON:lebron james"
    assert entity_key("ORG", "Nike, Inc.") == entity_key("ORG", "NIKE") == "ORG:nike"


# --- resolve: types and short forms --------------------------------------------------

def test_majority_type_wins_and_label_keeps_the_skills_type():
    text = "Jordan played. Jordan won. Jordan retired."
    ms = [mention(text, "Jordan", t, nth=i) for i, t in enumerate(["GPE", "PERSON", "PERSON"])]
    out, aliases = resolve(ms, {None: text})
    assert [(m["label"], m["type"], m["key"]) for m in out] == [
        ("GPE", "PERSON", "PERSON:jordan"), ("PERSON", "PERSON", "PERSON:jordan"),
        ("PERSON", "PERSON", "PERSON:jordan")]
    assert [m["sentence"] for m in out] == [0, 1, 2]
    assert aliases == []


def test_type_tie_goes_to_the_preferred_type():
    text = "Washington spoke in Washington."
    ms = [mention(text, "Washington", "GPE"), mention(text, "Washington", "PERSON", nth=1)]
    out, _ = resolve(ms, {None: text})
    assert [m["key"] for m in out] == ["PERSON:washington"] * 2


def test_short_form_joins_the_one_full_name():
    text = "LeBron James scored 30. Later Mr. James rested."
    ms = [mention(text, "LeBron James", "PERSON"), mention(text, "Mr. James", "PERSON")]
    out, _ = resolve(ms, {None: text})
    assert [(m["key"], m["name"], m["text"], m["sentence"]) for m in out] == [
        ("PERSON:lebron james", "LeBron James", "LeBron James", 0),
        ("PERSON:lebron james", "LeBron James", "Mr. James", 1)]


def test_first_name_joins_too():
    text = "John F. Kennedy spoke. Kennedy smiled. John left."
    ms = [mention(text, "John F. Kennedy", "PERSON"), mention(text, "Kennedy", "PERSON", nth=1),
          mention(text, "John", "PERSON", nth=1)]
    out, _ = resolve(ms, {None: text})
    assert {m["key"] for m in out} == {"PERSON:john f kennedy"}


def test_ambiguous_short_form_is_left_alone():
    text = "Vell Harriers and Dunmore Harriers met. Harriers won."
    ms = [mention(text, "Vell Harriers", "ORG"), mention(text, "Dunmore Harriers", "ORG"),
          mention(text, "Harriers", "ORG", nth=2)]
    out, _ = resolve(ms, {None: text})
    assert [m["key"] for m in out] == [
        "ORG:vell harriers", "ORG:dunmore harriers", "ORG:harriers"]
    assert out[2]["name"] == "Harriers"


def test_a_shared_surname_joins_the_first_namesake_named():
    text = "Kim Orvel founded it. His son Ann Orvel sold it. Orvel died."
    ms = [mention(text, "Kim Orvel", "PERSON"), mention(text, "Ann Orvel", "PERSON"),
          mention(text, "Orvel", "PERSON", nth=2)]
    out, _ = resolve(ms, {None: text})
    assert [m["key"] for m in out] == ["PERSON:kim orvel", "PERSON:ann orvel",
                                       "PERSON:kim orvel"]


def test_person_variants_join_the_full_name():
    text = ("Tam Vesk Brill Jr. wrote. T. V. Brill and Tam V. Brill agreed. Brill left. "
            "Korvel Province grew; Korvel is far. The Republic of Ostra and Ostra met. "
            "Yarrow College hired Tam. Yarrow paid. Vesk smiled.")
    ms = [mention(text, s, t) for s, t in [
        ("Tam Vesk Brill Jr.", "PERSON"), ("T. V. Brill", "PERSON"), ("Tam V. Brill", "PERSON"),
        ("Korvel Province", "GPE"), ("Republic of Ostra", "GPE"), ("Yarrow College", "ORG")]]
    ms += [mention(text, "Brill", "PERSON", nth=2), mention(text, "Korvel", "GPE", nth=1),
           mention(text, "Ostra", "GPE", nth=1), mention(text, "Yarrow", "ORG", nth=1),
           mention(text, "Vesk", "PERSON", nth=1)]
    out, _ = resolve(ms, {None: text})
    assert [m["key"] for m in out] == ["PERSON:tam vesk brill jr"] * 3 + [
        "GPE:korvel province", "GPE:republic of ostra", "ORG:yarrow college",
        "PERSON:tam vesk brill jr", "GPE:korvel province", "GPE:republic of ostra",
        "ORG:yarrow college", "PERSON:tam vesk brill jr"]


def test_among_several_long_forms_the_short_forms_own_type_wins():
    text = "Tam Vesk Brill joined Corwen Brill. Brill spoke. Tam Brill left."
    ms = [mention(text, "Tam Vesk Brill", "PERSON"), mention(text, "Corwen Brill", "ORG"),
          mention(text, "Brill", "PERSON", nth=2), mention(text, "Tam Brill", "PERSON")]
    out, _ = resolve(ms, {None: text})
    assert [m["key"] for m in out] == ["PERSON:tam vesk brill", "ORG:corwen brill",
                                       "PERSON:tam vesk brill", "PERSON:tam vesk brill"]


def test_honorific_alone_and_other_types_do_not_join():
    text = "Joe Biden spoke. The President left. Boston Celtics won in Boston."
    ms = [mention(text, "Joe Biden", "PERSON"), mention(text, "President", "PERSON"),
          mention(text, "Boston Celtics", "ORG"), mention(text, "Boston", "ORG", nth=1)]
    out, _ = resolve(ms, {None: text})
    assert [m["key"] for m in out] == [
        "PERSON:joe biden", "PERSON:president", "ORG:boston celtics", "ORG:boston"]


# --- resolve: acronyms ---------------------------------------------------------------

FBI_TEXT = ("The Federal Bureau of Investigation (FBI) opened a case. "
            "The FBI said little. Agents of the F.B.I. left.")


def test_acronym_defined_after_the_long_form():
    ms = [mention(FBI_TEXT, "Federal Bureau of Investigation", "ORG"),
          mention(FBI_TEXT, "FBI", "ORG", nth=1), mention(FBI_TEXT, "F.B.I.", "GPE")]
    out, aliases = resolve(ms, {None: FBI_TEXT})
    long = "ORG:federal bureau of investigation"
    assert [(m["key"], m["name"], m["label"], m["sentence"]) for m in out] == [
        (long, "Federal Bureau of Investigation", "ORG", 0),
        (long, "Federal Bureau of Investigation", "ORG", 1),
        (long, "Federal Bureau of Investigation", "GPE", 2)]
    assert [m["text"] for m in out] == ["Federal Bureau of Investigation", "FBI", "F.B.I."]
    assert aliases == [("ORG:fbi", long)]


def test_acronym_defined_before_the_long_form():
    text = "The CIA (Central Intelligence Agency) declined. Later the CIA agreed."
    ms = [mention(text, "Central Intelligence Agency", "ORG"), mention(text, "CIA", "ORG", nth=1)]
    out, aliases = resolve(ms, {None: text})
    assert [m["key"] for m in out] == ["ORG:central intelligence agency"] * 2
    assert aliases == [("ORG:cia", "ORG:central intelligence agency")]


def test_acronym_with_function_word_initial_and_pages():
    texts = {1: "Intro.", 2: "The Department of Justice (DoJ) sued. DOJ won."}
    ms = [dict(mention(texts[2], "Department of Justice", "ORG"), page=2),
          dict(mention(texts[2], "DOJ", "ORG"), page=2)]
    out, aliases = resolve(ms, texts)
    assert [(m["key"], m["sentence"]) for m in out] == [
        ("ORG:department of justice", 0), ("ORG:department of justice", 1)]
    assert aliases == [("ORG:doj", "ORG:department of justice")]


def test_acronym_of_a_hyphenated_long_form_with_ampersand():
    text = "Texas A&M Agri-Life Research (TAMALR) grew. TAMALR stayed."
    ms = [mention(text, "Texas A&M Agri-Life Research", "ORG"), mention(text, "TAMALR", "ORG", 1)]
    out, aliases = resolve(ms, {None: text})
    assert out[1]["key"] == "ORG:texas a&m agri-life research"
    assert aliases == [("ORG:tamalr", "ORG:texas a&m agri-life research")]


def test_acronym_whose_initials_do_not_match_is_not_linked():
    text = "The National Football League (NBA) met. The NBA agreed."
    ms = [mention(text, "National Football League", "ORG"), mention(text, "NBA", "ORG", nth=1)]
    out, aliases = resolve(ms, {None: text})
    assert [m["key"] for m in out] == ["ORG:national football league", "ORG:nba"]
    assert aliases == []


def test_an_acronym_used_without_definition_joins_the_one_name_it_spells():
    text = "The Ostrel Trade Union met. Later the OTU and the People's Union of Keld (PUK) met."
    ms = [mention(text, "Ostrel Trade Union", "ORG"), mention(text, "OTU", "ORG"),
          mention(text, "People's Union of Keld", "ORG")]
    out, aliases = resolve(ms, {None: text})
    assert [m["key"] for m in out][:2] == ["ORG:ostrel trade union"] * 2
    assert ("ORG:otu", "ORG:ostrel trade union") in aliases
    text = "The Ostrel Trade Union and the Orvel Tin Union. The OTU left."
    ms = [mention(text, "Ostrel Trade Union", "ORG"), mention(text, "Orvel Tin Union", "ORG"),
          mention(text, "OTU", "ORG")]
    assert resolve(ms, {None: text})[0][2]["key"] == "ORG:otu"  # two names spell it


def test_lowercase_parenthesis_is_not_an_acronym():
    text = "Federal Bureau of Investigation (fbi) and fbi."
    ms = [mention(text, "Federal Bureau of Investigation", "ORG"), mention(text, "fbi", "ORG", 1)]
    out, aliases = resolve(ms, {None: text})
    assert out[1]["key"] == "ORG:fbi"
    assert aliases == []


# --- resolve: offsets and purity -----------------------------------------------------

def test_mentions_without_offsets_get_no_sentence_and_are_still_normalised():
    text = "LeBron James wore Nike."
    ms = [mention(text, "LeBron James", "PERSON"),
          {"key": "brand:NIKE, INC.", "type": "ORG", "name": "NIKE, Inc.", "text": "NIKE",
           "page": 1, "image": "p1-i0", "start": None, "end": None, "score": 0.9}]
    out, _ = resolve(ms, {None: text})
    assert out[1]["key"] == "ORG:nike" and out[1]["sentence"] is None
    assert out[1]["score"] == 0.9 and out[1]["image"] == "p1-i0"
    assert out[0]["sentence"] == 0


def test_missing_page_text_gives_no_sentence():
    ms = [{"type": "GPE", "name": "Ohio", "text": "Ohio", "page": 3, "start": 0, "end": 4}]
    out, _ = resolve(ms, {1: "Ohio."})
    assert out[0]["key"] == "GPE:ohio" and out[0]["sentence"] is None


def test_resolve_leaves_inputs_unmodified():
    ms = [mention(FBI_TEXT, "Federal Bureau of Investigation", "ORG"),
          mention(FBI_TEXT, "FBI", "PERSON", nth=1)]
    before = copy.deepcopy(ms)
    out, _ = resolve(ms, {None: FBI_TEXT})
    assert ms == before
    assert all(a is not b for a, b in zip(out, ms))


# --- sentences -----------------------------------------------------------------------

def pieces(text):
    return [text[a:b] for a, b in sentence_spans(text)]


def test_sentences_split_on_terminal_punctuation():
    assert pieces('He said "Go." Then he left! Why? 42 stayed.') == [
        'He said "Go." ', "Then he left! ", "Why? ", "42 stayed."]


def test_sentences_do_not_split_after_abbreviations_or_initials():
    text = "Mr. Smith and Dr. Jones of Acme Inc. met John F. Kennedy in the U.S. Senate. End."
    assert pieces(text) == [text[:-4], "End."]
    assert pieces("Bring fruit, e.g. Apples. Done.") == ["Bring fruit, e.g. Apples. ", "Done."]


def test_sentences_do_not_split_before_lowercase():
    assert pieces('"Stop!" she said. Then 3.5 pts.') == ['"Stop!" she said. ', "Then 3.5 pts."]


def test_blank_lines_split_paragraphs():
    assert pieces("Title\n\nFirst para\nstill first.\n \nMr.\n\nNext") == [
        "Title\n\n", "First para\nstill first.\n \n", "Mr.\n\n", "Next"]


def test_sentence_of_finds_the_span():
    text = "One. Two. Three."
    spans = sentence_spans(text)
    assert [sentence_of(spans, text.index(w)) for w in ("One", "Two", "Three")] == [0, 1, 2]
    assert sentence_of(spans, len(text)) == 2
    assert sentence_spans("") == [(0, 0)]


def test_spans_are_contiguous_and_cover_random_texts():
    rng = random.Random(7)
    alphabet = ["a", "B", " ", ".", "!", "?", "\n", '"', ")", "Mr.", "U.S.", "J.", "\n\n", "9"]
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        spans = sentence_spans(text)
        assert spans[0][0] == 0 and spans[-1][1] == len(text)
        assert all(a < b for a, b in spans) or text == ""
        assert all(spans[i][1] == spans[i + 1][0] for i in range(len(spans) - 1))


def test_a_long_page_splits_into_its_sentences():
    """Speed is measured in bench/, not asserted here (about 4 ms for this page)."""
    text = "Mr. Smith met J. Doe in the U.S. on Monday! Was it late? Yes.\n\n" * 1600
    assert len(text) > 100_000
    spans = sentence_spans(text)
    assert len(spans) == 3 * 1600


def test_no_is_an_abbreviation_only_before_a_number():
    assert pieces("See No. 5 here. He said no. Then left.") == [
        "See No. 5 here. ", "He said no. ", "Then left."]
