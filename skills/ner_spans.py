"""From token predictions to entity spans: windows, words, BIO/BILOU decoding, label maps.

Pure functions over lists (no torch, no transformers), used by :mod:`skills.ner`.

**Windows.** A text of ``n`` tokens is read in windows of at most ``length`` tokens,
each starting ``length - stride`` tokens after the previous one, so consecutive windows
share ``stride`` tokens (:func:`windows`). Every token is then decided by one window:
of the windows that hold it, the one whose centre is nearest (ties: the earlier one),
so a token is always read with context on both sides where any window gives it
(:func:`owners`). The decoding below runs once over the whole text with these
predictions, so an entity that crosses a window boundary comes out once, whole.

**Words.** A span must never start or end inside a word, whatever the sub-word
pieces predict. Tokens are grouped into words (:func:`words`): a token joins the
previous one when no character lies between them and both touching characters are
letters or digits, and either the tokenizer put them in the same word or both are of
a script written with spaces (so ``Wash ##ington`` and the byte-level ``3`` ``M`` are
one word, a CJK character read as a word by BERT stays one). A punctuation mark is
its own word (``(Reuters)`` gives ``Reuters``, ``Ada's`` gives ``Ada``), as in the
CoNLL data these models are trained on. Tokens that overlap (byte pieces of one
character) always join. A word takes the label and the score of its first token, the
token these checkpoints are trained on (transformers' ``aggregation_strategy="first"``).

**Tags.** ``B-X``, ``I-X``, ``L-X``/``E-X`` and ``U-X``/``S-X`` (separator ``-`` or
``_``) and ``O``; a label without a prefix is a type (IO tagging). Decoding is lenient
as in seqeval's default mode: an ``I-X`` that does not continue an ``X`` opens one (IOB1),
``B``/``U``/``S`` always open, ``L``/``E``/``U``/``S`` close after their word.

**Types.** Checkpoint types are mapped to OntoNotes-style ones (:data:`TYPE_MAP`):
PER -> PERSON, ORG -> ORG, LOC -> GPE (CoNLL's and WNUT's locations are mostly
countries and cities, which the spaCy models call GPE) unless the checkpoint also has a
GPE label (OntoNotes checkpoints: LOC stays LOC), MISC -> NORP (nationalities are
CoNLL's largest MISC group; ``enrich eval`` maps NORP back to MISC). Types the map does
not know pass through upper-cased (an OntoNotes checkpoint's DATE stays DATE).
"""

from __future__ import annotations

import re
from typing import Any, Iterator, Mapping, Sequence

__all__ = ["TYPE_MAP", "Span", "windows", "owners", "words", "parse_tag", "decode",
           "type_map"]

TYPE_MAP = {
    "PER": "PERSON", "PERS": "PERSON", "PERSON": "PERSON",
    "ORG": "ORG", "ORGANIZATION": "ORG", "ORGANISATION": "ORG", "CORPORATION": "ORG",
    "GROUP": "ORG",
    "LOC": "GPE", "LOCATION": "GPE", "GPE": "GPE", "FAC": "FAC", "FACILITY": "FAC",
    "MISC": "NORP", "NORP": "NORP", "PRODUCT": "PRODUCT", "EVENT": "EVENT",
    "WORK_OF_ART": "WORK_OF_ART", "CREATIVE-WORK": "WORK_OF_ART",
    "CREATIVE_WORK": "WORK_OF_ART", "LAW": "LAW", "LANGUAGE": "LANGUAGE",
}
_TAG = re.compile(r"([BIELSU])[-_](.+)", re.IGNORECASE)
_OPENS, _CLOSES = frozenset("BUS"), frozenset("LEUS")
# Scripts written without spaces between words: their letters never join across tokens
# the tokenizer kept apart (Thai, Lao, Myanmar, Khmer, and CJK from U+2E80 on).
_NO_SPACES = ((0x0E00, 0x0EFF), (0x1000, 0x109F), (0x1780, 0x17FF), (0x2E80, 0x10FFFF))

Span = tuple[int, int, str, list[float]]  # start, end, checkpoint type, word scores


def windows(n: int, length: int, stride: int) -> list[tuple[int, int]]:
    """Token ranges ``(start, end)`` of at most ``length`` covering ``range(n)``, consecutive
    ones overlapping by ``stride`` tokens (the last may be shorter)."""
    step, out, start = max(1, length - max(0, stride)), [], 0
    while start < n:
        out.append((start, min(n, start + length)))
        if start + length >= n:
            break
        start += step
    return out


def owners(spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """For each window, the token range it decides: the tokens it holds that are nearer
    its centre than any other holding window's (the earlier window wins a tie)."""
    n = spans[-1][1] if spans else 0
    best: list[tuple[float, int]] = [(float("inf"), -1)] * n
    for k, (a, b) in enumerate(spans):
        centre = (a + b - 1) / 2
        for t in range(a, b):
            if abs(t - centre) < best[t][0]:
                best[t] = (abs(t - centre), k)
    ranges = [(a, a) for a, _ in spans]
    for t, (_, k) in enumerate(best):
        lo, hi = ranges[k]
        ranges[k] = (t if lo == hi else lo, t + 1)
    return ranges


def _spaced(char: str) -> bool:
    code = ord(char)
    return not any(lo <= code <= hi for lo, hi in _NO_SPACES)


def words(text: str, offsets: Sequence[tuple[int, int]], word_ids: Sequence[Any]
          ) -> Iterator[tuple[int, int, int]]:
    """``(start, end, first token)`` of each word of ``text`` (see the module docstring);
    tokens with empty offsets (special tokens) are left out."""
    current: list[int] | None = None
    for i, (start, end) in enumerate(offsets):
        if end <= start:
            continue
        if current is not None and _joins(text, current, i, start, word_ids):
            current[1] = max(current[1], end)
            continue
        if current is not None:
            yield current[0], current[1], current[2]
        current = [start, end, i]
    if current is not None:
        yield current[0], current[1], current[2]


def _joins(text: str, word: list[int], i: int, start: int, word_ids: Sequence[Any]) -> bool:
    """Whether token ``i`` (at ``start``) continues the current ``word``."""
    if start < word[1]:
        return True  # pieces of one character
    if start > word[1]:
        return False
    left, right = text[start - 1], text[start]
    if not (left.isalnum() and right.isalnum()):
        return False
    same = word_ids[i] is not None and word_ids[i] == word_ids[i - 1]
    return same or (_spaced(left) and _spaced(right))


def parse_tag(label: str) -> tuple[str, str]:
    """``(prefix, type)`` of a checkpoint label: ``("B", "PER")``, ``("O", "")``; a label
    without a prefix is ``("I", label)``."""
    if label.upper() in ("O", "OUTSIDE", ""):
        return "O", ""
    match = _TAG.fullmatch(label)
    return (match.group(1).upper(), match.group(2)) if match else ("I", label)


def decode(tagged: Sequence[tuple[int, int, tuple[str, str], float]]) -> list[Span]:
    """Entity spans from words in text order, each ``(start, end, (prefix, type), score)``."""
    out: list[Span] = []
    current: list[Any] | None = None
    for start, end, (prefix, kind), score in tagged:
        if prefix == "O":
            current = None
            continue
        if prefix in _OPENS or current is None or current[2] != kind:
            current = [start, end, kind, [score]]
            out.append(current)  # type: ignore[arg-type]
        else:
            current[1] = end
            current[3].append(score)
        if prefix in _CLOSES:
            current = None
    return [tuple(span) for span in out]  # type: ignore[misc]


def type_map(checkpoint_types: Sequence[str], labels: Mapping[str, Any] | None
             ) -> dict[str, str | None]:
    """Checkpoint type -> entity type (None: dropped). ``labels``, when given, is the whole
    map (types it does not name are dropped); otherwise :data:`TYPE_MAP` with LOC kept as
    LOC when the checkpoint also has GPE."""
    if labels is not None:
        given = {str(k).upper(): (str(v) if v else None) for k, v in labels.items()}
        return {t: given.get(t.upper()) for t in checkpoint_types}
    has_gpe = any(t.upper() == "GPE" for t in checkpoint_types)
    out: dict[str, str | None] = {}
    for kind in checkpoint_types:
        upper = kind.upper()
        out[kind] = "LOC" if has_gpe and upper in ("LOC", "LOCATION") else \
            TYPE_MAP.get(upper, upper)
    return out
