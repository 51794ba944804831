"""Training items from a gold file (any format ``enrich eval entities`` reads).

The file is read with :func:`enrich.eval.readers.read_gold` and its types mapped to the
model's labels with :class:`~enrich.train.labels.LabelChooser` over the eval's default
label map. Each gold document is taught line by line (token formats put one sentence
on a line; a mention across a line break is skipped and counted). A gold file is
complete for its own types only, so the base model's predictions of labels the gold
has no type for (dates and numbers in WNUT, say) are kept in the example where they
overlap no gold span: otherwise training would teach the model to forget them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from enrich.eval.gold import GoldDoc
from enrich.eval.labels import default_label_map
from enrich.eval.readers import read_gold
from enrich.train.examples import Counts, Item
from enrich.train.labels import LabelChooser

if TYPE_CHECKING:
    from spacy.language import Language

__all__ = ["gold_items"]


def gold_items(path: Path, nlp: "Language", counts: Counts, fmt: str | None = None
               ) -> list[Item]:
    """Complete items of the gold file's lines, labelled in the model's labels."""
    _, docs = read_gold(path, fmt)
    chooser = LabelChooser(default_label_map({m.type for d in docs for m in d.mentions}))
    lines = [line for doc in docs for line in _lines(doc, counts)]
    predicted = [[(e.start_char, e.end_char, e.label_) for e in parsed.ents]
                 for parsed in nlp.pipe((text for text, _ in lines), batch_size=64)]
    for (_, gold), found in zip(lines, predicted):
        exact = {(a, b): label for a, b, label in found}
        for a, b, gold_type in gold:
            if (a, b) in exact:
                chooser.observe(exact[(a, b)], gold_type)
    items = []
    for (text, gold), found in zip(lines, predicted):
        exact = {(a, b): label for a, b, label in found}
        spans = [(a, b, chooser.choose(t, exact.get((a, b)))) for a, b, t in gold]
        spans += [(a, b, label) for a, b, label in found if not chooser.mapped(label)
                  and not any(a < d and c < b for c, d, _ in gold)]
        items.append(Item(text, spans, complete=True, source="gold"))
    return items


def _lines(doc: GoldDoc, counts: Counts) -> list[tuple[str, list[tuple[int, int, str]]]]:
    """``(line text, [(start, end, gold type)])`` of each non-blank line of a document,
    offsets in characters of the line."""
    chars = [(doc.tokens[m.start][0], doc.tokens[m.end - 1][1], m.type)
             if doc.tokens is not None else (m.start, m.end, m.type) for m in doc.mentions]
    out, at = [], 0
    for line in doc.text.split("\n"):
        end = at + len(line)
        inside = [(a - at, b - at, t) for a, b, t in chars if at <= a and b <= end]
        counts.cut += sum(1 for a, b, _ in chars if a < end < b)
        if line.strip():
            out.append((line, inside))
        at = end + 1
    return out
