"""Spaces between words restored in RapidOCR's segments, measured on the page's ink.

RapidOCR's recogniser (PP-OCR, trained mostly on Chinese, where lines have no
spaces) reads the characters of a segment well but often leaves out the space
between two words ("thecrew."). Its CTC decoder still says where each character
sits (``return_word_box=True``: one box per character, centred on the decoding
column). This module measures, for each two neighbouring characters of a segment,
the blank gap between their ink on the page, and puts a space back where that gap
is as wide as a space between words *on this page*:

1. The segment is cut out of the page along its (possibly skewed) polygon and
   binarised (Otsu); a column of the cut-out is blank when almost no pixel of it is
   ink. Each run of blank columns belongs to the pair whose centres enclose the
   run's middle (so a character whose centre is estimated a little off does not take
   its neighbour's gap), and a pair's gap is its widest run, in units of the
   cut-out's height (so pages of every resolution and type size compare).
2. The engine's own spaces are labelled examples of word gaps; the other pairs are
   mostly letter gaps (a word has several letters) with the dropped spaces among
   them. The page's threshold lies half way between the letter gaps' upper end
   (their 80th percentile) and the word gaps' lower end (their 25th percentile);
   monospace type (narrow letters in a fixed cell: wide letter gaps, wider word
   gaps) and proportional type (tight letters, narrow word gaps) each get their
   own.
3. A page with fewer than :data:`MIN_LABELLED` engine spaces (or whose two groups
   overlap) falls back to Otsu's split of all its gaps, never below :data:`MIN_GAP`
   heights nor below :data:`LETTER_RATIO` times its median gap (a letter gap, since
   words have several letters): a line or two of widely tracked capitals or figures
   has too few gaps for Otsu to find the word gaps, and must keep its words whole.

A space is never put before closing punctuation (``.,;:!?)]}%``) nor after an
opening bracket or ``$``: a full stop after a narrow letter leaves a wide blank, but
Latin-script typing sets no space there.

Nothing here knows a language or a word list: it only compares the page's gaps with
each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import numpy as np

__all__ = ["Gap", "char_marks", "gap_threshold", "restore_spaces", "segment_gaps"]

MIN_LABELLED = 5  # engine spaces a page needs to calibrate on them
MIN_GAP = 0.15  # fallback floor: a word gap is at least this share of the text height
LETTER_RATIO = 2.5  # fallback: a word gap is this many times the page's median gap
BLANK_INK = 0.03  # a column with ink on at most this share of its height is blank
CLOSING = frozenset(".,;:!?)]}%")  # never a space before these (Latin typography) ...
OPENING = frozenset("([{$")  # ... nor after these

Gap = tuple[int, float, bool]  # (index in the text of the pair's second char, width, labelled)


def segment_gaps(grey: np.ndarray, polygon: Sequence[Sequence[float]],
                 char_boxes: Sequence[Sequence[Sequence[float]]], text: str) -> list[Gap]:
    """The ink gaps between neighbouring non-space characters of one segment.

    ``grey`` is the page (2-D uint8), ``polygon`` the segment's 4 corners (top-left
    clockwise), ``char_boxes`` one 4-point box per character of ``text``. A gap is
    labelled when the engine read a space between the pair.
    """
    import cv2

    corners = np.asarray(polygon, dtype=np.float32)
    width = round(float(max(np.linalg.norm(corners[0] - corners[1]),
                          np.linalg.norm(corners[2] - corners[3]))))
    height = round(float(max(np.linalg.norm(corners[0] - corners[3]),
                           np.linalg.norm(corners[1] - corners[2]))))
    if width < 2 or height < 2:
        return []
    target = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    warp = cv2.getPerspectiveTransform(corners, target)
    crop = cv2.warpPerspective(grey, warp, (width, height), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)
    _, ink = cv2.threshold(crop, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    runs = _blank_runs(ink.sum(axis=0) <= max(1.0, BLANK_INK * height))
    centres = _centres(char_boxes, warp)
    chars = [i for i, char in enumerate(text) if not char.isspace()]
    pairs = list(pairwise(chars))
    if not pairs:
        return []
    bounds = np.asarray([centres[right] for _, right in pairs])  # pair k ends at bounds[k]
    widest = [0] * len(pairs)
    for start, end in runs:
        middle = (start + end) / 2
        if centres[chars[0]] <= middle < bounds[-1]:
            k = int(np.searchsorted(bounds, middle, side="right"))
            widest[k] = max(widest[k], end - start)
    return [(right, w / height, right - left > 1) for (left, right), w in zip(pairs, widest)]


def _centres(boxes: Sequence[Sequence[Sequence[float]]], warp: np.ndarray) -> list[float]:
    """Each box's centre as an x in the cut-out (through the perspective ``warp``)."""
    points = np.asarray([np.asarray(box, dtype=np.float64).mean(axis=0) for box in boxes])
    mapped = np.c_[points, np.ones(len(points))] @ warp.T
    return list(mapped[:, 0] / mapped[:, 2])


def _blank_runs(blank: np.ndarray) -> list[tuple[int, int]]:
    """``(start, end)`` of every run of True in ``blank``."""
    edges = np.diff(np.r_[0, blank.astype(np.int8), 0])
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))


def gap_threshold(labelled: Sequence[float], unlabelled: Sequence[float]) -> float:
    """The page's word-gap width: between its letter gaps and its engine-spaced gaps."""
    if len(labelled) >= MIN_LABELLED and len(unlabelled) >= MIN_LABELLED:
        letters = float(np.percentile(unlabelled, 80))
        words = float(np.percentile(labelled, 25))
        if words > letters:
            return max((letters + words) / 2, MIN_GAP / 2)
    every = [*labelled, *unlabelled]
    typical = float(np.median(every)) if every else 0.0
    return max(_otsu(every), MIN_GAP, LETTER_RATIO * typical)


def _otsu(values: Sequence[float]) -> float:
    """Otsu's threshold of ``values`` (the split maximising the between-class variance)."""
    ordered = np.sort(np.asarray(values, dtype=np.float64))
    if len(ordered) < 2 or ordered[0] == ordered[-1]:
        return float("inf")
    n = len(ordered)
    cumulative = np.cumsum(ordered)
    below = np.arange(1, n)
    mean_low = cumulative[:-1] / below
    mean_high = (cumulative[-1] - cumulative[:-1]) / (n - below)
    between = below * (n - below) * (mean_low - mean_high) ** 2
    between[ordered[1:] == ordered[:-1]] = -1  # split only between different values
    best = int(np.argmax(between))
    return float((ordered[best] + ordered[best + 1]) / 2)


def restore_spaces(grey: np.ndarray, found: Sequence[Sequence[Any]]) -> list[str]:
    """The text of each RapidOCR result (``return_word_box=True``) with spaces restored.

    A result whose character boxes do not match its text (another engine version,
    mixed scripts) keeps its text as read.
    """
    texts = [str(result[1]) for result in found]
    per_segment: list[list[Gap]] = []
    for result, text in zip(found, texts):
        boxes = _char_boxes(result)
        per_segment.append(segment_gaps(grey, result[0], boxes, text) if boxes else [])
    gaps = [gap for segment in per_segment for gap in segment]
    threshold = gap_threshold([w for _, w, lab in gaps if lab], [w for _, w, lab in gaps if not lab])
    out = []
    for text, segment in zip(texts, per_segment):
        cuts = {index for index, width, labelled in segment if not labelled
                and width > threshold and text[index] not in CLOSING
                and text[index - 1] not in OPENING}
        out.append("".join((" " + c) if i in cuts else c for i, c in enumerate(text)))
    return out


def char_marks(result: Sequence[Any]) -> list[tuple[list[float], float]] | None:
    """``([x0, y0, x1, y1], confidence)`` of each non-space character of a RapidOCR
    result read with ``return_word_box=True`` (None when it has no usable boxes)."""
    boxes = _char_boxes(result)
    if not boxes or len(result) < 6 or len(result[5]) != len(boxes):
        return None
    text, confidences = str(result[1]), result[5]
    marks = []
    for char, box, confidence in zip(text, boxes, confidences):
        if not char.isspace():
            xs, ys = [p[0] for p in box], [p[1] for p in box]
            marks.append(([min(xs), min(ys), max(xs), max(ys)], float(confidence)))
    return marks


def _char_boxes(result: Sequence[Any]) -> Sequence[Any] | None:
    """The per-character boxes of a RapidOCR result (``return_word_box=True``: text at
    1, boxes at 3, characters at 4), or None when it has none or they do not match its
    text (another engine version, mixed scripts)."""
    if len(result) < 5:
        return None
    text, boxes, chars = str(result[1]), result[3], result[4]
    if not boxes or len(boxes) != len(text) or "".join(chars or []) != text:
        return None
    return boxes
