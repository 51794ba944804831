"""Noun-phrase candidates of a document, ranked by PositionRank.

``NounPhraseSkill`` (``phrases``) reads a document's page texts and the entities
found on them, and returns its candidate key phrases with a local score:

1. **Boilerplate is masked** before anything else, from the document alone: a line
   that repeats (digits aside, so "Page 2" matches "Page 3") on at least half of the
   pages of a document of two or more pages is a header or footer; in a record laid
   out as ``label: value`` lines (a row of a CSV, JSON or SQL table: at least two
   lines, most of them of that shape) the labels are column names. Neither yields a
   phrase.
2. **Candidates are noun phrases** from part-of-speech patterns over spaCy's tagger
   (``tok2vec`` and ``tagger`` only, the pipeline loaded once per process): maximal
   runs of adjectives and nouns that end with a noun, a hyphen inside a word kept
   ("four-axis"), never across a line break or punctuation, stopwords trimmed from
   the edges. An entity (its span on the page) is one atomic unit: a phrase that
   overlaps it contains it whole. Names (PERSON, ORG, GPE, ...) count as proper
   nouns and are candidates themselves; numeric entities (DATE, CARDINAL, MONEY,
   ...) end a phrase.
3. **Ranking** is PositionRank (Florescu and Caragea, ACL 2017): a graph of the
   candidate words (and entity units) linked when they occur within ``window``
   words of each other, scored by a PageRank biased towards words that occur early
   and often (each occurrence at position ``p`` adds ``1/p``); a phrase scores the
   sum of its words' scores.

Nothing in the output depends on other documents, the batch or the worker, so the
skill is cacheable and its results do not change with ``--batch-size``.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter, defaultdict
from typing import Any, ClassVar, Iterable, Sequence

import numpy as np

from skills.base import Record, RunContext, Skill
from skills.entities import default_model, load_model
from skills.keyphrases import load_stopwords

__all__ = ["NounPhraseSkill", "boilerplate_spans", "NUMERIC_TYPES"]

NUMERIC_TYPES = frozenset({"DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL",
                           "CARDINAL"})
_NOUN = frozenset({"NN", "NNS", "NNP", "NNPS"})
_ADJ = frozenset({"JJ", "JJR", "JJS"})
_HYPHENS = frozenset({"-", "‐", "‑"})
_LABEL = re.compile(r"^[ \t]*([^\W\d_][^:\n]{0,39}?)[ \t]*:(?=[ \t]|$)", re.MULTILINE)
_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")


def _line_key(line: str) -> str:
    return _SPACE.sub(" ", _DIGITS.sub("#", line)).strip().lower()


def boilerplate_spans(pages: Sequence[str]) -> list[list[tuple[int, int]]]:
    """Character spans, per page, that are headers/footers or record labels."""
    spans: list[list[tuple[int, int]]] = [[] for _ in pages]
    if len(pages) >= 2:
        seen: Counter[str] = Counter()
        for text in pages:
            seen.update({k for k in map(_line_key, text.splitlines()) if len(k) > 3})
        repeated = {k for k, n in seen.items() if n >= max(2, (len(pages) + 1) // 2)}
        for i, text in enumerate(pages):
            start = 0
            for line in text.splitlines(keepends=True):
                if _line_key(line) in repeated:
                    spans[i].append((start, start + len(line)))
                start += len(line)
    for i, text in enumerate(pages):
        lines = [ln for ln in text.splitlines() if ln.strip()]
        labels = list(_LABEL.finditer(text))
        if len(lines) >= 2 and len(labels) * 2 > len(lines):
            spans[i].extend(m.span(1) for m in labels)
    return spans


class _Unit:
    """A word, or a whole entity, in document order."""

    __slots__ = ("text", "key", "kind", "start", "end", "space")

    def __init__(self, text: str, kind: str, start: int, end: int, space: bool) -> None:
        self.text, self.kind, self.start, self.end, self.space = text, kind, start, end, space
        self.key = text.lower().replace("’", "'")


class NounPhraseSkill(Skill):
    """Candidate key phrases: noun phrases ranked by PositionRank (see the module).

    Inputs: ``pages`` (the page texts, ``/document/pages/*/merged_text``) and
    ``entities`` (their entity lists, ``/document/pages/*/entities``; may be absent).
    Output ``phrases``: up to ``max_candidates`` (default 30) ``{"text", "key",
    "count", "score"}``, by score then key; ``text`` is the most frequent surface
    form, ``key`` the lower-case form. Parameters: ``model`` (the spaCy pipeline
    whose tagger is used; default the entity skill's), ``max_words`` (6),
    ``window`` (10), ``max_chars`` (4,000: how much of a document, from its start,
    is tagged; PositionRank favours early phrases anyway, and tagging is the skill's
    cost: on the throughput benchmark's 4-page documents 4,000 characters keep indexing
    within 10 % of its CPU time without key phrases, while the whole text cost a third
    more; raise it for documents whose subject comes late), ``extra_stopwords``.
    """

    name: ClassVar[str] = "phrases"
    version: ClassVar[str] = "2"
    context: ClassVar[str] = "/document"
    inputs: ClassVar[dict[str, str]] = {"pages": "/document/pages/*/merged_text",
                                        "entities": "/document/pages/*/entities"}
    outputs: ClassVar[tuple[str, ...]] = ("phrases",)
    description: ClassVar[str] = "Noun-phrase candidates ranked by PositionRank."
    runtime_params: ClassVar[frozenset[str]] = frozenset({"batch_size"})

    def __init__(self, model: str | None = None, max_candidates: int = 30, max_words: int = 6,
                 window: int = 10, max_chars: int = 4_000, batch_size: int = 64,
                 extra_stopwords: Sequence[str] = (), **params: Any) -> None:
        super().__init__(model=model, max_candidates=max_candidates, max_words=max_words,
                         window=window, max_chars=max_chars, batch_size=batch_size,
                         extra_stopwords=list(extra_stopwords), **params)
        self.model_name = model
        self.max_candidates, self.max_words = int(max_candidates), int(max_words)
        self.window, self.max_chars, self.batch_size = int(window), int(max_chars), int(batch_size)
        self.stopwords = load_stopwords() | {w.lower() for w in extra_stopwords}
        self._nlp: Any = None

    @property
    def model(self) -> str | None:
        return self.model_name or default_model()

    def warm_up(self, context: RunContext = RunContext()) -> None:
        if self._nlp is None:
            self._nlp = load_model(self.model, ("attribute_ruler", "lemmatizer", "ner",
                                                "parser", "senter"))

    def run(self, records: Sequence[Record], **kwargs: Any) -> list[dict[str, Any]]:
        """Return ``{"phrases": [...]}`` per record, in order. Pages are tagged one by
        one (cheaper than whole documents), all pages of the batch in one ``pipe``."""
        self.warm_up()
        texts: list[str] = []
        plans: list[list[tuple[list[tuple[int, int]], list[tuple[int, int, str]]]]] = []
        for record in records:
            pages = [p if isinstance(p, str) else "" for p in record.get("pages") or []]
            per_page = record.get("entities") if isinstance(record.get("entities"), list) else []
            masks, plan, left = boilerplate_spans(pages), [], self.max_chars
            for i, page in enumerate(pages):
                if left <= 0:
                    break
                ents = _page_entities(page, per_page[i] if i < len(per_page) else None)
                cut = _cut(page, left, ents)
                texts.append(page[:cut])
                left -= len(page)
                plan.append((masks[i], [e for e in ents if e[1] <= cut]))
            plans.append(plan)
        docs = iter(self._nlp.pipe(texts, batch_size=self.batch_size))
        out = []
        for plan in plans:
            units: list[_Unit | None] = []
            for mask, ents in plan:
                units.extend(self._units(next(docs), mask, ents))
                units.append(None)  # no phrase across pages
            out.append({"phrases": self.candidates(units)})
        return out

    def candidates(self, units: list[_Unit | None]) -> list[dict[str, Any]]:
        """The ranked candidates of one document's units."""
        phrases = self._phrases(units)
        if not phrases:
            return []
        scores = self._rank(units)
        counts: Counter[str] = Counter()
        forms: defaultdict[str, Counter[str]] = defaultdict(Counter)
        words: dict[str, list[str]] = {}
        for run in phrases:
            key = " ".join(u.key for u in run)
            counts[key] += 1
            forms[key][_surface(run)] += 1
            words[key] = [u.key for u in run]
        scored = sorted(((round(sum(scores.get(w, 0.0) for w in words[k]), 6), k) for k in counts),
                        key=lambda item: (-item[0], item[1]))
        return [{"text": forms[k].most_common(1)[0][0], "key": k, "count": counts[k], "score": s}
                for s, k in scored[: self.max_candidates]]

    def _units(self, doc: Any, mask: list[tuple[int, int]],
               entities: list[tuple[int, int, str]]) -> list[_Unit | None]:
        """Words and entities in order; ``None`` where a phrase must end."""
        units: list[_Unit | None] = []
        ent_at = _entity_index(entities)
        masked = _Spans(mask)
        i, tokens = 0, list(doc)
        while i < len(tokens):
            tok = tokens[i]
            hit = ent_at(tok.idx, tok.idx + len(tok.text))
            if hit is not None:
                start, end, label = hit
                j = i
                while j < len(tokens) and tokens[j].idx < end:
                    j += 1
                last = tokens[j - 1]
                if masked.hit(start, end):
                    units.append(None)
                else:
                    kind = "x" if label in NUMERIC_TYPES else "e"
                    first = i
                    while first < j - 1 and tokens[first].lower_ in self.stopwords:
                        first += 1  # "The Hartwell Rovers" -> "Hartwell Rovers"
                    text = doc.text[tokens[first].idx: last.idx + len(last.text)]
                    units.append(_Unit(_SPACE.sub(" ", text), kind, start, end,
                                       bool(last.whitespace_)))
                i = max(j, i + 1)
                continue
            if "\n" in tok.text or tok.is_space or masked.hit(tok.idx, tok.idx + len(tok.text)):
                units.append(None)
            else:
                kind = "n" if tok.tag_ in _NOUN else "a" if tok.tag_ in _ADJ else \
                    "h" if tok.text in _HYPHENS and not tok.whitespace_ else "x"
                if kind in "na" and (tok.lower_ in self.stopwords or not any(c.isalpha() for c in tok.text)):
                    kind = "x"
                units.append(_Unit(tok.text, kind, tok.idx, tok.idx + len(tok.text),
                                   bool(tok.whitespace_)))
            i += 1
        return _join_hyphens(units)

    def _phrases(self, units: list[_Unit | None]) -> list[list[_Unit]]:
        """Maximal (adjective|noun|entity)* runs ending in a noun or entity, plus
        every entity on its own; a run with two or more entities is split around them
        (two names side by side are two phrases)."""
        found: list[list[_Unit]] = []
        run: list[_Unit] = []
        names = 0
        for unit in [*units, None]:
            if unit is not None and unit.kind in "nae":
                run.append(unit)
                names += unit.kind == "e"
                continue
            if not run:
                continue
            if names > 1:
                piece: list[_Unit] = []
                for u in run:
                    if u.kind == "e":
                        found.extend(self._trim(piece))
                        piece = []
                    else:
                        piece.append(u)
                found.extend(self._trim(piece))
            else:
                found.extend(self._trim(run))
            run, names = [], 0
        found.extend([u] for u in units if u is not None and u.kind == "e")
        return found

    def _trim(self, run: list[_Unit]) -> list[list[_Unit]]:
        """The run as a phrase: ending in a noun or entity, at most ``max_words`` units."""
        run = list(run)
        while run and run[-1].kind not in "ne":
            run.pop()
        return [run[-self.max_words:]] if run else []

    def _rank(self, units: list[_Unit | None]) -> dict[str, float]:
        """PositionRank scores of the candidate words (and entity units)."""
        seq = [u.key for u in units if u is not None and u.kind in "nae"]
        if not seq:
            return {}
        index: dict[str, int] = {}
        ids = np.array([index.setdefault(w, len(index)) for w in seq])
        n = len(index)
        bias = np.bincount(ids, weights=1.0 / np.arange(1, len(ids) + 1), minlength=n)
        bias /= bias.sum()
        src, dst = [], []
        for d in range(1, self.window):
            src.append(ids[:-d])
            dst.append(ids[d:])
        a = np.concatenate([*src, *dst]) if src else np.array([], dtype=int)
        b = np.concatenate([*dst, *src]) if src else np.array([], dtype=int)
        keep = a != b
        a, b = a[keep], b[keep]
        out = np.bincount(a, minlength=n).astype(float)
        score = bias.copy()
        for _ in range(50):
            share = np.divide(score, out, out=np.zeros(n), where=out > 0)
            new = 0.15 * bias + 0.85 * np.bincount(b, weights=share[a], minlength=n)
            new += 0.85 * score[out == 0].sum() * bias  # dangling words jump back
            if np.abs(new - score).sum() < 1e-8:
                score = new
                break
            score = new
        return {w: float(score[i]) for w, i in index.items()}


def _join_hyphens(units: list[_Unit | None]) -> list[_Unit | None]:
    """Words joined by a hyphen without spaces ("two-man", "four-axis") as one unit,
    of the kind of its last word."""
    out: list[_Unit | None] = []
    k = 0
    while k < len(units):
        unit = units[k]
        while (unit is not None and unit.kind != "e" and not unit.space and k + 2 < len(units)
               and units[k + 1] is not None and units[k + 1].kind == "h"
               and units[k + 2] is not None and units[k + 2].kind not in "eh"):
            nxt = units[k + 2]
            unit = _Unit(unit.text + units[k + 1].text + nxt.text, nxt.kind, unit.start,
                         nxt.end, nxt.space)
            k += 2
        out.append(None if unit is not None and unit.kind == "h" else unit)
        k += 1
    return out


def _surface(run: list[_Unit]) -> str:
    out = []
    for unit in run:
        out.append(unit.text)
        out.append(" " if unit.space else "")
    return "".join(out[:-1]).strip()


class _Spans:
    """Sorted character spans, with an overlap test."""

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        self.spans = sorted(spans)

    def hit(self, start: int, end: int) -> bool:
        return any(s < end and start < e for s, e in self.spans)


def _entity_index(entities: list[tuple[int, int, str]]):
    """A lookup: the entity a token span overlaps, if any (entities sorted, disjoint)."""
    spans = sorted(entities)
    starts = [s for s, _, _ in spans]

    def at(start: int, end: int) -> tuple[int, int, str] | None:
        k = bisect.bisect_right(starts, start) - 1
        for cand in spans[max(k, 0): k + 2]:
            if cand[0] < end and start < cand[1]:
                return cand
        return None
    return at


def _cut(page: str, limit: int, entities: list[tuple[int, int, str]]) -> int:
    """Where to stop tagging ``page`` to stay within ``limit`` characters: at a space,
    and before an entity the limit would cut, so that no word or name is cut.

    >>> _cut("Ada Lovelace wrote notes", 9, [(0, 12, "PERSON")])
    0
    >>> _cut("Ada Lovelace wrote notes", 16, [(0, 12, "PERSON")])
    12
    """
    if len(page) <= limit:
        return len(page)
    cut = max(page.rfind(space, 0, limit + 1) for space in " \n\t")
    cut = cut if cut > 0 else limit
    for start, end, _ in entities:
        if start < cut < end:
            cut = start
    return cut


def _page_entities(page: str, entities: Any) -> list[tuple[int, int, str]]:
    """A page's entity spans ``(start, end, type)``, overlaps resolved longest first."""
    found = []
    for ent in entities if isinstance(entities, list) else ():
        if not isinstance(ent, dict):
            continue
        start, end = ent.get("start"), ent.get("end")
        if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(page):
            found.append((start, end, str(ent.get("type") or "")))
    return _disjoint(found)


def _disjoint(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Overlapping entity spans merged into the longest first (no unit is cut)."""
    kept: list[tuple[int, int, str]] = []
    for span in sorted(spans, key=lambda s: (-(s[1] - s[0]), s[0])):
        if not any(s < span[1] and span[0] < e for s, e, _ in kept):
            kept.append(span)
    return sorted(kept)
