"""Candidate n-grams and key phrases.

Two skills (the default skillset pairs ``keyphrases`` with the noun phrases of
``skills.phrases`` instead of ``ngrams``):

* ``NgramSkill`` (``ngrams``) finds candidate phrases of one to three words in a
  document with a regular-expression tokenizer (no spaCy, so it costs a small
  fraction of the entity skill) and scores them locally;
* ``KeyPhraseSkill`` (``keyphrases``) runs in the indexer's main process with the
  corpus statistics: it registers each document's candidates there and keeps the
  best of them; optionally (``use_corpus``) it re-ranks them by local score times
  inverse document frequency, dropping phrases that occur almost everywhere.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from functools import lru_cache
from importlib import resources
from typing import Any, ClassVar, Iterable, Iterator, Sequence

from skills.base import Record, Skill, SkillError, TermStats

__all__ = ["NgramSkill", "KeyPhraseSkill", "load_stopwords"]

# A word (letters/digits, with inner apostrophes, hyphens, dots, ampersands:
# "don't", "e-mail", "U.S", "AT&T"), or a run of anything that ends a phrase:
# punctuation other than those joiners, or a line break (rows of a CSV, list items
# and headings are separate; a phrase wrapped across two PDF lines is lost there).
_TOKEN = re.compile(r"(?P<w>[^\W_]+(?:['’\-.&][^\W_]+)*)|(?P<p>[^\w\s]|\n)")
_POSSESSIVE = re.compile(r"['’]s$", re.IGNORECASE)
_NUMBER = re.compile(r"^[\d.,:/\-]+$")


@lru_cache(maxsize=1)
def load_stopwords() -> frozenset[str]:
    """The shipped English stopword list (``skills/data/stopwords_en.txt``)."""
    text = resources.files("skills").joinpath("data", "stopwords_en.txt").read_text("utf-8")
    words = (line.strip().lower() for line in text.splitlines())
    return frozenset(w.replace("’", "'") for w in words if w and not w.startswith("#"))


def _runs(text: str) -> Iterator[list[str]]:
    """Yield runs of surface tokens that no punctuation or line break separates."""
    run: list[str] = []
    for match in _TOKEN.finditer(text):
        if match.lastgroup == "w":
            run.append(_POSSESSIVE.sub("", match.group()))
        elif run:
            yield run
            run = []
    if run:
        yield run


class _Counts:
    """Phrase counts, display forms and RAKE word statistics of one text."""

    def __init__(self, stopwords: frozenset[str], max_words: int) -> None:
        self.stopwords, self.max_words = stopwords, max_words
        self.phrases: Counter[str] = Counter()
        self.forms: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.freq: Counter[str] = Counter()
        self.degree: Counter[str] = Counter()

    def add_run(self, surface: list[str]) -> None:
        """Count the candidate phrases and word co-occurrences of one run."""
        lower = [w.lower().replace("’", "'") for w in surface]
        edge_ok = [self._edge_ok(w) for w in lower]
        self._add_degrees(lower, edge_ok)
        for i in range(len(lower)):
            if not edge_ok[i]:
                continue
            for j in range(i + 1, min(i + self.max_words, len(lower)) + 1):
                if edge_ok[j - 1]:
                    self._add_phrase(lower[i:j], surface[i:j])

    def _edge_ok(self, word: str) -> bool:
        """Whether a phrase may start or end with this word."""
        return word not in self.stopwords and (len(word) > 1 or word.isdigit())

    def _add_phrase(self, lower: list[str], surface: list[str]) -> None:
        if all(_NUMBER.match(w) for w in lower):
            return
        key = " ".join(lower)
        self.phrases[key] += 1
        self.forms[key][" ".join(surface)] += 1

    def _add_degrees(self, lower: list[str], edge_ok: list[bool]) -> None:
        """RAKE degree: each content word scores the length of its content run."""
        start = 0
        for i in range(len(lower) + 1):
            if i == len(lower) or not edge_ok[i]:
                length = min(i - start, self.max_words)
                for word in lower[start:i]:
                    self.freq[word] += 1
                    self.degree[word] += length
                start = i + 1

    def score(self, key: str) -> float:
        """Count times the sum of RAKE word scores (degree / frequency)."""
        words = [w for w in key.split(" ") if self.freq[w]]
        return self.phrases[key] * sum(self.degree[w] / self.freq[w] for w in words)


class NgramSkill(Skill):
    """Candidate key phrases of 1-3 words, scored within one document.

    The text is split into tokens by a regular expression; phrases never cross
    punctuation or a line break, never start or end with a stopword (or a single
    letter), and phrases made only of numbers are dropped. A stopword may sit
    inside a three-word phrase ("bank of america"). Possessive "'s" is removed.

    Each candidate is ``{"text": the most frequent surface form, "key": the
    lowercase normalised form, "count": occurrences, "score": local score}``.
    The local score is RAKE-like: a word's score is its degree (the length of the
    stopword-free runs it occurs in, capped at ``max_words``) over its frequency,
    and a phrase scores its count times the sum of its words' scores, so phrases
    that recur and whose words tend to occur together rank first. Only the top
    ``max_candidates`` (default 50) are kept, by score, then key.

    Parameters: ``max_candidates``, ``max_words`` (default 3) and
    ``extra_stopwords`` (words added to the shipped English list).
    """

    name: ClassVar[str] = "ngrams"
    version: ClassVar[str] = "1"
    context: ClassVar[str] = "/document"
    inputs: ClassVar[dict[str, str]] = {"text": "/document/content"}
    outputs: ClassVar[tuple[str, ...]] = ("ngrams",)
    description: ClassVar[str] = "Candidate phrases of 1-3 words with counts and local scores."

    def __init__(self, max_candidates: int = 50, max_words: int = 3,
                 extra_stopwords: Sequence[str] = (), **params: Any) -> None:
        super().__init__(max_candidates=max_candidates, max_words=max_words,
                         extra_stopwords=list(extra_stopwords), **params)
        self.max_candidates = int(max_candidates)
        self.max_words = int(max_words)
        self.extra_stopwords = frozenset(w.lower() for w in extra_stopwords)

    def run(self, records: Sequence[Record], **kwargs: Any) -> list[dict[str, Any]]:
        """Return ``{"ngrams": [candidate, ...]}`` per record, in order."""
        stopwords = load_stopwords() | self.extra_stopwords
        return [{"ngrams": self.candidates(r.get("text"), stopwords)} for r in records]

    def candidates(self, text: Any, stopwords: frozenset[str]) -> list[dict[str, Any]]:
        """The top candidates of one text."""
        if not isinstance(text, str) or not text:
            return []
        counts = _Counts(stopwords, self.max_words)
        for run in _runs(text):
            counts.add_run(run)
        scored = sorted(((round(counts.score(k), 4), k) for k in counts.phrases),
                        key=lambda item: (-item[0], item[1]))
        return [{"text": counts.forms[key].most_common(1)[0][0], "key": key,
                 "count": counts.phrases[key], "score": score}
                for score, key in scored[: self.max_candidates]]


class KeyPhraseSkill(Skill):
    """Key phrases of a document: the best of its candidates, registered corpus-wide.

    Input ``candidates``: the document's scored candidates, ``/document/ngrams`` by
    default (as before); the default skillset reads the noun phrases of the
    ``phrases`` skill instead (``inputs: {candidates: /document/phrases}``). Every record's candidate keys are registered in the corpus
    statistics (``corpus.add(doc_id, namespace, keys)``), which keeps document
    frequencies of phrases for the whole corpus.

    By default (``use_corpus: false``) a document's key phrases are its candidates
    in their own order: they depend on the document alone, never on the batch, the
    worker or the order of indexing. With ``use_corpus: true`` each candidate is
    scored ``local score * idf``, ``idf = log((N + 1) / (df + 0.5))`` over the
    corpus indexed so far *including this batch*, and a phrase in every document
    (``df == N``, ``N >= 2``), or in more than ``max_df_ratio`` (0.9) of them once
    ``N >= 5``, is dropped: better on a corpus indexed in one go, but then the
    phrases of a document depend on what was indexed before it (and so on
    ``--batch-size``). With ``dedupe`` (default on), a phrase that contains, or is
    contained in, a better-ranked key phrase of the same document is skipped
    ("kell varga" keeps out "kell" and "varga").

    Output: the top ``top`` (default 10) ``{"text", "key", "score"}``, scores
    rounded to 4 decimals, sorted by score descending then key.
    """

    name: ClassVar[str] = "keyphrases"
    version: ClassVar[str] = "2"
    context: ClassVar[str] = "/document"
    inputs: ClassVar[dict[str, str]] = {"candidates": "/document/ngrams"}
    outputs: ClassVar[tuple[str, ...]] = ("keyphrases",)
    needs_corpus: ClassVar[bool] = True
    description: ClassVar[str] = "Key phrases: the best candidates, optionally times corpus idf."

    RATIO_MIN_DOCS: ClassVar[int] = 5

    def __init__(self, top: int = 10, max_df_ratio: float = 0.9, dedupe: bool = True,
                 namespace: str = "keyphrases", use_corpus: bool = False, **params: Any) -> None:
        super().__init__(top=top, max_df_ratio=max_df_ratio, dedupe=dedupe,
                         namespace=namespace, use_corpus=use_corpus, **params)
        self.top = int(top)
        self.max_df_ratio = float(max_df_ratio)
        self.dedupe = bool(dedupe)
        self.namespace = namespace
        self.use_corpus = bool(use_corpus)

    def run(self, records: Sequence[Record], corpus: TermStats | None = None,
            **kwargs: Any) -> list[Any]:
        """Register the batch's candidates, then rank each record's."""
        if corpus is None:
            raise TypeError("keyphrases needs the corpus statistics: run(records, corpus=...)")
        for record in records:
            if record.get("_doc_id") is not None:
                corpus.add(record["_doc_id"], self.namespace, _keys(_candidates(record)))
        if not self.use_corpus:
            return [self._rank(r, None, 0) for r in records]
        n_docs = corpus.documents(self.namespace)
        every = {k for r in records for k in _keys(_candidates(r))}
        df = corpus.df(self.namespace, sorted(every)) if every else {}
        return [self._rank(r, df, n_docs) for r in records]

    def _rank(self, record: Record, df: dict[str, int] | None, n_docs: int) -> Any:
        """The key phrases of one record (or a SkillError when it has no id)."""
        if record.get("_doc_id") is None:
            return SkillError("keyphrases: record has no '_doc_id'")
        scored = []
        for cand in _candidates(record):
            if df is None:
                scored.append((round(cand["score"], 4), cand["key"], cand["text"]))
                continue
            freq = df.get(cand["key"], 0)
            if not self._too_common(freq, n_docs):
                idf = math.log((n_docs + 1) / (freq + 0.5))
                scored.append((round(cand["score"] * idf, 4), cand["key"], cand["text"]))
        scored.sort(key=lambda item: (-item[0], item[1]))
        return {"keyphrases": [{"text": text, "key": key, "score": score}
                               for score, key, text in self._select(scored)]}

    def _too_common(self, freq: int, n_docs: int) -> bool:
        """Whether a phrase is in (almost) every document of the corpus."""
        if n_docs >= 2 and freq >= n_docs:
            return True
        return n_docs >= self.RATIO_MIN_DOCS and freq / n_docs > self.max_df_ratio

    def _select(self, scored: list[tuple[float, str, str]]) -> list[tuple[float, str, str]]:
        """The first ``top`` phrases, skipping overlaps with chosen ones when deduping."""
        chosen: list[tuple[float, str, str]] = []
        for item in scored:
            if len(chosen) >= self.top:
                break
            if not (self.dedupe and any(_overlaps(item[1], c[1]) for c in chosen)):
                chosen.append(item)
        return chosen


def _candidates(record: Record) -> list[dict[str, Any]]:
    """The record's candidates (``candidates``, or ``ngrams`` as older skillsets named it)."""
    found = record.get("candidates")
    if found is None:
        found = record.get("ngrams")
    return list(found or ())


def _keys(ngrams: Iterable[dict[str, Any]] | None) -> list[str]:
    """The distinct candidate keys of one record, in order."""
    return list(dict.fromkeys(c["key"] for c in ngrams or ()))


def _overlaps(a: str, b: str) -> bool:
    """Whether one phrase is a whole-word sub-phrase of the other."""
    return f" {a} " in f" {b} " or f" {b} " in f" {a} "
