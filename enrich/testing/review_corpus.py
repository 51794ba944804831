"""A synthetic store with the doubts the review queue looks for, for its tests and
``bench.review``.

``review_store(data_dir, documents=N)`` writes ``N`` plain-text documents straight
into a data directory's store (no cracking, no NER: mentions are made here, with
their offsets in the page texts), and with ``index=True`` fills its search index.
Everything is invented and fixed by ``seed``:

- entities of four types (PERSON, ORG, GPE, PRODUCT) with names made of syllables
  (five per document), three in five mentions drawn with Zipf-like popularity and
  the others uniformly (a long tail), about 25 mentions per document;
- a few *twins*: an entity whose name is sometimes misspelt (one letter swapped), so
  the misspelling becomes a near-duplicate entity;
- a few *confusable* entities: a third of their mentions labelled with another type;
- confidences per mention around a per-entity level (some entities doubtful);
- *common words* (``COMMON``) written capitalised as ORG mentions, and in lower case
  in other sentences: more often (resolution rejects them) or less often.

:func:`demo_texts` gives the tiny fixed corpus the review tests assert on.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graph import contributions
from graph.normalize import resolve

__all__ = ["review_store", "Planted", "COMMON", "doc_record"]

SYLLABLES = ("zor", "vel", "qui", "mar", "tes", "bran", "olv", "kor", "ulv", "dar", "fen",
             "gil", "hes", "ivo", "jor", "kes", "lum", "nox", "pra", "rin", "sol", "tav",
             "wen", "yst", "bel", "cor", "dun", "eth", "fal", "gor")
COMMON = ("lantern", "meadow", "harbor", "beacon", "pioneer", "summit", "anchor", "orchard")
OTHER_TYPE = {"PERSON": "ORG", "ORG": "PRODUCT", "GPE": "ORG", "PRODUCT": "ORG"}
TEMPLATES = ("{0} met {1} in {2}.", "{0} signed a deal with {1}.", "Later {0} visited {2}.",
             "{1} praised {0} and {2}.", "Reports from {2} named {0}.")


@dataclass
class Planted:
    """What was planted: entity names by type, twins (name -> misspelling),
    confusable names, doubtful names (low confidence), common words by fate."""

    names: dict[str, str] = field(default_factory=dict)  # name -> type
    twins: dict[str, str] = field(default_factory=dict)
    confusable: set[str] = field(default_factory=set)
    doubtful: set[str] = field(default_factory=set)
    rejected_words: list[str] = field(default_factory=list)
    kept_words: list[str] = field(default_factory=list)


def _name(rng: random.Random, words: int) -> str:
    return " ".join("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).title()
                    for _ in range(words))


def _misspelt(name: str) -> str:
    """One pair of neighbouring letters swapped, in the longest word."""
    word = max(name.split(), key=len)
    i = len(word) // 2
    bad = word[:i - 1] + word[i] + word[i - 1] + word[i + 1:]
    return name.replace(word, bad, 1)


def plan(rng: random.Random, entities: int) -> Planted:
    """The invented entities and their quirks."""
    planted = Planted()
    types = ("PERSON", "ORG", "GPE", "PRODUCT")
    while len(planted.names) < entities:
        type = types[len(planted.names) % 4]
        planted.names.setdefault(_name(rng, 2 if type == "PERSON" else 1), type)
    ordered = list(planted.names)
    for i, name in enumerate(ordered):
        if i % 29 == 3:
            planted.twins[name] = _misspelt(name)
        elif i % 13 == 5:
            planted.confusable.add(name)
        elif i % 11 == 7:
            planted.doubtful.add(name)
    half = len(COMMON) // 2
    planted.rejected_words, planted.kept_words = list(COMMON[:half]), list(COMMON[half:])
    return planted


class _Page:
    """A page's text, grown sentence by sentence, and the mentions in it."""

    def __init__(self, number: int) -> None:
        self.number, self.parts, self.length, self.mentions = number, [], 0, []

    def add(self, template: str, slots: list[tuple[str, str, float]]) -> None:
        pieces = template.split("{")
        text = pieces[0]
        for piece in pieces[1:]:
            index, rest = piece.split("}", 1)
            name, label, confidence = slots[int(index)]
            start = self.length + (1 if self.parts else 0) + len(text)
            self.mentions.append({"type": label, "name": name, "text": name, "page": self.number,
                                  "start": start, "end": start + len(name),
                                  "confidence": confidence, "skill": "entities",
                                  "version": "1"})
            text += name + rest
        self.parts.append(text)
        self.length += len(text) + (1 if len(self.parts) > 1 else 0)

    @property
    def text(self) -> str:
        return " ".join(self.parts)


def _slot(rng: random.Random, planted: Planted, popular: list[str]) -> tuple[str, str, float]:
    rank = int(rng.paretovariate(0.8)) if rng.random() < 0.6 else rng.randint(1, len(popular))
    name = popular[min(rank, len(popular)) - 1]
    type, level = planted.names[name], 0.9
    if name in planted.twins and rng.random() < 0.2:
        name = planted.twins[name]
    if name in planted.confusable and rng.random() < 0.35:
        type = OTHER_TYPE[type]
    if name in planted.doubtful:
        level = 0.45
    return name, type, round(min(0.999, max(0.05, rng.gauss(level, 0.08))), 3)


def _page(rng: random.Random, planted: Planted, popular: list[str], number: int,
          sentences: int) -> _Page:
    page = _Page(number)
    for n in range(sentences):
        page.add(rng.choice(TEMPLATES), [_slot(rng, planted, popular) for _ in range(3)])
        if n % 4 == 1:  # common words: capitalised mid-sentence as ORG, and in lower case
            word = rng.choice(COMMON)
            page.add("Then {0} opened.", [(word.title(), "ORG", 0.6)])
            lower = 3 if word in planted.rejected_words else 0
            for _ in range(lower + (1 if rng.random() < 0.5 else 0)):
                page.parts.append(f"The {word} was quiet.")
                page.length += len(page.parts[-1]) + 1
    return page


def doc_record(rng: random.Random, planted: Planted, popular: list[str], n: int,
               pages: int = 2, sentences: int = 4) -> Any:
    """One invented document, as the store takes it."""
    from indexers.stores import DocumentRecord
    made = [_page(rng, planted, popular, p, sentences) for p in range(1, pages + 1)]
    texts: dict[Any, str] = {p.number: p.text for p in made}
    content = "\n\n".join(p.text for p in made)
    texts[None] = content
    offsets, at = [], 0
    for p in made:
        offsets.append(at)
        at += len(p.text) + 2
    mentions, aliases = resolve([m for p in made for m in p.mentions], texts)
    title = f"Dispatch {n}"
    return DocumentRecord(
        id=f"r{n:06d}", uri=f"file:///review/{n}.txt", source_uri=f"file:///review/{n}.txt",
        status="ok", title=title, content=content, metadata={"content_type": "text/plain"},
        pages=[{"number": p.number, "text": p.text, "offset": o} for p, o in zip(made, offsets)],
        images=[], entities=mentions, edges=contributions(mentions),
        fields={"title": title, "content": content, "file_type": "txt", "language": ["en"]},
        tree={}, aliases=aliases)


def review_store(data_dir: str | Path, documents: int = 200, entities: int | None = None,
                 seed: int = 7, index: bool = False, pages: int = 2,
                 sentences: int = 4) -> Planted:
    """Write ``documents`` invented documents into ``data_dir``'s store (and its search
    index with ``index``); returns what was planted. About ``pages * sentences * 3``
    entity mentions per document, plus the common words."""
    from indexers.stores import DataDir, SourceState, SqliteStore, open_index, sync_index
    rng = random.Random(seed)
    planted = plan(rng, entities or max(40, documents * 5))
    popular = list(planted.names)
    rng.shuffle(popular)
    data = DataDir(data_dir)
    data.root.mkdir(parents=True, exist_ok=True)
    with SqliteStore(data.store) as store:
        for first in range(0, documents, 200):
            with store.transaction():
                for n in range(first, min(first + 200, documents)):
                    record = doc_record(rng, planted, popular, n, pages, sentences)
                    store.put_source(SourceState(record.source_uri, len(record.content), 1.0,
                                                 f"sha{n}", "ok"), [record])
        if index:
            search = open_index(data, write=True)
            try:
                sync_index(store, search)
            finally:
                search.close()
    return planted
