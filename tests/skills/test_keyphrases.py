"""NgramSkill and KeyPhraseSkill on small texts, with an in-memory corpus (the noun
phrases of the default skillset are tested in test_phrases.py)."""

from collections import defaultdict

import pytest

from skills.base import SkillError
from skills.keyphrases import KeyPhraseSkill, NgramSkill, load_stopwords

GAME = """Game Notes: Lakers at Celtics

The game notes list every player. LeBron James read the game notes before the game,
and the Lakers coach added more game notes after it. Of the players, James scored 31."""


class MemoryStats:
    """A dict-backed TermStats."""

    def __init__(self):
        self.terms = defaultdict(dict)  # namespace -> doc_id -> set of terms

    def add(self, doc_id, namespace, terms):
        self.terms[namespace][doc_id] = set(terms)

    def df(self, namespace, terms):
        docs = [t for t in self.terms[namespace].values()]
        return {term: sum(term in d for d in docs) for term in terms}

    def documents(self, namespace):
        return sum(bool(t) for t in self.terms[namespace].values())


def ngrams(text, **params):
    return NgramSkill(**params).run([{"text": text}])[0]["ngrams"]


def test_stopword_list_is_shipped():
    words = load_stopwords()
    assert 250 <= len(words) <= 450
    assert {"the", "and", "of", "don't"} <= words
    assert "game" not in words


def test_ngrams_find_the_recurring_phrase():
    found = {c["key"]: c for c in ngrams(GAME)}
    assert found["game notes"]["count"] == 4
    assert found["game notes"]["text"] == "game notes"  # the most frequent display form
    assert found["lebron james"]["text"] == "LeBron James"
    assert ngrams(GAME)[0]["key"] == "game notes"


def test_ngrams_drop_stopword_edges_punctuation_and_numbers():
    keys = {c["key"] for c in ngrams(GAME, max_candidates=500)}
    assert not any(k.split()[0] in load_stopwords() or k.split()[-1] in load_stopwords()
                   for k in keys)
    assert "the game" not in keys and "game notes before" not in keys
    assert "notes lakers" not in keys  # a blank line separates the heading
    assert "players james" not in keys  # a comma separates them
    assert "31" not in keys
    rows = {c["key"] for c in ngrams("sponsor: Nike\ncity: Los Angeles\nsponsor: Nike\ncity: Boston")}
    assert "nike city" not in rows and "nike" in rows  # a line break ends a phrase
    assert "james scored 31" in keys  # numbers are allowed inside a phrase


def test_ngrams_allow_inner_stopword_and_strip_possessives():
    found = {c["key"] for c in ngrams("Bank of America's results. Bank of America grew.")}
    assert "bank of america" in found
    assert "of america" not in found and "bank of" not in found


def test_ngrams_item_shape_limit_and_empty():
    out = ngrams(GAME, max_candidates=3)
    assert len(out) == 3
    assert set(out[0]) == {"text", "key", "count", "score"}
    assert [c["score"] for c in out] == sorted((c["score"] for c in out), reverse=True)
    assert NgramSkill().run([{"text": ""}, {"text": None}]) == [{"ngrams": []}] * 2


def keyphrase_batch(texts, **params):
    skill = NgramSkill()
    records = [{"_doc_id": f"d{i}", "ngrams": r["ngrams"]}
               for i, r in enumerate(skill.run([{"text": t} for t in texts]))]
    corpus = MemoryStats()
    return KeyPhraseSkill(**params).run(records, corpus=corpus), corpus


DOCS = [
    "Game notes. The Lakers beat the Celtics. Game notes list LeBron James twice: LeBron James.",
    "Game notes. The Bulls beat the Knicks. Scouting report on Michael Jordan.",
    "Game notes. The Heat lost. Injury report on the point guard.",
]


def test_phrase_in_every_document_is_excluded_and_distinctive_ranks_first():
    results, corpus = keyphrase_batch(DOCS, use_corpus=True)
    assert corpus.documents("keyphrases") == 3
    first = [k["key"] for k in results[0]["keyphrases"]]
    assert "game notes" not in first
    assert first[0] == "lebron james"
    assert all("game notes" not in [k["key"] for k in r["keyphrases"]] for r in results)


def test_keyphrases_are_sorted_rounded_and_deduped():
    results, _ = keyphrase_batch(DOCS, use_corpus=True)
    phrases = results[0]["keyphrases"]
    scores = [p["score"] for p in phrases]
    assert scores == sorted(scores, reverse=True)
    assert all(round(s, 4) == s for s in scores)
    assert set(phrases[0]) == {"text", "key", "score"}
    assert "lebron" not in [p["key"] for p in phrases]  # inside "lebron james"
    assert phrases[0]["text"] == "LeBron James"


def test_keyphrases_are_deterministic_and_top_limits():
    first, _ = keyphrase_batch(DOCS, top=2)
    second, _ = keyphrase_batch(DOCS, top=2)
    assert first == second
    assert all(len(r["keyphrases"]) <= 2 for r in first)


def test_single_document_keeps_its_phrases():
    results, _ = keyphrase_batch([DOCS[0]], use_corpus=True)
    assert "game notes" in [k["key"] for k in results[0]["keyphrases"]]


def test_without_corpus_weighting_a_document_ranks_alone_but_is_registered():
    together, corpus = keyphrase_batch(DOCS)
    alone, _ = keyphrase_batch([DOCS[0]])
    assert together[0] == alone[0]  # the other documents change nothing
    assert "game notes" in [k["key"] for k in together[1]["keyphrases"]]
    assert corpus.documents("keyphrases") == 3
    assert corpus.df("keyphrases", ["game notes"]) == {"game notes": 3}


def test_max_df_ratio_applies_from_five_documents():
    texts = [f"Shared topic here. Unique{i} alpha{i} beta{i}." for i in range(9)]
    texts.append("Something else entirely. Different words.")
    results, _ = keyphrase_batch(texts, max_df_ratio=0.8, use_corpus=True)
    assert "shared topic" not in [k["key"] for k in results[0]["keyphrases"]]
    kept, _ = keyphrase_batch(texts, max_df_ratio=0.95, use_corpus=True)
    assert "shared topic" in [k["key"] for k in kept[0]["keyphrases"]]


def test_record_without_doc_id_is_an_error_and_corpus_is_required():
    skill = KeyPhraseSkill()
    results = skill.run([{"ngrams": []}, {"_doc_id": "a", "ngrams": None}], corpus=MemoryStats())
    assert isinstance(results[0], SkillError)
    assert results[1] == {"keyphrases": []}
    with pytest.raises(TypeError):
        skill.run([{"_doc_id": "a", "ngrams": []}])


def test_declarations():
    assert KeyPhraseSkill.needs_corpus and not NgramSkill.needs_corpus
    assert KeyPhraseSkill.inputs == {"candidates": "/document/ngrams"}
    assert NgramSkill.outputs == ("ngrams",) and KeyPhraseSkill.outputs == ("keyphrases",)
