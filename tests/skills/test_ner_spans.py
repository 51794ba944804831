"""skills.ner_spans: windows, owners, words, tag decoding and the type map (pure functions)."""

import pytest

from skills.ner_spans import decode, owners, parse_tag, type_map, windows, words


@pytest.mark.parametrize("n, length, stride", [(1, 4, 1), (10, 4, 0), (10, 4, 2), (23, 6, 3),
                                               (50, 10, 9), (7, 10, 2)])
def test_windows_cover_the_text_and_each_token_is_decided_once_by_its_nearest_centre(
        n, length, stride):
    spans = windows(n, length, stride)
    assert spans[0][0] == 0 and spans[-1][1] == n
    assert all(b - a <= length for a, b in spans)
    assert all(spans[k + 1][0] - spans[k][0] == max(1, length - stride)
               for k in range(len(spans) - 1))
    decided = owners(spans)
    tokens = [t for lo, hi in decided for t in range(lo, hi)]
    assert tokens == list(range(n))  # once each, in order
    for (a, b), (lo, hi) in zip(spans, decided):
        assert a <= lo <= hi <= b
        for t in range(lo, hi):
            distance = abs(t - (a + b - 1) / 2)
            assert all(distance <= abs(t - (c + d - 1) / 2)
                       for c, d in spans if c <= t < d)


def test_no_tokens_no_windows():
    assert windows(0, 8, 2) == [] and owners([]) == []


def test_labels_parse_into_prefix_and_type():
    assert parse_tag("B-PER") == ("B", "PER")
    assert parse_tag("i_org") == ("I", "org")
    assert parse_tag("U-LOC") == ("U", "LOC") and parse_tag("L-LOC") == ("L", "LOC")
    assert parse_tag("O") == ("O", "")
    assert parse_tag("PERSON") == ("I", "PERSON")  # IO tagging: the label is the type
    assert parse_tag("B-WORK_OF_ART") == ("B", "WORK_OF_ART")


def tagged(*tags):
    """Words of length 1 at 0, 2, 4... with their tags and a score of 0.5."""
    return [(2 * i, 2 * i + 1, parse_tag(tag), 0.5) for i, tag in enumerate(tags)]


def spans_of(*tags):
    return [(start, end, kind) for start, end, kind, _ in decode(tagged(*tags))]


def test_bio_decoding_opens_on_b_continues_on_i_and_closes_on_o():
    assert spans_of("B-PER", "I-PER", "O", "B-ORG") == [(0, 3, "PER"), (6, 7, "ORG")]
    assert spans_of("B-PER", "B-PER") == [(0, 1, "PER"), (2, 3, "PER")]
    assert spans_of("B-PER", "I-ORG") == [(0, 1, "PER"), (2, 3, "ORG")]


def test_an_i_without_its_b_opens_an_entity_as_in_iob1():
    assert spans_of("O", "I-LOC", "I-LOC") == [(2, 5, "LOC")]


def test_bilou_tags_close_on_last_and_unit():
    assert spans_of("B-PER", "L-PER", "I-PER") == [(0, 3, "PER"), (4, 5, "PER")]
    assert spans_of("U-ORG", "U-ORG", "S-LOC", "E-LOC") == [
        (0, 1, "ORG"), (2, 3, "ORG"), (4, 5, "LOC"), (6, 7, "LOC")]


def test_scores_follow_the_words_of_each_span():
    words_ = [(0, 1, ("B", "PER"), 0.9), (2, 3, ("I", "PER"), 0.5), (4, 5, ("O", ""), 0.99)]
    assert decode(words_) == [(0, 3, "PER", [0.9, 0.5])]


def test_pieces_of_a_word_join_and_punctuation_stands_alone():
    text = "Wash ington (Reuters) Ada's 3M"
    # tokens: "Wash", "ington" (a gap: two words), "(", "Re", "uters", ")", "Ada", "'", "s",
    # "3", "M" (different tokenizer words, no gap: one word)
    offsets = [(0, 4), (5, 11), (12, 13), (13, 15), (15, 20), (20, 21), (22, 25), (25, 26),
               (26, 27), (28, 29), (29, 30)]
    word_ids = [0, 1, 2, 2, 2, 2, 3, 3, 3, 4, 5]
    found = [text[a:b] for a, b, _ in words(text, offsets, word_ids)]
    assert found == ["Wash", "ington", "(", "Reuters", ")", "Ada", "'", "s", "3M"]


def test_the_first_token_of_a_word_is_the_one_it_is_read_from():
    text = "Quillon x"
    assert list(words(text, [(0, 5), (5, 7), (8, 9)], [0, 0, 1])) == [(0, 7, 0), (8, 9, 2)]


def test_characters_of_unspaced_scripts_stay_apart_unless_the_tokenizer_joins_them():
    text = "東京都"
    assert [text[a:b] for a, b, _ in words(text, [(0, 1), (1, 2), (2, 3)], [0, 1, 2])] == \
        ["東", "京", "都"]
    assert [text[a:b] for a, b, _ in words(text, [(0, 2), (2, 3)], [0, 0])] == ["東京都"]


def test_pieces_of_one_character_and_special_tokens():
    text = "a 😀 b"
    offsets = [(0, 0), (0, 1), (2, 3), (2, 3), (4, 5), (0, 0)]
    assert [text[a:b] for a, b, _ in words(text, offsets, [None, 0, 1, 1, 2, None])] == \
        ["a", "😀", "b"]


def test_the_default_type_map_is_ontonotes_style():
    assert type_map(["PER", "ORG", "LOC", "MISC"], None) == {
        "PER": "PERSON", "ORG": "ORG", "LOC": "GPE", "MISC": "NORP"}
    assert type_map(["person", "corporation", "creative-work", "location"], None) == {
        "person": "PERSON", "corporation": "ORG", "creative-work": "WORK_OF_ART",
        "location": "GPE"}
    # an OntoNotes checkpoint has both: LOC stays LOC; unknown types pass through
    assert type_map(["GPE", "LOC", "DATE"], None) == {"GPE": "GPE", "LOC": "LOC", "DATE": "DATE"}


def test_a_given_map_is_the_whole_map():
    assert type_map(["PER", "ORG", "LOC"], {"per": "PERSON", "LOC": "LOC", "ORG": None}) == {
        "PER": "PERSON", "ORG": None, "LOC": "LOC"}
    assert type_map(["PER", "MISC"], {"PER": "PERSON"}) == {"PER": "PERSON", "MISC": None}
