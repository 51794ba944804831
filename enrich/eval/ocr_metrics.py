"""Character and word error rates of OCR text against a reference transcript.

Both texts are normalised the same way before they are compared (:func:`normalize`),
so that the rates count reading errors, not layout:

* Unicode NFKC (ligatures ``ﬁ`` -> ``fi``, full-width forms), curly quotes and
  apostrophes made straight, dashes (en, em, minus) made ``-``;
* a word broken at a line end with a hyphen is joined (``infor-\\nmation`` ->
  ``information``): a typewriter and an OCR engine may break lines differently;
* every run of whitespace (line breaks, tabs, columns' gaps) is one space, and the
  ends are stripped;
* letters are compared case-folded unless ``case=True``.

CER is the Levenshtein distance between the normalised texts in characters divided
by the reference's length in characters; WER is the same over words (the
whitespace-separated tokens, punctuation attached, as most OCR evaluations count).
Totals over many documents are *micro* averages: all edits over all reference
characters (or words), so a long page weighs more than a short one.

>>> r = error_rates("The quick brown fox", "The qu1ck brown  fox")
>>> (r.char_edits, r.chars, r.word_edits, r.words)
(1, 19, 1, 4)
>>> normalize("Infor-\\nmation \\u201cdesk\\u201d \\u2014 Room 4")
'information "desk" - room 4'
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

__all__ = ["Rates", "error_rates", "normalize"]

_HYPHENATED = re.compile(r"(\w)-[ \t]*\n[ \t]*(\w)")
_SPACE = re.compile(r"\s+")
_SIGNS = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",
                        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2032": "'",
                        "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2010": "-",
                        "\u2011": "-", "\u00ad": ""})


def normalize(text: str, case: bool = False) -> str:
    """``text`` as the rates compare it (see the module docstring)."""
    text = unicodedata.normalize("NFKC", text).translate(_SIGNS)
    text = _HYPHENATED.sub(r"\1\2", text)
    text = _SPACE.sub(" ", text).strip()
    return text if case else text.casefold()


@dataclass
class Rates:
    """Edits and reference sizes, in characters and in words; added up over documents."""

    chars: int = 0
    char_edits: int = 0
    words: int = 0
    word_edits: int = 0

    def __add__(self, other: Rates) -> Rates:
        return Rates(self.chars + other.chars, self.char_edits + other.char_edits,
                     self.words + other.words, self.word_edits + other.word_edits)

    @property
    def cer(self) -> float:
        """Character error rate (can exceed 1 when the OCR text is much longer)."""
        return self.char_edits / self.chars if self.chars else float(self.char_edits > 0)

    @property
    def wer(self) -> float:
        """Word error rate."""
        return self.word_edits / self.words if self.words else float(self.word_edits > 0)


def error_rates(reference: str, hypothesis: str, case: bool = False) -> Rates:
    """The edits that turn the normalised ``hypothesis`` into the normalised ``reference``."""
    ref, hyp = normalize(reference, case), normalize(hypothesis, case)
    ref_words, hyp_words = ref.split(), hyp.split()
    return Rates(chars=len(ref), char_edits=Levenshtein.distance(ref, hyp),
                 words=len(ref_words), word_edits=Levenshtein.distance(ref_words, hyp_words))
