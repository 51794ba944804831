"""The chunks skill: page-aware, token-sized, overlapping, offsets that point at the text."""

import pytest

from enrich.errors import ConfigError
from skills.chunks import ChunkSkill, cut_points
from skills.sentence_model import load_tokenizer

SENTENCES = [
    "Harbour cranes lifted the blue containers before dawn.",
    "A pilot boat guided the freighter past the breakwater.",
    "Gulls circled above the fish market while traders argued about prices.",
    "By noon the quay was quiet again.",
    "Inspectors counted pallets of copper wire in the customs shed.",
    "The night shift arrived with thermos flasks and radios.",
]
PAGE_ONE = " ".join(SENTENCES * 3)
PAGE_TWO = "Short second page about the lighthouse keeper."


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer("sentence-transformers/all-MiniLM-L6-v2")


def chunk(pages, numbers=None, **params):
    skill = ChunkSkill(**params)
    record = {"pages": pages, "numbers": numbers if numbers is not None else
              list(range(1, len(pages) + 1))}
    [result] = skill.run([record])
    return result["chunks"]


def tokens(tokenizer, text, special=False):
    return tokenizer(text, add_special_tokens=special)["input_ids"]


def test_offsets_point_at_the_chunk_text_and_pages_are_never_crossed():
    pages = [PAGE_ONE, "", PAGE_TWO]
    found = chunk(pages, numbers=[4, 5, 6], max_tokens=40, overlap_tokens=8)
    assert [c["index"] for c in found] == list(range(len(found)))
    assert {c["page"] for c in found} == {4, 6}  # the empty page has no chunk
    for c in found:
        text = pages[c["page"] - 4]
        assert text[c["start"]:c["end"]] == c["text"] and c["text"].strip() == c["text"]
    assert found[-1] == {"text": PAGE_TWO, "page": 6, "start": 0, "end": len(PAGE_TWO),
                         "index": len(found) - 1}
    first_page = [c for c in found if c["page"] == 4]
    assert first_page[0]["start"] == 0 and first_page[-1]["end"] == len(PAGE_ONE)


def test_chunks_fit_the_budget_and_end_at_sentence_ends(tokenizer):
    found = chunk([PAGE_ONE], max_tokens=40, overlap_tokens=0)
    assert len(found) > 3
    for c in found:
        assert len(tokens(tokenizer, c["text"], special=True)) <= 40
        assert c["text"].endswith(".")  # every sentence is shorter than the budget
    # no overlap: the chunks tile the page, only the spaces between them left out
    for a, b in zip(found, found[1:]):
        assert a["end"] < b["start"] and PAGE_ONE[a["end"]:b["start"]].strip() == ""


def test_consecutive_chunks_overlap_by_at_most_overlap_tokens(tokenizer):
    found = chunk([PAGE_ONE], max_tokens=40, overlap_tokens=10)
    shared = []
    for a, b in zip(found, found[1:]):
        assert a["start"] < b["start"] < a["end"] < b["end"]
        overlap = PAGE_ONE[b["start"]:a["end"]]
        assert a["text"].endswith(overlap) and b["text"].startswith(overlap)
        shared.append(len(tokens(tokenizer, overlap)))
    assert all(0 < n <= 10 for n in shared) and max(shared) >= 5


def test_a_sentence_longer_than_the_budget_is_cut_between_words(tokenizer):
    run_on = " ".join(f"word{i} and" for i in range(120))  # no sentence end at all
    found = chunk([run_on], max_tokens=30, overlap_tokens=4)
    assert len(found) > 5
    for c in found:
        assert len(tokens(tokenizer, c["text"], special=True)) <= 30
        assert run_on[c["start"] - 1:c["start"]] in ("", " ")  # starts at a word
        assert run_on[c["end"]:c["end"] + 1] in ("", " ")  # ends at a word end


def test_default_size_is_the_models_sequence_length(tokenizer):
    long_page = " ".join(SENTENCES * 12)
    found = chunk([long_page], overlap_tokens=32)
    sizes = [len(tokens(tokenizer, c["text"], special=True)) for c in found]
    assert max(sizes) <= 256 and max(sizes) > 200
    assert chunk([long_page], max_tokens=10_000) == found  # never above the model's limit


def test_cut_points_of_a_huge_word_fall_back_to_token_boundaries():
    offsets = [(i, i + 1) for i in range(10)]  # ten tokens of one word
    assert cut_points(offsets, [0], budget=4, overlap=1) == [(0, 4), (3, 7), (6, 10)]


def test_an_overlap_as_large_as_the_chunk_is_refused():
    with pytest.raises(ConfigError, match="overlap_tokens must be from 0 to"):
        ChunkSkill(max_tokens=20, overlap_tokens=20).warm_up()


def test_missing_page_numbers_count_from_one():
    found = chunk([PAGE_TWO, PAGE_TWO], numbers=[7])
    assert [c["page"] for c in found] == [1, 2]
