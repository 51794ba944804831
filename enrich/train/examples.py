"""Training items: a piece of text, the entity spans it should give, and what is known
about the rest of it.

From corrections (:func:`correction_items`): each reviewed mention is taught in its
sentence. The sentence is cut with :func:`graph.normalize.sentence_spans`, the splitter
that numbered ``mentions.sentence`` when the store was written, so the sentence is the
one the store means, and no parser has to run (the entities skill loads none); a
mention that runs past its sentence's end widens the piece to the sentence it ends
in. A sentence over ``max_chars`` (a page without full stops) is cut at line breaks or
spaces (:func:`skills.entities.chunks`), and a mention across a cut is skipped and
counted. Only the reviewed spans are known: the other tokens are *missing* values
for spaCy (not "outside"), so an entity nobody reviewed is never taught as a
non-entity.

Rehearsal (:func:`rehearsal_texts`): sentences of the same store that no correction
touches, which the base model labels itself (pseudo-rehearsal) as complete examples.

:func:`to_example` aligns an item to the model's tokens: a span that does not start
and end on token boundaries is skipped and counted, never guessed.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator

from graph.normalize import sentence_of, sentence_spans
from skills.entities import chunks

from enrich.train.rows import Mention, StoreRows

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.training import Example

__all__ = ["Item", "Counts", "correction_items", "rehearsal_texts", "to_example"]

MAX_CHARS = 1000
MIN_WORDS = 3  # a shorter unreviewed sentence (a heading, a fragment) is no rehearsal


@dataclass
class Item:
    """One training text: entity spans ``(start, end, label)``, known non-entity spans
    ``(start, end)``, and whether every other token is outside an entity."""

    text: str
    spans: list[tuple[int, int, str]] = field(default_factory=list)
    outside: list[tuple[int, int]] = field(default_factory=list)
    complete: bool = False
    source: str = "correction"  # correction | rehearsal | gold


@dataclass
class Counts:
    """What the examples hold and what was left out, for the summary."""

    positive: int = 0      # entity spans taught from corrections
    negative: int = 0      # non-entity spans taught from reject corrections
    sentences: int = 0     # examples from corrections
    rehearsal: int = 0     # examples of the base model's own predictions
    gold: int = 0          # examples from the gold file
    gold_spans: int = 0
    misaligned: int = 0    # spans not on token boundaries (skipped)
    cut: int = 0           # spans across a piece's edge, or outside the text (skipped)
    overlapping: int = 0   # spans overlapping another span of the same item (skipped)

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))


Where = tuple[str, int | None, int]  # (doc_id, page, sentence index)


def correction_items(rows: StoreRows, counts: Counts, max_chars: int = MAX_CHARS
                     ) -> tuple[list[Item], set[Where]]:
    """The reviewed mentions in their sentences, and the sentences they are in."""
    by_text: dict[tuple[str, int | None], list[Mention]] = defaultdict(list)
    for mention in rows.reviewed_mentions():
        by_text[(mention.doc_id, mention.page)].append(mention)
    items: list[Item] = []
    reviewed: set[Where] = set()
    for (doc_id, page), mentions in by_text.items():
        text = rows.text(doc_id, page) or ""
        spans = sentence_spans(text)
        groups: dict[int, list[Mention]] = defaultdict(list)
        for m in mentions:
            if 0 <= m.start < m.end <= len(text):
                groups[sentence_of(spans, m.start)].append(m)
            else:
                counts.cut += 1
        for first, group in sorted(groups.items()):
            end = max(spans[first][1], max(m.end for m in group))
            last = sentence_of(spans, end - 1)
            reviewed.update((doc_id, page, i) for i in range(first, last + 1))
            items += _pieces(text, spans[first][0], spans[last][1], group, counts, max_chars)
    return items, reviewed


def _pieces(text: str, start: int, end: int, mentions: list[Mention], counts: Counts,
            max_chars: int) -> Iterator[Item]:
    """Items for the mentions of ``text[start:end]``, cut to ``max_chars`` pieces."""
    pieces = [(start + o, piece) for o, piece in chunks(text[start:end], max_chars)]
    for offset, piece in pieces:
        inside = [m for m in mentions if offset <= m.start and m.end <= offset + len(piece)]
        if not inside:
            continue
        yield Item(piece, [(m.start - offset, m.end - offset, m.label) for m in inside
                           if m.label is not None],
                   [(m.start - offset, m.end - offset) for m in inside if m.label is None])
    counts.cut += sum(1 for m in mentions
                      if not any(o <= m.start and m.end <= o + len(p) for o, p in pieces))


def rehearsal_texts(rows: StoreRows, reviewed: set[Where], wanted: int, seed: int,
                    max_chars: int = MAX_CHARS) -> list[str]:
    """``wanted`` sentences no correction touches, drawn at random (``seed``) from the
    store's documents; each of at least ``MIN_WORDS`` words, cut to ``max_chars``."""
    if wanted <= 0:
        return []
    rng = random.Random(seed)
    ids = rows.document_ids()
    rng.shuffle(ids)
    pool: list[str] = []
    for doc_id in ids:
        for page, text in rows.texts(doc_id):
            for i, (a, b) in enumerate(sentence_spans(text)):
                sentence = text[a:b].strip()
                if (doc_id, page, i) in reviewed or len(sentence.split()) < MIN_WORDS:
                    continue
                pool.append(next(chunks(sentence, max_chars))[1])
        if len(pool) >= 20 * wanted:  # enough to draw from; a huge store is not read whole
            break
    return rng.sample(pool, min(wanted, len(pool)))


def to_example(nlp: "Language", item: Item, counts: Counts) -> "Example | None":
    """A spaCy ``Example`` of the item (None when nothing of it aligns)."""
    from spacy.training import Example
    from spacy.util import filter_spans

    reference = nlp.make_doc(item.text)
    ents = _aligned(reference, item.spans, counts)
    kept = filter_spans(ents)
    counts.overlapping += len(ents) - len(kept)
    outside = [s for s in _aligned(reference, [(a, b, "") for a, b in item.outside], counts)
               if not any(s.start < e.end and e.start < s.end for e in kept)]
    if not item.complete and not kept and not outside:
        return None
    try:
        reference.set_ents(kept, outside=outside,
                           default="outside" if item.complete else "missing")
    except ValueError:  # overlapping non-entity spans: keep the entities alone
        counts.overlapping += len(outside)
        outside = []
        reference.set_ents(kept, default="outside" if item.complete else "missing")
    _count(item, counts, len(kept), len(outside))
    return Example(nlp.make_doc(item.text), reference)


def _aligned(doc, spans, counts: Counts) -> list:
    out = []
    for start, end, label in spans:
        span = doc.char_span(start, end, label=label, alignment_mode="strict")
        if span is None or not len(span):
            counts.misaligned += 1
        else:
            out.append(span)
    return out


def _count(item: Item, counts: Counts, ents: int, outside: int) -> None:
    if item.source == "correction":
        counts.sentences += 1
        counts.positive += ents
        counts.negative += outside
    elif item.source == "gold":
        counts.gold += 1
        counts.gold_spans += ents
    else:
        counts.rehearsal += 1
